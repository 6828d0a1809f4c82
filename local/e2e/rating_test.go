package e2e

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"banban/local/demo"
	"banban/local/testenv"
	"banban/shared/calendar"
	"banban/shared/handler/evaluationstaff"
	"banban/shared/kiosk"
)

func (s *system) do(t *testing.T, method, path string, headers map[string]string, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// signed returns the headers of a kiosk request signed now with a fresh nonce.
func signed(k kiosk.Kiosk, body string, at time.Time) map[string]string {
	h := kiosk.Headers(k, "POST", "/v1/evaluations", []byte(body), at, rand.Text())
	h["Content-Type"] = "application/json"
	return h
}

func (s *system) token(t *testing.T, claims map[string]any) map[string]string {
	t.Helper()
	tok, err := s.auth.Mint(claims, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"Authorization": "Bearer " + tok}
}

func (s *system) stats(t *testing.T, window, month string, headers map[string]string) evaluationstaff.WindowStats {
	t.Helper()
	status, body := s.do(t, "GET", "/v1/windows/"+window+"/stats?month="+month, headers, "")
	if status != 200 {
		t.Fatalf("stats: %d %s", status, body)
	}
	var ws evaluationstaff.WindowStats
	if err := json.Unmarshal([]byte(body), &ws); err != nil {
		t.Fatal(err)
	}
	return ws
}

// drained waits until the ratings queue holds no message, visible or in flight.
func (s *system) drained(t *testing.T) {
	t.Helper()
	q := testenv.SQS(t)
	url := s.stack.Resources.Queues["RatingsQueue"].URL
	testenv.Eventually(t, 30*time.Second, func() error { return testenv.QueueEmpty(context.Background(), q, url) })
}

// TestASignedRatingIsCountedOnce follows a new user of the README: a kiosk posts a rating (and,
// having lost the answer, posts it twice more), a unit administrator reads the window's counts.
func TestASignedRatingIsCountedOnce(t *testing.T) {
	s := start(t)
	ctx := context.Background()
	w, err := s.directory.Window(ctx, "zb-a01")
	if err != nil {
		t.Fatal(err)
	}
	k, err := demo.Register(ctx, s.kiosks, demo.KioskID(w.ID), w)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	month := calendar.MonthOf(now).String()
	unitAdmin := s.token(t, map[string]any{"sub": "staff:unit-admin-scjg", "kind": "staff", "role": "unit_admin", "unit": "zb-scjg"})

	body := fmt.Sprintf(`{"id":%q,"level":5,"ratedAt":%q}`, uuid.NewString(), now.Format(time.RFC3339))
	var first map[string]string
	for i := range 3 {
		h := signed(k, body, now)
		if i == 0 {
			first = h
		}
		if status, answer := s.do(t, "POST", "/v1/evaluations", h, body); status != 202 {
			t.Fatalf("post %d: %d %s", i+1, status, answer)
		}
	}
	other := fmt.Sprintf(`{"id":%q,"level":2,"ratedAt":%q}`, uuid.NewString(), now.Add(-time.Hour).Format(time.RFC3339))
	if status, answer := s.do(t, "POST", "/v1/evaluations", signed(k, other, now), other); status != 202 {
		t.Fatalf("second rating: %d %s", status, answer)
	}

	// Refused requests: none of them may add anything.
	stale := signed(k, other, now.Add(-10*time.Minute))
	badSig := signed(k, other, now)
	badSig[kiosk.HeaderSignature] = strings.Repeat("ab", 32)
	unknown := signed(kiosk.Kiosk{ID: "kiosk-nobody", Secret: k.Secret}, other, now)
	for name, c := range map[string]struct {
		headers map[string]string
		code    string
	}{
		"replayed nonce":  {first, "replayed_nonce"},
		"stale timestamp": {stale, "stale_timestamp"},
		"bad signature":   {badSig, "bad_signature"},
		"unknown kiosk":   {unknown, "unknown_kiosk"},
	} {
		b := other
		if name == "replayed nonce" {
			b = body
		}
		status, answer := s.do(t, "POST", "/v1/evaluations", c.headers, b)
		if status != 401 || !strings.Contains(answer, `"code":"`+c.code+`"`) {
			t.Errorf("%s: %d %s", name, status, answer)
		}
	}

	// A kiosk back online posts its buffer: two new ratings and one already counted.
	batch := fmt.Sprintf(`{"ratings":[%s,{"id":%q,"level":4,"ratedAt":%q},{"id":%q,"level":3,"ratedAt":%q}]}`, body,
		uuid.NewString(), now.Add(-2*time.Hour).Format(time.RFC3339), uuid.NewString(), now.Add(-3*time.Hour).Format(time.RFC3339))
	bh := kiosk.Headers(k, "POST", "/v1/evaluations/batch", []byte(batch), now, rand.Text())
	bh["Content-Type"] = "application/json"
	if status, answer := s.do(t, "POST", "/v1/evaluations/batch", bh, batch); status != 202 || strings.Count(answer, "-") < 12 {
		t.Fatalf("batch: %d %s", status, answer)
	}

	s.drained(t)
	ws := s.stats(t, "zb-a01", month, unitAdmin)
	if ws.Total != 4 || ws.Levels[4].Count != 1 || ws.Levels[1].Count != 1 || ws.Levels[3].Count != 1 || ws.Levels[2].Count != 1 {
		t.Errorf("counted %+v, want one each of 非常满意, 满意, 基本满意, 不满意", ws)
	}

	// Who may read: the JWT authorizer refuses a missing or foreign token; the handler refuses
	// another unit's administrator.
	if status, answer := s.do(t, "GET", "/v1/windows/zb-a01/stats", nil, ""); status != 401 || answer != `{"message":"Unauthorized"}` {
		t.Errorf("no token: %d %s", status, answer)
	}
	if status, answer := s.do(t, "GET", "/v1/windows/zb-a01/stats", map[string]string{"Authorization": "Bearer " + strings.Repeat("x", 40)}, ""); status != 401 {
		t.Errorf("forged token: %d %s", status, answer)
	}
	other401 := s.token(t, map[string]any{"sub": "staff:unit-admin-rsj", "kind": "staff", "role": "unit_admin", "unit": "zb-rsj"})
	if status, answer := s.do(t, "GET", "/v1/windows/zb-a01/stats", other401, ""); status != 404 {
		t.Errorf("another unit's administrator: %d %s", status, answer)
	}
	if status, answer := s.do(t, "GET", "/v1/windows/zb-a01/stats?month=2026-13", unitAdmin, ""); status != 400 || !strings.Contains(answer, `"field":"month"`) {
		t.Errorf("bad month: %d %s", status, answer)
	}
	if s.contract.checked() < 10 {
		t.Errorf("only %d exchanges were checked against the OpenAPI contract", s.contract.checked())
	}
}

// TestAPoorRatingOpensARectification: a poor rating opens its unit's ticket once; the unit
// answers, the city sends it back, the unit answers again, the city verifies.
func TestAPoorRatingOpensARectification(t *testing.T) {
	s := start(t)
	ctx := context.Background()
	w, err := s.directory.Window(ctx, "zb-a01")
	if err != nil {
		t.Fatal(err)
	}
	k, err := demo.Register(ctx, s.kiosks, demo.KioskID(w.ID), w)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	id := uuid.NewString()
	body := fmt.Sprintf(`{"id":%q,"level":1,"ratedAt":%q,"tags":["S01","H02"],"comment":"态度不好，电话13800138000","ticket":"A-031"}`, id, now.Format(time.RFC3339))
	for range 2 { // posted twice: one ticket
		if status, answer := s.do(t, "POST", "/v1/evaluations", signed(k, body, now), body); status != 202 {
			t.Fatalf("rating: %d %s", status, answer)
		}
	}
	unitAdmin := with(s.token(t, map[string]any{"sub": "staff:unit-admin-scjg", "kind": "staff", "role": "unit_admin", "unit": "zb-scjg"}), "Content-Type", "application/json")
	city := with(s.token(t, map[string]any{"sub": "staff:city-admin-lu", "kind": "staff", "role": "city_admin"}), "Content-Type", "application/json")
	otherUnit := s.token(t, map[string]any{"sub": "staff:unit-admin-rsj", "kind": "staff", "role": "unit_admin", "unit": "zb-rsj"})
	var page struct {
		Tickets []struct {
			ID, State, Comment string
			Version            int
			Tags               []string
		}
	}
	testenv.Eventually(t, 15*time.Second, func() error {
		status, answer := s.do(t, "GET", "/v1/rectifications", unitAdmin, "")
		if status != 200 || json.Unmarshal([]byte(answer), &page) != nil || len(page.Tickets) == 0 {
			return fmt.Errorf("tickets: %d %s", status, answer)
		}
		return nil
	})
	s.drained(t)
	if status, answer := s.do(t, "GET", "/v1/rectifications", unitAdmin, ""); status != 200 || json.Unmarshal([]byte(answer), &page) != nil ||
		len(page.Tickets) != 1 || page.Tickets[0].ID != id || page.Tickets[0].State != "open" || len(page.Tickets[0].Tags) != 2 ||
		strings.Contains(page.Tickets[0].Comment, "13800138000") {
		t.Fatalf("tickets after two posts: %d %s", status, answer)
	}
	path := "/v1/rectifications/" + id
	if status, _ := s.do(t, "GET", path, otherUnit, ""); status != 404 {
		t.Errorf("another unit read the ticket: %d", status)
	}
	if status, _ := s.do(t, "GET", "/v1/rectifications?unit=zb-scjg", otherUnit, ""); status != 404 {
		t.Errorf("another unit listed the tickets: %d", status)
	}
	step := func(h map[string]string, what, body string, want int) {
		t.Helper()
		if status, answer := s.do(t, "POST", path+"/"+what, h, body); status != want {
			t.Fatalf("%s: %d %s", what, status, answer)
		}
	}
	step(city, "response", `{"findings":"x","measures":"y","version":1}`, 403)
	step(unitAdmin, "response", `{"findings":"","measures":"y","version":1}`, 400)
	step(unitAdmin, "response", `{"findings":"窗口人员解释政策不耐心","measures":"开展服务礼仪培训，周例会通报","version":1}`, 200)
	step(unitAdmin, "review", `{"verified":true,"version":2}`, 403)
	step(city, "review", `{"verified":false,"version":2}`, 400)
	step(city, "review", `{"verified":false,"note":"整改措施不具体","version":2}`, 200)
	step(unitAdmin, "response", `{"findings":"窗口人员解释政策不耐心","measures":"培训后回访办事人，三个月内复查","version":3}`, 200)
	step(city, "review", `{"verified":true,"version":4}`, 200)
	if status, answer := s.do(t, "GET", path, unitAdmin, ""); status != 200 || !strings.Contains(answer, `"state":"verified"`) {
		t.Errorf("final: %d %s", status, answer)
	}

	blue := "/v1/halls/zb-center/blue-list?month=" + calendar.MonthOf(now).String()
	if status, answer := s.do(t, "GET", blue, city, ""); status != 200 || !strings.Contains(answer, `"windowId":"zb-a01"`) ||
		!strings.Contains(answer, `"poor":1`) || !strings.Contains(answer, `"verified":1`) {
		t.Errorf("blue list: %d %s", status, answer)
	}
	if status, answer := s.do(t, "GET", "/v1/public/halls/zb-center/blue-list?month="+calendar.MonthOf(now).String(), nil, ""); status != 200 ||
		!strings.Contains(answer, `"number":"A01"`) || strings.Contains(answer, "unitId") {
		t.Errorf("public blue list: %d %s", status, answer)
	}

	// An appeal of the rating: filed by the unit, upheld by the city — the rating leaves the counts
	// (kept, counted as appealed); filed twice is refused.
	appealBody := `{"kind":"malicious","reason":"评价人与窗口业务无关，现场录像可证"}`
	if status, _ := s.do(t, "POST", "/v1/ratings/"+id+"/appeal", with(otherUnit, "Content-Type", "application/json"), appealBody); status != 404 {
		t.Errorf("another unit appealed: %d", status)
	}
	if status, answer := s.do(t, "POST", "/v1/ratings/"+id+"/appeal", unitAdmin, appealBody); status != 201 {
		t.Fatalf("appeal: %d %s", status, answer)
	}
	if status, _ := s.do(t, "POST", "/v1/ratings/"+id+"/appeal", unitAdmin, appealBody); status != 409 {
		t.Errorf("second appeal: %d", status)
	}
	if status, answer := s.do(t, "GET", "/v1/appeals", city, ""); status != 200 || !strings.Contains(answer, id) {
		t.Errorf("pending appeals: %d %s", status, answer)
	}
	if status, _ := s.do(t, "POST", "/v1/appeals/"+id+"/decision", unitAdmin, `{"uphold":true,"note":"x"}`); status != 403 {
		t.Errorf("the unit decided its own appeal: %d", status)
	}
	if status, answer := s.do(t, "POST", "/v1/appeals/"+id+"/decision", city, `{"uphold":true,"note":"经核实属实"}`); status != 200 {
		t.Fatalf("decide: %d %s", status, answer)
	}
	if status, _ := s.do(t, "POST", "/v1/appeals/"+id+"/decision", city, `{"uphold":true,"note":"again"}`); status != 409 {
		t.Errorf("decided twice: %d", status)
	}
	month := calendar.MonthOf(now).String()
	ws := s.stats(t, "zb-a01", month, unitAdmin)
	if ws.Total != 0 || ws.Appealed != 1 || ws.Levels[0].Count != 0 {
		t.Errorf("after the upheld appeal: %+v", ws)
	}

	// The blue list (蓝榜): before the appeal the window had a poor rating; now it has none, so it
	// is off the list; the public view
	// for the display screen shows numbers, names and counts only.
	status, answer := s.do(t, "GET", "/v1/halls/zb-center/blue-list?month="+month, city, "")
	if status != 200 || strings.Contains(answer, `"windowId":"zb-a01"`) {
		t.Errorf("blue list after the appeal: %d %s", status, answer)
	}
	if status, _ := s.do(t, "GET", "/v1/halls/zb-center/blue-list", otherUnit, ""); status != 403 {
		t.Errorf("a unit administrator read the hall's blue list: %d", status)
	}
	status, answer = s.do(t, "GET", "/v1/public/halls/zb-center/blue-list?month="+month, nil, "")
	if status != 200 || strings.Contains(answer, "unitId") || strings.Contains(answer, "rectification") {
		t.Errorf("public blue list: %d %s", status, answer)
	}
}
