package evaluationapi_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/uuid"

	"banban/shared/handler/evaluationapi"
	"banban/shared/httpapi"
	"banban/shared/qrlink"
	"banban/shared/ratelimit"
	"banban/shared/rating"
)

// staff builds a request of a staff member to a QR code route of window.
func staff(routeKey, window string, claims map[string]string) httpapi.Request {
	req := httpapi.Request{RouteKey: routeKey, PathParameters: map[string]string{"windowId": window}}
	if claims != nil {
		req.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims}}
	}
	return req
}

var unitAdmin = map[string]string{"sub": "staff:unit-admin-scjg", "kind": "staff", "role": "unit_admin", "unit": "zb-scjg"}

// code asks for the window's QR code as its unit administrator and returns the link's token.
func (f *fixture) code(t *testing.T, routeKey, window string) (evaluationapi.QRCode, string) {
	t.Helper()
	status, _, body := f.invoke(t, staff(routeKey, window, unitAdmin))
	if status != 200 && status != 201 {
		t.Fatalf("%s: %d %s", routeKey, status, body)
	}
	var c evaluationapi.QRCode
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(c.URL)
	if err != nil || u.Host != "banban.example.gov.cn" || u.Path != "/rate" || u.Query().Get("t") == "" {
		t.Fatalf("link %q: %v", c.URL, err)
	}
	return c, u.Query().Get("t")
}

// qr builds the public request of the rating page, from the client at ip.
func qr(body, ip string) httpapi.Request {
	req := httpapi.Request{RouteKey: "POST /v1/qr/evaluations", RawPath: "/v1/qr/evaluations",
		Headers: map[string]string{"content-type": "application/json"}, Body: body}
	req.RequestContext.HTTP.Method, req.RequestContext.HTTP.SourceIP = "POST", ip
	return req
}

func qrBody(token string, level int) string {
	return fmt.Sprintf(`{"token":%q,"id":%q,"level":%d}`, token, uuid.NewString(), level)
}

// drain takes every queued rating off the queue.
func (f *fixture) drain(t *testing.T) []rating.Rating {
	t.Helper()
	var all []rating.Rating
	for {
		q := f.queued(t)
		if len(q) == 0 {
			return all
		}
		all = append(all, q...)
	}
}

func TestAQRRatingIsQueuedAnonymouslyForTheWindowOfItsCode(t *testing.T) {
	f := setup(t)
	c, token := f.code(t, "GET /v1/windows/{windowId}/qr-code", "zb-a01")
	if c.WindowID != "zb-a01" || c.HallID != "zb-center" || c.UnitID != "zb-scjg" || c.Version != 1 ||
		!c.ExpiresAt.Equal(f.now.Add(24*time.Hour).Truncate(time.Second)) {
		t.Errorf("code %+v", c)
	}
	id := uuid.NewString()
	body := fmt.Sprintf(`{"token":%q,"id":%q,"level":2,"tags":["M03"],"comment":"等了很久，电话13812345678"}`, token, id)
	status, _, resp := f.invoke(t, qr(body, "203.0.113.7"))
	if status != 202 || !strings.Contains(resp, id) {
		t.Fatalf("post: %d %s", status, resp)
	}
	out, err := f.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &f.queue, MaxNumberOfMessages: 10})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("%d messages queued: %v", len(out.Messages), err)
	}
	raw := aws.ToString(out.Messages[0].Body)
	if strings.Contains(raw, "203.0.113") || strings.Contains(raw, "13812345678") || strings.Contains(raw, token) {
		t.Errorf("the queued rating names its client: %s", raw)
	}
	var r rating.Rating
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		t.Fatal(err)
	}
	if r.ID != id || r.Channel != rating.ChannelQR || r.WindowID != "zb-a01" || r.HallID != "zb-center" || r.UnitID != "zb-scjg" ||
		r.KioskID != "" || r.StaffID != "" || r.Ticket != "" || r.Level != 2 || len(r.Tags) != 1 ||
		!r.RatedAt.Equal(f.now.Truncate(time.Second)) || !r.ReceivedAt.Equal(f.now) {
		t.Errorf("queued %+v", r)
	}
	if err := r.Check(); err != nil {
		t.Error(err)
	}
}

func TestQRCodesAreForTheWindowsAdministratorsOnly(t *testing.T) {
	f := setup(t)
	tests := []struct {
		name   string
		window string
		claims map[string]string
		status int
	}{
		{"its unit administrator", "zb-a01", unitAdmin, 200},
		{"its hall administrator", "zb-a01", map[string]string{"sub": "staff:h", "kind": "staff", "role": "hall_admin", "hall": "zb-center"}, 200},
		{"the city", "zb-a01", map[string]string{"sub": "staff:c", "kind": "staff", "role": "city_admin"}, 200},
		{"its clerk", "zb-a01", map[string]string{"sub": "staff:k", "kind": "staff", "role": "clerk", "window": "zb-a01"}, 403},
		{"another unit", "zb-a01", map[string]string{"sub": "staff:u", "kind": "staff", "role": "unit_admin", "unit": "zb-rsj"}, 404},
		{"a citizen", "zb-a01", map[string]string{"sub": "citizen:p", "kind": "citizen", "role": "citizen"}, 403},
		{"no token", "zb-a01", nil, 401},
		{"an unknown window", "zb-nowhere", unitAdmin, 404},
		{"a malformed window id", "ZB A01", unitAdmin, 400},
	}
	for _, tt := range tests {
		for _, route := range []string{"GET /v1/windows/{windowId}/qr-code", "POST /v1/windows/{windowId}/qr-code/rotation"} {
			want := tt.status
			if want == 200 && strings.HasPrefix(route, "POST") {
				want = 201
			}
			if status, _, body := f.invoke(t, staff(route, tt.window, tt.claims)); status != want {
				t.Errorf("%s, %s: %d %s", tt.name, route, status, body)
			}
		}
	}
}

func TestForgedExpiredAndRevokedLinksAreRefused(t *testing.T) {
	f := setup(t)
	_, token := f.code(t, "GET /v1/windows/{windowId}/qr-code", "zb-a01")
	parts := strings.Split(token, ".")
	otherKey := qrlink.Sign([]byte("a key of our own"), qrlink.Claims{WindowID: "zb-a01", Version: 1, Expires: f.now.Add(time.Hour)})
	forged := map[string]string{
		"another window under the signature": strings.Join([]string{parts[0], "zb-b01", parts[2], parts[3], parts[4]}, "."),
		"a later expiry":                     strings.Join([]string{parts[0], parts[1], parts[2], "99999999999", parts[4]}, "."),
		"signed with another key":            otherKey,
		"a made-up token":                    "q1.zb-a01.1.99999999999.AAAA",
	}
	for name, tok := range forged {
		if status, e, body := f.invoke(t, qr(qrBody(tok, 1), "203.0.113.9")); status != 401 || e.Code != "bad_qr_token" {
			t.Errorf("%s: %d %s", name, status, body)
		}
	}
	// Expired: a day after the link was made (its lifetime in this fixture).
	*f.clock = f.now.Add(24 * time.Hour)
	if status, e, body := f.invoke(t, qr(qrBody(token, 1), "203.0.113.9")); status != 401 || e.Code != "qr_token_expired" {
		t.Errorf("expired: %d %s", status, body)
	}
	*f.clock = f.now
	// Rotated: the old link is revoked at once, the new one works.
	c, fresh := f.code(t, "POST /v1/windows/{windowId}/qr-code/rotation", "zb-a01")
	if c.Version != 2 {
		t.Errorf("rotated to version %d", c.Version)
	}
	if status, e, body := f.invoke(t, qr(qrBody(token, 1), "203.0.113.9")); status != 401 || e.Code != "qr_token_revoked" {
		t.Errorf("revoked: %d %s", status, body)
	}
	if q := f.drain(t); len(q) != 0 {
		t.Fatalf("refused links queued %d ratings", len(q))
	}
	if status, _, body := f.invoke(t, qr(qrBody(fresh, 1), "203.0.113.9")); status != 202 {
		t.Errorf("the new link: %d %s", status, body)
	}
	if c, _ := f.code(t, "GET /v1/windows/{windowId}/qr-code", "zb-a01"); c.Version != 2 {
		t.Errorf("after rotation the code is at version %d", c.Version)
	}
	if q := f.drain(t); len(q) != 1 {
		t.Errorf("the new link queued %d ratings", len(q))
	}
}

func TestHostileQRInputsAreRefusedAndNothingIsQueued(t *testing.T) {
	f := setup(t)
	_, token := f.code(t, "GET /v1/windows/{windowId}/qr-code", "zb-a01")
	good := qrBody(token, 4)
	with := func(field string) string { return strings.Replace(good, `{`, `{`+field+`,`, 1) }
	tests := []struct {
		name   string
		req    httpapi.Request
		status int
		code   string
		field  string
	}{
		{"identity field", qr(with(`"idNumber":"370302199001011234"`), "203.0.113.1"), 400, "invalid_field", "idNumber"},
		{"phone field", qr(with(`"phone":"13812345678"`), "203.0.113.1"), 400, "invalid_field", "phone"},
		{"openid field", qr(with(`"openid":"o6_bmjrPTlm6_2sgVt7hMZOPfL2M"`), "203.0.113.1"), 400, "invalid_field", "openid"},
		{"window chosen by the client", qr(with(`"windowId":"zb-b01"`), "203.0.113.1"), 400, "invalid_field", "windowId"},
		{"channel chosen by the client", qr(with(`"channel":"kiosk"`), "203.0.113.1"), 400, "invalid_field", "channel"},
		{"time chosen by the client", qr(with(`"ratedAt":"2026-01-01T00:00:00+08:00"`), "203.0.113.1"), 400, "invalid_field", "ratedAt"},
		{"staff named by the client", qr(with(`"staffId":"clerk-zb-a01"`), "203.0.113.1"), 400, "invalid_field", "staffId"},
		{"no token", qr(strings.Replace(good, `"token":"`+token+`",`, ``, 1), "203.0.113.1"), 400, "invalid_field", "token"},
		{"token not a string", qr(strings.Replace(good, `"`+token+`"`, `42`, 1), "203.0.113.1"), 400, "invalid_field", "token"},
		{"level as string", qr(strings.Replace(good, `"level":4`, `"level":"4"`, 1), "203.0.113.1"), 400, "invalid_field", "level"},
		{"level 0", qr(strings.Replace(good, `"level":4`, `"level":0`, 1), "203.0.113.1"), 400, "invalid_field", "level"},
		{"id not a UUID", qr(fmt.Sprintf(`{"token":%q,"id":"1 OR 1=1","level":4}`, token), "203.0.113.1"), 400, "invalid_field", "id"},
		{"unknown tag", qr(with(`"tags":["<script>"]`), "203.0.113.1"), 400, "invalid_field", "tags"},
		{"comment too long", qr(with(`"comment":"`+strings.Repeat("差", rating.MaxComment+1)+`"`), "203.0.113.1"), 400, "invalid_field", "comment"},
		{"not JSON", qr(`level=1`, "203.0.113.1"), 400, "invalid_field", "body"},
		{"two objects", qr(good+good, "203.0.113.1"), 400, "invalid_field", "body"},
		{"invalid UTF-8", qr(with("\"x\":\"\xff\""), "203.0.113.1"), 400, "invalid_utf8", ""},
		{"oversized", qr(with(`"pad":"`+strings.Repeat("a", evaluationapi.MaxBody)+`"`), "203.0.113.1"), 413, "body_too_large", ""},
		{"token oversized", qr(strings.Replace(good, token, strings.Repeat("q", qrlink.MaxToken+1), 1), "203.0.113.1"), 401, "bad_qr_token", ""},
	}
	wrongType := qr(good, "203.0.113.1")
	wrongType.Headers["content-type"] = "text/plain"
	tests = append(tests, struct {
		name   string
		req    httpapi.Request
		status int
		code   string
		field  string
	}{"wrong content type", wrongType, 415, "unsupported_media_type", ""})
	for _, tt := range tests {
		status, e, body := f.invoke(t, tt.req)
		if status != tt.status || e.Code != tt.code || e.Field != tt.field {
			t.Errorf("%s: %d %s", tt.name, status, body)
		}
	}
	if q := f.drain(t); len(q) != 0 {
		t.Errorf("%d ratings queued by refused requests", len(q))
	}
}

func TestQRRatingsAreRateLimitedPerClientAndPerWindow(t *testing.T) {
	f := setup(t) // a client 3 per 10 minutes, a window 5 per minute
	_, token := f.code(t, "GET /v1/windows/{windowId}/qr-code", "zb-a01")
	// Half a minute into a ten-minute period, so the periods of this test are known.
	now := f.now.Truncate(10 * time.Minute).Add(30 * time.Second)
	*f.clock = now
	_, end := ratelimit.Limit{Max: 3, Per: f.cfg.QRClientPeriod}.Period(now)
	post := func(body, ip string) (int, httpapi.ErrorDetail, string, string) {
		resp, err := f.router.Invoke(ctx, qr(body, ip))
		if err != nil {
			t.Fatal(err)
		}
		var e httpapi.ErrorBody
		if resp.StatusCode >= 400 {
			if err := json.Unmarshal([]byte(resp.Body), &e); err != nil {
				t.Fatal(err)
			}
		}
		return resp.StatusCode, e.Error, resp.Body, resp.Headers["Retry-After"]
	}
	first := qrBody(token, 5)
	for i, body := range []string{first, qrBody(token, 5), qrBody(token, 4)} {
		if status, _, resp, _ := post(body, "203.0.113.10"); status != 202 {
			t.Fatalf("rating %d of the client: %d %s", i+1, status, resp)
		}
	}
	status, e, resp, retry := post(qrBody(token, 1), "203.0.113.10")
	if status != 429 || e.Code != "client_rate_limited" || retry != strconv.Itoa(int(end.Sub(now)/time.Second)) {
		t.Errorf("the client's fourth rating: %d %s, Retry-After %q", status, resp, retry)
	}
	// An identical retry of an accepted rating is accepted again and costs the client nothing;
	// another rating under a used id is refused.
	if status, _, resp, _ := post(first, "203.0.113.10"); status != 202 {
		t.Errorf("a retry over the client's limit: %d %s", status, resp)
	}
	if status, e, resp, _ := post(strings.Replace(first, `"level":5`, `"level":1`, 1), "203.0.113.11"); status != 409 || e.Code != "id_reused" {
		t.Errorf("a used id: %d %s", status, resp)
	}
	// The window takes 5 a minute, whoever rates: 3 so far.
	for _, ip := range []string{"203.0.113.20", "2001:db8::1"} {
		if status, _, resp, _ := post(qrBody(token, 3), ip); status != 202 {
			t.Fatalf("another client: %d %s", status, resp)
		}
	}
	status, e, resp, retry = post(qrBody(token, 3), "203.0.113.30")
	if status != 429 || e.Code != "window_rate_limited" || retry == "" {
		t.Errorf("the window's sixth rating of the minute: %d %s, Retry-After %q", status, resp, retry)
	}
	q := f.drain(t)
	ids := map[string]int{}
	for _, r := range q {
		ids[r.ID]++
	}
	if len(q) != 6 || len(ids) != 5 {
		t.Errorf("queued %d ratings with %d ids; want the 5 accepted and the retry", len(q), len(ids))
	}
	// A minute later the window takes ratings again; the first client still waits.
	*f.clock = now.Add(time.Minute)
	if status, _, resp, _ := post(qrBody(token, 3), "203.0.113.30"); status != 202 {
		t.Errorf("next minute: %d %s", status, resp)
	}
	if status, _, resp, _ := post(qrBody(token, 3), "203.0.113.10"); status != 429 {
		t.Errorf("the first client within its period: %d %s", status, resp)
	}
	// Once its period is over, the first client may rate again.
	*f.clock = end
	if status, _, resp, _ := post(qrBody(token, 3), "203.0.113.10"); status != 202 {
		t.Errorf("the first client's next period: %d %s", status, resp)
	}
	// No address is stored, only keyed hashes.
	out, err := f.db.Scan(ctx, &dynamodb.ScanInput{TableName: &f.cfg.RateLimitsTable})
	if err != nil {
		t.Fatal(err)
	}
	items, _ := json.Marshal(out.Items)
	if len(out.Items) == 0 || strings.Contains(string(items), "203.0.113") || strings.Contains(string(items), "2001:db8") {
		t.Errorf("rate limits hold %d items: %s", len(out.Items), items)
	}
	for _, it := range out.Items {
		if _, ok := it["expiresAt"]; !ok {
			t.Errorf("an item without expiry: %v", it)
		}
	}
}
