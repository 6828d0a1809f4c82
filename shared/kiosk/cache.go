package kiosk

import (
	"context"
	"time"

	"banban/shared/ttlcache"
)

// CachedRegistry keeps found kiosks for a while, so a warm function does not read the kiosk table
// on every rating. A disabled or re-keyed kiosk takes effect within TTL.
type CachedRegistry struct {
	Next  Registry
	cache ttlcache.Cache[string, Kiosk]
}

// NewCachedRegistry caches next's kiosks for ttl.
func NewCachedRegistry(next Registry, ttl time.Duration, now func() time.Time) *CachedRegistry {
	return &CachedRegistry{Next: next, cache: ttlcache.Cache[string, Kiosk]{TTL: ttl, Now: now}}
}

// Kiosk returns the kiosk from the cache or from Next.
func (c *CachedRegistry) Kiosk(ctx context.Context, id string) (Kiosk, error) {
	return c.cache.Get(id, func() (Kiosk, error) { return c.Next.Kiosk(ctx, id) })
}
