package agentrouting_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"banban/local/demo"
	"banban/local/stacktest"
	"banban/local/testenv"
	"banban/shared/auth"
	"banban/shared/calendar"
	"banban/shared/cases"
	"banban/shared/directory"
	"banban/shared/dynamo"
	"banban/shared/handler/agentrouting"
	"banban/shared/pii"
	"banban/shared/routing"
)

var ctx = context.Background()

// a working Friday morning in Zibo
var now = time.Date(2026, 11, 27, 10, 0, 0, 0, calendar.Shanghai)

var weekdays = func() []routing.Shift {
	var s []routing.Shift
	for d := time.Monday; d <= time.Friday; d++ {
		s = append(s, routing.Shift{Weekday: d, From: 8*60 + 30, To: 17*60 + 30})
	}
	return s
}()

type fixture struct {
	h       *agentrouting.Handler
	cases   *dynamo.Cases
	helpers *dynamo.Helpers
}

type discard struct{}

func (discard) Send(context.Context, any) error { return nil }

func setup(t *testing.T) *fixture {
	t.Helper()
	env := stacktest.Provision(t)
	db := testenv.DynamoDB(t)
	root := testenv.RepoRoot(t)
	dir := &dynamo.Directory{DB: db, Table: env.Table(t, "DirectoryTable")}
	if err := demo.LoadCalendars(ctx, root, dir); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.LoadCatalog(ctx, root, dynamo.NewCatalog(db, env.Table(t, "CatalogTable"), time.Now)); err != nil {
		t.Fatal(err)
	}
	cfg := agentrouting.Config{CasesTable: env.Table(t, "CasesTable"), HelpersTable: env.Table(t, "HelpersTable"),
		CatalogTable: env.Table(t, "CatalogTable"), DirectoryTable: env.Table(t, "DirectoryTable"), CaseEventsQueue: env.QueueURL(t, "CaseEventsQueue")}
	h := agentrouting.New(cfg, db, testenv.SQS(t), func() time.Time { return now }, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	h.Events = discard{} // the event queue is exercised end to end elsewhere
	master := make([]byte, 32)
	if _, err := rand.Read(master); err != nil {
		t.Fatal(err)
	}
	store := &dynamo.Cases{DB: db, Table: cfg.CasesTable, PII: &pii.Protector{Keys: pii.LocalKeys{Master: master}, HashKey: []byte("k")}}
	return &fixture{h: h, cases: store, helpers: &dynamo.Helpers{DB: db, Table: cfg.HelpersTable, CasesTable: cfg.CasesTable}}
}

func (f *fixture) newCase(t *testing.T, matter string, mode cases.Mode, level directory.Level) cases.Case {
	t.Helper()
	c := cases.Case{ID: uuid.NewString(), TrackingNo: "BB-2026-000001", Version: 1, State: cases.Received, Mode: mode,
		Channel: cases.Hall, Kind: cases.Person, Matters: []string{matter}, District: "zichuan", ReceivingLvl: string(level),
		HallID: "zc-center", Units: []string{"zc-xzsp"}, FiledBy: "clerk-1", CreatedAt: now, UpdatedAt: now, DueAt: now.Add(72 * time.Hour)}
	if err := f.cases.Create(ctx, c, cases.Event{Seq: 1, At: now, Actor: "clerk", To: cases.Received}); err != nil {
		t.Fatal(err)
	}
	return c
}

func helper(id string, level directory.Level, capacity int) routing.Helper {
	return routing.Helper{ID: id, Name: "帮办员" + id, Level: level, UnitID: "zc-xzsp", District: "zichuan",
		Domains: []string{"social-security", "tax", "enterprise"}, Capacity: capacity, Schedule: weekdays, Status: routing.OnDuty}
}

// TestCapacityIsNeverExceededUnderConcurrentRedeliveries: 300 cases for 20 helpers of capacity 5,
// every event delivered twice, routed by 8 parallel consumers → 100 assigned, each helper at 5
// at most at every instant, no case assigned twice, the other 200 flagged in the city queue.
func TestCapacityIsNeverExceededUnderConcurrentRedeliveries(t *testing.T) {
	f := setup(t)
	for i := range 20 {
		if err := f.helpers.Put(ctx, helper(fmt.Sprintf("h%02d", i), directory.District, 5)); err != nil {
			t.Fatal(err)
		}
	}
	var msgs []cases.Message
	for range 300 {
		c := f.newCase(t, "SW-006", cases.Immediate, directory.District)
		m := cases.MessageOf(cases.EventCreated, c)
		msgs = append(msgs, m, m) // every event redelivered
	}
	mrand.Shuffle(len(msgs), func(i, j int) { msgs[i], msgs[j] = msgs[j], msgs[i] })

	var maxSeen atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() { // watch the counters while routing runs
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			default:
			}
			for i := range 20 {
				h, err := f.helpers.Get(ctx, fmt.Sprintf("h%02d", i))
				if err == nil && int64(h.Active) > maxSeen.Load() {
					maxSeen.Store(int64(h.Active))
				}
			}
		}
	}()
	var wg sync.WaitGroup
	next := make(chan cases.Message)
	errs := make(chan error, len(msgs))
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range next {
				if err := f.h.Route(ctx, m); err != nil {
					errs <- err
				}
			}
		}()
	}
	for _, m := range msgs {
		next <- m
	}
	close(next)
	wg.Wait()
	close(stop)
	<-sampled
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if maxSeen.Load() > 5 {
		t.Fatalf("a helper held %d cases", maxSeen.Load())
	}
	total := 0
	for i := range 20 {
		h, err := f.helpers.Get(ctx, fmt.Sprintf("h%02d", i))
		if err != nil {
			t.Fatal(err)
		}
		if h.Active != 5 {
			t.Errorf("%s holds %d cases", h.ID, h.Active)
		}
		total += h.Active
		mine, _, err := f.cases.List(ctx, dynamo.ByAssignee(h.ID), "", 100)
		if err != nil || len(mine) != h.Active {
			t.Errorf("%s: %d cases listed for %d held (%v)", h.ID, len(mine), h.Active, err)
		}
	}
	assigned, overflowed := 0, 0
	seen := map[string]bool{}
	for i := range msgs {
		if seen[msgs[i].CaseID] {
			continue
		}
		seen[msgs[i].CaseID] = true
		c, err := f.cases.Peek(ctx, msgs[i].CaseID)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case c.State == cases.Assigned && c.Overflow == "":
			assigned++
		case c.State == cases.Received && c.Overflow == "city":
			overflowed++
		default:
			t.Errorf("case %s ended %s overflow=%q", c.ID, c.State, c.Overflow)
		}
	}
	if assigned != 100 || overflowed != 200 || total != 100 {
		t.Errorf("assigned %d, overflowed %d, held %d", assigned, overflowed, total)
	}
}

func TestReleaseGivesCapacityBackOnce(t *testing.T) {
	f := setup(t)
	if err := f.helpers.Put(ctx, helper("solo", directory.District, 1)); err != nil {
		t.Fatal(err)
	}
	a := f.newCase(t, "SW-006", cases.Immediate, directory.District)
	b := f.newCase(t, "SW-006", cases.Immediate, directory.District)
	for _, c := range []cases.Case{a, b} {
		if err := f.h.Route(ctx, cases.MessageOf(cases.EventCreated, c)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := f.cases.Peek(ctx, a.ID)
	if err != nil || got.Assignee != "solo" {
		t.Fatalf("first case %+v %v", got, err)
	}
	// The visitor withdraws case a through the clerk who filed it: capacity comes back, twice-delivered.
	w, ev, err := got.Apply(cases.Transition{To: cases.Withdrawn, Version: got.Version}, auth.Principal{Subject: "clerk-1", Role: auth.Clerk}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.cases.Update(ctx, w, ev); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := f.h.Route(ctx, cases.MessageOf(cases.EventChanged, w)); err != nil {
			t.Fatal(err)
		}
	}
	if h, _ := f.helpers.Get(ctx, "solo"); h.Active != 0 {
		t.Fatalf("active %d after release", h.Active)
	}
	// Case b overflowed; supervision's reroute now finds the helper free.
	bb, err := f.cases.Peek(ctx, b.ID)
	if err != nil || bb.Overflow != "city" {
		t.Fatalf("second case %+v %v", bb, err)
	}
	m := cases.MessageOf(cases.EventReroute, bb)
	if err := f.h.Route(ctx, m); err != nil {
		t.Fatal(err)
	}
	if bb, _ = f.cases.Peek(ctx, b.ID); bb.Assignee != "solo" {
		t.Errorf("rerouted case %+v", bb)
	}
}

func TestOverflowClimbsTheLadderAndSkillsMatter(t *testing.T) {
	f := setup(t)
	// No district helper knows agriculture; the city team's does.
	if err := f.helpers.Put(ctx, helper("district-tax", directory.District, 5)); err != nil {
		t.Fatal(err)
	}
	city := helper("city-agri", directory.City, 5)
	city.District, city.Domains = "city", []string{"agriculture"}
	if err := f.helpers.Put(ctx, city); err != nil {
		t.Fatal(err)
	}
	off := helper("district-agri-off", directory.District, 5)
	off.Domains, off.Status = []string{"agriculture"}, routing.Away
	if err := f.helpers.Put(ctx, off); err != nil {
		t.Fatal(err)
	}
	c := f.newCase(t, "NY-001", cases.Immediate, directory.District)
	if err := f.h.Route(ctx, cases.MessageOf(cases.EventCreated, c)); err != nil {
		t.Fatal(err)
	}
	got, err := f.cases.Peek(ctx, c.ID)
	if err != nil || got.Assignee != "city-agri" {
		t.Errorf("routed to %q (%v), want the city team's agriculture helper", got.Assignee, err)
	}
}
