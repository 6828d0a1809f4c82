package e2e

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"banban/local/demo"
	"banban/shared/handler/faqsearch"
	"banban/shared/handler/opengovapi"
	"banban/shared/opengov"
)

func (s *system) getJSON(t *testing.T, path string, out any) {
	t.Helper()
	status, body := s.do(t, "GET", path, nil, "")
	if status != 200 {
		t.Fatalf("GET %s: %d %s", path, status, body)
	}
	if err := json.Unmarshal([]byte(body), out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// TestOpenGovernmentWithoutLogin follows a citizen in the mini-program: no token, a search for a
// question, its guide, the nearest places; and an office publishing a new Q&A set.
func TestOpenGovernmentWithoutLogin(t *testing.T) {
	s := start(t)

	// 执照 is the everyday word for 营业执照; 个体户 for 个体工商户.
	var sr faqsearch.SearchResult
	s.getJSON(t, "/v1/faq/search?q="+url.QueryEscape("开个体户办执照要带什么材料")+"&limit=3", &sr)
	if len(sr.Items) == 0 || sr.Items[0].ID != "qa-gtdj-materials" || sr.Items[0].GuideID == "" {
		t.Fatalf("search: %+v", sr)
	}
	var g opengov.Guide
	s.getJSON(t, "/v1/guides/"+sr.Items[0].GuideID, &g)
	if g.Name != "个体工商户设立登记" || len(g.Materials) == 0 {
		t.Errorf("guide: %+v", g)
	}
	var gl opengovapi.GuideList
	s.getJSON(t, "/v1/guides?level=district&q="+url.QueryEscape("个体户")+"&limit=5", &gl)
	if gl.Total != 11 || len(gl.Items) != 5 {
		t.Errorf("guides: %+v", gl)
	}

	// Standing in 博山区城西街道 (GCJ-02, as wx.getLocation reports), the nearest town tax point.
	var pl opengovapi.PlaceList
	s.getJSON(t, "/v1/places?type=tax_point&lat=36.49&lng=117.85&radius=20000&limit=3", &pl)
	if len(pl.Items) == 0 || !strings.Contains(pl.Items[0].Name+pl.Items[1].Name+pl.Items[2].Name, "城西街道") {
		t.Errorf("tax points: %+v", pl.Items)
	}
	s.getJSON(t, "/v1/places?lat=36.81&lng=118.05&coordSystem=wgs84&limit=50&radius=50000", &pl)
	if len(pl.Items) != 50 || pl.CoordSystem != "wgs84" {
		t.Errorf("wgs84: %d items, %s", len(pl.Items), pl.CoordSystem)
	}

	var top faqsearch.TopList
	s.getJSON(t, "/v1/faq/top", &top)
	if len(top.Items) != 1 || top.Items[0].ID != "qa-gtdj-materials" || top.Items[0].Asks != 1 {
		t.Errorf("top: %+v", top)
	}

	// Bad input is refused with the field named, and never reaches the data.
	for path, field := range map[string]string{
		"/v1/places?lat=36.8":                         "lng",
		"/v1/places?lat=36.8&lng=118&radius=99999":    "radius",
		"/v1/faq/search?q=" + strings.Repeat("a", 65): "q",
		"/v1/guides?limit=1000":                       "limit",
	} {
		if status, body := s.do(t, "GET", path, nil, ""); status != 400 || !strings.Contains(body, fmt.Sprintf(`"field":%q`, field)) {
			t.Errorf("%s: %d %s", path, status, body)
		}
	}

	if s.contract.checked() < 8 {
		t.Errorf("only %d exchanges were checked against the OpenAPI contract", s.contract.checked())
	}

	// An office publishes a new Q&A set; a function starting cold serves it.
	qs := []opengov.QA{{ID: "qa-new", Question: "城市服务地图有哪些类型的点位？", Answer: "共18类服务点位。", Category: "城市服务地图"}}
	fresh := start(t)
	if _, err := demo.Publish(t.Context(), fresh.sets, qs); err != nil {
		t.Fatal(err)
	}
	fresh.getJSON(t, "/v1/faq/search?q="+url.QueryEscape("服务地图点位类型"), &sr)
	if len(sr.Items) != 1 || sr.Items[0].ID != "qa-new" {
		t.Errorf("after the import: %+v", sr)
	}
}
