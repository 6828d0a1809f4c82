// Package lambdamain is the common wiring of every function's main: read the config, build the
// logger and the AWS configuration once per cold start, build the handler, then lambda.Start.
package lambdamain

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"

	"banban/shared/awsclient"
	"banban/shared/config"
	"banban/shared/logging"
)

// Env is what a function's build step gets.
type Env[C any] struct {
	Config C
	AWS    aws.Config
	Log    *slog.Logger
}

type base struct {
	LogLevel string `env:"LOG_LEVEL" envDefault:"INFO"`
	Function string `env:"AWS_LAMBDA_FUNCTION_NAME"`
}

// Start builds the handler and serves it. A build failure is logged and ends the process, which
// Lambda reports as an init error; it never happens inside an invocation.
func Start[C any](build func(ctx context.Context, env Env[C]) (any, error)) {
	ctx := context.Background()
	b, err := config.Load[base]()
	log := logging.New(os.Stdout, b.LogLevel).With("function", b.Function)
	if err == nil {
		var h any
		if h, err = buildHandler(ctx, log, build); err == nil {
			lambda.Start(h)
			return
		}
	}
	log.Error("cold start failed", "error", err.Error())
	os.Exit(1)
}

func buildHandler[C any](ctx context.Context, log *slog.Logger, build func(context.Context, Env[C]) (any, error)) (any, error) {
	cfg, err := config.Load[C]()
	if err != nil {
		return nil, err
	}
	awsCfg, err := awsclient.Load(ctx)
	if err != nil {
		return nil, err
	}
	return build(ctx, Env[C]{Config: cfg, AWS: awsCfg, Log: log})
}
