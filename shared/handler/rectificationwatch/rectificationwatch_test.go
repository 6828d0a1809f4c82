package rectificationwatch_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/uuid"

	"banban/local/demo"
	"banban/local/stacktest"
	"banban/local/testenv"
	"banban/shared/auth"
	"banban/shared/calendar"
	"banban/shared/dynamo"
	"banban/shared/handler/rectificationwatch"
	"banban/shared/rating"
	"banban/shared/rectification"
)

var ctx = context.Background()

type fixture struct {
	tickets *dynamo.Rectifications
	watch   *rectificationwatch.Handler
	clock   *time.Time
	sqs     *sqs.Client
	queue   string
	db      *dynamodb.Client
}

// opened is when the fixture's ratings arrive: Thursday 2026-10-15, 10:00 in Zibo.
var opened = time.Date(2026, 10, 15, 10, 0, 0, 0, calendar.Shanghai)

func setup(t *testing.T) *fixture {
	t.Helper()
	env := stacktest.Provision(t)
	db, q := testenv.DynamoDB(t), testenv.SQS(t)
	years, err := demo.ReadCalendars(testenv.RepoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	cal, err := calendar.New(years...)
	if err != nil {
		t.Fatal(err)
	}
	buckets, err := rating.ParseBuckets("good=4,5;average=3;poor=1,2")
	if err != nil {
		t.Fatal(err)
	}
	clock := opened
	cfg := rectificationwatch.Config{RatingsTable: env.Table(t, "RatingsTable"), NotificationsQueue: env.QueueURL(t, "NotificationsQueue")}
	f := &fixture{tickets: &dynamo.Rectifications{DB: db, Table: cfg.RatingsTable}, clock: &clock, sqs: q, queue: cfg.NotificationsQueue, db: db,
		watch: rectificationwatch.New(cfg, db, q, func() time.Time { return clock }, slog.New(slog.NewJSONHandler(io.Discard, nil)))}
	// The ingest's own store opens the tickets, as evaluation-ingest does.
	ratings := &dynamo.Ratings{DB: db, Table: cfg.RatingsTable, Now: func() time.Time { return clock },
		Rectify: func(_ context.Context, r rating.Rating) (rectification.Ticket, bool, error) {
			return rectification.OpenFor(r, cal, 5, clock), rectification.Needs(r, buckets), nil
		}}
	f.record(t, ratings)
	return f
}

// The fixture's ratings: a poor one left unanswered, an average one answered and verified in
// time, a good one (no ticket).
var unanswered, verified, good = uuid.NewString(), uuid.NewString(), uuid.NewString()

func (f *fixture) record(t *testing.T, ratings *dynamo.Ratings) {
	t.Helper()
	var rs []rating.Rating
	for id, level := range map[string]rating.Level{unanswered: 2, verified: 3, good: 5} {
		rs = append(rs, rating.Rating{ID: id, KioskID: "kiosk-zb-a01", WindowID: "zb-a01", HallID: "zb-center", UnitID: "zb-scjg",
			Level: level, RatedAt: opened.Add(-time.Minute), ReceivedAt: opened, Channel: rating.ChannelKiosk,
			Comment: "窗口人员态度差"})
	}
	if res, err := ratings.Record(ctx, rs); err != nil || len(res.Stored) != 3 {
		t.Fatalf("record: %+v %v", res, err)
	}
}

func (f *fixture) run(t *testing.T) rectificationwatch.Result {
	t.Helper()
	res, err := f.watch.Handle(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// notices takes every notice off the notifications queue.
func (f *fixture) notices(t *testing.T) []rectificationwatch.Notice {
	t.Helper()
	var all []rectificationwatch.Notice
	for {
		out, err := f.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &f.queue, MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
			return all
		}
		for _, m := range out.Messages {
			if _, err := f.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &f.queue, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(aws.ToString(m.Body), "态度") {
				t.Errorf("a notice carries the rater's comment: %s", aws.ToString(m.Body))
			}
			var n rectificationwatch.Notice
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &n); err != nil {
				t.Fatal(err)
			}
			all = append(all, n)
		}
	}
}

func ids(ns []rectificationwatch.Notice) []string {
	out := make([]string, 0, len(ns))
	for _, n := range ns {
		out = append(out, n.ID)
	}
	return out
}

func (f *fixture) ticket(t *testing.T, id string) rectification.Ticket {
	t.Helper()
	tk, err := f.tickets.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

var (
	unitAdmin = auth.Principal{Subject: "unit-admin-scjg", Role: auth.UnitAdmin, UnitID: "zb-scjg"}
	city      = auth.Principal{Subject: "city-admin", Role: auth.CityAdmin}
)

func TestAnOpenedTicketIsNotifiedOnceAndAnOverdueOneMarkedAndNotifiedOnce(t *testing.T) {
	f := setup(t)
	if _, err := f.tickets.Get(ctx, good); err == nil {
		t.Fatal("a good rating opened a ticket")
	}

	// An hour after the ratings: each ticket's unit hears of it, once.
	*f.clock = opened.Add(time.Hour)
	for i, want := range []rectificationwatch.Result{{Notices: 2}, {}} {
		if res := f.run(t); res != want {
			t.Fatalf("run %d after opening: %+v", i+1, res)
		}
	}
	ns := f.notices(t)
	if got := ids(ns); len(got) != 2 || got[0] > got[1] ||
		!strings.Contains(strings.Join(got, " "), "rect:"+unanswered+":opened:unit_admin") ||
		!strings.Contains(strings.Join(got, " "), "rect:"+verified+":opened:unit_admin") {
		t.Fatalf("opening notices %v", got)
	}
	if n := ns[0]; n.Type != "rectification.opened" || n.Recipient != auth.UnitAdmin || n.UnitID != "zb-scjg" || n.WindowID != "zb-a01" ||
		n.HallID != "zb-center" || n.DueAt.IsZero() || n.RespondBy.IsZero() || n.OverdueAt != nil {
		t.Errorf("opening notice %+v", n)
	}

	// The unit answers one ticket the same day and the city verifies it.
	tk := f.ticket(t, verified)
	tk, err := tk.Respond(unitAdmin, "窗口高峰期人手不足", "增开一个窗口", opened.Add(2*time.Hour))
	if err == nil {
		tk, err = f.tickets.Update(ctx, tk)
	}
	if err == nil {
		tk, err = tk.Review(city, true, "", opened.Add(3*time.Hour))
	}
	if err == nil {
		_, err = f.tickets.Update(ctx, tk)
	}
	if err != nil {
		t.Fatal(err)
	}

	// A day after the other ticket was due: its first response and its measures are late. The
	// first run fails to send (the queue is down): the marks are kept, the notices stay pending.
	due := f.ticket(t, unanswered).DueAt
	*f.clock = due.Add(24 * time.Hour)
	real := f.watch.Notices
	f.watch.Notices = failing{}
	if res, err := f.watch.Handle(ctx, nil); err == nil || res.Marked != 1 || res.Notices != 0 {
		t.Fatalf("run with the queue down: %+v %v", res, err)
	}
	late := f.ticket(t, unanswered)
	if late.OverdueAt == nil || !late.OverdueAt.Equal(*f.clock) || late.ResponseLateAt == nil || late.State != rectification.Open {
		t.Fatalf("not marked: %+v", late)
	}
	f.watch.Notices = real
	for i, want := range []rectificationwatch.Result{{Notices: 3}, {}} {
		if res := f.run(t); res != want {
			t.Fatalf("run %d after the due day: %+v", i+1, res)
		}
	}
	*f.clock = due.Add(10 * 24 * time.Hour) // a late run, long after
	if res := f.run(t); res != (rectificationwatch.Result{}) {
		t.Fatalf("a late run: %+v", res)
	}
	ns = f.notices(t)
	want := []string{"rect:" + unanswered + ":overdue:city_admin", "rect:" + unanswered + ":overdue:unit_admin", "rect:" + unanswered + ":response_late:unit_admin"}
	if got := ids(ns); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("late notices %v, want %v", got, want)
	}
	for _, n := range ns {
		if strings.Contains(n.ID, "overdue") && (n.Type != "rectification.overdue" || n.OverdueAt == nil || !n.OverdueAt.Equal(*late.OverdueAt)) {
			t.Errorf("overdue notice %+v", n)
		}
	}

	// The verified ticket was never marked.
	if v := f.ticket(t, verified); v.OverdueAt != nil || v.ResponseLateAt != nil || v.State != rectification.Verified {
		t.Errorf("verified ticket %+v", v)
	}
	// The overdue ticket may still be answered and verified, and stays recorded as overdue.
	late = f.ticket(t, unanswered)
	late, err = late.Respond(unitAdmin, "查明原因", "已整改", *f.clock)
	if err == nil {
		late, err = f.tickets.Update(ctx, late)
	}
	if err == nil {
		late, err = late.Review(city, true, "", *f.clock)
	}
	if err == nil {
		late, err = f.tickets.Update(ctx, late)
	}
	if err != nil {
		t.Fatal(err)
	}
	if got := f.ticket(t, unanswered); got.State != rectification.Verified || got.OverdueAt == nil {
		t.Errorf("verified overdue ticket %+v", got)
	}
	// Nothing is left for the watch: the index holds no ticket any more.
	if left, err := f.tickets.Watch(ctx, due.Add(365*24*time.Hour), 100); err != nil || len(left) != 0 {
		t.Errorf("still watched: %v %v", left, err)
	}
	if res := f.run(t); res != (rectificationwatch.Result{}) || len(f.notices(t)) != 0 {
		t.Errorf("a run after everything: %+v", res)
	}
	// For scoring, the window's month holds one ticket rectified in time and one left overdue
	// (answered and verified late, so not rectified in time), each counted once.
	k := rating.CounterKey{Kind: rating.WindowCounter, ID: "zb-a01", Month: calendar.MonthOf(opened)}
	figs, err := (&dynamo.Ratings{DB: f.tickets.DB, Table: f.tickets.Table, Now: time.Now}).Figures(ctx, []rating.CounterKey{k})
	if err != nil {
		t.Fatal(err)
	}
	if got := figs[k]; got.Rectified != 1 || got.Overdue != 1 {
		t.Errorf("window outcomes: rectified %d, overdue %d; want 1 and 1", got.Rectified, got.Overdue)
	}
}

type failing struct{}

func (failing) Send(context.Context, any) error { return errors.New("queue unavailable") }
