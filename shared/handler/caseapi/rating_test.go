package caseapi_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/uuid"

	"banban/local/stacktest"
	"banban/local/testenv"
	"banban/shared/calendar"
	"banban/shared/cases"
	"banban/shared/dynamo"
	"banban/shared/handler/caseapi"
	"banban/shared/httpapi"
	"banban/shared/pii"
	"banban/shared/rating"
)

var ctx = context.Background()

type fixture struct {
	t       *testing.T
	h       *caseapi.Handler
	router  *httpapi.Router
	store   *dynamo.Cases
	sqs     *sqs.Client
	ratings string
	now     time.Time
}

func newFixture(t *testing.T) *fixture {
	env := stacktest.Provision(t)
	db, q := testenv.DynamoDB(t), testenv.SQS(t)
	master, ratingMaster := make([]byte, 32), make([]byte, 32)
	for _, b := range [][]byte{master, ratingMaster} {
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{t: t, sqs: q, ratings: env.QueueURL(t, "RatingsQueue"),
		now: time.Date(2026, 11, 22, 9, 0, 0, 0, calendar.Shanghai)}
	cfg := caseapi.Config{CasesTable: env.Table(t, "CasesTable"), CatalogTable: env.Table(t, "CatalogTable"),
		DirectoryTable: env.Table(t, "DirectoryTable"), CaseEventsQueue: env.QueueURL(t, "CaseEventsQueue"),
		RatingsQueue: f.ratings, RatingWindowDays: 7}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	h, err := caseapi.New(ctx, cfg, db, q, pii.LocalKeys{Master: master}, pii.LocalKeys{Master: ratingMaster}, func() time.Time { return f.now }, log)
	if err != nil {
		t.Fatal(err)
	}
	f.h, f.router = h, h.Routes(log)
	f.store = &dynamo.Cases{DB: db, Table: cfg.CasesTable, PII: &pii.Protector{Keys: pii.LocalKeys{Master: master}, HashKey: []byte("k")}}
	return f
}

// closed stores a mini-program case of user-1, completed by helper-1 on 11-20 at 23:30 Beijing time.
func (f *fixture) closed(state cases.State) cases.Case {
	closed := time.Date(2026, 11, 20, 23, 30, 0, 0, calendar.Shanghai)
	c := cases.Case{ID: uuid.NewString(), TrackingNo: "BB-2026-000123", Version: 5, State: state, Mode: cases.Immediate,
		Channel: cases.MiniProgram, Kind: cases.Person, RequesterSub: "citizen:user-1", Matters: []string{"SW-006"}, District: "zichuan",
		ReceivingLvl: "district", HallID: "zc-center", Units: []string{"zc-swj"}, Assignee: "helper-1",
		CreatedAt: closed.Add(-48 * time.Hour), UpdatedAt: closed, DueAt: closed.Add(72 * time.Hour),
		Personal: cases.Personal{Name: "张三", IDNumber: "11010519491231002X", Mobile: "13800138000"}}
	if state.Closed() {
		c.ClosedAt = &closed
	}
	if err := f.store.Create(ctx, c, cases.Event{Seq: 5, At: closed, Actor: "helper-1", To: state}); err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fixture) call(method, route, id, body string, claims map[string]string) (int, string) {
	req := httpapi.Request{RouteKey: method + " " + route, PathParameters: map[string]string{"id": id}, Body: body,
		Headers: map[string]string{"content-type": "application/json"}}
	req.RequestContext.HTTP.Method = method
	if claims != nil {
		req.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims}}
	}
	resp, err := f.router.Invoke(ctx, req)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.StatusCode, resp.Body
}

func (f *fixture) rate(id, body string, claims map[string]string) (int, string) {
	return f.call("POST", "/v1/cases/{id}/rating", id, body, claims)
}

var (
	requester = map[string]string{"sub": "citizen:user-1", "kind": "citizen", "role": "citizen"}
	helper    = map[string]string{"sub": "staff:helper-1", "kind": "staff", "role": "helper", "unit": "zc-swj"}
)

// received takes n messages off the ratings queue, then checks none is left.
func (f *fixture) received(n int) []rating.Rating {
	f.t.Helper()
	var out []rating.Rating
	testenv.Eventually(f.t, 10*time.Second, func() error {
		msgs, err := f.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &f.ratings, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			return err
		}
		for _, m := range msgs.Messages {
			var r rating.Rating
			if err := json.Unmarshal([]byte(*m.Body), &r); err != nil {
				f.t.Fatalf("message %s: %v", *m.Body, err)
			}
			out = append(out, r)
			if _, err := f.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &f.ratings, ReceiptHandle: m.ReceiptHandle}); err != nil {
				return err
			}
		}
		if len(out) < n {
			return fmt.Errorf("%d of %d ratings received", len(out), n)
		}
		return nil
	})
	if len(out) != n {
		f.t.Fatalf("received %d ratings, want %d", len(out), n)
	}
	if err := testenv.QueueEmpty(ctx, f.sqs, f.ratings); err != nil {
		f.t.Fatalf("more ratings than expected: %v", err)
	}
	return out
}

func errorCode(t *testing.T, body string) string {
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	return e.Error.Code
}

func TestRequesterRatesACaseOnceAndTheRatingNamesNeitherCaseNorRequester(t *testing.T) {
	f := newFixture(t)
	c := f.closed(cases.Completed)
	body := `{"level":2,"tags":["H03"],"comment":"等了很久 13800138000"}`

	// Nobody but the requester learns the case exists: another mini-program user gets the same
	// answer as for no case at all, staff are refused by role whatever the case.
	if st, b := f.rate(c.ID, body, map[string]string{"sub": "citizen:user-2", "kind": "citizen", "role": "citizen"}); st != 404 || errorCode(t, b) != "not_found" {
		t.Errorf("another citizen: %d %s", st, b)
	}
	for _, who := range []map[string]string{helper, {"sub": "staff:a", "kind": "staff", "role": "city_admin"}} {
		if st, b := f.rate(c.ID, body, who); st != 403 {
			t.Errorf("%v: %d %s", who, st, b)
		}
	}
	if st, b := f.rate(uuid.NewString(), body, requester); st != 404 || errorCode(t, b) != "not_found" {
		t.Errorf("no such case: %d %s", st, b)
	}
	if st, _ := f.rate(c.ID, body, nil); st != 401 {
		t.Errorf("no token: %d", st)
	}
	if st, b := f.rate(c.ID, `{"level":6}`, requester); st != 400 || !strings.Contains(b, `"field":"level"`) {
		t.Errorf("level 6: %d %s", st, b)
	}
	if st, b := f.rate(c.ID, `{"level":4,"tags":["bribe-me"]}`, requester); st != 400 || !strings.Contains(b, `"field":"tags"`) {
		t.Errorf("unknown tag: %d %s", st, b)
	}

	st, b := f.rate(c.ID, body, requester)
	if st != 202 {
		t.Fatalf("rating: %d %s", st, b)
	}
	var first caseapi.RatingAccepted
	if err := json.Unmarshal([]byte(b), &first); err != nil || !rating.ValidID(first.ID) {
		t.Fatalf("answer %s: %v", b, err)
	}
	// A retried request (lost answer) is accepted again under the same id; another rating is not.
	if st, b := f.rate(c.ID, body, requester); st != 202 || !strings.Contains(b, first.ID) {
		t.Errorf("retry: %d %s", st, b)
	}
	if st, b := f.rate(c.ID, `{"level":5}`, requester); st != 409 || errorCode(t, b) != "already_rated" {
		t.Errorf("second rating: %d %s", st, b)
	}

	got := f.received(2) // the first and its retry: one id, counted once by ingest
	for _, r := range got {
		raw, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if r.ID != first.ID || r.Channel != rating.ChannelCase || r.Level != rating.Dissatisfied || r.StaffID != "helper-1" ||
			r.UnitID != "zc-swj" || r.HallID != "zc-center" || r.Check() != nil {
			t.Errorf("rating %s", raw)
		}
		for _, secret := range []string{c.ID, "user-1", c.TrackingNo, "13800138000", "张三"} {
			if strings.Contains(string(raw), secret) {
				t.Errorf("the rating carries %q: %s", secret, raw)
			}
		}
	}

	// The requester sees that the case was rated; the helper does not, nor how.
	_, mine := f.call("GET", "/v1/cases/{id}", c.ID, "", requester)
	_, theirs := f.call("GET", "/v1/cases/{id}", c.ID, "", helper)
	if !strings.Contains(mine, `"ratedAt"`) || strings.Contains(theirs, `"ratedAt"`) {
		t.Errorf("requester sees %s\nhelper sees %s", mine, theirs)
	}
	for _, v := range []string{mine, theirs} {
		if strings.Contains(v, first.ID) || strings.Contains(v, `"level"`) {
			t.Errorf("the case shows its rating: %s", v)
		}
	}
}

func TestOnlyClosedCasesWithinTheWindowAreRated(t *testing.T) {
	f := newFixture(t)
	open := f.closed(cases.InProgress)
	if st, b := f.rate(open.ID, `{"level":5}`, requester); st != 409 || errorCode(t, b) != "not_ratable" {
		t.Errorf("open case: %d %s", st, b)
	}
	refused := f.closed(cases.Unable)
	f.now = time.Date(2026, 11, 27, 23, 59, 59, 0, calendar.Shanghai)
	if st, b := f.rate(refused.ID, `{"level":3}`, requester); st != 202 {
		t.Errorf("refused case, last second of the window: %d %s", st, b)
	}
	late := f.closed(cases.Completed)
	f.now = time.Date(2026, 11, 28, 0, 0, 0, 0, calendar.Shanghai)
	if st, b := f.rate(late.ID, `{"level":3}`, requester); st != 409 || errorCode(t, b) != "rating_closed" {
		t.Errorf("after the window: %d %s", st, b)
	}
	f.received(1)
}

func TestConcurrentRatingsOfOneCaseTakeOneMark(t *testing.T) {
	f := newFixture(t)
	c := f.closed(cases.Completed)
	const n = 6
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], _ = f.rate(c.ID, fmt.Sprintf(`{"level":%d,"comment":"第%d次"}`, 1+i%5, i), requester)
		}()
	}
	wg.Wait()
	accepted := 0
	for _, st := range statuses {
		switch st {
		case 202:
			accepted++
		case 409:
		default:
			t.Errorf("status %d", st)
		}
	}
	if accepted != 1 {
		t.Errorf("%d of %d different ratings accepted, want 1: %v", accepted, n, statuses)
	}
	f.received(1)
}

// failing stands in for a queue that is down.
type failing struct{}

func (failing) Send(context.Context, any) error { return errors.New("queue down") }

func TestAFailedSendIsRetriedUnderTheSameID(t *testing.T) {
	f := newFixture(t)
	c := f.closed(cases.Completed)
	queue := f.h.Rater.Queue
	f.h.Rater.Queue = failing{}
	if st, _ := f.rate(c.ID, `{"level":4}`, requester); st != 500 && st != 503 {
		t.Fatalf("queue down: %d", st)
	}
	if err := testenv.QueueEmpty(ctx, f.sqs, f.ratings); err != nil {
		t.Fatal(err)
	}
	f.h.Rater.Queue = queue
	// The case is marked: another rating is refused, the same request sends the kept one.
	if st, b := f.rate(c.ID, `{"level":1}`, requester); st != 409 || errorCode(t, b) != "already_rated" {
		t.Errorf("another rating: %d %s", st, b)
	}
	st, b := f.rate(c.ID, `{"level":4}`, requester)
	if st != 202 || !strings.Contains(b, f.h.Rater.ID(c.ID)) {
		t.Fatalf("retry: %d %s", st, b)
	}
	if r := f.received(1)[0]; r.ID != f.h.Rater.ID(c.ID) || r.Level != rating.Satisfied {
		t.Errorf("re-sent %+v", r)
	}
}
