package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/google/uuid"

	"banban/local/demo"
	"banban/local/stack"
	"banban/shared/dynamo"
	"banban/shared/kiosk"
	"banban/shared/opengov"
)

// stores provisions the template (idempotent) and returns the directory and kiosk stores.
func (f *stackFlags) stores(ctx context.Context) (*dynamo.Directory, *dynamo.Kiosks, error) {
	ddb, res, err := f.provision(ctx)
	if err != nil {
		return nil, nil, err
	}
	return demoStores(ddb, res)
}

func demoStores(db dynamo.API, res *stack.Resources) (*dynamo.Directory, *dynamo.Kiosks, error) {
	dir, kiosks := res.Tables["DirectoryTable"], res.Tables["KiosksTable"]
	if dir == "" || kiosks == "" {
		return nil, nil, errors.New("the template has no DirectoryTable or KiosksTable")
	}
	return &dynamo.Directory{DB: db, Table: dir}, &dynamo.Kiosks{DB: db, Table: kiosks}, nil
}

func loadDemo(ctx context.Context, e *env, db dynamo.API, res *stack.Resources) error {
	dir, kiosks, err := demoStores(db, res)
	if err != nil {
		return err
	}
	ks, err := demo.Load(ctx, e.root, dir, kiosks)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "demo data    %s loaded; %d kiosks registered (secrets in %s)\n", demo.DirectoryFile, len(ks), demo.KiosksFile)
	if table := res.Tables["CatalogTable"]; table != "" {
		c, err := demo.LoadCatalog(ctx, e.root, dynamo.NewCatalog(db, table, time.Now))
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "catalogue    %s version %s: %d matters, %d bundles\n", demo.CatalogFile, c.Version, len(c.Matters), len(c.Bundles))
	}
	sets, err := dataSets(db, res)
	if err != nil {
		return err
	}
	sizes, err := demo.LoadOpenGov(ctx, e.root, sets)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "open gov     %d guides, %d Q&A, %d places published from data/opengov\n",
		sizes[opengov.KindGuides], sizes[opengov.KindFAQ], sizes[opengov.KindPlaces])
	return nil
}

// runCatalog imports data/catalog/catalog.json as the current catalogue version: what an
// administrator runs after editing it (against AWS too, through the standard endpoint variables).
func runCatalog(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("catalog", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	sf := addStackFlags(fs, e)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ddb, res, err := sf.provision(ctx)
	if err != nil {
		return err
	}
	c, err := demo.LoadCatalog(ctx, e.root, dynamo.NewCatalog(ddb, res.Tables["CatalogTable"], time.Now))
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "catalogue version %s imported: %d matters, %d bundles\n", c.Version, len(c.Matters), len(c.Bundles))
	return nil
}

func dataSets(db dynamo.API, res *stack.Resources) (*dynamo.DataSets, error) {
	table := res.Tables["OpenGovTable"]
	if table == "" {
		return nil, errors.New("the template has no OpenGovTable")
	}
	return &dynamo.DataSets{DB: db, Table: table, Now: time.Now}, nil
}

func runDemo(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	sf := addStackFlags(fs, e)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ddb, res, err := sf.provision(ctx)
	if err != nil {
		return err
	}
	return loadDemo(ctx, e, ddb, res)
}

func runKiosk(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "register" {
		return errors.New("usage: kiosk register -window W [-id ID]")
	}
	fs := flag.NewFlagSet("kiosk register", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	sf := addStackFlags(fs, e)
	window := fs.String("window", "", "window the kiosk stands at (required)")
	id := fs.String("id", "", "kiosk id (default kiosk-<window>)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *window == "" {
		return errors.New("-window is required")
	}
	if *id == "" {
		*id = demo.KioskID(*window)
	}
	dir, kiosks, err := sf.stores(ctx)
	if err != nil {
		return err
	}
	w, err := dir.Window(ctx, *window)
	if err != nil {
		return fmt.Errorf("window %s: %w (load the demo data with `banban-local demo`)", *window, err)
	}
	k, err := demo.Register(ctx, kiosks, *id, w)
	if err != nil {
		return err
	}
	if err := demo.SaveKiosks(e.root, []kiosk.Kiosk{k}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "kiosk   %s\nwindow  %s (hall %s, unit %s)\nsecret  %s\n", k.ID, k.WindowID, k.HallID, k.UnitID, k.Secret)
	return nil
}

func runRate(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("rate", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	addr := fs.String("addr", envOr("BANBAN_GATEWAY_ADDR", "127.0.0.1:3000"), "gateway address")
	window := fs.String("window", "", "rate as the demo kiosk of this window")
	kioskID := fs.String("kiosk", "", "rate as this registered kiosk (instead of -window)")
	level := fs.Int("level", 5, "1 非常不满意 … 5 非常满意")
	id := fs.String("id", "", "rating id (default a new UUID; repeat one to see it counted once)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *kioskID == "" && *window != "" {
		*kioskID = demo.KioskID(*window)
	}
	all, err := demo.Kiosks(e.root)
	if err != nil {
		return err
	}
	k, ok := all[*kioskID]
	if !ok {
		return fmt.Errorf("no kiosk %q in %s: give -window or -kiosk of a registered kiosk", *kioskID, demo.KiosksFile)
	}
	if *id == "" {
		*id = uuid.NewString()
	}
	now := time.Now()
	body := fmt.Appendf(nil, `{"id":%q,"level":%d,"ratedAt":%q}`, *id, *level, now.Format(time.RFC3339))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+*addr+"/v1/evaluations", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	for name, v := range kiosk.Headers(k, http.MethodPost, "/v1/evaluations", body, now, rand.Text()) {
		req.Header.Set(name, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("post rating: %w", err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	fmt.Fprintf(e.stdout, "%d %s\n", resp.StatusCode, answer)
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("rating refused with status %d", resp.StatusCode)
	}
	return nil
}
