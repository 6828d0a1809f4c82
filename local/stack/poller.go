package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// PollerConfig describes one SQS event source mapping.
type PollerConfig struct {
	Function string // logical id, for logs
	Event    string
	Invoke   func(ctx context.Context, payload []byte) ([]byte, error)
	SQS      *sqs.Client
	QueueURL string
	QueueARN string
	Region   string
	// BatchSize is the most records per invocation (SQS event BatchSize).
	BatchSize int
	// BatchWindow is MaximumBatchingWindowInSeconds: how long to gather a batch before invoking.
	BatchWindow time.Duration
	// ReportBatchItemFailures is true when FunctionResponseTypes has ReportBatchItemFailures.
	ReportBatchItemFailures bool
	// Wait is the long-poll WaitTimeSeconds of each ReceiveMessage (default 2 s).
	Wait time.Duration
	// Pollers is the number of concurrent poll loops (default 1).
	Pollers int
}

// Poller feeds an SQS queue to a function like Lambda's event source mapping.
type Poller struct {
	cfg    PollerConfig
	cancel context.CancelFunc
	wg     sync.WaitGroup
	log    *slog.Logger
}

// StartPoller starts the poll loops.
func StartPoller(cfg PollerConfig) *Poller {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 10
	}
	if cfg.Wait <= 0 {
		cfg.Wait = 2 * time.Second
	}
	if cfg.Pollers <= 0 {
		cfg.Pollers = 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Poller{cfg: cfg, cancel: cancel, log: slog.With("function", cfg.Function, "event", cfg.Event, "queue", cfg.QueueURL)}
	for range cfg.Pollers {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.loop(ctx)
		}()
	}
	return p
}

// Stop stops polling and waits for in-flight batches to finish. A long poll in progress is
// abandoned; a message the server hands out at that instant stays invisible until its visibility
// timeout, as with any consumer that goes away.
func (p *Poller) Stop() {
	p.cancel()
	p.wg.Wait()
}

func (p *Poller) loop(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		msgs, err := p.gather(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			p.log.Warn("receive failed", "err", err, "retryIn", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		if len(msgs) == 0 {
			continue
		}
		// The batch is processed to the end even during shutdown, so that what the function did is
		// reflected in the queue (deleted or left for retry), never half-done.
		if err := p.handle(context.WithoutCancel(ctx), msgs); err != nil {
			p.log.Warn("batch not (fully) processed; messages return after their visibility timeout", "err", err)
		}
	}
}

// gather receives up to BatchSize messages: one long poll, then, within the batching window,
// more receives until the batch is full or the window closes.
func (p *Poller) gather(ctx context.Context) ([]sqstypes.Message, error) {
	// The long poll asks for one message: the local SQS server holds a long poll until it can fill
	// MaxNumberOfMessages or the wait ends (measured: a lone message waited the full second),
	// where SQS answers as soon as there is any. What else is there is taken without waiting.
	msgs, err := p.receive(ctx, 1, p.cfg.Wait)
	if err != nil || len(msgs) == 0 {
		return msgs, err
	}
	if p.cfg.BatchSize > 1 {
		more, err := p.receive(ctx, p.cfg.BatchSize-1, 0)
		if err != nil {
			p.log.Debug("receive after the long poll", "err", err)
		}
		msgs = append(msgs, more...)
	}
	if p.cfg.BatchWindow <= 0 {
		return msgs, nil
	}
	// Like Lambda, keep gathering until the batch is full or the window closes. WaitTimeSeconds
	// has a one-second granularity, so the last part of the window polls without waiting.
	deadline := time.Now().Add(p.cfg.BatchWindow)
	for len(msgs) < p.cfg.BatchSize {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		wait := left.Truncate(time.Second)
		more, err := p.receive(ctx, p.cfg.BatchSize-len(msgs), wait)
		if err != nil {
			// Keep what we have: those messages are already invisible to others.
			p.log.Debug("receive within batching window", "err", err)
			break
		}
		msgs = append(msgs, more...)
		if len(more) == 0 && wait == 0 {
			select {
			case <-ctx.Done():
				return msgs, nil
			case <-time.After(min(left, 50*time.Millisecond)): // poll interval within the window
			}
		}
	}
	return msgs, nil
}

func (p *Poller) receive(ctx context.Context, n int, wait time.Duration) ([]sqstypes.Message, error) {
	in := &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(p.cfg.QueueURL),
		MaxNumberOfMessages:         int32(min(n, 10)),
		WaitTimeSeconds:             int32(min(wait/time.Second, 20)),
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	}
	// The deprecated field too: local-aws-sqs returns no attributes without it (measured); AWS
	// accepts both.
	//lint:ignore SA1019 local-aws-sqs only understands the deprecated field
	in.AttributeNames = []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}
	out, err := p.cfg.SQS.ReceiveMessage(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("receive: %w", err)
	}
	return out.Messages, nil
}

// SQSEvent builds the event Lambda sends for a batch of received messages.
func SQSEvent(msgs []sqstypes.Message, queueARN, region string) events.SQSEvent {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, 0, len(msgs))}
	for _, m := range msgs {
		rec := events.SQSMessage{
			MessageId:              aws.ToString(m.MessageId),
			ReceiptHandle:          aws.ToString(m.ReceiptHandle),
			Body:                   aws.ToString(m.Body),
			Md5OfBody:              aws.ToString(m.MD5OfBody),
			Md5OfMessageAttributes: aws.ToString(m.MD5OfMessageAttributes),
			Attributes:             map[string]string{},
			MessageAttributes:      map[string]events.SQSMessageAttribute{},
			EventSourceARN:         queueARN,
			EventSource:            "aws:sqs",
			AWSRegion:              region,
		}
		for k, v := range m.Attributes {
			rec.Attributes[k] = v
		}
		for k, v := range m.MessageAttributes {
			rec.MessageAttributes[k] = events.SQSMessageAttribute{
				StringValue:      v.StringValue,
				BinaryValue:      v.BinaryValue,
				StringListValues: v.StringListValues,
				BinaryListValues: v.BinaryListValues,
				DataType:         aws.ToString(v.DataType),
			}
		}
		ev.Records = append(ev.Records, rec)
	}
	return ev
}

// ErrBatchFailed means the function reported the whole batch as failed: the invocation errored,
// or its batchItemFailures was malformed.
var ErrBatchFailed = errors.New("batch failed")

// handle invokes the function with the batch and deletes what succeeded.
func (p *Poller) handle(ctx context.Context, msgs []sqstypes.Message) error {
	payload, err := json.Marshal(SQSEvent(msgs, p.cfg.QueueARN, p.cfg.Region))
	if err != nil {
		return fmt.Errorf("marshal event: %w", err)
	}
	out, err := p.cfg.Invoke(ctx, payload)
	if err != nil {
		// Lambda deletes nothing when the invocation fails: the whole batch is retried.
		return fmt.Errorf("%w: invoke: %w", ErrBatchFailed, err)
	}
	succeeded := msgs
	if p.cfg.ReportBatchItemFailures {
		succeeded, err = SucceededMessages(msgs, out)
		if err != nil {
			return err
		}
	}
	if n := len(msgs) - len(succeeded); n > 0 {
		p.log.Info("batch item failures; those messages will be retried", "failed", n, "of", len(msgs))
	}
	return deleteMessages(ctx, p.cfg.SQS, p.cfg.QueueURL, succeeded)
}

// SucceededMessages applies a ReportBatchItemFailures response: it returns the messages not
// listed in batchItemFailures. As Lambda does, an empty or null response means all succeeded, and
// a failure whose itemIdentifier is empty or not in the batch fails the whole batch.
func SucceededMessages(msgs []sqstypes.Message, response []byte) ([]sqstypes.Message, error) {
	var resp events.SQSEventResponse
	if len(response) > 0 && string(response) != "null" {
		if err := json.Unmarshal(response, &resp); err != nil {
			return nil, fmt.Errorf("%w: response is not an SQSEventResponse: %w", ErrBatchFailed, err)
		}
	}
	failed := map[string]bool{}
	inBatch := map[string]bool{}
	for _, m := range msgs {
		inBatch[aws.ToString(m.MessageId)] = true
	}
	for _, f := range resp.BatchItemFailures {
		if f.ItemIdentifier == "" || !inBatch[f.ItemIdentifier] {
			return nil, fmt.Errorf("%w: batchItemFailures names %q, not a message of the batch", ErrBatchFailed, f.ItemIdentifier)
		}
		failed[f.ItemIdentifier] = true
	}
	var ok []sqstypes.Message
	for _, m := range msgs {
		if !failed[aws.ToString(m.MessageId)] {
			ok = append(ok, m)
		}
	}
	return ok, nil
}

func deleteMessages(ctx context.Context, c *sqs.Client, queueURL string, msgs []sqstypes.Message) error {
	var errs []error
	for start := 0; start < len(msgs); start += 10 {
		chunk := msgs[start:min(start+10, len(msgs))]
		entries := make([]sqstypes.DeleteMessageBatchRequestEntry, len(chunk))
		for i, m := range chunk {
			entries[i] = sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
		}
		out, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(queueURL), Entries: entries})
		if err != nil {
			errs = append(errs, fmt.Errorf("delete messages: %w", err))
			continue
		}
		for _, f := range out.Failed {
			errs = append(errs, fmt.Errorf("delete message %s: %s %s", aws.ToString(f.Id), aws.ToString(f.Code), aws.ToString(f.Message)))
		}
	}
	return errors.Join(errs...)
}
