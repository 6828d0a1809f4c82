// Command helper-api manages helpers' routing profiles and their own status.
package main

import (
	"context"

	"banban/shared/awsclient"
	"banban/shared/handler/helperapi"
	"banban/shared/lambdamain"
)

func main() {
	lambdamain.Start(func(_ context.Context, env lambdamain.Env[helperapi.Config]) (any, error) {
		return helperapi.New(env.Config, awsclient.DynamoDB(env.AWS)).Routes(env.Log).Invoke, nil
	})
}
