// Package httpapi adapts banban handlers to API Gateway HTTP API payload v2: strict JSON bodies,
// one JSON error shape, one mapping from apperr kinds to status codes, panic recovery and access
// logging. Handlers return typed errors; nothing else chooses a status for an error.
package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"banban/shared/apperr"
	"banban/shared/auth"
	"banban/shared/logging"
)

// Request and Response are the API Gateway HTTP API (payload format 2.0) types.
type (
	Request  = events.APIGatewayV2HTTPRequest
	Response = events.APIGatewayV2HTTPResponse
)

// Func handles one route. A returned error is mapped to its status and JSON body by the Router.
type Func func(ctx context.Context, req Request) (Response, error)

// Router dispatches on the route key API Gateway puts in every request ("GET /v1/x/{id}"). Every
// route declares its authorization policy; the router establishes the caller of a token route and
// refuses a role the policy does not list before the handler runs, and the handler checks the
// target it loads with Authorize. This is the one place access is enforced.
type Router struct {
	routes map[string]route
	log    *slog.Logger
	// invalid collects routes registered with a policy that cannot be enforced; Invalid reports them
	// (a test fails on any), and such a route answers 500 rather than run unguarded.
	invalid []string
}

type route struct {
	policy auth.Policy
	f      Func
}

// NewRouter returns an empty router that logs through log.
func NewRouter(log *slog.Logger) *Router {
	return &Router{routes: map[string]route{}, log: log}
}

// Handle registers f for routeKey, e.g. "POST /v1/evaluations", under the route's policy.
func (r *Router) Handle(routeKey string, pol auth.Policy, f Func) {
	if err := pol.Validate(); err != nil {
		r.invalid = append(r.invalid, routeKey+": "+err.Error())
	}
	r.routes[routeKey] = route{policy: pol, f: f}
}

// RouteKeys lists the registered routes (for the test that compares them with template.yaml).
func (r *Router) RouteKeys() []string {
	keys := make([]string, 0, len(r.routes))
	for k := range r.routes {
		keys = append(keys, k)
	}
	return keys
}

// Policies returns the declared policy of every route (for the test that compares them with the
// contract).
func (r *Router) Policies() map[string]auth.Policy {
	out := make(map[string]auth.Policy, len(r.routes))
	for k, rt := range r.routes {
		out[k] = rt.policy
	}
	return out
}

// Invalid lists the routes whose policy cannot be enforced.
func (r *Router) Invalid() []string { return r.invalid }

// Invoke is the Lambda handler. It never returns a Go error: every failure is an HTTP response,
// so API Gateway never answers with its own opaque 500.
func (r *Router) Invoke(ctx context.Context, req Request) (resp Response, err error) {
	log := logging.ForInvocation(ctx, r.log).With("route", req.RouteKey)
	defer func() {
		if p := recover(); p != nil {
			log.Error("handler panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			resp, err = errorResponse(apperr.New(apperr.Internal, "internal", "internal error")), nil
		}
	}()
	rt, ok := r.routes[req.RouteKey]
	if !ok {
		return errorResponse(apperr.New(apperr.NotFound, "route_not_found", "no route %s", req.RouteKey)), nil
	}
	resp, herr := r.serve(ctx, rt, req)
	if herr != nil {
		resp = errorResponse(herr)
		level := slog.LevelInfo
		if resp.StatusCode >= 500 {
			level = slog.LevelError
		}
		log.Log(ctx, level, "request failed", "status", resp.StatusCode, "error", herr.Error())
		return resp, nil
	}
	log.Debug("request served", "status", resp.StatusCode)
	return resp, nil
}

// serve establishes the caller as the route's policy says and runs the handler.
func (r *Router) serve(ctx context.Context, rt route, req Request) (Response, error) {
	if err := rt.policy.Validate(); err != nil {
		return Response{}, fmt.Errorf("route %s has no enforceable policy: %w", req.RouteKey, err)
	}
	c := caller{policy: rt.policy}
	if rt.policy.Access == auth.Token {
		p, err := principalOf(req)
		if err != nil {
			return Response{}, err
		}
		if err := rt.policy.Admit(p); err != nil {
			return Response{}, err
		}
		c.principal = p
	}
	return rt.f(context.WithValue(ctx, callerKey{}, c), req)
}

type callerKey struct{}

// caller is the established caller of a request and the policy of its route.
type caller struct {
	principal auth.Principal
	policy    auth.Policy
}

// Caller returns the principal of a token route, established by the router before the handler
// runs (the zero Principal on public and kiosk routes).
func Caller(ctx context.Context) auth.Principal {
	c, _ := ctx.Value(callerKey{}).(caller)
	return c.principal
}

// Authorize checks that the caller reaches the target under the route's policy: a target out of
// reach answers 404 "<what> not found", as one that does not exist.
func Authorize(ctx context.Context, t auth.Target, what string) error {
	c, ok := ctx.Value(callerKey{}).(caller)
	if !ok || c.policy.Access != auth.Token {
		return apperr.New(apperr.Internal, "internal", "no authorized caller for %s", what)
	}
	return c.policy.Check(c.principal, t, what)
}

// AuthorizeLoaded is Authorize for a target just read from a store with error loadErr: a target
// that does not exist and one out of reach answer the same 404 "<what> not found", word for word.
func AuthorizeLoaded(ctx context.Context, loadErr error, t auth.Target, what string) error {
	switch {
	case apperr.KindOf(loadErr) == apperr.NotFound:
		return auth.NotFound(what)
	case loadErr != nil:
		return loadErr
	}
	return Authorize(ctx, t, what)
}

// Reaches reports whether the caller reaches the target (for listings that leave out what the
// caller may not see).
func Reaches(ctx context.Context, t auth.Target) bool {
	c, ok := ctx.Value(callerKey{}).(caller)
	return ok && c.policy.Access == auth.Token && c.policy.Reaches(c.principal, t)
}

// ErrorBody is the one error shape of the API: {"error":{"code","message","field"}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail names a stable machine code, a message for people and, for bad input, the field.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// Status maps an error to its HTTP status: the single place this mapping exists.
func Status(err error) int {
	switch apperr.KindOf(err) {
	case apperr.Invalid:
		return http.StatusBadRequest
	case apperr.Unauthenticated:
		return http.StatusUnauthorized
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.TooLarge:
		return http.StatusRequestEntityTooLarge
	case apperr.Unsupported:
		return http.StatusUnsupportedMediaType
	case apperr.TooMany:
		return http.StatusTooManyRequests
	case apperr.Unavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

func errorResponse(err error) Response {
	status := Status(err)
	detail := ErrorDetail{Code: "internal", Message: "internal error"}
	retryAfter := "1"
	// Internal causes stay in the log; the caller sees only our own words.
	if e, ok := apperr.As(err); ok && e.Kind != apperr.Internal {
		detail = ErrorDetail{Code: e.Code, Message: e.Message, Field: e.Field}
		if e.RetryAfter > 0 {
			// Whole seconds, rounded up: a client that waits that long is not refused again.
			retryAfter = strconv.FormatInt(int64((e.RetryAfter+time.Second-1)/time.Second), 10)
		}
	}
	resp := JSON(status, ErrorBody{Error: detail})
	if status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
		resp.Headers["Retry-After"] = retryAfter
	}
	return resp
}

// JSON returns a response with v as its JSON body.
func JSON(status int, v any) Response {
	body, err := json.Marshal(v)
	if err != nil {
		// Only unmarshalable types reach here: a programming error, reported as such.
		status = http.StatusInternalServerError
		body = []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	return Response{
		StatusCode: status,
		Headers: map[string]string{
			"Content-Type":  "application/json; charset=utf-8",
			"Cache-Control": "no-store",
		},
		Body: string(body),
	}
}

// File returns a download: the bytes base64-encoded as API Gateway expects binary bodies, with
// its media type and a file name (RFC 6266, UTF-8 names allowed).
func File(contentType, name string, b []byte) Response {
	return Response{
		StatusCode: http.StatusOK,
		Headers: map[string]string{
			"Content-Type":        contentType,
			"Content-Disposition": "attachment; filename*=UTF-8''" + url.PathEscape(name),
			"Cache-Control":       "no-store",
		},
		Body:            base64.StdEncoding.EncodeToString(b),
		IsBase64Encoded: true,
	}
}

// HTML returns an HTML page.
func HTML(b []byte) Response {
	return Response{
		StatusCode: http.StatusOK,
		Headers: map[string]string{
			"Content-Type":            "text/html; charset=utf-8",
			"Cache-Control":           "no-store",
			"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
		},
		Body: string(b),
	}
}

// Body returns the raw request body, decoded from base64 when API Gateway encoded it, refusing
// bodies over limit bytes and bodies that are not valid UTF-8.
func Body(req Request, limit int) ([]byte, error) {
	var body []byte
	if req.IsBase64Encoded {
		// Check the encoded size first so a huge body is never decoded.
		if base64.StdEncoding.DecodedLen(len(req.Body)) > limit+3 {
			return nil, tooLarge(limit)
		}
		b, err := base64.StdEncoding.DecodeString(req.Body)
		if err != nil {
			return nil, apperr.InvalidField("body", "body is not valid base64")
		}
		body = b
	} else {
		body = []byte(req.Body)
	}
	if len(body) > limit {
		return nil, tooLarge(limit)
	}
	if !utf8.Valid(body) {
		return nil, apperr.New(apperr.Invalid, "invalid_utf8", "body is not valid UTF-8")
	}
	return body, nil
}

func tooLarge(limit int) error {
	return apperr.New(apperr.TooLarge, "body_too_large", "body exceeds %d bytes", limit)
}

// DecodeJSON strictly decodes a JSON body into v: the content type must be JSON, unknown fields
// and trailing data are refused, and a type error names its field.
func DecodeJSON(req Request, body []byte, v any) error {
	if err := requireJSON(req); err != nil {
		return err
	}
	return Unmarshal(body, v)
}

// Unmarshal decodes one JSON value strictly (unknown fields, trailing data and type errors are
// refused with the field named).
func Unmarshal(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return apperr.InvalidField("body", "body is empty; a JSON object is required")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return apperr.InvalidField("body", "unexpected data after the JSON value")
	}
	return nil
}

func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return apperr.InvalidField(field, "expected %s, got JSON %s", typeErr.Type.String(), typeErr.Value)
	case errors.As(err, &syntaxErr):
		return apperr.InvalidField("body", "malformed JSON at byte %d", syntaxErr.Offset)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return apperr.InvalidField(field, "unknown field")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.InvalidField("body", "truncated JSON")
	default:
		return apperr.InvalidField("body", "malformed JSON")
	}
}

func requireJSON(req Request) error {
	ct := Header(req, "content-type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || mt != "application/json" {
		return apperr.New(apperr.Unsupported, "unsupported_media_type", "Content-Type must be application/json")
	}
	return nil
}

// Header returns a request header by case-insensitive name.
func Header(req Request, name string) string {
	if v, ok := req.Headers[strings.ToLower(name)]; ok {
		return v
	}
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// principalOf returns the caller established by the HTTP API's JWT authorizer. Only the router
// calls it: handlers read the caller with Caller.
func principalOf(req Request) (auth.Principal, error) {
	if req.RequestContext.Authorizer == nil || req.RequestContext.Authorizer.JWT == nil {
		return auth.Principal{}, apperr.New(apperr.Unauthenticated, "unauthenticated", "a bearer token is required")
	}
	return auth.FromClaims(req.RequestContext.Authorizer.JWT.Claims)
}
