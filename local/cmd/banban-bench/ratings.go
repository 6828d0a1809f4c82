package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/uuid"

	"banban/local/ddbproxy"
	"banban/shared/calendar"
	"banban/shared/dynamo"
	"banban/shared/kiosk"
	"banban/shared/rating"
)

// ratingFigures are what the rating-path benchmark measured.
type ratingFigures struct {
	n, c, procs, pollers, windows int

	// Baselines, same run, same DynamoDB Local and SQS server.
	putRate  float64         // raw single PutItem calls per second at concurrency c
	putLat   []time.Duration // their latencies
	putCPU   cpuUse
	sendLat  []time.Duration // raw SendMessage latencies at concurrency c
	probeLat []time.Duration // an unsigned POST /v1/evaluations (401, no AWS I/O) at concurrency c
	probeDDB int             // DynamoDB requests the probes made (expected 0)
	record   float64         // ratings/s of dynamo.Ratings.Record in this process, batches of 10, `pollers` writers
	record1  float64         // the same with one writer

	// The ingest alone: n ratings queued, then the clock runs until all are counted.
	ingestRate float64
	ingestOps  ddbproxy.Stats
	ingestCPU  cpuUse

	// End to end: n signed POSTs from c clients, until all are counted.
	e2eRate    float64
	acceptRate float64 // first send → last 202
	apiLat     []time.Duration
	e2eAPIOps  ddbproxy.Stats
	e2eIngOps  ddbproxy.Stats
	e2eCPU     cpuUse

	// End to end with the batch endpoint: the same n ratings as signed batches of 25.
	batchRate   float64
	batchAPIOps ddbproxy.Stats
}

// ratingPath measures the kiosk rating path on the whole local stack.
func ratingPath(ctx context.Context, o options, r *report) error {
	s, err := startSystem(ctx, o, "rating")
	if err != nil {
		return err
	}
	defer s.close()
	in, err := s.startIngest(ctx)
	if err != nil {
		return err
	}
	defer in.close()
	meter, err := newCPUMeter(o.dynamo, o.sqs)
	if err != nil {
		return err
	}
	f := ratingFigures{n: o.ratings, c: o.clients, procs: o.concurrency, pollers: o.pollers, windows: len(s.kiosks)}
	steps := []struct {
		name string
		run  func(context.Context) error
	}{
		{"raw PutItem", func(ctx context.Context) error { return s.rawPutItems(ctx, meter, &f) }},
		{"raw SendMessage", func(ctx context.Context) error { return s.rawSends(ctx, &f) }},
		{"gateway probe", func(ctx context.Context) error { return s.probes(ctx, &f) }},
		{"in-process Record", func(ctx context.Context) error {
			var err error
			f.record, err = s.inProcessRecord(ctx, f.n, f.pollers)
			return err
		}},
		{"in-process Record, one writer", func(ctx context.Context) error {
			var err error
			f.record1, err = s.inProcessRecord(ctx, f.n/2, 1)
			return err
		}},
		{"ingest alone", func(ctx context.Context) error { return s.ingestAlone(ctx, in, meter, &f) }},
		{"end to end", func(ctx context.Context) error { return s.endToEnd(ctx, in, meter, &f) }},
		{"end to end, batches", func(ctx context.Context) error { return s.endToEndBatches(ctx, &f) }},
	}
	for _, st := range steps {
		ctx, cancel := context.WithTimeout(ctx, o.phaseTimeout)
		err := st.run(ctx)
		cancel()
		if err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
	}
	r.add("Rating path", ratingSection(f))
	return nil
}

// parallel runs n jobs on c workers and returns each job's duration. It stops handing out jobs
// at the first error or when ctx ends.
func parallel(ctx context.Context, n, c int, job func(ctx context.Context, i int) error) ([]time.Duration, error) {
	durations := make([]time.Duration, n)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				start := time.Now()
				err := job(ctx, i)
				durations[i] = time.Since(start)
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					cancel()
				}
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		return durations, errs[0]
	}
	return durations, ctx.Err()
}

// serviceEvery is how often a bench window serves someone: its ratings are given that far apart,
// going back from now, as at a real window, so the integrity watch flags none of them.
const serviceEvery = 2 * time.Minute

// rating is the i-th rating of a run: windows taken in turn, levels 5 down to 1, each window's
// ratings serviceEvery apart.
func (s *system) rating(i int) rating.Rating {
	k := s.kiosks[i%len(s.kiosks)]
	now := time.Now().UTC()
	at := now.Add(-time.Duration(i/len(s.kiosks)) * serviceEvery)
	return rating.Rating{ID: uuid.NewString(), Channel: rating.ChannelKiosk, KioskID: k.ID, WindowID: k.WindowID, HallID: k.HallID, UnitID: k.UnitID,
		Level: rating.Level(5 - i%5), RatedAt: at, ReceivedAt: now}
}

// rawPutItems is baseline 1: single PutItem calls of items shaped like a stored rating, into the
// run's ratings table, from c clients.
func (s *system) rawPutItems(ctx context.Context, meter *cpuMeter, f *ratingFigures) error {
	table := s.stack.Resources.Tables["RatingsTable"]
	items := make([]map[string]types.AttributeValue, f.n)
	for i := range items {
		rt := s.rating(i)
		item, err := attributevalue.MarshalMapWithOptions(rt, func(o *attributevalue.EncoderOptions) { o.TagKey = "json" })
		if err != nil {
			return fmt.Errorf("marshal rating: %w", err)
		}
		item["pk"] = &types.AttributeValueMemberS{Value: "BENCH#" + rt.ID}
		item["sk"] = &types.AttributeValueMemberS{Value: "RATING"}
		item["month"] = &types.AttributeValueMemberS{Value: rt.Month().String()}
		items[i] = item
	}
	before, err := meter.sample()
	if err != nil {
		return err
	}
	lat, err := parallel(ctx, f.n, f.c, func(ctx context.Context, i int) error {
		_, err := s.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: items[i]})
		return err
	})
	if err != nil {
		return fmt.Errorf("PutItem: %w", err)
	}
	after, err := meter.sample()
	if err != nil {
		return err
	}
	f.putCPU = before.to(after)
	f.putRate, f.putLat = float64(f.n)/f.putCPU.wall.Seconds(), lat
	return nil
}

// rawSends is baseline 2: SendMessage of a rating message to a scratch queue, from c clients.
func (s *system) rawSends(ctx context.Context, f *ratingFigures) error {
	body, err := json.Marshal(s.rating(0))
	if err != nil {
		return fmt.Errorf("encode rating: %w", err)
	}
	text := string(body)
	scratch, err := s.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: strPtr(fmt.Sprintf("banban-bench-scratch-%d", time.Now().UnixNano()))})
	if err != nil {
		return fmt.Errorf("scratch queue: %w", err)
	}
	defer logFailure("delete scratch queue", func() error {
		_, err := s.sqs.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: scratch.QueueUrl})
		return err
	})
	lat, err := parallel(ctx, f.n, f.c, func(ctx context.Context, i int) error {
		_, err := s.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: scratch.QueueUrl, MessageBody: &text})
		return err
	})
	if err != nil {
		return fmt.Errorf("SendMessage: %w", err)
	}
	f.sendLat = lat
	return nil
}

// probes measure the gateway and the warm API function without AWS I/O: an unsigned POST is
// refused (401) before any DynamoDB or SQS call.
func (s *system) probes(ctx context.Context, f *ratingFigures) error {
	client := &http.Client{Timeout: 30 * time.Second}
	s.proxy.Take()
	n := min(f.n, 1000)
	lat, err := parallel(ctx, n, f.c, func(ctx context.Context, i int) error {
		return post(ctx, client, s.base, []byte(`{}`), nil, http.StatusUnauthorized)
	})
	if err != nil {
		return err
	}
	f.probeLat, f.probeDDB = lat, s.proxy.Take().Forwarded()
	return nil
}

// inProcessRecord runs the ingest's storage step, dynamo.Ratings.Record on batches of 10, in this
// process against DynamoDB Local directly, from the given number of writers, and returns
// ratings/s: the
// ingest's own DynamoDB work without SQS, the poller and the RIE. Its ratings count for windows of
// their own ("bench-…"), not the demo windows.
func (s *system) inProcessRecord(ctx context.Context, n, writers int) (float64, error) {
	store := &dynamo.Ratings{DB: s.ddb, Table: s.stack.Resources.Tables["RatingsTable"], Now: time.Now, Watch: rating.DefaultWatch}
	batches := (n + 9) / 10
	start := time.Now()
	if _, err := parallel(ctx, batches, writers, func(ctx context.Context, b int) error {
		var rs []rating.Rating
		for i := b * 10; i < min(n, b*10+10); i++ {
			rt := s.rating(i)
			rt.WindowID = "bench-" + rt.WindowID
			rs = append(rs, rt)
		}
		_, err := store.Record(ctx, rs)
		return err
	}); err != nil {
		return 0, fmt.Errorf("record: %w", err)
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// ingestAlone queues n ratings with the pollers off, then starts them and times until every rating
// is counted.
func (s *system) ingestAlone(ctx context.Context, in *ingest, meter *cpuMeter, f *ratingFigures) error {
	queue := s.stack.Resources.Queues["RatingsQueue"].URL
	if _, err := parallel(ctx, (f.n+9)/10, f.c, func(ctx context.Context, b int) error {
		var entries []sqstypes.SendMessageBatchRequestEntry
		for i := b * 10; i < min(f.n, b*10+10); i++ {
			body, err := json.Marshal(s.rating(i))
			if err != nil {
				return fmt.Errorf("encode rating: %w", err)
			}
			entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: strPtr(strconv.Itoa(i)), MessageBody: strPtr(string(body))})
		}
		out, err := s.sqs.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &queue, Entries: entries})
		if err == nil && len(out.Failed) > 0 {
			err = fmt.Errorf("%d messages refused: %s", len(out.Failed), strOr(out.Failed[0].Message))
		}
		return err
	}); err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	in.proxy.Take()
	before, err := meter.sample()
	if err != nil {
		return err
	}
	if err := in.poll(s); err != nil {
		return err
	}
	if err := s.waitCounted(ctx, int64(f.n)); err != nil {
		return err
	}
	after, err := meter.sample()
	if err != nil {
		return err
	}
	f.ingestCPU = before.to(after)
	f.ingestRate = float64(f.n) / f.ingestCPU.wall.Seconds()
	f.ingestOps = in.proxy.Take()
	return nil
}

// endToEnd posts n signed ratings through the gateway from c clients, with the ingest polling,
// and times from the first send until all are counted.
func (s *system) endToEnd(ctx context.Context, in *ingest, meter *cpuMeter, f *ratingFigures) error {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: f.c}}
	bodies := make([][]byte, f.n)
	for i := range bodies {
		rt := s.rating(i)
		bodies[i] = fmt.Appendf(nil, `{"id":%q,"level":%d,"ratedAt":%q}`, rt.ID, rt.Level, rt.RatedAt.Format(time.RFC3339))
	}
	s.proxy.Take()
	in.proxy.Take()
	before, err := meter.sample()
	if err != nil {
		return err
	}
	lat, err := parallel(ctx, f.n, f.c, func(ctx context.Context, i int) error {
		k := s.kiosks[i%len(s.kiosks)]
		headers := kiosk.Headers(k, http.MethodPost, "/v1/evaluations", bodies[i], time.Now(), rand.Text())
		return post(ctx, client, s.base, bodies[i], headers, http.StatusAccepted)
	})
	if err != nil {
		return fmt.Errorf("post ratings: %w", err)
	}
	f.acceptRate = float64(f.n) / time.Since(before.at).Seconds()
	if err := s.waitCounted(ctx, int64(2*f.n)); err != nil {
		return err
	}
	after, err := meter.sample()
	if err != nil {
		return err
	}
	f.e2eCPU = before.to(after)
	f.e2eRate = float64(f.n) / f.e2eCPU.wall.Seconds()
	f.apiLat, f.e2eAPIOps, f.e2eIngOps = lat, s.proxy.Take(), in.proxy.Take()
	return nil
}

// endToEndBatches posts n more ratings as signed batches of 25 (POST /v1/evaluations/batch) from
// c clients, and times from the first send until all are counted.
func (s *system) endToEndBatches(ctx context.Context, f *ratingFigures) error {
	const per = 25
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: f.c}}
	batches := (f.n + per - 1) / per
	type batch struct {
		k    kiosk.Kiosk
		body []byte
	}
	bs := make([]batch, batches)
	for b := range bs {
		k := s.kiosks[b%len(s.kiosks)]
		var parts []string
		for i := b * per; i < min(f.n, (b+1)*per); i++ {
			rt := s.rating(i)
			parts = append(parts, fmt.Sprintf(`{"id":%q,"level":%d,"ratedAt":%q}`, rt.ID, rt.Level, rt.RatedAt.Format(time.RFC3339)))
		}
		bs[b] = batch{k, []byte(`{"ratings":[` + strings.Join(parts, ",") + `]}`)}
	}
	s.proxy.Take()
	start := time.Now()
	if _, err := parallel(ctx, batches, f.c, func(ctx context.Context, b int) error {
		headers := kiosk.Headers(bs[b].k, http.MethodPost, "/v1/evaluations/batch", bs[b].body, time.Now(), rand.Text())
		return postTo(ctx, client, s.base+"/v1/evaluations/batch", bs[b].body, headers, http.StatusAccepted)
	}); err != nil {
		return fmt.Errorf("post batches: %w", err)
	}
	if err := s.waitCounted(ctx, int64(3*f.n)); err != nil {
		return err
	}
	f.batchRate = float64(f.n) / time.Since(start).Seconds()
	f.batchAPIOps = s.proxy.Take()
	return nil
}

// post sends one POST /v1/evaluations and checks the status.
func post(ctx context.Context, client *http.Client, base string, body []byte, headers map[string]string, want int) error {
	return postTo(ctx, client, base+"/v1/evaluations", body, headers, want)
}

// postTo sends one POST to url and checks the status.
func postTo(ctx context.Context, client *http.Client, url string, body []byte, headers map[string]string, want int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	for name, v := range headers {
		req.Header.Set(name, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("post: %w", err)
	}
	answer, err := io.ReadAll(resp.Body)
	if cerr := resp.Body.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode != want {
		return fmt.Errorf("answer %d %s, want %d", resp.StatusCode, answer, want)
	}
	return nil
}

// countPoll is how often waitCounted looks. It first asks the queue (one cheap SQS request) and
// reads the windows' counters only once the queue is drained, so polling adds little load to the
// DynamoDB Local being measured; the clock's resolution is this interval.
const countPoll = 50 * time.Millisecond

// waitCounted polls until want ratings are counted in the demo windows' counters of this month, or
// ctx ends (the phase deadline).
func (s *system) waitCounted(ctx context.Context, want int64) error {
	queue := s.stack.Resources.Queues["RatingsQueue"].URL
	var got int64
	for {
		drained, err := s.drained(ctx, queue)
		if err != nil {
			return err
		}
		if drained {
			if got, err = s.counted(ctx); err != nil {
				return err
			}
			if got > want {
				return fmt.Errorf("counted %d ratings, more than the %d sent", got, want)
			}
			if got == want {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("only %d of %d ratings counted: %w", got, want, ctx.Err())
		case <-time.After(countPoll):
		}
	}
}

// drained reports whether the queue holds no message, visible or in flight.
func (s *system) drained(ctx context.Context, queue string) (bool, error) {
	out, err := s.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &queue,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		return false, fmt.Errorf("queue attributes: %w", err)
	}
	for _, name := range []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible} {
		v, ok := out.Attributes[string(name)]
		if !ok {
			return false, fmt.Errorf("queue attributes: no %s", name)
		}
		if v != "0" {
			return false, nil
		}
	}
	return true, nil
}

// counted sums this month's counters of every demo window, reading them concurrently.
func (s *system) counted(ctx context.Context) (int64, error) {
	// This month and the last: a run's ratings go back in time (serviceEvery) and may cross the
	// month's start. Flagged ratings are stored too and count as ingested.
	this := calendar.MonthOf(time.Now())
	months := []calendar.Month{this, calendar.MonthOf(this.Start().Add(-time.Hour))}
	var keys []rating.CounterKey
	for _, k := range s.kiosks {
		for _, m := range months {
			keys = append(keys, rating.CounterKey{Kind: rating.WindowCounter, ID: k.WindowID, Month: m})
		}
	}
	figs, err := s.ratings.Figures(ctx, keys)
	if err != nil {
		return 0, fmt.Errorf("read counters: %w", err)
	}
	var total int64
	for _, f := range figs {
		total += f.Counts.Total() + f.Flagged
	}
	return total, nil
}

func strPtr(s string) *string { return &s }

func strOr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
