// Package faqsearch serves the public Q&A search (高频问题智能检索) and the month's most asked
// questions. At cold start it opens the search index published with the current Q&A set.
//
// Each search counts its best answer in that answer's monthly count — the Q&A id and a number,
// never the query text (people type names and id numbers into search boxes) nor who asked.
package faqsearch

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"os"
	"time"

	"banban/shared/apperr"
	"banban/shared/auth"
	"banban/shared/calendar"
	"banban/shared/dynamo"
	"banban/shared/httpapi"
	"banban/shared/opengov"
	"banban/shared/opengov/faqindex"
)

// Config is read from the environment set by template.yaml.
type Config struct {
	OpenGovTable string `env:"OPENGOV_TABLE,required"`
	FAQAsksTable string `env:"FAQ_ASKS_TABLE,required"`
}

// Bounds of the public routes.
const (
	MaxLimit = 20
	refresh  = time.Minute
)

// Asks counts and ranks the Q&A asked each month.
type Asks interface {
	Ask(ctx context.Context, m calendar.Month, id string) error
	Top(ctx context.Context, m calendar.Month, limit int) ([]dynamo.Asked, error)
}

// Handler serves the Q&A routes.
type Handler struct {
	Index *opengov.Live[*faqindex.Index]
	Asks  Asks
	Now   func() time.Time
	Log   *slog.Logger
}

// New wires the handler to the data-sets and asks tables.
func New(cfg Config, db dynamo.API, now func() time.Time, log *slog.Logger) *Handler {
	return &Handler{
		Index: &opengov.Live[*faqindex.Index]{Kind: opengov.KindFAQ, Refresh: refresh, Now: now, Log: log,
			Source: &dynamo.DataSets{DB: db, Table: cfg.OpenGovTable, Now: now},
			Build: func(s opengov.Snapshot) (*faqindex.Index, error) {
				return openIndex(s, log)
			},
			Release: func(x *faqindex.Index) {
				if err := x.Close(); err != nil {
					log.Warn("close replaced faq index", "error", err.Error())
				}
			}},
		Asks: &dynamo.FAQAsks{DB: db, Table: cfg.FAQAsksTable},
		Now:  now,
		Log:  log,
	}
}

// openIndex opens the index published with the set; without one, or when it cannot be opened,
// it builds the index in memory (slower, the same answers).
func openIndex(s opengov.Snapshot, log *slog.Logger) (*faqindex.Index, error) {
	qs, err := opengov.Decode(s.Records, opengov.CheckFAQ)
	if err != nil {
		return nil, err
	}
	if s.Artifact != nil {
		x, err := faqindex.Open(s.Artifact, qs, os.TempDir())
		if err == nil {
			return x, nil
		}
		log.Warn("packed faq index not usable; building it", "version", s.Version, "error", err.Error())
	}
	return faqindex.Build(qs)
}

// Preload opens the index at cold start; without a Q&A set yet the function still starts.
func (h *Handler) Preload(ctx context.Context) {
	if err := h.Index.Preload(ctx); err != nil {
		h.Log.Warn("faq index not built at cold start", "error", err.Error())
	}
}

// Routes registers the handler's routes.
func (h *Handler) Routes(log *slog.Logger) *httpapi.Router {
	r := httpapi.NewRouter(log)
	r.Handle("GET /v1/faq/search", auth.PublicPolicy(), h.Search)
	r.Handle("GET /v1/faq/top", auth.PublicPolicy(), h.Top)
	return r
}

// Answer is one Q&A found.
type Answer struct {
	ID       string  `json:"id"`
	Question string  `json:"question"`
	Answer   string  `json:"answer"`
	Category string  `json:"category"`
	Matter   string  `json:"matter,omitempty"`
	GuideID  string  `json:"guideId,omitempty"`
	Score    float64 `json:"score"`
}

// SearchResult is the answer to a search, best first.
type SearchResult struct {
	Query string   `json:"query"`
	Items []Answer `json:"items"`
}

// Search answers GET /v1/faq/search?q=&limit=.
func (h *Handler) Search(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	q, err := httpapi.QueryText(req, "q", faqindex.MaxQueryRunes)
	if err != nil {
		return httpapi.Response{}, err
	}
	if q == "" {
		return httpapi.Response{}, apperr.InvalidField("q", "is required")
	}
	limit, err := httpapi.QueryInt(req, "limit", 5, 1, MaxLimit)
	if err != nil {
		return httpapi.Response{}, err
	}
	x, err := h.Index.Get(ctx)
	if err != nil {
		return httpapi.Response{}, err
	}
	hits, err := x.Search(ctx, q, limit)
	if errors.Is(err, faqindex.ErrEmptyQuery) {
		return httpapi.Response{}, apperr.InvalidField("q", "has no words to search for")
	}
	if err != nil {
		return httpapi.Response{}, err
	}
	out := SearchResult{Query: q, Items: make([]Answer, len(hits))}
	for i, hit := range hits {
		a := hit.QA
		out.Items[i] = Answer{ID: a.ID, Question: a.Question, Answer: a.Answer, Category: a.Category, Matter: a.Matter, GuideID: a.GuideID,
			Score: math.Round(hit.Score*1000) / 1000}
	}
	if len(hits) > 0 {
		// A lost count must not cost the citizen the answer: log it and answer.
		if err := h.Asks.Ask(ctx, calendar.MonthOf(h.Now()), hits[0].QA.ID); err != nil {
			h.Log.Error("count ask", "error", err.Error())
		}
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

// TopItem is a Q&A and how often it was the best answer in the month.
type TopItem struct {
	ID       string `json:"id"`
	Question string `json:"question"`
	Category string `json:"category"`
	Asks     int64  `json:"asks"`
}

// TopList is the month's most asked Q&A.
type TopList struct {
	Month string    `json:"month"`
	Items []TopItem `json:"items"`
}

// Top answers GET /v1/faq/top?month=YYYY-MM&limit= (default: this Asia/Shanghai month, 10).
func (h *Handler) Top(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	month := calendar.MonthOf(h.Now())
	if s, ok := req.QueryStringParameters["month"]; ok {
		var err error
		if month, err = calendar.ParseMonth(s); err != nil {
			return httpapi.Response{}, apperr.InvalidField("month", "must be YYYY-MM")
		}
	}
	limit, err := httpapi.QueryInt(req, "limit", 10, 1, MaxLimit)
	if err != nil {
		return httpapi.Response{}, err
	}
	x, err := h.Index.Get(ctx)
	if err != nil {
		return httpapi.Response{}, err
	}
	// Read a few more than asked: Q&A removed by a later import are left out.
	asked, err := h.Asks.Top(ctx, month, limit+10)
	if err != nil {
		return httpapi.Response{}, err
	}
	out := TopList{Month: month.String(), Items: []TopItem{}}
	for _, a := range asked {
		qa, ok := x.QA(a.ID)
		if !ok {
			continue
		}
		if len(out.Items) == limit {
			break
		}
		out.Items = append(out.Items, TopItem{ID: a.ID, Question: qa.Question, Category: qa.Category, Asks: a.Asks})
	}
	resp := httpapi.JSON(http.StatusOK, out)
	resp.Headers["Cache-Control"] = "public, max-age=60"
	return resp, nil
}
