// Package pii protects personal data at field level (PIPL): envelope encryption with AES-256-GCM
// under data keys wrapped by a master key (KMS on AWS, a local key file offline), and keyed hashes
// (HMAC-SHA256) so records can be found by ID number or phone without storing either in clear.
//
// A sealed value is "v1.<wrapped data key>.<nonce+ciphertext>", base64url; the field's context
// (e.g. "case/<id>/mobile") is authenticated, so a value copied to another record or field does
// not open.
package pii

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// KeyService makes and unwraps data keys under a master key that never leaves it.
type KeyService interface {
	// GenerateDataKey returns a fresh 32-byte key and the same key wrapped by the master key.
	GenerateDataKey(ctx context.Context) (plain, wrapped []byte, err error)
	// Decrypt unwraps a data key.
	Decrypt(ctx context.Context, wrapped []byte) ([]byte, error)
}

// Protector seals and opens personal data and computes keyed hashes. A data key is reused for a
// while (as the AWS Encryption SDK's caching does) so sealing does not call the key service for
// every field; unwrapped keys are cached for opening.
type Protector struct {
	Keys    KeyService
	HashKey []byte
	// KeyReuse is how long one data key seals new values (default 5 minutes).
	KeyReuse time.Duration
	Now      func() time.Time

	mu        sync.Mutex
	current   dataKey
	unwrapped map[string][]byte
}

type dataKey struct {
	plain, wrapped []byte
	until          time.Time
}

const version = "v1"

var b64 = base64.RawURLEncoding

// ErrTampered is returned for a sealed value that does not open: altered, or of another field.
var ErrTampered = errors.New("pii: sealed value does not open")

// Seal encrypts plaintext for the field named by fieldContext. An empty value stays empty.
func (p *Protector) Seal(ctx context.Context, plaintext, fieldContext string) (string, error) {
	if plaintext == "" {
		return "", nil
	}
	k, err := p.dataKey(ctx)
	if err != nil {
		return "", err
	}
	gcm, err := newGCM(k.plain)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("pii: nonce: %w", err)
	}
	ct := gcm.Seal(nonce, nonce, []byte(plaintext), []byte(fieldContext))
	return version + "." + b64.EncodeToString(k.wrapped) + "." + b64.EncodeToString(ct), nil
}

// Open decrypts a value sealed for fieldContext.
func (p *Protector) Open(ctx context.Context, sealed, fieldContext string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	parts := strings.Split(sealed, ".")
	if len(parts) != 3 || parts[0] != version {
		return "", ErrTampered
	}
	wrapped, err1 := b64.DecodeString(parts[1])
	ct, err2 := b64.DecodeString(parts[2])
	if err1 != nil || err2 != nil {
		return "", ErrTampered
	}
	key, err := p.unwrap(ctx, wrapped)
	if err != nil {
		return "", err
	}
	gcm, err := newGCM(key)
	if err != nil {
		return "", err
	}
	if len(ct) < gcm.NonceSize() {
		return "", ErrTampered
	}
	plain, err := gcm.Open(nil, ct[:gcm.NonceSize()], ct[gcm.NonceSize():], []byte(fieldContext))
	if err != nil {
		return "", ErrTampered
	}
	return string(plain), nil
}

// Hash is the keyed hash of a value of a kind ("id", "mobile"), for look-ups. The kind keeps equal
// strings of different kinds apart.
func (p *Protector) Hash(kind, value string) string {
	mac := hmac.New(sha256.New, p.HashKey)
	mac.Write([]byte(kind + ":" + strings.ToUpper(strings.TrimSpace(value))))
	return hex.EncodeToString(mac.Sum(nil))
}

func (p *Protector) dataKey(ctx context.Context) (dataKey, error) {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	p.mu.Lock()
	k := p.current
	p.mu.Unlock()
	if k.plain != nil && now().Before(k.until) {
		return k, nil
	}
	plain, wrapped, err := p.Keys.GenerateDataKey(ctx)
	if err != nil {
		return dataKey{}, fmt.Errorf("pii: data key: %w", err)
	}
	reuse := p.KeyReuse
	if reuse <= 0 {
		reuse = 5 * time.Minute
	}
	k = dataKey{plain: plain, wrapped: wrapped, until: now().Add(reuse)}
	p.mu.Lock()
	p.current = k
	p.remember(wrapped, plain)
	p.mu.Unlock()
	return k, nil
}

// maxUnwrapped bounds the cache of unwrapped data keys.
const maxUnwrapped = 1024

func (p *Protector) remember(wrapped, plain []byte) {
	if p.unwrapped == nil || len(p.unwrapped) >= maxUnwrapped {
		p.unwrapped = map[string][]byte{}
	}
	p.unwrapped[string(wrapped)] = plain
}

func (p *Protector) unwrap(ctx context.Context, wrapped []byte) ([]byte, error) {
	p.mu.Lock()
	key, ok := p.unwrapped[string(wrapped)]
	p.mu.Unlock()
	if ok {
		return key, nil
	}
	key, err := p.Keys.Decrypt(ctx, wrapped)
	if err != nil {
		return nil, fmt.Errorf("pii: unwrap data key: %w", err)
	}
	p.mu.Lock()
	p.remember(wrapped, key)
	p.mu.Unlock()
	return key, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("pii: cipher: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("pii: gcm: %w", err)
	}
	return gcm, nil
}

// LocalKeys is a KeyService whose master key is a 32-byte key held in memory: the local stack's
// stand-in for KMS (see package keys). Data keys are wrapped with AES-256-GCM.
type LocalKeys struct {
	Master []byte
}

// GenerateDataKey makes a fresh data key and wraps it.
func (l LocalKeys) GenerateDataKey(context.Context) ([]byte, []byte, error) {
	plain := make([]byte, 32)
	if _, err := rand.Read(plain); err != nil {
		return nil, nil, fmt.Errorf("local keys: %w", err)
	}
	gcm, err := newGCM(l.Master)
	if err != nil {
		return nil, nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, nil, fmt.Errorf("local keys: %w", err)
	}
	return plain, gcm.Seal(nonce, nonce, plain, []byte("banban data key")), nil
}

// Decrypt unwraps a data key.
func (l LocalKeys) Decrypt(_ context.Context, wrapped []byte) ([]byte, error) {
	gcm, err := newGCM(l.Master)
	if err != nil {
		return nil, err
	}
	if len(wrapped) < gcm.NonceSize() {
		return nil, ErrTampered
	}
	plain, err := gcm.Open(nil, wrapped[:gcm.NonceSize()], wrapped[gcm.NonceSize():], []byte("banban data key"))
	if err != nil {
		return nil, ErrTampered
	}
	return plain, nil
}
