package notifier_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/uuid"

	"banban/local/stacktest"
	"banban/local/testenv"
	"banban/shared/apperr"
	"banban/shared/assessment"
	"banban/shared/cases"
	"banban/shared/handler/notifier"
	"banban/shared/handler/rectificationwatch"
	"banban/shared/handler/supervision"
	"banban/shared/notice"
	"banban/shared/queue"
	"banban/shared/rectification"
	"banban/shared/scoring"
)

var ctx = context.Background()

// recorder is a delivery adapter that remembers what it was given, and fails the first attempt
// of the notices named in failOnce.
type recorder struct {
	mu        sync.Mutex
	attempts  map[string]int
	delivered []notice.Notice
	failOnce  map[string]bool
}

func newRecorder(failOnce ...string) *recorder {
	r := &recorder{attempts: map[string]int{}, failOnce: map[string]bool{}}
	for _, id := range failOnce {
		r.failOnce[id] = true
	}
	return r
}

func (r *recorder) Send(_ context.Context, n notice.Notice) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts[n.ID]++
	if r.failOnce[n.ID] && r.attempts[n.ID] == 1 {
		return apperr.New(apperr.Unavailable, "channel_unavailable", "the channel did not answer")
	}
	r.delivered = append(r.delivered, n)
	return nil
}

// senders' messages: one of each known type, built by the jobs' own types and sent by the queue
// adapter they use.
func sendersMessages(t *testing.T) []any {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	caseID, closedID := uuid.NewString(), uuid.NewString()
	msgs := []any{
		supervision.Notice{Type: notice.CaseOverdue, CaseID: caseID, TrackingNo: "BB-2026-000123", Level: 2, Recipient: notice.UnitAdmin,
			HallID: "zc-center", Units: []string{"zc-slsq"}, Assignee: "helper-zc-01", DueAt: now.Add(-48 * time.Hour), OverdueWorkingDays: 2},
	}
	for _, typ := range []notice.Type{notice.RatingInvitation, notice.RatingReminder} {
		msgs = append(msgs, supervision.RatingNotice{Type: typ, ID: closedID + ":" + string(typ), CaseID: closedID, TrackingNo: "BB-2026-000124",
			Recipient: notice.Requester, Subject: "wx-requester-pseudonym", State: cases.Completed, ClosedAt: now, RateBy: now.Add(7 * 24 * time.Hour)})
	}
	rep := scoring.Report{Month: "2026-11", Revision: 1, Units: []scoring.Score{{Kind: scoring.Unit, ID: "zb-scjg", Name: "市场监管局", Counted: 3}}}
	for _, n := range assessment.Notices(rep) {
		msgs = append(msgs, n)
	}
	// The rectification notices last: the test fails the city's overdue notice once.
	ticket := rectification.Ticket{ID: uuid.NewString(), WindowID: "zb-a01", HallID: "zb-center", UnitID: "zb-scjg", Level: 2,
		State: rectification.Open, OpenedAt: now, RespondBy: now.Add(time.Hour), DueAt: now.Add(72 * time.Hour)}
	for _, kind := range []rectification.Notice{rectification.NoticeOpened, rectification.NoticeResponseLate, rectification.NoticeOverdue} {
		for _, n := range rectificationwatch.NoticesOf(ticket, kind) {
			msgs = append(msgs, n)
		}
	}
	return msgs
}

// TestDeliversEveryTypeRetriesFailedSendsAndDeadLettersPoison: the senders' notices of every
// known type, two poison messages and a notice whose first send fails go through the real
// notifications queue, consumed as Lambda's event source does. Every notice is delivered, the
// failed one on its redelivery, and only the poison ends in the dead-letter queue.
func TestDeliversEveryTypeRetriesFailedSendsAndDeadLettersPoison(t *testing.T) {
	env := stacktest.Provision(t)
	q := testenv.SQS(t)
	url, dlq := env.QueueURL(t, "NotificationsQueue"), env.QueueURL(t, "NotificationsDLQ")
	// Short visibility so redeliveries come quickly; maxReceiveCount stays the template's.
	if _, err := q.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url,
		Attributes: map[string]string{"VisibilityTimeout": "1"}}); err != nil {
		t.Fatal(err)
	}
	sender := &queue.Sender{SQS: q, URL: url}
	msgs := sendersMessages(t)
	for _, m := range msgs {
		if err := sender.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	poison := []string{
		`{"type":"rating.invitation","id":"p1","recipient":"requester","subject":"wx-poison-subject"}`, // no case
		`{"type":"case.created","caseId":"` + uuid.NewString() + `"}`,                                  // not a notice
	}
	for _, body := range poison {
		if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
	cityOverdue := msgs[len(msgs)-1].(rectificationwatch.Notice)
	if cityOverdue.Recipient != "city_admin" {
		t.Fatalf("last message %+v", cityOverdue)
	}
	rec := newRecorder(cityOverdue.ID)
	var logs testenv.Buffer
	h := &notifier.Handler{Sender: rec, Log: slog.New(slog.NewJSONHandler(&logs, nil))}

	reported := map[string]int{} // bodies reported as failures
	testenv.Eventually(t, 60*time.Second, func() error {
		failed, err := testenv.Deliver(ctx, q, url, h.Handle)
		if err != nil {
			return err
		}
		for _, m := range failed {
			reported[aws.ToString(m.Body)]++
		}
		return testenv.QueueEmpty(ctx, q, url)
	})

	rec.mu.Lock()
	defer rec.mu.Unlock()
	var wantIDs, gotIDs []string
	for _, m := range msgs {
		switch n := m.(type) {
		case supervision.Notice:
			wantIDs = append(wantIDs, fmt.Sprintf("%s:%s:%d", n.CaseID, n.Type, n.Level))
		case supervision.RatingNotice:
			wantIDs = append(wantIDs, n.ID)
		case rectificationwatch.Notice:
			wantIDs = append(wantIDs, n.ID)
		case assessment.UnitNotice:
			wantIDs = append(wantIDs, n.ID)
		}
	}
	types := map[notice.Type]bool{}
	for _, n := range rec.delivered {
		gotIDs = append(gotIDs, n.ID)
		types[n.Type] = true
	}
	// At least once: a redelivery after a slow delete would show here as a repeat.
	gotIDs = slices.Compact(slices.Sorted(slices.Values(gotIDs)))
	sort.Strings(wantIDs)
	if !slices.Equal(gotIDs, wantIDs) {
		t.Errorf("delivered %v\nwant %v", gotIDs, wantIDs)
	}
	for _, typ := range notice.Types {
		if !types[typ] {
			t.Errorf("no %s notice delivered", typ)
		}
	}
	if rec.attempts[cityOverdue.ID] < 2 {
		t.Errorf("the notice whose send failed was tried %d times", rec.attempts[cityOverdue.ID])
	}
	for _, body := range poison {
		if reported[body] == 0 {
			t.Errorf("poison %s never reported", body)
		}
	}

	var dead []string
	testenv.Eventually(t, 10*time.Second, func() error {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &dlq, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			return err
		}
		for _, m := range out.Messages {
			dead = append(dead, aws.ToString(m.Body))
			if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &dlq, ReceiptHandle: m.ReceiptHandle}); err != nil {
				return err
			}
		}
		if len(dead) < len(poison) {
			return fmt.Errorf("dead-letter queue held %d messages", len(dead))
		}
		return nil
	})
	sort.Strings(dead)
	want := slices.Sorted(slices.Values(poison))
	if !slices.Equal(dead, want) {
		t.Errorf("dead-letter queue %v, want the poison %v", dead, want)
	}
	if strings.Contains(logs.String(), "wx-") {
		t.Errorf("the log names a requester's subject: %s", logs.String())
	}
	if !strings.Contains(logs.String(), `"msg":"unreadable notice message"`) || !strings.Contains(logs.String(), `"msg":"sending a notice failed; it will be redelivered"`) {
		t.Errorf("poison or failed send not logged: %s", logs.String())
	}
}

func record(id, body string) events.SQSMessage {
	return events.SQSMessage{MessageId: id, Body: body}
}

// A notice repeated within a batch is delivered once; the repeat is not reported, since the first
// copy stands for it.
func TestRepeatWithinABatchDeliveredOnce(t *testing.T) {
	const inv = `{"type":"rating.invitation","id":"c1:rating.invitation","caseId":"c1","recipient":"requester","subject":"wx-s"}`
	const rem = `{"type":"rating.reminder","id":"c1:rating.reminder","caseId":"c1","recipient":"requester","subject":"wx-s"}`
	rec := newRecorder()
	h := &notifier.Handler{Sender: rec, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	resp, err := h.Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{record("m1", inv), record("m2", rem), record("m3", inv), record("m4", "{")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "m4" {
		t.Errorf("failures %v, want only the unreadable m4", resp.BatchItemFailures)
	}
	if rec.attempts["c1:rating.invitation"] != 1 || rec.attempts["c1:rating.reminder"] != 1 || len(rec.delivered) != 2 {
		t.Errorf("attempts %v", rec.attempts)
	}
}

func TestNewChoosesTheAdapter(t *testing.T) {
	quiet := slog.New(slog.NewJSONHandler(io.Discard, nil))
	h, err := notifier.New(notifier.Config{Adapter: "log"}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := h.Sender.(*notice.LogSender); !ok {
		t.Errorf("log adapter: %T", h.Sender)
	}
	if _, err := notifier.New(notifier.Config{Adapter: "wechat"}, quiet); !apperr.Is(err, "unknown_notify_adapter") {
		t.Errorf("an adapter this build lacks: %v", err)
	}
}
