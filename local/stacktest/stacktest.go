// Package stacktest provisions the real template.yaml for a test: every table and queue, under a
// stage name of its own, on the DynamoDB Local and SQS servers that `make test` started. Tests
// that touch storage or queues use it, so they run against the very tables the template declares.
package stacktest

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"banban/local/stack"
	"banban/local/template"
	"banban/local/testenv"
)

// Env is a provisioned template and the clients that reach it.
type Env struct {
	*stack.Resources
	Template *template.Template
	Params   map[string]string
}

// Provision creates the template's tables and queues with a unique stage, so tests running in
// parallel never share data.
func Provision(t testing.TB) *Env {
	t.Helper()
	tmpl, err := template.Load(filepath.Join(testenv.RepoRoot(t), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	stage := testenv.UniqueName("t")
	params, err := tmpl.ParameterValues(map[string]string{"Stage": stage, "JwtIssuer": "http://127.0.0.1/test"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := stack.Provision(context.Background(), stack.ProvisionConfig{
		Template: tmpl, Params: params, Region: testenv.Region, AccountID: testenv.AccountID,
		DynamoDB: testenv.DynamoDB(t), SQS: testenv.SQS(t), KeysDir: t.TempDir(),
	})
	if err != nil {
		t.Fatalf("provision template: %v", err)
	}
	return &Env{Resources: res, Template: tmpl, Params: params}
}

// Table returns the physical name of a table by logical id.
func (e *Env) Table(t testing.TB, logicalID string) string {
	t.Helper()
	name, ok := e.Tables[logicalID]
	if !ok {
		t.Fatalf("template has no table %s", logicalID)
	}
	return name
}

// QueueURL returns the URL of a queue by logical id.
func (e *Env) QueueURL(t testing.TB, logicalID string) string {
	t.Helper()
	q, ok := e.Queues[logicalID]
	if !ok || !strings.HasPrefix(q.URL, "http") {
		t.Fatalf("template has no queue %s", logicalID)
	}
	return q.URL
}
