// Command evaluation-staff serves staff reads of rating figures.
package main

import (
	"context"
	"time"

	"banban/shared/awsclient"
	"banban/shared/handler/evaluationstaff"
	"banban/shared/lambdamain"
)

func main() {
	lambdamain.Start(func(_ context.Context, env lambdamain.Env[evaluationstaff.Config]) (any, error) {
		h, err := evaluationstaff.New(env.Config, awsclient.DynamoDB(env.AWS), time.Now)
		if err != nil {
			return nil, err
		}
		return h.Routes(env.Log).Invoke, nil
	})
}
