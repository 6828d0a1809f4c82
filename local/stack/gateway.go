package stack

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"banban/local/devauth"
	"banban/local/template"
)

// MaxRequestBody is API Gateway's payload limit for HTTP APIs (10 MB).
const MaxRequestBody = 10 << 20

// Route is one HttpApi route of the template, bound to a function.
type Route struct {
	Function string // logical id
	Event    string // event name
	template.HttpApiEvent
	segs []segment
}

type segKind int

const (
	segLiteral segKind = iota
	segParam
	segGreedy
)

type segment struct {
	kind segKind
	text string // literal text or parameter name
}

// RoutesFromTemplate returns every HttpApi event of the template as a route.
func RoutesFromTemplate(t *template.Template) ([]Route, error) {
	var routes []Route
	seen := map[string]string{}
	for _, f := range t.Functions {
		for _, ev := range f.Events {
			if ev.HttpApi == nil {
				continue
			}
			rt, err := NewRoute(f.LogicalID, ev.Name, *ev.HttpApi)
			if err != nil {
				return nil, err
			}
			if prev, dup := seen[rt.RouteKey()]; dup {
				return nil, fmt.Errorf("route %q is declared by %s and %s/%s", rt.RouteKey(), prev, f.LogicalID, ev.Name)
			}
			seen[rt.RouteKey()] = f.LogicalID + "/" + ev.Name
			routes = append(routes, rt)
		}
	}
	return routes, nil
}

// NewRoute parses an HttpApi event's path template.
func NewRoute(function, event string, e template.HttpApiEvent) (Route, error) {
	rt := Route{Function: function, Event: event, HttpApiEvent: e}
	if !strings.HasPrefix(e.Path, "/") {
		return Route{}, fmt.Errorf("%s/%s: path %q must start with /", function, event, e.Path)
	}
	parts := strings.Split(strings.Trim(e.Path, "/"), "/")
	for i, p := range parts {
		switch {
		case p == "" && len(parts) == 1:
			// the root path "/"
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "+}"):
			if i != len(parts)-1 {
				return Route{}, fmt.Errorf("%s/%s: greedy parameter must be last in %q", function, event, e.Path)
			}
			rt.segs = append(rt.segs, segment{segGreedy, p[1 : len(p)-2]})
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}"):
			rt.segs = append(rt.segs, segment{segParam, p[1 : len(p)-1]})
		default:
			rt.segs = append(rt.segs, segment{segLiteral, p})
		}
	}
	return rt, nil
}

// match reports whether path (decoded, split) matches, with the path parameters.
func (rt Route) match(method string, parts []string) (map[string]string, bool) {
	if rt.Method != "ANY" && rt.Method != method {
		return nil, false
	}
	params := map[string]string{}
	for i, s := range rt.segs {
		if s.kind == segGreedy {
			if i >= len(parts) {
				return nil, false // {proxy+} needs at least one segment
			}
			params[s.text] = strings.Join(parts[i:], "/")
			return params, true
		}
		if i >= len(parts) {
			return nil, false
		}
		switch s.kind {
		case segLiteral:
			if parts[i] != s.text {
				return nil, false
			}
		case segParam:
			if parts[i] == "" {
				return nil, false
			}
			params[s.text] = parts[i]
		}
	}
	if len(parts) != len(rt.segs) {
		return nil, false
	}
	return params, true
}

// moreSpecific orders candidate matches as API Gateway does: segment by segment, a literal beats
// a parameter, which beats a greedy parameter; then a specific method beats ANY.
func moreSpecific(a, b Route) bool {
	for i := 0; i < len(a.segs) && i < len(b.segs); i++ {
		if a.segs[i].kind != b.segs[i].kind {
			return a.segs[i].kind < b.segs[i].kind
		}
	}
	if len(a.segs) != len(b.segs) {
		return len(a.segs) > len(b.segs)
	}
	return a.Method != "ANY" && b.Method == "ANY"
}

// InvokeFunc invokes a function by logical id.
type InvokeFunc func(ctx context.Context, function string, payload []byte) ([]byte, error)

// GatewayConfig configures the local HTTP API.
type GatewayConfig struct {
	Routes []Route
	Invoke InvokeFunc
	// Authority verifies tokens for routes that use the default JWT authorizer.
	Authority *devauth.Authority
	// Issuer and Audience are the authorizer's JwtConfiguration, resolved.
	Issuer   string
	Audience []string
	// AccountID and APIID fill requestContext.
	AccountID string
	APIID     string
	// Local serves extra endpoints under /_local/ (schedules, JWKS); may be nil.
	Local http.Handler
	// Now is the clock, for tests; nil means time.Now.
	Now func() time.Time
}

// Gateway is an http.Handler that behaves like an API Gateway HTTP API with Lambda proxy
// integrations (payload format 2.0) and a JWT authorizer.
type Gateway struct {
	cfg GatewayConfig
}

// NewGateway returns the gateway for cfg.
func NewGateway(cfg GatewayConfig) *Gateway {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.APIID == "" {
		cfg.APIID = "local"
	}
	return &Gateway{cfg: cfg}
}

func writeMessage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if _, err := fmt.Fprintf(w, `{"message":%q}`, msg); err != nil {
		slog.Debug("write response", "err", err)
	}
}

// ServeHTTP implements http.Handler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := g.cfg.Now()
	reqID := requestID()
	// API Gateway returns its request id on every response.
	w.Header().Set("Apigw-Requestid", reqID)
	if g.cfg.Local != nil && strings.HasPrefix(r.URL.Path, "/_local/") {
		g.cfg.Local.ServeHTTP(w, r)
		return
	}
	rt, params, ok := g.route(r.Method, r.URL.Path)
	if !ok {
		writeMessage(w, http.StatusNotFound, "Not Found")
		return
	}
	log := slog.With("route", rt.RouteKey(), "function", rt.Function, "requestId", reqID)

	var authz *events.APIGatewayV2HTTPRequestContextAuthorizerDescription
	if !rt.Public() {
		claims, scopes, err := g.authorize(r)
		if err != nil {
			log.Info("unauthorized", "err", err)
			w.Header().Set("Www-Authenticate", `Bearer error="invalid_token"`)
			writeMessage(w, http.StatusUnauthorized, "Unauthorized")
			return
		}
		if len(rt.AuthorizationScopes) > 0 && !anyIn(rt.AuthorizationScopes, scopes) {
			writeMessage(w, http.StatusForbidden, "Forbidden")
			return
		}
		authz = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims, Scopes: scopes},
		}
	}

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeMessage(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
			return
		}
		log.Info("read request body", "err", err)
		writeMessage(w, http.StatusBadRequest, "Bad Request")
		return
	}
	ev := g.toEvent(r, rt, params, body, reqID, now)
	ev.RequestContext.Authorizer = authz
	payload, err := json.Marshal(ev)
	if err != nil {
		log.Error("marshal event", "err", err)
		writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	out, err := g.cfg.Invoke(r.Context(), rt.Function, payload)
	if err != nil {
		// API Gateway hides the function's error from the client; show it in the log.
		log.Error("integration failed", "err", err, "response", string(out))
		writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	if err := writeResponse(w, out); err != nil {
		log.Error("malformed Lambda response", "err", err, "response", string(out))
		writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	log.Debug("served", "duration", time.Since(now))
}

func (g *Gateway) route(method, path string) (Route, map[string]string, bool) {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	var (
		best   Route
		params map[string]string
		found  bool
	)
	for _, rt := range g.cfg.Routes {
		p, ok := rt.match(method, parts)
		if !ok {
			continue
		}
		if !found || moreSpecific(rt, best) {
			best, params, found = rt, p, true
		}
	}
	return best, params, found
}

// authorize checks the bearer token like API Gateway's JWT authorizer and returns the claims in
// its format (every value a string) and the scopes.
func (g *Gateway) authorize(r *http.Request) (map[string]string, []string, error) {
	if g.cfg.Authority == nil {
		return nil, nil, errors.New("no authorizer configured")
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, nil, errors.New("no Authorization header")
	}
	// API Gateway accepts the token with or without the Bearer prefix.
	tok := strings.TrimSpace(h)
	if len(tok) > 7 && strings.EqualFold(tok[:7], "bearer ") {
		tok = strings.TrimSpace(tok[7:])
	}
	mc, err := g.cfg.Authority.VerifyFor(tok, g.cfg.Issuer, g.cfg.Audience)
	if err != nil {
		return nil, nil, err
	}
	claims := make(map[string]string, len(mc))
	for k, v := range mc {
		claims[k] = claimString(v)
	}
	var scopes []string
	if s, ok := mc["scope"].(string); ok {
		scopes = strings.Fields(s)
	} else if list, ok := mc["scp"].([]any); ok {
		for _, x := range list {
			scopes = append(scopes, claimString(x))
		}
	}
	return claims, scopes, nil
}

// claimString stringifies a claim as API Gateway does: strings as they are, numbers without an
// exponent, arrays as "[a b]", objects as JSON.
func claimString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = claimString(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
}

func anyIn(want, have []string) bool {
	for _, w := range want {
		for _, h := range have {
			if w == h {
				return true
			}
		}
	}
	return false
}

// toEvent builds the payload format 2.0 event API Gateway sends for the request.
func (g *Gateway) toEvent(r *http.Request, rt Route, params map[string]string, body []byte, reqID string, now time.Time) events.APIGatewayV2HTTPRequest {
	ev := events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       rt.RouteKey(),
		RawPath:        r.URL.EscapedPath(),
		RawQueryString: r.URL.RawQuery,
		Headers:        map[string]string{},
	}
	// Header names are lower-cased and repeated headers comma-joined; cookies move to their own
	// field and the cookie header is dropped.
	for name, vals := range r.Header {
		ln := strings.ToLower(name)
		if ln == "cookie" {
			for _, v := range vals {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						ev.Cookies = append(ev.Cookies, c)
					}
				}
			}
			continue
		}
		ev.Headers[ln] = strings.Join(vals, ",")
	}
	// Go moves Host and Content-Length out of the header map; API Gateway forwards them.
	ev.Headers["host"] = r.Host
	if len(body) > 0 {
		ev.Headers["content-length"] = strconv.Itoa(len(body))
	}
	ev.Headers["x-forwarded-for"] = clientIP(r)
	ev.Headers["x-forwarded-proto"] = "http"
	if _, port, err := net.SplitHostPort(r.Host); err == nil {
		ev.Headers["x-forwarded-port"] = port
	}
	if q, err := url.ParseQuery(r.URL.RawQuery); err == nil && len(q) > 0 {
		ev.QueryStringParameters = make(map[string]string, len(q))
		for k, vs := range q {
			ev.QueryStringParameters[k] = strings.Join(vs, ",")
		}
	}
	if len(params) > 0 {
		ev.PathParameters = params
	}
	host := r.Host
	prefix := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		prefix = h
	}
	if i := strings.IndexByte(prefix, '.'); i > 0 {
		prefix = prefix[:i]
	}
	ev.RequestContext = events.APIGatewayV2HTTPRequestContext{
		RouteKey:     rt.RouteKey(),
		AccountID:    g.cfg.AccountID,
		Stage:        "$default",
		RequestID:    reqID,
		APIID:        g.cfg.APIID,
		DomainName:   host,
		DomainPrefix: prefix,
		Time:         now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
		TimeEpoch:    now.UnixMilli(),
		HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
			Method:    r.Method,
			Path:      r.URL.EscapedPath(),
			Protocol:  r.Proto,
			SourceIP:  clientIP(r),
			UserAgent: r.UserAgent(),
		},
	}
	if len(body) > 0 {
		if isTextBody(r.Header.Get("Content-Type"), body) {
			ev.Body = string(body)
		} else {
			ev.Body = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		}
	}
	return ev
}

// isTextBody decides, like API Gateway, whether a body is passed as text or base64: text when the
// content type is textual and the bytes are valid UTF-8. API Gateway base64-encodes form posts.
func isTextBody(contentType string, body []byte) bool {
	if !utf8.Valid(body) {
		return false
	}
	if contentType == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"),
		mt == "application/json", strings.HasSuffix(mt, "+json"),
		mt == "application/xml", strings.HasSuffix(mt, "+xml"),
		mt == "application/javascript", mt == "application/graphql":
		return true
	}
	return false
}

func clientIP(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}

// writeResponse maps a Lambda result to the HTTP response as API Gateway does for payload 2.0:
// an object with statusCode is a structured response; anything else is a 200 JSON body.
func writeResponse(w http.ResponseWriter, out []byte) error {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(out, &probe); err != nil || probe["statusCode"] == nil {
		if !json.Valid(out) {
			return fmt.Errorf("response is not JSON")
		}
		w.Header().Set("Content-Type", "application/json")
		if _, err := w.Write(out); err != nil {
			return fmt.Errorf("write body: %w", err)
		}
		return nil
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	if resp.StatusCode < 100 || resp.StatusCode > 599 {
		return fmt.Errorf("invalid statusCode %d", resp.StatusCode)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			return fmt.Errorf("decode base64 body: %w", err)
		}
		body = b
	}
	h := w.Header()
	keys := make([]string, 0, len(resp.MultiValueHeaders))
	for k := range resp.MultiValueHeaders {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range resp.MultiValueHeaders[k] {
			h.Add(k, v)
		}
	}
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(resp.StatusCode)
	if _, err := w.Write(body); err != nil {
		// Headers are gone; only the log can tell.
		slog.Debug("write body", "err", err)
	}
	return nil
}

// requestID makes an id shaped like API Gateway's (base64 of random bytes).
func requestID() string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on Linux
	}
	return base64.StdEncoding.EncodeToString(b)
}
