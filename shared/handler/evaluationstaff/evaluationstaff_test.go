package evaluationstaff_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"

	"banban/local/demo"
	"banban/local/stacktest"
	"banban/local/testenv"
	"banban/shared/calendar"
	"banban/shared/dynamo"
	"banban/shared/handler/evaluationstaff"
	"banban/shared/httpapi"
	"banban/shared/rating"
)

var ctx = context.Background()

func TestWindowStatsAuthorizationAndCounts(t *testing.T) {
	env := stacktest.Provision(t)
	db := testenv.DynamoDB(t)
	d, err := demo.ReadDirectory(testenv.RepoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := (&dynamo.Directory{DB: db, Table: env.Table(t, "DirectoryTable")}).Load(ctx, d); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, calendar.Shanghai)
	store := &dynamo.Ratings{DB: db, Table: env.Table(t, "RatingsTable"), Now: time.Now}
	var rs []rating.Rating
	for _, l := range []rating.Level{5, 5, 4, 3, 1} {
		rs = append(rs, rating.Rating{ID: uuid.NewString(), Channel: rating.ChannelKiosk, KioskID: "k", WindowID: "zb-a01", HallID: "zb-center", UnitID: "zb-scjg",
			Level: l, RatedAt: now, ReceivedAt: now})
	}
	if _, err := store.Record(ctx, rs); err != nil {
		t.Fatal(err)
	}
	cfg := evaluationstaff.Config{RatingsTable: env.Table(t, "RatingsTable"), DirectoryTable: env.Table(t, "DirectoryTable"),
		HelpersTable: env.Table(t, "HelpersTable")}
	cfg.RatingBuckets = "good=4,5;average=3;poor=1,2"
	h, err := evaluationstaff.New(cfg, db, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	router := h.Routes(slog.New(slog.NewJSONHandler(io.Discard, nil)))

	get := func(window string, query map[string]string, claims map[string]string) (int, string) {
		req := httpapi.Request{RouteKey: "GET /v1/windows/{windowId}/stats", PathParameters: map[string]string{"windowId": window},
			QueryStringParameters: query}
		if claims != nil {
			req.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims}}
		}
		resp, err := router.Invoke(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, resp.Body
	}

	// Who may read window zb-a01 (hall zb-center, unit zb-scjg): a role the route does not name is
	// refused (403); a role it names but whose scope is elsewhere is told the window is not found.
	matrix := []struct {
		name   string
		claims map[string]string
		status int
	}{
		{"city admin", map[string]string{"sub": "staff:a", "kind": "staff", "role": "city_admin"}, 200},
		{"its hall admin", map[string]string{"sub": "staff:a", "kind": "staff", "role": "hall_admin", "hall": "zb-center"}, 200},
		{"another hall admin", map[string]string{"sub": "staff:a", "kind": "staff", "role": "hall_admin", "hall": "zc-center"}, 404},
		{"its unit admin", map[string]string{"sub": "staff:a", "kind": "staff", "role": "unit_admin", "unit": "zb-scjg"}, 200},
		{"another unit admin", map[string]string{"sub": "staff:a", "kind": "staff", "role": "unit_admin", "unit": "zb-rsj"}, 404},
		{"its clerk", map[string]string{"sub": "staff:a", "kind": "staff", "role": "clerk", "window": "zb-a01", "unit": "zb-scjg"}, 200},
		{"a clerk of the same unit", map[string]string{"sub": "staff:a", "kind": "staff", "role": "clerk", "window": "zb-a02", "unit": "zb-scjg"}, 404},
		{"a helper", map[string]string{"sub": "staff:a", "kind": "staff", "role": "helper", "unit": "zb-scjg", "hall": "zb-center"}, 403},
		{"a citizen", map[string]string{"sub": "citizen:a", "kind": "citizen", "role": "citizen"}, 403},
		{"an unknown role", map[string]string{"sub": "staff:a", "kind": "staff", "role": "root"}, 403},
		{"no token", nil, 401},
	}
	for _, m := range matrix {
		if status, body := get("zb-a01", map[string]string{"month": "2026-11"}, m.claims); status != m.status {
			t.Errorf("%s: %d %s, want %d", m.name, status, body, m.status)
		}
	}

	city := map[string]string{"sub": "staff:a", "kind": "staff", "role": "city_admin"}
	status, body := get("zb-a01", map[string]string{"month": "2026-11"}, city)
	var ws evaluationstaff.WindowStats
	if err := json.Unmarshal([]byte(body), &ws); err != nil || status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	if ws.Total != 5 || ws.Month != "2026-11" || ws.UnitID != "zb-scjg" || len(ws.Levels) != 5 ||
		ws.Levels[0] != (evaluationstaff.LevelCount{Level: 1, Name: "非常不满意", Count: 1}) ||
		ws.Levels[4] != (evaluationstaff.LevelCount{Level: 5, Name: "非常满意", Count: 2}) ||
		ws.Good != 3 || ws.Average != 1 || ws.Poor != 1 || ws.GoodRate != 0.6 {
		t.Errorf("stats %s", body)
	}
	// Without a month the current Shanghai month is read; another month is empty.
	if _, body := get("zb-a01", nil, city); json.Unmarshal([]byte(body), &ws) != nil || ws.Month != "2026-11" || ws.Total != 5 {
		t.Errorf("default month: %s", body)
	}
	if _, body := get("zb-a01", map[string]string{"month": "2026-10"}, city); json.Unmarshal([]byte(body), &ws) != nil || ws.Total != 0 {
		t.Errorf("October: %s", body)
	}
	for _, bad := range []struct {
		window, month string
		status        int
	}{{"zb-a01", "2026-13", 400}, {"zb-a01", "nov", 400}, {"ZB_A01", "2026-11", 400}, {"zz-none", "2026-11", 404}} {
		if status, body := get(bad.window, map[string]string{"month": bad.month}, city); status != bad.status {
			t.Errorf("%s %s: %d %s", bad.window, bad.month, status, body)
		}
	}
}

// TestEveryStaffRatingRouteChecksWhoAsks: no token is 401 on every route behind the authorizer, and
// only the roles named for a listing may read it (hall zb-center, unit zb-scjg).
func TestEveryStaffRatingRouteChecksWhoAsks(t *testing.T) {
	env := stacktest.Provision(t)
	db := testenv.DynamoDB(t)
	d, err := demo.ReadDirectory(testenv.RepoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := (&dynamo.Directory{DB: db, Table: env.Table(t, "DirectoryTable")}).Load(ctx, d); err != nil {
		t.Fatal(err)
	}
	cfg := evaluationstaff.Config{RatingsTable: env.Table(t, "RatingsTable"), DirectoryTable: env.Table(t, "DirectoryTable"),
		HelpersTable: env.Table(t, "HelpersTable")}
	cfg.RatingBuckets = "good=4,5;average=3;poor=1,2"
	h, err := evaluationstaff.New(cfg, db, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	router := h.Routes(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	call := func(route string, path, query, claims map[string]string, body string) (int, string) {
		req := httpapi.Request{RouteKey: route, PathParameters: path, QueryStringParameters: query, Body: body,
			Headers: map[string]string{"content-type": "application/json"}}
		if claims != nil {
			req.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims}}
		}
		resp, err := router.Invoke(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, resp.Body
	}
	id := uuid.NewString()
	guarded := []struct {
		route string
		path  map[string]string
		body  string
	}{
		{"GET /v1/windows/{windowId}/stats", map[string]string{"windowId": "zb-a01"}, ""},
		{"GET /v1/halls/{hallId}/blue-list", map[string]string{"hallId": "zb-center"}, ""},
		{"POST /v1/ratings/{id}/appeal", map[string]string{"id": id}, `{"reason":"x"}`},
		{"GET /v1/appeals", nil, ""},
		{"POST /v1/appeals/{id}/decision", map[string]string{"id": id}, `{"uphold":true,"note":"x"}`},
		{"GET /v1/rectifications", nil, ""},
		{"GET /v1/rectifications/{id}", map[string]string{"id": id}, ""},
		{"POST /v1/rectifications/{id}/response", map[string]string{"id": id}, `{"findings":"x","measures":"y","version":1}`},
		{"POST /v1/rectifications/{id}/review", map[string]string{"id": id}, `{"verified":true,"version":2}`},
		{"GET /v1/staff/{id}/stats", map[string]string{"id": "clerk-zb-a01"}, ""},
		{"GET /v1/units/{unitId}/stats", map[string]string{"unitId": "zb-scjg"}, ""},
		{"GET /v1/halls/{hallId}/stats", map[string]string{"hallId": "zb-center"}, ""},
		{"GET /v1/flagged-ratings", nil, ""},
		{"POST /v1/ratings/{id}/flag-review", map[string]string{"id": id}, `{"count":true}`},
		{"GET /v1/ratings/{id}/audit", map[string]string{"id": id}, ""},
	}
	for _, g := range guarded {
		if status, body := call(g.route, g.path, nil, nil, g.body); status != 401 {
			t.Errorf("%s without a token: %d %s", g.route, status, body)
		}
	}
	if status, body := call("GET /v1/public/halls/{hallId}/blue-list", map[string]string{"hallId": "zb-center"}, nil, nil, ""); status != 200 {
		t.Errorf("public blue list: %d %s", status, body)
	}

	roles := map[string]map[string]string{
		"city admin":         {"sub": "staff:a", "kind": "staff", "role": "city_admin"},
		"its hall admin":     {"sub": "staff:a", "kind": "staff", "role": "hall_admin", "hall": "zb-center"},
		"another hall admin": {"sub": "staff:a", "kind": "staff", "role": "hall_admin", "hall": "zc-center"},
		"its unit admin":     {"sub": "staff:a", "kind": "staff", "role": "unit_admin", "unit": "zb-scjg"},
		"another unit admin": {"sub": "staff:a", "kind": "staff", "role": "unit_admin", "unit": "zb-rsj"},
		"a clerk":            {"sub": "staff:a", "kind": "staff", "role": "clerk", "window": "zb-a01", "unit": "zb-scjg"},
		"a helper":           {"sub": "staff:a", "kind": "staff", "role": "helper", "unit": "zb-scjg", "hall": "zb-center"},
		"a citizen":          {"sub": "citizen:a", "kind": "citizen", "role": "citizen"},
	}
	// allowed get 200; outOfScope are of a role the route names, with their scope elsewhere: 404;
	// everyone else is of a role the route does not name: 403.
	listings := []struct {
		route      string
		path       map[string]string
		query      map[string]string
		allowed    []string
		outOfScope []string
	}{
		{"GET /v1/halls/{hallId}/blue-list", map[string]string{"hallId": "zb-center"}, map[string]string{"month": "2026-11"}, []string{"city admin", "its hall admin"}, []string{"another hall admin"}},
		{"GET /v1/appeals", nil, nil, []string{"city admin"}, nil},
		{"GET /v1/rectifications", nil, map[string]string{"unit": "zb-scjg"}, []string{"city admin", "its unit admin"}, []string{"another unit admin"}},
		{"GET /v1/staff/{id}/stats", map[string]string{"id": "clerk-zb-a01"}, nil, []string{"city admin", "its hall admin", "its unit admin"}, []string{"another hall admin", "another unit admin"}},
		{"GET /v1/units/{unitId}/stats", map[string]string{"unitId": "zb-scjg"}, nil, []string{"city admin", "its unit admin"}, []string{"another unit admin"}},
		{"GET /v1/halls/{hallId}/stats", map[string]string{"hallId": "zb-center"}, nil, []string{"city admin", "its hall admin"}, []string{"another hall admin"}},
		{"GET /v1/flagged-ratings", nil, map[string]string{"hall": "zb-center"}, []string{"city admin", "its hall admin"}, []string{"another hall admin"}},
	}
	for _, l := range listings {
		for name, claims := range roles {
			want := 403
			if slices.Contains(l.allowed, name) {
				want = 200
			}
			if slices.Contains(l.outOfScope, name) {
				want = 404
			}
			if status, body := call(l.route, l.path, l.query, claims, ""); status != want {
				t.Errorf("%s as %s: %d %s, want %d", l.route, name, status, body, want)
			}
		}
	}
	// Reviewing flags and reading a rating's audit are the city's alone, refused before any read.
	for name, claims := range roles {
		if name == "city admin" {
			continue
		}
		for _, route := range []string{"POST /v1/ratings/{id}/flag-review", "GET /v1/ratings/{id}/audit"} {
			if status, body := call(route, map[string]string{"id": id}, nil, claims, `{"count":true}`); status != 403 {
				t.Errorf("%s as %s: %d %s, want 403", route, name, status, body)
			}
		}
	}
}
