package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"banban/local/demo"
	"banban/shared/opengov"
	"banban/shared/opengov/sheet"
)

// runImport reads an office spreadsheet (XLSX or CSV) of guides, Q&A or places, checks every
// row and, only when all are valid, publishes it as the new version of the data set.
func runImport(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	sf := addStackFlags(fs, e)
	kindName := fs.String("kind", "", "data set: guides, faq or places (required)")
	file := fs.String("file", "", "the .xlsx (first sheet) or .csv file (required)")
	dryRun := fs.Bool("dry-run", false, "check the file only, publish nothing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	kind, err := opengov.ParseKind(*kindName)
	if err != nil || *file == "" {
		return errors.New("usage: import -kind guides|faq|places -file F.xlsx|F.csv [-dry-run]")
	}
	f, err := os.Open(*file)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer f.Close()
	rows, err := sheet.Read(*file, f)
	if err != nil {
		return err
	}
	recs, err := sheet.Parse(kind, rows)
	if err != nil {
		return err
	}
	_, n, err := opengov.CheckSet(recs)
	if err != nil {
		return err
	}
	if *dryRun {
		fmt.Fprintf(e.stdout, "%s: %d %s records, all valid (dry run: nothing published)\n", *file, n, kind)
		return nil
	}
	ddb, res, err := sf.provision(ctx)
	if err != nil {
		return err
	}
	sets, err := dataSets(ddb, res)
	if err != nil {
		return err
	}
	version, err := demo.Publish(ctx, sets, recs)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %d %s records published as version %s (readers switch within a minute)\n", *file, n, kind, version)
	return nil
}
