// Command evaluation-ingest consumes the ratings queue and counts each rating exactly once.
package main

import (
	"context"
	"time"

	"banban/shared/awsclient"
	"banban/shared/dynamo"
	"banban/shared/handler/evaluationingest"
	"banban/shared/lambdamain"
)

func main() {
	lambdamain.Start(func(_ context.Context, env lambdamain.Env[evaluationingest.Config]) (any, error) {
		h := &evaluationingest.Handler{
			Ratings: &dynamo.Ratings{DB: awsclient.DynamoDB(env.AWS), Table: env.Config.RatingsTable, Now: time.Now},
			Log:     env.Log,
		}
		return h.Handle, nil
	})
}
