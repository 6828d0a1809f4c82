package httpapi_test

import (
	"testing"
	"time"

	"banban/shared/httpapi"
	"banban/shared/rating"
)

func BenchmarkDecodeAndAcceptSubmission(b *testing.B) {
	body := []byte(`{"id":"6f1c2a4e-8b7d-4c3e-9f0a-1b2c3d4e5f60","level":5,"ratedAt":"2026-11-28T10:00:00+08:00"}`)
	now := time.Date(2026, 11, 28, 10, 1, 0, 0, time.UTC)
	p := rating.Policy{Window: 7 * 24 * time.Hour, ClockSkew: 5 * time.Minute}
	b.ReportAllocs()
	for b.Loop() {
		var s rating.Submission
		if err := httpapi.Unmarshal(body, &s); err != nil {
			b.Fatal(err)
		}
		if _, _, err := p.Accept(s, now); err != nil {
			b.Fatal(err)
		}
	}
}
