package supervision_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
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
)

var ctx = context.Background()

// collector keeps what the job sends, standing in for the queues (which the e2e tests exercise).
type collector struct {
	mu   sync.Mutex
	sent []string
}

func (c *collector) Send(_ context.Context, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.sent = append(c.sent, string(b))
	c.mu.Unlock()
	return nil
}

func TestTimeoutsAndEscalationAreIdempotent(t *testing.T) {
	env := stacktest.Provision(t)
	db := testenv.DynamoDB(t)
	dir := &dynamo.Directory{DB: db, Table: env.Table(t, "DirectoryTable")}
	if err := demo.LoadCalendars(ctx, testenv.RepoRoot(t), dir); err != nil {
		t.Fatal(err)
	}
	master := make([]byte, 32)
	if _, err := rand.Read(master); err != nil {
		t.Fatal(err)
	}
	store := &dynamo.Cases{DB: db, Table: env.Table(t, "CasesTable"), PII: &pii.Protector{Keys: pii.LocalKeys{Master: master}, HashKey: []byte("k")}}
	// Thursday 2026-10-15, 10:00: the first working day after 国庆 was 10-08.
	now := time.Date(2026, 10, 15, 10, 0, 0, 0, calendar.Shanghai)
	mk := func(state cases.State, assignee string, updated, due time.Time) cases.Case {
		c := cases.Case{ID: uuid.NewString(), TrackingNo: "BB-2026-000009", Version: 2, State: state, Mode: cases.Immediate,
			Channel: cases.Hall, Kind: cases.Person, Matters: []string{"SW-006"}, District: "zichuan", ReceivingLvl: "district",
			HallID: "zc-center", Units: []string{"zc-swj"}, Assignee: assignee, CreatedAt: updated, UpdatedAt: updated, DueAt: due,
			Personal: cases.Personal{Name: "张三", Mobile: "13800138000"}}
		if err := store.Create(ctx, c, cases.Event{Seq: 2, At: updated, Actor: "x", To: state}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	late := mk(cases.Assigned, "helper-1", now.Add(-45*time.Minute), now.Add(72*time.Hour))
	fresh := mk(cases.Assigned, "helper-2", now.Add(-10*time.Minute), now.Add(72*time.Hour))
	// Due at the end of 2026-09-30: working days after it up to 10-15 are 10-08…10-15 (6).
	overdue := mk(cases.InProgress, "helper-3", now.Add(-20*24*time.Hour), time.Date(2026, 9, 30, 23, 59, 0, 0, calendar.Shanghai))
	dueToday := mk(cases.Accepted, "helper-4", now.Add(-24*time.Hour), now.Add(-time.Hour))

	events, notices := &collector{}, &collector{}
	clock := now
	h, err := supervision.New(ctx, supervision.Config{CasesTable: store.Table, DirectoryTable: dir.Table, CaseEventsQueue: "unused",
		NotificationsQueue: "unused", AcceptTimeout: 30 * time.Minute}, db, nil, pii.LocalKeys{Master: master}, func() time.Time { return clock },
		slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	h.Events, h.Notices = events, notices

	res, err := h.Handle(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.TimedOut != 1 || res.Escalated != 2 || res.Notices != 2 {
		t.Fatalf("first run %+v", res)
	}
	got, err := store.Peek(ctx, late.ID)
	if err != nil || got.State != cases.Received || got.Assignee != "" || len(got.Declined) != 1 || got.Declined[0] != "helper-1" {
		t.Errorf("timed-out case %+v %v", got, err)
	}
	if p, _, err := store.Get(ctx, late.ID); err != nil || p.Personal.Name != "张三" {
		t.Errorf("supervision touched personal data: %+v %v", p.Personal, err)
	}
	if got, _ := store.Peek(ctx, fresh.ID); got.State != cases.Assigned {
		t.Errorf("a case assigned 10 minutes ago timed out")
	}
	if got, _ := store.Peek(ctx, overdue.ID); got.SuperviseLevel != cases.City || got.NoticePending != 0 {
		t.Errorf("six working days overdue: level %d, pending %d", got.SuperviseLevel, got.NoticePending)
	}
	if got, _ := store.Peek(ctx, dueToday.ID); got.SuperviseLevel != cases.TeamLead {
		t.Errorf("overdue today: level %d", got.SuperviseLevel)
	}
	if len(events.sent) != 1 || len(notices.sent) != 2 {
		t.Fatalf("sent %d events, %d notices", len(events.sent), len(notices.sent))
	}

	// Run again at the same time, and late: nothing new for the same facts.
	for range 2 {
		res, err := h.Handle(ctx, nil)
		if err != nil || res != (supervision.Result{}) {
			t.Fatalf("second run %+v %v", res, err)
		}
	}
	// A working day later the case due today reaches the unit administrator, once.
	clock = now.Add(24 * time.Hour) // Friday 10-16
	res, err = h.Handle(ctx, nil)
	if err != nil || res.Escalated != 1 || res.Notices != 1 {
		t.Fatalf("next day %+v %v", res, err)
	}
	if got, _ := store.Peek(ctx, dueToday.ID); got.SuperviseLevel != cases.UnitAdmin {
		t.Errorf("one working day overdue: level %d", got.SuperviseLevel)
	}
	var last supervision.Notice
	if err := json.Unmarshal([]byte(notices.sent[len(notices.sent)-1]), &last); err != nil || last.Recipient != "unit_admin" || last.CaseID != dueToday.ID {
		t.Errorf("notice %+v %v", last, err)
	}
	for _, n := range notices.sent {
		if len(n) == 0 || containsAny(n, "张三", "13800138000") {
			t.Errorf("a notice carries personal data: %s", n)
		}
	}
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func TestQueuedCasesAreReroutedPriorityFirst(t *testing.T) {
	env := stacktest.Provision(t)
	db := testenv.DynamoDB(t)
	master := make([]byte, 32)
	if _, err := rand.Read(master); err != nil {
		t.Fatal(err)
	}
	store := &dynamo.Cases{DB: db, Table: env.Table(t, "CasesTable"), PII: &pii.Protector{Keys: pii.LocalKeys{Master: master}, HashKey: []byte("k")}}
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, calendar.Shanghai)
	var ids []string
	for i, priority := range []bool{false, false, true, false} {
		at := now.Add(time.Duration(i) * time.Minute)
		c := cases.Case{ID: uuid.NewString(), Version: 1, State: cases.Received, Mode: cases.Immediate, Channel: cases.Hall,
			Kind: cases.Person, Matters: []string{"SW-006"}, District: "zichuan", ReceivingLvl: "district", Priority: priority,
			CreatedAt: at, UpdatedAt: at, DueAt: at.Add(72 * time.Hour)}
		if err := store.Create(ctx, c, cases.Event{Seq: 1, At: at, To: cases.Received}); err != nil {
			t.Fatal(err)
		}
		if err := store.Overflow(ctx, c, "city", cases.Event{Seq: 2, At: at, To: cases.Received}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	dir := &dynamo.Directory{DB: db, Table: env.Table(t, "DirectoryTable")}
	events := &collector{}
	h, err := supervision.New(ctx, supervision.Config{CasesTable: store.Table, DirectoryTable: dir.Table, AcceptTimeout: 30 * time.Minute},
		db, nil, store.PII.Keys, func() time.Time { return now }, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	h.Events, h.Notices = events, &collector{}
	res, err := h.Handle(ctx, nil)
	if err != nil || res.Rerouted != 4 {
		t.Fatalf("run %+v %v", res, err)
	}
	want := []string{ids[2], ids[0], ids[1], ids[3]} // the priority case first, then the oldest
	for i, raw := range events.sent {
		var m cases.Message
		if err := json.Unmarshal([]byte(raw), &m); err != nil || m.CaseID != want[i] || m.Type != cases.EventReroute {
			t.Errorf("reroute %d: %s", i, raw)
		}
	}
}
