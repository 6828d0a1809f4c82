// Command agent-routing gives waiting cases to helpers and gives back capacity.
package main

import (
	"context"
	"time"

	"banban/shared/awsclient"
	"banban/shared/handler/agentrouting"
	"banban/shared/lambdamain"
)

func main() {
	lambdamain.Start(func(_ context.Context, env lambdamain.Env[agentrouting.Config]) (any, error) {
		return agentrouting.New(env.Config, awsclient.DynamoDB(env.AWS), awsclient.SQS(env.AWS), time.Now, env.Log).Handle, nil
	})
}
