// Package devauth is the local stand-in for the identity provider: it keeps an RSA key in
// .local/keys/jwt.pem, mints RS256 tokens with the issuer and audience the local stack's JWT
// authorizer expects, and verifies them the way API Gateway's JWT authorizer does.
//
// The key is for development only; it never leaves the machine and is git-ignored.
package devauth

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"banban/shared/keys"
	"banban/shared/token"
)

// Local defaults: the JwtIssuer parameter value of the local stack (the gateway's address plus
// /local) and the JwtAudience parameter default.
const (
	DefaultIssuer   = "http://127.0.0.1:3000/local"
	DefaultAudience = "banban"
)

// KeyFile is where the dev key lives, relative to the repository root.
const KeyFile = ".local/keys/jwt.pem"

// Authority mints and verifies dev tokens with one RSA key.
type Authority struct {
	key *rsa.PrivateKey
	// KeyID is the kid header of minted tokens, derived from the public key.
	KeyID    string
	Issuer   string
	Audience string
}

// Open loads the key at path, creating it first if it does not exist, and returns an Authority
// with the issuer and audience.
func Open(path, issuer, audience string) (*Authority, error) {
	key, err := LoadOrCreateKey(path)
	if err != nil {
		return nil, err
	}
	return New(key, issuer, audience), nil
}

// New returns an Authority for an existing key. The kid is the key's RFC 7638 thumbprint, as the
// token issuer of banban computes it, so tokens of either verify against the same JWKS.
func New(key *rsa.PrivateKey, issuer, audience string) *Authority {
	return &Authority{key: key, KeyID: token.KeyIDOf(&key.PublicKey), Issuer: issuer, Audience: audience}
}

// LoadOrCreateKey reads a PEM RSA private key from path, creating a 2048-bit key there (mode
// 0600) if the file does not exist. Creation is atomic (write a temp file, then link it in), so
// concurrent test processes end up sharing one key instead of overwriting each other's.
func LoadOrCreateKey(path string) (*rsa.PrivateKey, error) {
	if key, err := loadKey(path); err == nil || !errors.Is(err, os.ErrNotExist) {
		return key, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create key dir: %w", err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".jwt-*.pem")
	if err != nil {
		return nil, fmt.Errorf("create key: %w", err)
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // best-effort cleanup of the temp name; the link below is what counts
	block := &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}
	if err := pem.Encode(tmp, block); err != nil {
		tmp.Close() //nolint:errcheck // the write error is the one to report
		return nil, fmt.Errorf("write key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("write key: %w", err)
	}
	// os.Link fails if path exists: whoever links first wins, everyone then loads that key.
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("install key: %w", err)
	}
	return loadKey(path)
}

func loadKey(path string) (*rsa.PrivateKey, error) { return keys.ReadRSAKey(path) }

// PublicKey returns the verification key.
func (a *Authority) PublicKey() *rsa.PublicKey { return &a.key.PublicKey }

// Mint signs a token with the given claims plus iss, aud, iat, nbf and exp (now+ttl) unless the
// claims already set them. Claims override nothing silently: set iss/aud/exp yourself to mint
// deliberately bad tokens in tests.
func (a *Authority) Mint(claims map[string]any, ttl time.Duration) (string, error) {
	now := time.Now()
	mc := jwt.MapClaims{
		"iss": a.Issuer,
		"aud": a.Audience,
		"iat": now.Unix(),
		"nbf": now.Add(-time.Minute).Unix(), // tolerate small clock skew between processes
		"exp": now.Add(ttl).Unix(),
	}
	for k, v := range claims {
		mc[k] = v
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, mc)
	tok.Header["kid"] = a.KeyID
	s, err := tok.SignedString(a.key)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return s, nil
}

// Verify checks a token against this Authority's issuer and audience. See VerifyFor.
func (a *Authority) Verify(token string) (jwt.MapClaims, error) {
	return a.VerifyFor(token, a.Issuer, []string{a.Audience})
}

// VerifyFor checks the RS256 signature with this key, and iss, aud (any of audiences), exp (which
// must be present) and nbf — what API Gateway's JWT authorizer checks — and returns the claims.
func (a *Authority) VerifyFor(token, issuer string, audiences []string) (jwt.MapClaims, error) {
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return &a.key.PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(audiences...),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(0),
	)
	if err != nil {
		return nil, fmt.Errorf("verify token: %w", err)
	}
	return claims, nil
}

// JWKS returns the public key as a JSON Web Key Set, as an identity provider publishes it.
func (a *Authority) JWKS() ([]byte, error) {
	pub := a.key.PublicKey
	set := map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "alg": "RS256", "use": "sig", "kid": a.KeyID,
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}}
	b, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("marshal jwks: %w", err)
	}
	return b, nil
}
