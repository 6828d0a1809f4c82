package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"banban/local/ddbproxy"
	"banban/local/localaws"
	"banban/local/stack"
	"banban/local/template"
)

// subject is one bootstrap whose cold start is measured.
type subject struct {
	name, bootstrap string
	env             map[string]string
	payload         []byte
	wantStatus      string // a fragment the answer must hold, so a failing init is not timed as one
	timeout         time.Duration
	memoryMB        int
}

// coldRun is what one fresh process measured.
type coldRun struct {
	init      time.Duration // first invocation − median warm invocation
	rieInit   time.Duration // RIE's own "INIT REPORT(durationMs: …)": process start → runtime ready
	rieReport time.Duration // RIE's "Init Duration" in the REPORT line
	ddbFirst  int           // DynamoDB requests during the first invocation
	ddbWarm   float64       // DynamoDB requests per warm invocation
}

// coldFigures are a subject's runs and facts about its binary.
type coldFigures struct {
	subject
	runs     []coldRun
	size     int64
	pkgInit  time.Duration // Go package initialisation (GODEBUG=inittrace=1), one extra process
	topInits string
}

const (
	httpProbe = `{"version":"2.0","routeKey":"GET /_bench/unknown","rawPath":"/_bench/unknown","headers":{},` +
		`"requestContext":{"http":{"method":"GET","path":"/_bench/unknown","protocol":"HTTP/1.1","sourceIp":"127.0.0.1"},"routeKey":"GET /_bench/unknown","stage":"$default"},"isBase64Encoded":false}`
	sqsProbe = `{"Records":[]}`
)

// coldStarts measures each function's init under the Runtime Interface Emulator against a
// hello-world aws-lambda-go bootstrap built the same way: RIE starts the bootstrap on the first
// invocation, so init ≈ first invocation − a warm invocation of the same process.
func coldStarts(ctx context.Context, o options, r *report) error {
	subjects, cleanup, err := coldSubjects(ctx, o)
	defer cleanup()
	if err != nil {
		return err
	}
	proxy, err := ddbproxy.Start(o.dynamo)
	if err != nil {
		return err
	}
	defer logFailure("stop proxy", proxy.Close)
	figs := make([]coldFigures, len(subjects))
	for i, s := range subjects {
		s.env["AWS_ENDPOINT_URL_DYNAMODB"] = proxy.URL()
		figs[i].subject = s
		st, err := os.Stat(s.bootstrap)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		figs[i].size = st.Size()
		if figs[i].pkgInit, figs[i].topInits, err = packageInit(ctx, o, s); err != nil {
			return fmt.Errorf("%s: package init: %w", s.name, err)
		}
	}
	deadline := time.Now().Add(o.coldBudget)
	for run := 0; run < o.coldRuns && time.Now().Before(deadline); run++ {
		// Round-robin over the subjects, so noise spreads over all of them alike.
		for i := range figs {
			cr, err := coldRunOnce(ctx, o, figs[i].subject, proxy)
			if err != nil {
				return fmt.Errorf("%s: %w", figs[i].name, err)
			}
			figs[i].runs = append(figs[i].runs, cr)
		}
	}
	r.add("Cold start", coldSection(o, figs))
	return nil
}

// coldSubjects builds hello and resolves every function's environment on a provisioned stage.
func coldSubjects(ctx context.Context, o options) ([]subject, func(), error) {
	keys, err := os.MkdirTemp("", "banban-bench-keys-")
	if err != nil {
		return nil, func() {}, fmt.Errorf("keys dir: %w", err)
	}
	cleanup := func() { logFailure("remove keys", func() error { return os.RemoveAll(keys) }) }
	tpl, err := template.Load(filepath.Join(o.root, "template.yaml"))
	if err != nil {
		return nil, cleanup, fmt.Errorf("load template: %w", err)
	}
	ddb, sq, err := localaws.Clients(ctx, o.dynamo, o.sqs)
	if err != nil {
		return nil, cleanup, fmt.Errorf("clients: %w", err)
	}
	params, err := benchParams(tpl, fmt.Sprintf("bench-cold-%d", time.Now().UnixNano()%1e9), "127.0.0.1:1")
	if err != nil {
		return nil, cleanup, err
	}
	res, err := stack.Provision(ctx, stack.ProvisionConfig{Template: tpl, Params: params, Region: localaws.Region,
		AccountID: localaws.AccountID, DynamoDB: ddb, SQS: sq, KeysDir: keys})
	if err != nil {
		return nil, cleanup, fmt.Errorf("provision: %w", err)
	}
	hello, err := buildHello(ctx, o)
	if err != nil {
		return nil, cleanup, err
	}
	// hello gets what every function gets locally (endpoints, region, credentials, the log level
	// RIE reads), so the runtime around it behaves the same.
	helloEnv := stack.LocalFunctionEnv(o.dynamo, o.sqs, localaws.Region)
	helloEnv["LOG_LEVEL"] = params["LogLevel"]
	subjects := []subject{{name: "hello (baseline)", bootstrap: hello, env: helloEnv, payload: []byte(`{}`),
		wantStatus: `"hello"`, timeout: 10 * time.Second, memoryMB: 256}}
	for _, fn := range tpl.Functions {
		env, err := stack.FunctionEnvironment(fn, res.Resolver, stack.LocalFunctionEnv(o.dynamo, o.sqs, localaws.Region))
		if err != nil {
			return nil, cleanup, fmt.Errorf("environment: %w", err)
		}
		s := subject{name: fn.LogicalID, bootstrap: filepath.Join(o.root, ".local", "build", fn.LogicalID, "bootstrap"), env: env,
			payload: []byte(httpProbe), wantStatus: `"statusCode":404`, timeout: time.Duration(fn.Timeout) * time.Second, memoryMB: fn.MemorySize}
		for _, ev := range fn.Events {
			switch {
			case ev.SQS != nil:
				s.payload, s.wantStatus = []byte(sqsProbe), `"batchItemFailures"`
			case ev.ScheduleV2 != nil:
				// A scheduled job ignores its payload and does its work: no I/O-free invocation exists.
				s.payload, s.wantStatus = []byte(`{}`), ""
			}
		}
		subjects = append(subjects, s)
	}
	return subjects, cleanup, nil
}

// buildHello builds local/bench/hello exactly as `make build-local` builds the functions.
func buildHello(ctx context.Context, o options) (string, error) {
	out := filepath.Join(o.root, ".local", "build", "hello", "bootstrap")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-tags", "lambda.norpc", "-ldflags=-s -w", "-buildvcs=false", "-o", out, "./local/bench/hello")
	cmd.Dir = o.root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build hello: %w: %s", err, b)
	}
	return out, nil
}

// syncBuffer collects a process's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var (
	rieInitReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)
	rieReportInit = regexp.MustCompile(`Init Duration: ([0-9.]+) ms`)
)

// coldRunOnce starts a fresh RIE process, times its first invocation and warm ones.
func coldRunOnce(ctx context.Context, o options, s subject, proxy *ddbproxy.Proxy) (cr coldRun, err error) {
	out := &syncBuffer{}
	runner, err := stack.StartRunner(ctx, stack.RunnerConfig{Name: s.name, RIE: filepath.Join(o.root, ".local", "bin", "aws-lambda-rie"),
		Bootstrap: s.bootstrap, Env: s.env, Timeout: s.timeout, MemoryMB: s.memoryMB, Concurrency: 1, Output: out})
	if err != nil {
		return cr, fmt.Errorf("start RIE: %w", err)
	}
	proxy.Take()
	start := time.Now()
	answer, err := runner.Invoke(ctx, s.payload)
	first := time.Since(start)
	if err != nil {
		return cr, fmt.Errorf("first invoke: %w; output:\n%s", err, out.String())
	}
	if !bytes.Contains(answer, []byte(s.wantStatus)) {
		return cr, fmt.Errorf("first invoke answered %s, want %s", answer, s.wantStatus)
	}
	cr.ddbFirst = proxy.Take().Forwarded()
	var warm []time.Duration
	for range o.warm {
		start := time.Now()
		if _, err := runner.Invoke(ctx, s.payload); err != nil {
			return cr, fmt.Errorf("warm invoke: %w", err)
		}
		warm = append(warm, time.Since(start))
	}
	cr.ddbWarm = float64(proxy.Take().Forwarded()) / float64(o.warm)
	if err := runner.Close(); err != nil {
		return cr, fmt.Errorf("stop RIE: %w", err)
	}
	cr.init = max(first-quantile(warm, 0.5), 0)
	log := out.String()
	cr.rieInit = logMillis(rieInitReport, log)
	cr.rieReport = logMillis(rieReportInit, log)
	return cr, nil
}

// logMillis is the first figure in milliseconds the pattern finds in a log, or −1.
func logMillis(re *regexp.Regexp, log string) time.Duration {
	m := re.FindStringSubmatch(log)
	if m == nil {
		return -1
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return -1
	}
	return time.Duration(f * float64(time.Millisecond))
}

var initTrace = regexp.MustCompile(`init (\S+) @[0-9.]+ ms, ([0-9.]+) ms clock`)

// packageInit runs the bootstrap once more with GODEBUG=inittrace=1 and sums the wall time of
// the Go package initialisers it reports: the part of init spent before main runs.
func packageInit(ctx context.Context, o options, s subject) (time.Duration, string, error) {
	env := make(map[string]string, len(s.env)+1)
	for k, v := range s.env {
		env[k] = v
	}
	env["GODEBUG"] = "inittrace=1"
	out := &syncBuffer{}
	runner, err := stack.StartRunner(ctx, stack.RunnerConfig{Name: s.name, RIE: filepath.Join(o.root, ".local", "bin", "aws-lambda-rie"),
		Bootstrap: s.bootstrap, Env: env, Timeout: s.timeout, MemoryMB: s.memoryMB, Concurrency: 1, Output: out})
	if err != nil {
		return 0, "", fmt.Errorf("start RIE: %w", err)
	}
	// RIE is a Go program too and reads GODEBUG: its own trace is written when it starts, before
	// the invocation that starts the bootstrap, so only what follows is the bootstrap's.
	offset := len(out.String())
	if _, err := runner.Invoke(ctx, s.payload); err != nil {
		return 0, "", errors.Join(fmt.Errorf("invoke: %w", err), runner.Close())
	}
	if err := runner.Close(); err != nil {
		return 0, "", fmt.Errorf("stop RIE: %w", err)
	}
	type pkg struct {
		name string
		d    time.Duration
	}
	var total time.Duration
	var pkgs []pkg
	for _, m := range initTrace.FindAllStringSubmatch(out.String()[offset:], -1) {
		f, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			return 0, "", fmt.Errorf("inittrace %q: %w", m[0], err)
		}
		d := time.Duration(f * float64(time.Millisecond))
		total += d
		pkgs = append(pkgs, pkg{m[1], d})
	}
	if len(pkgs) == 0 {
		return 0, "", fmt.Errorf("no inittrace output")
	}
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].d > pkgs[j].d })
	var top []string
	for _, p := range pkgs[:min(3, len(pkgs))] {
		top = append(top, fmt.Sprintf("%s %.1f", p.name, float64(p.d)/float64(time.Millisecond)))
	}
	return total, strings.Join(top, ", "), nil
}

func coldSection(o options, figs []coldFigures) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Each bootstrap (host build: `CGO_ENABLED=0 go build -trimpath -tags lambda.norpc -ldflags='-s -w'`) was started %d times in a fresh Runtime Interface Emulator process, the subjects taken round-robin so noise spreads over all alike. RIE starts the bootstrap on the first invocation, so **init = first invocation − median of %d warm invocations** of the same process: process start, Go runtime and package initialisation, the function's own set-up (config, AWS clients, any cold-start I/O) and the runtime's first poll. Payloads do no AWS I/O: an unknown route (→ 404 from the router) for HTTP functions, `{\"Records\":[]}` for SQS consumers. Scheduled jobs ignore their payload and do their queries in every invocation, first and warm alike, so their init figure carries that I/O's variance; for them the RIE `INIT REPORT` column, which ends before the invocation, is the cleaner figure. Baseline: the hello-world aws-lambda-go bootstrap `local/bench/hello`, built and run the same way with the same local environment. Goal: init p50 ≤ 2× hello's.\n\n", len(figs[0].runs), o.warm)
	b.WriteString("| function | init p50 | init p90 | ratio to hello (p50) | goal ≤ 2× | RIE `INIT REPORT` p50 | ratio | binary | Go package init | DynamoDB requests: first / warm invoke |\n|---|---|---|---|---|---|---|---|---|---|\n")
	base := quantile(inits(figs[0].runs), 0.5)
	baseRIE := quantile(rieInits(figs[0].runs), 0.5)
	var unmet []string
	for i, f := range figs {
		p50 := quantile(inits(f.runs), 0.5)
		ratio := float64(p50) / float64(base)
		goal := met(ratio <= 2)
		if i == 0 {
			goal = "baseline"
		} else if ratio > 2 {
			unmet = append(unmet, f.name)
		}
		rie := quantile(rieInits(f.runs), 0.5)
		fmt.Fprintf(&b, "| %s | %s | %s | %.2f× | %s | %s | %.2f× | %.1f MB | %s | %.1f / %.1f |\n", f.name, ms(p50), ms(quantile(inits(f.runs), 0.9)),
			ratio, goal, ms(rie), float64(rie)/float64(baseRIE), float64(f.size)/1e6, ms(f.pkgInit), medianInt(f.runs), medianWarm(f.runs))
	}
	b.WriteString("\nCross-checks and where the time goes, all measured in this run:\n\n")
	b.WriteString("- RIE logs `INIT REPORT(durationMs: …)` (from starting the bootstrap to the runtime's first `/next`); its ratio column is the same comparison without the invocation round trip. RIE's `REPORT` line also prints an `Init Duration`, but it does not measure the init: ")
	fmt.Fprintf(&b, "its median here was %s for hello.\n", ms(quantile(rieReports(figs[0].runs), 0.5)))
	b.WriteString("- *Go package init* is the sum of the package initialisers' wall time reported by `GODEBUG=inittrace=1` in one extra process per function (not in the timed runs, and a single sample, so noisy); the largest, in ms:\n")
	for _, f := range figs {
		fmt.Fprintf(&b, "  - %s: %s\n", f.name, f.topInits)
	}
	b.WriteString("- *DynamoDB requests* are counted by `local/ddbproxy` in front of DynamoDB Local: a first invocation that makes more requests than a warm one does I/O at cold start.\n")
	if len(unmet) > 0 {
		fmt.Fprintf(&b, "\nNot met (%d of %d functions), where the extra init goes, measured:\n\n%s", len(unmet), len(figs)-1, coldLimits(figs, unmet))
	}
	return b.String()
}

// coldLimits says, from the figures, what the unmet functions spend their init on beyond hello's.
func coldLimits(figs []coldFigures, unmet []string) string {
	base := figs[0]
	var parts []string
	for _, f := range figs[1:] {
		if !slices.Contains(unmet, f.name) {
			continue
		}
		extra := quantile(inits(f.runs), 0.5) - quantile(inits(base.runs), 0.5)
		pkg := f.pkgInit - base.pkgInit
		parts = append(parts, fmt.Sprintf("- %s takes %s more than hello: %s more in Go package initialisers, %.1f DynamoDB requests more in its first invocation than in a warm one, and the remaining %s in starting a %.1f MB binary (hello: %.1f MB) and its own set-up in main (configuration, clients, keys; not separated further here)",
			f.name, ms(extra), ms(pkg), medianInt(f.runs)-medianWarm(f.runs), ms(extra-pkg), float64(f.size)/1e6, float64(base.size)/1e6))
	}
	return strings.Join(parts, ".\n") + ".\n"
}

func inits(rs []coldRun) []time.Duration {
	out := make([]time.Duration, len(rs))
	for i, r := range rs {
		out[i] = r.init
	}
	return out
}

func rieInits(rs []coldRun) []time.Duration {
	out := make([]time.Duration, len(rs))
	for i, r := range rs {
		out[i] = r.rieInit
	}
	return out
}

func rieReports(rs []coldRun) []time.Duration {
	out := make([]time.Duration, len(rs))
	for i, r := range rs {
		out[i] = r.rieReport
	}
	return out
}

func medianInt(rs []coldRun) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = float64(r.ddbFirst)
	}
	return median(v)
}

func medianWarm(rs []coldRun) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = r.ddbWarm
	}
	return median(v)
}
