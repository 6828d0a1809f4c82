package calendar

import (
	"testing"
	"time"
)

func TestMonthOfUsesShanghaiMonths(t *testing.T) {
	tests := []struct {
		at   string
		want string
	}{
		{"2026-11-01T07:00:00+08:00", "2026-11"},
		{"2026-10-31T23:59:59+08:00", "2026-10"},
		{"2026-10-31T16:00:00Z", "2026-11"}, // midnight in Shanghai
		{"2026-10-31T15:59:59Z", "2026-10"},
		{"2026-12-31T16:00:00Z", "2027-01"},
	}
	for _, tt := range tests {
		at, err := time.Parse(time.RFC3339, tt.at)
		if err != nil {
			t.Fatal(err)
		}
		if got := MonthOf(at).String(); got != tt.want {
			t.Errorf("MonthOf(%s) = %s, want %s", tt.at, got, tt.want)
		}
	}
}

func TestParseMonth(t *testing.T) {
	m, err := ParseMonth("2026-02")
	if err != nil || m != (Month{2026, time.February}) {
		t.Fatalf("ParseMonth(2026-02) = %v, %v", m, err)
	}
	if got := m.Next().String(); got != "2026-03" {
		t.Errorf("Next = %s", got)
	}
	if got := (Month{2026, time.December}).Next().String(); got != "2027-01" {
		t.Errorf("Next of December = %s", got)
	}
	for _, bad := range []string{"", "2026-13", "2026-1", "26-01", "2026-01-01", "abcd-ef"} {
		if _, err := ParseMonth(bad); err == nil {
			t.Errorf("ParseMonth(%q) accepted", bad)
		}
	}
}
