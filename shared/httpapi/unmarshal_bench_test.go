package httpapi_test

import (
	"testing"

	"banban/shared/httpapi"
	"banban/shared/rating"
)

// BenchmarkUnmarshalRating is the strict decoding of a kiosk's rating body alone (unknown fields,
// trailing data and invalid UTF-8 refused), without the rating policy checked after it.
func BenchmarkUnmarshalRating(b *testing.B) {
	body := []byte(`{"id":"6f1c2a4e-8b7d-4c3e-9f0a-1b2c3d4e5f60","level":5,"ratedAt":"2026-11-28T10:00:00+08:00"}`)
	b.ReportAllocs()
	for b.Loop() {
		var s rating.Submission
		if err := httpapi.Unmarshal(body, &s); err != nil {
			b.Fatal(err)
		}
		if s.Level != 5 {
			b.Fatal("wrong level")
		}
	}
}
