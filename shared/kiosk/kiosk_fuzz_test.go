package kiosk

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// FuzzAuthenticate: whatever the headers and body, Authenticate answers without panicking, and
// only the request signed with the kiosk's secret passes.
func FuzzAuthenticate(f *testing.F) {
	body := []byte(`{"id":"6f1c2a4e-8b7d-4c3e-9f0a-1b2c3d4e5f60","level":5,"ratedAt":"2026-11-28T10:00:00+08:00"}`)
	ts := strconv.FormatInt(now.Unix(), 10)
	f.Add("k1", ts, "nonce-0123456789ab", Sign("s3cret-k1", "POST", "/v1/evaluations", ts, "nonce-0123456789ab", body), "/v1/evaluations", body)
	f.Add("k1", ts, "nonce-0123456789ab", "zz", "/v1/evaluations", body)
	f.Add("", "", "", "", "", []byte{})
	f.Add("k1", "-1", "nonce\x00nonce-nonce", "0000000000000000000000000000000000000000000000000000000000000000", "/", []byte("\xff"))
	f.Fuzz(func(t *testing.T, id, timestamp, nonce, sig, path string, body []byte) {
		a, _ := newAuth()
		a.Nonces = noNonces{}
		k, err := a.Authenticate(context.Background(), Request{KioskID: id, Timestamp: timestamp, Nonce: nonce,
			Signature: sig, Method: "POST", Path: path, Body: body})
		if err != nil {
			return
		}
		want := Sign(k.Secret, "POST", path, timestamp, nonce, body)
		if k.ID != id || !k.Active || want != lower(sig) {
			t.Fatalf("accepted a request not signed by kiosk %q", id)
		}
		if secs, err := strconv.ParseInt(timestamp, 10, 64); err != nil || time.Unix(secs, 0).Sub(now).Abs() > a.Skew {
			t.Fatalf("accepted timestamp %q", timestamp)
		}
	})
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}
