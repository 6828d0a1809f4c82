package scoring

import (
	"testing"

	"banban/shared/calendar"
	"banban/shared/directory"
	"banban/shared/rating"
)

func rules(t *testing.T) Rules {
	t.Helper()
	r, err := CurrentRules()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var nov = calendar.Month{Year: 2026, Month: 11}

func counts(levels ...int64) rating.Counts {
	var c rating.Counts
	for i, n := range levels {
		c[i+1] = n
	}
	return c
}

func input() Input {
	w := func(id, hall, unit string) directory.Window {
		return directory.Window{ID: id, HallID: hall, UnitID: unit, Number: id, Name: "窗口 " + id}
	}
	key := func(k rating.CounterKind, id string) rating.CounterKey {
		return rating.CounterKey{Kind: k, ID: id, Month: nov}
	}
	return Input{
		Month:   nov,
		Units:   []directory.Unit{{ID: "u1", Name: "市场监管局"}, {ID: "u2", Name: "人社局"}, {ID: "u3", Name: "无评价单位"}},
		Halls:   []directory.Hall{{ID: "h1", Name: "市民中心"}},
		Windows: []directory.Window{w("a1", "h1", "u1"), w("a2", "h1", "u1"), w("b1", "h1", "u2"), w("b2", "h1", "u2"), w("c1", "h1", "u3")},
		Staff:   []Person{{ID: "s1", Name: "赵丽", UnitID: "u1", HallID: "h1"}},
		Helpers: []Person{{ID: "p1", Name: "王帮办", UnitID: "u2"}},
		Figures: map[rating.CounterKey]rating.Figures{
			// 200 counted, all very satisfied: full marks.
			key(rating.WindowCounter, "a1"): {Counts: counts(0, 0, 0, 0, 200), Flagged: 4, Appealed: 1},
			// 50 counted: 45 good, 3 average, 2 poor; 4 rectifications in time, 1 overdue.
			key(rating.WindowCounter, "a2"): {Counts: counts(1, 1, 3, 15, 30), Rectified: 4, Overdue: 1},
			// 5 counted, all good: provisional.
			key(rating.WindowCounter, "b1"): {Counts: counts(0, 0, 0, 0, 5)},
			// The same score and count as a1: they share a rank in the hall.
			key(rating.WindowCounter, "b2"): {Counts: counts(0, 0, 0, 0, 200)},
			key(rating.UnitCases, "u2"):     {Counts: counts(0, 0, 0, 1, 1), Defaulted: 3},
			key(rating.StaffCounter, "s1"):  {Counts: counts(0, 0, 0, 0, 20)},
			key(rating.StaffCounter, "p1"):  {Counts: counts(0, 0, 0, 1, 1)},
		},
		Cases: map[string]HelperCases{"p1": {Completed: 20, SLAMet: 18}},
	}
}

func find(t *testing.T, list []Score, id string) Score {
	t.Helper()
	for _, s := range list {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("%s not scored", id)
	return Score{}
}

func TestScoresByTheRules(t *testing.T) {
	rep, err := Compute(input(), rules(t), rating.DefaultBuckets)
	if err != nil {
		t.Fatal(err)
	}
	a1 := find(t, rep.Windows, "a1")
	if a1.Score != 100 || a1.Grade != "优秀" || a1.Provisional || a1.Flagged != 4 || a1.Appealed != 1 || a1.Counted != 200 {
		t.Errorf("a1 %+v", a1)
	}
	// a2: 70 × 45/50 = 63, volume 10 × 50/100 = 5, rectification 20 × 4/5 = 16 → 84,
	// less 2 poor × 2, 3 average × 0.5 and 1 overdue × 5 = 10.5 → 73.5.
	a2 := find(t, rep.Windows, "a2")
	if a2.Score != 73.5 || a2.Grade != "合格" || a2.Opened != 5 || a2.Rectified != 4 || a2.Overdue != 1 || !a2.BlueList || a2.RedList {
		t.Errorf("a2 %+v", a2)
	}
	if b1 := find(t, rep.Windows, "b1"); !b1.Provisional || b1.RedList {
		t.Errorf("b1 %+v", b1)
	}
	// A window without ratings has no score and is no one's best.
	if c1 := find(t, rep.Windows, "c1"); c1.Score != 0 || c1.Counted != 0 || c1.RankInHall != 5 || c1.BlueList || c1.RedList {
		t.Errorf("c1 %+v", c1)
	}
	// a1 and b2 tie for first in the hall; the red list takes both (top 3, score ≥ 95, no poor).
	b2 := find(t, rep.Windows, "b2")
	if a1.RankInHall != 1 || b2.RankInHall != 1 || find(t, rep.Windows, "b1").RankInHall != 3 || !a1.RedList || !b2.RedList {
		t.Errorf("hall ranks a1 %d b2 %d", a1.RankInHall, b2.RankInHall)
	}
	if a1.RankInUnit != 1 || a2.RankInUnit != 2 {
		t.Errorf("unit ranks a1 %d a2 %d", a1.RankInUnit, a2.RankInUnit)
	}
	// Units roll up their windows and case ratings; defaults stay apart.
	u2 := find(t, rep.Units, "u2")
	if u2.Counted != 207 || u2.Defaulted != 3 {
		t.Errorf("u2 %+v", u2)
	}
	if u3 := find(t, rep.Units, "u3"); u3.Counted != 0 || u3.Score != 0 {
		t.Errorf("a unit with no ratings %+v", u3)
	}
	if h1 := find(t, rep.Halls, "h1"); h1.Counted != 455 || h1.Flagged != 4 {
		t.Errorf("h1 %+v", h1)
	}
	if rep.City.Counted != 457 {
		t.Errorf("city counted %d", rep.City.Counted)
	}
	// The helper: 50 × 2/2 good, 40 × 18/20 SLA, 10 × 20/20 volume = 96.
	if p1 := find(t, rep.Helpers, "p1"); p1.Score != 96 || p1.Cases == nil || p1.Cases.SLAMet != 18 {
		t.Errorf("p1 %+v", p1)
	}
	if rep.RulesVersion == "" || rep.Hash == "" {
		t.Errorf("report %q %q", rep.RulesVersion, rep.Hash)
	}
}

func TestSameFiguresSameHash(t *testing.T) {
	a, err := Compute(input(), rules(t), rating.DefaultBuckets)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Compute(input(), rules(t), rating.DefaultBuckets)
	if err != nil {
		t.Fatal(err)
	}
	if a.Hash != b.Hash {
		t.Error("the same figures hash differently")
	}
	changed := input()
	k := rating.CounterKey{Kind: rating.WindowCounter, ID: "a2", Month: nov}
	f := changed.Figures[k]
	f.Counts[1]-- // an upheld appeal took a poor rating out
	f.Appealed++
	changed.Figures[k] = f
	c, err := Compute(changed, rules(t), rating.DefaultBuckets)
	if err != nil {
		t.Fatal(err)
	}
	if c.Hash == a.Hash || find(t, c.Windows, "a2").Score <= find(t, a.Windows, "a2").Score {
		t.Error("an upheld appeal changed neither the hash nor the score")
	}
}

func TestEmptyMonth(t *testing.T) {
	in := input()
	in.Figures = nil
	rep, err := Compute(in, rules(t), rating.DefaultBuckets)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range rep.Windows {
		if w.Counted != 0 || w.Score != 0 || w.RedList || w.BlueList || w.RankInHall != 1 {
			t.Errorf("empty month window %+v", w)
		}
	}
}

func TestParseRulesRefusesInconsistentRules(t *testing.T) {
	for name, doc := range map[string]string{
		"no version": "points: {goodRate: 70, volume: 10, rectification: 20}",
		"points":     "version: x\npoints: {goodRate: 70, volume: 10, rectification: 10}",
		"grades": `version: x
points: {goodRate: 70, volume: 10, rectification: 20}
helper: {goodRate: 50, slaMet: 40, volume: 10, volumeTarget: 20}
volumeTarget: 100
grades: [{name: a, min: 50}, {name: b, min: 60}, {name: c, min: 0}]`,
	} {
		if _, err := ParseRules([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
