// Package queue is the SQS adapter: it sends domain messages as JSON.
package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"banban/shared/apperr"
)

// API is the part of the SQS client the adapter uses; *sqs.Client satisfies it.
type API interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
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
