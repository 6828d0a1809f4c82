package opengov

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"banban/shared/directory"
	"banban/shared/geo"
)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"请问，社会保险怎么交？": "社保 交",
		"办理营业执照":      "办理 营业执照",
		"办执照":         "办 营业执照",
		"ＡＢＣ１２３":      "abc123",
		"住房公积金多久到账":   "公积金 时限 到账",
	} {
		if got := strings.Join(strings.Fields(Normalize(in)), " "); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func readDemo[T any](t *testing.T, name string) []T {
	t.Helper()
	var v []T
	raw, err := os.ReadFile(filepath.Join("..", "..", "data", "opengov", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// The committed demo data passes the same checks as an import, at the sizes the issue asks for.
func TestDemoDataIsValid(t *testing.T) {
	gs := readDemo[Guide](t, "guides.json")
	qs := readDemo[QA](t, "faq.json")
	ps := readDemo[Place](t, "places.json")
	for name, err := range map[string]error{"guides": CheckGuides(gs), "faq": CheckFAQ(qs), "places": CheckPlaces(ps)} {
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if len(gs) < 100 || len(qs) < 300 {
		t.Errorf("%d guides, %d Q&A", len(gs), len(qs))
	}
	types := map[PlaceType]int{}
	for _, p := range ps {
		types[p.Type]++
	}
	if len(types) != 18 || types["enterprise_lounge"] < 15 || types["bank_steward"] < 13 || types["mobile_van_stop"] == 0 {
		t.Errorf("place types %v", types)
	}
	guides := map[string]bool{}
	for _, g := range gs {
		guides[g.ID] = true
	}
	for _, q := range qs {
		if q.GuideID != "" && !guides[q.GuideID] {
			t.Errorf("%s refers to unknown guide %s", q.ID, q.GuideID)
		}
	}
}

func TestGuideFilters(t *testing.T) {
	c := NewCatalogue(readDemo[Guide](t, "guides.json"))
	total, page := c.Find(GuideFilter{Query: "住房公积金"}, 0, 2)
	if total < 4 || len(page) != 2 || !strings.Contains(page[0].Name, "公积金") {
		t.Errorf("公积金: %d %+v", total, page)
	}
	total, _ = c.Find(GuideFilter{Query: "个体户", Level: directory.District}, 0, 50)
	if total != 11 {
		t.Errorf("个体户 at district level: %d, want one per district", total)
	}
	total, page = c.Find(GuideFilter{UnitID: "zb-bdc"}, 1, 10)
	if total != 3 || len(page) != 2 {
		t.Errorf("zb-bdc from offset 1: %d %+v", total, page)
	}
	if total, _ := c.Find(GuideFilter{}, 0, 10); total != c.Len() {
		t.Errorf("no filter: %d of %d", total, c.Len())
	}
	if _, ok := c.Guide("zb-qykb"); !ok {
		t.Error("zb-qykb not found")
	}
}

func TestRecordProblemsNameTheField(t *testing.T) {
	p := Place{ID: "Bad ID", Name: "x", Type: "hall", District: "济南市", Address: "a", Hours: "h", Location: geo.Point{Lat: 118.05, Lng: 36.81},
		Timetable: []Visit{{Weekday: 8, From: "10:00", To: "09:00"}}}
	got := map[string]bool{}
	for _, pr := range p.Problems() {
		got[pr.Field] = true
	}
	for _, f := range []string{"id", "type", "district", "location", "timetable[0]"} {
		if !got[f] {
			t.Errorf("no problem reported for %s: %v", f, p.Problems())
		}
	}
	err := CheckFAQ([]QA{{ID: "a", Question: "q", Answer: "a", Category: "c"}, {ID: "a", Question: "q", Answer: "a", Category: "c"}})
	if err == nil || !strings.Contains(err.Error(), "same id") {
		t.Errorf("duplicate ids: %v", err)
	}
	var re *RecordError
	if err := CheckGuides([]Guide{{ID: "g"}}); !errors.As(err, &re) || re.Index != 1 {
		t.Errorf("invalid guide: %v", err)
	}
}

func TestNearestConvertsCoordinates(t *testing.T) {
	hall := geo.Point{Lat: 36.8133, Lng: 118.0550} // GCJ-02
	m := NewMap([]Place{
		{ID: "hall", Type: "gov_hall", Location: hall},
		{ID: "van", Type: "mobile_van_stop", Location: geo.Point{Lat: 36.72, Lng: 117.83}},
	})
	// Standing at the hall: in GCJ-02 the distance is 0; the same spot given in WGS-84 too.
	if got := m.Nearest(hall, geo.GCJ02, "", 1000, 5); len(got) != 1 || got[0].Distance > 0.01 {
		t.Errorf("GCJ-02: %+v", got)
	}
	if got := m.Nearest(geo.ToWGS84(hall), geo.WGS84, "", 1000, 5); len(got) != 1 || got[0].Distance > 0.01 {
		t.Errorf("WGS-84: %+v", got)
	}
	// A GCJ-02 point read as WGS-84 is a few hundred metres off: the conversion matters.
	if got := m.Nearest(hall, geo.WGS84, "", 1000, 5); len(got) != 1 || got[0].Distance < 100 {
		t.Errorf("GCJ-02 point read as WGS-84: %+v", got)
	}
	if got := m.Nearest(hall, geo.GCJ02, "mobile_van_stop", 50000, 5); len(got) != 1 || got[0].Place.ID != "van" {
		t.Errorf("by type: %+v", got)
	}
	if got := m.Nearest(hall, geo.GCJ02, "tax_point", 50000, 5); len(got) != 0 {
		t.Errorf("absent type: %+v", got)
	}
}
