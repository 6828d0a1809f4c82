package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"banban/local/localaws"
	"banban/local/stack"
	"banban/local/template"
)

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
	return tpl.ParameterValues(over)
}

// coldStarts measures each function's init under the Runtime Interface Emulator against a
// hello-world aws-lambda-go function built the same way: RIE starts the bootstrap on the first
// invocation, so init ≈ first invocation − a warm invocation of the same process.
func coldStarts(ctx context.Context, o options, r *report) error {
	tpl, err := template.Load(filepath.Join(o.root, "template.yaml"))
	if err != nil {
		return err
	}
	ddb, sq, err := localaws.Clients(ctx, o.dynamo, o.sqs)
	if err != nil {
		return err
	}
	stage := fmt.Sprintf("bench-cold-%d", time.Now().Unix())
	params, err := benchParams(tpl, stage, "127.0.0.1:1")
	if err != nil {
		return err
	}
	keys, err := os.MkdirTemp("", "banban-bench-keys-")
	if err != nil {
		return fmt.Errorf("keys dir: %w", err)
	}
	defer logFailure("remove keys", func() error { return os.RemoveAll(keys) })
	res, err := stack.Provision(ctx, stack.ProvisionConfig{Template: tpl, Params: params, Region: localaws.Region,
		AccountID: localaws.AccountID, DynamoDB: ddb, SQS: sq, KeysDir: keys})
	if err != nil {
		return err
	}
	hello := filepath.Join(o.root, ".local", "build", "hello", "bootstrap")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-tags", "lambda.norpc", "-ldflags=-s -w", "-o", hello, "./local/bench/hello")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build hello: %w: %s", err, out)
	}
	type subject struct {
		name, bootstrap string
		env             map[string]string
		payload         []byte
	}
	subjects := []subject{{name: "hello (baseline)", bootstrap: hello, payload: []byte(`{}`)}}
	for _, fn := range tpl.Functions {
		env, err := stack.FunctionEnvironment(fn, res.Resolver, stack.LocalFunctionEnv(o.dynamo, o.sqs, localaws.Region))
		if err != nil {
			return err
		}
		payload := []byte(`{"version":"2.0","routeKey":"GET /_bench","rawPath":"/_bench","requestContext":{"http":{"method":"GET","path":"/_bench"}}}`)
		for _, ev := range fn.Events {
			if ev.SQS != nil {
				payload = []byte(`{"Records":[]}`)
			}
			if ev.ScheduleV2 != nil {
				payload = []byte(`{}`)
			}
		}
		subjects = append(subjects, subject{fn.LogicalID, filepath.Join(o.root, ".local", "build", fn.LogicalID, "bootstrap"), env, payload})
	}
	rie := filepath.Join(o.root, ".local", "bin", "aws-lambda-rie")
	inits := make([][]time.Duration, len(subjects))
	for run := 0; run < o.coldRuns; run++ {
		// Round-robin over the functions, so noise spreads over all of them alike.
		for i, s := range subjects {
			d, err := initTime(ctx, rie, s.name, s.bootstrap, s.env, s.payload)
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			inits[i] = append(inits[i], d)
		}
	}
	base := quantile(inits[0], 0.5)
	var b strings.Builder
	fmt.Fprintf(&b, "Each function's `bootstrap` (host build, `-tags lambda.norpc`, `CGO_ENABLED=0`, `-trimpath -ldflags=-s -w`) started %d times in a fresh Runtime Interface Emulator process; init = first invocation − median of 3 warm invocations of the same process, which includes reading config, building the AWS clients and, where a function has one, its cold-start I/O (for example the stored hash key). Baseline: a hello-world aws-lambda-go bootstrap built the same way, measured round-robin in the same run. Goal: ≤ 2× the baseline.\n\n", o.coldRuns)
	b.WriteString("| function | init p50 | init p90 | ratio to hello (p50) | goal ≤ 2× |\n|---|---|---|---|---|\n")
	for i, s := range subjects {
		ratio := float64(quantile(inits[i], 0.5)) / float64(base)
		goal := met(ratio <= 2)
		if i == 0 {
			goal = "baseline"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %.2f× | %s |\n", s.name, ms(quantile(inits[i], 0.5)), ms(quantile(inits[i], 0.9)), ratio, goal)
	}
	r.add("Cold start", b.String())
	return nil
}

func initTime(ctx context.Context, rie, name, bootstrap string, env map[string]string, payload []byte) (time.Duration, error) {
	runner, err := stack.StartRunner(ctx, stack.RunnerConfig{Name: name, RIE: rie, Bootstrap: bootstrap, Env: env,
		Timeout: 30 * time.Second, MemoryMB: 256, Concurrency: 1})
	if err != nil {
		return 0, err
	}
	defer logFailure("stop runner", runner.Close)
	start := time.Now()
	if _, err := runner.Invoke(ctx, payload); err != nil {
		return 0, fmt.Errorf("first invoke: %w", err)
	}
	first := time.Since(start)
	var warm []time.Duration
	for range 3 {
		start := time.Now()
		if _, err := runner.Invoke(ctx, payload); err != nil {
			return 0, fmt.Errorf("warm invoke: %w", err)
		}
		warm = append(warm, time.Since(start))
	}
	return max(first-quantile(warm, 0.5), 0), nil
}
