package evaluationapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"banban/shared/apperr"
	"banban/shared/directory"
	"banban/shared/dynamo"
	"banban/shared/httpapi"
	"banban/shared/pii"
	"banban/shared/qrlink"
	"banban/shared/ratelimit"
	"banban/shared/rating"
	"banban/shared/ttlcache"
)

// QRCodes keeps the version of each window's QR code and finds windows.
type QRCodes interface {
	Window(ctx context.Context, id string) (directory.Window, error)
	QRVersion(ctx context.Context, windowID string) (int, error)
	RotateQR(ctx context.Context, windowID, by string, now time.Time) (int, error)
}

// Limiter counts QR ratings against their rate limits.
type Limiter interface {
	Take(ctx context.Context, now time.Time, claim dynamo.Claim, buckets []ratelimit.Bucket) (retry bool, err error)
}

// QR is the QR-code rating channel (二维码评价) of halls without kiosks: administrators get the link
// of a window's code; anyone holding the link may rate the window, anonymously and within limits.
type QR struct {
	Codes  QRCodes
	Limits Limiter
	// Keys returns the key that signs the links and the key of the hashes that name clients in
	// rate limits. They are read on first use, not at a cold start, so the kiosk routes of the
	// same function never wait for, or fail with, the key service.
	Keys    func(ctx context.Context) (QRKeys, error)
	Page    string // the rating page the code opens
	LinkTTL time.Duration
	Client  ratelimit.Limit
	Window  ratelimit.Limit
}

// QRKeys are the keys of the QR channel.
type QRKeys struct {
	Link   []byte // signs the links
	Client []byte // keys the hashes that name clients in rate limits
}

// ClaimTTL is how long a QR rating's id is remembered, so a retry is not counted twice.
const ClaimTTL = 24 * time.Hour

func newQR(cfg Config, db dynamo.API, keys pii.KeyService) (*QR, error) {
	q := &QR{
		Codes:   &dynamo.Directory{DB: db, Table: cfg.DirectoryTable},
		Limits:  &dynamo.RateLimits{DB: db, Table: cfg.RateLimitsTable},
		Page:    cfg.QRPageURL,
		LinkTTL: cfg.QRLinkTTL,
		Client:  ratelimit.Limit{Max: cfg.QRClientLimit, Per: cfg.QRClientPeriod},
		Window:  ratelimit.Limit{Max: cfg.QRWindowLimit, Per: cfg.QRWindowPeriod},
	}
	for _, l := range []ratelimit.Limit{q.Client, q.Window} {
		if err := l.Check(); err != nil {
			return nil, err
		}
	}
	if q.LinkTTL < time.Hour {
		return nil, fmt.Errorf("QR_LINK_TTL %s: a printed code must live at least an hour", q.LinkTTL)
	}
	secrets := &dynamo.Secrets{DB: db, Table: cfg.DirectoryTable}
	cache := &ttlcache.Cache[string, QRKeys]{TTL: 24 * time.Hour}
	q.Keys = func(ctx context.Context) (QRKeys, error) {
		return cache.Get("qr", func() (QRKeys, error) {
			link, err := secrets.Key(ctx, dynamo.QRLinkKey, keys)
			if err != nil {
				return QRKeys{}, fmt.Errorf("qr link key: %w", err)
			}
			client, err := secrets.Key(ctx, dynamo.ClientHashKey, keys)
			if err != nil {
				return QRKeys{}, fmt.Errorf("client hash key: %w", err)
			}
			return QRKeys{Link: link, Client: client}, nil
		})
	}
	return q, nil
}

// QRSubmission is what the rating page of a QR code sends. Like a kiosk's, nothing in it may name
// the rater (unknown fields are refused); the rating's time is when it is received.
type QRSubmission struct {
	Token   string   `json:"token"` // from the link of the code
	ID      string   `json:"id"`    // a UUID chosen by the page: a retry sends the same
	Level   int      `json:"level"`
	Tags    []string `json:"tags,omitempty"`
	Comment string   `json:"comment,omitempty"`
}

// PostQREvaluation answers POST /v1/qr/evaluations: a rating through a window's QR code. No login;
// the link's signature names the window, and each client and window is rate-limited.
func (h *Handler) PostQREvaluation(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	body, err := httpapi.Body(req, MaxBody)
	if err != nil {
		return httpapi.Response{}, err
	}
	var s QRSubmission
	if err := httpapi.DecodeJSON(req, body, &s); err != nil {
		return httpapi.Response{}, err
	}
	now := h.Now()
	if s.Token == "" {
		return httpapi.Response{}, apperr.InvalidField("token", "is required: the token of the window's QR code link")
	}
	keys, err := h.QR.Keys(ctx)
	if err != nil {
		return httpapi.Response{}, err
	}
	claims, err := qrlink.Verify(keys.Link, s.Token, now)
	if err != nil {
		return httpapi.Response{}, err
	}
	// Validated as a kiosk rating given now, so the checks are the same ones.
	sub := rating.Submission{ID: s.ID, Level: s.Level, RatedAt: now.Format(time.RFC3339), Tags: s.Tags, Comment: s.Comment}
	r, err := h.accept(rating.Rating{Channel: rating.ChannelQR}, sub, now)
	if err != nil {
		return httpapi.Response{}, err
	}
	w, version, err := h.QR.window(ctx, claims.WindowID)
	if err != nil {
		return httpapi.Response{}, err
	}
	if err := claims.Current(version); err != nil {
		return httpapi.Response{}, err
	}
	r.WindowID, r.HallID, r.UnitID = w.ID, w.HallID, w.UnitID
	client := ratelimit.ClientKey(keys.Client, req.RequestContext.HTTP.SourceIP)
	if _, err := h.QR.Limits.Take(ctx, now, dynamo.Claim{ID: "QR#" + r.ID, Digest: digest(r), TTL: ClaimTTL}, []ratelimit.Bucket{
		{Key: "qr-client#" + client, Limit: h.QR.Client, Refusal: "client_rate_limited"},
		{Key: "qr-window#" + w.ID, Limit: h.QR.Window, Refusal: "window_rate_limited"},
	}); err != nil {
		return httpapi.Response{}, err
	}
	// A retry is queued again: the first send may be what failed, and ingest stores an id once.
	if err := h.Queue.Send(ctx, r); err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusAccepted, Accepted{ID: r.ID, Status: "accepted"}), nil
}

// digest tells an identical retry of a rating from another rating that reuses its id.
func digest(r rating.Rating) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{r.WindowID, strconv.Itoa(int(r.Level)), strings.Join(r.Tags, ","), r.Comment}, "\n")))
	return hex.EncodeToString(sum[:])
}

// window returns a window and the current version of its QR code; a window no longer in the
// directory has no valid code.
func (q *QR) window(ctx context.Context, id string) (directory.Window, int, error) {
	w, err := q.Codes.Window(ctx, id)
	if apperr.KindOf(err) == apperr.NotFound {
		return directory.Window{}, 0, apperr.New(apperr.Unauthenticated, "qr_token_revoked", "the window of this QR code is closed")
	}
	if err != nil {
		return directory.Window{}, 0, err
	}
	version, err := q.Codes.QRVersion(ctx, id)
	return w, version, err
}

// QRCode is a window's QR rating code: the link to print.
type QRCode struct {
	WindowID  string    `json:"windowId"`
	HallID    string    `json:"hallId"`
	UnitID    string    `json:"unitId"`
	Version   int       `json:"version"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// administered returns the window of the request's path if its caller administers it.
func (h *Handler) administered(ctx context.Context, req httpapi.Request) (directory.Window, string, error) {
	id := req.PathParameters["windowId"]
	if !directory.ValidID(id) {
		return directory.Window{}, "", apperr.InvalidField("windowId", "is not a window id")
	}
	w, err := h.QR.Codes.Window(ctx, id)
	if err := httpapi.AuthorizeLoaded(ctx, err, w.Target(), "window"); err != nil {
		return directory.Window{}, "", err
	}
	return w, httpapi.Caller(ctx).Subject, nil
}

func (h *Handler) code(ctx context.Context, w directory.Window, version int) (QRCode, error) {
	exp := h.Now().Add(h.QR.LinkTTL).Truncate(time.Second)
	keys, err := h.QR.Keys(ctx)
	if err != nil {
		return QRCode{}, err
	}
	token := qrlink.Sign(keys.Link, qrlink.Claims{WindowID: w.ID, Version: version, Expires: exp})
	return QRCode{WindowID: w.ID, HallID: w.HallID, UnitID: w.UnitID, Version: version,
		URL: qrlink.Link(h.QR.Page, token), ExpiresAt: exp.UTC()}, nil
}

// GetQRCode answers GET /v1/windows/{windowId}/qr-code: the link of the window's current code, for
// the city, the window's hall and unit administrators.
func (h *Handler) GetQRCode(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	w, _, err := h.administered(ctx, req)
	if err != nil {
		return httpapi.Response{}, err
	}
	version, err := h.QR.Codes.QRVersion(ctx, w.ID)
	if err != nil {
		return httpapi.Response{}, err
	}
	c, err := h.code(ctx, w, version)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, c), nil
}

// RotateQRCode answers POST /v1/windows/{windowId}/qr-code/rotation: a new code for the window;
// every link printed before stops working at once.
func (h *Handler) RotateQRCode(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	w, by, err := h.administered(ctx, req)
	if err != nil {
		return httpapi.Response{}, err
	}
	version, err := h.QR.Codes.RotateQR(ctx, w.ID, by, h.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	c, err := h.code(ctx, w, version)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusCreated, c), nil
}
