package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"banban/shared/apperr"
	"banban/shared/auth"
)

type sample struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

func jsonReq(body string) Request {
	return Request{Headers: map[string]string{"content-type": "application/json; charset=utf-8"}, Body: body}
}

func TestDecodeJSONAcceptsAStrictBody(t *testing.T) {
	var s sample
	if err := DecodeJSON(jsonReq(`{"name":"窗口","count":2}`), []byte(`{"name":"窗口","count":2}`), &s); err != nil {
		t.Fatal(err)
	}
	if s.Name != "窗口" || s.Count != 2 {
		t.Errorf("decoded %+v", s)
	}
}

func TestDecodeJSONRefuses(t *testing.T) {
	tests := []struct {
		name, body, field string
	}{
		{"unknown field", `{"name":"a","phone":"13800000000"}`, "phone"},
		{"wrong type", `{"count":"two"}`, "count"},
		{"trailing data", `{"name":"a"} {"name":"b"}`, "body"},
		{"syntax", `{"name":`, "body"},
		{"empty", ``, "body"},
		{"array", `[1]`, "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s sample
			err := DecodeJSON(jsonReq(tt.body), []byte(tt.body), &s)
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.Invalid || e.Field != tt.field {
				t.Fatalf("got %v, want invalid %s", err, tt.field)
			}
		})
	}
}

func TestDecodeJSONNeedsJSONContentType(t *testing.T) {
	req := Request{Headers: map[string]string{"content-type": "text/plain"}}
	var s sample
	if err := DecodeJSON(req, []byte(`{}`), &s); Status(err) != 415 {
		t.Fatalf("got %v", err)
	}
}

func TestBodyLimitsAndEncodings(t *testing.T) {
	if _, err := Body(Request{Body: strings.Repeat("a", 11)}, 10); Status(err) != 413 {
		t.Errorf("oversized body: %v", err)
	}
	big := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("a"), 100))
	if _, err := Body(Request{Body: big, IsBase64Encoded: true}, 10); Status(err) != 413 {
		t.Errorf("oversized base64 body: %v", err)
	}
	if _, err := Body(Request{Body: "\xff\xfe"}, 10); !apperr.Is(err, "invalid_utf8") {
		t.Errorf("invalid UTF-8: %v", err)
	}
	b, err := Body(Request{Body: base64.StdEncoding.EncodeToString([]byte("你好")), IsBase64Encoded: true}, 10)
	if err != nil || string(b) != "你好" {
		t.Errorf("base64 body: %q, %v", b, err)
	}
}

func TestStatusMapping(t *testing.T) {
	tests := map[apperr.Kind]int{
		apperr.Invalid: 400, apperr.Unauthenticated: 401, apperr.Forbidden: 403, apperr.NotFound: 404,
		apperr.Conflict: 409, apperr.TooLarge: 413, apperr.Unsupported: 415, apperr.TooMany: 429,
		apperr.Unavailable: 503, apperr.Internal: 500,
	}
	for kind, want := range tests {
		if got := Status(&apperr.Error{Kind: kind}); got != want {
			t.Errorf("kind %d -> %d, want %d", kind, got, want)
		}
	}
	if Status(errors.New("plain")) != 500 {
		t.Error("a plain error is not 500")
	}
}

func TestRouterMapsErrorsAndRecoversPanics(t *testing.T) {
	var logs bytes.Buffer
	r := NewRouter(slog.New(slog.NewJSONHandler(&logs, nil)))
	r.Handle("GET /bad", auth.PublicPolicy(), func(context.Context, Request) (Response, error) {
		return Response{}, apperr.InvalidField("month", "must be YYYY-MM")
	})
	r.Handle("GET /boom", auth.PublicPolicy(), func(context.Context, Request) (Response, error) { panic("secret detail") })
	r.Handle("GET /fail", auth.PublicPolicy(), func(context.Context, Request) (Response, error) {
		return Response{}, errors.New("dynamodb exploded at table x")
	})

	check := func(route string, status int, want ErrorDetail) {
		t.Helper()
		resp, err := r.Invoke(context.Background(), Request{RouteKey: route})
		if err != nil {
			t.Fatalf("%s returned a Go error: %v", route, err)
		}
		var body ErrorBody
		if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
			t.Fatalf("%s: %v", route, err)
		}
		if resp.StatusCode != status || body.Error != want {
			t.Errorf("%s -> %d %+v, want %d %+v", route, resp.StatusCode, body.Error, status, want)
		}
		if !strings.HasPrefix(resp.Headers["Content-Type"], "application/json") {
			t.Errorf("%s: content type %q", route, resp.Headers["Content-Type"])
		}
	}
	check("GET /bad", 400, ErrorDetail{Code: "invalid_field", Message: "must be YYYY-MM", Field: "month"})
	check("GET /boom", 500, ErrorDetail{Code: "internal", Message: "internal error"})
	check("GET /fail", 500, ErrorDetail{Code: "internal", Message: "internal error"})
	check("GET /nowhere", 404, ErrorDetail{Code: "route_not_found", Message: "no route GET /nowhere"})
	if !strings.Contains(logs.String(), "secret detail") || !strings.Contains(logs.String(), "dynamodb exploded") {
		t.Error("internal causes were not logged")
	}
}

// withClaims is a request as API Gateway passes it after its JWT authorizer verified the token.
func withClaims(route string, claims map[string]string) Request {
	return Request{RouteKey: route, RequestContext: events.APIGatewayV2HTTPRequestContext{
		Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims},
		},
	}}
}

func TestPrincipalNeedsVerifiedClaims(t *testing.T) {
	if _, err := principalOf(Request{}); Status(err) != 401 {
		t.Errorf("no authorizer: %v", err)
	}
	want := auth.NewStaff("s1", auth.UnitAdmin, "u1", "", "")
	p, err := principalOf(withClaims("GET /x", want.Claims()))
	if err != nil || p != want {
		t.Fatalf("got %+v, %v", p, err)
	}
}

// TestRouterEnforcesEachRoutesPolicy: the router establishes the caller of a token route and
// refuses a role the policy does not name before the handler runs; the handler's Authorize
// answers a target out of reach as not found; public routes need no token; a route registered
// with a policy that cannot be enforced is reported and never runs.
func TestRouterEnforcesEachRoutesPolicy(t *testing.T) {
	r := NewRouter(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	ran := 0
	window := auth.Target{Halls: []string{"h1"}, Units: []string{"u1"}, Windows: []string{"w1"}}
	r.Handle("GET /window", auth.Allow(map[auth.Role][]auth.Reach{auth.CityAdmin: {auth.All}, auth.HallAdmin: {auth.Hall}}),
		func(ctx context.Context, _ Request) (Response, error) {
			ran++
			if err := Authorize(ctx, window, "window"); err != nil {
				return Response{}, err
			}
			return JSON(200, Caller(ctx).Subject), nil
		})
	r.Handle("GET /public", auth.PublicPolicy(), func(ctx context.Context, _ Request) (Response, error) {
		if Authorize(ctx, window, "window") == nil {
			t.Error("a public route authorized a target")
		}
		return JSON(200, "ok"), nil
	})
	r.Handle("GET /unguarded", auth.Policy{}, func(context.Context, Request) (Response, error) {
		t.Error("a route without a policy ran")
		return JSON(200, "ok"), nil
	})
	status := func(req Request) int {
		t.Helper()
		resp, err := r.Invoke(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode
	}
	cases := []struct {
		name string
		req  Request
		want int
	}{
		{"no token", Request{RouteKey: "GET /window"}, 401},
		{"a role not named", withClaims("GET /window", auth.NewStaff("u", auth.UnitAdmin, "u1", "", "").Claims()), 403},
		{"out of reach", withClaims("GET /window", auth.NewStaff("h", auth.HallAdmin, "", "h2", "").Claims()), 404},
		{"in reach", withClaims("GET /window", auth.NewStaff("h", auth.HallAdmin, "", "h1", "").Claims()), 200},
		{"the city", withClaims("GET /window", auth.NewStaff("c", auth.CityAdmin, "", "", "").Claims()), 200},
		{"public", Request{RouteKey: "GET /public"}, 200},
		{"unguarded", Request{RouteKey: "GET /unguarded"}, 500},
	}
	for _, c := range cases {
		if got := status(c.req); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	if ran != 3 {
		t.Errorf("the handler ran %d times; only the three admitted callers should reach it", ran)
	}
	if len(r.Invalid()) != 1 || !strings.HasPrefix(r.Invalid()[0], "GET /unguarded") {
		t.Errorf("invalid routes %v", r.Invalid())
	}
}

func TestRateLimitedAnswersRetryAfterInWholeSeconds(t *testing.T) {
	r := NewRouter(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	r.Handle("POST /limited", auth.PublicPolicy(), func(context.Context, Request) (Response, error) {
		return Response{}, apperr.RateLimited("rate_limited", 90*time.Second+time.Millisecond, "too many")
	})
	r.Handle("POST /busy", auth.PublicPolicy(), func(context.Context, Request) (Response, error) {
		return Response{}, apperr.New(apperr.Unavailable, "throttled", "busy")
	})
	resp, err := r.Invoke(context.Background(), Request{RouteKey: "POST /limited"})
	if err != nil || resp.StatusCode != 429 || resp.Headers["Retry-After"] != "91" || !strings.Contains(resp.Body, `"code":"rate_limited"`) {
		t.Errorf("rate limited: %d %v %s %v", resp.StatusCode, resp.Headers, resp.Body, err)
	}
	resp, err = r.Invoke(context.Background(), Request{RouteKey: "POST /busy"})
	if err != nil || resp.StatusCode != 503 || resp.Headers["Retry-After"] != "1" {
		t.Errorf("unavailable: %d %v %v", resp.StatusCode, resp.Headers, err)
	}
}
