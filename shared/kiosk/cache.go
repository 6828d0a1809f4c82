package kiosk

import (
	"context"
	"sync"
	"time"
)

// CachedRegistry keeps found kiosks for a while, so a warm function does not read the kiosk table
// on every rating. A disabled or re-keyed kiosk takes effect within TTL.
type CachedRegistry struct {
	Next Registry
	TTL  time.Duration
	Now  func() time.Time

	mu      sync.Mutex
	entries map[string]cached
}

type cached struct {
	kiosk   Kiosk
	expires time.Time
}

// Kiosk returns the kiosk from the cache or from Next.
func (c *CachedRegistry) Kiosk(ctx context.Context, id string) (Kiosk, error) {
	now := c.Now()
	c.mu.Lock()
	e, ok := c.entries[id]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.kiosk, nil
	}
	k, err := c.Next.Kiosk(ctx, id)
	if err != nil {
		return Kiosk{}, err
	}
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]cached{}
	}
	c.entries[id] = cached{kiosk: k, expires: now.Add(c.TTL)}
	c.mu.Unlock()
	return k, nil
}
