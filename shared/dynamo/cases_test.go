package dynamo_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"banban/local/stacktest"
	"banban/local/testenv"
	"banban/shared/apperr"
	"banban/shared/auth"
	"banban/shared/cases"
	"banban/shared/dynamo"
	"banban/shared/idempotency"
	"banban/shared/pii"
)

func casesStore(t *testing.T, retention time.Duration) (*dynamo.Cases, *dynamodb.Client, string) {
	env := stacktest.Provision(t)
	master := make([]byte, 32)
	if _, err := rand.Read(master); err != nil {
		t.Fatal(err)
	}
	db := testenv.DynamoDB(t)
	table := env.Table(t, "CasesTable")
	keys := pii.LocalKeys{Master: master}
	hashKey, err := (&dynamo.Secrets{DB: db, Table: table}).Key(ctx, dynamo.PIIHashKey, keys)
	if err != nil {
		t.Fatal(err)
	}
	again, err := (&dynamo.Secrets{DB: db, Table: table}).Key(ctx, dynamo.PIIHashKey, keys)
	if err != nil || string(again) != string(hashKey) {
		t.Fatalf("the hash key changed between cold starts: %v", err)
	}
	return &dynamo.Cases{DB: db, Table: table, PII: &pii.Protector{Keys: keys, HashKey: hashKey}, Retention: retention}, db, table
}

func newCase(requester string) cases.Case {
	now := time.Now().UTC().Truncate(time.Millisecond)
	return cases.Case{ID: uuid.NewString(), TrackingNo: "BB-2026-000001", Version: 1, State: cases.Received, Mode: cases.Immediate,
		Channel: cases.MiniProgram, Kind: cases.Person, RequesterSub: requester, Matters: []string{"m1"}, District: "zichuan",
		ReceivingLvl: "district", HallID: "zc-center", Units: []string{"zc-xzsp"}, DueAt: now.Add(72 * time.Hour), CreatedAt: now, UpdatedAt: now,
		Personal: cases.Personal{Name: "王建国", IDNumber: "370303199001010017", Mobile: "13905331234", Address: "淄川区般阳路1号"}}
}

func TestCasesAreStoredSealedAndReadBack(t *testing.T) {
	s, db, table := casesStore(t, 24*time.Hour)
	c := newCase("wx-1")
	if err := s.Create(ctx, c, cases.Event{Seq: 1, At: c.CreatedAt, Actor: "wx-1", Role: "citizen", To: cases.Received}); err != nil {
		t.Fatal(err)
	}
	raw, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "CASE#" + c.ID}, "sk": &types.AttributeValueMemberS{Value: "CASE"}}})
	if err != nil {
		t.Fatal(err)
	}
	dump := fmt.Sprint(raw.Item)
	for _, secret := range []string{"王建国", "370303199001010017", "13905331234", "般阳路"} {
		if strings.Contains(dump, secret) {
			t.Errorf("personal data %q stored in clear", secret)
		}
	}
	got, pending, err := s.Get(ctx, c.ID)
	if err != nil || !pending || got.Personal != c.Personal || got.TrackingNo != c.TrackingNo || !got.DueAt.Equal(c.DueAt) {
		t.Fatalf("read back %+v pending=%v: %v", got, pending, err)
	}
	if err := s.EventSent(ctx, c.ID, 1); err != nil {
		t.Fatal(err)
	}
	if _, pending, _ = s.Get(ctx, c.ID); pending {
		t.Error("the event is still pending after it was sent")
	}
}

func TestUpdatesAreOptimisticAndRecorded(t *testing.T) {
	s, _, _ := casesStore(t, 24*time.Hour)
	c := newCase("wx-1")
	if err := s.Create(ctx, c, cases.Event{Seq: 1, At: c.CreatedAt, Actor: "wx-1", To: cases.Received}); err != nil {
		t.Fatal(err)
	}
	admin := auth.Principal{Subject: "ca", Role: auth.CityAdmin}
	next, ev, err := c.Apply(cases.Transition{To: cases.Assigned, Assignee: "helper-1", Version: 1}, admin, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// Two writers read version 1; only the first may write version 2.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Update(ctx, next, ev)
		}()
	}
	wg.Wait()
	ok, stale := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case apperr.Is(err, "stale_version"):
			stale++
		default:
			t.Fatal(err)
		}
	}
	if ok != 1 || stale != 3 {
		t.Fatalf("%d writes succeeded, %d were stale", ok, stale)
	}
	hist, err := s.History(ctx, c.ID)
	if err != nil || len(hist) != 2 || hist[1].To != cases.Assigned || hist[1].Actor != "ca" {
		t.Fatalf("history %+v, %v", hist, err)
	}
	mine, next2, err := s.List(ctx, dynamo.ByAssignee("helper-1"), "", 10)
	if err != nil || len(mine) != 1 || mine[0].ID != c.ID || next2 != "" {
		t.Fatalf("assignee listing %v %q %v", mine, next2, err)
	}
}

func TestListingsPageWithCursors(t *testing.T) {
	s, _, _ := casesStore(t, 24*time.Hour)
	var ids []string
	for i := range 5 {
		c := newCase("wx-pager")
		c.CreatedAt = c.CreatedAt.Add(time.Duration(i) * time.Second)
		ids = append(ids, c.ID)
		if err := s.Create(ctx, c, cases.Event{Seq: 1, At: c.CreatedAt, Actor: "wx-pager", To: cases.Received}); err != nil {
			t.Fatal(err)
		}
	}
	var seen []string
	cursor := ""
	for range 5 {
		page, next, err := s.List(ctx, dynamo.ByRequester("wx-pager"), cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page {
			seen = append(seen, c.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(seen) != 5 || seen[0] != ids[4] {
		t.Fatalf("paged %d cases, newest first %v", len(seen), seen[0] == ids[4])
	}
	for _, bad := range []string{"%%%", "eyJ4IjoxfQ", cursor + "x"} {
		if _, _, err := s.List(ctx, dynamo.ByRequester("wx-pager"), bad, 2); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("cursor %q: %v", bad, err)
		}
	}
	// Another requester's cursor cannot continue into someone else's listing.
	if _, _, err := s.List(ctx, dynamo.ByRequester("wx-other"), cursor, 2); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("foreign cursor: %v", err)
	}
	if _, _, err := s.List(ctx, dynamo.ByRequester("wx-pager"), "", 101); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("limit 101: %v", err)
	}
}

func TestClosedCasesArePurgedOnceAfterRetention(t *testing.T) {
	s, _, _ := casesStore(t, -time.Hour) // due as soon as closed
	open, closed := newCase("wx-1"), newCase("wx-1")
	for _, c := range []cases.Case{open, closed} {
		if err := s.Create(ctx, c, cases.Event{Seq: 1, At: c.CreatedAt, Actor: "wx-1", To: cases.Received}); err != nil {
			t.Fatal(err)
		}
	}
	w, ev, err := closed.Apply(cases.Transition{To: cases.Withdrawn, Version: 1}, auth.Principal{Subject: "wx-1", Role: auth.Citizen}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, w, ev); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	due, err := s.PurgeDue(ctx, now.AddDate(0, -2, 0), now, 100)
	if err != nil || len(due) != 1 || due[0] != closed.ID {
		t.Fatalf("due %v, %v", due, err)
	}
	done, err := s.Purge(ctx, closed.ID, now)
	if err != nil || !done {
		t.Fatalf("purge: %v %v", done, err)
	}
	got, _, err := s.Get(ctx, closed.ID)
	if err != nil || !got.Personal.Empty() || got.State != cases.Withdrawn || got.Version != 3 {
		t.Fatalf("after purge %+v, %v", got, err)
	}
	if done, err := s.Purge(ctx, closed.ID, now); err != nil || done {
		t.Errorf("second purge: %v %v", done, err)
	}
	if due, err := s.PurgeDue(ctx, now.AddDate(0, -2, 0), now, 100); err != nil || len(due) != 0 {
		t.Errorf("still due after purge: %v %v", due, err)
	}
	if o, _, err := s.Get(ctx, open.ID); err != nil || o.Personal.Empty() {
		t.Errorf("an open case lost its data: %v", err)
	}
}

func TestIdempotencyUnderConcurrentDuplicates(t *testing.T) {
	env := stacktest.Provision(t)
	store := &dynamo.Idempotency{DB: testenv.DynamoDB(t), Table: env.Table(t, "CasesTable"), Now: time.Now}
	r := &idempotency.Runner{Store: store, Wait: 5 * time.Second}
	var (
		mu   sync.Mutex
		runs int
	)
	var wg sync.WaitGroup
	answers := make([]idempotency.Response, 8)
	errs := make([]error, 8)
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i], errs[i] = r.Do(ctx, "wx-1#key-00000001", "hash-a", func(context.Context) (idempotency.Response, error) {
				mu.Lock()
				runs++
				mu.Unlock()
				time.Sleep(50 * time.Millisecond) // the work takes a while, so the duplicates overlap it
				return idempotency.Response{Status: 201, Body: `{"id":"c1"}`}, nil
			})
		}()
	}
	wg.Wait()
	if runs != 1 {
		t.Fatalf("the work ran %d times", runs)
	}
	for i := range answers {
		if errs[i] != nil || answers[i] != (idempotency.Response{Status: 201, Body: `{"id":"c1"}`}) {
			t.Errorf("duplicate %d: %+v, %v", i, answers[i], errs[i])
		}
	}
	_, err := r.Do(ctx, "wx-1#key-00000001", "hash-b", func(context.Context) (idempotency.Response, error) {
		t.Error("ran for another body")
		return idempotency.Response{}, nil
	})
	if !apperr.Is(err, "idempotency_key_reused") {
		t.Errorf("same key, other body: %v", err)
	}
	// A failed first attempt releases the key: the retry runs.
	_, err = r.Do(ctx, "wx-1#key-00000002", "hash-a", func(context.Context) (idempotency.Response, error) {
		return idempotency.Response{}, apperr.InvalidField("mobile", "bad")
	})
	if apperr.KindOf(err) != apperr.Invalid {
		t.Fatal(err)
	}
	resp, err := r.Do(ctx, "wx-1#key-00000002", "hash-a", func(context.Context) (idempotency.Response, error) {
		return idempotency.Response{Status: 201, Body: "{}"}, nil
	})
	if err != nil || resp.Status != 201 {
		t.Errorf("retry after failure: %+v %v", resp, err)
	}
}
