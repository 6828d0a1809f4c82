package notice

import (
	"context"
	"log/slog"
)

// LogSender is the delivery adapter that writes one structured log line per notice: its type, id,
// recipient and routing ids. It is the default and the local stack's adapter, until a channel to
// people (WeChat subscription messages, SMS) is configured. It logs whether a requester's
// subject is present, never the subject itself, and nothing of the type's own fields.
//
// It does not drop repeats: a notice redelivered by the queue is logged again.
type LogSender struct {
	Log *slog.Logger
}

// Send logs n.
func (s *LogSender) Send(ctx context.Context, n Notice) error {
	attrs := []slog.Attr{
		slog.String("type", string(n.Type)),
		slog.String("id", n.ID),
		slog.String("recipient", string(n.Recipient)),
		slog.Bool("hasSubject", n.Subject != ""),
	}
	for _, id := range []struct{ key, value string }{
		{"caseId", n.CaseID}, {"ticketId", n.TicketID}, {"unitId", n.UnitID}, {"hallId", n.HallID},
		{"windowId", n.WindowID}, {"supervisedBy", n.SupervisedBy}, {"assignee", n.Assignee},
	} {
		if id.value != "" {
			attrs = append(attrs, slog.String(id.key, id.value))
		}
	}
	if len(n.Units) > 0 {
		attrs = append(attrs, slog.Any("units", n.Units))
	}
	s.Log.LogAttrs(ctx, slog.LevelInfo, "notice", attrs...)
	return nil
}
