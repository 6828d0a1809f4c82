package calendar

import (
	"encoding/json"
	"os"
	"testing"
	"time"
)

func load2026(t *testing.T) *Calendar {
	t.Helper()
	raw, err := os.ReadFile("../../data/calendar/2026.json")
	if err != nil {
		t.Fatal(err)
	}
	var y Year
	if err := json.Unmarshal(raw, &y); err != nil {
		t.Fatal(err)
	}
	c, err := New(y)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func day(t *testing.T, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestWorkingDaysOf2026(t *testing.T) {
	c := load2026(t)
	tests := map[string]bool{
		"2026-01-01": false, // 元旦, a Thursday
		"2026-01-04": true,  // Sunday worked for 元旦
		"2026-02-14": true,  // Saturday worked for 春节
		"2026-02-16": false, // 春节, a Monday
		"2026-02-24": true,
		"2026-02-28": true,  // Saturday worked
		"2026-05-09": true,  // Saturday worked for 劳动节
		"2026-05-05": false, // 劳动节, a Tuesday
		"2026-06-19": false, // 端午, a Friday
		"2026-09-20": true,  // Sunday worked for 国庆
		"2026-10-08": true,
		"2026-10-07": false,
		"2026-10-10": true,  // Saturday worked
		"2026-10-11": false, // an ordinary Sunday
		"2026-11-27": true,  // an ordinary Friday
		"2026-11-28": false, // an ordinary Saturday
	}
	for s, want := range tests {
		if got := c.IsWorkingDay(day(t, s)); got != want {
			t.Errorf("%s working = %v, want %v", s, got, want)
		}
	}
}

func TestDeadlinesCrossHolidaysAndAdjustedDays(t *testing.T) {
	c := load2026(t)
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, Shanghai)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2026-11-23 09:00", 5, "2026-11-30"}, // Monday + 5 working days
		{"2026-11-28 10:00", 5, "2026-12-04"}, // from a Saturday: Mon..Fri
		{"2026-11-27 17:00", 0, "2026-11-27"}, // immediately, on a working day
		{"2026-11-28 10:00", 0, "2026-11-30"}, // immediately, on a Saturday
		{"2026-09-30 10:00", 1, "2026-10-08"}, // over 国庆
		{"2026-09-18 10:00", 1, "2026-09-20"}, // Friday + 1: the worked Sunday
		{"2026-10-09 10:00", 1, "2026-10-10"}, // Friday + 1: the worked Saturday
		{"2026-02-13 10:00", 3, "2026-02-25"}, // Friday; Sat 14 works, then 春节 to the 23rd
	}
	for _, tt := range tests {
		got := c.Deadline(at(tt.from), tt.n)
		if want := day(t, tt.want).End(); !got.Equal(want) {
			t.Errorf("Deadline(%s, %d) = %s, want end of %s", tt.from, tt.n, got, tt.want)
		}
	}
	if n := c.WorkingDaysBetween(at("2026-09-30 10:00"), at("2026-10-10 10:00")); n != 3 {
		t.Errorf("working days after 9-30 up to 10-10 = %d, want 3 (10-08, 10-09, 10-10)", n)
	}
}

func TestAYearWithoutAnArrangementCountsWeekendsOnly(t *testing.T) {
	c := load2026(t)
	if !c.IsWorkingDay(day(t, "2027-01-01")) { // a Friday; the 2027 notice is not loaded
		t.Error("2027-01-01 is off in a calendar without 2027")
	}
	if c.IsWorkingDay(day(t, "2027-01-02")) {
		t.Error("a Saturday of an unloaded year is a working day")
	}
}

func TestYearCheckRefusesBadData(t *testing.T) {
	bad := []Year{
		{Year: 2026, Holidays: []Holiday{{Name: "x", From: "2026-10-07", To: "2026-10-01"}}},
		{Year: 2026, Holidays: []Holiday{{Name: "x", From: "2025-12-31", To: "2026-01-01"}}},
		{Year: 2026, Workdays: []string{"2026-13-01"}},
		{Year: 2026, Holidays: []Holiday{{Name: "x", From: "2026-10-01", To: "2026-10-07"}}, Workdays: []string{"2026-10-03"}},
	}
	for i, y := range bad {
		if _, err := New(y); err == nil {
			t.Errorf("bad year %d accepted", i)
		}
	}
}
