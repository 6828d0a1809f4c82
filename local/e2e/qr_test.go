package e2e

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"

	"banban/local/testenv"
	"banban/shared/calendar"
	"banban/shared/handler/evaluationapi"
)

// TestAQRCodeRatingIsCountedForItsWindow: an administrator prints a window's QR code; ratings
// through it count for the window, within the rate limits of the template; a rotated code's
// links are refused.
func TestAQRCodeRatingIsCountedForItsWindow(t *testing.T) {
	s := start(t)
	unitAdmin := s.token(t, map[string]any{"sub": "staff:unit-admin-scjg", "kind": "staff", "role": "unit_admin", "unit": "zb-scjg"})
	code := func(method, path string) string {
		t.Helper()
		status, body := s.do(t, method, path, unitAdmin, "")
		var c evaluationapi.QRCode
		if (status != 200 && status != 201) || json.Unmarshal([]byte(body), &c) != nil || c.WindowID != "zb-a01" {
			t.Fatalf("%s %s: %d %s", method, path, status, body)
		}
		u, err := url.Parse(c.URL)
		if err != nil {
			t.Fatal(err)
		}
		return u.Query().Get("t")
	}
	token := code("GET", "/v1/windows/zb-a01/qr-code")
	if status, body := s.do(t, "GET", "/v1/windows/zb-a01/qr-code", nil, ""); status != 401 {
		t.Errorf("a code without a staff token: %d %s", status, body)
	}
	headers := map[string]string{"Content-Type": "application/json"}
	post := func(tok string, level int, id string) (int, string) {
		return s.do(t, "POST", "/v1/qr/evaluations", headers, fmt.Sprintf(`{"token":%q,"id":%q,"level":%d,"tags":["H02"]}`, tok, id, level))
	}
	first := uuid.NewString()
	for range 2 { // sent twice: counted once, and once against the client's limit
		if status, body := post(token, 5, first); status != 202 {
			t.Fatalf("QR rating: %d %s", status, body)
		}
	}
	// The template lets a client rate 5 times in 10 minutes: 4 more, then 429.
	for range 4 {
		if status, body := post(token, 4, uuid.NewString()); status != 202 {
			t.Fatalf("QR rating: %d %s", status, body)
		}
	}
	if status, body := post(token, 4, uuid.NewString()); status != 429 {
		t.Errorf("over the client's limit: %d %s", status, body)
	}
	month := calendar.MonthOf(time.Now()).String()
	testenv.Eventually(t, 30*time.Second, func() error {
		if ws := s.stats(t, "zb-a01", month, unitAdmin); ws.Total+ws.Flagged != 5 {
			return fmt.Errorf("the window holds %d ratings", ws.Total+ws.Flagged)
		}
		return nil
	})
	s.drained(t)
	// Five ratings at one window within seconds: the integrity watch counts four and flags the
	// fifth for the city's review.
	if ws := s.stats(t, "zb-a01", month, unitAdmin); ws.Total != 4 || ws.Flagged != 1 {
		t.Errorf("after the queue drained the window counts %d ratings and %d flagged, want 4 and 1", ws.Total, ws.Flagged)
	}

	code("POST", "/v1/windows/zb-a01/qr-code/rotation")
	if status, body := post(token, 1, uuid.NewString()); status != 401 {
		t.Errorf("a rotated code's link: %d %s", status, body)
	}
}
