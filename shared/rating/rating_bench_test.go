package rating

import (
	"testing"
	"time"
)

func BenchmarkTallyBatchOf10(b *testing.B) {
	at := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	rs := make([]Rating, 10)
	for i := range rs {
		rs[i] = Rating{Channel: ChannelKiosk, WindowID: []string{"w1", "w2", "w3"}[i%3], Level: Level(i%5 + 1), RatedAt: at}
	}
	b.ReportAllocs()
	for b.Loop() {
		if len(Tally(rs)) != 3 {
			b.Fatal("wrong tally")
		}
	}
}
