// Command rectification-watch watches rectification tickets: notices to units and the city, and
// overdue marking.
package main

import (
	"context"
	"time"

	"banban/shared/awsclient"
	"banban/shared/handler/rectificationwatch"
	"banban/shared/lambdamain"
)

func main() {
	lambdamain.Start(func(_ context.Context, env lambdamain.Env[rectificationwatch.Config]) (any, error) {
		return rectificationwatch.New(env.Config, awsclient.DynamoDB(env.AWS), awsclient.SQS(env.AWS), time.Now, env.Log).Handle, nil
	})
}
