package ddbproxy_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"banban/local/ddbproxy"
	"banban/local/localaws"
	"banban/local/testenv"
)

func TestCountsRequestsByOperation(t *testing.T) {
	p, err := ddbproxy.Start(testenv.Endpoint(t, testenv.EnvDynamoDB))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	db, _, err := localaws.Clients(context.Background(), p.URL(), testenv.Endpoint(t, testenv.EnvSQS))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := db.ListTables(context.Background(), &dynamodb.ListTablesInput{}); err != nil {
			t.Fatal(err)
		}
	}
	got := p.Counts()
	if got["ListTables"] != 3 || ddbproxy.Total(got) != 3 {
		t.Fatalf("counts %v", got)
	}
	if again := p.Counts(); ddbproxy.Total(again) != 0 {
		t.Errorf("counts not reset: %v", again)
	}
	if ddbproxy.Format(map[string]int{"B": 1, "A": 2}) != "A 2, B 1" {
		t.Error("format")
	}
}
