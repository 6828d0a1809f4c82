package kiosk

import (
	"context"
	"strconv"
	"testing"
	"time"
)

func BenchmarkAuthenticate(b *testing.B) {
	a, _ := newAuth()
	a.Nonces = noNonces{}
	body := []byte(`{"id":"6f1c2a4e-8b7d-4c3e-9f0a-1b2c3d4e5f60","level":5,"ratedAt":"2026-11-28T10:00:00+08:00"}`)
	ts := strconv.FormatInt(now.Unix(), 10)
	r := Request{KioskID: "k1", Timestamp: ts, Nonce: "nonce-0123456789ab", Method: "POST", Path: "/v1/evaluations", Body: body,
		Signature: Sign("s3cret-k1", "POST", "/v1/evaluations", ts, "nonce-0123456789ab", body)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Authenticate(context.Background(), r); err != nil {
			b.Fatal(err)
		}
	}
}

type noNonces struct{}

func (noNonces) Claim(context.Context, string, string, time.Time) error { return nil }
