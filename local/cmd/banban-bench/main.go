// Command banban-bench measures banban on the offline local stack and writes docs/benchmarks.md.
// Every figure is a ratio against a baseline measured in the same run on the same machine (these
// machines are shared and noisy), with the absolute numbers beside it. Run it through `make bench`,
// which builds the functions and starts the local servers.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

type options struct {
	out         string
	root        string
	dynamo, sqs string
	microFile   string
	coldRuns    int
	ratings     int
	clients     int
	concurrency int
	cases       int
	pollers     int
}

func main() {
	var o options
	flag.StringVar(&o.out, "out", "docs/benchmarks.md", "report file")
	flag.StringVar(&o.microFile, "micro", "", "output of `go test -bench` to include")
	flag.IntVar(&o.coldRuns, "cold-runs", 9, "fresh processes per function for the cold-start figures")
	flag.IntVar(&o.ratings, "ratings", 2000, "ratings per throughput run")
	flag.IntVar(&o.clients, "clients", 8, "concurrent kiosk clients")
	flag.IntVar(&o.concurrency, "concurrency", 4, "RIE processes per function")
	flag.IntVar(&o.cases, "cases", 200, "cases posted for the intake latency")
	flag.IntVar(&o.pollers, "pollers", 4, "poll loops feeding evaluation-ingest")
	flag.Parse()
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
	root, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("getwd: %w", err)
	}
	o.root = root
	var r report
	r.header = fmt.Sprintf("Measured %s on %d cores (%s, %s) with `make bench`.", time.Now().Format("2006-01-02 15:04 MST"),
		runtime.NumCPU(), runtime.Version(), runtime.GOARCH)
	fmt.Fprintln(os.Stderr, "cold starts…")
	if err := coldStarts(ctx, o, &r); err != nil {
		return fmt.Errorf("cold starts: %w", err)
	}
	fmt.Fprintln(os.Stderr, "rating path…")
	if err := ratingPath(ctx, o, &r); err != nil {
		return fmt.Errorf("rating path: %w", err)
	}
	fmt.Fprintln(os.Stderr, "case intake…")
	if err := caseIntake(ctx, o, &r); err != nil {
		return fmt.Errorf("case intake: %w", err)
	}
	if o.microFile != "" {
		raw, err := os.ReadFile(o.microFile)
		if err != nil {
			return fmt.Errorf("micro benchmarks: %w", err)
		}
		r.micro = strings.TrimSpace(string(raw))
	}
	out := o.out
	if !filepath.IsAbs(out) {
		out = filepath.Join(root, out)
	}
	return r.write(out)
}
