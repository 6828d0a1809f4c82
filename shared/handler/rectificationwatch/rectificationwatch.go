// Package rectificationwatch is the scheduled watch over rectification tickets (查摆整改): the unit
// hears of a ticket when it opens; a ticket whose same-day first response is missed, and one past
// its due time without verified measures, is marked late (kept for scoring) with a notice to the
// unit, and for an overdue one to the city too. It reads only the tickets due by now from a
// sparse, sharded index. Each notice is pending in the ticket until it is recorded as sent, so a
// crash between marking and sending loses nothing, and a repeated or late run sends nothing twice.
package rectificationwatch

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"banban/shared/apperr"
	"banban/shared/auth"
	"banban/shared/dynamo"
	"banban/shared/logging"
	"banban/shared/notice"
	"banban/shared/queue"
	"banban/shared/rectification"
)

// Config is read from the environment set by template.yaml.
type Config struct {
	RatingsTable       string `env:"RATINGS_TABLE,required"`
	NotificationsQueue string `env:"NOTIFICATIONS_QUEUE_URL,required"`
}

// batch bounds one run; a backlog is worked off over the next runs.
const batch = 500

// Tickets is the part of the ticket store the watch uses.
type Tickets interface {
	Watch(ctx context.Context, until time.Time, limit int) ([]string, error)
	Get(ctx context.Context, id string) (rectification.Ticket, error)
	Update(ctx context.Context, t rectification.Ticket) (rectification.Ticket, error)
}

// Sender sends messages to a queue.
type Sender interface {
	Send(ctx context.Context, v any) error
}

// Handler is the scheduled job.
type Handler struct {
	Tickets Tickets
	Notices Sender
	Now     func() time.Time
	Log     *slog.Logger
}

// New wires the job.
func New(cfg Config, db dynamo.API, sqs queue.API, now func() time.Time, log *slog.Logger) *Handler {
	return &Handler{
		Tickets: &dynamo.Rectifications{DB: db, Table: cfg.RatingsTable},
		Notices: &queue.Sender{SQS: sqs, URL: cfg.NotificationsQueue},
		Now:     now,
		Log:     log,
	}
}

// Notice tells a unit administrator or the city about a ticket: ids and times, never the rater
// and never the comment. ID is the same each time the same notice is sent, so a consumer that
// sees it twice (after a crash between sending and recording) can drop the second.
type Notice struct {
	ID        string      `json:"id"`   // rect:<ticket>:<kind>:<recipient>
	Type      notice.Type `json:"type"` // rectification.opened | rectification.response_late | rectification.overdue
	TicketID  string      `json:"ticketId"`
	Recipient auth.Role   `json:"recipient"` // unit_admin or city_admin
	UnitID    string      `json:"unitId"`
	HallID    string      `json:"hallId"`
	WindowID  string      `json:"windowId"`
	Level     int         `json:"level"`
	State     string      `json:"state"`
	OpenedAt  time.Time   `json:"openedAt"`
	RespondBy time.Time   `json:"respondBy"`
	DueAt     time.Time   `json:"dueAt"`
	OverdueAt *time.Time  `json:"overdueAt,omitempty"`
}

// noticeTypes are the types of the ticket notices on the queue.
var noticeTypes = map[rectification.Notice]notice.Type{
	rectification.NoticeOpened:       notice.RectificationOpened,
	rectification.NoticeResponseLate: notice.RectificationResponseLate,
	rectification.NoticeOverdue:      notice.RectificationOverdue,
}

// NoticesOf are the messages of notice n of ticket t, one per recipient.
func NoticesOf(t rectification.Ticket, n rectification.Notice) []Notice {
	var out []Notice
	for _, r := range n.Recipients() {
		out = append(out, Notice{ID: "rect:" + t.ID + ":" + string(n) + ":" + string(r), Type: noticeTypes[n],
			TicketID: t.ID, Recipient: r, UnitID: t.UnitID, HallID: t.HallID, WindowID: t.WindowID, Level: int(t.Level),
			State: string(t.State), OpenedAt: t.OpenedAt, RespondBy: t.RespondBy, DueAt: t.DueAt, OverdueAt: t.OverdueAt})
	}
	return out
}

// Result is what one run did.
type Result struct {
	Marked  int `json:"marked"`  // tickets newly marked late or overdue
	Notices int `json:"notices"` // messages sent
}

// Handle runs one round. The scheduler's payload carries nothing the job needs.
func (h *Handler) Handle(ctx context.Context, _ map[string]any) (Result, error) {
	log := logging.ForInvocation(ctx, h.Log)
	now := h.Now()
	var res Result
	ids, err := h.Tickets.Watch(ctx, now, batch)
	if err != nil {
		log.Error("rectification watch failed; the next run retries", "error", err.Error())
		return res, err
	}
	for _, id := range ids {
		if err := h.watch(ctx, id, now, &res); err != nil {
			log.Error("rectification watch failed; the next run retries", "ticket", id, "error", err.Error())
			return res, err
		}
	}
	log.Info("rectification watch round", "due", len(ids), "marked", res.Marked, "notices", res.Notices)
	return res, nil
}

func (h *Handler) watch(ctx context.Context, id string, now time.Time, res *Result) error {
	t, err := h.Tickets.Get(ctx, id)
	if err != nil {
		return err
	}
	if next, changed := t.Watch(now); changed {
		stored, err := h.Tickets.Update(ctx, next)
		if err != nil {
			if apperr.Is(err, "stale_version") {
				return nil // answered or reviewed meanwhile: the next run looks again
			}
			return err
		}
		res.Marked++
		t = stored
	}
	for _, n := range t.PendingNotices() {
		for _, msg := range NoticesOf(t, n) {
			if err := h.Notices.Send(ctx, msg); err != nil {
				return err // the notice stays pending: the next run sends it
			}
			res.Notices++
		}
		if t, err = h.sent(ctx, t, n); err != nil {
			return err
		}
	}
	return nil
}

// sent records notice n of t as sent; when the ticket changed meanwhile (a unit answering), it
// reads it again and records it there.
func (h *Handler) sent(ctx context.Context, t rectification.Ticket, n rectification.Notice) (rectification.Ticket, error) {
	for range 3 {
		if !slices.Contains(t.PendingNotices(), n) {
			return t, nil // recorded meanwhile (a run that overlapped this one)
		}
		stored, err := h.Tickets.Update(ctx, t.NoticeSent(n))
		if err == nil {
			return stored, nil
		}
		if !apperr.Is(err, "stale_version") {
			return t, err
		}
		if t, err = h.Tickets.Get(ctx, t.ID); err != nil {
			return t, err
		}
	}
	return t, apperr.New(apperr.Conflict, "stale_version", "ticket %s kept changing while its notice was recorded", t.ID)
}
