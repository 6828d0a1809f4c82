// Package token issues banban's own JWTs (RS256) for mini-program users and staff, and publishes
// the public key as a JWKS so API Gateway's JWT authorizer validates them. The private key never
// leaves its Signer: KMS on AWS, a key file offline.
package token

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Signer signs SHA-256 digests with RSASSA-PKCS1-v1_5.
type Signer interface {
	KeyID() string
	PublicKey() *rsa.PublicKey
	SignDigest(ctx context.Context, digest []byte) ([]byte, error)
}

// Issuer mints tokens.
type Issuer struct {
	Signer   Signer
	Issuer   string
	Audience string
	TTL      time.Duration
	Now      func() time.Time
}

var b64 = base64.RawURLEncoding

// Mint signs a token carrying claims (string values) for subject, valid for the issuer's TTL.
func (i *Issuer) Mint(ctx context.Context, subject string, claims map[string]string) (string, time.Time, error) {
	now := i.Now()
	exp := now.Add(i.TTL)
	body := map[string]any{
		"iss": i.Issuer, "aud": i.Audience, "sub": subject,
		"iat": now.Unix(), "nbf": now.Add(-30 * time.Second).Unix(), "exp": exp.Unix(),
	}
	for k, v := range claims {
		if _, reserved := body[k]; reserved {
			return "", time.Time{}, fmt.Errorf("token: claim %s is reserved", k)
		}
		if v != "" {
			body[k] = v
		}
	}
	header, err := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": i.Signer.KeyID()})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("token header: %w", err)
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("token claims: %w", err)
	}
	signing := b64.EncodeToString(header) + "." + b64.EncodeToString(payload)
	digest := sha256.Sum256([]byte(signing))
	sig, err := i.Signer.SignDigest(ctx, digest[:])
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign token: %w", err)
	}
	return signing + "." + b64.EncodeToString(sig), exp, nil
}

// JWK is one public key of a JWKS.
type JWK struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// JWKS is the key set API Gateway fetches.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// KeySet returns the JWKS of the signer's public key.
func KeySet(s Signer) JWKS {
	pub := s.PublicKey()
	return JWKS{Keys: []JWK{{Kty: "RSA", Use: "sig", Alg: "RS256", Kid: s.KeyID(),
		N: b64.EncodeToString(pub.N.Bytes()), E: b64.EncodeToString(big.NewInt(int64(pub.E)).Bytes())}}}
}

// Discovery is the OpenID Connect discovery document, enough for API Gateway's JWT authorizer.
type Discovery struct {
	Issuer                 string   `json:"issuer"`
	JWKSURI                string   `json:"jwks_uri"`
	SigningAlgs            []string `json:"id_token_signing_alg_values_supported"`
	SubjectTypes           []string `json:"subject_types_supported"`
	ResponseTypesSupported []string `json:"response_types_supported"`
}

// DiscoveryOf returns the discovery document of an issuer whose JWKS is at
// <issuer>/.well-known/jwks.json.
func DiscoveryOf(issuer string) Discovery {
	return Discovery{Issuer: issuer, JWKSURI: strings.TrimSuffix(issuer, "/") + "/.well-known/jwks.json",
		SigningAlgs: []string{"RS256"}, SubjectTypes: []string{"pairwise"}, ResponseTypesSupported: []string{"token"}}
}

// KeyIDOf derives a stable key id from a public key (RFC 7638 thumbprint).
func KeyIDOf(pub *rsa.PublicKey) string {
	thumb, err := json.Marshal(map[string]string{
		"e": b64.EncodeToString(big.NewInt(int64(pub.E)).Bytes()), "kty": "RSA", "n": b64.EncodeToString(pub.N.Bytes()),
	})
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(thumb)
	return b64.EncodeToString(sum[:])
}

// LocalSigner signs with an RSA private key in memory: the offline stand-in for a KMS key.
type LocalSigner struct {
	Key *rsa.PrivateKey
}

// KeyID is the key's thumbprint.
func (l LocalSigner) KeyID() string { return KeyIDOf(&l.Key.PublicKey) }

// PublicKey is the key's public half.
func (l LocalSigner) PublicKey() *rsa.PublicKey { return &l.Key.PublicKey }

// SignDigest signs a SHA-256 digest.
func (l LocalSigner) SignDigest(_ context.Context, digest []byte) ([]byte, error) {
	sig, err := rsa.SignPKCS1v15(nil, l.Key, crypto.SHA256, digest)
	if err != nil {
		return nil, fmt.Errorf("local sign: %w", err)
	}
	return sig, nil
}
