// Command catalog-api serves the public matter catalogue.
package main

import (
	"context"
	"time"

	"banban/shared/awsclient"
	"banban/shared/handler/catalogapi"
	"banban/shared/lambdamain"
)

func main() {
	lambdamain.Start(func(_ context.Context, env lambdamain.Env[catalogapi.Config]) (any, error) {
		return catalogapi.New(env.Config, awsclient.DynamoDB(env.AWS), time.Now).Routes(env.Log).Invoke, nil
	})
}
