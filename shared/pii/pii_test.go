package pii

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
)

type countingKeys struct {
	LocalKeys
	generated, decrypted int
}

func (c *countingKeys) GenerateDataKey(ctx context.Context) ([]byte, []byte, error) {
	c.generated++
	return c.LocalKeys.GenerateDataKey(ctx)
}

func (c *countingKeys) Decrypt(ctx context.Context, w []byte) ([]byte, error) {
	c.decrypted++
	return c.LocalKeys.Decrypt(ctx, w)
}

func newProtector(t *testing.T) (*Protector, *countingKeys) {
	t.Helper()
	master := make([]byte, 32)
	if _, err := rand.Read(master); err != nil {
		t.Fatal(err)
	}
	keys := &countingKeys{LocalKeys: LocalKeys{Master: master}}
	return &Protector{Keys: keys, HashKey: []byte("hash key for tests")}, keys
}

func TestSealOpenRoundTripAndBindsTheField(t *testing.T) {
	p, keys := newProtector(t)
	ctx := context.Background()
	sealed, err := p.Seal(ctx, "11010519491231002X", "case/1/idNumber")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "11010519491231002X") || !strings.HasPrefix(sealed, "v1.") {
		t.Fatalf("sealed form %q", sealed)
	}
	got, err := p.Open(ctx, sealed, "case/1/idNumber")
	if err != nil || got != "11010519491231002X" {
		t.Fatalf("open: %q, %v", got, err)
	}
	if _, err := p.Open(ctx, sealed, "case/2/idNumber"); err != ErrTampered {
		t.Errorf("opened under another field: %v", err)
	}
	tampered := sealed[:len(sealed)-2] + "AA"
	if _, err := p.Open(ctx, tampered, "case/1/idNumber"); err != ErrTampered {
		t.Errorf("opened a tampered value: %v", err)
	}
	// One data key seals many values; a fresh protector (a new cold start) unwraps it once.
	for range 10 {
		if _, err := p.Seal(ctx, "13800138000", "case/1/mobile"); err != nil {
			t.Fatal(err)
		}
	}
	if keys.generated != 1 {
		t.Errorf("generated %d data keys for 11 values", keys.generated)
	}
	cold := &Protector{Keys: keys, HashKey: p.HashKey}
	for range 3 {
		if v, err := cold.Open(ctx, sealed, "case/1/idNumber"); err != nil || v != "11010519491231002X" {
			t.Fatal(v, err)
		}
	}
	if keys.decrypted != 1 {
		t.Errorf("unwrapped the same data key %d times", keys.decrypted)
	}
}

func TestSealsDifferAndEmptyStaysEmpty(t *testing.T) {
	p, _ := newProtector(t)
	ctx := context.Background()
	a, err := p.Seal(ctx, "13800138000", "f")
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Seal(ctx, "13800138000", "f")
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Error("the same value sealed twice gives the same text")
	}
	if s, err := p.Seal(ctx, "", "f"); s != "" || err != nil {
		t.Errorf("empty sealed to %q, %v", s, err)
	}
}

func TestHashIsKeyedAndNormalised(t *testing.T) {
	p, _ := newProtector(t)
	if p.Hash("id", "11010519491231002x") != p.Hash("id", " 11010519491231002X") {
		t.Error("case or spaces change the hash")
	}
	if p.Hash("id", "13800138000") == p.Hash("mobile", "13800138000") {
		t.Error("kinds share hashes")
	}
	other := &Protector{HashKey: []byte("another key")}
	if p.Hash("id", "x") == other.Hash("id", "x") {
		t.Error("the hash does not depend on the key")
	}
}
