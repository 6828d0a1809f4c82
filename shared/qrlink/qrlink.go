// Package qrlink is the link printed as a window's QR code (二维码评价) in halls without rating
// kiosks: a token that names the window and the version of its code, with an expiry, signed by
// the server (HMAC-SHA256) so nobody can rate a window by guessing its id. Rotating a window's
// code raises its version, which revokes every link printed before. Pure Go: the key comes from
// the caller.
package qrlink

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"time"

	"banban/shared/apperr"
	"banban/shared/directory"
)

// Claims is what a token says.
type Claims struct {
	WindowID string
	Version  int // the window's code version when the link was made
	Expires  time.Time
}

// scheme starts every token; a future format gets another.
const scheme = "q1"

// MaxToken bounds a token's length: anything longer is refused unread.
const MaxToken = 256

// Sign makes the token of c with key.
func Sign(key []byte, c Claims) string {
	payload := scheme + "." + c.WindowID + "." + strconv.Itoa(c.Version) + "." + strconv.FormatInt(c.Expires.Unix(), 10)
	return payload + "." + mac(key, payload)
}

func mac(key []byte, payload string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("banban qr rating link\n" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

var (
	errBad     = apperr.New(apperr.Unauthenticated, "bad_qr_token", "the QR code is not one of ours; scan the code at the window again")
	errExpired = apperr.New(apperr.Unauthenticated, "qr_token_expired", "the QR code has expired; ask the hall for a new one")
	errRevoked = apperr.New(apperr.Unauthenticated, "qr_token_revoked", "the QR code has been replaced; scan the code now shown at the window")
)

// Verify checks token's signature and expiry at now and returns its claims. Whether the version
// is still the window's is for Current to say.
func Verify(key []byte, token string, now time.Time) (Claims, error) {
	if len(token) > MaxToken {
		return Claims{}, errBad
	}
	parts := strings.Split(token, ".")
	if len(parts) != 5 || parts[0] != scheme {
		return Claims{}, errBad
	}
	payload := strings.Join(parts[:4], ".")
	if !hmac.Equal([]byte(parts[4]), []byte(mac(key, payload))) {
		return Claims{}, errBad
	}
	version, err1 := strconv.Atoi(parts[2])
	exp, err2 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil || version < 1 || !directory.ValidID(parts[1]) {
		return Claims{}, errBad // signed by us, so never expected: refused all the same
	}
	c := Claims{WindowID: parts[1], Version: version, Expires: time.Unix(exp, 0)}
	if !now.Before(c.Expires) {
		return Claims{}, errExpired
	}
	return c, nil
}

// Current refuses claims of a version other than the window's current one (a rotated code).
func (c Claims) Current(version int) error {
	if c.Version != version {
		return errRevoked
	}
	return nil
}

// Link is the address printed as the QR code: the rating page with the token in its query.
func Link(page, token string) string {
	sep := "?"
	if strings.Contains(page, "?") {
		sep = "&"
	}
	return page + sep + "t=" + url.QueryEscape(token)
}
