package dynamo_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"banban/local/demo"
	"banban/local/stacktest"
	"banban/local/testenv"
	"banban/shared/apperr"
	"banban/shared/calendar"
	"banban/shared/dynamo"
	"banban/shared/opengov"
)

func dataSets(t *testing.T) *dynamo.DataSets {
	env := stacktest.Provision(t)
	return &dynamo.DataSets{DB: testenv.DynamoDB(t), Table: env.Table(t, "OpenGovTable"), Now: time.Now}
}

func TestDataSetsPublishAndLoad(t *testing.T) {
	s := dataSets(t)
	if _, _, err := s.Load(ctx, opengov.KindPlaces); apperr.KindOf(err) != apperr.NotFound {
		t.Fatalf("before any import: %v", err)
	}
	// The demo places are larger than one chunk item would hold uncompressed.
	recs, err := demo.ReadOpenGov(testenv.RepoRoot(t), opengov.KindPlaces)
	if err != nil {
		t.Fatal(err)
	}
	v1, err := s.Publish(ctx, recs)
	if err != nil {
		t.Fatal(err)
	}
	got, raw, err := s.Load(ctx, opengov.KindPlaces)
	if err != nil || got != v1 {
		t.Fatalf("load: %s %v, want %s", got, err, v1)
	}
	var back []opengov.Place
	if err := json.Unmarshal(raw, &back); err != nil || !slices.EqualFunc(back, recs.([]opengov.Place), func(a, b opengov.Place) bool {
		return a.ID == b.ID && a.Location == b.Location && slices.Equal(a.Timetable, b.Timetable)
	}) {
		t.Fatalf("places changed on the way: %v", err)
	}
	// A new version replaces the old one; the guides set is independent.
	small := []opengov.Place{recs.([]opengov.Place)[0]}
	v2, err := s.Publish(ctx, small)
	if err != nil || v2 == v1 {
		t.Fatalf("second publish: %s %v", v2, err)
	}
	if v, err := s.Version(ctx, opengov.KindPlaces); err != nil || v != v2 {
		t.Errorf("version %s %v, want %s", v, err, v2)
	}
	if _, raw, err := s.Load(ctx, opengov.KindPlaces); err != nil || strings.Count(string(raw), `"id"`) != 1 {
		t.Errorf("after the second publish: %v", err)
	}
	if _, err := s.Version(ctx, opengov.KindGuides); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("guides: %v", err)
	}
	// An invalid set is refused before anything is written.
	bad := []opengov.Place{small[0], small[0]}
	if _, err := s.Publish(ctx, bad); err == nil {
		t.Error("duplicate ids were published")
	}
	if v, _ := s.Version(ctx, opengov.KindPlaces); v != v2 {
		t.Errorf("a refused publish moved the pointer to %s", v)
	}
}

// Two imports racing from the same version: one wins, the other is told and changes nothing.
func TestDataSetsConcurrentPublish(t *testing.T) {
	s := dataSets(t)
	qs := []opengov.QA{{ID: "q1", Question: "社保怎么交？", Answer: "按月缴纳。", Category: "社保"}}
	if _, err := s.Publish(ctx, qs); err != nil {
		t.Fatal(err)
	}
	const n = 4
	errs := make(chan error, n)
	for i := range n {
		go func() {
			q := slices.Clone(qs)
			q[0].Answer = fmt.Sprintf("第%d版答复。", i)
			_, err := s.Publish(ctx, q)
			errs <- err
		}()
	}
	won := 0
	for range n {
		err := <-errs
		switch {
		case err == nil:
			won++
		case apperr.Is(err, "concurrent_import"):
		default:
			t.Errorf("publish: %v", err)
		}
	}
	if won < 1 {
		t.Errorf("%d publishes won", won)
	}
	if _, raw, err := s.Load(ctx, opengov.KindFAQ); err != nil || !strings.Contains(string(raw), "版答复") {
		t.Errorf("after the race: %s %v", raw, err)
	}
}

func TestFAQAsksCountsPerMonth(t *testing.T) {
	env := stacktest.Provision(t)
	a := &dynamo.FAQAsks{DB: testenv.DynamoDB(t), Table: env.Table(t, "FaqAsksTable")}
	nov, err := calendar.ParseMonth("2026-11")
	if err != nil {
		t.Fatal(err)
	}
	for id, n := range map[string]int{"qa-a": 3, "qa-b": 5, "qa-c": 1, "qa-d": 3} {
		for range n {
			if err := a.Ask(ctx, nov, id); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := a.Ask(ctx, nov.Next(), "qa-c"); err != nil {
		t.Fatal(err)
	}
	top, err := a.Top(ctx, nov, 3)
	want := []dynamo.Asked{{"qa-b", 5}, {"qa-a", 3}, {"qa-d", 3}}
	if err != nil || !slices.Equal(top, want) {
		t.Errorf("November top: %v %v, want %v", top, err, want)
	}
	if top, err := a.Top(ctx, nov.Next(), 10); err != nil || !slices.Equal(top, []dynamo.Asked{{"qa-c", 1}}) {
		t.Errorf("December: %v %v", top, err)
	}
}
