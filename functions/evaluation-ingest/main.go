// Command evaluation-ingest consumes the ratings queue and counts each rating exactly once.
package main

import (
	"context"
	"time"

	"banban/shared/awsclient"
	"banban/shared/handler/evaluationingest"
	"banban/shared/lambdamain"
)

func main() {
	lambdamain.Start(func(_ context.Context, env lambdamain.Env[evaluationingest.Config]) (any, error) {
		h, err := evaluationingest.New(env.Config, awsclient.DynamoDB(env.AWS), env.Log, time.Now)
		if err != nil {
			return nil, err
		}
		return h.Handle, nil
	})
}
