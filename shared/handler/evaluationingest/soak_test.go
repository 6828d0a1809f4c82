package evaluationingest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/uuid"

	"banban/local/ddbproxy"
	"banban/local/localaws"
	"banban/local/stacktest"
	"banban/local/testenv"
	"banban/shared/calendar"
	"banban/shared/dynamo"
	"banban/shared/handler/evaluationingest"
	"banban/shared/rating"
)

// TestSoakUnderDuplicatesPoisonCrashesAndThrottling: ratings over 20 windows with 10% sent twice,
// 1% poison messages, 5% of the handled batches "crashing" before their delete, and 5% of the
// DynamoDB requests throttled. Afterwards every window's counters equal its distinct ratings and
// the dead-letter queue holds exactly the poison messages. BANBAN_SOAK_RATINGS sets the number
// of ratings (2,000 in `make test`; the full soak is 20,000).
func TestSoakUnderDuplicatesPoisonCrashesAndThrottling(t *testing.T) {
	n := 2000
	if v := os.Getenv("BANBAN_SOAK_RATINGS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 100 {
			t.Fatalf("BANBAN_SOAK_RATINGS=%q: want a number ≥ 100", v)
		}
	}
	env := stacktest.Provision(t)
	q := testenv.SQS(t)
	proxy, err := ddbproxy.StartConfig(ddbproxy.Config{Target: testenv.Endpoint(t, testenv.EnvDynamoDB), ThrottleFraction: 0.05, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = proxy.Close() })
	db, _, err := localaws.Clients(ctx, proxy.URL(), testenv.Endpoint(t, testenv.EnvSQS))
	if err != nil {
		t.Fatal(err)
	}
	url, dlq := env.QueueURL(t, "RatingsQueue"), env.QueueURL(t, "RatingsDLQ")
	if _, err := q.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url,
		Attributes: map[string]string{"VisibilityTimeout": "1"}}); err != nil {
		t.Fatal(err)
	}

	rng := rand.New(rand.NewPCG(7, 7))
	at := time.Date(2026, 11, 28, 10, 0, 0, 0, calendar.Shanghai)
	want := map[string]rating.Counts{}
	var bodies []string
	poison := map[string]bool{}
	served := map[string]int{}
	for i := range n {
		if i%100 == 99 { // 1% poison
			b := fmt.Sprintf(`{"id":"poison-%d","level":9}`, i)
			poison[b] = true
			bodies = append(bodies, b)
			continue
		}
		w := fmt.Sprintf("w%02d", rng.IntN(20))
		// A window serves someone every two minutes: the integrity watch, on as in production,
		// flags none of these, so every counter must come out exact.
		given := at.Add(time.Duration(served[w]) * 2 * time.Minute)
		served[w]++
		r := rating.Rating{ID: uuid.NewString(), Channel: rating.ChannelKiosk, KioskID: "kiosk-" + w, WindowID: w, HallID: "h1", UnitID: "u1",
			Level: rating.Level(rng.IntN(5) + 1), RatedAt: given, ReceivedAt: given}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		c := want[w]
		c[r.Level]++
		want[w] = c
		bodies = append(bodies, string(b))
		if i%10 == 3 { // 10% sent twice
			bodies = append(bodies, string(b))
		}
	}
	rng.Shuffle(len(bodies), func(i, j int) { bodies[i], bodies[j] = bodies[j], bodies[i] })
	for start := 0; start < len(bodies); start += 10 {
		var entries []sqstypes.SendMessageBatchRequestEntry
		for i, b := range bodies[start:min(start+10, len(bodies))] {
			entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(b)})
		}
		out, err := q.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries})
		if err != nil || len(out.Failed) > 0 {
			t.Fatalf("send: %v %v", err, out)
		}
	}

	h, err := evaluationingest.New(evaluationingest.Config{RatingsTable: env.Table(t, "RatingsTable"), DirectoryTable: env.Table(t, "DirectoryTable"),
		RatingBuckets: "good=4,5;average=3;poor=1,2", RectifyDays: 5, RatingWatch: "rate=4/1m;burst=3/30s"}, db, slog.New(slog.NewJSONHandler(io.Discard, nil)), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	// Two consumers as Lambda's event source runs them; a batch that fails as a whole (throttled
	// past the SDK's retries) is left for redelivery, a "crashed" one is never deleted.
	var mu sync.Mutex
	var crashes, batchErrors int
	crash := rand.New(rand.NewPCG(3, 3))
	// consume handles one batch and reports whether there was one.
	consume := func() (bool, error) {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil || len(out.Messages) == 0 {
			return false, err
		}
		resp, err := h.Handle(ctx, testenv.SQSEvent(out.Messages))
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			batchErrors++
			return true, nil
		}
		if crash.Float64() < 0.05 {
			crashes++
			return true, nil
		}
		_, err = testenv.Acknowledge(ctx, q, url, out.Messages, resp)
		return true, err
	}
	testenv.Eventually(t, 10*time.Minute, func() error {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range 2 {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				for more := true; more && errs[i] == nil; {
					more, errs[i] = consume()
				}
			}(i)
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		return testenv.QueueEmpty(ctx, q, url)
	})

	store := &dynamo.Ratings{DB: testenv.DynamoDB(t), Table: env.Table(t, "RatingsTable"), Now: time.Now}
	for w, c := range want {
		k := rating.CounterKey{Kind: rating.WindowCounter, ID: w, Month: calendar.MonthOf(at)}
		figs, err := store.Figures(ctx, []rating.CounterKey{k})
		if err != nil {
			t.Fatal(err)
		}
		if got := figs[k]; got != (rating.Figures{Counts: c}) {
			t.Errorf("window %s: figures %+v, want counts %v and nothing flagged", w, got, c)
		}
	}
	dead := map[string]bool{}
	testenv.Eventually(t, 30*time.Second, func() error {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &dlq, MaxNumberOfMessages: 10, WaitTimeSeconds: 0})
		if err != nil {
			return err
		}
		for _, m := range out.Messages {
			dead[aws.ToString(m.Body)] = true
			if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &dlq, ReceiptHandle: m.ReceiptHandle}); err != nil {
				return err
			}
		}
		if len(out.Messages) > 0 || len(dead) < len(poison) {
			return fmt.Errorf("%d of %d poison messages in the dead-letter queue so far", len(dead), len(poison))
		}
		return nil
	})
	for b := range dead {
		if !poison[b] {
			t.Errorf("a good rating ended in the dead-letter queue: %s", b)
		}
	}
	st := proxy.Stats()
	t.Logf("%d ratings, %d messages; %d crashed batches, %d failed batches; DynamoDB requests %s, throttled %s",
		n, len(bodies), crashes, batchErrors, ddbproxy.Format(st.Requests), ddbproxy.Format(st.Throttled))
	if ddbproxy.Total(st.Throttled) == 0 || crashes == 0 {
		t.Errorf("the soak injected no throttling (%d) or no crashes (%d)", ddbproxy.Total(st.Throttled), crashes)
	}
}
