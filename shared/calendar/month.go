// Package calendar holds banban's notion of time: the Asia/Shanghai zone in which months and
// working days are counted, whatever zone a server runs in.
package calendar

import (
	"fmt"
	"time"
)

// Shanghai is China Standard Time. China has kept UTC+8 without daylight saving since 1991, so a
// fixed zone is exact and needs no tz database in the Lambda image.
var Shanghai = time.FixedZone("Asia/Shanghai", 8*60*60)

// Month is a calendar month in Asia/Shanghai, written "2026-11".
type Month struct {
	Year  int
	Month time.Month
}

// MonthOf returns the Asia/Shanghai month that t falls in.
func MonthOf(t time.Time) Month {
	s := t.In(Shanghai)
	return Month{Year: s.Year(), Month: s.Month()}
}

// ParseMonth reads "YYYY-MM".
func ParseMonth(s string) (Month, error) {
	t, err := time.ParseInLocation("2006-01", s, Shanghai)
	if err != nil || len(s) != 7 {
		return Month{}, fmt.Errorf("month %q is not YYYY-MM", s)
	}
	return Month{Year: t.Year(), Month: t.Month()}, nil
}

// String formats the month as "YYYY-MM".
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)) }

// Start is the first instant of the month in Asia/Shanghai.
func (m Month) Start() time.Time { return time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, Shanghai) }

// Next is the month after m.
func (m Month) Next() Month { return MonthOf(m.Start().AddDate(0, 1, 0)) }
