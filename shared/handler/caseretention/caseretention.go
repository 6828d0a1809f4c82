// Package caseretention purges the personal data of closed cases once their retention period has
// passed (PIPL: kept no longer than needed). It runs on a daily schedule; each run purges what is
// due, and a second run on the same day finds nothing more to do.
package caseretention

import (
	"context"
	"log/slog"
	"time"

	"banban/shared/dynamo"
	"banban/shared/logging"
	"banban/shared/pii"
)

// Config is read from the environment set by template.yaml.
type Config struct {
	CasesTable    string `env:"CASES_TABLE,required"`
	PIIKey        string `env:"PII_KEY,required"`
	RetentionDays int    `env:"PII_RETENTION_DAYS" envDefault:"1095"`
}

// Epoch is the first month cases can have been closed in: the purge index is read from here.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// batch bounds one run; a backlog is worked off over several runs.
const batch = 500

// Purger is the part of the case store this job uses.
type Purger interface {
	PurgeDue(ctx context.Context, from, now time.Time, limit int) ([]string, error)
	Purge(ctx context.Context, id string, now time.Time) (bool, error)
}

// Handler is the scheduled job.
type Handler struct {
	Cases Purger
	Now   func() time.Time
	Log   *slog.Logger
}

// New wires the job.
func New(cfg Config, db dynamo.API, keys pii.KeyService, now func() time.Time, log *slog.Logger) *Handler {
	// Purging removes sealed fields without opening them; the protector is needed only to read
	// a case's state, and its hash key is not used.
	store := &dynamo.Cases{DB: db, Table: cfg.CasesTable, PII: &pii.Protector{Keys: keys, Now: now},
		Retention: time.Duration(cfg.RetentionDays) * 24 * time.Hour}
	return &Handler{Cases: store, Now: now, Log: log}
}

// Result is what one run did.
type Result struct {
	Due    int `json:"due"`
	Purged int `json:"purged"`
}

// Handle runs one purge. The scheduler's payload carries nothing the job needs.
func (h *Handler) Handle(ctx context.Context, _ map[string]any) (Result, error) {
	log := logging.ForInvocation(ctx, h.Log)
	now := h.Now()
	ids, err := h.Cases.PurgeDue(ctx, Epoch, now, batch)
	if err != nil {
		log.Error("listing cases due for purging failed", "error", err.Error())
		return Result{}, err
	}
	res := Result{Due: len(ids)}
	for _, id := range ids {
		done, err := h.Cases.Purge(ctx, id, now)
		if err != nil {
			log.Error("purge failed; the next run retries", "caseId", id, "error", err.Error())
			return res, err
		}
		if done {
			res.Purged++
		}
	}
	log.Info("retention run", "due", res.Due, "purged", res.Purged)
	return res, nil
}
