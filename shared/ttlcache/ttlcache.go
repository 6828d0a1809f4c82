// Package ttlcache keeps values a warm function has loaded for a while, so hot paths do not read
// slowly changing data (kiosks, halls, the calendar, the catalogue) on every request. A change
// takes effect within the TTL. Failed loads are not kept.
package ttlcache

import (
	"sync"
	"time"
)

// Cache maps keys to values loaded on demand.
type Cache[K comparable, V any] struct {
	TTL time.Duration
	Now func() time.Time // default time.Now

	mu      sync.Mutex
	entries map[K]entry[V]
}

type entry[V any] struct {
	value V
	until time.Time
}

// maxEntries bounds the cache; when full it starts afresh (the working sets here are small).
const maxEntries = 10000

// Get returns the value of key, calling load when it is missing or older than the TTL.
func (c *Cache[K, V]) Get(key K, load func() (V, error)) (V, error) {
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Before(e.until) {
		return e.value, nil
	}
	v, err := load()
	if err != nil {
		var zero V
		return zero, err
	}
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= maxEntries {
		c.entries = map[K]entry[V]{}
	}
	c.entries[key] = entry[V]{value: v, until: now.Add(c.TTL)}
	c.mu.Unlock()
	return v, nil
}

// Forget drops every value, so the next Get loads afresh.
func (c *Cache[K, V]) Forget() {
	c.mu.Lock()
	c.entries = nil
	c.mu.Unlock()
}
