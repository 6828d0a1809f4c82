package e2e

import (
	"encoding/json"
	"testing"
	"time"

	"banban/shared/assessment"
	"banban/shared/calendar"
	"banban/shared/scoring"
)

// TestTheCityScoresAMonthThroughTheGateway: the city's re-run of a month and the report, through
// the gateway and the JWT authorizer, checked against the OpenAPI contract; a second run over the
// same figures stores nothing; a unit's administrator reads its own unit only.
func TestTheCityScoresAMonthThroughTheGateway(t *testing.T) {
	s := start(t)
	city := s.token(t, map[string]any{"sub": "staff:city-admin", "kind": "staff", "role": "city_admin"})
	month := calendar.MonthOf(time.Now()).String()
	for i, want := range []int{201, 200} {
		status, body := s.do(t, "POST", "/v1/reports/"+month+"/runs", city, "")
		var out assessment.Outcome
		if status != want || json.Unmarshal([]byte(body), &out) != nil || out.Revision != 1 {
			t.Fatalf("run %d: %d %s", i+1, status, body)
		}
	}
	status, body := s.do(t, "GET", "/v1/reports/"+month, city, "")
	var rep scoring.Report
	if status != 200 || json.Unmarshal([]byte(body), &rep) != nil || len(rep.Units) < 2 || len(rep.Windows) == 0 {
		t.Fatalf("city report: %d %.300s", status, body)
	}
	unit := s.token(t, map[string]any{"sub": "staff:unit-admin-scjg", "kind": "staff", "role": "unit_admin", "unit": "zb-scjg"})
	status, body = s.do(t, "GET", "/v1/reports/"+month, unit, "")
	var own scoring.Report
	if status != 200 || json.Unmarshal([]byte(body), &own) != nil || len(own.Units) != 1 || own.Units[0].ID != "zb-scjg" {
		t.Fatalf("unit report: %d %.300s", status, body)
	}
	if status, body := s.do(t, "POST", "/v1/reports/"+month+"/runs", unit, ""); status != 403 {
		t.Errorf("a unit runs the assessment: %d %s", status, body)
	}
	if status, _ := s.do(t, "GET", "/v1/reports/"+month, nil, ""); status != 401 {
		t.Errorf("no token: %d", status)
	}
}
