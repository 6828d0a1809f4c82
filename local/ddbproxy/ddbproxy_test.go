package ddbproxy_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"banban/local/ddbproxy"
	"banban/local/localaws"
	"banban/local/testenv"
)

// start runs a proxy in front of the test DynamoDB Local and returns it with a client that talks
// through it. The test fails (does not skip) when BANBAN_TEST_DYNAMODB is unset.
func start(t *testing.T, cfg ddbproxy.Config) (*ddbproxy.Proxy, *dynamodb.Client) {
	t.Helper()
	cfg.Target = testenv.Endpoint(t, testenv.EnvDynamoDB)
	p, err := ddbproxy.StartConfig(cfg)
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
	return p, db
}

// noRetries makes one attempt per call, so every call is exactly one request.
func noRetries(o *dynamodb.Options) { o.RetryMaxAttempts = 1 }

// quickRetries keeps the SDK's standard retries (3 attempts) without their backoff and retry
// quota, so a throttling test takes milliseconds.
func quickRetries(o *dynamodb.Options) {
	o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxBackoff = time.Millisecond
		so.RateLimiter = ratelimit.None
	})
}

func TestCountsRequestsByOperation(t *testing.T) {
	p, db := start(t, ddbproxy.Config{})
	ctx := context.Background()
	for range 3 {
		if _, err := db.ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
			t.Fatal(err)
		}
	}
	// A request DynamoDB refuses is counted too: the proxy counts what the caller sent.
	missing := testenv.UniqueName("missing")
	var notFound *types.ResourceNotFoundException
	if _, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &missing}, noRetries); !errors.As(err, &notFound) {
		t.Fatalf("describe a missing table: %v, want ResourceNotFoundException", err)
	}
	got := p.Take()
	if got.Requests["ListTables"] != 3 || got.Requests["DescribeTable"] != 1 || ddbproxy.Total(got.Requests) != 4 {
		t.Fatalf("requests %v, want ListTables 3 and DescribeTable 1", got.Requests)
	}
	if ddbproxy.Total(got.Throttled) != 0 || got.Forwarded() != 4 {
		t.Errorf("throttled %v with throttling off", got.Throttled)
	}
	if again := p.Take(); ddbproxy.Total(again.Requests) != 0 {
		t.Errorf("counts not reset by Take: %v", again.Requests)
	}
}

func TestCountsConcurrentRequestsExactly(t *testing.T) {
	p, db := start(t, ddbproxy.Config{})
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if _, err := db.ListTables(context.Background(), &dynamodb.ListTablesInput{}, noRetries); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := p.Stats().Requests["ListTables"]; got != workers*each {
		t.Fatalf("counted %d requests, sent %d", got, workers*each)
	}
	if got := p.Stats().Requests["ListTables"]; got != workers*each {
		t.Fatalf("Stats reset the counts: %d", got)
	}
}

func TestThrottlesTheConfiguredFraction(t *testing.T) {
	t.Run("all", func(t *testing.T) {
		p, db := start(t, ddbproxy.Config{ThrottleFraction: 1})
		_, err := db.ListTables(context.Background(), &dynamodb.ListTablesInput{}, noRetries)
		var throttled *types.ProvisionedThroughputExceededException
		if !errors.As(err, &throttled) {
			t.Fatalf("error %v, want ProvisionedThroughputExceededException", err)
		}
		if st := p.Take(); st.Throttled["ListTables"] != 1 || st.Forwarded() != 0 {
			t.Fatalf("stats %+v", st)
		}
	})
	t.Run("the SDK retries and succeeds", func(t *testing.T) {
		// With half the requests throttled, the SDK's retries (3 attempts by default) get most
		// calls through; every attempt is counted.
		p, db := start(t, ddbproxy.Config{ThrottleFraction: 0.5, Seed: 7})
		const calls = 40
		ok := 0
		for range calls {
			if _, err := db.ListTables(context.Background(), &dynamodb.ListTablesInput{}, quickRetries); err == nil {
				ok++
			}
		}
		st := p.Take()
		if n := st.Throttled["ListTables"]; n == 0 || n >= st.Requests["ListTables"] {
			t.Fatalf("throttled %d of %d requests, want some but not all", n, st.Requests["ListTables"])
		}
		if st.Requests["ListTables"] <= calls || st.Forwarded() != ok {
			t.Fatalf("%d calls, %d succeeded, stats %+v", calls, ok, st)
		}
	})
	t.Run("switched off at run time", func(t *testing.T) {
		p, db := start(t, ddbproxy.Config{ThrottleFraction: 1, ThrottleError: ddbproxy.Throttling})
		if err := p.SetThrottleFraction(0); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ListTables(context.Background(), &dynamodb.ListTablesInput{}, noRetries); err != nil {
			t.Fatal(err)
		}
		if err := p.SetThrottleFraction(1.5); err == nil {
			t.Error("fraction 1.5 accepted")
		}
	})
}

func TestRefusesNonLoopbackTargets(t *testing.T) {
	for _, target := range []string{"http://10.0.0.1:8000", "https://127.0.0.1:8000", "dynamodb.us-east-1.amazonaws.com"} {
		if p, err := ddbproxy.Start(target); err == nil {
			t.Errorf("target %s accepted", target)
			if err := p.Close(); err != nil {
				t.Error(err)
			}
		}
	}
}

func TestFormat(t *testing.T) {
	if got := ddbproxy.Format(map[string]int{"B": 1, "A": 2}); got != "A 2, B 1" {
		t.Errorf("Format = %q", got)
	}
}
