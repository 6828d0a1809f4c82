package kiosk

import (
	"strconv"
	"testing"
)

// BenchmarkSign is the HMAC-SHA256 signature alone (the body's SHA-256, the string to sign, the
// HMAC, hex), without the Authenticator's checks around it (BenchmarkAuthenticate).
func BenchmarkSign(b *testing.B) {
	body := []byte(`{"id":"6f1c2a4e-8b7d-4c3e-9f0a-1b2c3d4e5f60","level":5,"ratedAt":"2026-11-28T10:00:00+08:00"}`)
	ts := strconv.FormatInt(now.Unix(), 10)
	b.ReportAllocs()
	for b.Loop() {
		if len(Sign("s3cret-k1", "POST", "/v1/evaluations", ts, "nonce-0123456789ab", body)) != 64 {
			b.Fatal("signature is not 64 hex digits")
		}
	}
}
