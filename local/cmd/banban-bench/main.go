// Command banban-bench measures banban on the offline local stack and writes docs/benchmarks.md.
// Every figure is a ratio against a baseline measured in the same run on the same machine (these
// machines are shared and noisy), with the absolute numbers beside it. Run it through `make bench`,
// which builds the functions, starts the local servers and runs the micro-benchmarks first.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

type options struct {
	out          string
	root         string
	dynamo, sqs  string
	microFile    string
	coldRuns     int
	warm         int
	coldBudget   time.Duration
	ratings      int
	clients      int
	concurrency  int
	pollers      int
	cases        int
	phaseTimeout time.Duration
	// The monthly assessment: the city's windows and the ratings of the larger month.
	scoringWindows, scoringRatings int
	steps                          string // only these steps, comma-separated ("" all); the report keeps the others' sections
	functionLogs                   io.Writer
}

func main() {
	var o options
	flag.StringVar(&o.out, "out", "docs/benchmarks.md", "report file")
	flag.StringVar(&o.microFile, "micro", "", "output of `go test -bench` to include")
	flag.IntVar(&o.coldRuns, "cold-runs", 15, "fresh processes per function for the cold-start figures")
	flag.IntVar(&o.warm, "warm", 3, "warm invocations after each cold one")
	flag.DurationVar(&o.coldBudget, "cold-budget", 90*time.Second, "stop starting cold-start rounds after this long")
	flag.IntVar(&o.ratings, "ratings", 3000, "ratings per throughput run")
	flag.IntVar(&o.clients, "clients", 8, "concurrent kiosk clients (and baseline clients)")
	flag.IntVar(&o.concurrency, "concurrency", 0, "RIE processes per function of the stack (0: as many as clients, so no request waits for a process)")
	flag.IntVar(&o.pollers, "pollers", 4, "evaluation-ingest processes and poll loops")
	flag.IntVar(&o.cases, "cases", 200, "cases posted for the intake latency")
	flag.DurationVar(&o.phaseTimeout, "phase-timeout", 3*time.Minute, "deadline of each measured phase")
	flag.StringVar(&o.steps, "steps", "", "run only these steps, comma-separated (e.g. \"monthly scoring\"); sections of the others stay as they are in the report")
	flag.IntVar(&o.scoringWindows, "scoring-windows", 2000, "windows of the city scored by the monthly assessment")
	flag.IntVar(&o.scoringRatings, "scoring-ratings", 200000, "ratings of the larger scored month (the smaller has a tenth)")
	logs := flag.String("function-logs", "", "write the functions' output to this file (default: discarded)")
	flag.Parse()
	o.functionLogs = io.Discard
	if *logs != "" {
		f, err := os.Create(*logs)
		if err != nil {
			fmt.Fprintln(os.Stderr, "banban-bench:", err)
			os.Exit(1)
		}
		defer f.Close() //nolint:errcheck // a log file
		o.functionLogs = f
	}
	if o.concurrency <= 0 {
		o.concurrency = o.clients
	}
	o.dynamo, o.sqs = os.Getenv("AWS_ENDPOINT_URL_DYNAMODB"), os.Getenv("AWS_ENDPOINT_URL_SQS")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "banban-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if o.dynamo == "" || o.sqs == "" {
		return errors.New("AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL_SQS must name the local servers (run through `make bench`)")
	}
	root, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("getwd: %w", err)
	}
	o.root = root
	var r report
	if r.header, err = header(ctx); err != nil {
		return err
	}
	steps := []struct {
		name string
		run  func(context.Context, options, *report) error
	}{{"cold starts", coldStarts}, {"rating path", ratingPath}, {"case intake", caseIntake}, {"case routing", routingPath}, {"monthly scoring", scoringPath}}
	for _, st := range steps {
		if o.steps != "" && !slices.Contains(strings.Split(o.steps, ","), st.name) {
			continue
		}
		start := time.Now()
		fmt.Fprintf(os.Stderr, "banban-bench: %s…\n", st.name)
		if err := st.run(ctx, o, &r); err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
		fmt.Fprintf(os.Stderr, "banban-bench: %s done in %s\n", st.name, time.Since(start).Round(time.Second))
	}
	if o.microFile != "" {
		raw, err := os.ReadFile(o.microFile)
		if err != nil {
			return fmt.Errorf("micro-benchmarks: %w", err)
		}
		r.micro = strings.TrimSpace(string(raw))
	}
	out := o.out
	if !filepath.IsAbs(out) {
		out = filepath.Join(root, out)
	}
	return r.write(out)
}

// header says when, where and how the figures were measured.
func header(ctx context.Context) (string, error) {
	goVersion, err := exec.CommandContext(ctx, "go", "version").Output()
	if err != nil {
		return "", fmt.Errorf("go version: %w", err)
	}
	nproc, err := exec.CommandContext(ctx, "nproc").Output()
	if err != nil {
		return "", fmt.Errorf("nproc: %w", err)
	}
	return fmt.Sprintf("Command: `make bench` (which runs `go run ./local/cmd/banban-bench -out docs/benchmarks.md -micro .local/micro.txt` against DynamoDB Local and the SQS server it starts).  \nDate: %s.  \nMachine: `nproc` = %s, `%s`, GOMAXPROCS %d.",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), strings.TrimSpace(string(nproc)), strings.TrimSpace(string(goVersion)), runtime.GOMAXPROCS(0)), nil
}
