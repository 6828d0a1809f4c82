// Package helperapi manages helpers (帮办员) for routing: administrators register a helper's team,
// skills, capacity and weekly schedule within their scope; helpers set their own status.
package helperapi

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
	"banban/shared/routing"
)

// Config is read from the environment set by template.yaml.
type Config struct {
	HelpersTable   string `env:"HELPERS_TABLE,required"`
	CasesTable     string `env:"CASES_TABLE,required"`
	DirectoryTable string `env:"DIRECTORY_TABLE,required"`
}

// Helpers is the helper registry.
type Helpers interface {
	Get(ctx context.Context, id string) (routing.Helper, error)
	Put(ctx context.Context, h routing.Helper) error
	SetStatus(ctx context.Context, id string, st routing.Status) error
	Figures(ctx context.Context, helperID string, m calendar.Month) (dynamo.HelperFigures, error)
	SetTeamRule(ctx context.Context, level directory.Level, district string, rule routing.Rule) error
}

// Directory finds the staff account of a helper and the hall it works in.
type Directory interface {
	Staff(ctx context.Context, id string) (directory.Staff, error)
	Hall(ctx context.Context, id string) (directory.Hall, error)
}

// Handler serves the helper routes.
type Handler struct {
	Helpers   Helpers
	Directory Directory
}

// New wires the handler.
func New(cfg Config, db dynamo.API) *Handler {
	return &Handler{Helpers: &dynamo.Helpers{DB: db, Table: cfg.HelpersTable, CasesTable: cfg.CasesTable},
		Directory: &dynamo.Directory{DB: db, Table: cfg.DirectoryTable}}
}

// The policies of the helper routes: administrators manage the helpers of their scope, and a
// helper reads and sets what is its own.
var (
	manage       = map[auth.Role][]auth.Reach{auth.CityAdmin: {auth.All}, auth.HallAdmin: {auth.Hall}, auth.UnitAdmin: {auth.Unit}}
	manageOrSelf = auth.Allow(map[auth.Role][]auth.Reach{auth.CityAdmin: {auth.All}, auth.HallAdmin: {auth.Hall},
		auth.UnitAdmin: {auth.Unit}, auth.Helper: {auth.Own}})
)

// Routes registers the handler's routes.
func (h *Handler) Routes(log *slog.Logger) *httpapi.Router {
	r := httpapi.NewRouter(log)
	r.Handle("GET /v1/helpers/{id}", manageOrSelf, h.Get)
	r.Handle("PUT /v1/helpers/{id}", auth.Allow(manage), h.Put)
	r.Handle("PUT /v1/helpers/{id}/status", manageOrSelf, h.SetStatus)
	r.Handle("GET /v1/helpers/{id}/figures", manageOrSelf, h.Figures)
	r.Handle("PUT /v1/teams/{level}/{district}/rule", auth.Allow(map[auth.Role][]auth.Reach{auth.CityAdmin: {auth.All}}), h.SetTeamRule)
	return r
}

// TeamRuleRequest is the body of PUT /v1/teams/{level}/{district}/rule.
type TeamRuleRequest struct {
	Rule routing.Rule `json:"rule"`
}

// SetTeamRule answers PUT /v1/teams/{level}/{district}/rule: how the team chooses among its
// candidates. The city administration sets any team's rule.
func (h *Handler) SetTeamRule(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	level, district := directory.Level(req.PathParameters["level"]), req.PathParameters["district"]
	if !level.Valid() {
		return httpapi.Response{}, apperr.InvalidField("level", "must be city, district, town or community")
	}
	if directory.Districts[district] == "" {
		return httpapi.Response{}, apperr.InvalidField("district", "is not a district of the city")
	}
	body, err := httpapi.Body(req, 1<<10)
	if err != nil {
		return httpapi.Response{}, err
	}
	var in TeamRuleRequest
	if err := httpapi.DecodeJSON(req, body, &in); err != nil {
		return httpapi.Response{}, err
	}
	if !in.Rule.Valid() {
		return httpapi.Response{}, apperr.InvalidField("rule", "must be %s or %s", routing.LeastLoaded, routing.LongestIdle)
	}
	if err := h.Helpers.SetTeamRule(ctx, level, district, in.Rule); err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, in), nil
}

// Figures answers GET /v1/helpers/{id}/figures?month=YYYY-MM (default this month): cases
// assigned, accepted (and the average time to accept), completed within and past the due time,
// unable, and the mode mix, for the monthly report.
func (h *Handler) Figures(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	hp, err := h.load(ctx, req)
	if err != nil {
		return httpapi.Response{}, err
	}
	month := calendar.MonthOf(time.Now())
	if s, ok := req.QueryStringParameters["month"]; ok {
		if month, err = calendar.ParseMonth(s); err != nil {
			return httpapi.Response{}, apperr.InvalidField("month", "must be YYYY-MM")
		}
	}
	f, err := h.Helpers.Figures(ctx, hp.ID, month)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, f), nil
}

// load reads the helper of the path, if the caller reaches it.
func (h *Handler) load(ctx context.Context, req httpapi.Request) (routing.Helper, error) {
	id := req.PathParameters["id"]
	if !auth.ValidStaffID(id) {
		return routing.Helper{}, apperr.InvalidField("id", "is not a staff id")
	}
	hp, err := h.Helpers.Get(ctx, id)
	if err := httpapi.AuthorizeLoaded(ctx, err, hp.Target(), "helper"); err != nil {
		return routing.Helper{}, err
	}
	return hp, nil
}

// Get answers GET /v1/helpers/{id}: the helper or an administrator of the helper's scope.
func (h *Handler) Get(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	hp, err := h.load(ctx, req)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, hp), nil
}

// Profile is the body of PUT /v1/helpers/{id}: everything but the counters routing keeps.
type Profile struct {
	Name     string          `json:"name"`
	Level    directory.Level `json:"level"`
	UnitID   string          `json:"unitId"`
	HallID   string          `json:"hallId,omitempty"`
	District string          `json:"district"`
	Grids    []string        `json:"grids,omitempty"`
	Domains  []string        `json:"domains,omitempty"`
	Matters  []string        `json:"matters,omitempty"`
	Capacity int             `json:"capacity"`
	Schedule []routing.Shift `json:"schedule"`
	Status   routing.Status  `json:"status"`
	Lead     bool            `json:"lead,omitempty"`
	OnCall   bool            `json:"onCall,omitempty"`
}

// Put answers PUT /v1/helpers/{id}: an administrator registers or changes the routing profile of a
// helper's staff account, within scope (and may not move a helper into or out of the
// administrator's own scope). The profile's unit and hall are the account's, and its district
// the hall's.
func (h *Handler) Put(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	id := req.PathParameters["id"]
	if !auth.ValidStaffID(id) {
		return httpapi.Response{}, apperr.InvalidField("id", "is not a staff id")
	}
	body, err := httpapi.Body(req, 16<<10)
	if err != nil {
		return httpapi.Response{}, err
	}
	var in Profile
	if err := httpapi.DecodeJSON(req, body, &in); err != nil {
		return httpapi.Response{}, err
	}
	hp := routing.Helper{ID: id, Name: in.Name, Level: in.Level, UnitID: in.UnitID, HallID: in.HallID, District: in.District,
		Grids: in.Grids, Domains: in.Domains, Matters: in.Matters, Capacity: in.Capacity, Schedule: in.Schedule,
		Status: in.Status, Lead: in.Lead, OnCall: in.OnCall}
	if hp.Level == directory.City {
		hp.District = "city"
	}
	if err := hp.Check(); err != nil {
		return httpapi.Response{}, err
	}
	// The account is the helper's identity: it must be a helper's, in the administrator's reach,
	// and the profile may not place the helper anywhere else.
	st, err := h.Directory.Staff(ctx, id)
	if err := httpapi.AuthorizeLoaded(ctx, err, st.Target(), "staff account"); err != nil {
		return httpapi.Response{}, err
	}
	switch {
	case st.Role != auth.Helper:
		return httpapi.Response{}, apperr.InvalidField("id", "is the account of a %s, not of a helper", st.Role)
	case hp.UnitID != st.UnitID:
		return httpapi.Response{}, apperr.InvalidField("unitId", "must be the unit of the helper's account, %s", st.UnitID)
	case hp.HallID != st.HallID:
		return httpapi.Response{}, apperr.InvalidField("hallId", "must be the hall of the helper's account, %q", st.HallID)
	}
	if hp.HallID != "" && hp.Level != directory.City {
		hall, err := h.Directory.Hall(ctx, hp.HallID)
		if err != nil {
			return httpapi.Response{}, err
		}
		if hp.District != hall.District {
			return httpapi.Response{}, apperr.InvalidField("district", "must be the district of hall %s, %s", hall.ID, hall.District)
		}
	}
	old, err := h.Helpers.Get(ctx, id)
	switch {
	case err == nil:
		if err := httpapi.Authorize(ctx, old.Target(), "helper"); err != nil {
			return httpapi.Response{}, err
		}
	case apperr.KindOf(err) != apperr.NotFound:
		return httpapi.Response{}, err
	}
	if err := h.Helpers.Put(ctx, hp); err != nil {
		return httpapi.Response{}, err
	}
	saved, err := h.Helpers.Get(ctx, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, saved), nil
}

// StatusRequest is the body of PUT /v1/helpers/{id}/status.
type StatusRequest struct {
	Status routing.Status `json:"status"`
}

// SetStatus answers PUT /v1/helpers/{id}/status: helpers set their own status (on duty, away,
// off); administrators of their scope may too.
func (h *Handler) SetStatus(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	hp, err := h.load(ctx, req)
	if err != nil {
		return httpapi.Response{}, err
	}
	body, err := httpapi.Body(req, 1<<10)
	if err != nil {
		return httpapi.Response{}, err
	}
	var in StatusRequest
	if err := httpapi.DecodeJSON(req, body, &in); err != nil {
		return httpapi.Response{}, err
	}
	if !in.Status.Valid() {
		return httpapi.Response{}, apperr.InvalidField("status", "must be one of %v", []routing.Status{routing.OnDuty, routing.Away, routing.Off})
	}
	if err := h.Helpers.SetStatus(ctx, hp.ID, in.Status); err != nil {
		return httpapi.Response{}, err
	}
	hp.Status = in.Status
	return httpapi.JSON(http.StatusOK, hp), nil
}
