// Package reportapi serves the monthly assessment reports (月度考核): the report of a month as
// JSON, as an Excel workbook and as an HTML page with charts — whole for the city administration,
// a unit's own part for its administrator — and the city's route that scores a month again.
package reportapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"banban/shared/apperr"
	"banban/shared/assessment"
	"banban/shared/auth"
	"banban/shared/calendar"
	"banban/shared/httpapi"
	"banban/shared/report"
	"banban/shared/scoring"
)

// Reports reads stored report revisions.
type Reports interface {
	Read(ctx context.Context, m calendar.Month, rev int, unit string) (scoring.Report, error)
	Head(ctx context.Context, m calendar.Month) (scoring.Report, error)
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
	r.Handle("GET /v1/reports/{month}", readReports, h.Get)
	r.Handle("POST /v1/reports/{month}/runs", auth.Allow(map[auth.Role][]auth.Reach{auth.CityAdmin: {auth.All}}), h.Run)
	r.Handle("GET /v1/reports/{month}/workbook", readReports, h.Workbook)
	r.Handle("GET /v1/reports/{month}/charts", readReports, h.Charts)
	return r
}

// readReports: the city administration reads whole reports, a unit's administrator the scores it
// reaches — its unit's own, with its windows, staff and helpers.
var readReports = auth.Allow(map[auth.Role][]auth.Reach{auth.CityAdmin: {auth.All}, auth.UnitAdmin: {auth.Unit}})

// TrendMonths is how many months before the report's the charts' trend shows.
const TrendMonths = 5

// Workbook answers GET /v1/reports/{month}/workbook: the report as an Excel workbook with
// Chinese headers, a sheet per hall and per unit, as the caller may see it.
func (h *Handler) Workbook(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	rep, _, err := h.read(ctx, req)
	if err != nil {
		return httpapi.Response{}, err
	}
	b, err := report.Workbook(rep)
	if err != nil {
		return httpapi.Response{}, err
	}
	name := fmt.Sprintf("月度考核-%s-第%d版.xlsx", rep.Month, rep.Revision)
	return httpapi.File("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", name, b), nil
}

// Charts answers GET /v1/reports/{month}/charts: the report as a self-contained HTML page with
// charts (grades, good-rating rate by unit, the trend of the months before), as the caller may
// see it.
func (h *Handler) Charts(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	rep, p, err := h.read(ctx, req)
	if err != nil {
		return httpapi.Response{}, err
	}
	m, err := calendar.ParseMonth(rep.Month)
	if err != nil {
		return httpapi.Response{}, err
	}
	var trend []scoring.Report
	for i := TrendMonths; i >= 1; i-- {
		before := calendar.MonthOf(m.Start().AddDate(0, -i, 0).Add(time.Hour))
		earlier, err := h.Reports.Head(ctx, before)
		if apperr.KindOf(err) == apperr.NotFound {
			continue // not scored
		}
		if err != nil {
			return httpapi.Response{}, err
		}
		trend = append(trend, View(earlier, p))
	}
	b, err := report.HTML(rep, trend)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.HTML(b), nil
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

// View is what p may read of a report: the scores p reaches under readReports — all of them for
// the city; for a unit's administrator the unit's own figures, windows, staff and helpers, no
// other unit and no hall — and the city's totals.
func View(rep scoring.Report, p auth.Principal) scoring.Report {
	keep := func(list []scoring.Score, target func(scoring.Score) auth.Target) []scoring.Score {
		kept := []scoring.Score{}
		for _, s := range list {
			if readReports.Reaches(p, target(s)) {
				kept = append(kept, s)
			}
		}
		return kept
	}
	ofUnit := func(s scoring.Score) auth.Target {
		return auth.Target{Units: []string{s.UnitID}, Halls: []string{s.HallID}}
	}
	rep.Units = keep(rep.Units, func(s scoring.Score) auth.Target { return auth.Target{Units: []string{s.ID}} })
	rep.Halls = keep(rep.Halls, func(s scoring.Score) auth.Target { return auth.Target{Halls: []string{s.ID}} })
	rep.Windows, rep.Staff, rep.Helpers = keep(rep.Windows, ofUnit), keep(rep.Staff, ofUnit), keep(rep.Helpers, ofUnit)
	return rep
}

// Get answers GET /v1/reports/{month}?revision=N (the latest by default).
func (h *Handler) Get(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	rep, _, err := h.read(ctx, req)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, rep), nil
}

// read is the report the request names, as its caller p may see it.
func (h *Handler) read(ctx context.Context, req httpapi.Request) (scoring.Report, auth.Principal, error) {
	p := httpapi.Caller(ctx)
	m, err := h.month(req)
	if err != nil {
		return scoring.Report{}, p, err
	}
	rev := 0
	if s, ok := req.QueryStringParameters["revision"]; ok {
		if rev, err = strconv.Atoi(s); err != nil || rev < 1 {
			return scoring.Report{}, p, apperr.InvalidField("revision", "must be a revision number from 1")
		}
	}
	unit := ""
	if p.Role == auth.UnitAdmin {
		unit = p.UnitID
	}
	rep, err := h.Reports.Read(ctx, m, rev, unit)
	if err != nil {
		return scoring.Report{}, p, err
	}
	return View(rep, p), p, nil
}

// Run answers POST /v1/reports/{month}/runs: the city scores a month again now. The answer says
// whether a new revision was stored (201) or the figures had not changed (200).
func (h *Handler) Run(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
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
