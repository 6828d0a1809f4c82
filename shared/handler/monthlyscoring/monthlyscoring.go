// Package monthlyscoring is the scheduled monthly assessment: at 02:00 Asia/Shanghai on the 1st
// it scores the month just ended (see package assessment). A re-run over unchanged figures
// changes nothing; after late changes (an upheld appeal, a verified rectification) it stores a
// new revision and keeps the old.
package monthlyscoring

import (
	"context"
	"log/slog"
	"time"

	"banban/shared/assessment"
	"banban/shared/calendar"
	"banban/shared/logging"
)

// Runner runs the assessment of a month.
type Runner interface {
	Run(ctx context.Context, m calendar.Month) (assessment.Outcome, error)
}

// Handler is the scheduled job.
type Handler struct {
	Assessor Runner
	Now      func() time.Time
	Log      *slog.Logger
}

// Event is the scheduler's payload; Month, when set (YYYY-MM), scores that month instead of the
// previous one (a manual invocation).
type Event struct {
	Month string `json:"month,omitempty"`
}

// Handle scores the previous month, or the month the event names.
func (h *Handler) Handle(ctx context.Context, ev Event) (assessment.Outcome, error) {
	log := logging.ForInvocation(ctx, h.Log)
	m := assessment.Previous(h.Now())
	if ev.Month != "" {
		var err error
		if m, err = calendar.ParseMonth(ev.Month); err != nil {
			return assessment.Outcome{}, err
		}
	}
	out, err := h.Assessor.Run(ctx, m)
	if err != nil {
		log.Error("monthly assessment failed; the scheduler retries", "month", m.String(), "error", err.Error())
		return out, err
	}
	return out, nil
}
