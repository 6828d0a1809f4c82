package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/uuid"

	"banban/local/stack"
	"banban/local/testenv"
)

const (
	aliceID     = "370303199001010017"
	aliceMobile = "13905331234"
	aliceName   = "王建国"
)

func caseBody(matters string, extra string) string {
	return `{"requesterKind":"person","name":"` + aliceName + `","idNumber":"` + aliceID + `","mobile":"` + aliceMobile + `",` +
		`"matters":[` + matters + `],"materials":["id-card"],"district":"zichuan","channel":"mini-program"` + extra + `}`
}

type caseView struct {
	ID         string `json:"id"`
	TrackingNo string `json:"trackingNo"`
	Version    int    `json:"version"`
	State      string `json:"state"`
	Mode       string `json:"mode"`
	HallID     string `json:"hallId"`
	Units      []string
	DueAt      time.Time `json:"dueAt"`
	Masked     bool      `json:"masked"`
	Personal   struct {
		Name, IDNumber, Mobile string
	} `json:"personal"`
	History []struct {
		To, Actor, Reason string
	} `json:"history"`
}

func decodeCase(t *testing.T, body string) caseView {
	t.Helper()
	var v caseView
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("case %s: %v", body, err)
	}
	return v
}

func with(h map[string]string, k, v string) map[string]string {
	out := map[string]string{}
	for a, b := range h {
		out[a] = b
	}
	out[k] = v
	return out
}

// TestCaseIntakeAndLifecycle follows a case from the mini-program through its helpers, with the
// authorization matrix, idempotency, masking, optimistic locking, events and logs checked.
func TestCaseIntakeAndLifecycle(t *testing.T) {
	s := start(t, func(c *stack.Config) { c.NoPollers = true })
	_, alice := s.signIn(t, "dev-alice", "")
	_, bob := s.signIn(t, "dev-bob", "")
	aliceH, bobH := bearer(alice), bearer(bob)

	// Idempotency: concurrent duplicates make one case and get one answer.
	key := uuid.NewString()
	body := caseBody(`"RS-004"`, `,"priority":"elderly"`)
	var wg sync.WaitGroup
	answers := make([]string, 6)
	statuses := make([]int, 6)
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], answers[i] = s.do(t, "POST", "/v1/cases", with(aliceH, "Idempotency-Key", key), body)
		}()
	}
	wg.Wait()
	for i := range answers {
		if statuses[i] != 201 || answers[i] != answers[0] {
			t.Fatalf("duplicate %d: %d %s\nfirst: %s", i, statuses[i], answers[i], answers[0])
		}
	}
	c := decodeCase(t, answers[0])
	if !strings.HasPrefix(c.TrackingNo, "BB-2026-") && !strings.HasPrefix(c.TrackingNo, fmt.Sprintf("BB-%d-", time.Now().Year())) {
		t.Errorf("tracking number %s", c.TrackingNo)
	}
	// RS-004 is a community matter received at 淄川区's district hall: a transfer to supervise.
	if c.Mode != "transfer" || c.HallID != "zc-center" || !strings.Contains(answers[0], `"supervisedBy":"zc-center"`) || c.State != "received" || c.Masked || c.Personal.IDNumber != aliceID || !c.DueAt.After(time.Now()) {
		t.Errorf("created %+v", c)
	}
	if status, answer := s.do(t, "POST", "/v1/cases", with(aliceH, "Idempotency-Key", key), caseBody(`"RS-005"`, "")); status != 409 || !strings.Contains(answer, "idempotency_key_reused") {
		t.Errorf("same key, other body: %d %s", status, answer)
	}
	if status, answer := s.do(t, "POST", "/v1/cases", aliceH, body); status != 400 || !strings.Contains(answer, `"field":"Idempotency-Key"`) {
		t.Errorf("no key: %d %s", status, answer)
	}
	if page := s.list(t, "/v1/cases?mine=1", aliceH); len(page) != 1 || page[0].ID != c.ID {
		t.Fatalf("alice's cases: %+v", page)
	}

	// Bad input names its field and stores nothing.
	for field, b := range map[string]string{
		"idNumber":          strings.Replace(body, aliceID, "370303199001010018", 1),
		"mobile":            strings.Replace(body, aliceMobile, "1390533", 1),
		"matters":           caseBody(`"NO-SUCH"`, ""),
		"district":          strings.Replace(body, "zichuan", "shanghai", 1),
		"phone":             strings.Replace(body, `"channel"`, `"phone":"1","channel"`, 1),
		"attributes.RS-004": caseBody(`"RS-004"`, `,"attributes":{"RS-004":{"x":1}}`),
	} {
		status, answer := s.do(t, "POST", "/v1/cases", with(aliceH, "Idempotency-Key", uuid.NewString()), b)
		if status != 400 || !strings.Contains(answer, `"field":"`+field) {
			t.Errorf("bad %s: %d %s", field, status, answer)
		}
	}
	if page := s.list(t, "/v1/cases?mine=1", aliceH); len(page) != 1 {
		t.Errorf("refused requests stored cases: %d", len(page))
	}

	// Who may read it.
	city := with(s.token(t, map[string]any{"sub": "staff:city-admin-lu", "kind": "staff", "role": "city_admin"}), "Content-Type", "application/json")
	unitRS := with(s.token(t, map[string]any{"sub": "staff:ua-rsj", "kind": "staff", "role": "unit_admin", "unit": "zc-slsq"}), "Content-Type", "application/json")
	unitOther := s.token(t, map[string]any{"sub": "staff:ua-scjg", "kind": "staff", "role": "unit_admin", "unit": "zb-scjg"})
	hallZC := with(s.token(t, map[string]any{"sub": "staff:hall-admin-zc", "kind": "staff", "role": "hall_admin", "hall": "zc-center"}), "Content-Type", "application/json")
	helper := with(s.token(t, map[string]any{"sub": "staff:helper-zc-01", "kind": "staff", "role": "helper", "unit": "zc-xzsp", "hall": "zc-center"}), "Content-Type", "application/json")
	otherHelper := s.token(t, map[string]any{"sub": "staff:helper-zc-02", "kind": "staff", "role": "helper", "unit": "zc-xzsp", "hall": "zc-center"})
	path := "/v1/cases/" + c.ID
	for who, h := range map[string]map[string]string{"another citizen": bobH, "another unit's admin": unitOther, "an unassigned helper": otherHelper, "an unassigned helper (before)": helper} {
		if status, answer := s.do(t, "GET", path, h, ""); status != 404 {
			t.Errorf("%s read the case: %d %s", who, status, answer)
		}
	}
	for who, h := range map[string]map[string]string{"city admin": city, "its unit's admin": unitRS, "its hall's admin": hallZC} {
		status, answer := s.do(t, "GET", path, h, "")
		v := decodeCase(t, answer)
		if status != 200 || !v.Masked || v.Personal.IDNumber == aliceID || v.Personal.Mobile != "139****1234" || v.Personal.Name != "王**" {
			t.Errorf("%s: %d masked=%v %+v", who, status, v.Masked, v.Personal)
		}
	}

	// The lifecycle: the hall assigns, the helper accepts, works and completes; a stale write is refused.
	move := func(h map[string]string, to string, version int, extra string) (int, string) {
		return s.do(t, "POST", path+"/transitions", h, fmt.Sprintf(`{"to":%q,"version":%d%s}`, to, version, extra))
	}
	// This stage runs without event consumers, so the events stay in the queue for the checks
	// below; the hall administrator assigns the case by hand (routing has its own test).
	v := 1
	profile := `{"name":"郑红","level":"district","unitId":"zc-xzsp","hallId":"zc-center","district":"zichuan","domains":["social-security"],` +
		`"capacity":3,"status":"off","schedule":[]}`
	if status, answer := s.do(t, "PUT", "/v1/helpers/helper-zc-01", hallZC, profile); status != 200 {
		t.Fatalf("helper profile: %d %s", status, answer)
	}
	if status, answer := move(hallZC, "assigned", v, `,"assignee":"helper-zc-01"`); status != 200 {
		t.Fatalf("assign: %d %s", status, answer)
	}
	if status, answer := move(helper, "accepted", v, ""); status != 409 || !strings.Contains(answer, "stale_version") {
		t.Errorf("stale write: %d %s", status, answer)
	}
	if status, answer := move(aliceH, "completed", v+1, ""); status != 409 && status != 403 {
		t.Errorf("the requester completed it: %d %s", status, answer)
	}
	if status, answer := move(helper, "accepted", v+1, ""); status != 200 {
		t.Fatalf("accept: %d %s", status, answer)
	}
	status, answer := s.do(t, "GET", path, helper, "")
	if v := decodeCase(t, answer); status != 200 || v.Masked || v.Personal.IDNumber != aliceID {
		t.Errorf("the assigned helper sees masked data: %d %+v", status, v.Personal)
	}
	if page := s.list(t, "/v1/cases?assignee=me", helper); len(page) != 1 || page[0].ID != c.ID {
		t.Errorf("helper's cases: %+v", page)
	}
	if status, answer := move(helper, "unable", v+2, ""); status != 400 || !strings.Contains(answer, `"field":"reason"`) {
		t.Errorf("unable without reason: %d %s", status, answer)
	}
	if status, answer := move(helper, "in_progress", v+2, ""); status != 200 {
		t.Fatalf("start: %d %s", status, answer)
	}
	status, answer = move(helper, "completed", v+3, "")
	done := decodeCase(t, answer)
	if status != 200 || done.State != "completed" || len(done.History) != 5 || done.History[4].Actor != "staff:helper-zc-01" {
		t.Fatalf("complete: %d %s", status, answer)
	}
	if status, _ := move(aliceH, "withdrawn", v+4, ""); status != 409 {
		t.Errorf("a completed case was withdrawn: %d", status)
	}

	// Events went to the case-events queue, with ids and routing facts and no personal data.
	q := testenv.SQS(t)
	url := s.stack.Resources.Queues["CaseEventsQueue"].URL
	var events []string
	testenv.Eventually(t, 10*time.Second, func() error {
		out, err := q.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})
		if err != nil {
			return err
		}
		for _, m := range out.Messages {
			events = append(events, aws.ToString(m.Body))
		}
		if len(events) < 5 {
			return fmt.Errorf("%d events so far", len(events))
		}
		return nil
	})
	joined := strings.Join(events, "\n")
	if !strings.Contains(joined, `"type":"case.created"`) || !strings.Contains(joined, `"state":"completed"`) {
		t.Errorf("events: %s", joined)
	}
	s.noPersonalData(t, "case events", joined)
	s.noPersonalData(t, "function logs", s.logs.String())
}

func (s *system) noPersonalData(t *testing.T, where, text string) {
	t.Helper()
	for _, secret := range []string{aliceID, aliceMobile, aliceName} {
		if strings.Contains(text, secret) {
			t.Errorf("%s contain personal data %q", where, secret)
		}
	}
}

func (s *system) list(t *testing.T, path string, h map[string]string) []caseView {
	t.Helper()
	status, answer := s.do(t, "GET", path, h, "")
	var page struct{ Cases []caseView }
	if status != 200 || json.Unmarshal([]byte(answer), &page) != nil {
		t.Fatalf("%s: %d %s", path, status, answer)
	}
	return page.Cases
}
