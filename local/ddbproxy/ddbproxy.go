// Package ddbproxy is a reverse proxy in front of DynamoDB Local that counts the requests passing
// through it by operation (X-Amz-Target), so benchmarks can report DynamoDB requests per rating of
// functions that run in other processes. It listens on loopback only and forwards to a loopback
// target only.
//
// It can also inject faults: a configurable fraction of requests (off by default) is answered with
// DynamoDB's throttling error instead of being forwarded, as DynamoDB answers when a partition or
// table is over its throughput. Throttled requests are counted apart, so a benchmark sees both how
// many calls its code made and how many reached the database.
package ddbproxy

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// Errors a throttled request is answered with (the __type of DynamoDB's JSON error).
const (
	// ProvisionedThroughputExceeded is what a data-plane call over a table's or partition's
	// throughput gets; the AWS SDKs retry it with backoff.
	ProvisionedThroughputExceeded = "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"
	// Throttling is the general throttling error (e.g. control-plane rate limits).
	Throttling = "com.amazonaws.dynamodb.v20120810#ThrottlingException"
)

// Config configures a proxy.
type Config struct {
	// Target is DynamoDB Local's endpoint, http://127.0.0.1:PORT.
	Target string
	// ThrottleFraction is the fraction of requests, 0 to 1, answered with ThrottleError instead of
	// being forwarded. 0 (the default) forwards everything.
	ThrottleFraction float64
	// ThrottleError is the __type of the throttling answer (default ProvisionedThroughputExceeded).
	ThrottleError string
	// Seed seeds the choice of throttled requests, so a run can be repeated.
	Seed uint64
}

// Stats are the requests seen, by operation (e.g. "PutItem").
type Stats struct {
	// Requests counts every request received, throttled or not.
	Requests map[string]int
	// Throttled counts the requests answered with the throttling error.
	Throttled map[string]int
}

// Forwarded is the number of requests that reached DynamoDB.
func (s Stats) Forwarded() int { return Total(s.Requests) - Total(s.Throttled) }

// Proxy counts, optionally throttles, and forwards requests. It is safe for concurrent use.
type Proxy struct {
	server *http.Server
	addr   string
	fwd    *httputil.ReverseProxy

	mu        sync.Mutex
	stats     Stats
	fraction  float64
	errorType string
	rnd       *rand.Rand
}

// Start listens on a free port of 127.0.0.1 and forwards to target, throttling nothing.
func Start(target string) (*Proxy, error) { return StartConfig(Config{Target: target}) }

// StartConfig starts a proxy configured by cfg.
func StartConfig(cfg Config) (*Proxy, error) {
	u, err := url.Parse(cfg.Target)
	if err != nil {
		return nil, fmt.Errorf("ddbproxy: target %q: %w", cfg.Target, err)
	}
	if u.Scheme != "http" || u.Hostname() != "127.0.0.1" {
		return nil, fmt.Errorf("ddbproxy: target %q must be http://127.0.0.1:PORT", cfg.Target)
	}
	if cfg.ThrottleError == "" {
		cfg.ThrottleError = ProvisionedThroughputExceeded
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("ddbproxy: listen: %w", err)
	}
	p := &Proxy{
		addr:      ln.Addr().String(),
		fwd:       httputil.NewSingleHostReverseProxy(u),
		stats:     newStats(),
		errorType: cfg.ThrottleError,
		rnd:       rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
	}
	// Many concurrent functions talk through one proxy: keep enough idle connections to
	// DynamoDB Local that the proxy does not open a new one per request.
	p.fwd.Transport = &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second}
	if err := p.SetThrottleFraction(cfg.ThrottleFraction); err != nil {
		return nil, errors.Join(err, ln.Close())
	}
	p.server = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(p.serve)}
	go func() {
		if err := p.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("ddbproxy stopped serving", "error", err.Error())
		}
	}()
	return p, nil
}

func newStats() Stats { return Stats{Requests: map[string]int{}, Throttled: map[string]int{}} }

// SetThrottleFraction changes the fraction of requests answered with the throttling error.
func (p *Proxy) SetThrottleFraction(f float64) error {
	if math.IsNaN(f) || f < 0 || f > 1 {
		return fmt.Errorf("ddbproxy: throttle fraction %v is not between 0 and 1", f)
	}
	p.mu.Lock()
	p.fraction = f
	p.mu.Unlock()
	return nil
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	op := Operation(r)
	p.mu.Lock()
	p.stats.Requests[op]++
	throttle := p.fraction > 0 && p.rnd.Float64() < p.fraction
	if throttle {
		p.stats.Throttled[op]++
	}
	errorType := p.errorType
	p.mu.Unlock()
	if throttle {
		writeThrottled(w, errorType)
		return
	}
	p.fwd.ServeHTTP(w, r)
}

// writeThrottled answers like DynamoDB does when it throttles a request: HTTP 400 with a JSON
// error whose __type the SDKs recognise as retryable throttling.
func writeThrottled(w http.ResponseWriter, errorType string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-Requestid", fmt.Sprintf("ddbproxy-%d", time.Now().UnixNano()))
	w.WriteHeader(http.StatusBadRequest)
	body := fmt.Sprintf(`{"__type":%q,"message":"Rate of requests exceeds the allowed throughput (injected by ddbproxy)."}`, errorType)
	if _, err := w.Write([]byte(body)); err != nil {
		slog.Debug("ddbproxy: write throttling answer", "error", err.Error())
	}
}

// Operation is the DynamoDB operation of a request, from its X-Amz-Target header ("PutItem"), or
// "(none)" when the header is missing.
func Operation(r *http.Request) string {
	t := r.Header.Get("X-Amz-Target")
	if t == "" {
		return "(none)"
	}
	_, op, ok := strings.Cut(t, ".")
	if !ok {
		return t
	}
	return op
}

// URL is the proxy's endpoint.
func (p *Proxy) URL() string { return "http://" + p.addr }

// Stats returns the requests counted since the start or the last Take.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Stats{Requests: clone(p.stats.Requests), Throttled: clone(p.stats.Throttled)}
}

// Take returns the requests counted since the start or the last Take, and starts counting anew.
func (p *Proxy) Take() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.stats
	p.stats = newStats()
	return out
}

func clone(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Total sums counts.
func Total(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// Format renders counts as "Op n, Op n" in name order.
func Format(counts map[string]int) string {
	names := make([]string, 0, len(counts))
	for k := range counts {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s %d", k, counts[k])
	}
	return strings.Join(parts, ", ")
}

// Close stops the proxy.
func (p *Proxy) Close() error {
	if err := p.server.Close(); err != nil {
		return fmt.Errorf("ddbproxy: close: %w", err)
	}
	return nil
}
