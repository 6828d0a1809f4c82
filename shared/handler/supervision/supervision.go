// Package supervision is the scheduled watch over cases (督办) so that none is forgotten: an
// assigned case not accepted within the push timeout goes back to routing (the helper skipped
// next time); an open case past its due time escalates step by step — team lead, unit
// administrator, city — with a notice to each on the notifications queue; cases waiting in a team
// queue are offered to routing again, priority first. It is idempotent: a
// second or late run finds the steps already taken.
package supervision

import (
	"context"
	"log/slog"
	"time"

	"banban/shared/apperr"
	"banban/shared/calendar"
	"banban/shared/cases"
	"banban/shared/dynamo"
	"banban/shared/logging"
	"banban/shared/queue"
)

// Config is read from the environment set by template.yaml.
type Config struct {
	CasesTable         string        `env:"CASES_TABLE,required"`
	DirectoryTable     string        `env:"DIRECTORY_TABLE,required"`
	CaseEventsQueue    string        `env:"CASE_EVENTS_QUEUE_URL,required"`
	NotificationsQueue string        `env:"NOTIFICATIONS_QUEUE_URL,required"`
	AcceptTimeout      time.Duration `env:"ACCEPT_TIMEOUT" envDefault:"30m"`
}

// batch bounds one run; a backlog is worked off over the next runs.
const batch = 500

// Cases is the part of the case store supervision uses.
type Cases interface {
	Watch(ctx context.Context, index string, until time.Time, limit int) ([]string, error)
	Peek(ctx context.Context, id string) (cases.Case, error)
	Patch(ctx context.Context, c cases.Case, ev cases.Event) error
	EventSent(ctx context.Context, id string, version int) error
	NoticeSent(ctx context.Context, id string, level int) error
}

// Sender sends messages to a queue.
type Sender interface {
	Send(ctx context.Context, v any) error
}

// Handler is the scheduled job.
type Handler struct {
	Cases         Cases
	Events        Sender
	Notices       Sender
	Calendar      func(ctx context.Context) (*calendar.Calendar, error)
	AcceptTimeout time.Duration
	Now           func() time.Time
	Log           *slog.Logger
}

// New wires the job.
func New(cfg Config, db dynamo.API, sqs queue.API, now func() time.Time, log *slog.Logger) *Handler {
	dir := &dynamo.Directory{DB: db, Table: cfg.DirectoryTable}
	return &Handler{
		Cases:         &dynamo.Cases{DB: db, Table: cfg.CasesTable},
		Events:        &queue.Sender{SQS: sqs, URL: cfg.CaseEventsQueue},
		Notices:       &queue.Sender{SQS: sqs, URL: cfg.NotificationsQueue},
		Calendar:      dir.Calendars(now),
		AcceptTimeout: cfg.AcceptTimeout,
		Now:           now,
		Log:           log,
	}
}

// Notice tells a supervisor about an overdue case: ids and figures, no personal data.
type Notice struct {
	Type               string    `json:"type"` // case.overdue
	CaseID             string    `json:"caseId"`
	TrackingNo         string    `json:"trackingNo"`
	Level              int       `json:"level"`
	Recipient          string    `json:"recipient"` // team_lead, unit_admin, city_admin
	HallID             string    `json:"hallId"`
	SupervisedBy       string    `json:"supervisedBy,omitempty"` // the hall that transferred the case
	Units              []string  `json:"units"`
	Assignee           string    `json:"assignee,omitempty"`
	DueAt              time.Time `json:"dueAt"`
	OverdueWorkingDays int       `json:"overdueWorkingDays"`
}

var recipients = map[int]string{cases.TeamLead: "team_lead", cases.UnitAdmin: "unit_admin", cases.City: "city_admin"}

// Result is what one run did.
type Result struct {
	TimedOut  int `json:"timedOut"`
	Escalated int `json:"escalated"`
	Notices   int `json:"notices"`
	Rerouted  int `json:"rerouted"`
}

// Handle runs one round. The scheduler's payload carries nothing the job needs.
func (h *Handler) Handle(ctx context.Context, _ map[string]any) (Result, error) {
	log := logging.ForInvocation(ctx, h.Log)
	now := h.Now()
	var res Result
	if err := h.timeouts(ctx, now, &res); err != nil {
		log.Error("acceptance timeouts failed; the next run retries", "error", err.Error())
		return res, err
	}
	if err := h.overdue(ctx, now, &res); err != nil {
		log.Error("overdue supervision failed; the next run retries", "error", err.Error())
		return res, err
	}
	if err := h.queued(ctx, &res); err != nil {
		log.Error("rerouting queued cases failed; the next run retries", "error", err.Error())
		return res, err
	}
	log.Info("supervision round", "timedOut", res.TimedOut, "escalated", res.Escalated, "notices", res.Notices)
	return res, nil
}

func (h *Handler) timeouts(ctx context.Context, now time.Time, res *Result) error {
	ids, err := h.Cases.Watch(ctx, "gsi6", now.Add(-h.AcceptTimeout), batch)
	if err != nil {
		return err
	}
	for _, id := range ids {
		c, err := h.Cases.Peek(ctx, id)
		if err != nil {
			return err
		}
		next, ev, ok := c.TimeOut(now, h.AcceptTimeout)
		if !ok {
			continue
		}
		if err := h.Cases.Patch(ctx, next, ev); err != nil {
			if apperr.Is(err, "stale_version") {
				continue // accepted or changed meanwhile
			}
			return err
		}
		res.TimedOut++
		// Routing gives the capacity back and offers the case to someone else.
		if err := h.Events.Send(ctx, cases.MessageOf(cases.EventChanged, next)); err != nil {
			return err
		}
		if err := h.Cases.EventSent(ctx, next.ID, next.Version); err != nil {
			return err
		}
	}
	return nil
}

func (h *Handler) overdue(ctx context.Context, now time.Time, res *Result) error {
	ids, err := h.Cases.Watch(ctx, "gsi5", now, batch)
	if err != nil {
		return err
	}
	cal, err := h.Calendar(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		c, err := h.Cases.Peek(ctx, id)
		if err != nil {
			return err
		}
		days := cal.WorkingDaysBetween(c.DueAt, now)
		if next, ev, ok := c.Escalate(cases.SupervisionLevel(days, now.After(c.DueAt)), now); ok {
			if err := h.Cases.Patch(ctx, next, ev); err != nil {
				if apperr.Is(err, "stale_version") {
					continue // changed meanwhile: the next run looks again
				}
				return err
			}
			res.Escalated++
			c = next
		}
		if c.NoticePending > 0 {
			n := Notice{Type: "case.overdue", CaseID: c.ID, TrackingNo: c.TrackingNo, Level: c.NoticePending,
				Recipient: recipients[c.NoticePending], HallID: c.HallID, SupervisedBy: c.SupervisedBy, Units: c.Units, Assignee: c.Assignee,
				DueAt: c.DueAt, OverdueWorkingDays: days}
			if err := h.Notices.Send(ctx, n); err != nil {
				return err // the notice stays pending: the next run sends it
			}
			if err := h.Cases.NoticeSent(ctx, c.ID, c.NoticePending); err != nil {
				return err
			}
			res.Notices++
		}
	}
	return nil
}

// queued asks routing to try again every case waiting in a team queue (flagged overflow), priority
// cases first: helpers may have come on duty or freed capacity since.
func (h *Handler) queued(ctx context.Context, res *Result) error {
	ids, err := h.Cases.Watch(ctx, "gsi7", time.Time{}, batch)
	if err != nil {
		return err
	}
	for _, id := range ids {
		c, err := h.Cases.Peek(ctx, id)
		if err != nil {
			return err
		}
		if c.Overflow == "" || (c.State != cases.Received && c.State != cases.Transferred) {
			continue
		}
		m := cases.MessageOf(cases.EventReroute, c)
		if err := h.Events.Send(ctx, m); err != nil {
			return err
		}
		res.Rerouted++
	}
	return nil
}
