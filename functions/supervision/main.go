// Command supervision watches cases: acceptance timeouts, overdue escalation (督办) and the
// follow-up of ratings of closed cases.
package main

import (
	"context"
	"time"

	"banban/shared/awsclient"
	"banban/shared/handler/supervision"
	"banban/shared/keys"
	"banban/shared/lambdamain"
)

func main() {
	lambdamain.Start(func(ctx context.Context, env lambdamain.Env[supervision.Config]) (any, error) {
		rks, err := keys.DataKeys(env.Config.RatingKey, env.AWS)
		if err != nil {
			return nil, err
		}
		h, err := supervision.New(ctx, env.Config, awsclient.DynamoDB(env.AWS), awsclient.SQS(env.AWS), rks, time.Now, env.Log)
		if err != nil {
			return nil, err
		}
		return h.Handle, nil
	})
}
