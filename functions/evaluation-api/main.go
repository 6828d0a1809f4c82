// Command evaluation-api is the kiosk rating endpoint (POST /v1/evaluations).
package main

import (
	"context"
	"time"

	"banban/shared/awsclient"
	"banban/shared/handler/evaluationapi"
	"banban/shared/lambdamain"
)

func main() {
	lambdamain.Start(func(_ context.Context, env lambdamain.Env[evaluationapi.Config]) (any, error) {
		h := evaluationapi.New(env.Config, awsclient.DynamoDB(env.AWS), awsclient.SQS(env.AWS), time.Now)
		return h.Routes(env.Log).Invoke, nil
	})
}
