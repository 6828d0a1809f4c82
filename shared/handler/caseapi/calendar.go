package caseapi

import (
	"context"
	"sync"
	"time"

	"banban/shared/calendar"
	"banban/shared/dynamo"
)

// calendarTTL is how long a warm function keeps the working-day calendar: an administrator's
// update of next year's holidays takes effect within it.
const calendarTTL = time.Hour

// cachedCalendar reads this year's and next year's arrangements, at most once per calendarTTL.
func cachedCalendar(dir *dynamo.Directory, now func() time.Time) func(context.Context) (Calendar, error) {
	var (
		mu     sync.Mutex
		cached *calendar.Calendar
		until  time.Time
	)
	return func(ctx context.Context) (Calendar, error) {
		mu.Lock()
		defer mu.Unlock()
		t := now()
		if cached != nil && t.Before(until) {
			return cached, nil
		}
		year := calendar.DateOf(t).Year
		c, err := dir.Calendar(ctx, year, year+1)
		if err != nil {
			return nil, err
		}
		cached, until = c, t.Add(calendarTTL)
		return c, nil
	}
}
