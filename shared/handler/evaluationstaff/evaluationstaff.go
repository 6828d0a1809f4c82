// Package evaluationstaff serves staff reads of rating figures. Figures are counts per level,
// never who rated what (背靠背): a clerk may see the clerk's own window's counts.
package evaluationstaff

import (
	"cmp"
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
	"banban/shared/routing"
)

// Config is read from the environment set by template.yaml.
type Config struct {
	RatingsTable   string `env:"RATINGS_TABLE,required"`
	DirectoryTable string `env:"DIRECTORY_TABLE,required"`
	RatingBuckets  string `env:"RATING_BUCKETS" envDefault:"good=4,5;average=3;poor=1,2"`
	RectifyDays    int    `env:"RECTIFY_DAYS" envDefault:"5"`
	HelpersTable   string `env:"HELPERS_TABLE,required"`
}

// Windows finds service windows.
type Windows interface {
	Window(ctx context.Context, id string) (directory.Window, error)
	Hall(ctx context.Context, id string) (directory.Hall, error)
	WindowsOfHall(ctx context.Context, hallID string) ([]directory.Window, error)
	WindowsOfUnit(ctx context.Context, unitID string) ([]directory.Window, error)
	Staff(ctx context.Context, id string) (directory.Staff, error)
}

// Counters reads monthly rating counters and stored ratings, and keeps the review of flags.
type Counters interface {
	Figures(ctx context.Context, keys []rating.CounterKey) (map[rating.CounterKey]rating.Figures, error)
	Rating(ctx context.Context, id string) (rating.Rating, error)
	FlaggedByHall(ctx context.Context, hall, cursor string, limit int) ([]rating.Rating, string, error)
	ReviewFlag(ctx context.Context, r rating.Rating) error
	AuditOf(ctx context.Context, id string) ([]dynamo.Audit, error)
}

// Helpers finds helpers (帮办员), whose figures are their cases' ratings; a helper need not be a
// directory staff member.
type Helpers interface {
	Get(ctx context.Context, id string) (routing.Helper, error)
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
	Update(ctx context.Context, t rectification.Ticket) (rectification.Ticket, error)
	ByUnit(ctx context.Context, unit, cursor string, limit int) ([]rectification.Ticket, string, error)
}

// Handler serves the staff rating routes.
type Handler struct {
	Windows  Windows
	Helpers  Helpers
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
	dir := &dynamo.Directory{DB: db, Table: cfg.DirectoryTable}
	// A flagged average or poor rating that the city's review counts opens its ticket then.
	opener := rectification.Opener{Buckets: buckets, Days: cfg.RectifyDays, Now: now, Calendar: dir.Calendars(now)}
	return &Handler{
		Windows:  dir,
		Helpers:  &dynamo.Helpers{DB: db, Table: cfg.HelpersTable},
		Counters: &dynamo.Ratings{DB: db, Table: cfg.RatingsTable, Now: now, Rectify: opener.Open},
		Tickets:  &dynamo.Rectifications{DB: db, Table: cfg.RatingsTable},
		Appeals:  &dynamo.Appeals{DB: db, Table: cfg.RatingsTable},
		Buckets:  buckets,
		Now:      now,
	}, nil
}

// Routes registers the handler's routes.
func (h *Handler) Routes(log *slog.Logger) *httpapi.Router {
	r := httpapi.NewRouter(log)
	r.Handle("GET /v1/windows/{windowId}/stats", allow(city, hall, unit, window), h.WindowStats)
	r.Handle("GET /v1/staff/{id}/stats", allow(city, hall, unit), h.StaffStats)
	r.Handle("GET /v1/units/{unitId}/stats", allow(city, unit), h.UnitStats)
	r.Handle("GET /v1/halls/{hallId}/stats", allow(city, hall), h.HallStats)
	r.Handle("GET /v1/flagged-ratings", allow(city, hall), h.FlaggedRatings)
	r.Handle("POST /v1/ratings/{id}/flag-review", allow(city), h.ReviewFlag)
	r.Handle("GET /v1/ratings/{id}/audit", allow(city), h.RatingAudit)
	r.Handle("GET /v1/halls/{hallId}/blue-list", allow(city, hall), h.BlueList)
	r.Handle("GET /v1/public/halls/{hallId}/blue-list", auth.PublicPolicy(), h.PublicBlueList)
	r.Handle("POST /v1/ratings/{id}/appeal", allow(unit), h.FileAppeal)
	r.Handle("GET /v1/appeals", allow(city), h.PendingAppeals)
	r.Handle("POST /v1/appeals/{id}/decision", allow(city), h.DecideAppeal)
	r.Handle("GET /v1/rectifications", allow(city, unit), h.ListTickets)
	r.Handle("GET /v1/rectifications/{id}", allow(city, hall, unit), h.GetTicket)
	r.Handle("POST /v1/rectifications/{id}/response", allow(unit), h.RespondTicket)
	r.Handle("POST /v1/rectifications/{id}/review", allow(city), h.ReviewTicket)
	return r
}

// The grants of the staff routes: the city administration reaches everything, a hall's
// administrator its hall, a unit's administrator its unit, a clerk its own window.
type grant struct {
	role  auth.Role
	reach auth.Reach
}

var (
	city   = grant{auth.CityAdmin, auth.All}
	hall   = grant{auth.HallAdmin, auth.Hall}
	unit   = grant{auth.UnitAdmin, auth.Unit}
	window = grant{auth.Clerk, auth.Window}
)

func allow(gs ...grant) auth.Policy {
	roles := map[auth.Role][]auth.Reach{}
	for _, g := range gs {
		roles[g.role] = append(roles[g.role], g.reach)
	}
	return auth.Allow(roles)
}

// LevelCount is the count of one level.
type LevelCount struct {
	Level int    `json:"level"`
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

// Stats are the figures of a window, a staff member, a unit or a hall for one month: the counted
// ratings per level with their buckets and good-rating rate, and apart from them the flagged
// (awaiting review), excluded (by review), appealed (upheld) and defaulted (provincial rule).
type Stats struct {
	Month     string       `json:"month"`
	Total     int64        `json:"total"`
	Levels    []LevelCount `json:"levels"`
	Flagged   int64        `json:"flagged"`
	Excluded  int64        `json:"excluded"`
	Appealed  int64        `json:"appealed"` // ratings taken out of the counts by upheld appeals
	Defaulted int64        `json:"defaulted"`
	rating.Summary
}

func (h *Handler) stats(m calendar.Month, f rating.Figures) Stats {
	out := Stats{Month: m.String(), Total: f.Counts.Total(), Flagged: f.Flagged, Excluded: f.Excluded,
		Appealed: f.Appealed, Defaulted: f.Defaulted, Summary: h.Buckets.Summarize(f.Counts)}
	for _, l := range rating.Levels {
		out.Levels = append(out.Levels, LevelCount{Level: int(l), Name: l.Name(), Count: f.Counts[l]})
	}
	return out
}

// month reads the month query parameter; this month by default.
func (h *Handler) month(req httpapi.Request) (calendar.Month, error) {
	s, ok := req.QueryStringParameters["month"]
	if !ok {
		return calendar.MonthOf(h.Now()), nil
	}
	m, err := calendar.ParseMonth(s)
	if err != nil {
		return calendar.Month{}, apperr.InvalidField("month", "must be YYYY-MM")
	}
	return m, nil
}

// pathID reads a directory id from the path.
func pathID(req httpapi.Request, name, what string) (string, error) {
	id := req.PathParameters[name]
	if !directory.ValidID(id) {
		return "", apperr.InvalidField(name, "is not a %s id", what)
	}
	return id, nil
}

// figuresOf reads whose figures are asked for (path parameter param: a window, staff member,
// unit or hall) and for which month.
func (h *Handler) figuresOf(req httpapi.Request, param, what string) (string, calendar.Month, error) {
	id, err := pathID(req, param, what)
	if err != nil {
		return "", calendar.Month{}, err
	}
	month, err := h.month(req)
	return id, month, err
}

// WindowStats is a window's figures for one month.
type WindowStats struct {
	WindowID string `json:"windowId"`
	HallID   string `json:"hallId"`
	UnitID   string `json:"unitId"`
	Stats
}

// WindowStats answers GET /v1/windows/{windowId}/stats?month=YYYY-MM (default: this month).
func (h *Handler) WindowStats(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	id, month, err := h.figuresOf(req, "windowId", "window")
	if err != nil {
		return httpapi.Response{}, err
	}
	w, err := h.Windows.Window(ctx, id)
	if err := httpapi.AuthorizeLoaded(ctx, err, w.Target(), "window"); err != nil {
		return httpapi.Response{}, err
	}
	k := rating.CounterKey{Kind: rating.WindowCounter, ID: w.ID, Month: month}
	figs, err := h.Counters.Figures(ctx, []rating.CounterKey{k})
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, WindowStats{WindowID: w.ID, HallID: w.HallID, UnitID: w.UnitID, Stats: h.stats(month, figs[k])}), nil
}

// StaffStats is a staff member's figures: ratings of the window they served at, and of the cases
// they handled as a helper.
type StaffStats struct {
	StaffID string `json:"staffId"`
	UnitID  string `json:"unitId,omitempty"`
	Stats
}

// StaffStats answers GET /v1/staff/{id}/stats?month=: for the city, the staff member's unit
// administrator and hall administrator.
func (h *Handler) StaffStats(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	id, month, err := h.figuresOf(req, "id", "staff")
	if err != nil {
		return httpapi.Response{}, err
	}
	st, err := h.staffOrHelper(ctx, id)
	if err := httpapi.AuthorizeLoaded(ctx, err, st.Target(), "staff member"); err != nil {
		return httpapi.Response{}, err
	}
	k := rating.CounterKey{Kind: rating.StaffCounter, ID: st.ID, Month: month}
	figs, err := h.Counters.Figures(ctx, []rating.CounterKey{k})
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, StaffStats{StaffID: st.ID, UnitID: st.UnitID, Stats: h.stats(month, figs[k])}), nil
}

// staffOrHelper finds whose figures are asked for: a directory staff member (a clerk) or else a
// helper, by unit and hall.
func (h *Handler) staffOrHelper(ctx context.Context, id string) (directory.Staff, error) {
	st, err := h.Windows.Staff(ctx, id)
	if apperr.KindOf(err) != apperr.NotFound {
		return st, err
	}
	hp, err := h.Helpers.Get(ctx, id)
	if err != nil {
		return directory.Staff{}, err
	}
	return directory.Staff{ID: hp.ID, Role: auth.Helper, UnitID: hp.UnitID, HallID: hp.HallID}, nil
}

// WindowLine is one window's part of a unit's or a hall's figures.
type WindowLine struct {
	WindowID string `json:"windowId"`
	Number   string `json:"number"`
	Name     string `json:"name"`
	HallID   string `json:"hallId"`
	UnitID   string `json:"unitId"`
	Total    int64  `json:"total"`
	rating.Summary
	Flagged int64 `json:"flagged"`
}

// RollUp is a unit's or a hall's figures: the sum of its windows' counters and its case
// counter, read together in one batch, with each window's line and the cases' figures apart.
type RollUp struct {
	UnitID  string       `json:"unitId,omitempty"`
	HallID  string       `json:"hallId,omitempty"`
	Windows []WindowLine `json:"windows"`
	Cases   Stats        `json:"cases"`
	Stats
}

func (h *Handler) rollUp(ctx context.Context, month calendar.Month, windows []directory.Window, cases rating.CounterKey) (RollUp, error) {
	keys := []rating.CounterKey{cases}
	for _, w := range windows {
		keys = append(keys, rating.CounterKey{Kind: rating.WindowCounter, ID: w.ID, Month: month})
	}
	figs, err := h.Counters.Figures(ctx, keys)
	if err != nil {
		return RollUp{}, err
	}
	sum := figs[cases]
	out := RollUp{Windows: []WindowLine{}, Cases: h.stats(month, figs[cases])}
	for i, w := range windows {
		f := figs[keys[i+1]]
		sum = sum.Plus(f)
		out.Windows = append(out.Windows, WindowLine{WindowID: w.ID, Number: w.Number, Name: w.Name, HallID: w.HallID,
			UnitID: w.UnitID, Total: f.Counts.Total(), Summary: h.Buckets.Summarize(f.Counts), Flagged: f.Flagged})
	}
	out.Stats = h.stats(month, sum)
	return out, nil
}

// UnitStats answers GET /v1/units/{unitId}/stats?month=: for the city and the unit's
// administrator, rolled up from the unit's windows in every hall and its case ratings.
func (h *Handler) UnitStats(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	id, month, err := h.figuresOf(req, "unitId", "unit")
	if err != nil {
		return httpapi.Response{}, err
	}
	if err := httpapi.Authorize(ctx, auth.Target{Units: []string{id}}, "unit"); err != nil {
		return httpapi.Response{}, err
	}
	windows, err := h.Windows.WindowsOfUnit(ctx, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	out, err := h.rollUp(ctx, month, windows, rating.CounterKey{Kind: rating.UnitCases, ID: id, Month: month})
	if err != nil {
		return httpapi.Response{}, err
	}
	out.UnitID = id
	return httpapi.JSON(http.StatusOK, out), nil
}

// HallStats answers GET /v1/halls/{hallId}/stats?month=: for the city and the hall's
// administrator, rolled up from the hall's windows and the case ratings of cases it received.
func (h *Handler) HallStats(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	id, month, err := h.figuresOf(req, "hallId", "hall")
	if err != nil {
		return httpapi.Response{}, err
	}
	_, err = h.Windows.Hall(ctx, id)
	if err := httpapi.AuthorizeLoaded(ctx, err, auth.Target{Halls: []string{id}}, "hall"); err != nil {
		return httpapi.Response{}, err
	}
	windows, err := h.Windows.WindowsOfHall(ctx, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	out, err := h.rollUp(ctx, month, windows, rating.CounterKey{Kind: rating.HallCases, ID: id, Month: month})
	if err != nil {
		return httpapi.Response{}, err
	}
	out.HallID = id
	return httpapi.JSON(http.StatusOK, out), nil
}

// listing reads whose listing is asked for (query parameter param, a unit or a hall, by default
// the caller's own) and the page size; a unit or hall out of the caller's reach answers 404.
func listing(ctx context.Context, req httpapi.Request, param string) (string, int, error) {
	q := req.QueryStringParameters
	p := httpapi.Caller(ctx)
	owner := q[param]
	var t auth.Target
	switch param {
	case "unit":
		owner = cmp.Or(owner, p.UnitID)
		t.Units = []string{owner}
	case "hall":
		owner = cmp.Or(owner, p.HallID)
		t.Halls = []string{owner}
	}
	if !directory.ValidID(owner) {
		return "", 0, apperr.InvalidField(param, "name the %s", param)
	}
	if err := httpapi.Authorize(ctx, t, param); err != nil {
		return "", 0, err
	}
	limit := 0
	if s, ok := q["limit"]; ok {
		var err error
		if limit, err = strconv.Atoi(s); err != nil {
			return "", 0, apperr.InvalidField("limit", "must be a number")
		}
	}
	return owner, limit, nil
}

// TicketPage is a page of rectification tickets.
type TicketPage struct {
	Tickets []rectification.Ticket `json:"tickets"`
	Next    string                 `json:"next,omitempty"`
}

// ListTickets answers GET /v1/rectifications?unit=&limit=&cursor=: a unit's tickets, newest
// first — its own for a unit administrator, any unit's for the city.
func (h *Handler) ListTickets(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	unit, limit, err := listing(ctx, req, "unit")
	if err != nil {
		return httpapi.Response{}, err
	}
	list, next, err := h.Tickets.ByUnit(ctx, unit, req.QueryStringParameters["cursor"], limit)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, TicketPage{Tickets: list, Next: next}), nil
}

func (h *Handler) ticket(ctx context.Context, req httpapi.Request) (auth.Principal, rectification.Ticket, error) {
	p := httpapi.Caller(ctx)
	id := req.PathParameters["id"]
	if !rating.ValidID(id) {
		return p, rectification.Ticket{}, apperr.InvalidField("id", "is not a ticket id")
	}
	t, err := h.Tickets.Get(ctx, id)
	if err := httpapi.AuthorizeLoaded(ctx, err, t.Target(), "rectification"); err != nil {
		return p, rectification.Ticket{}, err
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
	stored, err := h.Tickets.Update(ctx, next)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, stored), nil
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
	stored, err := h.Tickets.Update(ctx, next)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, stored), nil
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
// Cost: one directory query and one batched read of the hall's window counters, never a read of
// ratings.
func (h *Handler) blueList(ctx context.Context, req httpapi.Request) (BlueList, error) {
	hallID, err := pathID(req, "hallId", "hall")
	if err != nil {
		return BlueList{}, err
	}
	month, err := h.month(req)
	if err != nil {
		return BlueList{}, err
	}
	hall, err := h.Windows.Hall(ctx, hallID)
	if err != nil {
		return BlueList{}, err
	}
	windows, err := h.Windows.WindowsOfHall(ctx, hallID)
	if err != nil {
		return BlueList{}, err
	}
	keys := make([]rating.CounterKey, len(windows))
	for i, w := range windows {
		keys[i] = rating.CounterKey{Kind: rating.WindowCounter, ID: w.ID, Month: month}
	}
	figs, err := h.Counters.Figures(ctx, keys)
	if err != nil {
		return BlueList{}, err
	}
	out := BlueList{HallID: hall.ID, Hall: hall.Name, Month: month.String(), Windows: []BlueEntry{}}
	for i, w := range windows {
		c := figs[keys[i]].Counts
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
	if err := httpapi.Authorize(ctx, auth.Target{Halls: []string{req.PathParameters["hallId"]}}, "hall"); err != nil {
		return httpapi.Response{}, err
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
	p := httpapi.Caller(ctx)
	id := req.PathParameters["id"]
	if !rating.ValidID(id) {
		return httpapi.Response{}, apperr.InvalidField("id", "is not a rating id")
	}
	var in AppealRequest
	if err := decode(req, &in); err != nil {
		return httpapi.Response{}, err
	}
	r, err := h.Counters.Rating(ctx, id)
	if err := httpapi.AuthorizeLoaded(ctx, err, r.Target(), "rating"); err != nil {
		return httpapi.Response{}, err
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
func (h *Handler) PendingAppeals(ctx context.Context, _ httpapi.Request) (httpapi.Response, error) {
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
	p := httpapi.Caller(ctx)
	id := req.PathParameters["id"]
	if !rating.ValidID(id) {
		return httpapi.Response{}, apperr.InvalidField("id", "is not an appeal id")
	}
	var in AppealDecision
	if err := decode(req, &in); err != nil {
		return httpapi.Response{}, err
	}
	a, err := h.Appeals.Get(ctx, id)
	if err := httpapi.AuthorizeLoaded(ctx, err, a.Target(), "appeal"); err != nil {
		return httpapi.Response{}, err
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

// FlaggedPage is a page of flagged ratings awaiting the city's review.
type FlaggedPage struct {
	Ratings []rating.Rating `json:"ratings"`
	Next    string          `json:"next,omitempty"`
}

// FlaggedRatings answers GET /v1/flagged-ratings?hall=&limit=&cursor=: a hall's ratings the
// integrity watch flagged and the city has not reviewed, oldest first — for the city, and
// read-only for the hall's administrator.
func (h *Handler) FlaggedRatings(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	hall, limit, err := listing(ctx, req, "hall")
	if err != nil {
		return httpapi.Response{}, err
	}
	list, next, err := h.Counters.FlaggedByHall(ctx, hall, req.QueryStringParameters["cursor"], limit)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, FlaggedPage{Ratings: list, Next: next}), nil
}

// FlagReview is the body of POST /v1/ratings/{id}/flag-review.
type FlagReview struct {
	Count bool   `json:"count"` // true: genuine, counted from now on; false: excluded for good
	Note  string `json:"note,omitempty"`
}

// ReviewFlag answers POST /v1/ratings/{id}/flag-review: the city counts a flagged rating or
// excludes it; the decision is audited and the counters move at once.
func (h *Handler) ReviewFlag(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	p := httpapi.Caller(ctx)
	id := req.PathParameters["id"]
	if !rating.ValidID(id) {
		return httpapi.Response{}, apperr.InvalidField("id", "is not a rating id")
	}
	var in FlagReview
	if err := decode(req, &in); err != nil {
		return httpapi.Response{}, err
	}
	r, err := h.Counters.Rating(ctx, id)
	if err := httpapi.AuthorizeLoaded(ctx, err, r.Target(), "rating"); err != nil {
		return httpapi.Response{}, err
	}
	next, err := r.ReviewFlag(p, in.Count, in.Note, h.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	if err := h.Counters.ReviewFlag(ctx, next); err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, next), nil
}

// AuditPage is the decisions taken on a rating.
type AuditPage struct {
	RatingID  string         `json:"ratingId"`
	Flag      *rating.Flag   `json:"flag,omitempty"`
	Decisions []dynamo.Audit `json:"decisions"`
}

// RatingAudit answers GET /v1/ratings/{id}/audit for the city: the watch's flag and every
// decision taken on the rating since.
func (h *Handler) RatingAudit(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	id := req.PathParameters["id"]
	if !rating.ValidID(id) {
		return httpapi.Response{}, apperr.InvalidField("id", "is not a rating id")
	}
	r, err := h.Counters.Rating(ctx, id)
	if err := httpapi.AuthorizeLoaded(ctx, err, r.Target(), "rating"); err != nil {
		return httpapi.Response{}, err
	}
	list, err := h.Counters.AuditOf(ctx, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, AuditPage{RatingID: r.ID, Flag: r.Flag, Decisions: list}), nil
}
