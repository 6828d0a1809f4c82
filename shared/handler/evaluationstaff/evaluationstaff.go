// Package evaluationstaff serves staff reads of rating figures. Figures are counts per level,
// never who rated what (背靠背): a clerk may see the clerk's own window's counts.
package evaluationstaff

import (
	"context"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"time"

	"banban/shared/appeal"
	"banban/shared/apperr"
	"banban/shared/auth"
	"banban/shared/calendar"
	"banban/shared/directory"
	"banban/shared/dynamo"
	"banban/shared/httpapi"
	"banban/shared/rating"
	"banban/shared/rectification"
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
	Hall(ctx context.Context, id string) (directory.Hall, error)
	WindowsOfHall(ctx context.Context, hallID string) ([]directory.Window, error)
}

// Counters reads monthly rating counters and stored ratings.
type Counters interface {
	WindowMonth(ctx context.Context, windowID string, m calendar.Month) (rating.Counts, error)
	WindowFigures(ctx context.Context, windowID string, m calendar.Month) (rating.Counts, int64, error)
	Rating(ctx context.Context, id string) (rating.Rating, error)
}

// Appeals keeps appeals.
type Appeals interface {
	File(ctx context.Context, a appeal.Appeal) error
	Get(ctx context.Context, id string) (appeal.Appeal, error)
	Decide(ctx context.Context, a appeal.Appeal) error
	Pending(ctx context.Context, limit int) ([]appeal.Appeal, error)
}

// Tickets keeps rectification tickets.
type Tickets interface {
	Get(ctx context.Context, id string) (rectification.Ticket, error)
	Update(ctx context.Context, t rectification.Ticket) error
	ByUnit(ctx context.Context, unit, cursor string, limit int) ([]rectification.Ticket, string, error)
}

// Handler serves the staff rating routes.
type Handler struct {
	Windows  Windows
	Counters Counters
	Tickets  Tickets
	Appeals  Appeals
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
		Tickets:  &dynamo.Rectifications{DB: db, Table: cfg.RatingsTable},
		Appeals:  &dynamo.Appeals{DB: db, Table: cfg.RatingsTable},
		Buckets:  buckets,
		Now:      now,
	}, nil
}

// Routes registers the handler's routes.
func (h *Handler) Routes(log *slog.Logger) *httpapi.Router {
	r := httpapi.NewRouter(log)
	r.Handle("GET /v1/windows/{windowId}/stats", h.WindowStats)
	r.Handle("GET /v1/halls/{hallId}/blue-list", h.BlueList)
	r.Handle("GET /v1/public/halls/{hallId}/blue-list", h.PublicBlueList)
	r.Handle("POST /v1/ratings/{id}/appeal", h.FileAppeal)
	r.Handle("GET /v1/appeals", h.PendingAppeals)
	r.Handle("POST /v1/appeals/{id}/decision", h.DecideAppeal)
	r.Handle("GET /v1/rectifications", h.ListTickets)
	r.Handle("GET /v1/rectifications/{id}", h.GetTicket)
	r.Handle("POST /v1/rectifications/{id}/response", h.RespondTicket)
	r.Handle("POST /v1/rectifications/{id}/review", h.ReviewTicket)
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
	Appealed int64        `json:"appealed"` // ratings taken out of the counts by upheld appeals
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
	c, appealed, err := h.Counters.WindowFigures(ctx, w.ID, month)
	if err != nil {
		return httpapi.Response{}, err
	}
	out := WindowStats{WindowID: w.ID, HallID: w.HallID, UnitID: w.UnitID, Month: month.String(), Total: c.Total(),
		Appealed: appealed, Summary: h.Buckets.Summarize(c)}
	for _, l := range rating.Levels {
		out.Levels = append(out.Levels, LevelCount{Level: int(l), Name: l.Name(), Count: c[l]})
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

func forbidden(p auth.Principal) error {
	return apperr.New(apperr.Forbidden, "forbidden", "role %s may not read this window's figures", p.Role)
}

// TicketPage is a page of rectification tickets.
type TicketPage struct {
	Tickets []rectification.Ticket `json:"tickets"`
	Next    string                 `json:"next,omitempty"`
}

// ListTickets answers GET /v1/rectifications?unit=&limit=&cursor=: a unit's tickets, newest
// first — its own for a unit administrator, any unit's for the city.
func (h *Handler) ListTickets(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	p, err := httpapi.Principal(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	q := req.QueryStringParameters
	unit := q["unit"]
	if unit == "" && p.Role == auth.UnitAdmin {
		unit = p.UnitID
	}
	if !directory.ValidID(unit) {
		return httpapi.Response{}, apperr.InvalidField("unit", "name the unit")
	}
	if !(p.Role == auth.CityAdmin || (p.Role == auth.UnitAdmin && p.UnitID == unit)) {
		return httpapi.Response{}, apperr.New(apperr.Forbidden, "forbidden", "role %s may not read this unit's rectifications", p.Role)
	}
	limit := 0
	if s, ok := q["limit"]; ok {
		if limit, err = strconv.Atoi(s); err != nil {
			return httpapi.Response{}, apperr.InvalidField("limit", "must be a number")
		}
	}
	list, next, err := h.Tickets.ByUnit(ctx, unit, q["cursor"], limit)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, TicketPage{Tickets: list, Next: next}), nil
}

func (h *Handler) ticket(ctx context.Context, req httpapi.Request) (auth.Principal, rectification.Ticket, error) {
	p, err := httpapi.Principal(req)
	if err != nil {
		return p, rectification.Ticket{}, err
	}
	id := req.PathParameters["id"]
	if !rating.ValidID(id) {
		return p, rectification.Ticket{}, apperr.InvalidField("id", "is not a ticket id")
	}
	t, err := h.Tickets.Get(ctx, id)
	if err != nil {
		return p, rectification.Ticket{}, err
	}
	if !t.CanSee(p) {
		return p, rectification.Ticket{}, apperr.New(apperr.NotFound, "not_found", "rectification not found")
	}
	return p, t, nil
}

// GetTicket answers GET /v1/rectifications/{id}.
func (h *Handler) GetTicket(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	_, t, err := h.ticket(ctx, req)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, t), nil
}

// TicketResponse is the body of POST /v1/rectifications/{id}/response.
type TicketResponse struct {
	Findings string `json:"findings"`
	Measures string `json:"measures"`
	Version  int    `json:"version"`
}

// RespondTicket answers POST /v1/rectifications/{id}/response: the unit's findings (查摆) and
// measures (整改).
func (h *Handler) RespondTicket(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	p, t, err := h.ticket(ctx, req)
	if err != nil {
		return httpapi.Response{}, err
	}
	var in TicketResponse
	if err := decode(req, &in); err != nil {
		return httpapi.Response{}, err
	}
	if in.Version != t.Version {
		return httpapi.Response{}, apperr.New(apperr.Conflict, "stale_version", "the ticket is at version %d; read it again", t.Version)
	}
	next, err := t.Respond(p, in.Findings, in.Measures, h.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	if err := h.Tickets.Update(ctx, next); err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, next), nil
}

// TicketReview is the body of POST /v1/rectifications/{id}/review.
type TicketReview struct {
	Verified bool   `json:"verified"`
	Note     string `json:"note,omitempty"`
	Version  int    `json:"version"`
}

// ReviewTicket answers POST /v1/rectifications/{id}/review: the city verifies the measures or
// sends them back with a note.
func (h *Handler) ReviewTicket(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	p, t, err := h.ticket(ctx, req)
	if err != nil {
		return httpapi.Response{}, err
	}
	var in TicketReview
	if err := decode(req, &in); err != nil {
		return httpapi.Response{}, err
	}
	if in.Version != t.Version {
		return httpapi.Response{}, apperr.New(apperr.Conflict, "stale_version", "the ticket is at version %d; read it again", t.Version)
	}
	next, err := t.Review(p, in.Verified, in.Note, h.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	if err := h.Tickets.Update(ctx, next); err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, next), nil
}

func decode(req httpapi.Request, v any) error {
	body, err := httpapi.Body(req, 16<<10)
	if err != nil {
		return err
	}
	return httpapi.DecodeJSON(req, body, v)
}

// BlueEntry is a window on the blue list (蓝榜): it had average or poor ratings in the month.
type BlueEntry struct {
	WindowID string `json:"windowId"`
	Number   string `json:"number"`
	Name     string `json:"name"`
	UnitID   string `json:"unitId,omitempty"`
	Average  int64  `json:"average"`
	Poor     int64  `json:"poor"`
	Total    int64  `json:"total"`
	// Rectification counts the window's tickets of the month by state (staff view only).
	Rectification map[string]int `json:"rectification,omitempty"`
}

// BlueList is a hall's blue list for a month.
type BlueList struct {
	HallID  string      `json:"hallId"`
	Hall    string      `json:"hall"`
	Month   string      `json:"month"`
	Windows []BlueEntry `json:"windows"`
}

// blueList builds a hall's list: the windows with average or poor ratings, most poor first.
// Cost: one directory query and one counter read per window of the hall, never a read of ratings.
func (h *Handler) blueList(ctx context.Context, req httpapi.Request) (BlueList, error) {
	hallID := req.PathParameters["hallId"]
	if !directory.ValidID(hallID) {
		return BlueList{}, apperr.InvalidField("hallId", "is not a hall id")
	}
	month := calendar.MonthOf(h.Now())
	if s, ok := req.QueryStringParameters["month"]; ok {
		var err error
		if month, err = calendar.ParseMonth(s); err != nil {
			return BlueList{}, apperr.InvalidField("month", "must be YYYY-MM")
		}
	}
	hall, err := h.Windows.Hall(ctx, hallID)
	if err != nil {
		return BlueList{}, err
	}
	windows, err := h.Windows.WindowsOfHall(ctx, hallID)
	if err != nil {
		return BlueList{}, err
	}
	out := BlueList{HallID: hall.ID, Hall: hall.Name, Month: month.String(), Windows: []BlueEntry{}}
	for _, w := range windows {
		c, err := h.Counters.WindowMonth(ctx, w.ID, month)
		if err != nil {
			return BlueList{}, err
		}
		sum := h.Buckets.Summarize(c)
		if sum.Average+sum.Poor == 0 {
			continue
		}
		out.Windows = append(out.Windows, BlueEntry{WindowID: w.ID, Number: w.Number, Name: w.Name, UnitID: w.UnitID,
			Average: sum.Average, Poor: sum.Poor, Total: c.Total()})
	}
	sort.SliceStable(out.Windows, func(i, j int) bool {
		a, b := out.Windows[i], out.Windows[j]
		if a.Poor != b.Poor {
			return a.Poor > b.Poor
		}
		return a.Average > b.Average
	})
	return out, nil
}

// BlueList answers GET /v1/halls/{hallId}/blue-list?month= for staff: the city and the hall's
// administrator, with each window's rectification states.
func (h *Handler) BlueList(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	p, err := httpapi.Principal(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	if !(p.Role == auth.CityAdmin || (p.Role == auth.HallAdmin && p.HallID == req.PathParameters["hallId"])) {
		return httpapi.Response{}, apperr.New(apperr.Forbidden, "forbidden", "role %s may not read this hall's blue list", p.Role)
	}
	list, err := h.blueList(ctx, req)
	if err != nil {
		return httpapi.Response{}, err
	}
	units := map[string]bool{}
	for _, e := range list.Windows {
		units[e.UnitID] = true
	}
	month, err := calendar.ParseMonth(list.Month)
	if err != nil {
		return httpapi.Response{}, err
	}
	// Tickets come newest first; a ticket opened before the month (less the longest a rating may
	// arrive late) ends the walk, so the cost follows the month's tickets, not the unit's history.
	oldest := month.Start().AddDate(0, 0, -31)
	states := map[string]map[string]int{}
	for unit := range units {
		for cursor, more := "", true; more; {
			page, next, err := h.Tickets.ByUnit(ctx, unit, cursor, 100)
			if err != nil {
				return httpapi.Response{}, err
			}
			cursor, more = next, next != ""
			for _, t := range page {
				if t.OpenedAt.Before(oldest) {
					more = false
					break
				}
				if calendar.MonthOf(t.RatedAt) != month {
					continue
				}
				if states[t.WindowID] == nil {
					states[t.WindowID] = map[string]int{}
				}
				states[t.WindowID][string(t.State)]++
			}
		}
	}
	for i := range list.Windows {
		list.Windows[i].Rectification = states[list.Windows[i].WindowID]
	}
	return httpapi.JSON(http.StatusOK, list), nil
}

// PublicBlueList answers GET /v1/public/halls/{hallId}/blue-list?month= for the hall's display
// screen: window numbers, names and counts, nothing else.
func (h *Handler) PublicBlueList(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	list, err := h.blueList(ctx, req)
	if err != nil {
		return httpapi.Response{}, err
	}
	for i := range list.Windows {
		list.Windows[i].UnitID = ""
	}
	resp := httpapi.JSON(http.StatusOK, list)
	resp.Headers["Cache-Control"] = "public, max-age=60"
	return resp, nil
}

// AppealRequest is the body of POST /v1/ratings/{id}/appeal.
type AppealRequest struct {
	Kind   appeal.Kind `json:"kind"`
	Reason string      `json:"reason"`
}

// FileAppeal answers POST /v1/ratings/{id}/appeal: the unit's administrator appeals an average
// or poor rating of the unit as mistaken or malicious.
func (h *Handler) FileAppeal(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	p, err := httpapi.Principal(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	id := req.PathParameters["id"]
	if !rating.ValidID(id) {
		return httpapi.Response{}, apperr.InvalidField("id", "is not a rating id")
	}
	var in AppealRequest
	if err := decode(req, &in); err != nil {
		return httpapi.Response{}, err
	}
	r, err := h.Counters.Rating(ctx, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	if p.Role != auth.CityAdmin && !(p.Role == auth.UnitAdmin && p.UnitID == r.UnitID) {
		return httpapi.Response{}, apperr.New(apperr.NotFound, "not_found", "rating not found")
	}
	a, err := appeal.File(r, h.Buckets, p, in.Kind, in.Reason, h.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	if err := h.Appeals.File(ctx, a); err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusCreated, a), nil
}

// AppealPage is the city's queue of appeals.
type AppealPage struct {
	Appeals []appeal.Appeal `json:"appeals"`
}

// PendingAppeals answers GET /v1/appeals: the appeals waiting for the city, oldest first.
func (h *Handler) PendingAppeals(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	p, err := httpapi.Principal(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	if p.Role != auth.CityAdmin {
		return httpapi.Response{}, apperr.New(apperr.Forbidden, "forbidden", "only the city administration reviews appeals")
	}
	list, err := h.Appeals.Pending(ctx, 100)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, AppealPage{Appeals: list}), nil
}

// AppealDecision is the body of POST /v1/appeals/{id}/decision.
type AppealDecision struct {
	Uphold bool   `json:"uphold"`
	Note   string `json:"note"`
}

// DecideAppeal answers POST /v1/appeals/{id}/decision: the city upholds (the rating leaves the
// counts, and is kept) or rejects the appeal.
func (h *Handler) DecideAppeal(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	p, err := httpapi.Principal(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	id := req.PathParameters["id"]
	if !rating.ValidID(id) {
		return httpapi.Response{}, apperr.InvalidField("id", "is not an appeal id")
	}
	var in AppealDecision
	if err := decode(req, &in); err != nil {
		return httpapi.Response{}, err
	}
	a, err := h.Appeals.Get(ctx, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	if !a.CanSee(p) {
		return httpapi.Response{}, apperr.New(apperr.NotFound, "not_found", "appeal not found")
	}
	next, err := a.Decide(p, in.Uphold, in.Note, h.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	if err := h.Appeals.Decide(ctx, next); err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, next), nil
}
