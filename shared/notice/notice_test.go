package notice_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"banban/shared/apperr"
	"banban/shared/notice"
)

// Messages as the senders write them (supervision, rectification watch).
const (
	overdue = `{"type":"case.overdue","caseId":"c1","trackingNo":"BB-2026-000123","level":2,"recipient":"unit_admin",` +
		`"hallId":"zc-center","units":["zc-slsq"],"assignee":"helper-zc-01","dueAt":"2026-11-27T15:59:59Z","overdueWorkingDays":2}`
	invitation = `{"type":"rating.invitation","id":"c2:rating.invitation","caseId":"c2","trackingNo":"BB-2026-000124",` +
		`"recipient":"requester","subject":"wx-5f0c3b9a","state":"completed","closedAt":"2026-11-28T02:00:00Z","rateBy":"2026-12-05T02:00:00Z"}`
	reminder = `{"type":"rating.reminder","id":"c2:rating.reminder","caseId":"c2","recipient":"requester","subject":"wx-5f0c3b9a"}`
	opened   = `{"id":"rect:t1:opened:unit_admin","type":"rectification.opened","ticketId":"t1","recipient":"unit_admin",` +
		`"unitId":"zb-scjg","hallId":"zb-center","windowId":"zb-a01","level":3,"state":"open","openedAt":"2026-11-28T02:00:01Z"}`
	late        = `{"id":"rect:t1:response_late:unit_admin","type":"rectification.response_late","ticketId":"t1","recipient":"unit_admin","unitId":"zb-scjg"}`
	cityOverdue = `{"id":"rect:t1:overdue:city_admin","type":"rectification.overdue","ticketId":"t1","recipient":"city_admin","unitId":"zb-scjg"}`
	published   = `{"id":"report:2026-11:1:zb-scjg","type":"report.published","recipient":"unit_admin","unitId":"zb-scjg","month":"2026-11","revision":1,"score":96.5}`
)

func TestParseKnownTypes(t *testing.T) {
	for _, tc := range []struct {
		body string
		want notice.Envelope
	}{
		{overdue, notice.Envelope{ID: "c1:case.overdue:2", Type: notice.CaseOverdue, Recipient: notice.UnitAdmin, CaseID: "c1",
			HallID: "zc-center", Units: []string{"zc-slsq"}, Assignee: "helper-zc-01"}},
		{invitation, notice.Envelope{ID: "c2:rating.invitation", Type: notice.RatingInvitation, Recipient: notice.Requester, CaseID: "c2", Subject: "wx-5f0c3b9a"}},
		{reminder, notice.Envelope{ID: "c2:rating.reminder", Type: notice.RatingReminder, Recipient: notice.Requester, CaseID: "c2", Subject: "wx-5f0c3b9a"}},
		{opened, notice.Envelope{ID: "rect:t1:opened:unit_admin", Type: notice.RectificationOpened, Recipient: notice.UnitAdmin, TicketID: "t1",
			UnitID: "zb-scjg", HallID: "zb-center", WindowID: "zb-a01"}},
		{late, notice.Envelope{ID: "rect:t1:response_late:unit_admin", Type: notice.RectificationResponseLate, Recipient: notice.UnitAdmin, TicketID: "t1", UnitID: "zb-scjg"}},
		{cityOverdue, notice.Envelope{ID: "rect:t1:overdue:city_admin", Type: notice.RectificationOverdue, Recipient: notice.CityAdmin, TicketID: "t1", UnitID: "zb-scjg"}},
		{published, notice.Envelope{ID: "report:2026-11:1:zb-scjg", Type: notice.ReportPublished, Recipient: notice.UnitAdmin, UnitID: "zb-scjg"}},
	} {
		n, err := notice.Parse([]byte(tc.body))
		if err != nil {
			t.Errorf("%s: %v", tc.body, err)
			continue
		}
		got, _ := json.Marshal(n.Envelope)
		want, _ := json.Marshal(tc.want)
		if !bytes.Equal(got, want) {
			t.Errorf("envelope\n got %s\nwant %s", got, want)
		}
		if string(n.Body) != tc.body {
			t.Errorf("body %s, want the message", n.Body)
		}
		if !n.Type.Known() {
			t.Errorf("%s not known", n.Type)
		}
	}
	if len(notice.Types) != 7 {
		t.Errorf("%d known types", len(notice.Types))
	}
}

// An overdue notice has no id of its own: its case and level name it, the same on every send.
func TestOverdueIDIsStable(t *testing.T) {
	a, err := notice.Parse([]byte(overdue))
	if err != nil {
		t.Fatal(err)
	}
	b, err := notice.Parse([]byte(strings.Replace(overdue, `"overdueWorkingDays":2`, `"overdueWorkingDays":3`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	c, err := notice.Parse([]byte(strings.Replace(overdue, `"level":2`, `"level":3`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID || a.ID == c.ID {
		t.Errorf("ids %q %q %q", a.ID, b.ID, c.ID)
	}
}

func TestParseRefusesPoison(t *testing.T) {
	for _, tc := range []struct{ body, code, field string }{
		{``, "unreadable_notice", ""},
		{`not json`, "unreadable_notice", ""},
		{`[1,2]`, "unreadable_notice", ""},
		{`"case.overdue"`, "unreadable_notice", ""},
		{`{"type":"case.overdue","caseId":"c1","level":2,"recipient":"unit_admin"} trailing`, "unreadable_notice", ""},
		{`{"type":7,"id":"x","recipient":"unit_admin"}`, "unreadable_notice", ""},
		{`null`, "invalid_field", "type"},
		{`{}`, "invalid_field", "type"},
		{`{"id":"x","recipient":"unit_admin","ticketId":"t1","unitId":"u1"}`, "invalid_field", "type"},
		{`{"type":"case.created","id":"x","recipient":"unit_admin","caseId":"c1"}`, "invalid_field", "type"},
		{`{"type":"RECTIFICATION.OPENED","id":"x","recipient":"unit_admin","ticketId":"t1","unitId":"u1"}`, "invalid_field", "type"},
		{strings.Replace(opened, `"recipient":"unit_admin",`, "", 1), "invalid_field", "recipient"},
		{strings.Replace(opened, `"recipient":"unit_admin"`, `"recipient":"requester"`, 1), "invalid_field", "recipient"},
		{strings.Replace(opened, `"recipient":"unit_admin"`, `"recipient":"city_admin"`, 1), "invalid_field", "recipient"},
		{strings.Replace(invitation, `"recipient":"requester"`, `"recipient":"unit_admin"`, 1), "invalid_field", "recipient"},
		{strings.Replace(overdue, `"recipient":"unit_admin"`, `"recipient":"citizen"`, 1), "invalid_field", "recipient"},
		{strings.Replace(opened, `"id":"rect:t1:opened:unit_admin",`, "", 1), "invalid_field", "id"},
		{strings.Replace(invitation, `"id":"c2:rating.invitation",`, "", 1), "invalid_field", "id"},
		{strings.Replace(overdue, `"level":2,`, "", 1), "invalid_field", "id"},
		{strings.Replace(overdue, `"caseId":"c1",`, "", 1), "invalid_field", "id"},
		{strings.Replace(invitation, `"subject":"wx-5f0c3b9a",`, "", 1), "invalid_field", "subject"},
		{strings.Replace(invitation, `"caseId":"c2",`, "", 1), "invalid_field", "caseId"},
		{strings.Replace(opened, `"ticketId":"t1",`, "", 1), "invalid_field", "ticketId"},
		{strings.Replace(late, `,"unitId":"zb-scjg"`, "", 1), "invalid_field", "unitId"},
	} {
		_, err := notice.Parse([]byte(tc.body))
		e, ok := apperr.As(err)
		if !ok || e.Kind != apperr.Invalid || e.Code != tc.code || e.Field != tc.field {
			t.Errorf("%s: %v, want %s %q", tc.body, err, tc.code, tc.field)
		}
	}
}

// The error of a refused message never quotes it: the consumer may log it.
func TestParseErrorsDoNotQuoteTheMessage(t *testing.T) {
	for _, body := range []string{
		`{"type":"rating.invitation","id":"secret-1","caseId":"secret-2","recipient":"secret-3","subject":"secret-4"}`,
		`{"type":"secret-5","id":"x","recipient":"unit_admin"}`,
		`{"type":"rating.invitation","id":"x","recipient":"requester","caseId":"c","subject":{"secret-6":1}}`,
	} {
		_, err := notice.Parse([]byte(body))
		if err == nil || strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: %v", body, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{overdue, invitation, reminder, opened, late, cityOverdue, `{}`, `null`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		n, err := notice.Parse([]byte(body))
		if err != nil {
			if _, ok := apperr.As(err); !ok {
				t.Fatalf("not an apperr error: %v", err)
			}
			return
		}
		if !n.Type.Known() || n.ID == "" || n.Recipient == "" || n.Check() != nil {
			t.Fatalf("accepted an incomplete notice: %+v", n.Envelope)
		}
	})
}

func TestLogSenderLogsIdsNotTheSubject(t *testing.T) {
	var buf bytes.Buffer
	s := &notice.LogSender{Log: slog.New(slog.NewJSONHandler(&buf, nil))}
	for _, body := range []string{invitation, overdue, opened} {
		n, err := notice.Parse([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Send(context.Background(), n); err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines: %s", len(lines), buf.String())
	}
	if strings.Contains(buf.String(), "wx-5f0c3b9a") || strings.Contains(buf.String(), "BB-2026") {
		t.Errorf("the log carries the subject or a notice's own fields: %s", buf.String())
	}
	var got []map[string]any
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
	}
	if m := got[0]; m["msg"] != "notice" || m["type"] != "rating.invitation" || m["id"] != "c2:rating.invitation" ||
		m["recipient"] != "requester" || m["caseId"] != "c2" || m["hasSubject"] != true {
		t.Errorf("invitation line: %v", m)
	}
	if m := got[1]; m["type"] != "case.overdue" || m["id"] != "c1:case.overdue:2" || m["recipient"] != "unit_admin" ||
		m["hallId"] != "zc-center" || m["assignee"] != "helper-zc-01" || m["hasSubject"] != false || m["units"] == nil {
		t.Errorf("overdue line: %v", m)
	}
	if m := got[2]; m["type"] != "rectification.opened" || m["ticketId"] != "t1" || m["unitId"] != "zb-scjg" ||
		m["windowId"] != "zb-a01" || m["hallId"] != "zb-center" || m["caseId"] != nil {
		t.Errorf("rectification line: %v", m)
	}
}
