package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"banban/local/stack"
)

func runUp(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	sf := addStackFlags(fs, e)
	concurrency := fs.Int("concurrency", 2, "RIE processes per function (one invocation each at a time)")
	pollers := fs.Int("pollers", 1, "poll loops per SQS event source")
	buildDir := fs.String("build-dir", filepath.Join(e.root, ".local", "build"), "host builds, <dir>/<LogicalId>/bootstrap (make build-local)")
	rie := fs.String("rie", filepath.Join(e.root, ".local", "bin", "aws-lambda-rie"), "aws-lambda-rie binary (local/fetch.sh)")
	noPollers := fs.Bool("no-pollers", false, "leave SQS event sources off")
	withDemo := fs.Bool("demo", false, "load the demo directory and register a kiosk per window")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tpl, params, err := sf.load()
	if err != nil {
		return err
	}
	auth, err := sf.authority(tpl, params)
	if err != nil {
		return err
	}
	ddb, sq, err := stack.Clients(ctx, sf.dynamodb, sf.sqs)
	if err != nil {
		return err
	}
	started := time.Now()
	st, err := stack.Start(ctx, stack.Config{
		Template: tpl, Params: params, DynamoDB: ddb, SQS: sq, RIE: *rie, BuildDir: *buildDir, KeysDir: sf.keysDir(),
		FunctionEnv: stack.LocalFunctionEnv(sf.dynamodb, sf.sqs, stack.LocalRegion),
		Concurrency: *concurrency, PollersPerQueue: *pollers, Authority: auth, Output: e.stderr,
		NoPollers: *noPollers,
	})
	if err != nil {
		return err
	}
	if *withDemo {
		if err := loadDemo(ctx, e, ddb, st.Resources); err != nil {
			return errors.Join(err, st.Close())
		}
	}
	addr, err := st.Serve(sf.gateway)
	if err != nil {
		return errors.Join(err, st.Close())
	}
	url := "http://" + addr.String()
	fmt.Fprintf(e.stdout, "banban local stack up in %v (stage %s)\n%s", time.Since(started).Round(time.Millisecond), params["Stage"], st.Describe(url))
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(e.stdout, "parameter    %s=%s\n", k, params[k])
	}
	fmt.Fprintf(e.stdout, "token        go run ./local/cmd/banban-local jwt -staff unit-admin-scjg   (issuer %s)\n", auth.Issuer)
	fmt.Fprintf(e.stdout, "rate         go run ./local/cmd/banban-local rate -window zb-a01 -level 5\nCtrl-C to stop.\n")
	<-ctx.Done()
	fmt.Fprintln(e.stdout, "stopping…")
	return st.Close()
}

func runProvision(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("provision", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	sf := addStackFlags(fs, e)
	if err := fs.Parse(args); err != nil {
		return err
	}
	tpl, _, err := sf.load()
	if err != nil {
		return err
	}
	_, res, err := sf.provision(ctx)
	if err != nil {
		return err
	}
	for _, t := range tpl.Tables {
		fmt.Fprintf(e.stdout, "table %-20s %s\n", t.LogicalID, res.Tables[t.LogicalID])
	}
	for _, q := range tpl.Queues {
		fmt.Fprintf(e.stdout, "queue %-20s %s\n", q.LogicalID, res.Queues[q.LogicalID].URL)
	}
	return nil
}

// provision creates the template's tables and queues (idempotent) and returns their names.
func (f *stackFlags) provision(ctx context.Context) (*dynamodb.Client, *stack.Resources, error) {
	tpl, params, err := f.load()
	if err != nil {
		return nil, nil, err
	}
	ddb, sq, err := stack.Clients(ctx, f.dynamodb, f.sqs)
	if err != nil {
		return nil, nil, err
	}
	res, err := stack.Provision(ctx, stack.ProvisionConfig{Template: tpl, Params: params, Region: stack.LocalRegion,
		AccountID: stack.LocalAccountID, DynamoDB: ddb, SQS: sq, KeysDir: f.keysDir()})
	if err != nil {
		return nil, nil, err
	}
	return ddb, res, nil
}
