package main

import (
	"fmt"
	"log/slog"
	"math"
	"os"
	"sort"
	"strings"
	"time"
)

// report is docs/benchmarks.md. Sections written by other benchmarks (e.g. the open-government
// search figures) are kept as they are.
type report struct {
	header   string
	sections []section
	micro    string
}

type section struct{ title, body string }

func (r *report) add(title, body string) { r.sections = append(r.sections, section{title, body}) }

func (r *report) write(path string) error {
	own := map[string]bool{"Micro-benchmarks": r.micro != ""}
	for _, s := range r.sections {
		own[s.title] = true
	}
	var b strings.Builder
	b.WriteString("# Benchmarks\n\n" + r.header + "\n\nEvery goal is a ratio against a baseline measured in the same run, because these machines are shared and noisy; absolute figures are given beside it. Nothing here is asserted in tests. Goals not met are reported with the measured figure and what limits it.\n")
	for _, s := range r.sections {
		fmt.Fprintf(&b, "\n## %s\n\n%s\n", s.title, strings.TrimSpace(s.body))
	}
	if r.micro != "" {
		fmt.Fprintf(&b, "\n## Micro-benchmarks\n\n`go test -run '^$' -bench . -benchmem ./shared/...`\n\n```\n%s\n```\n", r.micro)
	}
	if old, err := os.ReadFile(path); err == nil {
		for _, s := range splitSections(string(old)) {
			if !own[s.title] {
				fmt.Fprintf(&b, "\n## %s\n\n%s\n", s.title, strings.TrimSpace(s.body))
			}
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

func splitSections(doc string) []section {
	var out []section
	for _, part := range strings.Split("\n"+doc, "\n## ")[1:] {
		title, body, _ := strings.Cut(part, "\n")
		out = append(out, section{strings.TrimSpace(title), body})
	}
	return out
}

// quantile of sorted durations (nearest rank).
func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(i, 0)]
}

// median of values (the mean of the middle two for an even count).
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

// logFailure runs a clean-up step and reports its failure without failing the measurement.
func logFailure(what string, f func() error) {
	if err := f(); err != nil {
		slog.Warn(what, "error", err.Error())
	}
}
