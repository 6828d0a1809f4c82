// Package agentrouting consumes case events and gives each waiting case to the right helper:
// the team at the case's level and place, skills covering every matter, on duty, below capacity,
// least loaded first; with nobody free it overflows up the ladder to the city team's queue. It
// also gives back a helper's capacity when a case leaves the helper (completed, unable, withdrawn,
// transferred or declined), and counts every change in its helper's monthly figures. Every step
// is idempotent: redeliveries and stale events change
// nothing.
package agentrouting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"banban/shared/apperr"
	"banban/shared/calendar"
	"banban/shared/cases"
	"banban/shared/catalog"
	"banban/shared/directory"
	"banban/shared/dynamo"
	"banban/shared/logging"
	"banban/shared/queue"
	"banban/shared/routing"
)

// Config is read from the environment set by template.yaml.
type Config struct {
	CasesTable      string `env:"CASES_TABLE,required"`
	HelpersTable    string `env:"HELPERS_TABLE,required"`
	CatalogTable    string `env:"CATALOG_TABLE,required"`
	DirectoryTable  string `env:"DIRECTORY_TABLE,required"`
	CaseEventsQueue string `env:"CASE_EVENTS_QUEUE_URL,required"`
}

// Cases is the part of the case store routing uses.
type Cases interface {
	Peek(ctx context.Context, id string) (cases.Case, error)
	Overflow(ctx context.Context, c cases.Case, queue string, ev cases.Event) error
	EventSent(ctx context.Context, id string, version int) error
}

// Helpers is the helper registry with its capacity reservations.
type Helpers interface {
	Team(ctx context.Context, level directory.Level, district string) ([]routing.Helper, error)
	Assign(ctx context.Context, c cases.Case, h routing.Helper, ev cases.Event, now time.Time) error
	Release(ctx context.Context, caseID string) (bool, error)
	CountCaseEvent(ctx context.Context, m cases.Message) error
	TeamRule(ctx context.Context, level directory.Level, district string) (routing.Rule, error)
}

// Catalogue finds matters.
type Catalogue interface {
	Matter(ctx context.Context, code string) (catalog.Matter, error)
}

// Events takes case events to the queue.
type Events interface {
	Send(ctx context.Context, v any) error
}

// Handler routes cases.
type Handler struct {
	Cases     Cases
	Helpers   Helpers
	Catalogue Catalogue
	Calendar  func(ctx context.Context) (*calendar.Calendar, error)
	Events    Events
	Now       func() time.Time
	Log       *slog.Logger
}

// New wires the handler.
func New(cfg Config, db dynamo.API, sqs queue.API, now func() time.Time, log *slog.Logger) *Handler {
	dir := &dynamo.Directory{DB: db, Table: cfg.DirectoryTable}
	return &Handler{
		Cases:     &dynamo.Cases{DB: db, Table: cfg.CasesTable},
		Helpers:   &dynamo.Helpers{DB: db, Table: cfg.HelpersTable, CasesTable: cfg.CasesTable},
		Catalogue: dynamo.NewCatalog(db, cfg.CatalogTable, now),
		Calendar:  dir.Calendars(now),
		Events:    &queue.Sender{SQS: sqs, URL: cfg.CaseEventsQueue},
		Now:       now,
		Log:       log,
	}
}

// Handle routes a batch of case events and reports the ones to redeliver.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	log := logging.ForInvocation(ctx, h.Log)
	var resp events.SQSEventResponse
	for _, m := range ev.Records {
		var msg cases.Message
		err := json.Unmarshal([]byte(m.Body), &msg)
		if err == nil && msg.CaseID == "" {
			err = errors.New("no case id")
		}
		if err == nil {
			err = h.Route(ctx, msg)
		}
		if err == nil {
			// Every change also counts, once, in its helper's monthly figures.
			err = h.Helpers.CountCaseEvent(ctx, msg)
		}
		if err != nil {
			log.Error("case event not handled; it will be redelivered", "messageId", m.MessageId, "caseId", msg.CaseID, "error", err.Error())
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp, nil
}

// held reports whether a case in state s holds a helper's capacity.
func held(s cases.State) bool {
	return s == cases.Assigned || s == cases.Accepted || s == cases.InProgress
}

// Route handles one case event.
func (h *Handler) Route(ctx context.Context, msg cases.Message) error {
	c, err := h.Cases.Peek(ctx, msg.CaseID)
	if err != nil {
		if apperr.KindOf(err) == apperr.NotFound {
			return nil // nothing to route
		}
		return err
	}
	if !held(c.State) {
		if _, err := h.Helpers.Release(ctx, c.ID); err != nil {
			return err
		}
	}
	if c.Version != msg.Version || (c.State != cases.Received && c.State != cases.Transferred) {
		return nil // a newer change has its own event, or the case needs no helper
	}
	if c.Overflow != "" && msg.Type != cases.EventReroute {
		return nil // waits in a team queue until supervision routes it again
	}
	need, err := h.need(ctx, c)
	if err != nil {
		return err
	}
	cal, err := h.Calendar(ctx)
	if err != nil {
		return err
	}
	now := h.Now()
	district := c.District
	for level := need.Level; ; {
		need.Level = level
		team, err := h.Helpers.Team(ctx, level, district)
		if err != nil {
			return err
		}
		cands := routing.Candidates(team, need, now, cal)
		cands = slices.DeleteFunc(cands, func(h *routing.Helper) bool {
			return slices.Contains(c.Declined, h.ID) || (c.Mode == cases.Joint && !h.Lead)
		})
		rule, err := h.Helpers.TeamRule(ctx, level, district)
		if err != nil {
			return err
		}
		for _, helper := range routing.Rank(cands, rule) {
			ev := cases.Event{Seq: c.Version + 1, At: now, Actor: "routing", Role: "system", From: c.State, To: cases.Assigned,
				Detail: fmt.Sprintf("assignee %s (%s team, %s)", helper.ID, level, district)}
			switch err := h.Helpers.Assign(ctx, c, *helper, ev, now); {
			case err == nil:
				c.State, c.Assignee, c.Version, c.UpdatedAt, c.AssignedAt = cases.Assigned, helper.ID, c.Version+1, now, &now
				h.publish(ctx, c)
				return nil
			case errors.Is(err, dynamo.ErrHelperFull):
				continue // taken meanwhile: the next in rank
			case errors.Is(err, dynamo.ErrCaseMoved):
				return nil // routed or changed by someone else
			default:
				return err
			}
		}
		up, ok := routing.Up(level)
		if !ok {
			break
		}
		level = up
	}
	ev := cases.Event{Seq: c.Version + 1, At: now, Actor: "routing", Role: "system", From: c.State, To: c.State,
		Detail: "no helper free at any level: waiting in the city team's queue (flagged)"}
	return h.Cases.Overflow(ctx, c, string(directory.City), ev)
}

// need is what the case asks of a helper. Immediate and joint cases are handled at the receiving
// hall's level; a transfer goes to the level of the responsible unit's matter (转办).
func (h *Handler) need(ctx context.Context, c cases.Case) (routing.Need, error) {
	matters := make([]catalog.Matter, 0, len(c.Matters))
	for _, code := range c.Matters {
		m, err := h.Catalogue.Matter(ctx, code)
		if err != nil {
			return routing.Need{}, err
		}
		matters = append(matters, m)
	}
	return routing.NeedOf(c, matters), nil
}

func (h *Handler) publish(ctx context.Context, c cases.Case) {
	if err := h.Events.Send(ctx, cases.MessageOf(cases.EventChanged, c)); err != nil {
		h.Log.Warn("case event not sent; it stays pending", "caseId", c.ID, "error", err.Error())
		return
	}
	if err := h.Cases.EventSent(ctx, c.ID, c.Version); err != nil {
		h.Log.Warn("case event sent but not marked", "caseId", c.ID, "error", err.Error())
	}
}
