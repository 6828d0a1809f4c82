package caseapi

import (
	"context"
	"time"

	"banban/shared/directory"
	"banban/shared/ttlcache"
)

// hallsTTL is how long a warm function keeps the halls it looked up: halls change rarely.
const hallsTTL = time.Minute

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
