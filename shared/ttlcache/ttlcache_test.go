package ttlcache

import (
	"errors"
	"testing"
	"time"
)

func TestLoadsOncePerTTLAndNotOnFailure(t *testing.T) {
	now := time.Unix(0, 0)
	c := &Cache[string, int]{TTL: time.Minute, Now: func() time.Time { return now }}
	loads := 0
	load := func() (int, error) { loads++; return loads, nil }
	for range 3 {
		if v, err := c.Get("k", load); err != nil || v != 1 {
			t.Fatalf("got %d, %v", v, err)
		}
	}
	now = now.Add(time.Minute)
	if v, _ := c.Get("k", load); v != 2 {
		t.Errorf("not reloaded after the TTL: %d", v)
	}
	if _, err := c.Get("bad", func() (int, error) { return 0, errors.New("down") }); err == nil {
		t.Error("a failed load passed")
	}
	if v, _ := c.Get("bad", func() (int, error) { return 7, nil }); v != 7 {
		t.Error("a failed load was kept")
	}
	c.Forget()
	if v, _ := c.Get("k", load); v != 3 {
		t.Errorf("Forget kept the value: %d", v)
	}
}
