package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// FunctionError is a handler failure reported by the runtime: an error returned by the handler,
// a panic, or a timeout. Lambda reports these as a successful invoke with an error payload; the
// caller (API Gateway, the SQS poller) decides what it means.
type FunctionError struct {
	Type    string `json:"errorType"`
	Message string `json:"errorMessage"`
	// Payload is the raw error document the runtime returned.
	Payload []byte `json:"-"`
}

func (e *FunctionError) Error() string {
	return fmt.Sprintf("function error %s: %s", e.Type, e.Message)
}

// RunnerConfig describes one function to run under the Runtime Interface Emulator.
type RunnerConfig struct {
	Name      string            // function name, used for logs and AWS_LAMBDA_FUNCTION_NAME
	RIE       string            // path of aws-lambda-rie
	Bootstrap string            // path of the function's bootstrap binary
	Env       map[string]string // the function's environment
	Timeout   time.Duration     // function timeout (AWS_LAMBDA_FUNCTION_TIMEOUT)
	MemoryMB  int               // AWS_LAMBDA_FUNCTION_MEMORY_SIZE
	// Concurrency is the number of RIE processes. One RIE process runs one invocation at a time:
	// a second concurrent invoke makes it panic (measured), as a Lambda sandbox serves one
	// request at a time. Default 2.
	Concurrency int
	// Output receives the processes' stdout and stderr, each line prefixed with the function
	// name. Nil discards them.
	Output io.Writer
}

// Runner runs a pool of RIE processes for one function and dispatches invocations to a free one.
type Runner struct {
	cfg    RunnerConfig
	free   chan *rieProc
	client *http.Client
	log    *slog.Logger

	mu     sync.Mutex
	procs  []*rieProc
	closed bool
}

type rieProc struct {
	id   int
	cmd  *exec.Cmd
	addr string
	out  *prefixWriter
	done chan struct{} // closed when the process has exited
	// exitErr is the process's exit status, valid once done is closed.
	exitErr error
}

// exited describes why a process ended during startup, with its last output.
func (p *rieProc) exited() error {
	return fmt.Errorf("RIE on %s exited during startup (%v); last output:\n%s", p.addr, p.exitErr, p.out.Tail())
}

// startAttempts bounds retries when a port picked as free is taken before RIE binds it.
const startAttempts = 5

// readyTimeout bounds how long an RIE process may take to accept connections.
const readyTimeout = 10 * time.Second

// StartRunner starts cfg.Concurrency RIE processes and waits until each accepts connections.
func StartRunner(ctx context.Context, cfg RunnerConfig) (*Runner, error) {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 2
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Second
	}
	if cfg.Output == nil {
		cfg.Output = io.Discard
	}
	if _, err := os.Stat(cfg.Bootstrap); err != nil {
		return nil, fmt.Errorf("function %s: bootstrap: %w", cfg.Name, err)
	}
	r := &Runner{
		cfg:  cfg,
		free: make(chan *rieProc, cfg.Concurrency),
		// No client timeout: each request carries a context deadline derived from the function
		// timeout instead.
		client: &http.Client{Transport: &http.Transport{DisableKeepAlives: false, MaxIdleConnsPerHost: cfg.Concurrency}},
		log:    slog.With("function", cfg.Name),
	}
	type result struct {
		p   *rieProc
		err error
	}
	results := make(chan result, cfg.Concurrency)
	for i := range cfg.Concurrency {
		go func() {
			p, err := r.start(ctx, i)
			results <- result{p, err}
		}()
	}
	var errs []error
	for range cfg.Concurrency {
		res := <-results
		if res.err != nil {
			errs = append(errs, res.err)
			continue
		}
		r.free <- res.p
	}
	if len(errs) > 0 {
		return nil, errors.Join(append(errs, r.Close())...)
	}
	return r, nil
}

// Name returns the function name.
func (r *Runner) Name() string { return r.cfg.Name }

// Timeout returns the function timeout.
func (r *Runner) Timeout() time.Duration { return r.cfg.Timeout }

func (r *Runner) env() []string {
	env := map[string]string{
		// The function sees only its own environment, as in Lambda, plus PATH for the runtime.
		"PATH":                            os.Getenv("PATH"),
		"AWS_LAMBDA_FUNCTION_NAME":        r.cfg.Name,
		"AWS_LAMBDA_FUNCTION_TIMEOUT":     strconv.Itoa(int(r.cfg.Timeout / time.Second)),
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(r.cfg.MemoryMB),
	}
	if r.cfg.MemoryMB == 0 {
		delete(env, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
	}
	for k, v := range r.cfg.Env {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// start launches RIE process number id on a free loopback port and waits for it to listen.
func (r *Runner) start(ctx context.Context, id int) (*rieProc, error) {
	var lastErr error
	for range startAttempts {
		// Two ports: the invoke endpoint, and the Runtime API the function polls. RIE's Runtime API
		// defaults to 127.0.0.1:9001 (measured), so a second RIE on the machine fails to start
		// unless it gets its own.
		port, err := FreePort()
		if err != nil {
			return nil, err
		}
		apiPort, err := FreePort()
		if err != nil {
			return nil, err
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		apiAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(apiPort))
		p, err := r.launch(ctx, id, addr, apiAddr)
		if err == nil {
			return p, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("function %s: start RIE: %w", r.cfg.Name, lastErr)
}

func (r *Runner) launch(ctx context.Context, id int, addr, apiAddr string) (*rieProc, error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, errors.New("runner closed")
	}
	// Never pass --help or other flags after the bootstrap: RIE treats them as the handler's args.
	cmd := exec.Command(r.cfg.RIE, "--runtime-interface-emulator-address", addr, "--runtime-api-address", apiAddr, r.cfg.Bootstrap)
	cmd.Env = r.env()
	cmd.Dir = dirOf(r.cfg.Bootstrap)
	w := newPrefixWriter(r.cfg.Output, fmt.Sprintf("%s#%d | ", r.cfg.Name, id))
	cmd.Stdout, cmd.Stderr = w, w
	setProcAttrs(cmd)
	if err := cmd.Start(); err != nil {
		r.mu.Unlock()
		return nil, fmt.Errorf("start %s: %w", r.cfg.RIE, err)
	}
	p := &rieProc{id: id, cmd: cmd, addr: addr, out: w, done: make(chan struct{})}
	r.procs = append(r.procs, p)
	r.mu.Unlock()
	go func() {
		err := cmd.Wait()
		w.Flush()
		if err != nil {
			r.log.Debug("RIE exited", "proc", id, "err", err)
		}
		p.exitErr = err
		close(p.done)
	}()

	deadline := time.Now().Add(readyTimeout)
	for {
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			if cerr := conn.Close(); cerr != nil {
				r.log.Debug("close probe connection", "err", cerr)
			}
			// The port may belong to another process that grabbed it after FreePort: make sure
			// our RIE is the one still running.
			select {
			case <-p.done:
				return nil, p.exited()
			default:
				return p, nil
			}
		}
		select {
		case <-p.done:
			return nil, p.exited()
		case <-ctx.Done():
			r.kill(p)
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond): // readiness poll interval
		}
		if time.Now().After(deadline) {
			r.kill(p)
			return nil, fmt.Errorf("RIE on %s not ready after %v", addr, readyTimeout)
		}
	}
}

// Invoke runs the function with payload and returns its response. A handler error, panic or
// timeout returns the payload and a *FunctionError. Invoke waits for a free RIE process.
func (r *Runner) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var p *rieProc
	select {
	case p = <-r.free:
	case <-ctx.Done():
		return nil, fmt.Errorf("invoke %s: waiting for a free runtime: %w", r.cfg.Name, ctx.Err())
	}
	out, err := r.invokeOn(ctx, p, payload)
	// A process that died (crash, or killed after a transport failure) is replaced before it
	// goes back to the pool, so the pool keeps its size.
	select {
	case <-p.done:
		np, serr := r.start(context.Background(), p.id)
		if serr != nil {
			r.log.Error("cannot restart runtime; pool shrinks", "proc", p.id, "err", serr)
			return out, errors.Join(err, serr)
		}
		r.log.Warn("runtime process exited; restarted", "proc", p.id)
		p = np
	default:
	}
	r.free <- p
	return out, err
}

func (r *Runner) invokeOn(ctx context.Context, p *rieProc, payload []byte) ([]byte, error) {
	// RIE enforces the function timeout itself; the extra margin covers a cold start.
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout+10*time.Second)
	defer cancel()
	url := "http://" + p.addr + "/2015-03-31/functions/function/invocations"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", r.cfg.Name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		// The process may be wedged mid-invocation; kill it so it is replaced rather than handed
		// to the next caller in an unknown state.
		r.kill(p)
		return nil, fmt.Errorf("invoke %s: %w", r.cfg.Name, err)
	}
	body, err := io.ReadAll(resp.Body)
	if cerr := resp.Body.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		r.kill(p)
		return nil, fmt.Errorf("invoke %s: read response: %w", r.cfg.Name, err)
	}
	if ferr := asFunctionError(resp.StatusCode, body); ferr != nil {
		return body, ferr
	}
	return body, nil
}

// asFunctionError recognises RIE's ways of reporting a failed invocation (measured): a handler
// error is HTTP 200 with {"errorType", "errorMessage"}; a panic is HTTP 502 with the same; a
// timeout is HTTP 200 with the plain text "Task timed out after N seconds".
func asFunctionError(status int, body []byte) *FunctionError {
	trimmed := bytes.TrimSpace(body)
	if bytes.HasPrefix(trimmed, []byte("Task timed out after")) {
		return &FunctionError{Type: "Sandbox.Timedout", Message: string(trimmed), Payload: body}
	}
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var probe map[string]json.RawMessage
		if json.Unmarshal(trimmed, &probe) == nil {
			if _, ok := probe["errorType"]; ok {
				fe := &FunctionError{Payload: body}
				if err := json.Unmarshal(trimmed, fe); err != nil {
					fe.Type, fe.Message = "Unknown", string(trimmed)
				}
				return fe
			}
		}
	}
	if status != http.StatusOK {
		return &FunctionError{Type: "Runtime.HTTP" + strconv.Itoa(status), Message: string(trimmed), Payload: body}
	}
	return nil
}

// Close stops every RIE process (and the function processes they started) and waits for them.
func (r *Runner) Close() error {
	r.mu.Lock()
	r.closed = true
	procs := append([]*rieProc(nil), r.procs...)
	r.mu.Unlock()
	for _, p := range procs {
		r.kill(p)
	}
	return nil
}

// kill terminates a process group gracefully, then forcefully, and waits for the exit.
func (r *Runner) kill(p *rieProc) {
	select {
	case <-p.done:
		return
	default:
	}
	// RIE answers SIGTERM by SIGKILLing the runtime it started and exiting.
	if err := signalGroup(p.cmd, syscall.SIGTERM); err != nil {
		r.log.Debug("SIGTERM", "proc", p.id, "err", err)
	}
	select {
	case <-p.done:
		return
	case <-time.After(3 * time.Second):
	}
	if err := signalGroup(p.cmd, syscall.SIGKILL); err != nil {
		r.log.Debug("SIGKILL", "proc", p.id, "err", err)
	}
	<-p.done
}

// handedOut remembers the ports FreePort gave out in this process: the kernel may offer a port
// again as soon as its probe listener closes, before the RIE it was meant for binds it, and two
// RIEs of ours on one port would answer each other's invocations (seen: a case request answered
// by the catalogue function).
var (
	portsMu   sync.Mutex
	handedOut = map[int]bool{}
)

// FreePort asks the kernel for a free loopback port that this process has not handed out before.
// Another process may still take it before RIE binds it; start retries in that case.
func FreePort() (int, error) {
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("find free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		if err := l.Close(); err != nil {
			return 0, fmt.Errorf("find free port: %w", err)
		}
		portsMu.Lock()
		fresh := !handedOut[port]
		handedOut[port] = true
		portsMu.Unlock()
		if fresh {
			return port, nil
		}
	}
	return 0, fmt.Errorf("find free port: no port left that was not handed out before")
}

func dirOf(path string) string {
	if i := strings.LastIndexByte(path, '/'); i > 0 {
		return path[:i]
	}
	return "."
}

// prefixWriter prefixes each line written to it; it is safe for concurrent use by one process's
// stdout and stderr.
type prefixWriter struct {
	mu     sync.Mutex
	out    io.Writer
	prefix string
	buf    []byte
	tail   []byte // the last tailSize bytes written, for error messages
}

const tailSize = 2048

// Tail returns the last output written.
func (w *prefixWriter) Tail() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.tail)
}

func newPrefixWriter(out io.Writer, prefix string) *prefixWriter {
	return &prefixWriter{out: out, prefix: prefix}
}

func (w *prefixWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	w.tail = append(w.tail, b...)
	if len(w.tail) > tailSize {
		w.tail = append([]byte(nil), w.tail[len(w.tail)-tailSize:]...)
	}
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		if err := w.emit(w.buf[:i]); err != nil {
			return 0, err
		}
		w.buf = w.buf[i+1:]
	}
	return len(b), nil
}

func (w *prefixWriter) emit(line []byte) error {
	line = bytes.TrimRight(line, "\r")
	if len(bytes.TrimSpace(line)) == 0 {
		return nil // RIE separates its reports with blank lines
	}
	var b bytes.Buffer
	b.WriteString(w.prefix)
	b.Write(line)
	b.WriteByte('\n')
	if _, err := w.out.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write log: %w", err)
	}
	return nil
}

// Flush writes a trailing partial line.
func (w *prefixWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		if err := w.emit(w.buf); err != nil {
			slog.Debug("flush log", "err", err)
		}
		w.buf = nil
	}
}
