package caseapi

import (
	"context"
	"time"

	"banban/shared/calendar"
	"banban/shared/directory"
	"banban/shared/dynamo"
	"banban/shared/ttlcache"
)

// calendarTTL is how long a warm function keeps the working-day calendar: an administrator's
// update of next year's holidays takes effect within it. Halls change as rarely.
const (
	calendarTTL = time.Hour
	hallsTTL    = time.Minute
)

// cachedCalendar reads this year's and next year's arrangements, at most once per calendarTTL.
func cachedCalendar(dir *dynamo.Directory, now func() time.Time) func(context.Context) (Calendar, error) {
	cache := &ttlcache.Cache[int, *calendar.Calendar]{TTL: calendarTTL, Now: now}
	return func(ctx context.Context) (Calendar, error) {
		year := calendar.DateOf(now()).Year
		return cache.Get(year, func() (*calendar.Calendar, error) { return dir.Calendar(ctx, year, year+1) })
	}
}

// cachedHalls keeps hall look-ups, so a case intake needs no directory read.
type cachedHalls struct {
	next  Halls
	cache ttlcache.Cache[string, directory.Hall]
}

func newCachedHalls(next Halls, now func() time.Time) *cachedHalls {
	return &cachedHalls{next: next, cache: ttlcache.Cache[string, directory.Hall]{TTL: hallsTTL, Now: now}}
}

// Hall returns a hall by id.
func (c *cachedHalls) Hall(ctx context.Context, id string) (directory.Hall, error) {
	return c.cache.Get("id:"+id, func() (directory.Hall, error) { return c.next.Hall(ctx, id) })
}

// HallOfDistrict returns the hall that receives a district's requests.
func (c *cachedHalls) HallOfDistrict(ctx context.Context, district string) (directory.Hall, error) {
	return c.cache.Get("district:"+district, func() (directory.Hall, error) { return c.next.HallOfDistrict(ctx, district) })
}
