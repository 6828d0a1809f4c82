package evaluationstaff_test

import (
	"context"
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
		rs = append(rs, rating.Rating{ID: uuid.NewString(), KioskID: "k", WindowID: "zb-a01", HallID: "zb-center", UnitID: "zb-scjg",
			Level: l, RatedAt: now, ReceivedAt: now})
	}
	if _, err := store.Record(ctx, rs); err != nil {
		t.Fatal(err)
	}
	cfg := evaluationstaff.Config{RatingsTable: env.Table(t, "RatingsTable"), DirectoryTable: env.Table(t, "DirectoryTable")}
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

	// Who may read window zb-a01 (hall zb-center, unit zb-scjg).
	matrix := []struct {
		name   string
		claims map[string]string
		status int
	}{
		{"city admin", map[string]string{"sub": "a", "role": "city_admin"}, 200},
		{"its hall admin", map[string]string{"sub": "a", "role": "hall_admin", "hall": "zb-center"}, 200},
		{"another hall admin", map[string]string{"sub": "a", "role": "hall_admin", "hall": "zc-center"}, 403},
		{"its unit admin", map[string]string{"sub": "a", "role": "unit_admin", "unit": "zb-scjg"}, 200},
		{"another unit admin", map[string]string{"sub": "a", "role": "unit_admin", "unit": "zb-rsj"}, 403},
		{"its clerk", map[string]string{"sub": "a", "role": "clerk", "window": "zb-a01", "unit": "zb-scjg"}, 200},
		{"a clerk of the same unit", map[string]string{"sub": "a", "role": "clerk", "window": "zb-a02", "unit": "zb-scjg"}, 403},
		{"a helper", map[string]string{"sub": "a", "role": "helper", "unit": "zb-scjg", "hall": "zb-center"}, 403},
		{"a citizen", map[string]string{"sub": "a", "role": "citizen"}, 403},
		{"an unknown role", map[string]string{"sub": "a", "role": "root"}, 403},
		{"no token", nil, 401},
	}
	for _, m := range matrix {
		if status, body := get("zb-a01", map[string]string{"month": "2026-11"}, m.claims); status != m.status {
			t.Errorf("%s: %d %s, want %d", m.name, status, body, m.status)
		}
	}

	city := map[string]string{"sub": "a", "role": "city_admin"}
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
