package dynamo_test

import (
	"bytes"
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
	if _, err := s.Load(ctx, opengov.KindPlaces); apperr.KindOf(err) != apperr.NotFound {
		t.Fatalf("before any import: %v", err)
	}
	// The demo places are larger than one chunk item would hold uncompressed.
	recs, err := demo.ReadOpenGov(testenv.RepoRoot(t), opengov.KindPlaces)
	if err != nil {
		t.Fatal(err)
	}
	// An artifact of more than one chunk travels with the records.
	artifact := bytes.Repeat([]byte("0123456789abcdef"), 50_000)
	v1, err := s.Publish(ctx, recs, artifact)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := s.Load(ctx, opengov.KindPlaces)
	if err != nil || snap.Version != v1 || !bytes.Equal(snap.Artifact, artifact) {
		t.Fatalf("load: %s %d %v, want %s", snap.Version, len(snap.Artifact), err, v1)
	}
	var back []opengov.Place
	if err := json.Unmarshal(snap.Records, &back); err != nil || !slices.EqualFunc(back, recs.([]opengov.Place), func(a, b opengov.Place) bool {
		return a.ID == b.ID && a.Location == b.Location && slices.Equal(a.Timetable, b.Timetable)
	}) {
		t.Fatalf("places changed on the way: %v", err)
	}
	// A new version replaces the old one; the guides set is independent.
	small := []opengov.Place{recs.([]opengov.Place)[0]}
	v2, err := s.Publish(ctx, small, nil)
	if err != nil || v2 == v1 {
		t.Fatalf("second publish: %s %v", v2, err)
	}
	if v, err := s.Version(ctx, opengov.KindPlaces); err != nil || v != v2 {
		t.Errorf("version %s %v, want %s", v, err, v2)
	}
	if snap, err := s.Load(ctx, opengov.KindPlaces); err != nil || strings.Count(string(snap.Records), `"id"`) != 1 || snap.Artifact != nil {
		t.Errorf("after the second publish: %v", err)
	}
	if _, err := s.Version(ctx, opengov.KindGuides); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("guides: %v", err)
	}
	// An invalid set is refused before anything is written.
	bad := []opengov.Place{small[0], small[0]}
	if _, err := s.Publish(ctx, bad, nil); err == nil {
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
	if _, err := s.Publish(ctx, qs, nil); err != nil {
		t.Fatal(err)
	}
	const n = 4
	errs := make(chan error, n)
	for i := range n {
		go func() {
			q := slices.Clone(qs)
			q[0].Answer = fmt.Sprintf("第%d版答复。", i)
			_, err := s.Publish(ctx, q, nil)
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
	if snap, err := s.Load(ctx, opengov.KindFAQ); err != nil || !strings.Contains(string(snap.Records), "版答复") {
		t.Errorf("after the race: %s %v", snap.Records, err)
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
