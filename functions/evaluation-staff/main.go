// Command evaluation-staff serves staff reads of rating figures.
package main

import (
	"context"
	"time"

	"banban/shared/awsclient"
	"banban/shared/dynamo"
	"banban/shared/handler/evaluationstaff"
	"banban/shared/lambdamain"
)

func main() {
	lambdamain.Start(func(_ context.Context, env lambdamain.Env[evaluationstaff.Config]) (any, error) {
		db := awsclient.DynamoDB(env.AWS)
		h := &evaluationstaff.Handler{
			Windows:  &dynamo.Directory{DB: db, Table: env.Config.DirectoryTable},
			Counters: &dynamo.Ratings{DB: db, Table: env.Config.RatingsTable, Now: time.Now},
			Now:      time.Now,
		}
		return h.Routes(env.Log).Invoke, nil
	})
}
