package devauth_test

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"banban/local/devauth"
)

func TestMintVerify(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "jwt.pem")
	a, err := devauth.Open(path, devauth.DefaultIssuer, devauth.DefaultAudience)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := a.Mint(map[string]any{"sub": "staff:u1", "kind": "staff", "role": "clerk"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := a.Verify(tok)
	if err != nil || claims["sub"] != "staff:u1" || claims["role"] != "clerk" {
		t.Fatalf("verify: %v %v", claims, err)
	}

	// Reopening loads the same key: the old token still verifies.
	b, err := devauth.Open(path, devauth.DefaultIssuer, devauth.DefaultAudience)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Verify(tok); err != nil || b.KeyID != a.KeyID {
		t.Fatalf("reopened key differs: %v", err)
	}

	for name, claims := range map[string]map[string]any{
		"expired":        {"exp": time.Now().Add(-time.Minute).Unix()},
		"not yet valid":  {"nbf": time.Now().Add(time.Hour).Unix()},
		"wrong audience": {"aud": "other"},
		"wrong issuer":   {"iss": "https://evil"},
	} {
		bad, err := a.Mint(claims, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Verify(bad); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
	other, err := devauth.Open(filepath.Join(t.TempDir(), "k.pem"), devauth.DefaultIssuer, devauth.DefaultAudience)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := other.Mint(nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(forged); err == nil {
		t.Error("token of another key verified")
	}
	if _, err := a.VerifyFor(tok, devauth.DefaultIssuer, []string{"x", devauth.DefaultAudience}); err != nil {
		t.Errorf("any-of audiences: %v", err)
	}
	jwks, err := a.JWKS()
	if err != nil || !strings.Contains(string(jwks), a.KeyID) {
		t.Errorf("jwks: %s %v", jwks, err)
	}
}

func TestConcurrentCreateSharesOneKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jwt.pem")
	ids := make([]string, 4)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := devauth.Open(path, "i", "a")
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = a.KeyID
		}()
	}
	wg.Wait()
	for _, id := range ids[1:] {
		if id != ids[0] {
			t.Fatalf("different keys: %v", ids)
		}
	}
}
