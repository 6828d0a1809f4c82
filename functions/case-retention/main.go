// Command case-retention purges the personal data of closed cases after the retention period.
package main

import (
	"context"
	"time"

	"banban/shared/awsclient"
	"banban/shared/handler/caseretention"
	"banban/shared/keys"
	"banban/shared/lambdamain"
)

func main() {
	lambdamain.Start(func(_ context.Context, env lambdamain.Env[caseretention.Config]) (any, error) {
		ks, err := keys.DataKeys(env.Config.PIIKey, env.AWS)
		if err != nil {
			return nil, err
		}
		return caseretention.New(env.Config, awsclient.DynamoDB(env.AWS), ks, time.Now, env.Log).Handle, nil
	})
}
