package ratelimit_test

import (
	"strings"
	"testing"
	"time"

	"banban/shared/ratelimit"
)

func TestPeriodsAreFixedAndAligned(t *testing.T) {
	l := ratelimit.Limit{Max: 5, Per: 10 * time.Minute}
	at := time.Date(2026, 11, 28, 10, 17, 30, 0, time.UTC)
	start, end := l.Period(at)
	if !start.Equal(time.Date(2026, 11, 28, 10, 10, 0, 0, time.UTC)) || !end.Equal(start.Add(10*time.Minute)) {
		t.Errorf("period %s – %s", start, end)
	}
	if s2, _ := l.Period(end); !s2.Equal(end) {
		t.Errorf("the end of a period starts the next: %s", s2)
	}
	for _, bad := range []ratelimit.Limit{{Max: 0, Per: time.Minute}, {Max: 3, Per: time.Millisecond}} {
		if bad.Check() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if l.Check() != nil {
		t.Error(l.Check())
	}
}

func TestClientKeysHideTheAddress(t *testing.T) {
	k1 := ratelimit.ClientKey([]byte("key one"), "203.0.113.7")
	if k1 != ratelimit.ClientKey([]byte("key one"), "203.0.113.7") {
		t.Error("not stable")
	}
	if k1 == ratelimit.ClientKey([]byte("key two"), "203.0.113.7") || k1 == ratelimit.ClientKey([]byte("key one"), "203.0.113.8") {
		t.Error("not keyed by both key and address")
	}
	if len(k1) != 32 || strings.Trim(k1, "0123456789abcdef") != "" {
		t.Errorf("key %q", k1)
	}
}
