package kiosk

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"banban/shared/apperr"
	"banban/shared/auth"
)

// The fakes below are for the pure authentication logic; the DynamoDB adapters are tested against
// DynamoDB Local in package dynamo.
type registry map[string]Kiosk

func (r registry) Kiosk(_ context.Context, id string) (Kiosk, error) {
	k, ok := r[id]
	if !ok {
		return Kiosk{}, apperr.New(apperr.NotFound, "not_found", "kiosk not found")
	}
	return k, nil
}

type nonces struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

func (n *nonces) Claim(_ context.Context, kioskID, nonce string, until time.Time) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.seen[kioskID+"#"+nonce]; ok {
		return ErrReplayedNonce
	}
	n.seen[kioskID+"#"+nonce] = until
	return nil
}

var now = time.Unix(1_795_000_000, 0)

func newAuth() (*Authenticator, *nonces) {
	n := &nonces{seen: map[string]time.Time{}}
	return &Authenticator{
		Kiosks: registry{
			"k1":  {ID: "k1", WindowID: "w1", Secret: "s3cret-k1", Active: true},
			"off": {ID: "off", WindowID: "w2", Secret: "s3cret-off"},
		},
		Nonces: n,
		Now:    func() time.Time { return now },
		Skew:   300 * time.Second,
	}, n
}

func signed(id, secret string, ts time.Time, nonce string, body []byte) Request {
	t := strconv.FormatInt(ts.Unix(), 10)
	return Request{KioskID: id, Timestamp: t, Nonce: nonce, Method: "POST", Path: "/v1/evaluations", Body: body,
		Signature: Sign(secret, "POST", "/v1/evaluations", t, nonce, body)}
}

func TestStringToSignIsCanonical(t *testing.T) {
	got := StringToSign("post", "/v1/evaluations", "1795000000", "abc", []byte("{}"))
	want := "POST\n/v1/evaluations\n1795000000\nabc\n44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestAuthenticateAcceptsASignedRequestOnce(t *testing.T) {
	a, n := newAuth()
	body := []byte(`{"level":5}`)
	r := signed("k1", "s3cret-k1", now.Add(-299*time.Second), "nonce-0123456789ab", body)
	k, err := a.Authenticate(context.Background(), r)
	if err != nil || k.WindowID != "w1" {
		t.Fatalf("got %v, %v", k, err)
	}
	if until := n.seen["k1#nonce-0123456789ab"]; !until.Equal(now.Add(time.Second)) {
		t.Errorf("nonce kept until %s", until)
	}
	if _, err := a.Authenticate(context.Background(), r); !apperr.Is(err, "replayed_nonce") {
		t.Fatalf("replay: got %v", err)
	}
}

func TestAuthenticateRefuses(t *testing.T) {
	body := []byte(`{"level":5}`)
	good := func() Request { return signed("k1", "s3cret-k1", now, "nonce-0123456789ab", body) }
	tests := []struct {
		name string
		req  func() Request
		code string
		kind apperr.Kind
	}{
		{"missing signature", func() Request { r := good(); r.Signature = ""; return r }, "missing_signature", apperr.Unauthenticated},
		{"unknown kiosk", func() Request { return signed("k9", "s3cret-k1", now, "nonce-0123456789ab", body) }, "unknown_kiosk", apperr.Unauthenticated},
		{"wrong secret", func() Request { return signed("k1", "guess", now, "nonce-0123456789ab", body) }, "bad_signature", apperr.Unauthenticated},
		{"body changed", func() Request { r := good(); r.Body = []byte(`{"level":1}`); return r }, "bad_signature", apperr.Unauthenticated},
		{"path changed", func() Request { r := good(); r.Path = "/v1/evaluations/batch"; return r }, "bad_signature", apperr.Unauthenticated},
		{"stale", func() Request {
			return signed("k1", "s3cret-k1", now.Add(-301*time.Second), "nonce-0123456789ab", body)
		}, "stale_timestamp", apperr.Unauthenticated},
		{"future", func() Request { return signed("k1", "s3cret-k1", now.Add(301*time.Second), "nonce-0123456789ab", body) }, "stale_timestamp", apperr.Unauthenticated},
		{"timestamp not a number", func() Request { r := good(); r.Timestamp = "soon"; return r }, "bad_timestamp", apperr.Unauthenticated},
		{"short nonce", func() Request { return signed("k1", "s3cret-k1", now, "abc", body) }, "bad_nonce", apperr.Unauthenticated},
		{"signature not hex", func() Request { r := good(); r.Signature = "zz"; return r }, "bad_signature", apperr.Unauthenticated},
		{"disabled kiosk", func() Request { return signed("off", "s3cret-off", now, "nonce-0123456789ab", body) }, "kiosk_disabled", apperr.Forbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, n := newAuth()
			_, err := a.Authenticate(context.Background(), tt.req())
			e, ok := apperr.As(err)
			if !ok || e.Code != tt.code || e.Kind != tt.kind {
				t.Fatalf("got %v, want %s", err, tt.code)
			}
			if len(n.seen) != 0 {
				t.Errorf("a refused request used up a nonce")
			}
		})
	}
}

func TestCachedRegistryKeepsKiosksForTTL(t *testing.T) {
	calls := 0
	clock := now
	next := registryFunc(func(id string) (Kiosk, error) {
		calls++
		return Kiosk{ID: id}, nil
	})
	c := NewCachedRegistry(next, time.Minute, func() time.Time { return clock })
	for range 3 {
		if _, err := c.Kiosk(context.Background(), "k1"); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 1 {
		t.Fatalf("looked up %d times within the TTL", calls)
	}
	clock = clock.Add(time.Minute)
	if _, err := c.Kiosk(context.Background(), "k1"); err != nil {
		t.Fatal(err)
	}
	if calls != 2 {
		t.Fatalf("did not look up again after the TTL (%d calls)", calls)
	}
}

type registryFunc func(id string) (Kiosk, error)

func (f registryFunc) Kiosk(_ context.Context, id string) (Kiosk, error) { return f(id) }

func TestNewKioskHasAFreshSecret(t *testing.T) {
	w := auth.WindowScope{WindowID: "w1", HallID: "h1", UnitID: "u1"}
	a, err := New("kiosk-w1", w, now)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New("kiosk-w1", w, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Secret) < 43 || a.Secret == b.Secret || !a.Active || a.WindowID != "w1" {
		t.Errorf("got %+v and %+v", a, b)
	}
	if _, err := New("bad id!", w, now); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("bad id: %v", err)
	}
	if _, err := New("k", auth.WindowScope{WindowID: "w1"}, now); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("window without hall: %v", err)
	}
}
