package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"banban/local/stack"
	"banban/local/template"
	"banban/shared/awsclient"
	"banban/shared/backfill"
	"banban/shared/keys"
)

// runMigrate runs the backfills (shared/backfill) on a stack's tables: every step, or those
// named. Each step is rerun-safe, so the command may be run again after a failure or on a stack
// already migrated. With -aws it works on the deployed stack of -stage through the standard AWS
// configuration (credentials of an operator allowed to scan and write the tables and to use the
// PiiKey), the tables named as CloudFormation names them and the master key given by -pii-key.
func runMigrate(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	sf := addStackFlags(fs, e)
	list := fs.Bool("list", false, "list the steps and exit")
	onAWS := fs.Bool("aws", false, "work on the deployed stack of -stage on AWS instead of the local servers")
	piiKey := fs.String("pii-key", "", "with -aws: the ARN of the stack's PiiKey")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *list {
		for _, s := range backfill.Steps {
			fmt.Fprintf(e.stdout, "%-24s %s\n", s.Name, s.Doc)
		}
		return nil
	}
	var env backfill.Env
	if *onAWS {
		if *piiKey == "" {
			return errors.New("-aws needs -pii-key")
		}
		tpl, params, err := sf.load()
		if err != nil {
			return err
		}
		cfg, err := awsclient.Load(ctx)
		if err != nil {
			return err
		}
		stackName := "banban-" + params["Stage"]
		names, err := stack.TableNames(tpl, template.Resolver{Params: params, Pseudo: template.PseudoParams(cfg.Region, "", stackName)}, stackName)
		if err != nil {
			return err
		}
		master, err := keys.DataKeys(*piiKey, cfg)
		if err != nil {
			return err
		}
		env = backfill.Env{DB: awsclient.DynamoDB(cfg), Tables: names, Keys: master, Now: time.Now}
	} else {
		ddb, res, err := sf.provision(ctx)
		if err != nil {
			return err
		}
		ref, err := res.Resolver.Resolve(template.Value{Kind: template.Ref, Name: "PiiKey"})
		if err != nil {
			return fmt.Errorf("PiiKey: %w", err)
		}
		master, err := keys.DataKeys(ref, aws.Config{})
		if err != nil {
			return err
		}
		env = backfill.Env{DB: ddb, Tables: res.Tables, Keys: master, Now: time.Now}
	}
	return backfill.Run(ctx, env, fs.Args(), func(s backfill.Step, r backfill.Result) {
		fmt.Fprintf(e.stdout, "%-24s scanned %d, changed %d\n", s.Name, r.Scanned, r.Changed)
	})
}

// stepNames lists the backfill steps, for the help text.
func stepNames() string {
	names := make([]string, len(backfill.Steps))
	for i, s := range backfill.Steps {
		names[i] = s.Name
	}
	return strings.Join(names, " ")
}
