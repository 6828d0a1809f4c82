// Command session-api signs mini-program users and staff in and publishes the token keys.
package main

import (
	"context"
	"time"

	"banban/shared/awsclient"
	"banban/shared/handler/sessionapi"
	"banban/shared/keys"
	"banban/shared/lambdamain"
	"banban/shared/secret"
)

func main() {
	lambdamain.Start(func(ctx context.Context, env lambdamain.Env[sessionapi.Config]) (any, error) {
		signer, err := keys.Signer(ctx, env.Config.TokenSigningKey, env.AWS)
		if err != nil {
			return nil, err
		}
		dataKeys, err := keys.DataKeys(env.Config.PIIKey, env.AWS)
		if err != nil {
			return nil, err
		}
		appSecret, err := secret.Resolve(ctx, env.Config.WeChatSecret, env.AWS)
		if err != nil {
			return nil, err
		}
		h, err := sessionapi.New(ctx, env.Config, awsclient.DynamoDB(env.AWS), signer, dataKeys, appSecret, time.Now)
		if err != nil {
			return nil, err
		}
		return h.Routes(env.Log).Invoke, nil
	})
}
