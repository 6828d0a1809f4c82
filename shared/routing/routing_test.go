package routing

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"banban/shared/calendar"
	"banban/shared/directory"
)

func cal2026(t *testing.T) *calendar.Calendar {
	t.Helper()
	raw, err := os.ReadFile("../../data/calendar/2026.json")
	if err != nil {
		t.Fatal(err)
	}
	var y calendar.Year
	if err := json.Unmarshal(raw, &y); err != nil {
		t.Fatal(err)
	}
	c, err := calendar.New(y)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func weekdays() []Shift {
	var s []Shift
	for d := time.Monday; d <= time.Friday; d++ {
		s = append(s, Shift{Weekday: d, From: 8*60 + 30, To: 12 * 60}, Shift{Weekday: d, From: 13*60 + 30, To: 17*60 + 30})
	}
	return s
}

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Shanghai)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestScheduleAcrossHolidaysAndAdjustedDays(t *testing.T) {
	c := cal2026(t)
	h := Helper{Status: OnDuty, Schedule: weekdays()}
	tests := map[string]bool{
		"2026-11-27 10:00": true,  // an ordinary Friday morning
		"2026-11-27 12:30": false, // lunch break
		"2026-11-27 17:30": false, // the shift has ended
		"2026-11-28 10:00": false, // Saturday
		"2026-10-01 10:00": false, // 国庆, a Thursday
		"2026-10-08 10:00": true,
		"2026-10-10 10:00": true,  // Saturday worked for 国庆 (调休上班)
		"2026-09-20 09:00": true,  // Sunday worked
		"2026-06-19 10:00": false, // 端午, a Friday
	}
	for s, want := range tests {
		if got := h.OnDutyAt(at(t, s), c); got != want {
			t.Errorf("%s: on duty %v, want %v", s, got, want)
		}
	}
	h.Status = Away
	if h.OnDutyAt(at(t, "2026-11-27 10:00"), c) {
		t.Error("an away helper is on duty")
	}
	weekend := Helper{Status: OnDuty, OnCall: true, Schedule: []Shift{{Weekday: time.Saturday, From: 9 * 60, To: 12 * 60}}}
	if !weekend.OnDutyAt(at(t, "2026-11-28 10:00"), c) || weekend.OnDutyAt(at(t, "2026-11-28 13:00"), c) {
		t.Error("an on-call helper's Saturday shift is not honoured")
	}
	if weekend.OnDutyAt(at(t, "2026-10-10 10:00"), c) {
		t.Error("on an adjusted working Saturday the Monday pattern applies, not the Saturday shift")
	}
}

func TestServesAndCovers(t *testing.T) {
	grid := Helper{Level: directory.Community, District: "zichuan", Grids: []string{"zc-g1"}}
	if !grid.Serves(Need{Level: directory.Community, District: "zichuan", Grid: "zc-g1"}) ||
		grid.Serves(Need{Level: directory.Community, District: "zichuan", Grid: "zc-g2"}) ||
		grid.Serves(Need{Level: directory.District, District: "zichuan"}) {
		t.Error("grid helper serves the wrong cases")
	}
	city := Helper{Level: directory.City, District: "city"}
	if !city.Serves(Need{Level: directory.City, District: "boshan"}) {
		t.Error("a city helper does not serve every district")
	}
	h := Helper{Domains: []string{"tax"}, Matters: []string{"NY-001"}}
	if !h.Covers([]Matter{{"SW-001", "tax"}, {"NY-001", "agriculture"}}) || h.Covers([]Matter{{"NY-002", "agriculture"}}) {
		t.Error("skills coverage is wrong")
	}
}

// TestRankProperties checks the choice rule on random teams: the first ranked has the least load
// relative to capacity; among equals, the one idle longest; then the smallest id; and Candidates
// never lets through a helper who is full, off duty, unskilled or elsewhere.
func TestRankProperties(t *testing.T) {
	c := cal2026(t)
	now := at(t, "2026-11-27 10:00")
	r := rand.New(rand.NewPCG(1, 2))
	need := Need{Level: directory.District, District: "zichuan", Matters: []Matter{{"SW-001", "tax"}}}
	for round := range 500 {
		var team []Helper
		for i := range 1 + r.IntN(30) {
			capacity := 1 + r.IntN(6)
			h := Helper{ID: fmt.Sprintf("h%02d", i), Level: directory.District, District: "zichuan", Domains: []string{"tax"},
				Capacity: capacity, Active: r.IntN(capacity + 1), Status: OnDuty, Schedule: weekdays(),
				LastAt: now.Add(-time.Duration(r.IntN(4)) * time.Hour)}
			switch r.IntN(8) {
			case 0:
				h.Status = Off
			case 1:
				h.Domains = []string{"agriculture"}
			case 2:
				h.District = "boshan"
			}
			team = append(team, h)
		}
		cands := Candidates(team, need, now, c)
		for _, h := range cands {
			if h.Active >= h.Capacity || h.Status != OnDuty || h.District != "zichuan" || !h.Covers(need.Matters) {
				t.Fatalf("round %d: candidate %+v", round, h)
			}
		}
		ranked := Rank(cands, LeastLoaded)
		for i := 1; i < len(ranked); i++ {
			a, b := ranked[i-1], ranked[i]
			la, lb := float64(a.Active)/float64(a.Capacity), float64(b.Active)/float64(b.Capacity)
			switch {
			case la > lb:
				t.Fatalf("round %d: %s (%.2f) ranked before %s (%.2f)", round, a.ID, la, b.ID, lb)
			case la == lb && a.LastAt.After(b.LastAt):
				t.Fatalf("round %d: %s idle less than %s but ranked first", round, a.ID, b.ID)
			case la == lb && a.LastAt.Equal(b.LastAt) && a.ID > b.ID:
				t.Fatalf("round %d: unstable order %s, %s", round, a.ID, b.ID)
			}
		}
	}
}

func TestLadder(t *testing.T) {
	l, ok := Up(directory.Community)
	for _, want := range []directory.Level{directory.Town, directory.District, directory.City} {
		if !ok || l != want {
			t.Fatalf("up: %s %v, want %s", l, ok, want)
		}
		l, ok = Up(l)
	}
	if ok {
		t.Error("there is a level above the city")
	}
}

func BenchmarkRouteDecision5000Helpers(b *testing.B) {
	c, err := calendar.New()
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, calendar.Shanghai)
	r := rand.New(rand.NewPCG(3, 4))
	team := make([]Helper, 5000)
	for i := range team {
		team[i] = Helper{ID: fmt.Sprintf("h%04d", i), Level: directory.District, District: "zichuan",
			Domains: []string{"tax", "enterprise", "social-security"}, Capacity: 5, Active: r.IntN(6), Status: OnDuty,
			Schedule: weekdays(), LastAt: now.Add(-time.Duration(r.IntN(1000)) * time.Minute)}
	}
	need := Need{Level: directory.District, District: "zichuan", Matters: []Matter{{"SW-001", "tax"}, {"SCJG-005", "enterprise"}}}
	b.ReportAllocs()
	for b.Loop() {
		if len(Rank(Candidates(team, need, now, c), LeastLoaded)) == 0 {
			b.Fatal("no candidate")
		}
	}
}

func TestLongestIdleRule(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, calendar.Shanghai)
	busyButIdle := &Helper{ID: "a", Capacity: 5, Active: 4, LastAt: now.Add(-3 * time.Hour)}
	freeButRecent := &Helper{ID: "b", Capacity: 5, Active: 0, LastAt: now.Add(-time.Minute)}
	if got := Rank([]*Helper{busyButIdle, freeButRecent}, LeastLoaded)[0].ID; got != "b" {
		t.Errorf("least-loaded chose %s", got)
	}
	if got := Rank([]*Helper{freeButRecent, busyButIdle}, LongestIdle)[0].ID; got != "a" {
		t.Errorf("longest-idle chose %s", got)
	}
	if Rule("random").Valid() || !LongestIdle.Valid() {
		t.Error("rule validity")
	}
}
