package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"banban/local/stack"
)

// enroll registers a staff account through the API as admin (PUT /v1/staff/{id}), has a binding
// code made for it and signs in with it from the WeChat identity dev-<id>: the headers of a
// principal created the way real staff are, with a token session-api issued.
func (s *system) enroll(t *testing.T, admin map[string]string, id, account string) map[string]string {
	t.Helper()
	if status, answer := s.do(t, "PUT", "/v1/staff/"+id, with(admin, "Content-Type", "application/json"), account); status != 200 {
		t.Fatalf("register %s: %d %s", id, status, answer)
	}
	status, answer := s.do(t, "POST", "/v1/staff/"+id+"/binding-codes", admin, "")
	var code struct{ Code string }
	if status != 201 || json.Unmarshal([]byte(answer), &code) != nil {
		t.Fatalf("binding code of %s: %d %s", id, status, answer)
	}
	status, session := s.signIn(t, "dev-"+id, code.Code)
	if status != 201 || session["subject"] != "staff:"+id {
		t.Fatalf("%s signs in: %d %v", id, status, session)
	}
	return bearer(session)
}

// staffToken is a token of a staff member of the demo directory.
func (s *system) staffToken(t *testing.T, id, role, unit, hall, window string) map[string]string {
	t.Helper()
	claims := map[string]any{"sub": "staff:" + id, "kind": "staff", "role": role}
	for k, v := range map[string]string{"unit": unit, "hall": hall, "window": window} {
		if v != "" {
			claims[k] = v
		}
	}
	return with(s.token(t, claims), "Content-Type", "application/json")
}

// fileCase files alice's RS-004 case (淄川区, received by zc-center) and returns its id.
func (s *system) fileCase(t *testing.T, requester map[string]string) string {
	t.Helper()
	status, answer := s.do(t, "POST", "/v1/cases", with(requester, "Idempotency-Key", uuid.NewString()), caseBody(`"RS-004"`, ""))
	if status != 201 {
		t.Fatalf("file: %d %s", status, answer)
	}
	return decodeCase(t, answer).ID
}

// TestTrustFindings reproduces, through the gateway, each hole an attacker's review of the
// running stack found in identity and scope, and checks it is closed.
func TestTrustFindings(t *testing.T) {
	s := start(t, func(c *stack.Config) { c.NoPollers = true })
	city := s.staffToken(t, "city-admin-lu", "city_admin", "", "", "")
	hallZC := s.staffToken(t, "hall-admin-zc", "hall_admin", "", "zc-center", "")
	unitSCJG := s.staffToken(t, "unit-admin-scjg", "unit_admin", "zb-scjg", "", "")
	_, alice := s.signIn(t, "dev-alice", "")
	aliceH := bearer(alice)
	aliceSub := alice["subject"].(string)
	pseudonym := strings.TrimPrefix(aliceSub, "citizen:")
	caseID := s.fileCase(t, aliceH)
	casePath := "/v1/cases/" + caseID

	// Finding 1: an administrator registered a staff account under a citizen's subject (seen as
	// requesterSub on the case), signed in as it and was that citizen.
	t.Run("a staff account never becomes a citizen", func(t *testing.T) {
		status, answer := s.do(t, "GET", casePath, hallZC, "")
		var seen struct{ RequesterSub string }
		if status != 200 || json.Unmarshal([]byte(answer), &seen) != nil || seen.RequesterSub != aliceSub {
			t.Fatalf("the hall's administrator reads the case: %d %s", status, answer)
		}
		for _, id := range []string{pseudonym, aliceSub, strings.ToUpper(pseudonym)} {
			status, answer := s.do(t, "PUT", "/v1/staff/"+id, hallZC, `{"name":"冒名","role":"helper","unitId":"zc-xzsp","hallId":"zc-center"}`)
			if status != 400 || !strings.Contains(answer, `"field":"id"`) {
				t.Errorf("staff account %q: %d %s", id, status, answer)
			}
		}
		// An account whose id is the pseudonym's hex is a staff member, never alice.
		lookalike := s.enroll(t, hallZC, strings.TrimPrefix(pseudonym, "wx-"),
			`{"name":"冒名","role":"helper","unitId":"zc-xzsp","hallId":"zc-center"}`)
		if status, answer := s.do(t, "POST", casePath+"/transitions", lookalike, `{"to":"withdrawn","reason":"不办了","version":1}`); status != 404 {
			t.Errorf("the look-alike withdrew alice's case: %d %s", status, answer)
		}
		if status, answer := s.do(t, "GET", casePath, lookalike, ""); status != 404 || strings.Contains(answer, aliceID) {
			t.Errorf("the look-alike read alice's case: %d %s", status, answer)
		}
		// A token whose subject is alice's but whose kind or role is staff's is refused outright.
		for _, claims := range []map[string]any{
			{"sub": aliceSub, "kind": "staff", "role": "helper", "unit": "zc-xzsp", "hall": "zc-center"},
			{"sub": aliceSub, "kind": "citizen", "role": "helper"},
			{"sub": "staff:" + pseudonym, "kind": "staff", "role": "helper"},
			{"sub": pseudonym, "role": "citizen"},
		} {
			if status, answer := s.do(t, "GET", casePath, s.token(t, claims), ""); status != 401 {
				t.Errorf("claims %v: %d %s", claims, status, answer)
			}
		}
		if status, answer := s.do(t, "GET", casePath, aliceH, ""); status != 200 || !strings.Contains(answer, aliceID) {
			t.Errorf("alice no longer reads her case: %d %s", status, answer)
		}
	})

	// Finding 2: staff registration checked one scope field, not all.
	t.Run("staff registration checks every field", func(t *testing.T) {
		refused := []struct {
			name    string
			admin   map[string]string
			id      string
			account string
			status  int
			field   string
		}{
			{"a unit's clerk at another unit's window", unitSCJG, "clerk-x1", `{"name":"甲","role":"clerk","unitId":"zb-scjg","windowId":"zc-a02"}`, 400, "unitId"},
			{"a clerk of another hall's window", unitSCJG, "clerk-x2", `{"name":"甲","role":"clerk","windowId":"zc-a02"}`, 403, ""},
			{"a clerk whose hall is not the window's", unitSCJG, "clerk-x3", `{"name":"甲","role":"clerk","hallId":"zc-center","windowId":"zb-a01"}`, 400, "hallId"},
			{"a helper in a hall without the unit", unitSCJG, "helper-x1", `{"name":"乙","role":"helper","unitId":"zb-scjg","hallId":"zc-center"}`, 400, "hallId"},
			{"a helper of an unknown unit", city, "helper-x2", `{"name":"乙","role":"helper","unitId":"no-such-unit"}`, 400, "unitId"},
			{"a hall's clerk at another hall's window", hallZC, "clerk-x4", `{"name":"丙","role":"clerk","hallId":"zc-center","windowId":"zb-a01"}`, 400, "hallId"},
			{"a hall's helper of a unit stationed elsewhere", hallZC, "helper-x3", `{"name":"丙","role":"helper","unitId":"zb-scjg","hallId":"zc-center"}`, 400, "hallId"},
			{"another hall's helper", hallZC, "helper-x4", `{"name":"丙","role":"helper","unitId":"zb-scjg","hallId":"zb-center"}`, 403, ""},
			{"a peer administrator", unitSCJG, "unit-admin-x", `{"name":"丁","role":"unit_admin","unitId":"zb-scjg"}`, 403, ""},
		}
		for _, r := range refused {
			status, answer := s.do(t, "PUT", "/v1/staff/"+r.id, r.admin, r.account)
			if status != r.status || (r.field != "" && !strings.Contains(answer, `"field":"`+r.field+`"`)) {
				t.Errorf("%s: %d %s, want %d naming %q", r.name, status, answer, r.status, r.field)
			}
			if status, _ := s.do(t, "POST", "/v1/staff/"+r.id+"/binding-codes", city, ""); status != 404 {
				t.Errorf("%s: the refused account was stored (%d)", r.name, status)
			}
		}
		// Changing an account needs the administrator's scope over the old values and the new.
		if status, answer := s.do(t, "PUT", "/v1/staff/clerk-zb-b01", unitSCJG, `{"name":"陈伟","role":"clerk","windowId":"zb-a02"}`); status != 404 {
			t.Errorf("another unit's clerk moved into the unit: %d %s", status, answer)
		}
		rsj := s.staffToken(t, "unit-admin-rsj", "unit_admin", "zb-rsj", "", "")
		if status, answer := s.do(t, "PUT", "/v1/staff/clerk-zb-b01", rsj, `{"name":"陈伟","role":"clerk","windowId":"zb-a02"}`); status != 403 {
			t.Errorf("a clerk moved out of the unit's scope: %d %s", status, answer)
		}
		// Within scope, a clerk registered by its unit's administrator reads its own window only.
		clerk := s.enroll(t, unitSCJG, "clerk-e2e-a02", `{"name":"赵丽","role":"clerk","windowId":"zb-a02"}`)
		if status, answer := s.do(t, "GET", "/v1/windows/zb-a02/stats", clerk, ""); status != 200 {
			t.Errorf("the clerk's own window: %d %s", status, answer)
		}
		for _, w := range []string{"zb-a01", "zc-a02"} {
			if status, answer := s.do(t, "GET", "/v1/windows/"+w+"/stats", clerk, ""); status != 404 {
				t.Errorf("the clerk read window %s: %d %s", w, status, answer)
			}
		}
	})

	// Finding 5: assignment to a helper of another hall, or to an id that does not exist.
	t.Run("a case is assigned only to an eligible helper in scope", func(t *testing.T) {
		always := `"onCall":true,"schedule":[]`
		profile := func(unit, hall, district, domain string) string {
			return fmt.Sprintf(`{"name":"帮办员","level":"district","unitId":%q,"hallId":%q,"district":%q,"domains":[%q],"capacity":3,"status":"off",%s}`,
				unit, hall, district, domain, always)
		}
		s.enroll(t, hallZC, "helper-e2e-zc", `{"name":"郑红","role":"helper","unitId":"zc-xzsp","hallId":"zc-center"}`)
		if status, answer := s.do(t, "PUT", "/v1/helpers/helper-e2e-zc", hallZC, profile("zc-xzsp", "zc-center", "zichuan", "social-security")); status != 200 {
			t.Fatalf("profile: %d %s", status, answer)
		}
		s.enroll(t, hallZC, "helper-e2e-tax", `{"name":"孙丽","role":"helper","unitId":"zc-xzsp","hallId":"zc-center"}`)
		if status, answer := s.do(t, "PUT", "/v1/helpers/helper-e2e-tax", hallZC, profile("zc-xzsp", "zc-center", "zichuan", "tax")); status != 200 {
			t.Fatalf("profile: %d %s", status, answer)
		}
		s.enroll(t, city, "helper-e2e-zb", `{"name":"吴刚","role":"helper","unitId":"zb-xzsp","hallId":"zb-center"}`)
		if status, answer := s.do(t, "PUT", "/v1/helpers/helper-e2e-zb", city, profile("zb-xzsp", "zb-center", "zhangdian", "social-security")); status != 400 || !strings.Contains(answer, `"field":"district"`) {
			t.Errorf("a profile in another district than its hall's: %d %s", status, answer)
		}
		cityProfile := `{"name":"吴刚","level":"city","unitId":"zb-xzsp","hallId":"zb-center","district":"city","domains":["social-security"],"capacity":3,"status":"off",` + always + `}`
		if status, answer := s.do(t, "PUT", "/v1/helpers/helper-e2e-zb", city, cityProfile); status != 200 {
			t.Fatalf("city helper profile: %d %s", status, answer)
		}
		id := s.fileCase(t, aliceH)
		assign := func(who map[string]string, helper string) (int, string) {
			return s.do(t, "POST", "/v1/cases/"+id+"/transitions", who, fmt.Sprintf(`{"to":"assigned","assignee":%q,"version":1}`, helper))
		}
		for name, helper := range map[string]string{"a helper that does not exist": "helper-nobody", "a helper of another hall": "helper-e2e-zb"} {
			if status, answer := assign(hallZC, helper); status != 400 || !strings.Contains(answer, `"message":"is not a helper you may assign"`) {
				t.Errorf("%s: %d %s", name, status, answer)
			}
		}
		if status, answer := assign(hallZC, "helper-e2e-tax"); status != 400 || !strings.Contains(answer, "skills do not cover") {
			t.Errorf("a helper without the skills: %d %s", status, answer)
		}
		if status, answer := assign(unitSCJG, "helper-e2e-zc"); status != 404 {
			t.Errorf("an administrator of another unit assigned the case: %d %s", status, answer)
		}
		// The city reaches every helper; a city-level helper is on the case's ladder.
		if status, answer := assign(city, "helper-e2e-zb"); status != 200 {
			t.Errorf("the city assigns its own helper: %d %s", status, answer)
		}
		if status, answer := s.do(t, "GET", "/v1/cases/"+id, s.staffToken(t, "helper-e2e-zb", "helper", "zb-xzsp", "zb-center", ""), ""); status != 200 || !strings.Contains(answer, aliceID) {
			t.Errorf("the assigned helper: %d %s", status, answer)
		}
		other := s.fileCase(t, aliceH)
		if status, answer := s.do(t, "POST", "/v1/cases/"+other+"/transitions", hallZC, `{"to":"assigned","assignee":"helper-e2e-zc","version":1}`); status != 200 {
			t.Errorf("the hall assigns its eligible helper: %d %s", status, answer)
		}
	})

	// Finding 10: a helper got 409 with the version on a case it may not read, 404 on none.
	t.Run("not yours answers like not there", func(t *testing.T) {
		id := s.fileCase(t, aliceH)
		farHelper := s.staffToken(t, "helper-far", "helper", "zb-xzsp", "zb-center", "")
		hallHelper := s.staffToken(t, "helper-near", "helper", "zc-xzsp", "zc-center", "")
		body := `{"to":"accepted","version":7}`
		_, absent := s.do(t, "POST", "/v1/cases/"+uuid.NewString()+"/transitions", farHelper, body)
		for name, who := range map[string]map[string]string{"a helper of another hall": farHelper, "a helper of the hall, not a claim": hallHelper} {
			status, answer := s.do(t, "POST", "/v1/cases/"+id+"/transitions", who, body)
			if status != 404 || answer != absent {
				t.Errorf("%s: %d %s, want the answer for no case: %s", name, status, answer, absent)
			}
			for _, sub := range []string{"/subtasks/zc-xzsp/complete"} {
				if status, answer := s.do(t, "POST", "/v1/cases/"+id+sub, who, `{"version":7}`); status != 404 || answer != absent {
					t.Errorf("%s, %s: %d %s", name, sub, status, answer)
				}
			}
		}
		// A helper of the hall may claim a waiting case (and then learns its version).
		if status, answer := s.do(t, "POST", "/v1/cases/"+id+"/transitions", hallHelper, `{"to":"assigned","assignee":"helper-near","version":7}`); status != 409 {
			t.Errorf("a stale claim: %d %s", status, answer)
		}
		if status, answer := s.do(t, "GET", "/v1/cases/"+id, unitSCJG, ""); status != 404 || answer != absent {
			t.Errorf("another unit's administrator: %d %s", status, answer)
		}
	})
}
