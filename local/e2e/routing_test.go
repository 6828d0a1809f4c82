package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"banban/local/testenv"
	"banban/shared/dynamo"
)

// TestCasesAreRoutedToHelpers: with helpers on duty, a filed case is assigned by agent-routing
// within moments, the helper accepts and completes it, and the helper's capacity comes back.
func TestCasesAreRoutedToHelpers(t *testing.T) {
	s := start(t)
	helpers := &dynamo.Helpers{DB: testenv.DynamoDB(t), Table: s.stack.Resources.Tables["HelpersTable"], CasesTable: s.stack.Resources.Tables["CasesTable"]}
	// On call every day round the clock, so the test passes on any date the suite runs.
	var always []string
	for d := 0; d <= 6; d++ {
		always = append(always, fmt.Sprintf(`{"weekday":%d,"from":0,"to":1440}`, d))
	}
	// RS-004 is a community matter: a transfer to the community team of the requester's grid.
	profile := `{"name":"周敏","level":"community","unitId":"zc-slsq","district":"zichuan","grids":["zc-songling-7"],` +
		`"domains":["social-security"],"capacity":2,"status":"off","onCall":true,"schedule":[` + strings.Join(always, ",") + `]}`
	city := with(s.token(t, map[string]any{"sub": "staff:city-admin-lu", "kind": "staff", "role": "city_admin"}), "Content-Type", "application/json")
	otherUnit := with(s.token(t, map[string]any{"sub": "staff:ua-scjg", "kind": "staff", "role": "unit_admin", "unit": "zb-scjg"}), "Content-Type", "application/json")
	if status, answer := s.do(t, "PUT", "/v1/helpers/helper-grid-7", city, profile); status != 404 {
		t.Errorf("a profile without a staff account: %d %s", status, answer)
	}
	if status, answer := s.do(t, "PUT", "/v1/staff/helper-grid-7", city, `{"name":"周敏","role":"helper","unitId":"zc-slsq"}`); status != 200 {
		t.Fatalf("staff account: %d %s", status, answer)
	}
	if status, answer := s.do(t, "PUT", "/v1/helpers/helper-grid-7", otherUnit, profile); status != 404 {
		t.Errorf("another unit's administrator registered the helper: %d %s", status, answer)
	}
	if status, answer := s.do(t, "PUT", "/v1/helpers/helper-grid-7", city, strings.Replace(profile, `"capacity":2`, `"capacity":0`, 1)); status != 400 || !strings.Contains(answer, `"field":"capacity"`) {
		t.Errorf("capacity 0: %d %s", status, answer)
	}
	if status, answer := s.do(t, "PUT", "/v1/helpers/helper-grid-7", city, profile); status != 200 {
		t.Fatalf("register helper: %d %s", status, answer)
	}
	if status, answer := s.do(t, "PUT", "/v1/teams/community/zichuan/rule", city, `{"rule":"longest-idle"}`); status != 200 {
		t.Errorf("team rule: %d %s", status, answer)
	}
	if status, _ := s.do(t, "PUT", "/v1/teams/community/zichuan/rule", otherUnit, `{"rule":"longest-idle"}`); status != 403 {
		t.Errorf("a unit administrator set a team rule: %d", status)
	}
	if status, answer := s.do(t, "PUT", "/v1/teams/community/zichuan/rule", city, `{"rule":"random"}`); status != 400 || !strings.Contains(answer, `"field":"rule"`) {
		t.Errorf("unknown rule: %d %s", status, answer)
	}
	helperH := with(s.token(t, map[string]any{"sub": "staff:helper-grid-7", "kind": "staff", "role": "helper", "unit": "zc-slsq"}), "Content-Type", "application/json")
	colleague := with(s.token(t, map[string]any{"sub": "staff:helper-grid-8", "kind": "staff", "role": "helper", "unit": "zc-slsq"}), "Content-Type", "application/json")
	if status, _ := s.do(t, "PUT", "/v1/helpers/helper-grid-7/status", colleague, `{"status":"on_duty"}`); status != 404 {
		t.Errorf("a colleague set the helper's status: %d", status)
	}
	if status, answer := s.do(t, "PUT", "/v1/helpers/helper-grid-7/status", helperH, `{"status":"on_duty"}`); status != 200 {
		t.Fatalf("helper goes on duty: %d %s", status, answer)
	}
	_, alice := s.signIn(t, "dev-alice", "")
	aliceH := bearer(alice)
	body := caseBody(`"RS-004"`, `,"grid":"zc-songling-7"`)
	status, answer := s.do(t, "POST", "/v1/cases", with(aliceH, "Idempotency-Key", uuid.NewString()), body)
	if status != 201 {
		t.Fatalf("file: %d %s", status, answer)
	}
	c := decodeCase(t, answer)
	path := "/v1/cases/" + c.ID
	var assigned caseView
	testenv.Eventually(t, 15*time.Second, func() error {
		_, answer := s.do(t, "GET", path, aliceH, "")
		assigned = decodeCase(t, answer)
		if assigned.State != "assigned" {
			return fmt.Errorf("state %s", assigned.State)
		}
		return nil
	})
	if !strings.Contains(fmt.Sprint(assigned.History), "routing") {
		t.Errorf("history does not record the routing: %+v", assigned.History)
	}
	for i, to := range []string{"accepted", "in_progress", "completed"} {
		if status, answer := s.do(t, "POST", path+"/transitions", helperH, fmt.Sprintf(`{"to":%q,"version":%d}`, to, assigned.Version+i)); status != 200 {
			t.Fatalf("%s: %d %s", to, status, answer)
		}
	}
	// The helper's monthly figures count each change once.
	testenv.Eventually(t, 15*time.Second, func() error {
		status, answer := s.do(t, "GET", "/v1/helpers/helper-grid-7/figures", helperH, "")
		if status != 200 || !strings.Contains(answer, `"assigned":1`) || !strings.Contains(answer, `"accepted":1`) ||
			!strings.Contains(answer, `"completed":1`) || !strings.Contains(answer, `"slaMet":1`) || !strings.Contains(answer, `"transfer":1`) {
			return fmt.Errorf("figures %d %s", status, answer)
		}
		return nil
	})
	testenv.Eventually(t, 15*time.Second, func() error {
		got, err := helpers.Get(context.Background(), "helper-grid-7")
		if err != nil {
			return err
		}
		if got.Active != 0 {
			return fmt.Errorf("helper still holds %d cases", got.Active)
		}
		return nil
	})
}

// TestJointCaseWithParallelUnits: an elevator "one thing" bundle is a joint case (联合代办); routing
// gives it to a lead helper; each participating unit finishes its part; it completes only when all
// have (certificates issued together).
func TestJointCaseWithParallelUnits(t *testing.T) {
	s := start(t)
	city := with(s.token(t, map[string]any{"sub": "staff:city-admin-lu", "kind": "staff", "role": "city_admin"}), "Content-Type", "application/json")
	var always []string
	for d := 0; d <= 6; d++ {
		always = append(always, fmt.Sprintf(`{"weekday":%d,"from":0,"to":1440}`, d))
	}
	lead := `{"name":"吴刚","level":"district","unitId":"zd-xzsp","hallId":"zd-center","district":"zhangdian","domains":["construction","enterprise"],` +
		`"capacity":3,"status":"on_duty","lead":true,"onCall":true,"schedule":[` + strings.Join(always, ",") + `]}`
	if status, answer := s.do(t, "PUT", "/v1/staff/helper-zd-lead", city, `{"name":"吴刚","role":"helper","unitId":"zd-xzsp","hallId":"zd-center"}`); status != 200 {
		t.Fatalf("staff account: %d %s", status, answer)
	}
	if status, answer := s.do(t, "PUT", "/v1/helpers/helper-zd-lead", city, lead); status != 200 {
		t.Fatalf("register lead: %d %s", status, answer)
	}
	_, alice := s.signIn(t, "dev-alice", "")
	aliceH := bearer(alice)
	body := `{"requesterKind":"person","name":"` + aliceName + `","idNumber":"` + aliceID + `","mobile":"` + aliceMobile + `",` +
		`"bundle":"YJS-DT-01","materials":["application","owner-consent","design"],"district":"zhangdian","channel":"mini-program",` +
		`"attributes":{"ZJ-007":{"building":"华光路12号3号楼2单元","households":12,"consentRate":100},"SCJG-007":{"equipmentType":"elevator","quantity":1}}}`
	status, answer := s.do(t, "POST", "/v1/cases", with(aliceH, "Idempotency-Key", uuid.NewString()), body)
	if status != 201 {
		t.Fatalf("file: %d %s", status, answer)
	}
	c := decodeCase(t, answer)
	if c.Mode != "joint" || !strings.Contains(answer, `"subTasks":[`) {
		t.Fatalf("not a joint case: %s", answer)
	}
	path := "/v1/cases/" + c.ID
	var v caseView
	testenv.Eventually(t, 15*time.Second, func() error {
		_, answer := s.do(t, "GET", path, aliceH, "")
		v = decodeCase(t, answer)
		if v.State != "assigned" {
			return fmt.Errorf("state %s", v.State)
		}
		return nil
	})
	leadH := with(s.token(t, map[string]any{"sub": "staff:helper-zd-lead", "kind": "staff", "role": "helper", "unit": "zd-xzsp", "hall": "zd-center"}), "Content-Type", "application/json")
	for i, to := range []string{"accepted", "in_progress"} {
		if status, answer := s.do(t, "POST", path+"/transitions", leadH, fmt.Sprintf(`{"to":%q,"version":%d}`, to, v.Version+i)); status != 200 {
			t.Fatalf("%s: %d %s", to, status, answer)
		}
	}
	version := v.Version + 2
	if status, answer := s.do(t, "POST", path+"/transitions", leadH, fmt.Sprintf(`{"to":"completed","version":%d}`, version)); status != 409 || !strings.Contains(answer, "subtasks_open") {
		t.Fatalf("completed before the parts: %d %s", status, answer)
	}
	for _, unit := range []string{"zd-xzsp", "zd-zjj", "zb-scjg"} {
		admin := with(s.token(t, map[string]any{"sub": "staff:ua-" + unit, "kind": "staff", "role": "unit_admin", "unit": unit}), "Content-Type", "application/json")
		status, answer := s.do(t, "POST", path+"/subtasks/"+unit+"/complete", admin, fmt.Sprintf(`{"note":"已办结","version":%d}`, version))
		if status != 200 {
			t.Fatalf("part of %s: %d %s", unit, status, answer)
		}
		version++
	}
	status, answer = s.do(t, "POST", path+"/transitions", leadH, fmt.Sprintf(`{"to":"completed","version":%d}`, version))
	if status != 200 || decodeCase(t, answer).State != "completed" {
		t.Fatalf("complete: %d %s", status, answer)
	}
}
