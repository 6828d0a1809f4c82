// Command supervision watches open cases: acceptance timeouts and overdue escalation (督办).
package main

import (
	"context"
	"time"

	"banban/shared/awsclient"
	"banban/shared/handler/supervision"
	"banban/shared/lambdamain"
)

func main() {
	lambdamain.Start(func(_ context.Context, env lambdamain.Env[supervision.Config]) (any, error) {
		return supervision.New(env.Config, awsclient.DynamoDB(env.AWS), awsclient.SQS(env.AWS), time.Now, env.Log).Handle, nil
	})
}
