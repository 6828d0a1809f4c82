// Package queue is the SQS adapter: it sends domain messages as JSON.
package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"banban/shared/apperr"
)

// API is the part of the SQS client the adapter uses; *sqs.Client satisfies it.
type API interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

var _ API = (*sqs.Client)(nil)

// sendTimeout bounds every send: locally a Lambda deadline may be missing.
const sendTimeout = 5 * time.Second

// Sender sends JSON messages to one queue.
type Sender struct {
	SQS API
	URL string
}

// Send encodes v as JSON and sends it. A failure is Unavailable: the caller answers 503 and the
// client retries, so nothing accepted is lost.
func (s *Sender) Send(ctx context.Context, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode message: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	text := string(body)
	if _, err := s.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &s.URL, MessageBody: &text}); err != nil {
		return apperr.Wrap(err, apperr.Unavailable, "queue_unavailable", "the rating could not be queued, try again")
	}
	return nil
}

// SendBatch sends messages ten to a call (SQS's limit). Any message not sent fails the whole
// call with Unavailable: the client sends them all again, and their ids make that harmless.
func (s *Sender) SendBatch(ctx context.Context, vs []any) error {
	for start := 0; start < len(vs); start += 10 {
		end := min(start+10, len(vs))
		entries := make([]types.SendMessageBatchRequestEntry, 0, end-start)
		for i, v := range vs[start:end] {
			body, err := json.Marshal(v)
			if err != nil {
				return fmt.Errorf("encode message: %w", err)
			}
			entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(string(body))})
		}
		cctx, cancel := context.WithTimeout(ctx, sendTimeout)
		out, err := s.SQS.SendMessageBatch(cctx, &sqs.SendMessageBatchInput{QueueUrl: &s.URL, Entries: entries})
		cancel()
		if err == nil && len(out.Failed) > 0 {
			err = fmt.Errorf("%d of %d messages not sent: %s", len(out.Failed), len(entries), aws.ToString(out.Failed[0].Message))
		}
		if err != nil {
			return apperr.Wrap(err, apperr.Unavailable, "queue_unavailable", "the ratings could not be queued, try again")
		}
	}
	return nil
}
