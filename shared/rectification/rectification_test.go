package rectification_test

import (
	"slices"
	"testing"
	"time"

	"banban/shared/auth"
	"banban/shared/rectification"
)

func TestTheWatchMarksLatenessOnceAndOwesEachNoticeOnce(t *testing.T) {
	opened := time.Date(2026, 10, 15, 10, 0, 0, 0, time.UTC)
	tk := rectification.Ticket{ID: "r1", UnitID: "u", OpenedAt: opened, RespondBy: opened.Add(8 * time.Hour),
		DueAt: opened.Add(7 * 24 * time.Hour), State: rectification.Open, Version: 1}
	if next, ok := tk.NextWatch(); !ok || !next.Equal(opened) || !slices.Equal(tk.PendingNotices(), []rectification.Notice{rectification.NoticeOpened}) {
		t.Fatalf("a new ticket: next %s %v, pending %v", next, ok, tk.PendingNotices())
	}
	tk = tk.NoticeSent(rectification.NoticeOpened)
	if tk.Version != 2 || tk.NoticeSent(rectification.NoticeOpened).Version != 2 {
		t.Errorf("recording a notice twice: version %d", tk.Version)
	}
	if next, _ := tk.NextWatch(); !next.Equal(tk.RespondBy) {
		t.Errorf("after the opening notice the watch looks at %s", next)
	}
	if _, changed := tk.Watch(tk.RespondBy); changed {
		t.Error("late at the very deadline")
	}
	tk, changed := tk.Watch(tk.RespondBy.Add(time.Minute))
	if !changed || tk.ResponseLateAt == nil || tk.OverdueAt != nil || tk.Version != 3 {
		t.Fatalf("missed first response: %+v", tk)
	}
	if _, again := tk.Watch(tk.RespondBy.Add(time.Hour)); again {
		t.Error("marked twice")
	}
	tk = tk.NoticeSent(rectification.NoticeResponseLate)
	if next, _ := tk.NextWatch(); !next.Equal(tk.DueAt) {
		t.Errorf("then the watch looks at %s", next)
	}
	tk, changed = tk.Watch(tk.DueAt.Add(time.Hour))
	if !changed || tk.OverdueAt == nil || !slices.Equal(tk.PendingNotices(), []rectification.Notice{rectification.NoticeOverdue}) {
		t.Fatalf("overdue: %+v", tk)
	}
	if r := rectification.NoticeOverdue.Recipients(); !slices.Equal(r, []auth.Role{auth.UnitAdmin, auth.CityAdmin}) {
		t.Errorf("overdue goes to %v", r)
	}
	tk = tk.NoticeSent(rectification.NoticeOverdue)
	if _, ok := tk.NextWatch(); ok {
		t.Error("an overdue ticket with its notices sent is still watched")
	}
	// Overdue, it may still be answered and verified, and stays overdue.
	unit := auth.Principal{Subject: "a", Role: auth.UnitAdmin, UnitID: "u"}
	tk, err := tk.Respond(unit, "f", "m", tk.DueAt.Add(2*time.Hour))
	if err == nil {
		tk, err = tk.Review(auth.Principal{Subject: "c", Role: auth.CityAdmin}, true, "", tk.DueAt.Add(3*time.Hour))
	}
	if err != nil || tk.State != rectification.Verified || tk.OverdueAt == nil {
		t.Errorf("verified overdue ticket %+v %v", tk, err)
	}
}

func TestAVerifiedTicketIsNeverMarked(t *testing.T) {
	opened := time.Date(2026, 10, 15, 10, 0, 0, 0, time.UTC)
	responded := opened.Add(time.Hour)
	tk := rectification.Ticket{ID: "r2", OpenedAt: opened, RespondBy: opened.Add(8 * time.Hour), DueAt: opened.Add(48 * time.Hour),
		State: rectification.Verified, RespondedAt: &responded, NoticesSent: []rectification.Notice{rectification.NoticeOpened}}
	if _, changed := tk.Watch(opened.Add(30 * 24 * time.Hour)); changed {
		t.Error("a verified ticket was marked")
	}
	if _, ok := tk.NextWatch(); ok {
		t.Error("a verified ticket is still watched")
	}
}
