// Command evaluation-api is the rating endpoint of kiosks (POST /v1/evaluations) and of the QR
// codes of halls without kiosks (POST /v1/qr/evaluations).
package main

import (
	"context"
	"time"

	"banban/shared/awsclient"
	"banban/shared/handler/evaluationapi"
	"banban/shared/keys"
	"banban/shared/lambdamain"
)

func main() {
	lambdamain.Start(func(ctx context.Context, env lambdamain.Env[evaluationapi.Config]) (any, error) {
		ks, err := keys.DataKeys(env.Config.PIIKey, env.AWS)
		if err != nil {
			return nil, err
		}
		h, err := evaluationapi.New(env.Config, awsclient.DynamoDB(env.AWS), awsclient.SQS(env.AWS), ks, time.Now)
		if err != nil {
			return nil, err
		}
		return h.Routes(env.Log).Invoke, nil
	})
}
