// Package evaluationstaff serves staff reads of rating figures. Figures are counts per level,
// never who rated what (背靠背): a clerk may see the clerk's own window's counts.
package evaluationstaff

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"banban/shared/apperr"
	"banban/shared/auth"
	"banban/shared/calendar"
	"banban/shared/directory"
	"banban/shared/dynamo"
	"banban/shared/httpapi"
	"banban/shared/rating"
)

// Config is read from the environment set by template.yaml.
type Config struct {
	RatingsTable   string `env:"RATINGS_TABLE,required"`
	DirectoryTable string `env:"DIRECTORY_TABLE,required"`
	RatingBuckets  string `env:"RATING_BUCKETS" envDefault:"good=4,5;average=3;poor=1,2"`
}

// Windows finds service windows.
type Windows interface {
	Window(ctx context.Context, id string) (directory.Window, error)
}

// Counters reads monthly rating counters.
type Counters interface {
	WindowMonth(ctx context.Context, windowID string, m calendar.Month) (rating.Counts, error)
}

// Handler serves the staff rating routes.
type Handler struct {
	Windows  Windows
	Counters Counters
	Buckets  rating.Buckets
	Now      func() time.Time
}

// New wires the handler to the directory and ratings tables.
func New(cfg Config, db dynamo.API, now func() time.Time) (*Handler, error) {
	buckets, err := rating.ParseBuckets(cfg.RatingBuckets)
	if err != nil {
		return nil, err
	}
	return &Handler{
		Windows:  &dynamo.Directory{DB: db, Table: cfg.DirectoryTable},
		Counters: &dynamo.Ratings{DB: db, Table: cfg.RatingsTable, Now: now},
		Buckets:  buckets,
		Now:      now,
	}, nil
}

// Routes registers the handler's routes.
func (h *Handler) Routes(log *slog.Logger) *httpapi.Router {
	r := httpapi.NewRouter(log)
	r.Handle("GET /v1/windows/{windowId}/stats", h.WindowStats)
	return r
}

// LevelCount is the count of one level.
type LevelCount struct {
	Level int    `json:"level"`
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

// WindowStats is a window's figures for one month.
type WindowStats struct {
	WindowID string       `json:"windowId"`
	HallID   string       `json:"hallId"`
	UnitID   string       `json:"unitId"`
	Month    string       `json:"month"`
	Total    int64        `json:"total"`
	Levels   []LevelCount `json:"levels"`
	rating.Summary
}

// WindowStats answers GET /v1/windows/{windowId}/stats?month=YYYY-MM (default: this month).
func (h *Handler) WindowStats(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	p, err := httpapi.Principal(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	id := req.PathParameters["windowId"]
	if !directory.ValidID(id) {
		return httpapi.Response{}, apperr.InvalidField("windowId", "is not a window id")
	}
	month := calendar.MonthOf(h.Now())
	if s, ok := req.QueryStringParameters["month"]; ok {
		if month, err = calendar.ParseMonth(s); err != nil {
			return httpapi.Response{}, apperr.InvalidField("month", "must be YYYY-MM")
		}
	}
	w, err := h.Windows.Window(ctx, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	if !p.CanReadWindowFigures(w.Scope()) {
		return httpapi.Response{}, forbidden(p)
	}
	c, err := h.Counters.WindowMonth(ctx, w.ID, month)
	if err != nil {
		return httpapi.Response{}, err
	}
	out := WindowStats{WindowID: w.ID, HallID: w.HallID, UnitID: w.UnitID, Month: month.String(), Total: c.Total(), Summary: h.Buckets.Summarize(c)}
	for _, l := range rating.Levels {
		out.Levels = append(out.Levels, LevelCount{Level: int(l), Name: l.Name(), Count: c[l]})
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

func forbidden(p auth.Principal) error {
	return apperr.New(apperr.Forbidden, "forbidden", "role %s may not read this window's figures", p.Role)
}
