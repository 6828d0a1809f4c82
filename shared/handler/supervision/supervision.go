// Package supervision is the scheduled watch over cases (督办) so that none is forgotten: an
// assigned case not accepted within the push timeout goes back to routing (the helper skipped
// next time); an open case past its due time escalates step by step — team lead, unit
// administrator, city — with a notice to each on the notifications queue; cases waiting in a team
// queue are offered to routing again, priority first. A completed or refused case of a
// mini-program requester is followed up for its rating: an invitation when it closes, one
// reminder, the provincial default rating if configured, and any accepted rating whose message is
// not yet on the ratings queue is sent again. It is idempotent: a second or late run finds the
// steps already taken.
package supervision

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"banban/shared/apperr"
	"banban/shared/calendar"
	"banban/shared/caserating"
	"banban/shared/cases"
	"banban/shared/dynamo"
	"banban/shared/logging"
	"banban/shared/notice"
	"banban/shared/pii"
	"banban/shared/queue"
	"banban/shared/rating"
)

// Config is read from the environment set by template.yaml.
type Config struct {
	CasesTable         string        `env:"CASES_TABLE,required"`
	DirectoryTable     string        `env:"DIRECTORY_TABLE,required"`
	CaseEventsQueue    string        `env:"CASE_EVENTS_QUEUE_URL,required"`
	NotificationsQueue string        `env:"NOTIFICATIONS_QUEUE_URL,required"`
	AcceptTimeout      time.Duration `env:"ACCEPT_TIMEOUT" envDefault:"30m"`
	RatingsQueue       string        `env:"RATINGS_QUEUE_URL,required"`
	// RatingKey wraps the secret of case rating ids (a KMS key, or file:// offline).
	RatingKey          string `env:"RATING_KEY,required"`
	RatingWindowDays   int    `env:"RATING_WINDOW_DAYS" envDefault:"7"`
	RatingReminderDays int    `env:"RATING_REMINDER_DAYS" envDefault:"3"`
	// DefaultRatingDays turns on the provincial rule "no rating within N days counts as 基本满意"
	// (0, the default, is off).
	DefaultRatingDays int `env:"DEFAULT_RATING_DAYS" envDefault:"0"`
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
	PeekRating(ctx context.Context, id string) (cases.Case, cases.RatingProgress, error)
	RatingStepDone(ctx context.Context, id string, step cases.RatingStep, next time.Time) error
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
	// Rater gives default ratings and sends pending ones again, under the rules.
	Rater       *caserating.Rater
	RatingRules cases.RatingRules
	Now         func() time.Time
	Log         *slog.Logger
}

// New wires the job. ratingKeys wraps the secret of rating ids (and nothing else: supervision
// never reads personal data).
func New(ctx context.Context, cfg Config, db dynamo.API, sqs queue.API, ratingKeys pii.KeyService, now func() time.Time, log *slog.Logger) (*Handler, error) {
	dir := &dynamo.Directory{DB: db, Table: cfg.DirectoryTable}
	store := &dynamo.Cases{DB: db, Table: cfg.CasesTable}
	ratingKey, err := (&dynamo.Secrets{DB: db, Table: cfg.CasesTable}).Key(ctx, dynamo.RatingIDKey, ratingKeys)
	if err != nil {
		return nil, fmt.Errorf("rating id key: %w", err)
	}
	return &Handler{
		Cases:         store,
		Events:        &queue.Sender{SQS: sqs, URL: cfg.CaseEventsQueue},
		Notices:       &queue.Sender{SQS: sqs, URL: cfg.NotificationsQueue},
		Calendar:      dir.Calendars(now),
		AcceptTimeout: cfg.AcceptTimeout,
		Rater:         &caserating.Rater{Store: store, Queue: &queue.Sender{SQS: sqs, URL: cfg.RatingsQueue}, Key: ratingKey},
		RatingRules:   cases.RatingRules{WindowDays: cfg.RatingWindowDays, ReminderDays: cfg.RatingReminderDays, DefaultDays: cfg.DefaultRatingDays},
		Now:           now,
		Log:           log,
	}, nil
}

// Notice tells a supervisor about an overdue case: ids and figures, no personal data.
type Notice struct {
	Type               notice.Type      `json:"type"` // case.overdue
	CaseID             string           `json:"caseId"`
	TrackingNo         string           `json:"trackingNo"`
	Level              int              `json:"level"`
	Recipient          notice.Recipient `json:"recipient"` // team_lead, unit_admin, city_admin
	HallID             string           `json:"hallId"`
	SupervisedBy       string           `json:"supervisedBy,omitempty"` // the hall that transferred the case
	Units              []string         `json:"units"`
	Assignee           string           `json:"assignee,omitempty"`
	DueAt              time.Time        `json:"dueAt"`
	OverdueWorkingDays int              `json:"overdueWorkingDays"`
}

var recipients = map[int]notice.Recipient{cases.TeamLead: notice.TeamLead, cases.UnitAdmin: notice.UnitAdmin, cases.City: notice.CityAdmin}

// RatingNotice invites the requester of a closed case to rate it, or reminds them once: ids and
// times, no personal data. ID is the same whenever the notice is sent again (a run that failed
// between sending and recording it), so delivery drops repeats.
type RatingNotice struct {
	Type       notice.Type      `json:"type"` // rating.invitation, rating.reminder
	ID         string           `json:"id"`   // <caseId>:<type>
	CaseID     string           `json:"caseId"`
	TrackingNo string           `json:"trackingNo"`
	Recipient  notice.Recipient `json:"recipient"` // requester
	Subject    string           `json:"subject"`   // the requester's token subject
	State      cases.State      `json:"state"`     // completed or unable
	ClosedAt   time.Time        `json:"closedAt"`
	RateBy     time.Time        `json:"rateBy"` // the first instant a rating is no longer accepted
}

var ratingNoticeTypes = map[cases.RatingStep]notice.Type{cases.StepInvite: notice.RatingInvitation, cases.StepRemind: notice.RatingReminder}

// Result is what one run did.
type Result struct {
	TimedOut       int `json:"timedOut"`
	Escalated      int `json:"escalated"`
	Notices        int `json:"notices"`
	Rerouted       int `json:"rerouted"`
	Invitations    int `json:"ratingInvitations"`
	Reminders      int `json:"ratingReminders"`
	DefaultRatings int `json:"defaultRatings"`
	RatingsResent  int `json:"ratingsResent"`
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
	if err := h.ratings(ctx, now, &res); err != nil {
		log.Error("rating follow-up failed; the next run retries", "error", err.Error())
		return res, err
	}
	log.Info("supervision round", "timedOut", res.TimedOut, "escalated", res.Escalated, "notices", res.Notices,
		"ratingInvitations", res.Invitations, "ratingReminders", res.Reminders, "defaultRatings", res.DefaultRatings, "ratingsResent", res.RatingsResent)
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
			n := Notice{Type: notice.CaseOverdue, CaseID: c.ID, TrackingNo: c.TrackingNo, Level: c.NoticePending,
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

// ratings follows up the closed cases whose next rating step is due (gsi8, no scan).
func (h *Handler) ratings(ctx context.Context, now time.Time, res *Result) error {
	ids, err := h.Cases.Watch(ctx, "gsi8", now, batch)
	if err != nil {
		return err
	}
	for _, id := range ids {
		c, done, err := h.Cases.PeekRating(ctx, id)
		if err != nil {
			return err
		}
		if err := h.followUp(ctx, c, done, now, res); err != nil {
			return fmt.Errorf("case %s: %w", id, err)
		}
	}
	return nil
}

// followUp takes the case's due rating step and files it under the next.
func (h *Handler) followUp(ctx context.Context, c cases.Case, done cases.RatingProgress, now time.Time, res *Result) error {
	step, due := h.RatingRules.NextStep(c, done, now)
	if step == cases.StepNone || due.After(now) {
		// Nothing left, or not yet due (the rules changed since it was filed): file it again.
		return h.Cases.RatingStepDone(ctx, c.ID, cases.StepNone, due)
	}
	switch step {
	case cases.StepResend:
		r, _, found, err := h.Rater.Kept(ctx, c.ID)
		if err != nil {
			return err
		}
		if !found {
			h.Log.Error("a pending case rating has no kept rating to send", "caseId", c.ID)
			return h.Cases.RatingStepDone(ctx, c.ID, cases.StepNone, time.Time{})
		}
		if err := h.Rater.Send(ctx, c.ID, r); err != nil {
			return err
		}
		res.RatingsResent++
		return nil
	case cases.StepDefault:
		r, err := cases.RatingOf(c, h.Rater.ID(c.ID), rating.ChannelDefault, rating.BasicallySatisfied, nil, "", due, now)
		if err != nil {
			h.Log.Warn("no default rating for a case without helper or unit", "caseId", c.ID)
			return h.Cases.RatingStepDone(ctx, c.ID, cases.StepNone, time.Time{})
		}
		err = h.Rater.Give(ctx, c, r, defaultRequest, now)
		if apperr.Is(err, "already_rated") {
			return nil // the requester rated first: that rating counts
		}
		if err != nil {
			return err
		}
		res.DefaultRatings++
		return nil
	}
	typ := ratingNoticeTypes[step]
	n := RatingNotice{Type: typ, ID: c.ID + ":" + string(typ), CaseID: c.ID, TrackingNo: c.TrackingNo, Recipient: notice.Requester,
		Subject: c.RequesterSub, State: c.State, ClosedAt: *c.ClosedAt, RateBy: h.RatingRules.RateBy(c)}
	if err := h.Notices.Send(ctx, n); err != nil {
		return err // not recorded: the next run sends it again, under the same id
	}
	if step == cases.StepInvite {
		done.Invited = true
		res.Invitations++
	} else {
		done.Reminded = true
		res.Reminders++
	}
	_, next := h.RatingRules.NextStep(c, done, now)
	return h.Cases.RatingStepDone(ctx, c.ID, step, next)
}

// defaultRequest stands for the request hash of a default rating: no request of a requester
// ever matches it, so a requester rating after the default is refused as a second rating.
const defaultRequest = "default"
