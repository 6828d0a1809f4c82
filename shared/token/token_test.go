package token

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"math/big"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestMintedTokensVerifyAgainstTheKeySet(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_795_000_000, 0)
	iss := &Issuer{Signer: LocalSigner{Key: key}, Issuer: "https://api.banban.example", Audience: "banban", TTL: 2 * time.Hour,
		Now: func() time.Time { return now }}
	tok, exp, err := iss.Mint(context.Background(), "wx-abc", map[string]string{"role": "citizen", "unit": ""})
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(now.Add(2 * time.Hour)) {
		t.Errorf("expires %s", exp)
	}
	set := KeySet(iss.Signer)
	if len(set.Keys) != 1 || set.Keys[0].Kid != KeyIDOf(&key.PublicKey) || set.Keys[0].Alg != "RS256" {
		t.Fatalf("key set %+v", set)
	}
	n, err := base64.RawURLEncoding.DecodeString(set.Keys[0].N)
	if err != nil {
		t.Fatal(err)
	}
	e, err := base64.RawURLEncoding.DecodeString(set.Keys[0].E)
	if err != nil {
		t.Fatal(err)
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	parsed, err := jwt.Parse(tok, func(tk *jwt.Token) (any, error) {
		if tk.Header["kid"] != set.Keys[0].Kid {
			t.Errorf("kid %v", tk.Header["kid"])
		}
		return pub, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer("https://api.banban.example"), jwt.WithAudience("banban"),
		jwt.WithTimeFunc(func() time.Time { return now.Add(time.Minute) }))
	if err != nil {
		t.Fatal(err)
	}
	claims := parsed.Claims.(jwt.MapClaims)
	if claims["sub"] != "wx-abc" || claims["role"] != "citizen" {
		t.Errorf("claims %v", claims)
	}
	if _, present := claims["unit"]; present {
		t.Error("an empty claim was written")
	}
	if _, _, err := iss.Mint(context.Background(), "x", map[string]string{"exp": "never"}); err == nil {
		t.Error("a reserved claim could be overridden")
	}
	if d := DiscoveryOf("https://api.banban.example/"); d.JWKSURI != "https://api.banban.example/.well-known/jwks.json" {
		t.Errorf("discovery %+v", d)
	}
}
