package supervision_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"banban/local/demo"
	"banban/local/stacktest"
	"banban/local/testenv"
	"banban/shared/calendar"
	"banban/shared/cases"
	"banban/shared/dynamo"
	"banban/shared/handler/supervision"
	"banban/shared/pii"
	"banban/shared/rating"
)

type ratingFixture struct {
	t       *testing.T
	h       *supervision.Handler
	store   *dynamo.Cases
	notices *collector
	ratings *collector
	now     time.Time
}

func newRatingFixture(t *testing.T, cfg supervision.Config) *ratingFixture {
	env := stacktest.Provision(t)
	db := testenv.DynamoDB(t)
	master := make([]byte, 32)
	if _, err := rand.Read(master); err != nil {
		t.Fatal(err)
	}
	f := &ratingFixture{t: t, notices: &collector{}, ratings: &collector{}}
	f.store = &dynamo.Cases{DB: db, Table: env.Table(t, "CasesTable"), PII: &pii.Protector{Keys: pii.LocalKeys{Master: master}, HashKey: []byte("k")}}
	dir := &dynamo.Directory{DB: db, Table: env.Table(t, "DirectoryTable")}
	if err := demo.LoadCalendars(ctx, testenv.RepoRoot(t), dir); err != nil {
		t.Fatal(err)
	}
	cfg.CasesTable, cfg.DirectoryTable, cfg.AcceptTimeout = f.store.Table, dir.Table, 30*time.Minute
	h, err := supervision.New(ctx, cfg, db, nil, pii.LocalKeys{Master: master}, func() time.Time { return f.now },
		slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	h.Events, h.Notices, h.Rater.Queue = &collector{}, f.notices, f.ratings
	f.h = h
	return f
}

// closedAt is when the fixture's cases close: 2026-11-20 23:30 Beijing time.
var closedAt = time.Date(2026, 11, 20, 23, 30, 0, 0, calendar.Shanghai)

func (f *ratingFixture) closed(state cases.State, requester string) cases.Case {
	closed := closedAt
	c := cases.Case{ID: uuid.NewString(), TrackingNo: "BB-2026-000321", Version: 5, State: state, Mode: cases.Immediate,
		Channel: cases.MiniProgram, Kind: cases.Person, RequesterSub: requester, Matters: []string{"SW-006"}, District: "zichuan",
		ReceivingLvl: "district", HallID: "zc-center", Units: []string{"zc-swj"}, Assignee: "helper-1",
		CreatedAt: closed.Add(-48 * time.Hour), UpdatedAt: closed, DueAt: closed.Add(72 * time.Hour), ClosedAt: &closed,
		Personal: cases.Personal{Name: "张三", Mobile: "13800138000"}}
	if requester == "" {
		c.Channel, c.FiledBy = cases.Hall, "clerk-1"
	}
	if err := f.store.Create(ctx, c, cases.Event{Seq: 5, At: closed, Actor: "helper-1", To: state}); err != nil {
		f.t.Fatal(err)
	}
	return c
}

// at runs one supervision round at t.
func (f *ratingFixture) at(t time.Time) supervision.Result {
	f.t.Helper()
	f.now = t
	res, err := f.h.Handle(ctx, nil)
	if err != nil {
		f.t.Fatalf("round at %v: %v", t, err)
	}
	return res
}

func (f *ratingFixture) sentNotices() []supervision.RatingNotice {
	var out []supervision.RatingNotice
	for _, raw := range f.notices.sent {
		var n supervision.RatingNotice
		if err := json.Unmarshal([]byte(raw), &n); err != nil {
			f.t.Fatal(err)
		}
		if containsAny(raw, "张三", "13800138000") {
			f.t.Errorf("a notice carries personal data: %s", raw)
		}
		out = append(out, n)
	}
	return out
}

func TestInvitationAndOneReminderAcrossReRunsAndLateRuns(t *testing.T) {
	f := newRatingFixture(t, supervision.Config{RatingWindowDays: 7, RatingReminderDays: 3})
	done := f.closed(cases.Completed, "user-1")
	refused := f.closed(cases.Unable, "user-2")
	f.closed(cases.Withdrawn, "user-3") // withdrawn: never invited
	f.closed(cases.Completed, "")       // a visitor served by staff rates at the kiosk
	for _, at := range []time.Time{closedAt.Add(5 * time.Minute), closedAt.Add(10 * time.Minute)} {
		f.at(at)
	}
	invites := f.sentNotices()
	if len(invites) != 2 {
		t.Fatalf("invitations %+v", invites)
	}
	subjects := map[string]string{}
	for _, n := range invites {
		subjects[n.CaseID] = n.Subject
		if n.Type != "rating.invitation" || n.ID != n.CaseID+":rating.invitation" || n.Recipient != "requester" ||
			!n.RateBy.Equal(time.Date(2026, 11, 28, 0, 0, 0, 0, calendar.Shanghai)) {
			t.Errorf("invitation %+v", n)
		}
	}
	if subjects[done.ID] != "user-1" || subjects[refused.ID] != "user-2" {
		t.Errorf("invitations went to %v", subjects)
	}
	// The requester of the refused case rates it; the other is reminded once, whatever the runs.
	if err := f.h.Rater.Give(ctx, refused, mustRating(t, f, refused, rating.ChannelCase, rating.Satisfied), "h", closedAt.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	f.at(closedAt.Add(71 * time.Hour))
	if n := len(f.sentNotices()); n != 2 {
		t.Errorf("%d notices before the reminder is due", n)
	}
	for _, at := range []time.Time{closedAt.Add(72 * time.Hour), closedAt.Add(72*time.Hour + 5*time.Minute), closedAt.Add(100 * time.Hour)} {
		f.at(at)
	}
	all := f.sentNotices()
	if len(all) != 3 || all[2].Type != "rating.reminder" || all[2].CaseID != done.ID || all[2].ID != done.ID+":rating.reminder" {
		t.Errorf("notices %+v", all)
	}
	// The default rule is off by default: after the window nothing is rated for the requester.
	if res := f.at(closedAt.Add(30 * 24 * time.Hour)); res.DefaultRatings != 0 {
		t.Errorf("default off: %+v", res)
	}
	if len(f.ratings.sent) != 1 { // the refused case's real rating only
		t.Errorf("ratings sent %v", f.ratings.sent)
	}
}

func mustRating(t *testing.T, f *ratingFixture, c cases.Case, channel string, level rating.Level) rating.Rating {
	r, err := cases.RatingOf(c, f.h.Rater.ID(c.ID), channel, level, nil, "", f.now, f.now)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestALateRunAfterTheWindowSendsNoInvitation(t *testing.T) {
	f := newRatingFixture(t, supervision.Config{RatingWindowDays: 7, RatingReminderDays: 3})
	f.closed(cases.Completed, "user-1")
	if res := f.at(closedAt.Add(9 * 24 * time.Hour)); res.Invitations+res.Reminders != 0 || len(f.notices.sent) != 0 {
		t.Errorf("late run %+v", res)
	}
}

func TestDefaultRatingWhenOnAndTheRealRatingWinsWhenFirst(t *testing.T) {
	f := newRatingFixture(t, supervision.Config{RatingWindowDays: 7, RatingReminderDays: 3, DefaultRatingDays: 10})
	silent := f.closed(cases.Completed, "user-1")
	rated := f.closed(cases.Unable, "user-2")
	f.at(closedAt.Add(time.Minute))
	f.now = closedAt.Add(2 * time.Hour)
	real := mustRating(t, f, rated, rating.ChannelCase, rating.VeryDissatisfied)
	if err := f.h.Rater.Give(ctx, rated, real, "h", f.now); err != nil {
		t.Fatal(err)
	}
	// Before the tenth Beijing day is over, no default.
	if res := f.at(time.Date(2026, 11, 30, 23, 59, 0, 0, calendar.Shanghai)); res.DefaultRatings != 0 {
		t.Errorf("default too early: %+v", res)
	}
	due := time.Date(2026, 12, 1, 0, 0, 0, 0, calendar.Shanghai)
	for _, at := range []time.Time{due, due.Add(5 * time.Minute), due.Add(24 * time.Hour)} {
		f.at(at)
	}
	if len(f.ratings.sent) != 2 {
		t.Fatalf("ratings sent %v", f.ratings.sent)
	}
	var def rating.Rating
	if err := json.Unmarshal([]byte(f.ratings.sent[1]), &def); err != nil {
		t.Fatal(err)
	}
	if def.ID != f.h.Rater.ID(silent.ID) || def.Channel != rating.ChannelDefault || def.Level != rating.BasicallySatisfied ||
		!def.RatedAt.Equal(due) || def.StaffID != "helper-1" || def.Check() != nil {
		t.Errorf("default rating %+v", def)
	}
	if containsAny(f.ratings.sent[1], silent.ID, "user-1") {
		t.Errorf("the default rating names the case or requester: %s", f.ratings.sent[1])
	}
	// The requester can no longer rate the defaulted case: its mark is taken.
	late := mustRating(t, f, silent, rating.ChannelCase, rating.VerySatisfied)
	if err := f.h.Rater.Give(ctx, silent, late, "h", due.Add(time.Hour)); err == nil {
		t.Error("a rating after the default was taken")
	}
	c, _, err := f.store.PeekRating(ctx, silent.ID)
	if err != nil || c.RatedAt == nil || !c.DefaultRated {
		t.Errorf("defaulted case %+v %v", c, err)
	}
}

// failingQueue is a ratings queue that is down.
type failingQueue struct{}

func (failingQueue) Send(ctx context.Context, v any) error { return io.ErrUnexpectedEOF }

func TestAPendingRatingIsSentAgainOnce(t *testing.T) {
	f := newRatingFixture(t, supervision.Config{RatingWindowDays: 7, RatingReminderDays: 3})
	c := f.closed(cases.Completed, "user-1")
	f.now = closedAt.Add(time.Hour)
	r := mustRating(t, f, c, rating.ChannelCase, rating.Satisfied)
	f.h.Rater.Queue = failingQueue{}
	if err := f.h.Rater.Give(ctx, c, r, "h", f.now); err == nil {
		t.Fatal("the queue is down, yet the rating was sent")
	}
	f.h.Rater.Queue = f.ratings
	for _, at := range []time.Time{closedAt.Add(2 * time.Hour), closedAt.Add(3 * time.Hour), closedAt.Add(80 * time.Hour)} {
		f.at(at)
	}
	if len(f.ratings.sent) != 1 || !containsAny(f.ratings.sent[0], r.ID) {
		t.Errorf("ratings sent %v", f.ratings.sent)
	}
	for _, n := range f.sentNotices() {
		if n.Type == "rating.reminder" {
			t.Errorf("a rated case was reminded: %+v", n)
		}
	}
}
