package cases

import (
	"strings"
	"testing"
	"time"

	"banban/shared/apperr"
	"banban/shared/calendar"
	"banban/shared/rating"
)

// closedCase is a mini-program case completed at 2026-11-20 23:30 Beijing time (15:30 UTC).
func closedCase() Case {
	closed := time.Date(2026, 11, 20, 23, 30, 0, 0, calendar.Shanghai)
	return Case{ID: "0b9a1d6e-58a8-4b8a-9d53-1f0c4f6f2a11", TrackingNo: "BB-2026-000123", State: Completed,
		Channel: MiniProgram, RequesterSub: "user-1", Assignee: "helper-1", Units: []string{"zc-swj", "zc-zrzy"},
		HallID: "zc-center", ClosedAt: &closed}
}

func code(err error) string {
	if e, ok := apperr.As(err); ok {
		return e.Code
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// Only the requester rates (the route's policy over Target, tested with the route); this is when.
func TestMayRateAClosedCaseOnceWithinTheWindow(t *testing.T) {
	rules := RatingRules{WindowDays: 7}
	in := time.Date(2026, 11, 22, 9, 0, 0, 0, calendar.Shanghai)
	rated := closedCase()
	at := in
	rated.RatedAt = &at
	unable, withdrawn, open := closedCase(), closedCase(), closedCase()
	unable.State, withdrawn.State, open.State = Unable, Withdrawn, InProgress
	cases := []struct {
		name string
		c    Case
		now  time.Time
		want string
	}{
		{"completed", closedCase(), in, ""},
		{"refused (unable)", unable, in, ""},
		{"withdrawn", withdrawn, in, "not_ratable"},
		{"still in progress", open, in, "not_ratable"},
		{"already rated", rated, in, "already_rated"},
		// Closed 11-20 late in the evening Beijing time (still 11-20 in UTC too, but 11-21 would be
		// wrong for a case closed at 00:30 +08): seven Beijing days, until 11-27 24:00 +08.
		{"last instant of the window", closedCase(), time.Date(2026, 11, 27, 23, 59, 59, 0, calendar.Shanghai), ""},
		{"window over at Beijing midnight", closedCase(), time.Date(2026, 11, 28, 0, 0, 0, 0, calendar.Shanghai), "rating_closed"},
		{"UTC afternoon of 11-27 is already 11-28 in Beijing", closedCase(), time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC), "rating_closed"},
	}
	for _, tc := range cases {
		if got := code(rules.MayRate(tc.c, tc.now)); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestRateByCountsBeijingDays(t *testing.T) {
	// Closed at 00:30 Beijing time on 11-21 (16:30 UTC on 11-20): its first day is 11-21.
	c := closedCase()
	closed := time.Date(2026, 11, 20, 16, 30, 0, 0, time.UTC)
	c.ClosedAt = &closed
	want := time.Date(2026, 11, 29, 0, 0, 0, 0, calendar.Shanghai)
	if got := (RatingRules{WindowDays: 7}).RateBy(c); !got.Equal(want) {
		t.Errorf("rate by %v, want %v", got, want)
	}
}

func TestNextStepInvitesRemindsOnceThenDefaultsAfterTheWindow(t *testing.T) {
	c := closedCase()
	closed := *c.ClosedAt
	rules := RatingRules{WindowDays: 7, ReminderDays: 3}
	step := func(r RatingRules, done RatingProgress, now time.Time) (RatingStep, time.Time) {
		return r.NextStep(c, done, now)
	}

	if s, due := step(rules, RatingProgress{}, closed); s != StepInvite || !due.Equal(closed) {
		t.Errorf("at closing: %s %v", s, due)
	}
	remind := closed.Add(72 * time.Hour)
	if s, due := step(rules, RatingProgress{Invited: true}, closed); s != StepRemind || !due.Equal(remind) {
		t.Errorf("after the invitation: %s %v", s, due)
	}
	if s, _ := step(rules, RatingProgress{Invited: true, Reminded: true}, remind); s != StepNone {
		t.Errorf("default off: after the reminder %s, want nothing", s)
	}
	// A run so late that the window is over sends neither invitation nor reminder.
	late := time.Date(2026, 11, 28, 0, 0, 0, 0, calendar.Shanghai)
	if s, _ := step(rules, RatingProgress{}, late); s != StepNone {
		t.Errorf("late run: %s, want nothing", s)
	}
	// The default: N days, but never before the window is over.
	on := RatingRules{WindowDays: 7, ReminderDays: 3, DefaultDays: 2}
	if s, due := step(on, RatingProgress{Invited: true, Reminded: true}, remind); s != StepDefault || !due.Equal(late) {
		t.Errorf("default with N < window: %s %v, want at %v", s, due, late)
	}
	on.DefaultDays = 15
	if s, due := step(on, RatingProgress{Invited: true, Reminded: true}, remind); s != StepDefault || !due.Equal(time.Date(2026, 12, 6, 0, 0, 0, 0, calendar.Shanghai)) {
		t.Errorf("default after 15 days: %s %v", s, due)
	}
	// A reminder that would fall after the window is not sent.
	if s, _ := step(RatingRules{WindowDays: 2, ReminderDays: 3}, RatingProgress{Invited: true}, closed); s != StepNone {
		t.Errorf("reminder after the window: %s", s)
	}
	// Rated: nothing more; a rating pending on the queue: re-send it.
	rated := c
	rated.RatedAt = &closed
	if s, _ := on.NextStep(rated, RatingProgress{}, late); s != StepNone {
		t.Errorf("rated case: %s", s)
	}
	if s, _ := on.NextStep(rated, RatingProgress{Pending: true}, late); s != StepResend {
		t.Errorf("pending rating: %s", s)
	}
	// Cases of staff-filed visitors and withdrawn cases are never followed up.
	visitor, withdrawn := c, c
	visitor.RequesterSub, withdrawn.State = "", Withdrawn
	for _, x := range []Case{visitor, withdrawn} {
		if s, _ := on.NextStep(x, RatingProgress{}, closed); s != StepNone {
			t.Errorf("%+v: %s", x, s)
		}
	}
}

func TestRatingOfNamesHelperUnitAndHallNeverTheCaseOrRequester(t *testing.T) {
	c := closedCase()
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, calendar.Shanghai)
	id := rating.CaseRatingID([]byte("k"), c.ID)
	r, err := RatingOf(c, id, rating.ChannelCase, rating.Satisfied, []string{"H01"}, "好", now, now)
	if err != nil {
		t.Fatal(err)
	}
	if r.StaffID != "helper-1" || r.UnitID != "zc-swj" || r.HallID != "zc-center" || r.WindowID != "" || r.KioskID != "" || r.Channel != rating.ChannelCase {
		t.Errorf("rating %+v", r)
	}
	for _, v := range []string{r.ID, r.Ticket, r.MatterCode, r.Comment} {
		if strings.Contains(v, c.ID) || strings.Contains(v, c.RequesterSub) || strings.Contains(v, c.TrackingNo) {
			t.Errorf("the rating names the case or its requester: %+v", r)
		}
	}
	noHelper := c
	noHelper.Assignee = ""
	if _, err := RatingOf(noHelper, id, rating.ChannelDefault, rating.BasicallySatisfied, nil, "", now, now); code(err) != "not_ratable" {
		t.Errorf("a case without helper: %v", err)
	}
}
