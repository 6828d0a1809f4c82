package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
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

// system is banban running on a benchmark stage, its functions talking to DynamoDB through the
// counting proxy.
type system struct {
	stack   *stack.Stack
	base    string
	auth    *devauth.Authority
	proxy   *ddbproxy.Proxy
	ddb     *dynamodb.Client
	sqs     *sqs.Client
	kiosks  []kiosk.Kiosk
	ratings *dynamo.Ratings
	tpl     *template.Template
	keys    string
}

func startSystem(ctx context.Context, o options, name string) (*system, error) {
	tpl, err := template.Load(filepath.Join(o.root, "template.yaml"))
	if err != nil {
		return nil, err
	}
	ddb, sq, err := localaws.Clients(ctx, o.dynamo, o.sqs)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("gateway port: %w", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		return nil, fmt.Errorf("gateway port: %w", err)
	}
	stage := fmt.Sprintf("bench-%s-%d", name, time.Now().Unix())
	params, err := benchParams(tpl, stage, addr)
	if err != nil {
		return nil, err
	}
	keys, err := os.MkdirTemp("", "banban-bench-keys-")
	if err != nil {
		return nil, fmt.Errorf("keys dir: %w", err)
	}
	auth, err := stack.Authority(tpl, keys, "banban-"+stage, params["JwtIssuer"], params["JwtAudience"])
	if err != nil {
		return nil, err
	}
	proxy, err := ddbproxy.Start(o.dynamo)
	if err != nil {
		return nil, err
	}
	st, err := stack.Start(ctx, stack.Config{
		Template: tpl, Params: params, DynamoDB: ddb, SQS: sq, KeysDir: keys,
		RIE:         filepath.Join(o.root, ".local", "bin", "aws-lambda-rie"),
		BuildDir:    filepath.Join(o.root, ".local", "build"),
		FunctionEnv: stack.LocalFunctionEnv(proxy.URL(), o.sqs, localaws.Region),
		Concurrency: o.concurrency, Authority: auth, NoPollers: true, Output: io.Discard,
	})
	if err != nil {
		return nil, err
	}
	if _, err := st.Serve(addr); err != nil {
		return nil, err
	}
	s := &system{stack: st, base: "http://" + addr, auth: auth, proxy: proxy, ddb: ddb, sqs: sq, tpl: tpl, keys: keys,
		ratings: &dynamo.Ratings{DB: ddb, Table: st.Resources.Tables["RatingsTable"], Now: time.Now}}
	dir := &dynamo.Directory{DB: ddb, Table: st.Resources.Tables["DirectoryTable"]}
	d, err := demo.ReadDirectory(o.root)
	if err != nil {
		return nil, err
	}
	if err := dir.Load(ctx, d); err != nil {
		return nil, err
	}
	if err := demo.LoadCalendars(ctx, o.root, dir); err != nil {
		return nil, err
	}
	if _, err := demo.LoadCatalog(ctx, o.root, dynamo.NewCatalog(ddb, st.Resources.Tables["CatalogTable"], time.Now)); err != nil {
		return nil, err
	}
	kiosks := &dynamo.Kiosks{DB: ddb, Table: st.Resources.Tables["KiosksTable"]}
	for _, w := range d.Windows {
		k, err := demo.Register(ctx, kiosks, demo.KioskID(w.ID), w)
		if err != nil {
			return nil, err
		}
		s.kiosks = append(s.kiosks, k)
	}
	return s, nil
}

// startPollers feeds the SQS event sources of the template to their functions, as the stack does
// when started with pollers (the benchmark starts them when it wants the clock to run).
func (s *system) startPollers(pollers int) []*stack.Poller {
	var out []*stack.Poller
	for _, fn := range s.tpl.Functions {
		for _, ev := range fn.Events {
			if ev.SQS == nil {
				continue
			}
			q := s.stack.Resources.Queues[ev.SQS.Queue]
			name := fn.LogicalID
			out = append(out, stack.StartPoller(stack.PollerConfig{
				Function: name, Event: ev.Name, SQS: s.sqs, QueueURL: q.URL, QueueARN: q.ARN, Region: localaws.Region,
				Invoke:    func(ctx context.Context, p []byte) ([]byte, error) { return s.stack.Invoke(ctx, name, p) },
				BatchSize: ev.SQS.BatchSize, BatchWindow: time.Duration(ev.SQS.MaximumBatchingWindowInSeconds) * time.Second,
				ReportBatchItemFailures: ev.SQS.ReportsBatchItemFailures(),
				Wait:                    time.Second, Pollers: pollers,
			}))
		}
	}
	return out
}

func (s *system) close() {
	logFailure("stop stack", s.stack.Close)
	logFailure("stop proxy", s.proxy.Close)
	logFailure("remove keys", func() error { return os.RemoveAll(s.keys) })
}
