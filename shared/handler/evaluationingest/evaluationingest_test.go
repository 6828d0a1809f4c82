package evaluationingest_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/uuid"

	"banban/local/stacktest"
	"banban/local/testenv"
	"banban/shared/calendar"
	"banban/shared/dynamo"
	"banban/shared/handler/evaluationingest"
	"banban/shared/rating"
)

var ctx = context.Background()

func send(t *testing.T, q *sqs.Client, url string, body string) {
	t.Helper()
	if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: &body}); err != nil {
		t.Fatal(err)
	}
}

// TestRetriesRedeliveriesAndCrashesCountOnce: the same rating queued three times (a kiosk that
// retried), a consumer that crashes after its write and before deleting, and a poison message.
// Every rating is counted once, and only the poison message ends in the dead-letter queue.
func TestRetriesRedeliveriesAndCrashesCountOnce(t *testing.T) {
	env := stacktest.Provision(t)
	q, db := testenv.SQS(t), testenv.DynamoDB(t)
	url, dlq := env.QueueURL(t, "RatingsQueue"), env.QueueURL(t, "RatingsDLQ")
	// Short visibility so redeliveries come quickly; maxReceiveCount stays the template's.
	if _, err := q.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url,
		Attributes: map[string]string{"VisibilityTimeout": "1"}}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 28, 10, 0, 0, 0, calendar.Shanghai)
	mk := func(level rating.Level) rating.Rating {
		return rating.Rating{ID: uuid.NewString(), Channel: rating.ChannelKiosk, KioskID: "kiosk-w1", WindowID: "w1", HallID: "h1", UnitID: "u1",
			Level: level, RatedAt: at, ReceivedAt: at}
	}
	retried, other := mk(5), mk(2)
	for _, r := range []rating.Rating{retried, retried, other, retried} {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		body := string(b)
		if r.ID == other.ID {
			// Queued before channels were named: a kiosk rating without its channel still counts.
			body = strings.Replace(body, `,"channel":"kiosk"`, "", 1)
			if strings.Contains(body, "channel") {
				t.Fatalf("channel still in %s", body)
			}
		}
		send(t, q, url, body)
	}
	send(t, q, url, `{"id":"not-a-uuid","level":7}`)

	h, err := evaluationingest.New(evaluationingest.Config{RatingsTable: env.Table(t, "RatingsTable"), DirectoryTable: env.Table(t, "DirectoryTable"),
		RatingBuckets: "good=4,5;average=3;poor=1,2", RectifyDays: 5, RatingWatch: "rate=4/1m;burst=3/30s"}, db, slog.New(slog.NewJSONHandler(io.Discard, nil)), time.Now)
	if err != nil {
		t.Fatal(err)
	}

	// The first delivery is handled and then "crashes": nothing is deleted.
	first, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil || len(first.Messages) == 0 {
		t.Fatalf("receive: %v (%d messages)", err, len(first.Messages))
	}
	if _, err := h.Handle(ctx, testenv.SQSEvent(first.Messages)); err != nil {
		t.Fatal(err)
	}

	// Then the consumer runs as Lambda's event source does until the queue is empty: delete
	// everything not reported as a failure.
	var poisonFailures int
	testenv.Eventually(t, 30*time.Second, func() error {
		reported, err := testenv.Deliver(ctx, q, url, h.Handle)
		if err != nil {
			return err
		}
		poisonFailures += len(reported)
		return testenv.QueueEmpty(ctx, q, url)
	})

	store := &dynamo.Ratings{DB: db, Table: env.Table(t, "RatingsTable"), Now: time.Now}
	c, err := store.WindowMonth(ctx, "w1", calendar.MonthOf(at))
	if err != nil {
		t.Fatal(err)
	}
	if want := (rating.Counts{0, 0, 1, 0, 0, 1}); c != want {
		t.Errorf("counts = %v, want %v", c, want)
	}
	dead, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &dlq, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(dead.Messages) != 1 || aws.ToString(dead.Messages[0].Body) != `{"id":"not-a-uuid","level":7}` {
		t.Errorf("dead-letter queue holds %d messages", len(dead.Messages))
	}
	if poisonFailures == 0 {
		t.Error("the poison message was never reported as a failure")
	}
}
