// Command notifier consumes the notifications queue and hands each notice to its delivery adapter.
package main

import (
	"context"

	"banban/shared/handler/notifier"
	"banban/shared/lambdamain"
)

func main() {
	lambdamain.Start(func(_ context.Context, env lambdamain.Env[notifier.Config]) (any, error) {
		h, err := notifier.New(env.Config, env.Log)
		if err != nil {
			return nil, err
		}
		return h.Handle, nil
	})
}
