package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"banban/local/demo"
	"banban/local/openapi"
	"banban/local/testenv"
	"banban/shared/calendar"
)

// The authorization suite: every route of docs/openapi.yaml × every role (and no token) × targets
// of the caller's own scope and of another's, through the gateway. The expected answer of each
// cell comes from the contract's x-policy and this file's own model of the fixtures it made (who
// filed, where, for which unit), never from the code under test: a role the contract does not
// list must get 403, a listed role outside its reach 404, a listed role within its reach neither
// 401, 403 nor 404 (nor a 5xx); no token 401; kiosk routes take no token; public routes refuse
// nobody. A cell that answers more than declared fails, and so does a route without x-policy.

// operation is one route of the contract with its declared policy.
type operation struct {
	id, method, path string
	access, target   string
	roles            map[string][]string
}

func contractOperations(t *testing.T) []operation {
	t.Helper()
	all, err := openapi.Operations(filepath.Join(testenv.RepoRoot(t), "docs", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var ops []operation
	for _, op := range all {
		if op.Policy == nil {
			t.Errorf("%s declares no x-policy", op.Key())
			continue
		}
		ops = append(ops, operation{id: op.ID, method: op.Method, path: op.Path,
			access: op.Policy.Access, target: op.Policy.Target, roles: op.Policy.Roles})
	}
	return ops
}

// caller is a principal of the matrix as the test knows it.
type caller struct {
	name                              string
	headers                           map[string]string // nil: no token
	subject, role, unit, hall, window string
}

// target is a fixture as the test made it: where it belongs and who owns it.
type target struct {
	name                                 string
	id                                   string
	halls, units, parts, windows, owners []string
	waiting                              bool   // a case that waits for a helper
	body                                 string // the fixture itself, for routes that PUT it
}

// reaches is the contract's reach semantics, written out here from the contract's description.
func reaches(reach string, c caller, f target, claiming bool) bool {
	has := func(list []string, v string) bool { return v != "" && slices.Contains(list, v) }
	switch reach {
	case "all":
		return true
	case "hall":
		return has(f.halls, c.hall)
	case "unit":
		return has(f.units, c.unit)
	case "part":
		return has(f.parts, c.unit)
	case "window":
		return has(f.windows, c.window)
	case "own":
		return has(f.owners, c.subject)
	case "claim":
		return claiming && f.waiting && (has(f.halls, c.hall) || has(f.units, c.unit))
	}
	return false
}

// expected is the answer the contract declares for c on f: "401", "403", "404" or "ok".
func expected(op operation, c caller, f *target) string {
	if c.headers == nil {
		return "401"
	}
	rs, listed := op.roles[c.role]
	if !listed {
		return "403"
	}
	if f == nil {
		return "ok" // a listing or a creation: the caller's own, or what it reaches
	}
	for _, r := range rs {
		if reaches(r, c, *f, op.id == "transitionCase" && c.role == "helper") {
			return "ok"
		}
	}
	return "404"
}

// world is every caller and fixture of the matrix.
type world struct {
	callers []caller
	targets map[string][]target // by the contract's target kind
	month   string
	qrToken string
}

func TestAuthorizationMatrix(t *testing.T) {
	s := start(t)
	ops := contractOperations(t)
	w := buildWorld(t, s)

	checked := 0
	// Public routes refuse nobody (they may limit the rate: 429 is not a refusal of identity).
	for _, op := range ops {
		if op.access != "public" {
			continue
		}
		for _, c := range w.callers {
			method, path, body, headers := publicRequest(t, op, w)
			status, answer := s.do(t, method, path, merge(c.headers, headers), body)
			if status == 401 || status == 403 || status >= 500 {
				t.Errorf("%s as %s: %d %s", op.id, c.name, status, answer)
			}
			checked++
		}
	}
	// Kiosk routes take no token: every bearer, and no credentials, get 401 and queue nothing.
	for _, op := range ops {
		if op.access != "kiosk" {
			continue
		}
		for _, c := range w.callers {
			status, answer := s.do(t, op.method, op.path, with(c.headers, "Content-Type", "application/json"),
				`{"id":"`+uuid.NewString()+`","level":5,"ratedAt":"`+time.Now().Format(time.RFC3339)+`"}`)
			if status != 401 {
				t.Errorf("%s as %s: %d %s", op.id, c.name, status, answer)
			}
			checked++
		}
	}
	// Token routes: every caller on every target of the kind the route names.
	for _, op := range ops {
		if op.access != "token" {
			continue
		}
		fixtures := w.targets[op.target]
		if op.target == "none" || op.target == "report" {
			fixtures = []target{{}}
		} else if len(fixtures) == 0 {
			t.Errorf("%s: the suite has no fixtures of target %q", op.id, op.target)
			continue
		}
		for _, c := range w.callers {
			for i := range fixtures {
				f := &fixtures[i]
				if op.target == "none" || op.target == "report" {
					f = nil
				}
				want := expected(op, c, f)
				method, path, body, headers := tokenRequest(t, op, c, f, w)
				status, answer := s.do(t, method, path, merge(c.headers, headers), body)
				checked++
				where := fmt.Sprintf("%s %s as %s", op.id, path, c.name)
				switch want {
				case "ok":
					if status == 401 || status == 403 || status == 404 || status >= 500 {
						t.Errorf("%s: %d %s, want an answer within the caller's reach", where, status, answer)
					}
				default:
					if fmt.Sprint(status) != want {
						t.Errorf("%s: %d %s, want %s", where, status, answer, want)
					}
				}
				if want == "ok" && op.id == "getReport" {
					checkReportScope(t, c, answer)
				}
			}
		}
	}
	if checked < 1000 {
		t.Errorf("only %d cells were checked", checked)
	}
	t.Logf("%d cells checked", checked)

	// Listings answer only what the caller reaches: the look-alikes of citizen A see none of her
	// cases.
	for _, name := range []string{"enterprise A (citizen A's pseudonym)", "staff A (citizen A's pseudonym)"} {
		c := w.caller(t, name)
		query := "mine=1"
		if c.role == "helper" {
			query = "assignee=me"
		}
		status, answer := s.do(t, "GET", "/v1/cases?"+query, c.headers, "")
		for _, f := range w.targets["case"] {
			if status != 200 || strings.Contains(answer, f.id) {
				t.Errorf("%s lists %s: %d %s", name, f.name, status, answer)
			}
		}
	}
}

func (w *world) caller(t *testing.T, name string) caller {
	t.Helper()
	for _, c := range w.callers {
		if c.name == name {
			return c
		}
	}
	t.Fatalf("no caller %q", name)
	return caller{}
}

// checkReportScope: a unit's administrator sees its own unit's scores and no hall.
func checkReportScope(t *testing.T, c caller, answer string) {
	t.Helper()
	var rep struct {
		Units   []struct{ ID string } `json:"units"`
		Halls   []json.RawMessage     `json:"halls"`
		Windows []struct{ UnitID string }
	}
	if err := json.Unmarshal([]byte(answer), &rep); err != nil {
		t.Fatalf("report: %v", err)
	}
	if c.role != "unit_admin" {
		return
	}
	if len(rep.Halls) > 0 {
		t.Errorf("%s sees halls in the report", c.name)
	}
	for _, u := range rep.Units {
		if u.ID != c.unit {
			t.Errorf("%s sees unit %s in the report", c.name, u.ID)
		}
	}
	for _, win := range rep.Windows {
		if win.UnitID != c.unit {
			t.Errorf("%s sees a window of unit %s in the report", c.name, win.UnitID)
		}
	}
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// fill puts values into a path template.
func fill(path string, values map[string]string) string {
	for k, v := range values {
		path = strings.ReplaceAll(path, "{"+k+"}", url.PathEscape(v))
	}
	return path
}

func publicRequest(t *testing.T, op operation, w *world) (method, path, body string, headers map[string]string) {
	t.Helper()
	headers = map[string]string{"Content-Type": "application/json"}
	path = fill(op.path, map[string]string{"code": "BDC-004", "hallId": "zc-center"})
	switch op.id {
	case "signIn":
		body = `{"code":"dev-authz-public"}`
	case "postQrEvaluation":
		body = fmt.Sprintf(`{"token":%q,"id":%q,"level":5}`, w.qrToken, uuid.NewString())
	case "getGuide":
		path = fill(op.path, map[string]string{"id": w.targets["guide"][0].id})
	case "searchFaq":
		path += "?q=" + url.QueryEscape("营业执照")
	case "nearbyPlaces":
		path += "?lat=36.81&lng=118.05"
	}
	return op.method, path, body, headers
}

// tokenRequest is a well-formed request of op for caller c on fixture f: the caller is refused or
// not by who it is and what the target is, never by a malformed request. Writes are made so that
// a caller within reach is stopped by the state (a stale version, a case not closed) rather than
// changing the fixtures the other cells use.
func tokenRequest(t *testing.T, op operation, c caller, f *target, w *world) (method, path, body string, headers map[string]string) {
	t.Helper()
	headers = map[string]string{"Content-Type": "application/json"}
	id := ""
	if f != nil {
		id = f.id
	}
	values := map[string]string{"windowId": id, "id": id, "unitId": id, "hallId": id, "month": w.month,
		"level": "district", "district": "zichuan"}
	query := url.Values{}
	switch op.id {
	case "getWindowStats", "getStaffStats", "getUnitStats", "getHallStats", "hallBlueList":
		query.Set("month", w.month)
	case "listFlaggedRatings":
		query.Set("hall", id)
	case "listRectifications":
		query.Set("unit", id)
	case "reviewFlag":
		body = `{"count":true}`
	case "fileAppeal":
		body = `{"kind":"mistaken","reason":"评价人误按"}`
	case "decideAppeal":
		body = `{"uphold":false}`
	case "respondRectification":
		body = `{"findings":"查摆","measures":"整改","version":999}`
	case "reviewRectification":
		body = `{"verified":true,"version":999}`
	case "putStaff", "putHelper":
		body = f.body
	case "setHelperStatus":
		body = `{"status":"off"}`
	case "setTeamRule":
		body = `{"rule":"least-loaded"}`
	case "createCase":
		headers["Idempotency-Key"] = uuid.NewString()
		body = strings.Replace(caseBody(`"BDC-004"`, ""), `"materials":["id-card"]`, `"materials":[]`, 1)
		if c.role != "citizen" && c.role != "enterprise" {
			body = strings.Replace(body, `"channel":"mini-program"`, `"channel":"hall"`, 1)
		}
	case "listCases":
		query.Set("mine", "1")
		if c.role == "helper" {
			query = url.Values{"assignee": {"me"}}
		}
	case "transitionCase":
		body = `{"to":"accepted","version":999}`
		if c.role == "helper" {
			body = fmt.Sprintf(`{"to":"assigned","assignee":%q,"version":999}`, strings.TrimPrefix(c.subject, "staff:"))
		}
	case "completeSubTask":
		values["unit"] = "zc-swj"
		if f != nil && slices.Contains(f.parts, c.unit) {
			values["unit"] = c.unit
		}
		body = `{"version":999}`
	case "rateCase":
		body = `{"level":5}`
	}
	path = fill(op.path, values)
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	return op.method, path, body, headers
}

// buildWorld makes the callers — staff registered through the API and signed in with binding
// codes, citizens signed in, look-alikes of other kinds — and the fixtures of two scopes: A (hall
// zc-center, unit zc-xzsp, window zc-a02) and B (hall zb-center, unit zb-scjg, window zb-a01).
func buildWorld(t *testing.T, s *system) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{targets: map[string][]target{}, month: calendar.MonthOf(time.Now()).String()}
	city := s.staffToken(t, "city-admin-lu", "city_admin", "", "", "")
	type account struct{ name, id, role, unit, hall, window string }
	accounts := []account{
		{"hall admin A", "authz-hall-a", "hall_admin", "", "zc-center", ""},
		{"hall admin B", "authz-hall-b", "hall_admin", "", "zb-center", ""},
		{"unit admin A", "authz-unit-a", "unit_admin", "zc-xzsp", "", ""},
		{"unit admin B", "authz-unit-b", "unit_admin", "zb-scjg", "", ""},
		{"clerk A", "authz-clerk-a", "clerk", "zc-xzsp", "zc-center", "zc-a02"},
		{"clerk B", "authz-clerk-b", "clerk", "zb-scjg", "zb-center", "zb-a01"},
		{"helper A", "authz-helper-a", "helper", "zc-xzsp", "zc-center", ""},
		{"helper B", "authz-helper-b", "helper", "zb-scjg", "zb-center", ""},
	}
	w.callers = append(w.callers, caller{name: "city", headers: city, subject: "staff:city-admin-lu", role: "city_admin"})
	bodies := map[string]string{}
	for _, a := range accounts {
		fields := map[string]string{"name": "测试" + a.role, "role": a.role, "unitId": a.unit, "hallId": a.hall, "windowId": a.window}
		for k, v := range fields {
			if v == "" {
				delete(fields, k)
			}
		}
		b, err := json.Marshal(fields)
		if err != nil {
			t.Fatal(err)
		}
		bodies[a.id] = string(b)
		h := s.enroll(t, city, a.id, string(b))
		w.callers = append(w.callers, caller{name: a.name, headers: h, subject: "staff:" + a.id, role: a.role, unit: a.unit, hall: a.hall, window: a.window})
	}
	// Citizens sign in; principals of other kinds take citizen A's pseudonym.
	_, sa := s.signIn(t, "dev-authz-citizen-a", "")
	_, sb := s.signIn(t, "dev-authz-citizen-b", "")
	citizenA, citizenB := bearer(sa), bearer(sb)
	subA, subB := sa["subject"].(string), sb["subject"].(string)
	pseudonym := strings.TrimPrefix(subA, "citizen:")
	w.callers = append(w.callers,
		caller{name: "citizen A", headers: citizenA, subject: subA, role: "citizen"},
		caller{name: "citizen B", headers: citizenB, subject: subB, role: "citizen"},
		caller{name: "enterprise A (citizen A's pseudonym)", subject: "enterprise:" + pseudonym, role: "enterprise",
			headers: s.token(t, map[string]any{"sub": "enterprise:" + pseudonym, "kind": "enterprise", "role": "enterprise"})},
	)
	hallA := w.caller(t, "hall admin A").headers
	hallB := w.caller(t, "hall admin B").headers
	lookalikeID := strings.TrimPrefix(pseudonym, "wx-")
	w.callers = append(w.callers, caller{name: "staff A (citizen A's pseudonym)", subject: "staff:" + lookalikeID, role: "helper",
		unit: "zc-xzsp", hall: "zc-center",
		headers: s.enroll(t, hallA, lookalikeID, `{"name":"同名","role":"helper","unitId":"zc-xzsp","hallId":"zc-center"}`)})
	w.callers = append(w.callers, caller{name: "no token"})

	// Helpers' routing profiles, off duty so routing leaves the fixtures waiting.
	profiles := map[string]string{
		"authz-helper-a": `{"name":"测试helper","level":"district","unitId":"zc-xzsp","hallId":"zc-center","district":"zichuan","domains":["real-estate","tax"],"capacity":5,"status":"off","lead":true,"schedule":[]}`,
		"authz-helper-b": `{"name":"测试helper","level":"city","unitId":"zb-scjg","hallId":"zb-center","district":"city","domains":["enterprise"],"capacity":5,"status":"off","schedule":[]}`,
	}
	for id, p := range profiles {
		if status, answer := s.do(t, "PUT", "/v1/helpers/"+id, city, p); status != 200 {
			t.Fatalf("profile %s: %d %s", id, status, answer)
		}
	}
	w.targets["window"] = []target{
		{name: "window A", id: "zc-a02", halls: []string{"zc-center"}, units: []string{"zc-xzsp"}, windows: []string{"zc-a02"}},
		{name: "window B", id: "zb-a01", halls: []string{"zb-center"}, units: []string{"zb-scjg"}, windows: []string{"zb-a01"}},
	}
	w.targets["unit"] = []target{{name: "unit A", id: "zc-xzsp", units: []string{"zc-xzsp"}}, {name: "unit B", id: "zb-scjg", units: []string{"zb-scjg"}}}
	w.targets["hall"] = []target{{name: "hall A", id: "zc-center", halls: []string{"zc-center"}}, {name: "hall B", id: "zb-center", halls: []string{"zb-center"}}}
	w.targets["staff"] = []target{
		{name: "clerk A's account", id: "authz-clerk-a", halls: []string{"zc-center"}, units: []string{"zc-xzsp"}, windows: []string{"zc-a02"},
			owners: []string{"staff:authz-clerk-a"}, body: bodies["authz-clerk-a"]},
		{name: "clerk B's account", id: "authz-clerk-b", halls: []string{"zb-center"}, units: []string{"zb-scjg"}, windows: []string{"zb-a01"},
			owners: []string{"staff:authz-clerk-b"}, body: bodies["authz-clerk-b"]},
	}
	w.targets["helper"] = []target{
		{name: "helper A", id: "authz-helper-a", halls: []string{"zc-center"}, units: []string{"zc-xzsp"}, owners: []string{"staff:authz-helper-a"}, body: profiles["authz-helper-a"]},
		{name: "helper B", id: "authz-helper-b", halls: []string{"zb-center"}, units: []string{"zb-scjg"}, owners: []string{"staff:authz-helper-b"}, body: profiles["authz-helper-b"]},
	}

	// Cases: each filed through the API, then (for cases A and B) assigned by the hall.
	file := func(who map[string]string, body string) string {
		status, answer := s.do(t, "POST", "/v1/cases", with(who, "Idempotency-Key", uuid.NewString()), body)
		if status != 201 {
			t.Fatalf("file: %d %s", status, answer)
		}
		return decodeCase(t, answer).ID
	}
	assign := func(admin map[string]string, id, helper string) {
		testenv.Eventually(t, 15*time.Second, func() error {
			_, answer := s.do(t, "GET", "/v1/cases/"+id, admin, "")
			v := decodeCase(t, answer)
			status, answer := s.do(t, "POST", "/v1/cases/"+id+"/transitions", admin, fmt.Sprintf(`{"to":"assigned","assignee":%q,"version":%d}`, helper, v.Version))
			if status != 200 {
				return fmt.Errorf("assign %s: %d %s", id, status, answer)
			}
			return nil
		})
	}
	elevator := `"attributes":{"SCJG-007":{"equipmentType":"elevator","quantity":1}},"materials":["application"]`
	caseA := file(citizenA, strings.Replace(caseBody(`"BDC-004"`, ""), `"materials":["id-card"]`, `"materials":[]`, 1))
	caseB := file(citizenB, strings.Replace(strings.Replace(caseBody(`"SCJG-007"`, ""), `"materials":["id-card"]`, elevator, 1), `"zichuan"`, `"city"`, 1))
	joint := file(citizenB, strings.Replace(caseBody(`"BDC-004","SW-008"`, ""), `"materials":["id-card"]`, `"materials":[]`, 1))
	clerkCase := file(w.caller(t, "clerk A").headers, strings.Replace(strings.Replace(caseBody(`"SW-008"`, ""), `"channel":"mini-program"`, `"channel":"hall"`, 1), `"materials":["id-card"]`, `"materials":[]`, 1))
	assign(hallA, caseA, "authz-helper-a")
	assign(hallB, caseB, "authz-helper-b")
	w.targets["case"] = []target{
		{name: "case A", id: caseA, halls: []string{"zc-center"}, units: []string{"zc-xzsp"}, owners: []string{subA, "staff:authz-helper-a"}},
		{name: "case B", id: caseB, halls: []string{"zb-center"}, units: []string{"zb-scjg"}, owners: []string{subB, "staff:authz-helper-b"}},
		{name: "joint case in hall A", id: joint, halls: []string{"zc-center"}, units: []string{"zc-xzsp", "zc-swj"}, parts: []string{"zc-xzsp", "zc-swj"},
			owners: []string{subB}, waiting: true},
		{name: "case clerk A filed", id: clerkCase, halls: []string{"zc-center"}, units: []string{"zc-swj"}, owners: []string{"staff:authz-clerk-a"}, waiting: true},
	}

	// Ratings from the kiosks of windows A and B: a top one and a poor one each (the poor one opens
	// a rectification, which its unit's administrator appeals).
	ratings := map[string]string{}
	for _, win := range []string{"zc-a02", "zb-a01"} {
		dw, err := s.directory.Window(ctx, win)
		if err != nil {
			t.Fatal(err)
		}
		k, err := demo.Register(ctx, s.kiosks, demo.KioskID(dw.ID), dw)
		if err != nil {
			t.Fatal(err)
		}
		for _, level := range []int{5, 1} {
			id, now := uuid.NewString(), time.Now()
			body := fmt.Sprintf(`{"id":%q,"level":%d,"ratedAt":%q}`, id, level, now.Format(time.RFC3339))
			if status, answer := s.do(t, "POST", "/v1/evaluations", signed(k, body, now), body); status != 202 {
				t.Fatalf("rating: %d %s", status, answer)
			}
			ratings[fmt.Sprint(win, level)] = id
		}
	}
	for _, id := range ratings {
		testenv.Eventually(t, 20*time.Second, func() error {
			if status, answer := s.do(t, "GET", "/v1/ratings/"+id+"/audit", city, ""); status != 200 {
				return fmt.Errorf("rating %s: %d %s", id, status, answer)
			}
			return nil
		})
	}
	place := func(name, id, hall, unit, win string) target {
		return target{name: name, id: id, halls: []string{hall}, units: []string{unit}, windows: []string{win}}
	}
	w.targets["rating"] = []target{place("rating A", ratings["zc-a025"], "zc-center", "zc-xzsp", "zc-a02"),
		place("rating B", ratings["zb-a015"], "zb-center", "zb-scjg", "zb-a01")}
	w.targets["rectification"] = []target{place("ticket A", ratings["zc-a021"], "zc-center", "zc-xzsp", "zc-a02"),
		place("ticket B", ratings["zb-a011"], "zb-center", "zb-scjg", "zb-a01")}
	for _, a := range []struct{ admin, rating string }{{"unit admin A", ratings["zc-a021"]}, {"unit admin B", ratings["zb-a011"]}} {
		testenv.Eventually(t, 10*time.Second, func() error {
			status, answer := s.do(t, "POST", "/v1/ratings/"+a.rating+"/appeal", w.caller(t, a.admin).headers, `{"kind":"malicious","reason":"恶意差评"}`)
			if status != 201 {
				return fmt.Errorf("appeal: %d %s", status, answer)
			}
			return nil
		})
	}
	w.targets["appeal"] = []target{{name: "appeal A", id: ratings["zc-a021"], units: []string{"zc-xzsp"}},
		{name: "appeal B", id: ratings["zb-a011"], units: []string{"zb-scjg"}}}

	// The month's report, and a QR code of window A for the public route.
	if status, answer := s.do(t, "POST", "/v1/reports/"+w.month+"/runs", city, ""); status != 201 && status != 200 {
		t.Fatalf("report: %d %s", status, answer)
	}
	status, answer := s.do(t, "GET", "/v1/windows/zc-a02/qr-code", city, "")
	var code struct{ URL string }
	if status != 200 || json.Unmarshal([]byte(answer), &code) != nil {
		t.Fatalf("qr code: %d %s", status, answer)
	}
	u, err := url.Parse(code.URL)
	if err != nil {
		t.Fatal(err)
	}
	w.qrToken = u.Query().Get("t")
	if w.qrToken == "" {
		t.Fatalf("no token in %s", code.URL)
	}
	status, answer = s.do(t, "GET", "/v1/guides", nil, "")
	var guides struct{ Items []struct{ ID string } }
	if status != 200 || json.Unmarshal([]byte(answer), &guides) != nil || len(guides.Items) == 0 {
		t.Fatalf("guides: %d %s", status, answer)
	}
	w.targets["guide"] = []target{{id: guides.Items[0].ID}}
	return w
}
