package cases

import (
	"fmt"
	"testing"
	"time"

	"banban/shared/apperr"
	"banban/shared/auth"
)

var now = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

var (
	asker     = auth.NewCitizen("wx-citizen-1")
	stranger  = auth.NewCitizen("wx-citizen-2")
	helper    = auth.NewStaff("helper-1", auth.Helper, "u1", "h1", "")
	helper2   = auth.NewStaff("helper-2", auth.Helper, "u1", "h1", "")
	farHelper = auth.NewStaff("helper-9", auth.Helper, "u9", "h9", "")
	hallAdmin = auth.NewStaff("ha", auth.HallAdmin, "", "h1", "")
	unitAdmin = auth.NewStaff("ua", auth.UnitAdmin, "u1", "", "")
	otherUnit = auth.NewStaff("ub", auth.UnitAdmin, "u2", "", "")
	cityAdmin = auth.NewStaff("ca", auth.CityAdmin, "", "", "")
	clerk     = auth.NewStaff("clerk-1", auth.Clerk, "u1", "h1", "w1")
	// A staff account whose id copies the asker's pseudonym cannot exist (auth.ValidStaffID), but
	// even a principal forged so is a staff member, never the asker.
	lookalike = auth.Principal{Kind: auth.KindStaff, Subject: auth.StaffSubject(asker.ID()), Role: auth.Helper, UnitID: "u1", HallID: "h1"}
)

func caseIn(s State) Case {
	c := Case{ID: "c1", Version: 3, State: s, RequesterSub: asker.Subject, HallID: "h1", Units: []string{"u1"}}
	if s != Received && s != Transferred {
		c.Assignee = helper.ID()
	}
	return c
}

// TestEveryTransition walks every (from, to) pair: allowed ones succeed for their actor and fail
// for others; all other pairs are refused as invalid transitions.
func TestEveryTransition(t *testing.T) {
	allowed := map[[2]State]auth.Principal{
		{Received, Assigned}:      hallAdmin,
		{Transferred, Assigned}:   unitAdmin,
		{Assigned, Accepted}:      helper,
		{Assigned, Received}:      helper, // declined
		{Accepted, InProgress}:    helper,
		{Accepted, Transferred}:   helper,
		{InProgress, Transferred}: helper,
		{InProgress, Completed}:   helper,
		{Accepted, Unable}:        helper,
		{InProgress, Unable}:      helper,
		{Received, Withdrawn}:     asker,
		{Assigned, Withdrawn}:     asker,
		{Accepted, Withdrawn}:     asker,
		{InProgress, Withdrawn}:   asker,
		{Transferred, Withdrawn}:  asker,
	}
	states := []State{Received, Assigned, Accepted, InProgress, Transferred, Completed, Unable, Withdrawn}
	for _, from := range states {
		for _, to := range states {
			name := fmt.Sprintf("%s→%s", from, to)
			t.Run(name, func(t *testing.T) {
				c := caseIn(from)
				tr := Transition{To: to, Reason: "材料已核实", Version: c.Version}
				if to == Assigned {
					tr.Assignee = helper.ID()
				}
				actor, ok := allowed[[2]State{from, to}]
				if !ok {
					actor = cityAdmin
				}
				got, ev, err := c.Apply(tr, actor, now)
				if !ok {
					if e, isApp := apperr.As(err); !isApp || (e.Code != "invalid_transition" && e.Field != "to") {
						t.Fatalf("refused transition answered %v", err)
					}
					return
				}
				if err != nil {
					t.Fatalf("allowed transition refused: %v", err)
				}
				if got.State != to || got.Version != c.Version+1 || ev.From != from || ev.To != to || ev.Actor != actor.Subject || ev.Seq != got.Version {
					t.Errorf("got %+v, event %+v", got, ev)
				}
				if to.Closed() != (got.ClosedAt != nil) {
					t.Errorf("closedAt %v for %s", got.ClosedAt, to)
				}
				// Nobody unrelated may make it. (Which administrators reach the case at all is the
				// route's policy over Target; among those who do, any administrator assigns.)
				others := []auth.Principal{stranger, farHelper, clerk, lookalike}
				if to != Assigned {
					others = append(others, otherUnit)
				}
				for _, other := range others {
					if other.Subject == actor.Subject {
						continue
					}
					if _, _, err := c.Apply(tr, other, now); apperr.KindOf(err) != apperr.Forbidden {
						t.Errorf("%s (%s) may make it: %v", other.Subject, other.Role, err)
					}
				}
			})
		}
	}
}

func TestReasonsAndAssignees(t *testing.T) {
	c := caseIn(InProgress)
	if _, _, err := c.Apply(Transition{To: Unable}, helper, now); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("unable without a reason: %v", err)
	}
	got, _, err := c.Apply(Transition{To: Unable, Reason: "  政策不允许办理  "}, helper, now)
	if err != nil || got.Reason != "政策不允许办理" {
		t.Errorf("unable: %+v %v", got, err)
	}
	long := string(make([]rune, MaxReason+1))
	if _, _, err := c.Apply(Transition{To: Unable, Reason: long}, helper, now); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("an over-long reason: %v", err)
	}
	r := caseIn(Received)
	if _, _, err := r.Apply(Transition{To: Assigned}, hallAdmin, now); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("assign without assignee: %v", err)
	}
	// A helper may claim a case of the helper's hall for the helper only.
	if _, _, err := r.Apply(Transition{To: Assigned, Assignee: helper.ID()}, helper, now); err != nil {
		t.Errorf("claim: %v", err)
	}
	if _, _, err := r.Apply(Transition{To: Assigned, Assignee: helper2.ID()}, helper, now); apperr.KindOf(err) != apperr.Forbidden {
		t.Errorf("assigning a colleague: %v", err)
	}
	declined, _, err := caseIn(Assigned).Apply(Transition{To: Received, Reason: "不在岗"}, helper, now)
	if err != nil || declined.Assignee != "" {
		t.Errorf("decline keeps the assignee: %+v %v", declined, err)
	}
}

func TestTargetAndWhoSeesPersonalData(t *testing.T) {
	c := caseIn(InProgress)
	c.FiledBy = clerk.Subject
	c.SubTasks = []SubTask{{UnitID: "u1"}, {UnitID: "u2"}}
	got := c.Target()
	want := auth.Target{Halls: []string{"h1"}, Units: []string{"u1"}, Parts: []string{"u1", "u2"},
		Owners: []string{asker.Subject, helper.Subject, clerk.Subject}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("target %+v, want %+v", got, want)
	}
	if !c.SeesPersonalData(asker) || !c.SeesPersonalData(helper) {
		t.Error("asker or assignee does not see personal data")
	}
	for _, p := range []auth.Principal{hallAdmin, unitAdmin, cityAdmin, clerk, helper2, stranger, lookalike} {
		if c.SeesPersonalData(p) {
			t.Errorf("%s (%s) sees personal data", p.Subject, p.Role)
		}
	}
	c.State = Completed
	if got := c.Target(); len(got.Owners) != 2 {
		t.Errorf("the filing clerk still owns a closed case: %v", got.Owners)
	}
}

func TestJointCaseCompletesWhenEveryUnitHasDoneItsPart(t *testing.T) {
	c := caseIn(InProgress)
	c.Mode = Joint
	c.SubTasks = []SubTask{{UnitID: "u1"}, {UnitID: "u2"}}
	if _, _, err := c.Apply(Transition{To: Completed}, helper, now); !apperr.Is(err, "subtasks_open") {
		t.Fatalf("completed with open parts: %v", err)
	}
	clerkU2 := auth.NewStaff("clerk-u2", auth.Clerk, "u2", "h1", "w2")
	if _, _, err := c.CompleteSubTask("u2", "", auth.NewStaff("uc", auth.UnitAdmin, "u3", "", ""), now); apperr.KindOf(err) != apperr.Forbidden {
		t.Errorf("another unit's admin finished u2's part: %v", err)
	}
	c, ev, err := c.CompleteSubTask("u2", "许可证已核发", clerkU2, now)
	if err != nil || !c.SubTasks[1].Done || c.SubTasks[1].DoneBy != clerkU2.Subject || ev.Seq != c.Version {
		t.Fatalf("u2's part: %+v %+v %v", c.SubTasks, ev, err)
	}
	if _, _, err := c.CompleteSubTask("u2", "", clerkU2, now); !apperr.Is(err, "subtask_done") {
		t.Errorf("u2's part done twice: %v", err)
	}
	c, _, err = c.CompleteSubTask("u1", "", helper, now) // the lead helper records u1's part
	if err != nil {
		t.Fatal(err)
	}
	if done, _, err := c.Apply(Transition{To: Completed}, helper, now); err != nil || done.State != Completed {
		t.Errorf("complete after every part: %v", err)
	}
	if _, _, err := c.CompleteSubTask("u9", "", helper, now); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("unknown unit: %v", err)
	}
}
