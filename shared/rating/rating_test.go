package rating

import (
	"testing"
	"time"

	"banban/shared/apperr"
	"banban/shared/calendar"
)

var policy = Policy{Window: 7 * 24 * time.Hour, ClockSkew: 5 * time.Minute}

const goodID = "6f1c2a4e-8b7d-4c3e-9f0a-1b2c3d4e5f60"

func TestAcceptValidSubmission(t *testing.T) {
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	lv, at, err := policy.Accept(Submission{ID: goodID, Level: 4, RatedAt: "2026-11-28T17:59:00+08:00"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if lv != Satisfied || !at.Equal(now.Add(-time.Minute)) {
		t.Errorf("got level %d at %s", lv, at)
	}
}

func TestAcceptRefusesWithField(t *testing.T) {
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		sub   Submission
		field string
	}{
		{"upper-case id", Submission{ID: "6F1C2A4E-8B7D-4C3E-9F0A-1B2C3D4E5F60", Level: 5, RatedAt: "2026-11-28T10:00:00Z"}, "id"},
		{"no id", Submission{Level: 5, RatedAt: "2026-11-28T10:00:00Z"}, "id"},
		{"level 0", Submission{ID: goodID, Level: 0, RatedAt: "2026-11-28T10:00:00Z"}, "level"},
		{"level 6", Submission{ID: goodID, Level: 6, RatedAt: "2026-11-28T10:00:00Z"}, "level"},
		{"no time", Submission{ID: goodID, Level: 5}, "ratedAt"},
		{"no offset", Submission{ID: goodID, Level: 5, RatedAt: "2026-11-28T10:00:00"}, "ratedAt"},
		{"future", Submission{ID: goodID, Level: 5, RatedAt: "2026-11-28T10:06:00Z"}, "ratedAt"},
		{"too old", Submission{ID: goodID, Level: 5, RatedAt: "2026-11-21T09:59:59Z"}, "ratedAt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := policy.Accept(tt.sub, now)
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.Invalid || e.Field != tt.field {
				t.Fatalf("got %v, want invalid field %s", err, tt.field)
			}
		})
	}
}

func TestTallyGroupsByWindowAndShanghaiMonth(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	rs := []Rating{
		{WindowID: "w1", Level: 5, RatedAt: at("2026-10-31T16:00:00Z")}, // 2026-11-01 00:00 Shanghai
		{WindowID: "w1", Level: 5, RatedAt: at("2026-11-10T01:00:00Z")},
		{WindowID: "w1", Level: 1, RatedAt: at("2026-10-31T15:59:59Z")}, // October
		{WindowID: "w2", Level: 3, RatedAt: at("2026-11-10T01:00:00Z")},
	}
	got := Tally(rs)
	if len(got) != 3 {
		t.Fatalf("got %d counters: %v", len(got), got)
	}
	nov := got[CounterKey{WindowCounter, "w1", mustMonth(t, "2026-11")}].Counts
	if nov[VerySatisfied] != 2 || nov.Total() != 2 {
		t.Errorf("w1 November = %v", nov)
	}
	oct := got[CounterKey{WindowCounter, "w1", mustMonth(t, "2026-10")}].Counts
	if oct[VeryDissatisfied] != 1 || oct.Total() != 1 {
		t.Errorf("w1 October = %v", oct)
	}
	if w2 := got[CounterKey{WindowCounter, "w2", mustMonth(t, "2026-11")}].Counts; w2[BasicallySatisfied] != 1 {
		t.Errorf("w2 = %v", w2)
	}
}

func TestTallyCountsStaffCasesFlagsAndDefaultsApart(t *testing.T) {
	at := time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)
	nov := mustMonth(t, "2026-11")
	rs := []Rating{
		{Channel: ChannelKiosk, WindowID: "w1", UnitID: "u1", StaffID: "s1", Level: 5, RatedAt: at},
		{Channel: ChannelKiosk, WindowID: "w1", UnitID: "u1", StaffID: "s1", Level: 5, RatedAt: at, Flag: &Flag{Rule: RuleBurst}},
		{Channel: ChannelCase, UnitID: "u1", HallID: "h1", StaffID: "helper", Level: 2, RatedAt: at},
		{Channel: ChannelDefault, UnitID: "u1", StaffID: "helper", Level: 3, RatedAt: at},
	}
	got := Tally(rs)
	want := map[CounterKey]Figures{
		{WindowCounter, "w1", nov}:    {Counts: Counts{5: 1}, Flagged: 1},
		{StaffCounter, "s1", nov}:     {Counts: Counts{5: 1}, Flagged: 1},
		{StaffCounter, "helper", nov}: {Counts: Counts{2: 1}, Defaulted: 1},
		{UnitCases, "u1", nov}:        {Counts: Counts{2: 1}, Defaulted: 1},
		{HallCases, "h1", nov}:        {Counts: Counts{2: 1}},
	}
	if len(got) != len(want) {
		t.Fatalf("got counters %v, want %v", got, want)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%v = %+v, want %+v", k, got[k], w)
		}
	}
}

func TestCheckRefusesIncompleteRatings(t *testing.T) {
	ok := Rating{ID: goodID, Channel: ChannelKiosk, KioskID: "k", WindowID: "w", HallID: "h", UnitID: "u", Level: 3,
		RatedAt: time.Now(), ReceivedAt: time.Now()}
	if err := ok.Check(); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*Rating){
		"id":      func(r *Rating) { r.ID = "x" },
		"window":  func(r *Rating) { r.WindowID = "" },
		"kiosk":   func(r *Rating) { r.KioskID = "" },
		"unit":    func(r *Rating) { r.UnitID = "" },
		"channel": func(r *Rating) { r.Channel = "sms" },
		"case":    func(r *Rating) { r.Channel = ChannelCase }, // a case rating names no window or kiosk
		"level":   func(r *Rating) { r.Level = 9 },
		"time":    func(r *Rating) { r.RatedAt = time.Time{} },
	} {
		r := ok
		mutate(&r)
		if r.Check() == nil {
			t.Errorf("rating without a good %s passed", name)
		}
	}
	qr := ok
	qr.Channel, qr.KioskID = ChannelQR, ""
	caseRating := Rating{ID: goodID, Channel: ChannelCase, UnitID: "u", StaffID: "helper-1", Level: 5,
		RatedAt: time.Now(), ReceivedAt: time.Now()}
	for _, r := range []Rating{qr, caseRating} {
		if err := r.Check(); err != nil {
			t.Errorf("%s rating refused: %v", r.Channel, err)
		}
	}
}

func TestLevelNames(t *testing.T) {
	if VeryDissatisfied.Name() != "非常不满意" || VerySatisfied.Name() != "非常满意" {
		t.Error("level names do not follow the national standard")
	}
	if Level(0).Valid() || Level(6).Valid() || !Level(3).Valid() {
		t.Error("Valid is wrong at the edges")
	}
}

func mustMonth(t *testing.T, s string) calendar.Month {
	t.Helper()
	m, err := calendar.ParseMonth(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDetailsCleanTheOptionalParts(t *testing.T) {
	s := Submission{Tags: []string{"S01", "H02", "S01"}, Comment: "  等了很久，我的电话13800138000请回电 ", StaffID: "clerk-zb-a01", MatterCode: "SCJG-001", Ticket: "A-0123"}
	tags, comment, err := s.Details()
	if err != nil {
		t.Fatal(err)
	}
	if len(tags) != 2 || comment != "等了很久，我的电话***********请回电" {
		t.Errorf("tags %v, comment %q", tags, comment)
	}
	for field, bad := range map[string]Submission{
		"tags":       {Tags: []string{"X99"}},
		"comment":    {Comment: string(make([]rune, MaxComment+1))},
		"staffId":    {StaffID: "Clerk 1"},
		"matterCode": {MatterCode: "scjg"},
		"ticket":     {Ticket: "A 1"},
	} {
		if _, _, err := bad.Details(); func() string { e, _ := apperr.As(err); return e.Field }() != field {
			t.Errorf("bad %s: %v", field, err)
		}
	}
}

func TestBuckets(t *testing.T) {
	b, err := ParseBuckets("good=4,5;average=3;poor=1,2")
	if err != nil {
		t.Fatal(err)
	}
	s := b.Summarize(Counts{0, 1, 2, 3, 10, 84})
	if s.Good != 94 || s.Average != 3 || s.Poor != 3 || s.GoodRate != 0.94 {
		t.Errorf("summary %+v", s)
	}
	strict, err := ParseBuckets("good=5;average=3,4;poor=1,2")
	if err != nil || strict.Summarize(Counts{0, 0, 0, 0, 1, 1}).GoodRate != 0.5 {
		t.Errorf("strict buckets: %v", err)
	}
	if (Buckets{}).Summarize(Counts{}).GoodRate != 0 {
		t.Error("a rate without ratings")
	}
	for _, bad := range []string{"good=4,5;average=3", "good=4,5;average=3,4;poor=1,2", "good=6;average=3;poor=1,2,4,5", "best=5", "good"} {
		if _, err := ParseBuckets(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
