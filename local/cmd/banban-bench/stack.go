package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"banban/local/ddbproxy"
	"banban/local/demo"
	"banban/local/devauth"
	"banban/local/localaws"
	"banban/local/stack"
	"banban/local/template"
	"banban/shared/dynamo"
	"banban/shared/kiosk"
)

// system is banban running on a benchmark stage of its own: the whole template, every function's
// real bootstrap under the RIE, the local gateway, the demo directory and a kiosk per demo window.
// The functions reach DynamoDB through a counting proxy. The stack's own SQS pollers are off: a
// benchmark starts them (startIngest) when it wants the clock to run.
type system struct {
	stack   *stack.Stack
	base    string
	auth    *devauth.Authority
	proxy   *ddbproxy.Proxy // in front of DynamoDB for the stack's functions
	ddb     *dynamodb.Client
	sqs     *sqs.Client
	kiosks  []kiosk.Kiosk
	ratings *dynamo.Ratings
	tpl     *template.Template
	keys    string
	o       options
}

func startSystem(ctx context.Context, o options, name string) (*system, error) {
	tpl, err := template.Load(filepath.Join(o.root, "template.yaml"))
	if err != nil {
		return nil, fmt.Errorf("load template: %w", err)
	}
	ddb, sq, err := localaws.Clients(ctx, o.dynamo, o.sqs)
	if err != nil {
		return nil, fmt.Errorf("clients: %w", err)
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	stage := fmt.Sprintf("bench-%s-%d", name, time.Now().UnixNano()%1e9)
	params, err := benchParams(tpl, stage, addr)
	if err != nil {
		return nil, err
	}
	keys, err := os.MkdirTemp("", "banban-bench-keys-")
	if err != nil {
		return nil, fmt.Errorf("keys dir: %w", err)
	}
	s := &system{base: "http://" + addr, ddb: ddb, sqs: sq, tpl: tpl, keys: keys, o: o}
	if err := s.start(ctx, params, addr); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func (s *system) start(ctx context.Context, params map[string]string, addr string) error {
	auth, err := stack.Authority(s.tpl, s.keys, "banban-"+params["Stage"], params["JwtIssuer"], params["JwtAudience"])
	if err != nil {
		return fmt.Errorf("authority: %w", err)
	}
	s.auth = auth
	if s.proxy, err = ddbproxy.Start(s.o.dynamo); err != nil {
		return err
	}
	s.stack, err = stack.Start(ctx, stack.Config{
		Template: s.tpl, Params: params, DynamoDB: s.ddb, SQS: s.sqs, KeysDir: s.keys,
		Region: localaws.Region, AccountID: localaws.AccountID,
		RIE:         filepath.Join(s.o.root, ".local", "bin", "aws-lambda-rie"),
		BuildDir:    filepath.Join(s.o.root, ".local", "build"),
		FunctionEnv: stack.LocalFunctionEnv(s.proxy.URL(), s.o.sqs, localaws.Region),
		Concurrency: s.o.concurrency, Authority: auth, NoPollers: true, Output: s.o.functionLogs,
	})
	if err != nil {
		return fmt.Errorf("start stack: %w", err)
	}
	if _, err := s.stack.Serve(addr); err != nil {
		return fmt.Errorf("serve gateway: %w", err)
	}
	s.ratings = &dynamo.Ratings{DB: s.ddb, Table: s.stack.Resources.Tables["RatingsTable"], Now: time.Now}
	return s.loadDemo(ctx)
}

// loadDemo loads the demo directory, calendars and catalogue and registers a kiosk per window.
func (s *system) loadDemo(ctx context.Context) error {
	dir := &dynamo.Directory{DB: s.ddb, Table: s.stack.Resources.Tables["DirectoryTable"]}
	d, err := demo.ReadDirectory(s.o.root)
	if err != nil {
		return fmt.Errorf("demo directory: %w", err)
	}
	if err := dir.Load(ctx, d); err != nil {
		return fmt.Errorf("load directory: %w", err)
	}
	if err := demo.LoadCalendars(ctx, s.o.root, dir); err != nil {
		return fmt.Errorf("load calendars: %w", err)
	}
	if _, err := demo.LoadCatalog(ctx, s.o.root, dynamo.NewCatalog(s.ddb, s.stack.Resources.Tables["CatalogTable"], time.Now)); err != nil {
		return fmt.Errorf("load catalogue: %w", err)
	}
	kiosks := &dynamo.Kiosks{DB: s.ddb, Table: s.stack.Resources.Tables["KiosksTable"]}
	for _, w := range d.Windows {
		k, err := demo.Register(ctx, kiosks, demo.KioskID(w.ID), w)
		if err != nil {
			return fmt.Errorf("register kiosk of %s: %w", w.ID, err)
		}
		s.kiosks = append(s.kiosks, k)
	}
	return nil
}

func (s *system) close() {
	if s.stack != nil {
		logFailure("stop stack", s.stack.Close)
	}
	if s.proxy != nil {
		logFailure("stop proxy", s.proxy.Close)
	}
	logFailure("remove keys", func() error { return os.RemoveAll(s.keys) })
}

// ingest is evaluation-ingest fed by the SQS event source of the template, in processes of its
// own whose DynamoDB requests go through a proxy of their own: the API path's requests and the
// ingest path's are counted apart even when both run at once.
type ingest struct {
	runner  *stack.Runner
	proxy   *ddbproxy.Proxy
	pollers []*stack.Poller
}

const ingestFunction = "EvaluationIngestFunction"

// startIngest starts o.pollers RIE processes of evaluation-ingest and, as the template's event
// source mapping does, o.pollers poll loops with the template's batch size and batching window.
func (s *system) startIngest(ctx context.Context) (*ingest, error) {
	fn, ok := s.tpl.Function(ingestFunction)
	if !ok {
		return nil, fmt.Errorf("no %s in the template", ingestFunction)
	}
	proxy, err := ddbproxy.Start(s.o.dynamo)
	if err != nil {
		return nil, err
	}
	in := &ingest{proxy: proxy}
	env, err := stack.FunctionEnvironment(fn, s.stack.Resources.Resolver, stack.LocalFunctionEnv(proxy.URL(), s.o.sqs, localaws.Region))
	if err != nil {
		in.close()
		return nil, fmt.Errorf("ingest environment: %w", err)
	}
	in.runner, err = stack.StartRunner(ctx, stack.RunnerConfig{Name: fn.LogicalID,
		RIE: filepath.Join(s.o.root, ".local", "bin", "aws-lambda-rie"), Bootstrap: filepath.Join(s.o.root, ".local", "build", fn.LogicalID, "bootstrap"),
		Env: env, Timeout: time.Duration(fn.Timeout) * time.Second, MemoryMB: fn.MemorySize, Concurrency: s.o.pollers})
	if err != nil {
		in.close()
		return nil, fmt.Errorf("start ingest processes: %w", err)
	}
	return in, nil
}

// poll starts the poll loops.
func (in *ingest) poll(s *system) error {
	fn, _ := s.tpl.Function(ingestFunction)
	for _, ev := range fn.Events {
		if ev.SQS == nil {
			continue
		}
		q, ok := s.stack.Resources.Queues[ev.SQS.Queue]
		if !ok {
			return fmt.Errorf("%s: no queue %s", ingestFunction, ev.SQS.Queue)
		}
		in.pollers = append(in.pollers, stack.StartPoller(stack.PollerConfig{
			Function: fn.LogicalID, Event: ev.Name, SQS: s.sqs, QueueURL: q.URL, QueueARN: q.ARN, Region: localaws.Region,
			Invoke: in.runner.Invoke, BatchSize: ev.SQS.BatchSize, BatchWindow: time.Duration(ev.SQS.MaximumBatchingWindowInSeconds) * time.Second,
			ReportBatchItemFailures: ev.SQS.ReportsBatchItemFailures(), Wait: time.Second, Pollers: s.o.pollers,
		}))
	}
	if len(in.pollers) == 0 {
		return fmt.Errorf("%s has no SQS event", ingestFunction)
	}
	return nil
}

func (in *ingest) close() {
	for _, p := range in.pollers {
		p.Stop()
	}
	if in.runner != nil {
		logFailure("stop ingest processes", in.runner.Close)
	}
	logFailure("stop ingest proxy", in.proxy.Close)
}

// freeAddr picks a free loopback address for the gateway (the issuer and the WeChat stand-in
// live there, so it is chosen before the stack starts), from the stack's own pool of ports so no
// RIE process is handed it too.
func freeAddr() (string, error) {
	port, err := stack.FreePort()
	if err != nil {
		return "", fmt.Errorf("gateway port: %w", err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), nil
}

// benchParams are the parameter values of a benchmark stage: a stage of its own, and the local
// stand-ins an offline stack uses.
func benchParams(tpl *template.Template, stage, gateway string) (map[string]string, error) {
	over := map[string]string{"Stage": stage, "JwtIssuer": "http://" + gateway,
		"WeChatAppSecret": "plain:bench", "WeChatApiBase": "http://" + gateway + "/_local/wechat"}
	for k := range over {
		if _, ok := tpl.Parameter(k); !ok {
			delete(over, k)
		}
	}
	v, err := tpl.ParameterValues(over)
	if err != nil {
		return nil, fmt.Errorf("parameters: %w", err)
	}
	return v, nil
}
