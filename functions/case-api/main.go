// Command case-api serves the case routes of assisted handling (帮办代办).
package main

import (
	"context"
	"time"

	"banban/shared/awsclient"
	"banban/shared/handler/caseapi"
	"banban/shared/keys"
	"banban/shared/lambdamain"
)

func main() {
	lambdamain.Start(func(ctx context.Context, env lambdamain.Env[caseapi.Config]) (any, error) {
		ks, err := keys.DataKeys(env.Config.PIIKey, env.AWS)
		if err != nil {
			return nil, err
		}
		rks, err := keys.DataKeys(env.Config.RatingKey, env.AWS)
		if err != nil {
			return nil, err
		}
		h, err := caseapi.New(ctx, env.Config, awsclient.DynamoDB(env.AWS), awsclient.SQS(env.AWS), ks, rks, time.Now, env.Log)
		if err != nil {
			return nil, err
		}
		return h.Routes(env.Log).Invoke, nil
	})
}
