// Package notifier consumes the notifications queue: each notice is read, checked and handed to
// a delivery adapter. A message that can never be delivered (poison: unreadable, of an unknown
// type, without its recipient or routing ids) is reported as a failure, so after the queue's
// maxReceiveCount it rests in the dead-letter queue; a notice the adapter fails to send is
// reported too and comes back for another try.
//
// Delivery is at least once: the queue may redeliver a notice, and a job may send the same notice
// twice (between sending and recording it). Notices repeat their id, and a batch delivers each id
// once; an adapter that reaches people must also drop an id it delivered before.
package notifier

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"banban/shared/apperr"
	"banban/shared/logging"
	"banban/shared/notice"
)

// Config is read from the environment set by template.yaml.
type Config struct {
	// Adapter is how notices reach people: "log" (the default, and offline) writes one log line
	// per notice.
	Adapter string `env:"NOTIFY_ADAPTER" envDefault:"log"`
}

// Sender delivers one notice to its recipient: the delivery adapter.
//
// An adapter reaching people (a WeChat subscription message to the requester's openid, found by
// the subject; an SMS to a unit administrator's phone, found in the directory) must: drop a notice
// whose ID it has delivered before (a conditional put of the id with a TTL), so a redelivered
// notice reaches nobody twice; return an error for a failure worth retrying, which redelivers the
// notice; look up addresses itself and never put them, or any personal data, in its errors or
// logs.
type Sender interface {
	Send(ctx context.Context, n notice.Notice) error
}

// Handler is the SQS consumer.
type Handler struct {
	Sender Sender
	Log    *slog.Logger
}

// New wires the handler to the adapter cfg names.
func New(cfg Config, log *slog.Logger) (*Handler, error) {
	var s Sender
	switch cfg.Adapter {
	case "log":
		s = &notice.LogSender{Log: log}
	// A real adapter (wechat, sms) is chosen here, with the clients it needs passed to New.
	default:
		return nil, apperr.New(apperr.Invalid, "unknown_notify_adapter", "NOTIFY_ADAPTER %q is not an adapter of this build (log)", cfg.Adapter)
	}
	return &Handler{Sender: s, Log: log}, nil
}

// Handle delivers a batch and reports the messages to redeliver.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	log := logging.ForInvocation(ctx, h.Log)
	var resp events.SQSEventResponse
	fail := func(msgID string) {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msgID})
	}
	seen := make(map[string]bool, len(ev.Records))
	for _, m := range ev.Records {
		n, err := notice.Parse([]byte(m.Body))
		if err != nil {
			// Poison: never deliverable. Reported so it reaches the DLQ after maxReceiveCount; the
			// log names the message and the field at fault, never the content.
			attrs := []any{"messageId", m.MessageId}
			if e, ok := apperr.As(err); ok {
				attrs = append(attrs, "code", e.Code, "field", e.Field)
			}
			log.Error("unreadable notice message", attrs...)
			fail(m.MessageId)
			continue
		}
		if seen[n.ID] {
			// The same notice twice in a batch: the first copy stands for both.
			log.Info("repeated notice dropped", "messageId", m.MessageId, "id", n.ID, "type", string(n.Type))
			continue
		}
		seen[n.ID] = true
		if err := h.Sender.Send(ctx, n); err != nil {
			log.Error("sending a notice failed; it will be redelivered", "messageId", m.MessageId, "id", n.ID, "type", string(n.Type), "error", err.Error())
			fail(m.MessageId)
		}
	}
	return resp, nil
}
