package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

func (s *system) signIn(t *testing.T, code, bindingCode string) (int, map[string]any) {
	t.Helper()
	body := `{"code":"` + code + `"}`
	if bindingCode != "" {
		body = `{"code":"` + code + `","bindingCode":"` + bindingCode + `"}`
	}
	status, answer := s.do(t, "POST", "/v1/sessions", map[string]string{"Content-Type": "application/json"}, body)
	var out map[string]any
	if err := json.Unmarshal([]byte(answer), &out); err != nil {
		t.Fatalf("sign-in answer %s: %v", answer, err)
	}
	return status, out
}

func bearer(session map[string]any) map[string]string {
	tok, _ := session["token"].(string)
	return map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/json"}
}

// TestSignInAndStaffBinding: a mini-program user signs in with a wx.login code and gets a citizen
// token the API accepts; an administrator registers a helper and hands out a binding code; the
// helper signs in with it once and from then on gets a helper token.
func TestSignInAndStaffBinding(t *testing.T) {
	s := start(t)
	status, citizen := s.signIn(t, "dev-alice", "")
	if status != 201 || citizen["role"] != "citizen" || !strings.HasPrefix(citizen["subject"].(string), "citizen:wx-") {
		t.Fatalf("citizen sign-in: %d %v", status, citizen)
	}
	if strings.Contains(citizen["subject"].(string), "alice") {
		t.Error("the subject reveals the openid")
	}
	// The same person signs in again: the same pseudonymous subject.
	if _, again := s.signIn(t, "dev-alice", ""); again["subject"] != citizen["subject"] {
		t.Errorf("subject changed: %v vs %v", again["subject"], citizen["subject"])
	}
	// The gateway's authorizer accepts the token the function issued.
	if status, answer := s.do(t, "GET", "/v1/cases?mine=1", bearer(citizen), ""); status != 200 {
		t.Errorf("citizen token refused: %d %s", status, answer)
	}
	if status, answer := s.do(t, "POST", "/v1/sessions", map[string]string{"Content-Type": "application/json"}, `{"code":"forged"}`); status != 401 || !strings.Contains(answer, "invalid_login_code") {
		t.Errorf("a code WeChat refuses: %d %s", status, answer)
	}
	var disc map[string]any
	if status, answer := s.do(t, "GET", "/.well-known/openid-configuration", nil, ""); status != 200 || json.Unmarshal([]byte(answer), &disc) != nil ||
		disc["issuer"] != s.auth.Issuer || disc["jwks_uri"] != s.auth.Issuer+"/.well-known/jwks.json" {
		t.Errorf("discovery: %d %s", status, answer)
	}
	if status, answer := s.do(t, "GET", "/.well-known/jwks.json", nil, ""); status != 200 || !strings.Contains(answer, `"kid":"`+s.auth.KeyID+`"`) {
		t.Errorf("jwks: %d %s", status, answer)
	}

	city := s.token(t, map[string]any{"sub": "staff:city-admin-lu", "kind": "staff", "role": "city_admin"})
	city["Content-Type"] = "application/json"
	hallZC := s.token(t, map[string]any{"sub": "staff:hall-admin-zc", "kind": "staff", "role": "hall_admin", "hall": "zc-center"})
	hallZC["Content-Type"] = "application/json"
	helper := `{"name":"郑红","role":"helper","unitId":"zc-xzsp","hallId":"zc-center"}`
	if status, answer := s.do(t, "PUT", "/v1/staff/helper-e2e", city, helper); status != 200 {
		t.Fatalf("register helper: %d %s", status, answer)
	}
	// A hall administrator manages only the hall's clerks and helpers.
	if status, _ := s.do(t, "PUT", "/v1/staff/admin-x", hallZC, `{"name":"某","role":"city_admin"}`); status != 403 {
		t.Errorf("hall admin made a city admin: %d", status)
	}
	if status, _ := s.do(t, "PUT", "/v1/staff/helper-zb", hallZC, `{"name":"某","role":"helper","unitId":"zb-scjg","hallId":"zb-center"}`); status != 403 {
		t.Errorf("hall admin registered another hall's helper: %d", status)
	}
	citizenH := bearer(citizen)
	if status, _ := s.do(t, "POST", "/v1/staff/helper-e2e/binding-codes", citizenH, ""); status != 403 {
		t.Errorf("a citizen made a binding code: %d", status)
	}
	status, answer := s.do(t, "POST", "/v1/staff/helper-e2e/binding-codes", hallZC, "")
	var code struct{ Code string }
	if status != 201 || json.Unmarshal([]byte(answer), &code) != nil || code.Code == "" {
		t.Fatalf("binding code: %d %s", status, answer)
	}
	status, staff := s.signIn(t, "dev-zhenghong", code.Code)
	if status != 201 || staff["role"] != "helper" || staff["subject"] != "staff:helper-e2e" {
		t.Fatalf("helper sign-in with binding code: %d %v", status, staff)
	}
	if status, _ := s.signIn(t, "dev-mallory", code.Code); status != 401 {
		t.Errorf("a binding code bound twice: %d", status)
	}
	if _, again := s.signIn(t, "dev-zhenghong", ""); again["role"] != "helper" {
		t.Errorf("the binding did not last: %v", again)
	}
	if status, answer := s.do(t, "GET", "/v1/cases?assignee=me", bearer(staff), ""); status != 200 {
		t.Errorf("helper token refused: %d %s", status, answer)
	}
}
