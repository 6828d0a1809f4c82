package template_test

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"banban/local/template"
)

func loadReal(t *testing.T) *template.Template {
	t.Helper()
	tpl, err := template.Load(filepath.Join("..", "..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func TestRealTemplate(t *testing.T) {
	tpl := loadReal(t)

	params, err := tpl.ParameterValues(map[string]string{"Stage": "local", "JwtIssuer": "http://127.0.0.1:3000/local"})
	if err != nil {
		t.Fatal(err)
	}
	if params["JwtAudience"] != "banban" || params["RatingWindowDays"] != "7" || params["LogLevel"] != "INFO" {
		t.Errorf("parameter defaults: %v", params)
	}
	if _, err := tpl.ParameterValues(nil); err == nil || !strings.Contains(err.Error(), "JwtIssuer") {
		t.Errorf("missing JwtIssuer not reported: %v", err)
	}
	if _, err := tpl.ParameterValues(map[string]string{"JwtIssuer": "x", "Stage": "Bad_Stage"}); err == nil {
		t.Error("AllowedPattern not checked")
	}

	r := template.Resolver{Params: params, Pseudo: template.PseudoParams("us-east-1", "000000000000", "banban")}
	ratings, ok := tpl.Table("RatingsTable")
	if !ok {
		t.Fatal("RatingsTable missing")
	}
	if name, err := r.Resolve(ratings.TableName); err != nil || name != "banban-local-ratings" {
		t.Errorf("RatingsTable name = %q, %v", name, err)
	}
	dir, _ := tpl.Table("DirectoryTable")
	if len(dir.GlobalSecondaryIndexes) != 2 || dir.GlobalSecondaryIndexes[1].IndexName != "gsi2" ||
		dir.GlobalSecondaryIndexes[0].Projection.ProjectionType != "ALL" || len(dir.AttributeDefinitions) != 6 {
		t.Errorf("DirectoryTable GSIs: %+v", dir)
	}
	nonces, _ := tpl.Table("NoncesTable")
	if nonces.TTLAttribute != "expiresAt" {
		t.Errorf("NoncesTable TTL = %q", nonces.TTLAttribute)
	}

	q, ok := tpl.Queue("RatingsQueue")
	if !ok || q.Redrive == nil || q.Redrive.DeadLetterQueue != "RatingsDLQ" || q.Redrive.MaxReceiveCount != 5 ||
		q.VisibilityTimeout == nil || *q.VisibilityTimeout != 60 {
		t.Errorf("RatingsQueue: %+v %+v", q, q.Redrive)
	}

	api, ok := tpl.HttpApi("HttpApi")
	if !ok || api.DefaultAuthorizer != "BanbanJwt" {
		t.Fatalf("HttpApi: %+v", api)
	}
	jwt := api.Authorizers["BanbanJwt"]
	if iss, _ := r.Resolve(jwt.Issuer); iss != "http://127.0.0.1:3000/local" {
		t.Errorf("issuer = %q", iss)
	}
	if len(jwt.Audience) != 1 {
		t.Errorf("audience = %v", jwt.Audience)
	}

	fn, ok := tpl.Function("EvaluationApiFunction")
	if !ok {
		t.Fatal("EvaluationApiFunction missing")
	}
	if fn.Timeout != 10 || fn.MemorySize != 256 || fn.BuildMethod != "makefile" || fn.Handler != "bootstrap" {
		t.Errorf("globals not merged: %+v", fn)
	}
	if fn.Environment["STAGE"].Kind != template.Ref || fn.Environment["KIOSKS_TABLE"].Name != "KiosksTable" {
		t.Errorf("environment: %v", fn.Environment)
	}
	if fn.Policies == nil {
		t.Error("policies missing")
	}
	if len(fn.Events) != 6 || fn.Events[0].HttpApi == nil || !fn.Events[0].HttpApi.Public() ||
		fn.Events[0].HttpApi.RouteKey() != "POST /v1/evaluations" || fn.Events[0].HttpApi.ApiID != "HttpApi" {
		t.Errorf("events: %+v", fn.Events)
	}
	// The QR rating route is public; the routes of the codes take a staff token.
	if qr, code := fn.Events[3].HttpApi, fn.Events[4].HttpApi; qr == nil || !qr.Public() || qr.RouteKey() != "POST /v1/qr/evaluations" ||
		code == nil || code.Public() || code.RouteKey() != "GET /v1/windows/{windowId}/qr-code" {
		t.Errorf("QR routes: %+v %+v", qr, code)
	}
	ingest, _ := tpl.Function("EvaluationIngestFunction")
	sqsEv := ingest.Events[0].SQS
	if sqsEv == nil || sqsEv.Queue != "RatingsQueue" || sqsEv.BatchSize != 10 || sqsEv.MaximumBatchingWindowInSeconds != 1 ||
		!sqsEv.ReportsBatchItemFailures() || sqsEv.MaximumConcurrency != 20 || !sqsEv.Enabled {
		t.Errorf("SQS event: %+v", sqsEv)
	}
	staff, _ := tpl.Function("EvaluationStaffFunction")
	if h := staff.Events[0].HttpApi; h == nil || h.Public() || h.Path != "/v1/windows/{windowId}/stats" {
		t.Errorf("staff route: %+v", h)
	}
	if got := tpl.Outputs["ApiUrl"]; got.Kind != template.Sub {
		t.Errorf("ApiUrl output: %v", got)
	}
}

func TestFixture(t *testing.T) {
	tpl, err := template.Load("testdata/fixture.yaml")
	if err != nil {
		t.Fatal(err)
	}
	params, err := tpl.ParameterValues(map[string]string{"Issuer": "iss"})
	if err != nil {
		t.Fatal(err)
	}
	r := template.Resolver{
		Params: params,
		Pseudo: template.PseudoParams("eu-west-1", "123456789012", "s"),
		Refs:   map[string]string{"Jobs": "https://q/jobs-test"},
		Attrs: map[string]string{"Jobs.QueueName": "jobs-test", "Things.Arn": "arn:things",
			"JobsDLQ.Arn": "arn:dlq"},
	}
	things, _ := tpl.Table("Things")
	if s, err := r.Resolve(things.TableName); s != "things-test" || err != nil {
		t.Errorf("long-form Sub: %q %v", s, err)
	}
	if things.TTLAttribute != "" {
		t.Errorf("disabled TTL reported: %q", things.TTLAttribute)
	}
	jobs, _ := tpl.Queue("Jobs")
	if s, err := r.Resolve(jobs.QueueName); s != "jobs-test" || err != nil {
		t.Errorf("Join: %q %v", s, err)
	}
	if jobs.Redrive.DeadLetterQueue != "JobsDLQ" || jobs.VisibilityTimeout != nil {
		t.Errorf("redrive: %+v", jobs)
	}
	api, _ := tpl.HttpApi("")
	aud, err := r.ResolveList(template.Value{Kind: template.List, Items: api.Authorizers["Jwt"].Audience})
	if err != nil || !reflect.DeepEqual(aud, []string{"aud-a", "test-aud"}) {
		t.Errorf("audience: %v %v", aud, err)
	}
	if iss, _ := r.Resolve(api.Authorizers["Jwt"].Issuer); iss != "iss" {
		t.Errorf("long-form Ref: %q", iss)
	}

	fn, _ := tpl.Function("HTTPProxyFunction")
	if fn.Timeout != 30 || fn.MemorySize != 512 {
		t.Errorf("function values: %+v", fn)
	}
	if s, _ := r.Resolve(fn.Environment["SHARED"]); s != "overridden" {
		t.Errorf("function env must override globals: %q", s)
	}
	if s, _ := r.Resolve(fn.Environment["STAGE"]); s != "test" {
		t.Errorf("globals env: %q", s)
	}
	if s, err := r.Resolve(fn.Environment["URL"]); s != "https://jobs-test/eu-west-1/${Literal}/arn:things" || err != nil {
		t.Errorf("Sub with variables: %q %v", s, err)
	}
	if _, err := r.Resolve(fn.Environment["CHOICE"]); err == nil || !strings.Contains(err.Error(), "unsupported") {
		t.Errorf("!If should be unsupported: %v", err)
	}
	if len(fn.Events) != 3 {
		t.Fatalf("events: %+v", fn.Events)
	}
	if h := fn.Events[0].HttpApi; h.Method != "ANY" || h.Path != "/{proxy+}" || h.Public() {
		t.Errorf("http: %+v", h)
	}
	s := fn.Events[1].ScheduleV2
	if s == nil || s.ScheduleExpression != "cron(0 2 * * ? *)" || s.ScheduleExpressionTimezone != "Asia/Shanghai" ||
		s.Input != `{"job":"nightly"}` || *s.RetryPolicy.MaximumRetryAttempts != 2 || s.DeadLetterConfig.Queue != "JobsDLQ" {
		t.Errorf("schedule: %+v", s)
	}
	if q := fn.Events[2].SQS; q.Queue != "Jobs" || q.BatchSize != 10 || q.ReportsBatchItemFailures() {
		t.Errorf("sqs defaults: %+v", q)
	}
	refs := fn.Environment["URL"].References()
	if !reflect.DeepEqual(refs, []string{"AWS::Region", "Things", "Jobs"}) {
		t.Errorf("references: %v", refs)
	}
}

func TestResolveErrors(t *testing.T) {
	r := template.Resolver{}
	for _, v := range []template.Value{
		{Kind: template.Ref, Name: "Nope"},
		{Kind: template.GetAtt, Name: "A", Attr: "Arn"},
		{Kind: template.Sub, Literal: "x-${Missing}"},
		{},
	} {
		if _, err := r.Resolve(v); err == nil {
			t.Errorf("%v: no error", v)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for name, src := range map[string]string{
		"not a map":              "- a",
		"bad getatt":             "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !GetAtt NoDot\n",
		"no key schema":          "Resources:\n  T:\n    Type: AWS::DynamoDB::Table\n    Properties: {TableName: x}\n",
		"bad default authorizer": "Resources:\n  A:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      Auth: {DefaultAuthorizer: X}\n",
	} {
		if _, err := template.Parse([]byte(src)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestFunctionFolder(t *testing.T) {
	for in, want := range map[string]string{
		"EvaluationApiFunction":    "evaluation-api",
		"EvaluationIngestFunction": "evaluation-ingest",
		"HTTPProxyFunction":        "http-proxy",
		"MonthlyScore2Function":    "monthly-score2",
		"Kiosk":                    "kiosk",
	} {
		if got := template.FunctionFolder(in); got != want {
			t.Errorf("FunctionFolder(%s) = %s, want %s", in, got, want)
		}
	}
}
