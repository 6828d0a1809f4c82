// Command evaluation-api is the kiosk rating endpoint (POST /v1/evaluations).
package main

import (
	"context"
	"time"

	"banban/shared/awsclient"
	"banban/shared/dynamo"
	"banban/shared/handler/evaluationapi"
	"banban/shared/kiosk"
	"banban/shared/lambdamain"
	"banban/shared/queue"
	"banban/shared/rating"
)

func main() {
	lambdamain.Start(func(_ context.Context, env lambdamain.Env[evaluationapi.Config]) (any, error) {
		db := awsclient.DynamoDB(env.AWS)
		h := &evaluationapi.Handler{
			Kiosks: &kiosk.Authenticator{
				Kiosks: &kiosk.CachedRegistry{Next: &dynamo.Kiosks{DB: db, Table: env.Config.KiosksTable}, TTL: time.Minute, Now: time.Now},
				Nonces: &dynamo.Nonces{DB: db, Table: env.Config.NoncesTable, Now: time.Now},
				Now:    time.Now,
				Skew:   evaluationapi.ClockSkew,
			},
			Queue:  &queue.Sender{SQS: awsclient.SQS(env.AWS), URL: env.Config.RatingsQueueURL},
			Policy: rating.Policy{Window: time.Duration(env.Config.RatingWindowDays) * 24 * time.Hour, ClockSkew: evaluationapi.ClockSkew},
			Now:    time.Now,
		}
		return h.Routes(env.Log).Invoke, nil
	})
}
