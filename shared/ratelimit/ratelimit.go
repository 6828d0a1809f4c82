// Package ratelimit describes fixed-window rate limits of public routes: a bucket (a client, a
// window of a hall) may be counted at most Max times in each period of length Per. Clients are
// named by a keyed hash of their address, never the address itself (an IP address is personal
// data). Pure Go: the counting is the store's.
package ratelimit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// Limit allows Max requests per period Per.
type Limit struct {
	Max int
	Per time.Duration
}

// Check reports a limit that cannot work.
func (l Limit) Check() error {
	if l.Max < 1 || l.Per < time.Second {
		return fmt.Errorf("rate limit %d per %s: need at least 1 per second or longer", l.Max, l.Per)
	}
	return nil
}

// Period returns the fixed period holding now: periods are aligned on multiples of Per since the
// Unix epoch, so every function instance agrees on them.
func (l Limit) Period(now time.Time) (start, end time.Time) {
	start = now.Truncate(l.Per)
	return start, start.Add(l.Per)
}

// Bucket is one counter a request is counted in.
type Bucket struct {
	Key   string // e.g. "client#<hash>" or "window#<id>": no personal data
	Limit Limit
	// Refusal is the error code answered when the bucket is full.
	Refusal string
}

// ClientKey is the keyed hash that names a client by its address: the same address gives the same
// key for the holder of key, and the address cannot be recovered from it.
func ClientKey(key []byte, address string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("banban client address\n" + address))
	return hex.EncodeToString(m.Sum(nil)[:16])
}
