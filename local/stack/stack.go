// Package stack runs banban's SAM template offline: it provisions the template's DynamoDB tables
// and SQS queues on DynamoDB Local and the local SQS server, runs each function under the real
// Lambda Runtime Interface Emulator (a pool of processes per function), serves the HttpApi routes
// through a local API Gateway (payload format 2.0, JWT authorizer), feeds SQS event sources to their
// functions like Lambda's event source mappings, and fires ScheduleV2 schedules on demand.
//
// Everything is derived from template.yaml through package template; nothing about banban's
// resources is hard-coded here.
package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"banban/local/devauth"
	"banban/local/template"
)

// Config configures a local stack.
type Config struct {
	Template *template.Template
	// Params are the complete parameter values (Template.ParameterValues).
	Params    map[string]string
	Region    string // default us-east-1
	AccountID string // default 000000000000
	DynamoDB  *dynamodb.Client
	SQS       *sqs.Client
	// KeysDir holds the local stand-ins of the template's KMS keys.
	KeysDir string
	// RIE is the path of aws-lambda-rie.
	RIE string
	// BuildDir holds the host builds, <BuildDir>/<LogicalId>/bootstrap (make build-local).
	BuildDir string
	// Binary overrides where a function's bootstrap is; nil uses BuildDir.
	Binary func(fn template.Function) string
	// FunctionEnv is added to every function's environment (endpoints, region, credentials).
	FunctionEnv map[string]string
	// Concurrency is the number of RIE processes per function (default 2).
	Concurrency int
	// PollersPerQueue is the number of poll loops per SQS event (default 1).
	PollersPerQueue int
	// PollWait is the long-poll wait of the SQS pollers (default 2 s).
	PollWait time.Duration
	// Authority verifies the tokens of authorized routes.
	Authority *devauth.Authority
	// Output receives the functions' logs (nil discards them).
	Output io.Writer
	// NoPollers leaves the SQS event sources off (messages stay in the queues).
	NoPollers bool
}

// Stack is a running local stack.
type Stack struct {
	cfg       Config
	Resources *Resources
	Routes    []Route
	runners   map[string]*Runner
	pollers   []*Poller
	gateway   *Gateway

	mu     sync.Mutex
	server *http.Server
	closed bool
}

// Start provisions the template, starts every function and the SQS pollers. Serve the gateway
// with Serve or Handler. Close stops everything.
func Start(ctx context.Context, cfg Config) (s *Stack, err error) {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.AccountID == "" {
		cfg.AccountID = "000000000000"
	}
	if cfg.Binary == nil {
		cfg.Binary = func(fn template.Function) string { return filepath.Join(cfg.BuildDir, fn.LogicalID, "bootstrap") }
	}
	started := time.Now()
	res, err := Provision(ctx, ProvisionConfig{Template: cfg.Template, Params: cfg.Params, Region: cfg.Region,
		AccountID: cfg.AccountID, DynamoDB: cfg.DynamoDB, SQS: cfg.SQS, KeysDir: cfg.KeysDir})
	if err != nil {
		return nil, fmt.Errorf("provision: %w", err)
	}
	routes, err := RoutesFromTemplate(cfg.Template)
	if err != nil {
		return nil, err
	}
	s = &Stack{cfg: cfg, Resources: res, Routes: routes, runners: map[string]*Runner{}}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Close())
			s = nil
		}
	}()
	if err := s.startFunctions(ctx); err != nil {
		return s, err
	}
	if err := s.startGateway(); err != nil {
		return s, err
	}
	if !cfg.NoPollers {
		if err := s.startPollers(); err != nil {
			return s, err
		}
	}
	slog.Info("local stack started", "functions", len(s.runners), "routes", len(routes), "pollers", len(s.pollers),
		"duration", time.Since(started).Round(time.Millisecond))
	return s, nil
}

// FunctionEnvironment resolves a function's environment variables (Globals merged with the
// function's own) and adds extra on top.
func FunctionEnvironment(fn template.Function, r template.Resolver, extra map[string]string) (map[string]string, error) {
	env := map[string]string{}
	for k, v := range fn.Environment {
		s, err := r.Resolve(v)
		if err != nil {
			return nil, fmt.Errorf("function %s: environment %s: %w", fn.LogicalID, k, err)
		}
		env[k] = s
	}
	for k, v := range extra {
		env[k] = v
	}
	return env, nil
}

func (s *Stack) startFunctions(ctx context.Context) error {
	type result struct {
		name string
		r    *Runner
		err  error
	}
	results := make(chan result, len(s.cfg.Template.Functions))
	for _, fn := range s.cfg.Template.Functions {
		env, err := FunctionEnvironment(fn, s.Resources.Resolver, s.cfg.FunctionEnv)
		if err != nil {
			return err
		}
		go func() {
			r, err := StartRunner(ctx, RunnerConfig{
				Name: fn.LogicalID, RIE: s.cfg.RIE, Bootstrap: s.cfg.Binary(fn), Env: env,
				Timeout: time.Duration(fn.Timeout) * time.Second, MemoryMB: fn.MemorySize,
				Concurrency: s.cfg.Concurrency, Output: s.cfg.Output,
			})
			results <- result{fn.LogicalID, r, err}
		}()
	}
	var errs []error
	for range s.cfg.Template.Functions {
		res := <-results
		if res.err != nil {
			errs = append(errs, res.err)
			continue
		}
		s.runners[res.name] = res.r
	}
	return errors.Join(errs...)
}

func (s *Stack) startGateway() error {
	var iss string
	var aud []string
	if api, ok := s.cfg.Template.HttpApi(""); ok && api.DefaultAuthorizer != "" {
		a := api.Authorizers[api.DefaultAuthorizer]
		var err error
		if iss, err = s.Resources.Resolver.Resolve(a.Issuer); err != nil {
			return fmt.Errorf("authorizer %s issuer: %w", a.Name, err)
		}
		for _, v := range a.Audience {
			sv, err := s.Resources.Resolver.Resolve(v)
			if err != nil {
				return fmt.Errorf("authorizer %s audience: %w", a.Name, err)
			}
			aud = append(aud, sv)
		}
	}
	s.gateway = NewGateway(GatewayConfig{
		Routes: s.Routes, Invoke: s.Invoke, Authority: s.cfg.Authority, Issuer: iss, Audience: aud,
		AccountID: s.cfg.AccountID, Local: s.localHandler(),
	})
	return nil
}

func (s *Stack) startPollers() error {
	for _, fn := range s.cfg.Template.Functions {
		for _, ev := range fn.Events {
			if ev.SQS == nil || !ev.SQS.Enabled {
				continue
			}
			q, ok := s.Resources.Queues[ev.SQS.Queue]
			if !ok {
				return fmt.Errorf("function %s event %s: queue %s is not a queue of the template", fn.LogicalID, ev.Name, ev.SQS.QueueArn)
			}
			runner := s.runners[fn.LogicalID]
			s.pollers = append(s.pollers, StartPoller(PollerConfig{
				Function: fn.LogicalID, Event: ev.Name, Invoke: runner.Invoke, SQS: s.cfg.SQS,
				QueueURL: q.URL, QueueARN: q.ARN, Region: s.cfg.Region, BatchSize: ev.SQS.BatchSize,
				BatchWindow:             time.Duration(ev.SQS.MaximumBatchingWindowInSeconds) * time.Second,
				ReportBatchItemFailures: ev.SQS.ReportsBatchItemFailures(),
				Wait:                    s.cfg.PollWait, Pollers: s.cfg.PollersPerQueue,
			}))
		}
	}
	return nil
}

// Invoke invokes a function by logical id.
func (s *Stack) Invoke(ctx context.Context, function string, payload []byte) ([]byte, error) {
	r, ok := s.runners[function]
	if !ok {
		return nil, fmt.Errorf("no function %s", function)
	}
	return r.Invoke(ctx, payload)
}

// Fire invokes a function with the payload its ScheduleV2 event sends.
func (s *Stack) Fire(ctx context.Context, function, event string) ([]byte, error) {
	fn, ok := s.cfg.Template.Function(function)
	if !ok {
		return nil, fmt.Errorf("no function %s", function)
	}
	for _, ev := range fn.Events {
		if ev.Name == event && ev.ScheduleV2 != nil {
			arn := ScheduleARN(s.cfg.Region, s.cfg.AccountID, function, event)
			payload, err := SchedulePayload(*ev.ScheduleV2, arn, s.cfg.Region, s.cfg.AccountID, time.Now())
			if err != nil {
				return nil, err
			}
			slog.Info("firing schedule", "function", function, "event", event, "expression", ev.ScheduleV2.ScheduleExpression)
			return s.Invoke(ctx, function, payload)
		}
	}
	return nil, fmt.Errorf("function %s has no ScheduleV2 event %s", function, event)
}

// Schedules lists the ScheduleV2 events as "Function/Event".
func (s *Stack) Schedules() []string {
	var out []string
	for _, fn := range s.cfg.Template.Functions {
		for _, ev := range fn.Events {
			if ev.ScheduleV2 != nil {
				out = append(out, fn.LogicalID+"/"+ev.Name)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Handler returns the gateway.
func (s *Stack) Handler() http.Handler { return s.gateway }

// localHandler serves /_local/: POST /_local/schedules/{Function}/{Event} fires a schedule,
// GET /_local/schedules lists them, GET /_local/jwks.json publishes the dev key.
func (s *Stack) localHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /_local/schedules/{function}/{event}", func(w http.ResponseWriter, r *http.Request) {
		out, err := s.Fire(r.Context(), r.PathValue("function"), r.PathValue("event"))
		var fe *FunctionError
		switch {
		case errors.As(err, &fe):
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			w.WriteHeader(http.StatusBadGateway)
			writeBody(w, out)
		case err != nil:
			writeMessage(w, http.StatusNotFound, err.Error())
		default:
			w.Header().Set("Content-Type", "application/json")
			writeBody(w, out)
		}
	})
	mux.HandleFunc("GET /_local/schedules", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(s.Schedules()); err != nil {
			slog.Debug("write response", "err", err)
		}
	})
	mux.HandleFunc("GET /_local/wechat/sns/jscode2session", wechatStandIn)
	mux.HandleFunc("GET /_local/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Authority == nil {
			writeMessage(w, http.StatusNotFound, "Not Found")
			return
		}
		b, err := s.cfg.Authority.JWKS()
		if err != nil {
			writeMessage(w, http.StatusInternalServerError, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		writeBody(w, b)
	})
	return mux
}

// wechatStandIn answers WeChat's code2session offline: a code "dev-<name>" logs in the user
// <name> (openid "o-dev-<name>"), any other code is refused with WeChat's invalid-code error.
// The mini-program in the simulator, or a test, picks the name.
func wechatStandIn(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	w.Header().Set("Content-Type", "application/json")
	answer := map[string]any{"errcode": 40029, "errmsg": "invalid code"}
	switch {
	case q.Get("appid") == "" || q.Get("secret") == "" || q.Get("grant_type") != "authorization_code":
		answer = map[string]any{"errcode": 40013, "errmsg": "invalid appid"}
	case strings.HasPrefix(q.Get("js_code"), "dev-") && len(q.Get("js_code")) > 4:
		answer = map[string]any{"openid": "o-" + q.Get("js_code"), "session_key": "local"}
	}
	if err := json.NewEncoder(w).Encode(answer); err != nil {
		slog.Debug("write response", "err", err)
	}
}

func writeBody(w io.Writer, b []byte) {
	if _, err := w.Write(b); err != nil {
		slog.Debug("write response", "err", err)
	}
}

// Serve listens on addr (a loopback address, e.g. 127.0.0.1:3000) and serves the gateway in the
// background. It returns the address actually bound (useful with port 0).
func (s *Stack) Serve(addr string) (net.Addr, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("gateway address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("gateway address %q: the local stack listens on loopback only", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: s.gateway, ReadHeaderTimeout: 10 * time.Second}
	s.mu.Lock()
	s.server = srv
	s.mu.Unlock()
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("gateway stopped", "err", err)
		}
	}()
	return l.Addr(), nil
}

// Close stops the gateway (letting requests in flight finish), the pollers, then the functions.
func (s *Stack) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	srv := s.server
	s.mu.Unlock()
	var errs []error
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop gateway: %w", err))
		}
		cancel()
	}
	var wg sync.WaitGroup
	for _, p := range s.pollers {
		wg.Add(1)
		go func() { defer wg.Done(); p.Stop() }()
	}
	wg.Wait()
	var errMu sync.Mutex
	for _, r := range s.runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Close(); err != nil {
				errMu.Lock()
				errs = append(errs, err)
				errMu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// LocalFunctionEnv returns the variables every function gets locally so that the AWS SDK reaches
// the local servers: endpoints, region and dummy credentials.
func LocalFunctionEnv(dynamoEndpoint, sqsEndpoint, region string) map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL_DYNAMODB": dynamoEndpoint,
		"AWS_ENDPOINT_URL_SQS":      sqsEndpoint,
		"AWS_REGION":                region,
		"AWS_DEFAULT_REGION":        region,
		"AWS_ACCESS_KEY_ID":         "local",
		"AWS_SECRET_ACCESS_KEY":     "local",
		// Keep functions' SDKs off the EC2 metadata service, which does not exist here.
		"AWS_EC2_METADATA_DISABLED": "true",
	}
}

// Describe returns a human summary of where things are, for `banban-local up`.
func (s *Stack) Describe(gatewayURL string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "gateway      %s\n", gatewayURL)
	for _, rt := range s.Routes {
		auth := "jwt"
		if rt.Public() {
			auth = "public"
		}
		fmt.Fprintf(&b, "  %-40s → %s (%s)\n", rt.RouteKey(), rt.Function, auth)
	}
	names := make([]string, 0, len(s.Resources.Tables))
	for id := range s.Resources.Tables {
		names = append(names, id)
	}
	sort.Strings(names)
	for _, id := range names {
		fmt.Fprintf(&b, "table        %-20s %s\n", id, s.Resources.Tables[id])
	}
	names = names[:0]
	for id := range s.Resources.Queues {
		names = append(names, id)
	}
	sort.Strings(names)
	for _, id := range names {
		fmt.Fprintf(&b, "queue        %-20s %s\n", id, s.Resources.Queues[id].URL)
	}
	for _, sc := range s.Schedules() {
		fmt.Fprintf(&b, "schedule     %s  (POST %s/_local/schedules/%s)\n", sc, gatewayURL, sc)
	}
	return b.String()
}
