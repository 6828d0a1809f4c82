// Package routing finds the right helper (帮办员) for a case: the team at the right level and
// place, helpers whose skills cover every matter, on duty now by their weekly schedule and the
// working-day calendar, and below capacity; among them the least loaded relative to capacity, ties
// to the one idle longest, then a stable order. With no candidate the case overflows up the
// ladder grid → town/street → district → city. Pure Go: the DynamoDB adapter reserves capacity.
package routing

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"banban/shared/apperr"
	"banban/shared/auth"
	"banban/shared/calendar"
	"banban/shared/cases"
	"banban/shared/catalog"
	"banban/shared/directory"
)

// Status is a helper's own availability.
type Status string

// The statuses a helper sets.
const (
	OnDuty Status = "on_duty"
	Away   Status = "away"
	Off    Status = "off"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return s == OnDuty || s == Away || s == Off }

// Shift is a daily working period in Asia/Shanghai, minutes after midnight: [From, To).
type Shift struct {
	Weekday time.Weekday `json:"weekday"`
	From    int          `json:"from"`
	To      int          `json:"to"`
}

// Helper is a helper's routing profile.
type Helper struct {
	ID       string          `json:"id"` // the staff id
	Name     string          `json:"name"`
	Level    directory.Level `json:"level"`
	UnitID   string          `json:"unitId"`
	HallID   string          `json:"hallId,omitempty"`
	District string          `json:"district"` // "city" for city-level teams
	Grids    []string        `json:"grids,omitempty"`
	Domains  []string        `json:"domains,omitempty"` // skills by domain
	Matters  []string        `json:"matters,omitempty"` // skills by matter code
	Capacity int             `json:"capacity"`          // most active cases at once
	Schedule []Shift         `json:"schedule"`          // a working day's shifts; adjusted working days use their weekday's pattern
	Status   Status          `json:"status"`
	Active   int             `json:"active"`         // cases held now
	LastAt   time.Time       `json:"lastAssignedAt"` // when the helper last got a case
	Lead     bool            `json:"lead,omitempty"` // may lead joint cases (联合代办)
	// OnCall helpers also work on rest days and holidays by their shifts for that weekday
	// (halls that stay open at weekends, 周末不打烊).
	OnCall bool `json:"onCall,omitempty"`
}

// Need is what a case asks of its helper.
type Need struct {
	Level    directory.Level
	District string
	Grid     string
	Matters  []Matter
}

// Matter is a matter of the case, with its domain.
type Matter struct {
	Code   string
	Domain string
}

// Covers reports whether the helper's skills cover every matter.
func (h Helper) Covers(ms []Matter) bool {
	for _, m := range ms {
		if !slices.Contains(h.Matters, m.Code) && !slices.Contains(h.Domains, m.Domain) {
			return false
		}
	}
	return true
}

// Serves reports whether the helper's team is at the need's level and place.
func (h Helper) Serves(n Need) bool {
	if h.Level != n.Level {
		return false
	}
	switch n.Level {
	case directory.City:
		return true
	case directory.Community:
		return h.District == n.District && n.Grid != "" && slices.Contains(h.Grids, n.Grid)
	default:
		return h.District == n.District
	}
}

// slot is a moment as schedules see it: whether it is a working day, which weekday's pattern
// applies, and the minute of the day, all in Asia/Shanghai. It is computed once per decision.
type slot struct {
	working bool
	weekday time.Weekday // the pattern that applies on a working day
	actual  time.Weekday // the calendar weekday, for on-call shifts on rest days
	minute  int
}

func slotOf(t time.Time, cal *calendar.Calendar) slot {
	d := calendar.DateOf(t)
	actual := d.Weekday()
	wd := actual
	// An adjusted working weekend day (调休上班) follows Monday's pattern, as offices plan it.
	if wd == time.Saturday || wd == time.Sunday {
		wd = time.Monday
	}
	local := t.In(calendar.Shanghai)
	return slot{working: cal.IsWorkingDay(d), weekday: wd, actual: actual, minute: local.Hour()*60 + local.Minute()}
}

// OnDutyAt reports whether the helper works at t: status on duty, t on a working day of cal and
// within one of the helper's shifts for that weekday.
func (h Helper) OnDutyAt(t time.Time, cal *calendar.Calendar) bool {
	return h.onDuty(slotOf(t, cal))
}

func (h Helper) onDuty(s slot) bool {
	if h.Status != OnDuty || (!s.working && !h.OnCall) {
		return false
	}
	day := s.weekday
	if !s.working {
		day = s.actual
	}
	for _, sh := range h.Schedule {
		if sh.Weekday == day && s.minute >= sh.From && s.minute < sh.To {
			return true
		}
	}
	return false
}

// Candidates filters helpers down to those who may take the case now, pointing into hs.
func Candidates(hs []Helper, n Need, at time.Time, cal *calendar.Calendar) []*Helper {
	s := slotOf(at, cal)
	var out []*Helper
	for i := range hs {
		h := &hs[i]
		if h.Active < h.Capacity && h.Serves(n) && h.onDuty(s) && h.Covers(n.Matters) {
			out = append(out, h)
		}
	}
	return out
}

// Rule is how a team chooses among its candidates; each team may set its own.
type Rule string

// The choice rules.
const (
	// LeastLoaded (the default): least active relative to capacity, then idle longest, then id.
	LeastLoaded Rule = "least-loaded"
	// LongestIdle: the one idle longest, then least loaded, then id — spreads cases evenly in
	// time across a team of equal helpers.
	LongestIdle Rule = "longest-idle"
)

// Valid reports whether r is a known rule.
func (r Rule) Valid() bool { return r == LeastLoaded || r == LongestIdle }

// Rank orders candidates in place by the rule (LeastLoaded when empty). The first is the choice;
// the rest are fall-backs when its capacity was taken meanwhile.
func Rank(cs []*Helper, rule Rule) []*Helper {
	load := func(a, b *Helper) int { // compares a.Active/a.Capacity with b's, without division
		return a.Active*b.Capacity - b.Active*a.Capacity
	}
	idle := func(a, b *Helper) int { return a.LastAt.Compare(b.LastAt) }
	first, second := load, idle
	if rule == LongestIdle {
		first, second = idle, load
	}
	sort.Slice(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if c := first(a, b); c != 0 {
			return c < 0
		}
		if c := second(a, b); c != 0 {
			return c < 0
		}
		return a.ID < b.ID
	})
	return cs
}

// Ladder is the order of levels a case overflows through.
var Ladder = []directory.Level{directory.Community, directory.Town, directory.District, directory.City}

// Up returns the level above l, and false at the top.
func Up(l directory.Level) (directory.Level, bool) {
	i := slices.Index(Ladder, l)
	if i < 0 || i == len(Ladder)-1 {
		return "", false
	}
	return Ladder[i+1], true
}

// Check validates a profile an administrator submits.
func (h Helper) Check() error {
	switch {
	case h.Name == "" || len([]rune(h.Name)) > 50:
		return apperr.InvalidField("name", "is required, at most 50 characters")
	case !h.Level.Valid():
		return apperr.InvalidField("level", "must be city, district, town or community")
	case h.Level != directory.City && directory.Districts[h.District] == "":
		return apperr.InvalidField("district", "is not a district of the city")
	case h.Level == directory.Community && len(h.Grids) == 0:
		return apperr.InvalidField("grids", "a community (grid) helper serves at least one grid")
	case h.Capacity < 1 || h.Capacity > 50:
		return apperr.InvalidField("capacity", "must be 1 to 50 active cases")
	case !h.Status.Valid():
		return apperr.InvalidField("status", "must be on_duty, away or off")
	case len(h.Domains) == 0 && len(h.Matters) == 0:
		return apperr.InvalidField("domains", "name the helper's skills: domains or matter codes")
	}
	for _, s := range h.Schedule {
		if s.Weekday < time.Sunday || s.Weekday > time.Saturday || s.From < 0 || s.To > 24*60 || s.From >= s.To {
			return apperr.InvalidField("schedule", "each shift has a weekday 0–6 and 0 ≤ from < to ≤ 1440 minutes")
		}
	}
	return nil
}

// Target is the helper as the target of a route: of its hall and unit, owned by its staff account.
func (h Helper) Target() auth.Target {
	t := auth.Target{Units: []string{h.UnitID}, Owners: []string{auth.StaffSubject(h.ID)}}
	if h.HallID != "" {
		t.Halls = []string{h.HallID}
	}
	return t
}

// NeedOf is what case c asks of a helper, given the catalogue's records of its matters: immediate
// and joint cases are handled at the receiving hall's level; a transfer goes to the level of the
// responsible unit's matter (转办).
func NeedOf(c cases.Case, matters []catalog.Matter) Need {
	n := Need{Level: directory.Level(c.ReceivingLvl), District: c.District, Grid: c.Grid}
	for _, m := range matters {
		n.Matters = append(n.Matters, Matter{Code: m.Code, Domain: m.Domain})
		if c.Mode == cases.Transfer {
			n.Level = m.Level
		}
	}
	return n
}

// MayTake says why helper h may not take a case of need n (nil when it may), whoever assigns it:
// a joint case (联合代办) needs a lead helper; the helper's team must be on the case's ladder — at
// its level or one it overflows to — and serve its place; the helper's skills must cover every
// matter. Capacity and duty hours are routing's choice, not eligibility: an administrator may
// assign a case to a helper who is busy or off.
func (h Helper) MayTake(n Need, joint bool) error {
	at := n
	at.Level = h.Level
	switch {
	case joint && !h.Lead:
		return fmt.Errorf("helper %s does not lead joint cases", h.ID)
	case slices.Index(Ladder, h.Level) < slices.Index(Ladder, n.Level):
		return fmt.Errorf("helper %s works at the %s level, below the case's %s level", h.ID, h.Level, n.Level)
	case !h.Serves(at):
		return fmt.Errorf("helper %s's team does not serve the case's district or grid", h.ID)
	case !h.Covers(n.Matters):
		return fmt.Errorf("helper %s's skills do not cover the case's matters", h.ID)
	}
	return nil
}
