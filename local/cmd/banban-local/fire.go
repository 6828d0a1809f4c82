package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
)

// runFire asks the running `up` to fire a schedule, so the function runs in the stack's own
// runtime processes with the stack's environment.
func runFire(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("fire", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	addr := fs.String("addr", envOr("BANBAN_GATEWAY_ADDR", "127.0.0.1:3000"), "address of the running gateway (banban-local up)")
	// Accept the target before or after the flags.
	var target string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		target, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if target == "" && fs.NArg() == 1 {
		target = fs.Arg(0)
	}
	fn, ev, ok := strings.Cut(target, "/")
	if !ok || fn == "" || ev == "" {
		return errors.New("usage: banban-local fire FunctionLogicalId/EventName")
	}
	url := fmt.Sprintf("http://%s/_local/schedules/%s/%s", *addr, fn, ev)
	return post(ctx, e, url, "", "fire "+target, http.StatusOK)
}

// post sends an empty POST to the running stack (with token, when given), prints the answer and
// fails unless its status is one of ok.
func post(ctx context.Context, e *env, url, token, what string, ok ...int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s (is `banban-local up` running?): %w", what, err)
	}
	defer resp.Body.Close() //nolint:errcheck // read-only body; the read error below is what matters
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s: read response: %w", what, err)
	}
	fmt.Fprintln(e.stdout, string(body))
	if !slices.Contains(ok, resp.StatusCode) {
		return fmt.Errorf("%s: %s", what, resp.Status)
	}
	return nil
}
