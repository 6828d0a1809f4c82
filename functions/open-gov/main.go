// Command open-gov serves the public service guides (办事指南) and the city service map.
package main

import (
	"context"
	"time"

	"banban/shared/awsclient"
	"banban/shared/handler/opengovapi"
	"banban/shared/lambdamain"
)

func main() {
	lambdamain.Start(func(ctx context.Context, env lambdamain.Env[opengovapi.Config]) (any, error) {
		h := opengovapi.New(env.Config, awsclient.DynamoDB(env.AWS), time.Now, env.Log)
		h.Preload(ctx, env.Log)
		return h.Routes(env.Log).Invoke, nil
	})
}
