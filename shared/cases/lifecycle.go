package cases

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"banban/shared/apperr"
	"banban/shared/auth"
)

// State is where a case is in its lifecycle.
type State string

// The lifecycle: received → assigned → accepted → in progress → (transferred) → completed |
// unable (不能办) | withdrawn.
const (
	Received    State = "received"
	Assigned    State = "assigned"
	Accepted    State = "accepted"
	InProgress  State = "in_progress"
	Transferred State = "transferred"
	Completed   State = "completed"
	Unable      State = "unable"
	Withdrawn   State = "withdrawn"
)

// Closed reports whether no further change is possible.
func (s State) Closed() bool { return s == Completed || s == Unable || s == Withdrawn }

// who may make a transition
type actor int

const (
	assigner  actor = iota // an administrator of the case's scope, or a helper claiming it
	assignee               // the helper the case is assigned to
	requester              // the requester, or the staff member who filed it for a visitor
)

type rule struct {
	from         []State
	by           actor
	needsReason  bool
	needsPerson  bool // the transition names an assignee
	clearsPerson bool
}

// rules is the whole lifecycle: the states each target can be reached from, and by whom.
var rules = map[State]rule{
	Assigned:    {from: []State{Received, Transferred}, by: assigner, needsPerson: true},
	Accepted:    {from: []State{Assigned}, by: assignee},
	Received:    {from: []State{Assigned}, by: assignee, needsReason: true, clearsPerson: true}, // declined
	InProgress:  {from: []State{Accepted}, by: assignee},
	Transferred: {from: []State{Accepted, InProgress}, by: assignee, needsReason: true, clearsPerson: true},
	Completed:   {from: []State{InProgress}, by: assignee},
	Unable:      {from: []State{Accepted, InProgress}, by: assignee, needsReason: true},
	Withdrawn:   {from: []State{Received, Assigned, Accepted, InProgress, Transferred}, by: requester},
}

// Transition is a requested change of state.
type Transition struct {
	To       State  `json:"to"`
	Reason   string `json:"reason,omitempty"`
	Assignee string `json:"assignee,omitempty"`
	Version  int    `json:"version"` // the version the caller last read
}

// MaxReason is the longest reason accepted, in characters.
const MaxReason = 500

// Apply checks that p may make t on c and returns the changed case and its history entry. It
// does not check the version: the store does that atomically.
func (c Case) Apply(t Transition, p auth.Principal, now time.Time) (Case, Event, error) {
	r, ok := rules[t.To]
	if !ok {
		return Case{}, Event{}, apperr.InvalidField("to", "is not a state a case can be moved to")
	}
	if !slices.Contains(r.from, c.State) {
		return Case{}, Event{}, apperr.New(apperr.Conflict, "invalid_transition", "a %s case cannot become %s", c.State, t.To)
	}
	reason := strings.TrimSpace(t.Reason)
	if r.needsReason && reason == "" {
		return Case{}, Event{}, apperr.InvalidField("reason", "is required to make a case %s", t.To)
	}
	if len([]rune(reason)) > MaxReason {
		return Case{}, Event{}, apperr.InvalidField("reason", "is longer than %d characters", MaxReason)
	}
	if r.needsPerson && strings.TrimSpace(t.Assignee) == "" {
		return Case{}, Event{}, apperr.InvalidField("assignee", "is required to assign a case")
	}
	if !r.needsPerson && t.Assignee != "" {
		return Case{}, Event{}, apperr.InvalidField("assignee", "is only given when assigning")
	}
	if !c.mayAct(r.by, t, p) {
		return Case{}, Event{}, apperr.New(apperr.Forbidden, "forbidden", "you may not make this case %s", t.To)
	}
	if t.To == Completed {
		if open := c.OpenSubTasks(); len(open) > 0 {
			return Case{}, Event{}, apperr.New(apperr.Conflict, "subtasks_open", "units %v have not finished their part; a joint case completes when all have", open)
		}
	}
	ev := Event{Seq: c.Version + 1, At: now, Actor: p.Subject, Role: string(p.Role), From: c.State, To: t.To, Reason: reason}
	c.State = t.To
	c.Version++
	c.UpdatedAt = now
	switch {
	case r.needsPerson:
		c.Assignee = t.Assignee
		at := now
		c.AssignedAt = &at
		ev.Detail = "assignee " + t.Assignee
	case r.clearsPerson:
		if t.To == Received && !slices.Contains(c.Declined, c.Assignee) {
			c.Declined = append(slices.Clone(c.Declined), c.Assignee)
		}
		c.Assignee = ""
	}
	if t.To == Unable || t.To == Withdrawn {
		c.Reason = reason
	}
	if c.State.Closed() {
		at := now
		c.ClosedAt = &at
	}
	return c, ev, nil
}

// mayAct reports whether p is the actor a transition needs. Whether p reaches the case at all is
// the route's policy (see Target); this is who, among those, makes which change.
func (c Case) mayAct(a actor, t Transition, p auth.Principal) bool {
	switch a {
	case assignee:
		return p.IsHelper(c.Assignee)
	case requester:
		return p.Is(c.RequesterSub) || p.Is(c.FiledBy)
	case assigner:
		if p.Role == auth.Helper {
			// A helper assigns a case only to itself: claiming it.
			return t.Assignee == p.ID()
		}
		return p.Role == auth.CityAdmin || p.Role == auth.HallAdmin || p.Role == auth.UnitAdmin
	}
	return false
}

// Target is the case as the target of the case routes: received by its hall, of its responsible
// units, with a part for each unit of a joint case, and owned by its requester, its assigned
// helper and — while it is open — the staff member who filed it for a visitor.
func (c Case) Target() auth.Target {
	t := auth.Target{Units: c.Units}
	if c.HallID != "" {
		t.Halls = []string{c.HallID}
	}
	for _, st := range c.SubTasks {
		t.Parts = append(t.Parts, st.UnitID)
	}
	if c.RequesterSub != "" {
		t.Owners = append(t.Owners, c.RequesterSub)
	}
	if c.Assignee != "" {
		t.Owners = append(t.Owners, auth.StaffSubject(c.Assignee))
	}
	if c.FiledBy != "" && !c.State.Closed() {
		t.Owners = append(t.Owners, c.FiledBy)
	}
	return t
}

// SeesPersonalData reports whether p sees the case's personal data unmasked: only the requester
// and the assigned helper do.
func (c Case) SeesPersonalData(p auth.Principal) bool {
	return p.Is(c.RequesterSub) || p.IsHelper(c.Assignee)
}

// TimeOut takes an assigned case back from a helper who did not accept it within the team's push
// timeout; routing then offers it to someone else.
func (c Case) TimeOut(now time.Time, after time.Duration) (Case, Event, bool) {
	if c.State != Assigned || now.Sub(c.UpdatedAt) < after {
		return Case{}, Event{}, false
	}
	ev := Event{Seq: c.Version + 1, At: now, Actor: "supervision", Role: "system", From: Assigned, To: Received,
		Reason: fmt.Sprintf("not accepted within %s", after), Detail: "timed out: " + c.Assignee}
	if !slices.Contains(c.Declined, c.Assignee) {
		c.Declined = append(slices.Clone(c.Declined), c.Assignee)
	}
	c.State, c.Assignee, c.Version, c.UpdatedAt = Received, "", c.Version+1, now
	return c, ev, true
}

// Supervision levels (督办): who is told of an overdue case.
const (
	TeamLead  = 1
	UnitAdmin = 2
	City      = 3
)

// SupervisionLevel is how far an open case past its due time should have escalated: the team lead
// once it is overdue, the unit administrator after one more working day, the city after three.
func SupervisionLevel(overdueWorkingDays int, overdue bool) int {
	switch {
	case !overdue:
		return 0
	case overdueWorkingDays >= 3:
		return City
	case overdueWorkingDays >= 1:
		return UnitAdmin
	default:
		return TeamLead
	}
}

// Escalate raises supervision to level, the level the time overdue calls for: the steps follow
// from the thresholds of SupervisionLevel, so running again at the same time changes nothing, and
// a late run goes straight to where the case should be.
func (c Case) Escalate(level int, now time.Time) (Case, Event, bool) {
	if c.State.Closed() || c.SuperviseLevel >= level {
		return Case{}, Event{}, false
	}
	ev := Event{Seq: c.Version + 1, At: now, Actor: "supervision", Role: "system", From: c.State, To: c.State,
		Detail: fmt.Sprintf("overdue: supervision level %d → %d", c.SuperviseLevel, level)}
	c.SuperviseLevel, c.NoticePending, c.Version, c.UpdatedAt = level, level, c.Version+1, now
	return c, ev, true
}

// OpenSubTasks lists the units whose part of a joint case is not done.
func (c Case) OpenSubTasks() []string {
	var open []string
	for _, st := range c.SubTasks {
		if !st.Done {
			open = append(open, st.UnitID)
		}
	}
	return open
}

// CompleteSubTask records that unit finished its part of a joint case: staff of that unit, or the
// lead helper, may record it while the case is being handled.
func (c Case) CompleteSubTask(unit, note string, p auth.Principal, now time.Time) (Case, Event, error) {
	i := slices.IndexFunc(c.SubTasks, func(st SubTask) bool { return st.UnitID == unit })
	switch {
	case i < 0:
		return Case{}, Event{}, apperr.New(apperr.NotFound, "not_found", "unit %s has no part in this case", unit)
	case c.State != Accepted && c.State != InProgress:
		return Case{}, Event{}, apperr.New(apperr.Conflict, "invalid_transition", "a %s case has no parts to finish", c.State)
	case c.SubTasks[i].Done:
		return Case{}, Event{}, apperr.New(apperr.Conflict, "subtask_done", "unit %s's part is already done", unit)
	case len([]rune(note)) > MaxReason:
		return Case{}, Event{}, apperr.InvalidField("note", "is longer than %d characters", MaxReason)
	}
	ofUnit := p.UnitID == unit && (p.Role == auth.Helper || p.Role == auth.Clerk || p.Role == auth.UnitAdmin)
	lead := p.IsHelper(c.Assignee)
	if !ofUnit && !lead {
		return Case{}, Event{}, apperr.New(apperr.Forbidden, "forbidden", "only staff of unit %s or the lead helper finish its part", unit)
	}
	at := now
	c.SubTasks = slices.Clone(c.SubTasks)
	c.SubTasks[i] = SubTask{UnitID: unit, Done: true, DoneBy: p.Subject, DoneAt: &at, Note: strings.TrimSpace(note)}
	c.Version++
	c.UpdatedAt = now
	ev := Event{Seq: c.Version, At: now, Actor: p.Subject, Role: string(p.Role), From: c.State, To: c.State,
		Detail: "part of unit " + unit + " done", Reason: strings.TrimSpace(note)}
	return c, ev, nil
}
