package evaluationstaff_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"

	"banban/local/demo"
	"banban/local/stacktest"
	"banban/local/testenv"
	"banban/shared/calendar"
	"banban/shared/directory"
	"banban/shared/dynamo"
	"banban/shared/handler/evaluationstaff"
	"banban/shared/httpapi"
	"banban/shared/rating"
	"banban/shared/routing"
)

// staffRouter loads the demo directory and serves the staff routes at now.
func staffRouter(t *testing.T, now time.Time) (*httpapi.Router, *dynamo.Ratings, *stacktest.Env) {
	t.Helper()
	env := stacktest.Provision(t)
	db := testenv.DynamoDB(t)
	d, err := demo.ReadDirectory(testenv.RepoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := &dynamo.Directory{DB: db, Table: env.Table(t, "DirectoryTable")}
	if err := dir.Load(ctx, d); err != nil {
		t.Fatal(err)
	}
	h, err := evaluationstaff.New(evaluationstaff.Config{RatingsTable: env.Table(t, "RatingsTable"), DirectoryTable: env.Table(t, "DirectoryTable"),
		RatingBuckets: "good=4,5;average=3;poor=1,2", RectifyDays: 5, HelpersTable: env.Table(t, "HelpersTable")}, db, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	store := &dynamo.Ratings{DB: db, Table: env.Table(t, "RatingsTable"), Now: func() time.Time { return now },
		Watch: rating.DefaultWatch}
	return h.Routes(slog.New(slog.NewJSONHandler(io.Discard, nil))), store, env
}

func invoke(t *testing.T, r *httpapi.Router, route string, path, query, claims map[string]string, body string, out any) int {
	t.Helper()
	req := httpapi.Request{RouteKey: route, PathParameters: path, QueryStringParameters: query, Body: body,
		Headers: map[string]string{"content-type": "application/json"}}
	req.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
		JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims}}
	resp, err := r.Invoke(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal([]byte(resp.Body), out); err != nil {
			t.Fatalf("%s: %v in %s", route, err, resp.Body)
		}
	}
	if resp.StatusCode >= 300 {
		t.Logf("%s: %d %s", route, resp.StatusCode, resp.Body)
	}
	return resp.StatusCode
}

var city = map[string]string{"sub": "staff:city-1", "kind": "staff", "role": "city_admin"}

// TestUnitAndHallFiguresRollUpWindowsAndCases: a unit's figure is its windows' in every hall plus
// its case ratings; a hall's is its windows' plus the cases it received; a staff member's is
// theirs alone — all from counters, with flags and defaults apart.
func TestUnitAndHallFiguresRollUpWindowsAndCases(t *testing.T) {
	now := time.Date(2026, 11, 28, 15, 0, 0, 0, calendar.Shanghai)
	router, store, env := staffRouter(t, now)
	at := now.Add(-3 * time.Hour)
	kiosk := func(window, unit, staff string, level rating.Level, minutes int) rating.Rating {
		given := at.Add(time.Duration(minutes) * time.Minute)
		return rating.Rating{ID: uuid.NewString(), Channel: rating.ChannelKiosk, KioskID: "k-" + window, WindowID: window,
			HallID: "zb-center", UnitID: unit, StaffID: staff, Level: level, RatedAt: given, ReceivedAt: given}
	}
	caseRating := func(channel string, level rating.Level) rating.Rating {
		return rating.Rating{ID: uuid.NewString(), Channel: channel, HallID: "zb-center", UnitID: "zb-scjg", StaffID: "helper-zb-1",
			Level: level, RatedAt: at, ReceivedAt: at}
	}
	batch := []rating.Rating{
		kiosk("zb-a01", "zb-scjg", "clerk-zb-a01", 5, 0),
		kiosk("zb-a01", "zb-scjg", "clerk-zb-a01", 2, 5),
		kiosk("zb-a02", "zb-scjg", "", 4, 0),
		kiosk("zb-b01", "zb-rsj", "clerk-zb-b01", 3, 0), // another unit, same hall
		caseRating(rating.ChannelCase, 5),
		caseRating(rating.ChannelDefault, 3),
	}
	if _, err := store.Record(ctx, batch); err != nil {
		t.Fatal(err)
	}
	// A burst of top ratings at window zb-a02: the third within 30 s is flagged.
	burst := []rating.Rating{kiosk("zb-a02", "zb-scjg", "", 5, 60), kiosk("zb-a02", "zb-scjg", "", 5, 60), kiosk("zb-a02", "zb-scjg", "", 5, 60)}
	res, err := store.Record(ctx, burst)
	if err != nil || len(res.Flagged) != 1 || res.Flagged[0] != burst[2].ID {
		t.Fatalf("burst: %+v %v", res, err)
	}

	var unit evaluationstaff.RollUp
	if s := invoke(t, router, "GET /v1/units/{unitId}/stats", map[string]string{"unitId": "zb-scjg"}, map[string]string{"month": "2026-11"}, city, "", &unit); s != 200 {
		t.Fatalf("unit stats: %d", s)
	}
	// zb-scjg: a01 5,2; a02 4,5,5 (+1 flagged); cases 5 (+1 default).
	if unit.Total != 6 || unit.Good != 5 || unit.Poor != 1 || unit.Flagged != 1 || unit.Defaulted != 1 ||
		unit.Cases.Total != 1 || unit.Cases.Defaulted != 1 || len(unit.Windows) != 3 {
		t.Errorf("unit figures %+v", unit)
	}
	lines := map[string]evaluationstaff.WindowLine{}
	for _, l := range unit.Windows {
		lines[l.WindowID] = l
	}
	if lines["zb-a01"].Total != 2 || lines["zb-a02"].Total != 3 || lines["zb-a02"].Flagged != 1 || lines["zb-a03"].Total != 0 {
		t.Errorf("window lines %+v", unit.Windows)
	}
	var hall evaluationstaff.RollUp
	if s := invoke(t, router, "GET /v1/halls/{hallId}/stats", map[string]string{"hallId": "zb-center"}, map[string]string{"month": "2026-11"}, city, "", &hall); s != 200 {
		t.Fatalf("hall stats: %d", s)
	}
	if hall.Total != 7 || hall.Average != 1 || hall.Cases.Total != 1 || hall.Flagged != 1 {
		t.Errorf("hall figures %+v", hall.Stats)
	}
	var clerk, helper evaluationstaff.StaffStats
	invoke(t, router, "GET /v1/staff/{id}/stats", map[string]string{"id": "clerk-zb-a01"}, map[string]string{"month": "2026-11"}, city, "", &clerk)
	if clerk.Total != 2 || clerk.Good != 1 || clerk.Poor != 1 {
		t.Errorf("clerk figures %+v", clerk)
	}
	// A helper is found among the helpers: the figures of the cases they handled, the default apart.
	if err := (&dynamo.Helpers{DB: testenv.DynamoDB(t), Table: env.Table(t, "HelpersTable")}).Put(ctx,
		routing.Helper{ID: "helper-zb-1", Name: "王帮办", Level: directory.District, UnitID: "zb-scjg", HallID: "zb-center", District: "zibo", Capacity: 5}); err != nil {
		t.Fatal(err)
	}
	if s := invoke(t, router, "GET /v1/staff/{id}/stats", map[string]string{"id": "helper-zb-1"}, map[string]string{"month": "2026-11"}, city, "", &helper); s != 200 ||
		helper.Total != 1 || helper.Good != 1 || helper.Defaulted != 1 || helper.UnitID != "zb-scjg" {
		t.Errorf("helper figures: %d %+v", s, helper)
	}
	otherUnit := map[string]string{"sub": "staff:a", "kind": "staff", "role": "unit_admin", "unit": "zb-rsj"}
	if s := invoke(t, router, "GET /v1/staff/{id}/stats", map[string]string{"id": "helper-zb-1"}, nil, otherUnit, "", nil); s != 404 {
		t.Errorf("another unit's administrator on the helper: %d", s)
	}
	if s := invoke(t, router, "GET /v1/staff/{id}/stats", map[string]string{"id": "nobody"}, nil, city, "", nil); s != 404 {
		t.Errorf("unknown staff: %d", s)
	}
	// October is empty.
	var oct evaluationstaff.RollUp
	invoke(t, router, "GET /v1/units/{unitId}/stats", map[string]string{"unitId": "zb-scjg"}, map[string]string{"month": "2026-10"}, city, "", &oct)
	if oct.Total != 0 || oct.Flagged != 0 || len(oct.Windows) != 3 {
		t.Errorf("October %+v", oct)
	}
}

// TestFlagReviewCountsOrExcludesOnceAndAudits: the city lists a hall's flagged ratings, counts
// one (it moves from flagged to its level, and a poor one opens its rectification) and excludes
// another with a note; a second review is refused; the audit names who decided.
func TestFlagReviewCountsOrExcludesOnceAndAudits(t *testing.T) {
	now := time.Date(2026, 11, 28, 15, 0, 0, 0, calendar.Shanghai)
	router, store, _ := staffRouter(t, now)
	at := now.Add(-time.Hour)
	var rs []rating.Rating
	for i, l := range []rating.Level{4, 4, 4, 4, 1, 2} { // six within 50 s at one kiosk: the 5th and 6th break the rate
		given := at.Add(time.Duration(i) * 10 * time.Second)
		rs = append(rs, rating.Rating{ID: uuid.NewString(), Channel: rating.ChannelKiosk, KioskID: "k-a01", WindowID: "zb-a01",
			HallID: "zb-center", UnitID: "zb-scjg", Level: l, RatedAt: given, ReceivedAt: given})
	}
	res, err := store.Record(ctx, rs)
	if err != nil || len(res.Flagged) != 2 {
		t.Fatalf("record: %+v %v", res, err)
	}
	poor, other := rs[4], rs[5]

	var page evaluationstaff.FlaggedPage
	if s := invoke(t, router, "GET /v1/flagged-ratings", nil, map[string]string{"hall": "zb-center"}, city, "", &page); s != 200 || len(page.Ratings) != 2 ||
		page.Ratings[0].ID != poor.ID || page.Ratings[0].Flag == nil || page.Ratings[0].Flag.Rule != rating.RuleRate {
		t.Fatalf("flagged list: %d %+v", s, page)
	}
	figures := func() rating.Figures {
		k := rating.CounterKey{Kind: rating.WindowCounter, ID: "zb-a01", Month: calendar.MonthOf(at)}
		f, err := store.Figures(ctx, []rating.CounterKey{k})
		if err != nil {
			t.Fatal(err)
		}
		return f[k]
	}
	if f := figures(); f.Counts.Total() != 4 || f.Flagged != 2 {
		t.Fatalf("before review %+v", f)
	}

	path := func(id string) map[string]string { return map[string]string{"id": id} }
	if s := invoke(t, router, "POST /v1/ratings/{id}/flag-review", path(other.ID), nil, city, `{"count":false}`, nil); s != 400 {
		t.Errorf("excluding without a note: %d", s)
	}
	var reviewed rating.Rating
	if s := invoke(t, router, "POST /v1/ratings/{id}/flag-review", path(poor.ID), nil, city, `{"count":true,"note":"a real complaint"}`, &reviewed); s != 200 ||
		reviewed.Flag.Review != rating.ReviewCounted || reviewed.Flag.ReviewedBy != "staff:city-1" {
		t.Fatalf("count: %d %+v", s, reviewed.Flag)
	}
	if s := invoke(t, router, "POST /v1/ratings/{id}/flag-review", path(other.ID), nil, city, `{"count":false,"note":"pressed by staff"}`, nil); s != 200 {
		t.Fatalf("exclude: %d", s)
	}
	if s := invoke(t, router, "POST /v1/ratings/{id}/flag-review", path(other.ID), nil, city, `{"count":true}`, nil); s != 409 {
		t.Errorf("second review: %d, want 409", s)
	}
	if f := figures(); f.Counts != (rating.Counts{1: 1, 4: 4}) || f.Flagged != 0 || f.Excluded != 1 {
		t.Errorf("after review %+v", f)
	}
	if s := invoke(t, router, "GET /v1/flagged-ratings", nil, map[string]string{"hall": "zb-center"}, city, "", &page); s != 200 || len(page.Ratings) != 0 {
		t.Errorf("reviewed ratings still listed: %+v", page)
	}
	// The counted poor rating opened its rectification ticket now.
	var ticket struct {
		ID    string `json:"id"`
		State string `json:"state"`
	}
	if s := invoke(t, router, "GET /v1/rectifications/{id}", path(poor.ID), nil, city, "", &ticket); s != 200 || ticket.State != "open" {
		t.Errorf("ticket of the counted poor rating: %d %+v", s, ticket)
	}
	var audit evaluationstaff.AuditPage
	if s := invoke(t, router, "GET /v1/ratings/{id}/audit", path(other.ID), nil, city, "", &audit); s != 200 || len(audit.Decisions) != 1 ||
		audit.Decisions[0].Actor != "staff:city-1" || audit.Decisions[0].Detail != rating.ReviewExcluded || audit.Decisions[0].Note != "pressed by staff" ||
		audit.Flag == nil || audit.Flag.Rule != rating.RuleRate {
		t.Errorf("audit: %d %+v", s, audit)
	}
	// A unit cannot appeal the excluded poor rating: it is not counted.
	unit := map[string]string{"sub": "staff:u-1", "kind": "staff", "role": "unit_admin", "unit": "zb-scjg"}
	if s := invoke(t, router, "POST /v1/ratings/{id}/appeal", path(other.ID), nil, unit, `{"kind":"mistaken","reason":"x"}`, nil); s != 409 {
		t.Errorf("appeal of an excluded rating: %d, want 409", s)
	}
}
