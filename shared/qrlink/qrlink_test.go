package qrlink_test

import (
	"strings"
	"testing"
	"time"

	"banban/shared/apperr"
	"banban/shared/qrlink"
)

var key = []byte("0123456789abcdef0123456789abcdef")

func TestATokenNamesItsWindowAndVersionUntilItExpires(t *testing.T) {
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	tok := qrlink.Sign(key, qrlink.Claims{WindowID: "zb-a01", Version: 3, Expires: now.Add(time.Hour)})
	c, err := qrlink.Verify(key, tok, now)
	if err != nil || c.WindowID != "zb-a01" || c.Version != 3 || !c.Expires.Equal(now.Add(time.Hour)) {
		t.Fatalf("%+v %v", c, err)
	}
	if err := c.Current(3); err != nil {
		t.Error(err)
	}
	if err := c.Current(4); !apperr.Is(err, "qr_token_revoked") {
		t.Errorf("an older version: %v", err)
	}
	if _, err := qrlink.Verify(key, tok, now.Add(time.Hour)); !apperr.Is(err, "qr_token_expired") {
		t.Errorf("at expiry: %v", err)
	}
}

func TestForgedTokensAreRefused(t *testing.T) {
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	good := qrlink.Sign(key, qrlink.Claims{WindowID: "zb-a01", Version: 1, Expires: now.Add(time.Hour)})
	sig, exp := good[strings.LastIndex(good, ".")+1:], strings.Split(good, ".")[3]
	forged := map[string]string{
		"other window, same signature": "q1.zb-b01.1." + exp + "." + sig,
		"other key":                    qrlink.Sign([]byte("another key"), qrlink.Claims{WindowID: "zb-a01", Version: 1, Expires: now.Add(time.Hour)}),
		"later expiry":                 "q1.zb-a01.1.9999999999." + sig,
		"higher version":               "q1.zb-a01.2." + exp + "." + sig,
		"no signature":                 strings.TrimSuffix(good, sig),
		"empty":                        "",
		"garbage":                      "not a token",
		"too long":                     good + strings.Repeat("a", qrlink.MaxToken),
		"other scheme":                 "q2" + strings.TrimPrefix(good, "q1"),
	}
	for name, tok := range forged {
		if _, err := qrlink.Verify(key, tok, now); !apperr.Is(err, "bad_qr_token") || apperr.KindOf(err) != apperr.Unauthenticated {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestLinkCarriesTheTokenInItsQuery(t *testing.T) {
	if got := qrlink.Link("https://example.gov.cn/rate", "q1.a.1.2.x-y_z"); got != "https://example.gov.cn/rate?t=q1.a.1.2.x-y_z" {
		t.Error(got)
	}
	if got := qrlink.Link("https://example.gov.cn/app?page=rate", "q1"); got != "https://example.gov.cn/app?page=rate&t=q1" {
		t.Error(got)
	}
}
