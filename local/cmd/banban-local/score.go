package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
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
	tok, err := authority.Mint(map[string]any{"sub": "staff:banban-local", "kind": "staff", "role": "city_admin"}, 5*time.Minute)
	if err != nil {
		return err
	}
	return post(ctx, e, fmt.Sprintf("http://%s/v1/reports/%s/runs", sf.gateway, *month), tok, "score "+*month,
		http.StatusOK, http.StatusCreated)
}
