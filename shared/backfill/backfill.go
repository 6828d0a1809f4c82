// Package backfill brings data written by earlier versions of banban to the current shape, in
// place, on a live stack. Every step is rerun-safe: it changes only items still in the old shape,
// each write conditional on what was read, so running a step twice (or after a crash half-way,
// or while the functions write) changes nothing twice and loses nothing.
//
// Steps scan their table: a backfill runs once per deployment that needs it, never on a request
// path, so the cost of a scan is paid once.
package backfill

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"banban/shared/dynamo"
	"banban/shared/pii"
)

// DB is the DynamoDB client a backfill needs: the adapters' calls and Scan.
type DB interface {
	dynamo.API
	Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

var _ DB = (*dynamodb.Client)(nil)

// Env is what the steps work on.
type Env struct {
	DB DB
	// Tables maps the logical ids of template.yaml (CasesTable, KiosksTable, …) to table names.
	Tables map[string]string
	// Keys is the master key of personal data (PiiKey).
	Keys pii.KeyService
	Now  func() time.Time
}

// Table returns the name of a table by its logical id.
func (e Env) Table(logicalID string) (string, error) {
	name, ok := e.Tables[logicalID]
	if !ok || name == "" {
		return "", fmt.Errorf("backfill: no table %s", logicalID)
	}
	return name, nil
}

// Result counts what a step looked at and what it changed.
type Result struct {
	Scanned int `json:"scanned"`
	Changed int `json:"changed"`
}

// Step is one rerun-safe migration.
type Step struct {
	Name string
	Doc  string
	Run  func(ctx context.Context, env Env) (Result, error)
}

// Steps are every backfill, in the order they run.
var Steps = []Step{Subjects}

// Run runs the named steps (all when none is named) in order and reports each.
func Run(ctx context.Context, env Env, names []string, report func(Step, Result)) error {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	for _, s := range Steps {
		if len(want) > 0 && !want[s.Name] {
			continue
		}
		delete(want, s.Name)
		res, err := s.Run(ctx, env)
		if err != nil {
			return fmt.Errorf("backfill %s: %w", s.Name, err)
		}
		report(s, res)
	}
	for n := range want {
		return fmt.Errorf("backfill: no step %q", n)
	}
	return nil
}

// scanTimeout bounds each page of a scan.
const scanTimeout = 30 * time.Second

// Each calls fn with every item of a table, page by page.
func Each(ctx context.Context, db DB, table string, fn func(item map[string]types.AttributeValue) error) error {
	var start map[string]types.AttributeValue
	for {
		cctx, cancel := context.WithTimeout(ctx, scanTimeout)
		out, err := db.Scan(cctx, &dynamodb.ScanInput{TableName: &table, ExclusiveStartKey: start, ConsistentRead: aws.Bool(true)})
		cancel()
		if err != nil {
			return fmt.Errorf("scan %s: %w", table, err)
		}
		for _, item := range out.Items {
			if err := fn(item); err != nil {
				return err
			}
		}
		if out.LastEvaluatedKey == nil {
			return nil
		}
		start = out.LastEvaluatedKey
	}
}
