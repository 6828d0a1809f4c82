package calendar

import (
	"fmt"
	"sort"
	"time"
)

// Date is a calendar day in Asia/Shanghai, written "2026-10-01".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the Asia/Shanghai day that t falls on.
func DateOf(t time.Time) Date {
	s := t.In(Shanghai)
	return Date{s.Year(), s.Month(), s.Day()}
}

// ParseDate reads "YYYY-MM-DD".
func ParseDate(s string) (Date, error) {
	t, err := time.ParseInLocation(time.DateOnly, s, Shanghai)
	if err != nil {
		return Date{}, fmt.Errorf("date %q is not YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// Start is midnight at the start of the day in Asia/Shanghai.
func (d Date) Start() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, Shanghai) }

// End is the last instant of the day: a deadline "by day d" falls here.
func (d Date) End() time.Time { return d.Start().AddDate(0, 0, 1).Add(-time.Nanosecond) }

// AddDays returns the day n days later (earlier for negative n).
func (d Date) AddDays(n int) Date { return DateOf(d.Start().AddDate(0, 0, n)) }

// Weekday of the day.
func (d Date) Weekday() time.Weekday { return d.Start().Weekday() }

// Before reports whether d is earlier than e.
func (d Date) Before(e Date) bool { return d.Start().Before(e.Start()) }

// Holiday is a run of statutory days off (法定节假日), inclusive.
type Holiday struct {
	Name string `json:"name"`
	From string `json:"from"`
	To   string `json:"to"`
}

// Year is one year's official arrangement: the days off and the weekend days that are working
// days (调休上班), as the State Council publishes them each November.
type Year struct {
	Year     int       `json:"year"`
	Source   string    `json:"source"`
	Holidays []Holiday `json:"holidays"`
	Workdays []string  `json:"workdays"`
}

// Check verifies every date is well formed, inside the year, and that no day is both off and
// an adjusted working day.
func (y Year) Check() error {
	off, err := y.daysOff()
	if err != nil {
		return err
	}
	for _, s := range y.Workdays {
		d, err := ParseDate(s)
		if err != nil {
			return fmt.Errorf("calendar %d: workday: %w", y.Year, err)
		}
		if d.Year != y.Year {
			return fmt.Errorf("calendar %d: workday %s is in another year", y.Year, s)
		}
		if off[d] {
			return fmt.Errorf("calendar %d: %s is both a holiday and a working day", y.Year, s)
		}
	}
	return nil
}

func (y Year) daysOff() (map[Date]bool, error) {
	off := map[Date]bool{}
	for _, h := range y.Holidays {
		from, err := ParseDate(h.From)
		if err != nil {
			return nil, fmt.Errorf("calendar %d: %s: %w", y.Year, h.Name, err)
		}
		to, err := ParseDate(h.To)
		if err != nil {
			return nil, fmt.Errorf("calendar %d: %s: %w", y.Year, h.Name, err)
		}
		if from.Year != y.Year || to.Before(from) || to.Year != y.Year {
			return nil, fmt.Errorf("calendar %d: %s runs %s..%s, outside the year or backwards", y.Year, h.Name, h.From, h.To)
		}
		for d := from; !to.Before(d); d = d.AddDays(1) {
			off[d] = true
		}
	}
	return off, nil
}

// Calendar answers working-day questions. A year without a loaded arrangement counts weekends
// only (the next year's notice is published each November).
type Calendar struct {
	off, work map[Date]bool
	years     []int
}

// New builds a calendar from the loaded years.
func New(years ...Year) (*Calendar, error) {
	c := &Calendar{off: map[Date]bool{}, work: map[Date]bool{}}
	for _, y := range years {
		if err := y.Check(); err != nil {
			return nil, err
		}
		off, err := y.daysOff()
		if err != nil {
			return nil, err
		}
		for d := range off {
			c.off[d] = true
		}
		for _, s := range y.Workdays {
			d, err := ParseDate(s)
			if err != nil {
				return nil, err
			}
			c.work[d] = true
		}
		c.years = append(c.years, y.Year)
	}
	sort.Ints(c.years)
	return c, nil
}

// Years lists the years with a loaded arrangement.
func (c *Calendar) Years() []int { return c.years }

// IsWorkingDay reports whether d is a working day (工作日).
func (c *Calendar) IsWorkingDay(d Date) bool {
	if c.work[d] {
		return true
	}
	if c.off[d] {
		return false
	}
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// NextWorkingDay returns d if it is a working day, else the first working day after it.
func (c *Calendar) NextWorkingDay(d Date) Date {
	for !c.IsWorkingDay(d) {
		d = d.AddDays(1)
	}
	return d
}

// Deadline is the end of the n-th working day after the day of t; n = 0 ("immediately") is the
// end of that same day when it is a working day, else of the next working day.
func (c *Calendar) Deadline(t time.Time, n int) time.Time {
	d := DateOf(t)
	if n <= 0 {
		return c.NextWorkingDay(d).End()
	}
	for i := 0; i < n; i++ {
		d = c.NextWorkingDay(d.AddDays(1))
	}
	return d.End()
}

// WorkingDaysBetween counts the working days after the day of from up to and including the day
// of to (0 when to is not after from).
func (c *Calendar) WorkingDaysBetween(from, to time.Time) int {
	n := 0
	for d, end := DateOf(from).AddDays(1), DateOf(to); !end.Before(d); d = d.AddDays(1) {
		if c.IsWorkingDay(d) {
			n++
		}
	}
	return n
}
