package stack_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"banban/local/devauth"
	"banban/local/stack"
	"banban/local/template"
)

// fakeFunction records the last event and answers with resp.
type fakeFunction struct {
	last  []byte
	fn    string
	resp  []byte
	err   error
	calls int
}

func (f *fakeFunction) invoke(_ context.Context, fn string, payload []byte) ([]byte, error) {
	f.calls++
	f.last, f.fn = payload, fn
	return f.resp, f.err
}

func newTestGateway(t *testing.T, f *fakeFunction) (*stack.Gateway, *devauth.Authority) {
	t.Helper()
	tpl, err := template.Load(filepath.Join("testdata", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	routes, err := stack.RoutesFromTemplate(tpl)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := devauth.Open(filepath.Join(t.TempDir(), "jwt.pem"), devauth.DefaultIssuer, devauth.DefaultAudience)
	if err != nil {
		t.Fatal(err)
	}
	g := stack.NewGateway(stack.GatewayConfig{
		Routes: routes, Invoke: f.invoke, Authority: auth, Issuer: devauth.DefaultIssuer,
		Audience: []string{devauth.DefaultAudience}, AccountID: "000000000000",
		Now: func() time.Time { return time.Date(2026, 3, 12, 19, 3, 58, 0, time.UTC) },
	})
	return g, auth
}

func serve(g http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	g.ServeHTTP(rec, req)
	return rec
}

func TestGatewayRequestMapping(t *testing.T) {
	f := &fakeFunction{resp: []byte(`{"statusCode":200,"body":"ok"}`)}
	g, _ := newTestGateway(t, f)
	req := httptest.NewRequest("GET", "http://127.0.0.1:3000/v1/public/w%201?a=1&b=x&a=2", nil)
	req.Header.Set("User-Agent", "tester/1")
	req.Header.Add("X-Multi", "1")
	req.Header.Add("X-Multi", "2")
	req.Header.Set("Cookie", "c1=v1; c2=v2")
	rec := serve(g, req)
	if rec.Code != 200 || rec.Body.String() != "ok" {
		t.Fatalf("response %d %q", rec.Code, rec.Body)
	}
	if rec.Header().Get("Apigw-Requestid") == "" {
		t.Error("no apigw-requestid header")
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(f.last, &ev); err != nil {
		t.Fatal(err)
	}
	rc := ev.RequestContext
	checks := map[string][2]string{
		"function":         {f.fn, "EchoFunction"},
		"version":          {ev.Version, "2.0"},
		"routeKey":         {ev.RouteKey, "GET /v1/public/{id}"},
		"rc.routeKey":      {rc.RouteKey, "GET /v1/public/{id}"},
		"rawPath":          {ev.RawPath, "/v1/public/w%201"},
		"rawQueryString":   {ev.RawQueryString, "a=1&b=x&a=2"},
		"query a":          {ev.QueryStringParameters["a"], "1,2"},
		"pathParameter":    {ev.PathParameters["id"], "w 1"},
		"header":           {ev.Headers["x-multi"], "1,2"},
		"user-agent":       {ev.Headers["user-agent"], "tester/1"},
		"host":             {ev.Headers["host"], "127.0.0.1:3000"},
		"stage":            {rc.Stage, "$default"},
		"method":           {rc.HTTP.Method, "GET"},
		"path":             {rc.HTTP.Path, "/v1/public/w%201"},
		"protocol":         {rc.HTTP.Protocol, "HTTP/1.1"},
		"sourceIp":         {rc.HTTP.SourceIP, "192.0.2.1"},
		"userAgent":        {rc.HTTP.UserAgent, "tester/1"},
		"domainName":       {rc.DomainName, "127.0.0.1:3000"},
		"accountId":        {rc.AccountID, "000000000000"},
		"apiId":            {rc.APIID, "local"},
		"time":             {rc.Time, "12/Mar/2026:19:03:58 +0000"},
		"requestId":        {rc.RequestID, rec.Header().Get("Apigw-Requestid")},
		"cookies":          {strings.Join(ev.Cookies, "|"), "c1=v1|c2=v2"},
		"no cookie header": {ev.Headers["cookie"], ""},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", name, c[0], c[1])
		}
	}
	if rc.TimeEpoch != time.Date(2026, 3, 12, 19, 3, 58, 0, time.UTC).UnixMilli() {
		t.Errorf("timeEpoch = %d", rc.TimeEpoch)
	}
	if rc.Authorizer != nil || ev.Body != "" || ev.IsBase64Encoded {
		t.Errorf("public GET: authorizer %v body %q", rc.Authorizer, ev.Body)
	}
}

func TestGatewayBodies(t *testing.T) {
	f := &fakeFunction{resp: []byte(`{"statusCode":204}`)}
	g, auth := newTestGateway(t, f)
	tok, err := auth.Mint(map[string]any{"sub": "u"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ctype  string
		body   []byte
		base64 bool
	}{
		{"application/json", []byte(`{"a":"é"}`), false},
		{"text/plain; charset=utf-8", []byte("hello"), false},
		{"application/octet-stream", []byte{0, 1, 2}, true},
		{"application/x-www-form-urlencoded", []byte("a=1"), true},
		{"application/json", []byte{0xff, 0xfe}, true},
	} {
		req := httptest.NewRequest("POST", "/v1/items", bytes.NewReader(c.body))
		req.Header.Set("Content-Type", c.ctype)
		req.Header.Set("Authorization", "Bearer "+tok)
		if rec := serve(g, req); rec.Code != 204 {
			t.Fatalf("%s: status %d", c.ctype, rec.Code)
		}
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(f.last, &ev); err != nil {
			t.Fatal(err)
		}
		got := []byte(ev.Body)
		if ev.IsBase64Encoded {
			if got, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
				t.Fatal(err)
			}
		}
		if ev.IsBase64Encoded != c.base64 || !bytes.Equal(got, c.body) {
			t.Errorf("%s: base64=%v body=%q", c.ctype, ev.IsBase64Encoded, got)
		}
	}

	big := bytes.Repeat([]byte("a"), stack.MaxRequestBody+1)
	req := httptest.NewRequest("POST", "/v1/items", bytes.NewReader(big))
	req.Header.Set("Authorization", "Bearer "+tok)
	if rec := serve(g, req); rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d", rec.Code)
	}
}

func TestGatewayJWT(t *testing.T) {
	f := &fakeFunction{resp: []byte(`{"statusCode":200,"body":"ok"}`)}
	g, auth := newTestGateway(t, f)
	other, err := devauth.Open(filepath.Join(t.TempDir(), "other.pem"), devauth.DefaultIssuer, devauth.DefaultAudience)
	if err != nil {
		t.Fatal(err)
	}
	mint := func(a *devauth.Authority, claims map[string]any) string {
		tok, err := a.Mint(claims, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	cases := map[string]struct {
		header string
		want   int
	}{
		"valid":          {"Bearer " + mint(auth, map[string]any{"sub": "staff:u1", "kind": "staff", "role": "clerk"}), 200},
		"no bearer word": {mint(auth, nil), 200},
		"missing":        {"", 401},
		"garbage":        {"Bearer not.a.jwt", 401},
		"expired":        {"Bearer " + mint(auth, map[string]any{"exp": time.Now().Add(-time.Second).Unix()}), 401},
		"not yet valid":  {"Bearer " + mint(auth, map[string]any{"nbf": time.Now().Add(time.Hour).Unix()}), 401},
		"wrong audience": {"Bearer " + mint(auth, map[string]any{"aud": "someone-else"}), 401},
		"wrong issuer":   {"Bearer " + mint(auth, map[string]any{"iss": "https://elsewhere"}), 401},
		"wrong key":      {"Bearer " + mint(other, nil), 401},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/v1/items", strings.NewReader("{}"))
			if c.header != "" {
				req.Header.Set("Authorization", c.header)
			}
			f.calls = 0
			rec := serve(g, req)
			if rec.Code != c.want {
				t.Fatalf("status %d, want %d (%s)", rec.Code, c.want, rec.Body)
			}
			if c.want == 401 {
				if rec.Body.String() != `{"message":"Unauthorized"}` || f.calls != 0 {
					t.Errorf("401 body %q, function called %d times", rec.Body, f.calls)
				}
			}
		})
	}

	// Claims reach the function as API Gateway passes them: every value a string.
	tok := mint(auth, map[string]any{"sub": "staff:u1", "kind": "staff", "role": "clerk", "window": "w1", "n": 42, "groups": []string{"a", "b"},
		"scope": "read write"})
	req := httptest.NewRequest("GET", "/v1/files/a/b/c.txt", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if rec := serve(g, req); rec.Code != 200 {
		t.Fatalf("greedy route: %d", rec.Code)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(f.last, &ev); err != nil {
		t.Fatal(err)
	}
	jwt := ev.RequestContext.Authorizer.JWT
	for k, want := range map[string]string{"sub": "staff:u1", "kind": "staff", "role": "clerk", "window": "w1", "n": "42", "groups": "[a b]",
		"aud": "banban", "iss": devauth.DefaultIssuer} {
		if jwt.Claims[k] != want {
			t.Errorf("claim %s = %q, want %q", k, jwt.Claims[k], want)
		}
	}
	if strings.Join(jwt.Scopes, " ") != "read write" {
		t.Errorf("scopes = %v", jwt.Scopes)
	}
	if ev.PathParameters["proxy"] != "a/b/c.txt" || ev.RouteKey != "ANY /v1/files/{proxy+}" {
		t.Errorf("greedy: %v %s", ev.PathParameters, ev.RouteKey)
	}
}

func TestGatewayRoutingAndResponses(t *testing.T) {
	f := &fakeFunction{}
	g, _ := newTestGateway(t, f)

	// A literal segment beats a parameter.
	f.resp = []byte(`{"statusCode":200}`)
	serve(g, httptest.NewRequest("GET", "/v1/public/me", nil))
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(f.last, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.RouteKey != "GET /v1/public/me" || ev.PathParameters != nil {
		t.Errorf("precedence: %s %v", ev.RouteKey, ev.PathParameters)
	}

	for _, c := range []struct{ method, path string }{
		{"GET", "/nope"}, {"POST", "/v1/public/x"}, {"GET", "/v1/files"}, {"GET", "/v1/public/x/y"},
	} {
		rec := serve(g, httptest.NewRequest(c.method, c.path, nil))
		if rec.Code != 404 || rec.Body.String() != `{"message":"Not Found"}` {
			t.Errorf("%s %s: %d %s", c.method, c.path, rec.Code, rec.Body)
		}
	}

	// Structured response: headers, multi-value headers, cookies, base64 body.
	f.resp = []byte(`{"statusCode":201,"headers":{"X-One":"1"},"multiValueHeaders":{"X-Many":["a","b"]},
		"cookies":["s=1; Path=/","t=2"],"isBase64Encoded":true,"body":"AAEC"}`)
	rec := serve(g, httptest.NewRequest("GET", "/v1/public/x", nil))
	res := rec.Result()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 201 || !bytes.Equal(body, []byte{0, 1, 2}) || res.Header.Get("X-One") != "1" ||
		strings.Join(res.Header.Values("X-Many"), ",") != "a,b" || len(res.Header.Values("Set-Cookie")) != 2 {
		t.Errorf("structured response: %d %v %v", res.StatusCode, body, res.Header)
	}

	// A bare JSON result is a 200 application/json response.
	f.resp = []byte(`{"plain":true}`)
	rec = serve(g, httptest.NewRequest("GET", "/v1/public/x", nil))
	if rec.Code != 200 || rec.Body.String() != `{"plain":true}` || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("inferred response: %d %s %v", rec.Code, rec.Body, rec.Header())
	}

	// A function error is a 500 with API Gateway's message.
	f.resp, f.err = []byte(`{"errorType":"x"}`), &stack.FunctionError{Type: "x"}
	rec = serve(g, httptest.NewRequest("GET", "/v1/public/x", nil))
	if rec.Code != 500 || rec.Body.String() != `{"message":"Internal Server Error"}` {
		t.Errorf("function error: %d %s", rec.Code, rec.Body)
	}
}
