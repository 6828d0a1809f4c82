// Command faq-search serves the public Q&A search (高频问题智能检索) and the most asked questions.
package main

import (
	"context"
	"time"

	"banban/shared/awsclient"
	"banban/shared/handler/faqsearch"
	"banban/shared/lambdamain"
)

func main() {
	lambdamain.Start(func(ctx context.Context, env lambdamain.Env[faqsearch.Config]) (any, error) {
		h := faqsearch.New(env.Config, awsclient.DynamoDB(env.AWS), time.Now, env.Log)
		h.Preload(ctx)
		return h.Routes(env.Log).Invoke, nil
	})
}
