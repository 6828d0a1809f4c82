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
	asker     = auth.Principal{Subject: "wx-citizen-1", Role: auth.Citizen}
	stranger  = auth.Principal{Subject: "wx-citizen-2", Role: auth.Citizen}
	helper    = auth.Principal{Subject: "helper-1", Role: auth.Helper, UnitID: "u1", HallID: "h1"}
	helper2   = auth.Principal{Subject: "helper-2", Role: auth.Helper, UnitID: "u1", HallID: "h1"}
	farHelper = auth.Principal{Subject: "helper-9", Role: auth.Helper, UnitID: "u9", HallID: "h9"}
	hallAdmin = auth.Principal{Subject: "ha", Role: auth.HallAdmin, HallID: "h1"}
	unitAdmin = auth.Principal{Subject: "ua", Role: auth.UnitAdmin, UnitID: "u1"}
	otherUnit = auth.Principal{Subject: "ub", Role: auth.UnitAdmin, UnitID: "u2"}
	cityAdmin = auth.Principal{Subject: "ca", Role: auth.CityAdmin}
	clerk     = auth.Principal{Subject: "clerk-1", Role: auth.Clerk, HallID: "h1", WindowID: "w1"}
)

func caseIn(s State) Case {
	c := Case{ID: "c1", Version: 3, State: s, RequesterSub: asker.Subject, HallID: "h1", Units: []string{"u1"}}
	if s != Received && s != Transferred {
		c.Assignee = helper.Subject
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
					tr.Assignee = helper.Subject
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
				// Nobody unrelated may make it.
				for _, other := range []auth.Principal{stranger, farHelper, otherUnit, clerk} {
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
	if _, _, err := r.Apply(Transition{To: Assigned, Assignee: helper.Subject}, helper, now); err != nil {
		t.Errorf("claim: %v", err)
	}
	if _, _, err := r.Apply(Transition{To: Assigned, Assignee: helper2.Subject}, helper, now); apperr.KindOf(err) != apperr.Forbidden {
		t.Errorf("assigning a colleague: %v", err)
	}
	declined, _, err := caseIn(Assigned).Apply(Transition{To: Received, Reason: "不在岗"}, helper, now)
	if err != nil || declined.Assignee != "" {
		t.Errorf("decline keeps the assignee: %+v %v", declined, err)
	}
}

func TestWhoReadsAndWhoSeesPersonalData(t *testing.T) {
	c := caseIn(InProgress)
	c.FiledBy = clerk.Subject
	reads := map[string]bool{
		"requester": c.CanRead(asker), "assignee": c.CanRead(helper), "hall admin": c.CanRead(hallAdmin),
		"unit admin": c.CanRead(unitAdmin), "city admin": c.CanRead(cityAdmin), "filing clerk": c.CanRead(clerk),
	}
	for who, ok := range reads {
		if !ok {
			t.Errorf("%s cannot read", who)
		}
	}
	refused := map[string]bool{
		"another citizen": c.CanRead(stranger), "an unassigned helper of the same unit": c.CanRead(helper2),
		"another unit's admin": c.CanRead(otherUnit), "a far helper": c.CanRead(farHelper),
	}
	for who, ok := range refused {
		if ok {
			t.Errorf("%s can read", who)
		}
	}
	if !c.SeesPersonalData(asker) || !c.SeesPersonalData(helper) {
		t.Error("asker or assignee does not see personal data")
	}
	for _, p := range []auth.Principal{hallAdmin, unitAdmin, cityAdmin, clerk, helper2} {
		if c.SeesPersonalData(p) {
			t.Errorf("%s sees personal data", p.Role)
		}
	}
	c.State = Completed
	if c.CanRead(clerk) {
		t.Error("the filing clerk still reads a closed case")
	}
}

func TestJointCaseCompletesWhenEveryUnitHasDoneItsPart(t *testing.T) {
	c := caseIn(InProgress)
	c.Mode = Joint
	c.SubTasks = []SubTask{{UnitID: "u1"}, {UnitID: "u2"}}
	if _, _, err := c.Apply(Transition{To: Completed}, helper, now); !apperr.Is(err, "subtasks_open") {
		t.Fatalf("completed with open parts: %v", err)
	}
	clerkU2 := auth.Principal{Subject: "clerk-u2", Role: auth.Clerk, UnitID: "u2"}
	if !c.CanRead(clerkU2) {
		t.Error("a participating unit's clerk cannot read the joint case")
	}
	if _, _, err := c.CompleteSubTask("u2", "", auth.Principal{Subject: "uc", Role: auth.UnitAdmin, UnitID: "u3"}, now); apperr.KindOf(err) != apperr.Forbidden {
		t.Errorf("another unit's admin finished u2's part: %v", err)
	}
	c, ev, err := c.CompleteSubTask("u2", "许可证已核发", clerkU2, now)
	if err != nil || !c.SubTasks[1].Done || c.SubTasks[1].DoneBy != "clerk-u2" || ev.Seq != c.Version {
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
