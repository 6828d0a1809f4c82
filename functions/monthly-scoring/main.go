// Command monthly-scoring scores the month just ended (月度考核), on the 1st at 02:00 Asia/Shanghai.
package main

import (
	"context"
	"time"

	"banban/shared/assessment"
	"banban/shared/awsclient"
	"banban/shared/handler/monthlyscoring"
	"banban/shared/lambdamain"
)

func main() {
	lambdamain.Start(func(_ context.Context, env lambdamain.Env[assessment.Config]) (any, error) {
		a, err := assessment.New(env.Config, awsclient.DynamoDB(env.AWS), awsclient.SQS(env.AWS), time.Now, env.Log)
		if err != nil {
			return nil, err
		}
		return (&monthlyscoring.Handler{Assessor: a, Now: time.Now, Log: env.Log}).Handle, nil
	})
}
