package opengovapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"banban/local/demo"
	"banban/local/stacktest"
	"banban/local/testenv"
	"banban/shared/dynamo"
	"banban/shared/geo"
	"banban/shared/handler/opengovapi"
	"banban/shared/httpapi"
	"banban/shared/opengov"
)

var (
	ctx   = context.Background()
	quiet = slog.New(slog.NewJSONHandler(io.Discard, nil))
)

type fixture struct {
	router *httpapi.Router
	sets   *dynamo.DataSets
	now    time.Time
}

func setup(t *testing.T, publish bool) *fixture {
	env := stacktest.Provision(t)
	db := testenv.DynamoDB(t)
	f := &fixture{now: time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)}
	f.sets = &dynamo.DataSets{DB: db, Table: env.Table(t, "OpenGovTable"), Now: time.Now}
	if publish {
		if _, err := demo.LoadOpenGov(ctx, testenv.RepoRoot(t), f.sets); err != nil {
			t.Fatal(err)
		}
	}
	h := opengovapi.New(opengovapi.Config{OpenGovTable: env.Table(t, "OpenGovTable")}, db, func() time.Time { return f.now }, quiet)
	f.router = h.Routes(quiet)
	return f
}

func (f *fixture) get(t *testing.T, route string, path map[string]string, query map[string]string, out any) (int, string) {
	t.Helper()
	resp, err := f.router.Invoke(ctx, httpapi.Request{RouteKey: route, PathParameters: path, QueryStringParameters: query})
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && resp.StatusCode == 200 {
		if err := json.Unmarshal([]byte(resp.Body), out); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, resp.Body
}

func TestGuides(t *testing.T) {
	f := setup(t, true)
	var list opengovapi.GuideList
	if status, body := f.get(t, "GET /v1/guides", nil, map[string]string{"q": "社会保险", "limit": "3"}, &list); status != 200 ||
		list.Total < 2 || len(list.Items) != 3 && list.Total >= 3 {
		t.Fatalf("社会保险: %d %s", status, body)
	}
	if _, body := f.get(t, "GET /v1/guides", nil, map[string]string{"level": "town", "unit": "yy-mzj"}, &list); list.Total != 2 {
		t.Errorf("town guides of 沂源县民政局: %s", body)
	}
	var g opengov.Guide
	if status, body := f.get(t, "GET /v1/guides/{id}", map[string]string{"id": "zb-bdczy"}, nil, &g); status != 200 ||
		g.Name != "不动产转移登记（二手房买卖）" || !g.Fee.Charged || len(g.Materials) == 0 {
		t.Errorf("zb-bdczy: %d %s", status, body)
	}
	for _, c := range []struct {
		route string
		path  map[string]string
		query map[string]string
		code  int
		field string
	}{
		{"GET /v1/guides/{id}", map[string]string{"id": "zb-none"}, nil, 404, ""},
		{"GET /v1/guides/{id}", map[string]string{"id": "ZB_X"}, nil, 400, "id"},
		{"GET /v1/guides", nil, map[string]string{"limit": "51"}, 400, "limit"},
		{"GET /v1/guides", nil, map[string]string{"offset": "-1"}, 400, "offset"},
		{"GET /v1/guides", nil, map[string]string{"level": "province"}, 400, "level"},
		{"GET /v1/guides", nil, map[string]string{"unit": "Bad Unit"}, 400, "unit"},
		{"GET /v1/guides", nil, map[string]string{"q": strings.Repeat("社保", 33)}, 400, "q"},
	} {
		status, body := f.get(t, c.route, c.path, c.query, nil)
		if status != c.code || (c.field != "" && !strings.Contains(body, `"field":"`+c.field+`"`)) {
			t.Errorf("%s %v %v: %d %s", c.route, c.path, c.query, status, body)
		}
	}
}

// TestPlacesNearestFirst compares the handler with a brute-force scan of the demo places.
func TestPlacesNearestFirst(t *testing.T) {
	f := setup(t, true)
	recs, err := demo.ReadOpenGov(testenv.RepoRoot(t), opengov.KindPlaces)
	if err != nil {
		t.Fatal(err)
	}
	all := recs.([]opengov.Place)
	here := geo.Point{Lat: 36.81, Lng: 118.05} // GCJ-02, as wx.getLocation reports it
	var list opengovapi.PlaceList
	status, body := f.get(t, "GET /v1/places", nil, map[string]string{"lat": "36.81", "lng": "118.05", "radius": "8000", "limit": "10"}, &list)
	if status != 200 || len(list.Items) != 10 || list.CoordSystem != geo.GCJ02 {
		t.Fatalf("%d %s", status, body)
	}
	within := 0
	for _, p := range all {
		if geo.Distance(geo.ToWGS84(here), geo.ToWGS84(p.Location)) <= 8000 {
			within++
		}
	}
	for i, it := range list.Items {
		want := geo.Distance(geo.ToWGS84(here), geo.ToWGS84(it.Location))
		if math.Abs(float64(it.Distance)-want) > 1 || (i > 0 && it.Distance < list.Items[i-1].Distance) {
			t.Errorf("item %d %s at %d m, brute force %.1f m", i, it.ID, it.Distance, want)
		}
	}
	// No place outside the first ten is nearer than the tenth.
	for _, p := range all {
		d := geo.Distance(geo.ToWGS84(here), geo.ToWGS84(p.Location))
		if d < float64(list.Items[9].Distance)-1 && !containsID(list.Items, p.ID) {
			t.Errorf("%s at %.0f m is missing", p.ID, d)
		}
	}
	// The same query in WGS-84 answers the same places, with WGS-84 locations.
	w := geo.ToWGS84(here)
	var wl opengovapi.PlaceList
	f.get(t, "GET /v1/places", nil, map[string]string{"lat": ftoa(w.Lat), "lng": ftoa(w.Lng), "radius": "8000", "limit": "10", "coordSystem": "wgs84"}, &wl)
	for i := range wl.Items {
		if wl.Items[i].ID != list.Items[i].ID || geo.Distance(geo.ToGCJ02(wl.Items[i].Location), list.Items[i].Location) > 0.5 {
			t.Errorf("wgs84 item %d: %+v vs %+v", i, wl.Items[i], list.Items[i])
		}
	}
	// By type: the 13 financial steward studios of Zhoucun, the van stops with their timetable.
	f.get(t, "GET /v1/places", nil, map[string]string{"lat": "36.80", "lng": "117.87", "radius": "20000", "limit": "50", "type": "bank_steward"}, &list)
	if len(list.Items) != 13 {
		t.Errorf("%d bank stewards near 周村", len(list.Items))
	}
	f.get(t, "GET /v1/places", nil, map[string]string{"lat": "36.71", "lng": "117.83", "radius": "20000", "type": "mobile_van_stop"}, &list)
	if len(list.Items) == 0 || len(list.Items[0].Timetable) == 0 || list.Items[0].TypeName != "政务服务直通车停靠点" {
		t.Errorf("van stops: %+v", list.Items)
	}
	for _, c := range []struct {
		query map[string]string
		field string
	}{
		{map[string]string{"lng": "118"}, "lat"},
		{map[string]string{"lat": "36.8"}, "lng"},
		{map[string]string{"lat": "NaN", "lng": "118"}, "lat"},
		{map[string]string{"lat": "91", "lng": "118"}, "lat"},
		{map[string]string{"lat": "36.8", "lng": "118", "radius": "50001"}, "radius"},
		{map[string]string{"lat": "36.8", "lng": "118", "limit": "0"}, "limit"},
		{map[string]string{"lat": "36.8", "lng": "118", "type": "bar"}, "type"},
		{map[string]string{"lat": "36.8", "lng": "118", "coordSystem": "bd09"}, "coordSystem"},
	} {
		if status, body := f.get(t, "GET /v1/places", nil, c.query, nil); status != 400 || !strings.Contains(body, `"field":"`+c.field+`"`) {
			t.Errorf("%v: %d %s", c.query, status, body)
		}
	}
}

// Without imported data the function answers 503, and serves the data once it is published and
// the refresh interval has passed.
func TestNoDataYetThenImport(t *testing.T) {
	f := setup(t, false)
	if status, body := f.get(t, "GET /v1/guides", nil, nil, nil); status != 503 || !strings.Contains(body, "data_unavailable") {
		t.Fatalf("no data: %d %s", status, body)
	}
	recs, err := demo.ReadOpenGov(testenv.RepoRoot(t), opengov.KindGuides)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.sets.Publish(ctx, recs, nil); err != nil {
		t.Fatal(err)
	}
	var list opengovapi.GuideList
	if status, body := f.get(t, "GET /v1/guides", nil, nil, &list); status != 200 || list.Total != len(recs.([]opengov.Guide)) {
		t.Fatalf("after import: %d %s", status, body)
	}
	// A new version: unseen until the refresh interval passes, then served.
	one := recs.([]opengov.Guide)[:1]
	if _, err := f.sets.Publish(ctx, one, nil); err != nil {
		t.Fatal(err)
	}
	if f.get(t, "GET /v1/guides", nil, nil, &list); list.Total == 1 {
		t.Error("the version was re-read before the refresh interval")
	}
	f.now = f.now.Add(2 * time.Minute)
	if f.get(t, "GET /v1/guides", nil, nil, &list); list.Total != 1 {
		t.Errorf("after the refresh interval: %d guides", list.Total)
	}
}

func containsID(items []opengovapi.NearbyPlace, id string) bool {
	for _, it := range items {
		if it.ID == id {
			return true
		}
	}
	return false
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
