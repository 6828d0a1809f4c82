package evaluationapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/uuid"

	"banban/local/demo"
	"banban/local/stacktest"
	"banban/local/testenv"
	"banban/shared/directory"
	"banban/shared/dynamo"
	"banban/shared/handler/evaluationapi"
	"banban/shared/httpapi"
	"banban/shared/kiosk"
	"banban/shared/pii"
	"banban/shared/rating"
)

var ctx = context.Background()

type fixture struct {
	router  *httpapi.Router
	handler *evaluationapi.Handler
	kiosk   kiosk.Kiosk
	other   kiosk.Kiosk // a second kiosk, at another window
	sqs     *sqs.Client
	queue   string
	now     time.Time
	clock   *time.Time // what the handler takes for now; starts at now
	cfg     evaluationapi.Config
	db      *dynamodb.Client
}

func setup(t *testing.T) *fixture {
	t.Helper()
	env := stacktest.Provision(t)
	db, q := testenv.DynamoDB(t), testenv.SQS(t)
	now := time.Now()
	k, err := kiosk.New("kiosk-zb-a01", directory.Window{ID: "zb-a01", HallID: "zb-center", UnitID: "zb-scjg"}.Scope(), now)
	if err != nil {
		t.Fatal(err)
	}
	other, err := kiosk.New("kiosk-zb-b01", directory.Window{ID: "zb-b01", HallID: "zb-center", UnitID: "zb-rsj"}.Scope(), now)
	if err != nil {
		t.Fatal(err)
	}
	for _, kk := range []kiosk.Kiosk{k, other} {
		if err := (&dynamo.Kiosks{DB: db, Table: env.Table(t, "KiosksTable")}).Put(ctx, kk); err != nil {
			t.Fatal(err)
		}
	}
	dir, err := demo.ReadDirectory(testenv.RepoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := (&dynamo.Directory{DB: db, Table: env.Table(t, "DirectoryTable")}).Load(ctx, dir); err != nil {
		t.Fatal(err)
	}
	cfg := evaluationapi.Config{
		KiosksTable: env.Table(t, "KiosksTable"), NoncesTable: env.Table(t, "NoncesTable"),
		RatingsQueueURL: env.QueueURL(t, "RatingsQueue"), RatingWindowDays: 7,
		DirectoryTable: env.Table(t, "DirectoryTable"), RateLimitsTable: env.Table(t, "RateLimitsTable"),
		QRPageURL: "https://banban.example.gov.cn/rate", QRLinkTTL: 24 * time.Hour,
		QRClientLimit: 3, QRClientPeriod: 10 * time.Minute, QRWindowLimit: 5, QRWindowPeriod: time.Minute,
	}
	master := make([]byte, 32)
	if _, err := rand.Read(master); err != nil {
		t.Fatal(err)
	}
	clock := now
	h, err := evaluationapi.New(cfg, db, q, pii.LocalKeys{Master: master}, func() time.Time { return clock })
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{router: h.Routes(slog.New(slog.NewJSONHandler(io.Discard, nil))), handler: h, kiosk: k, other: other, sqs: q,
		queue: cfg.RatingsQueueURL, now: now, clock: &clock, cfg: cfg, db: db}
}

var nonceSeq int

func nonce() string {
	nonceSeq++
	return fmt.Sprintf("test-nonce-%08d", nonceSeq)
}

// request builds a signed API Gateway request for body, as a kiosk sends it.
func (f *fixture) request(body string) httpapi.Request {
	h := kiosk.Headers(f.kiosk, "POST", "/v1/evaluations", []byte(body), f.now, nonce())
	headers := map[string]string{"content-type": "application/json"}
	for k, v := range h {
		headers[strings.ToLower(k)] = v
	}
	req := httpapi.Request{RouteKey: "POST /v1/evaluations", RawPath: "/v1/evaluations", Headers: headers, Body: body}
	req.RequestContext.HTTP.Method = "POST"
	return req
}

func (f *fixture) submission(level int) string {
	return fmt.Sprintf(`{"id":%q,"level":%d,"ratedAt":%q}`, uuid.NewString(), level, f.now.Add(-time.Minute).Format(time.RFC3339))
}

func (f *fixture) invoke(t *testing.T, req httpapi.Request) (int, httpapi.ErrorDetail, string) {
	t.Helper()
	resp, err := f.router.Invoke(ctx, req)
	if err != nil {
		t.Fatalf("handler returned a Go error: %v", err)
	}
	var e httpapi.ErrorBody
	if resp.StatusCode >= 400 {
		if err := json.Unmarshal([]byte(resp.Body), &e); err != nil {
			t.Fatalf("error body %q: %v", resp.Body, err)
		}
	}
	return resp.StatusCode, e.Error, resp.Body
}

// queued takes the queued ratings off the queue.
func (f *fixture) queued(t *testing.T) []rating.Rating {
	t.Helper()
	out, err := f.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &f.queue, MaxNumberOfMessages: 10, WaitTimeSeconds: 0})
	if err != nil {
		t.Fatal(err)
	}
	var rs []rating.Rating
	for _, m := range out.Messages {
		if _, err := f.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &f.queue, ReceiptHandle: m.ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
		var r rating.Rating
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &r); err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	return rs
}

func TestASignedRatingIsQueuedForTheKiosksWindow(t *testing.T) {
	f := setup(t)
	body := f.submission(5)
	status, _, resp := f.invoke(t, f.request(body))
	if status != 202 {
		t.Fatalf("status %d: %s", status, resp)
	}
	var sub rating.Submission
	if err := json.Unmarshal([]byte(body), &sub); err != nil {
		t.Fatal(err)
	}
	var acc evaluationapi.Accepted
	if err := json.Unmarshal([]byte(resp), &acc); err != nil || acc.ID != sub.ID || acc.Status != "accepted" {
		t.Fatalf("answer %s", resp)
	}
	q := f.queued(t)
	if len(q) != 1 {
		t.Fatalf("%d messages queued", len(q))
	}
	r := q[0]
	if r.ID != sub.ID || r.Level != 5 || r.WindowID != "zb-a01" || r.HallID != "zb-center" || r.UnitID != "zb-scjg" || r.KioskID != f.kiosk.ID {
		t.Errorf("queued %+v", r)
	}
	if err := r.Check(); err != nil {
		t.Error(err)
	}
}

func TestBadRequestsAreRefusedAndNothingIsQueued(t *testing.T) {
	f := setup(t)
	good := f.submission(4)
	tests := []struct {
		name   string
		req    func() httpapi.Request
		status int
		code   string
		field  string
	}{
		{"bad signature", func() httpapi.Request {
			r := f.request(good)
			r.Headers["x-kiosk-signature"] = strings.Repeat("0", 64)
			return r
		}, 401, "bad_signature", ""},
		{"replayed nonce", func() httpapi.Request {
			r := f.request(good)
			if s, _, body := f.invoke(t, r); s != 202 {
				t.Fatalf("first post: %d %s", s, body)
			}
			if q := f.queued(t); len(q) != 1 { // the first post is accepted and taken off the queue
				t.Fatalf("first post queued %d ratings", len(q))
			}
			return r
		}, 401, "replayed_nonce", ""},
		{"stale timestamp", func() httpapi.Request {
			r := f.request(good)
			old := strconv.FormatInt(f.now.Add(-301*time.Second).Unix(), 10)
			r.Headers["x-kiosk-timestamp"] = old
			r.Headers["x-kiosk-signature"] = kiosk.Sign(f.kiosk.Secret, "POST", "/v1/evaluations", old, r.Headers["x-kiosk-nonce"], []byte(good))
			return r
		}, 401, "stale_timestamp", ""},
		{"unknown kiosk", func() httpapi.Request {
			r := f.request(good)
			r.Headers["x-kiosk-id"] = "kiosk-unknown"
			return r
		}, 401, "unknown_kiosk", ""},
		{"no signature headers", func() httpapi.Request {
			r := f.request(good)
			delete(r.Headers, "x-kiosk-signature")
			return r
		}, 401, "missing_signature", ""},
		{"a city administrator's token instead of a signature", func() httpapi.Request {
			r := f.request(good)
			delete(r.Headers, "x-kiosk-signature")
			r.Headers["authorization"] = "Bearer staff-token"
			r.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{"sub": "staff:c1", "kind": "staff", "role": "city_admin"}}}
			return r
		}, 401, "missing_signature", ""},
		{"another kiosk's id under this kiosk's signature", func() httpapi.Request {
			r := f.request(good)
			r.Headers["x-kiosk-id"] = f.other.ID
			return r
		}, 401, "bad_signature", ""},
		{"identity field injected", func() httpapi.Request {
			return f.request(strings.Replace(good, `{`, `{"idNumber":"370302199001011234",`, 1))
		}, 400, "invalid_field", "idNumber"},
		{"window field injected", func() httpapi.Request {
			return f.request(strings.Replace(good, `{`, `{"windowId":"zb-b01",`, 1))
		}, 400, "invalid_field", "windowId"},
		{"level as string", func() httpapi.Request {
			return f.request(strings.Replace(good, `"level":4`, `"level":"4"`, 1))
		}, 400, "invalid_field", "level"},
		{"level out of range", func() httpapi.Request {
			return f.request(strings.Replace(good, `"level":4`, `"level":9`, 1))
		}, 400, "invalid_field", "level"},
		{"not JSON", func() httpapi.Request { return f.request(`level=4`) }, 400, "invalid_field", "body"},
		{"invalid UTF-8", func() httpapi.Request {
			return f.request(strings.Replace(good, `{`, "{\"x\":\"\xff\",", 1))
		}, 400, "invalid_utf8", ""},
		{"oversized", func() httpapi.Request {
			return f.request(strings.Replace(good, `{`, `{"pad":"`+strings.Repeat("a", evaluationapi.MaxBody)+`",`, 1))
		}, 413, "body_too_large", ""},
		{"oversized base64", func() httpapi.Request {
			r := f.request(good)
			r.Body = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("a"), 2*evaluationapi.MaxBody))
			r.IsBase64Encoded = true
			return r
		}, 413, "body_too_large", ""},
		{"wrong content type", func() httpapi.Request {
			r := f.request(good)
			r.Headers["content-type"] = "text/plain"
			return r
		}, 415, "unsupported_media_type", ""},
		{"unknown tag", func() httpapi.Request {
			return f.request(strings.Replace(good, `{`, `{"tags":["no-such-reason"],`, 1))
		}, 400, "invalid_field", "tags"},
		{"tags not a list", func() httpapi.Request {
			return f.request(strings.Replace(good, `{`, `{"tags":"slow",`, 1))
		}, 400, "invalid_field", "tags"},
		{"comment over 200 characters", func() httpapi.Request {
			return f.request(strings.Replace(good, `{`, `{"comment":"`+strings.Repeat("慢", rating.MaxComment+1)+`",`, 1))
		}, 400, "invalid_field", "comment"},
		{"staff id with markup", func() httpapi.Request {
			return f.request(strings.Replace(good, `{`, `{"staffId":"<script>",`, 1))
		}, 400, "invalid_field", "staffId"},
		{"matter code with spaces", func() httpapi.Request {
			return f.request(strings.Replace(good, `{`, `{"matterCode":"A B",`, 1))
		}, 400, "invalid_field", "matterCode"},
		{"ticket too long", func() httpapi.Request {
			return f.request(strings.Replace(good, `{`, `{"ticket":"`+strings.Repeat("A", 33)+`",`, 1))
		}, 400, "invalid_field", "ticket"},
		{"channel chosen by the kiosk", func() httpapi.Request {
			return f.request(strings.Replace(good, `{`, `{"channel":"case",`, 1))
		}, 400, "invalid_field", "channel"},
		{"rating in the future", func() httpapi.Request {
			return f.request(fmt.Sprintf(`{"id":%q,"level":4,"ratedAt":%q}`, uuid.NewString(), f.now.Add(time.Hour).Format(time.RFC3339)))
		}, 400, "invalid_field", "ratedAt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req()
			status, e, body := f.invoke(t, req)
			if status != tt.status || e.Code != tt.code || e.Field != tt.field {
				t.Fatalf("got %d %s", status, body)
			}
			if q := f.queued(t); len(q) != 0 {
				t.Fatalf("%d ratings queued by a refused request", len(q))
			}
		})
	}
}

func (f *fixture) batchRequest(body string) httpapi.Request {
	r := f.request(body)
	r.RouteKey, r.RawPath = "POST /v1/evaluations/batch", "/v1/evaluations/batch"
	h := kiosk.Headers(f.kiosk, "POST", "/v1/evaluations/batch", []byte(body), f.now, nonce())
	r.Headers["x-kiosk-nonce"], r.Headers["x-kiosk-signature"] = h[kiosk.HeaderNonce], h[kiosk.HeaderSignature]
	return r
}

// TestABufferedBatchIsAcceptedRatingByRating: an offline kiosk posts its buffer; good ratings are
// queued, a stale one and a duplicate are rejected with their own reasons, nothing is lost.
func TestABufferedBatchIsAcceptedRatingByRating(t *testing.T) {
	f := setup(t)
	var subs []string
	for i := range 23 {
		at := f.now.Add(-time.Duration(i) * time.Hour).Format(time.RFC3339) // buffered over a day
		subs = append(subs, fmt.Sprintf(`{"id":%q,"level":%d,"ratedAt":%q}`, uuid.NewString(), i%5+1, at))
	}
	stale := fmt.Sprintf(`{"id":%q,"level":5,"ratedAt":%q}`, uuid.NewString(), f.now.Add(-8*24*time.Hour).Format(time.RFC3339))
	subs = append(subs, stale, subs[0]) // 25: one older than the window, one repeated
	body := `{"ratings":[` + strings.Join(subs, ",") + `]}`
	resp, err := f.router.Invoke(ctx, f.batchRequest(body))
	if err != nil || resp.StatusCode != 202 {
		t.Fatalf("batch: %d %s %v", resp.StatusCode, resp.Body, err)
	}
	var res evaluationapi.BatchResult
	if err := json.Unmarshal([]byte(resp.Body), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Accepted) != 23 || len(res.Rejected) != 2 || res.Rejected[0].Field != "ratings[23].ratedAt" || res.Rejected[1].Field != "ratings[24].id" {
		t.Fatalf("result %+v", res)
	}
	got := map[string]bool{}
	for range 5 { // drain: SQS hands out at most 10 a call
		for _, r := range f.queued(t) {
			got[r.ID] = true
		}
	}
	if len(got) != 23 {
		t.Errorf("%d ratings queued, want 23", len(got))
	}
	too := `{"ratings":[` + strings.Repeat(subs[1]+",", 25) + subs[1] + `]}`
	if resp, _ := f.router.Invoke(ctx, f.batchRequest(too)); resp.StatusCode != 400 || !strings.Contains(resp.Body, `"field":"ratings"`) {
		t.Errorf("26 ratings: %d %s", resp.StatusCode, resp.Body)
	}
	forged := f.batchRequest(body)
	forged.Headers["x-kiosk-signature"] = strings.Repeat("0", 64)
	if resp, _ := f.router.Invoke(ctx, forged); resp.StatusCode != 401 {
		t.Errorf("forged batch: %d", resp.StatusCode)
	}
	if q := f.queued(t); len(q) != 0 {
		t.Errorf("refused batches queued %d ratings", len(q))
	}
}

// TestACommentLeavesNoPhoneOrIDNumberOnTheQueue: what the rater writes is kept, the digit runs of a
// phone or ID number are masked before the rating is queued, so they are never stored.
func TestACommentLeavesNoPhoneOrIDNumberOnTheQueue(t *testing.T) {
	f := setup(t)
	body := strings.Replace(f.submission(2), `{`, `{"comment":"办得慢，电话13812345678，身份证37030219900101123X","tags":["M03"],`, 1)
	if s, _, b := f.invoke(t, f.request(body)); s != 202 {
		t.Fatalf("post: %d %s", s, b)
	}
	q := f.queued(t)
	if len(q) != 1 {
		t.Fatalf("%d ratings queued, want 1", len(q))
	}
	if c := q[0].Comment; strings.Contains(c, "13812345678") || strings.Contains(c, "370302") || !strings.HasPrefix(c, "办得慢，电话***********") {
		t.Errorf("queued comment %q", c)
	}
}
