// Package ddbproxy is a reverse proxy in front of DynamoDB Local that counts the requests passing
// through it by operation (X-Amz-Target), so benchmarks can report DynamoDB requests per rating of
// functions that run in other processes. It listens on loopback only.
package ddbproxy

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// Proxy counts and forwards requests.
type Proxy struct {
	server *http.Server
	addr   string

	mu     sync.Mutex
	counts map[string]int
}

// Start listens on 127.0.0.1 (a free port) and forwards to target.
func Start(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Hostname() != "127.0.0.1" {
		return nil, fmt.Errorf("ddbproxy: target %q must be http://127.0.0.1:PORT", target)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("ddbproxy: listen: %w", err)
	}
	p := &Proxy{addr: ln.Addr().String(), counts: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.server = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
		p.mu.Lock()
		p.counts[op]++
		p.mu.Unlock()
		rp.ServeHTTP(w, r)
	})}
	go func() {
		if err := p.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("ddbproxy stopped serving", "error", err.Error())
		}
	}()
	return p, nil
}

// URL is the proxy's endpoint.
func (p *Proxy) URL() string { return "http://" + p.addr }

// Counts returns the requests counted so far by operation, and resets them.
func (p *Proxy) Counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.counts
	p.counts = map[string]int{}
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

// Format renders counts as "Op: n, Op: n" in name order.
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
func (p *Proxy) Close() error { return p.server.Close() }
