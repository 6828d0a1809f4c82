package dynamo_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"banban/local/demo"
	"banban/local/stacktest"
	"banban/local/testenv"
	"banban/shared/apperr"
	"banban/shared/calendar"
	"banban/shared/directory"
	"banban/shared/dynamo"
	"banban/shared/kiosk"
	"banban/shared/rating"
)

var ctx = context.Background()

func newRating(window string, level rating.Level, at time.Time) rating.Rating {
	return rating.Rating{ID: uuid.NewString(), Channel: rating.ChannelKiosk, KioskID: "kiosk-" + window, WindowID: window, HallID: "h1", UnitID: "u1",
		Level: level, RatedAt: at, ReceivedAt: at.Add(time.Second)}
}

func ratingsStore(t *testing.T) *dynamo.Ratings {
	env := stacktest.Provision(t)
	return &dynamo.Ratings{DB: testenv.DynamoDB(t), Table: env.Table(t, "RatingsTable"), Now: time.Now}
}

func counts(t *testing.T, s *dynamo.Ratings, window string, m string) rating.Counts {
	t.Helper()
	month, err := calendar.ParseMonth(m)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.WindowMonth(ctx, window, month)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var nov = time.Date(2026, 11, 20, 10, 0, 0, 0, calendar.Shanghai)

func TestRecordCountsEachRatingOnce(t *testing.T) {
	s := ratingsStore(t)
	a, b, c := newRating("w1", 5, nov), newRating("w1", 5, nov), newRating("w1", 2, nov)
	res, err := s.Record(ctx, []rating.Rating{a, b, c, a}) // a twice in one batch
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Stored) != 3 || len(res.Duplicates) != 1 {
		t.Fatalf("first record: %+v", res)
	}
	// The same ratings again (a retried post or a redelivery) plus one new one.
	d := newRating("w1", 3, nov)
	res, err = s.Record(ctx, []rating.Rating{b, d, c})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Stored) != 1 || res.Stored[0] != d.ID || len(res.Duplicates) != 2 {
		t.Fatalf("second record: %+v", res)
	}
	got := counts(t, s, "w1", "2026-11")
	want := rating.Counts{0, 0, 1, 1, 0, 2}
	if got != want || got.Total() != 4 {
		t.Errorf("counts = %v, want %v", got, want)
	}
	stored, err := s.Rating(ctx, c.ID)
	if err != nil || stored.Level != 2 || stored.WindowID != "w1" || !stored.RatedAt.Equal(c.RatedAt) {
		t.Errorf("stored rating = %+v, %v", stored, err)
	}
}

func TestRecordCountsInTheShanghaiMonthOfTheRating(t *testing.T) {
	s := ratingsStore(t)
	oct := newRating("w1", 1, time.Date(2026, 10, 31, 23, 59, 59, 0, calendar.Shanghai))
	novFirst := newRating("w1", 4, time.Date(2026, 11, 1, 7, 0, 0, 0, calendar.Shanghai).UTC())
	if _, err := s.Record(ctx, []rating.Rating{oct, novFirst}); err != nil {
		t.Fatal(err)
	}
	if got := counts(t, s, "w1", "2026-10"); got != (rating.Counts{0, 1, 0, 0, 0, 0}) {
		t.Errorf("October = %v", got)
	}
	if got := counts(t, s, "w1", "2026-11"); got != (rating.Counts{0, 0, 0, 0, 1, 0}) {
		t.Errorf("November = %v", got)
	}
	if got := counts(t, s, "w2", "2026-11"); got.Total() != 0 {
		t.Errorf("a window without ratings has %v", got)
	}
}

func TestConcurrentRecordsOfTheSameRatingsCountOnce(t *testing.T) {
	s := ratingsStore(t)
	s.Attempts = 20
	var batch []rating.Rating
	for i := range 10 {
		batch = append(batch, newRating(fmt.Sprintf("w%d", i%3), rating.Level(i%5+1), nov))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Record(ctx, batch)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var total int64
	for w := range 3 {
		total += counts(t, s, fmt.Sprintf("w%d", w), "2026-11").Total()
	}
	if total != 10 {
		t.Errorf("counted %d ratings, want 10", total)
	}
}

func TestRecordRefusesOversizedBatch(t *testing.T) {
	s := ratingsStore(t)
	big := make([]rating.Rating, dynamo.MaxRecordBatch+1)
	if _, err := s.Record(ctx, big); err == nil {
		t.Fatal("an oversized batch was accepted")
	}
}

func TestKioskRegistryAndNonces(t *testing.T) {
	env := stacktest.Provision(t)
	db := testenv.DynamoDB(t)
	kiosks := &dynamo.Kiosks{DB: db, Table: env.Table(t, "KiosksTable")}
	k, err := kiosk.New("kiosk-w1", directory.Window{ID: "w1", HallID: "h1", UnitID: "u1"}.Scope(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := kiosks.Put(ctx, k); err != nil {
		t.Fatal(err)
	}
	got, err := kiosks.Kiosk(ctx, "kiosk-w1")
	if err != nil || got.Secret != k.Secret || got.WindowID != "w1" || !got.Active || !got.RegisteredAt.Equal(k.RegisteredAt) {
		t.Fatalf("got %+v, %v", got, err)
	}
	if _, err := kiosks.Kiosk(ctx, "kiosk-none"); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("unknown kiosk: %v", err)
	}

	now := time.Now()
	nonces := &dynamo.Nonces{DB: db, Table: env.Table(t, "NoncesTable"), Now: func() time.Time { return now }}
	if err := nonces.Claim(ctx, "kiosk-w1", "n-0123456789abcdef", now.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := nonces.Claim(ctx, "kiosk-w1", "n-0123456789abcdef", now.Add(5*time.Minute)); err != kiosk.ErrReplayedNonce {
		t.Fatalf("replay: %v", err)
	}
	if err := nonces.Claim(ctx, "kiosk-w2", "n-0123456789abcdef", now.Add(5*time.Minute)); err != nil {
		t.Errorf("the same nonce of another kiosk: %v", err)
	}
	// Once expired (TTL may not have removed it yet) the item no longer blocks.
	now = now.Add(6 * time.Minute)
	if err := nonces.Claim(ctx, "kiosk-w1", "n-0123456789abcdef", now.Add(5*time.Minute)); err != nil {
		t.Errorf("claim after expiry: %v", err)
	}
}

func TestDirectoryLoadsTheDemoData(t *testing.T) {
	env := stacktest.Provision(t)
	d, err := demo.ReadDirectory(testenv.RepoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := &dynamo.Directory{DB: testenv.DynamoDB(t), Table: env.Table(t, "DirectoryTable")}
	if err := dir.Load(ctx, d); err != nil {
		t.Fatal(err)
	}
	for _, want := range d.Windows {
		got, err := dir.Window(ctx, want.ID)
		if err != nil || got != want {
			t.Fatalf("window %s = %+v, %v", want.ID, got, err)
		}
	}
	st, err := dir.Staff(ctx, d.Staff[0].ID)
	if err != nil || st != d.Staff[0] {
		t.Errorf("staff = %+v, %v", st, err)
	}
	if _, err := dir.Window(ctx, "no-such-window"); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("unknown window: %v", err)
	}
}

func TestOneServiceOneRating(t *testing.T) {
	s := ratingsStore(t)
	first, second, other := newRating("w1", 5, nov), newRating("w1", 1, nov), newRating("w1", 4, nov)
	first.Ticket, second.Ticket, other.Ticket = "A-017", "A-017", "A-018"
	res, err := s.Record(ctx, []rating.Rating{first, other})
	if err != nil || len(res.Stored) != 2 {
		t.Fatalf("first: %+v %v", res, err)
	}
	res, err = s.Record(ctx, []rating.Rating{second})
	if err != nil || len(res.Stored) != 0 || len(res.Duplicates) != 1 {
		t.Fatalf("a second rating of ticket A-017: %+v %v", res, err)
	}
	// The same ticket number in another hall, or on another day, is another service.
	elsewhere := newRating("w9", 2, nov)
	elsewhere.HallID, elsewhere.Ticket = "h2", "A-017"
	tomorrow := newRating("w1", 3, nov.AddDate(0, 0, 1))
	tomorrow.Ticket = "A-017"
	if res, err := s.Record(ctx, []rating.Rating{elsewhere, tomorrow}); err != nil || len(res.Stored) != 2 {
		t.Errorf("other hall / day: %+v %v", res, err)
	}
	if got := counts(t, s, "w1", "2026-11"); got.Total() != 3 || got[1] != 0 {
		t.Errorf("counts %v", got)
	}
}
