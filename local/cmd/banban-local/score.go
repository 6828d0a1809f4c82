package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"banban/shared/calendar"
)

// runScore scores a month on the running stack, as the city administration's
// POST /v1/reports/{month}/runs: a new revision when the figures changed since the latest.
func runScore(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("score", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	sf := addStackFlags(fs, e)
	month := fs.String("month", "", "the month to score, YYYY-MM (Asia/Shanghai)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if _, err := calendar.ParseMonth(*month); err != nil {
		return errors.New("-month YYYY-MM is required")
	}
	tpl, params, err := sf.load()
	if err != nil {
		return err
	}
	authority, err := sf.authority(tpl, params)
	if err != nil {
		return err
	}
	tok, err := authority.Mint(map[string]any{"sub": "banban-local", "role": "city_admin"}, 5*time.Minute)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("http://%s/v1/reports/%s/runs", sf.gateway, *month), nil)
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("score (is `banban-local up` running?): %w", err)
	}
	defer resp.Body.Close() //nolint:errcheck // read-only body; the read error below is what matters
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("score: read response: %w", err)
	}
	fmt.Fprintln(e.stdout, string(body))
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("score %s: %s", *month, resp.Status)
	}
	return nil
}
