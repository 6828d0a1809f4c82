// Command report-api serves the monthly assessment reports and the city's re-run of a month.
package main

import (
	"context"
	"time"

	"banban/shared/assessment"
	"banban/shared/awsclient"
	"banban/shared/dynamo"
	"banban/shared/handler/reportapi"
	"banban/shared/lambdamain"
)

func main() {
	lambdamain.Start(func(_ context.Context, env lambdamain.Env[assessment.Config]) (any, error) {
		db := awsclient.DynamoDB(env.AWS)
		a, err := assessment.New(env.Config, db, awsclient.SQS(env.AWS), time.Now, env.Log)
		if err != nil {
			return nil, err
		}
		h := &reportapi.Handler{Reports: &dynamo.Reports{DB: db, Table: env.Config.ReportsTable}, Assessor: a, Now: time.Now}
		return h.Routes(env.Log).Invoke, nil
	})
}
