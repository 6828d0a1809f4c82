// Package kiosk authenticates rating kiosks (自助评价器). A kiosk is registered to one service window
// and signs every request with its secret: HMAC-SHA256 over
//
//	METHOD \n PATH \n TIMESTAMP \n NONCE \n hex(sha256(body))
//
// sent in X-Kiosk-Id, X-Kiosk-Timestamp (unix seconds), X-Kiosk-Nonce and X-Kiosk-Signature (hex).
// A timestamp more than the allowed skew away is stale and a nonce is never accepted twice, so a
// captured request cannot be replayed. The window a rating counts for comes from the registration,
// never from the request, so a kiosk can only rate its own window.
package kiosk

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"
	"time"

	"banban/shared/apperr"
)

// The request headers of a signed kiosk request.
const (
	HeaderID        = "X-Kiosk-Id"
	HeaderTimestamp = "X-Kiosk-Timestamp"
	HeaderNonce     = "X-Kiosk-Nonce"
	HeaderSignature = "X-Kiosk-Signature"
)

// Kiosk is a registered rating kiosk.
type Kiosk struct {
	ID           string
	WindowID     string
	HallID       string
	UnitID       string
	Secret       string // the shared signing secret, given to the kiosk once at registration
	Active       bool
	RegisteredAt time.Time
}

// Registry finds registered kiosks. It returns an apperr NotFound error for an unknown id.
type Registry interface {
	Kiosk(ctx context.Context, id string) (Kiosk, error)
}

// NonceStore remembers nonces until they could no longer pass the timestamp check. Claim returns
// ErrReplayedNonce when the nonce was claimed before.
type NonceStore interface {
	Claim(ctx context.Context, kioskID, nonce string, until time.Time) error
}

// ErrReplayedNonce is the error of a nonce seen before.
var ErrReplayedNonce = apperr.New(apperr.Unauthenticated, "replayed_nonce", "this request nonce was already used")

// Request is the signed part of an HTTP request.
type Request struct {
	KioskID   string
	Timestamp string
	Nonce     string
	Signature string
	Method    string
	Path      string
	Body      []byte
}

// StringToSign is the canonical text a kiosk signs.
func StringToSign(method, path, timestamp, nonce string, body []byte) string {
	sum := sha256.Sum256(body)
	return strings.Join([]string{strings.ToUpper(method), path, timestamp, nonce, hex.EncodeToString(sum[:])}, "\n")
}

// Sign returns the hex HMAC-SHA256 signature of a request, as a kiosk computes it.
func Sign(secret, method, path, timestamp, nonce string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(StringToSign(method, path, timestamp, nonce, body)))
	return hex.EncodeToString(mac.Sum(nil))
}

// Authenticator checks signed kiosk requests.
type Authenticator struct {
	Kiosks Registry
	Nonces NonceStore
	Now    func() time.Time
	// Skew is how far the kiosk's timestamp may be from the server clock, either way.
	Skew time.Duration
}

var (
	idPattern    = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	noncePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)
	sigPattern   = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
)

func unauthenticated(code, msg string) error {
	return apperr.New(apperr.Unauthenticated, code, "%s", msg)
}

// Authenticate verifies r and returns the kiosk that signed it. The nonce is claimed only after
// the signature is verified, so nobody without the secret can use up a kiosk's nonces.
func (a *Authenticator) Authenticate(ctx context.Context, r Request) (Kiosk, error) {
	switch {
	case r.KioskID == "" || r.Timestamp == "" || r.Nonce == "" || r.Signature == "":
		return Kiosk{}, unauthenticated("missing_signature", "X-Kiosk-Id, X-Kiosk-Timestamp, X-Kiosk-Nonce and X-Kiosk-Signature are required")
	case !idPattern.MatchString(r.KioskID):
		return Kiosk{}, unauthenticated("unknown_kiosk", "unknown kiosk")
	case !noncePattern.MatchString(r.Nonce):
		return Kiosk{}, unauthenticated("bad_nonce", "X-Kiosk-Nonce must be 16 to 64 characters of A-Z a-z 0-9 _ -")
	case !sigPattern.MatchString(r.Signature):
		return Kiosk{}, unauthenticated("bad_signature", "X-Kiosk-Signature must be 64 hex digits")
	}
	secs, err := strconv.ParseInt(r.Timestamp, 10, 64)
	if err != nil {
		return Kiosk{}, unauthenticated("bad_timestamp", "X-Kiosk-Timestamp must be unix seconds")
	}
	now := a.Now()
	sent := time.Unix(secs, 0)
	if sent.Before(now.Add(-a.Skew)) || sent.After(now.Add(a.Skew)) {
		return Kiosk{}, unauthenticated("stale_timestamp", "X-Kiosk-Timestamp is too far from the server clock")
	}
	k, err := a.Kiosks.Kiosk(ctx, r.KioskID)
	if err != nil {
		if apperr.KindOf(err) == apperr.NotFound {
			return Kiosk{}, unauthenticated("unknown_kiosk", "unknown kiosk")
		}
		return Kiosk{}, err
	}
	want := Sign(k.Secret, r.Method, r.Path, r.Timestamp, r.Nonce, r.Body)
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(r.Signature))) {
		return Kiosk{}, unauthenticated("bad_signature", "the signature does not match")
	}
	if !k.Active {
		return Kiosk{}, apperr.New(apperr.Forbidden, "kiosk_disabled", "this kiosk is disabled")
	}
	// Keep the nonce as long as its timestamp could still pass the check.
	if err := a.Nonces.Claim(ctx, k.ID, r.Nonce, sent.Add(a.Skew)); err != nil {
		return Kiosk{}, err
	}
	return k, nil
}

// Headers are the headers a kiosk sends with a request signed at time at with nonce.
func Headers(k Kiosk, method, path string, body []byte, at time.Time, nonce string) map[string]string {
	ts := strconv.FormatInt(at.Unix(), 10)
	return map[string]string{
		HeaderID:        k.ID,
		HeaderTimestamp: ts,
		HeaderNonce:     nonce,
		HeaderSignature: Sign(k.Secret, method, path, ts, nonce, body),
	}
}
