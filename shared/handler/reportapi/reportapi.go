// Package reportapi serves the monthly assessment reports (月度考核): the report of a month as
// JSON — whole for the city administration, a unit's own part for its administrator — and the
// city's route that scores a month again.
package reportapi

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"banban/shared/apperr"
	"banban/shared/assessment"
	"banban/shared/auth"
	"banban/shared/calendar"
	"banban/shared/httpapi"
	"banban/shared/scoring"
)

// Reports reads stored report revisions.
type Reports interface {
	Read(ctx context.Context, m calendar.Month, rev int, unit string) (scoring.Report, error)
}

// Runner scores a month.
type Runner interface {
	Run(ctx context.Context, m calendar.Month) (assessment.Outcome, error)
}

// Handler serves the report routes.
type Handler struct {
	Reports  Reports
	Assessor Runner
	Now      func() time.Time
}

// Routes registers the handler's routes.
func (h *Handler) Routes(log *slog.Logger) *httpapi.Router {
	r := httpapi.NewRouter(log)
	r.Handle("GET /v1/reports/{month}", h.Get)
	r.Handle("POST /v1/reports/{month}/runs", h.Run)
	return r
}

// month reads the month of the path: a past or the current Asia/Shanghai month.
func (h *Handler) month(req httpapi.Request) (calendar.Month, error) {
	m, err := calendar.ParseMonth(req.PathParameters["month"])
	if err != nil {
		return calendar.Month{}, apperr.InvalidField("month", "must be YYYY-MM")
	}
	if calendar.MonthOf(h.Now()).Start().Before(m.Start()) {
		return calendar.Month{}, apperr.InvalidField("month", "is in the future")
	}
	return m, nil
}

// View is what p may read of a report: all of it for the city; for a unit's administrator the
// unit's own figures, windows, staff and helpers, and the city's totals — no other unit, no hall.
func View(rep scoring.Report, p auth.Principal) (scoring.Report, error) {
	switch p.Role {
	case auth.CityAdmin:
		return rep, nil
	case auth.UnitAdmin:
		if p.UnitID == "" {
			break
		}
		own := []scoring.Score{}
		for _, u := range rep.Units {
			if u.ID == p.UnitID {
				own = append(own, u)
			}
		}
		rep.Units, rep.Halls = own, []scoring.Score{}
		for _, list := range []*[]scoring.Score{&rep.Windows, &rep.Staff, &rep.Helpers} {
			kept := []scoring.Score{}
			for _, s := range *list {
				if s.UnitID == p.UnitID {
					kept = append(kept, s)
				}
			}
			*list = kept
		}
		return rep, nil
	}
	return scoring.Report{}, apperr.New(apperr.Forbidden, "forbidden", "role %s may not read assessment reports", p.Role)
}

// Get answers GET /v1/reports/{month}?revision=N (the latest by default).
func (h *Handler) Get(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	rep, err := h.read(ctx, req)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, rep), nil
}

// read is the report the request names, as its caller may see it.
func (h *Handler) read(ctx context.Context, req httpapi.Request) (scoring.Report, error) {
	p, err := httpapi.Principal(req)
	if err != nil {
		return scoring.Report{}, err
	}
	m, err := h.month(req)
	if err != nil {
		return scoring.Report{}, err
	}
	if _, err := View(scoring.Report{}, p); err != nil {
		return scoring.Report{}, err // refused before anything is read
	}
	rev := 0
	if s, ok := req.QueryStringParameters["revision"]; ok {
		if rev, err = strconv.Atoi(s); err != nil || rev < 1 {
			return scoring.Report{}, apperr.InvalidField("revision", "must be a revision number from 1")
		}
	}
	unit := ""
	if p.Role == auth.UnitAdmin {
		unit = p.UnitID
	}
	rep, err := h.Reports.Read(ctx, m, rev, unit)
	if err != nil {
		return scoring.Report{}, err
	}
	return View(rep, p)
}

// Run answers POST /v1/reports/{month}/runs: the city scores a month again now. The answer says
// whether a new revision was stored (201) or the figures had not changed (200).
func (h *Handler) Run(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	p, err := httpapi.Principal(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	if p.Role != auth.CityAdmin {
		return httpapi.Response{}, apperr.New(apperr.Forbidden, "forbidden", "only the city administration runs the assessment")
	}
	m, err := h.month(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	out, err := h.Assessor.Run(ctx, m)
	if err != nil {
		return httpapi.Response{}, err
	}
	status := http.StatusOK
	if out.Created {
		status = http.StatusCreated
	}
	return httpapi.JSON(status, out), nil
}
