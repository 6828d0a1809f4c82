// Package evaluationapi is the rating endpoint of kiosks (POST /v1/evaluations) and of the QR
// codes of halls without kiosks (POST /v1/qr/evaluations). It verifies the kiosk's signature or
// the QR link's, validates the rating and queues it; storing and counting happen in
// evaluation-ingest. The response is 202 with the rating id, so a client that retries after a lost
// response sends the same id and the rating is still counted once.
package evaluationapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"banban/shared/apperr"
	"banban/shared/auth"
	"banban/shared/dynamo"
	"banban/shared/httpapi"
	"banban/shared/kiosk"
	"banban/shared/pii"
	"banban/shared/queue"
	"banban/shared/rating"
)

// Config is read from the environment set by template.yaml.
type Config struct {
	KiosksTable      string `env:"KIOSKS_TABLE,required"`
	NoncesTable      string `env:"NONCES_TABLE,required"`
	RatingsQueueURL  string `env:"RATINGS_QUEUE_URL,required"`
	RatingWindowDays int    `env:"RATING_WINDOW_DAYS" envDefault:"7"`

	// The QR-code channel.
	DirectoryTable  string        `env:"DIRECTORY_TABLE,required"`
	RateLimitsTable string        `env:"RATE_LIMITS_TABLE,required"`
	PIIKey          string        `env:"PII_KEY,required"`     // wraps the link and client-hash keys
	QRPageURL       string        `env:"QR_PAGE_URL,required"` // the rating page a QR code opens
	QRLinkTTL       time.Duration `env:"QR_LINK_TTL" envDefault:"8760h"`
	// A client (by keyed hash of its address) may rate at most QRClientLimit times per
	// QRClientPeriod; a window receives at most QRWindowLimit QR ratings per QRWindowPeriod.
	QRClientLimit  int           `env:"QR_CLIENT_LIMIT" envDefault:"5"`
	QRClientPeriod time.Duration `env:"QR_CLIENT_PERIOD" envDefault:"10m"`
	QRWindowLimit  int           `env:"QR_WINDOW_LIMIT" envDefault:"30"`
	QRWindowPeriod time.Duration `env:"QR_WINDOW_PERIOD" envDefault:"1m"`
}

// MaxBody is the largest rating request accepted; a rating is a few hundred bytes.
const MaxBody = 4 << 10

// ClockSkew is how far a kiosk's clock may drift, for signatures and rating times alike.
const ClockSkew = 300 * time.Second

// KioskCacheTTL is how long a warm function trusts a kiosk record it read; disabling or
// re-keying a kiosk takes effect within it.
const KioskCacheTTL = time.Minute

// Authenticator verifies signed kiosk requests.
type Authenticator interface {
	Authenticate(ctx context.Context, r kiosk.Request) (kiosk.Kiosk, error)
}

// Queue takes accepted ratings to evaluation-ingest.
type Queue interface {
	Send(ctx context.Context, v any) error
	SendBatch(ctx context.Context, vs []any) error
}

// Handler serves the kiosk routes.
type Handler struct {
	Kiosks Authenticator
	Queue  Queue
	Policy rating.Policy
	QR     *QR // the QR-code channel of halls without kiosks
	Now    func() time.Time
}

// Accepted is the body of a 202 answer.
type Accepted struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// New wires the handler to its DynamoDB tables and queue. keys is the master key that wraps the
// keys of QR links and client hashes, read on the first use of a QR route.
func New(cfg Config, db dynamo.API, sqs queue.API, keys pii.KeyService, now func() time.Time) (*Handler, error) {
	qr, err := newQR(cfg, db, keys)
	if err != nil {
		return nil, err
	}
	return &Handler{
		QR: qr,
		Kiosks: &kiosk.Authenticator{
			Kiosks: kiosk.NewCachedRegistry(&dynamo.Kiosks{DB: db, Table: cfg.KiosksTable}, KioskCacheTTL, now),
			Nonces: &dynamo.Nonces{DB: db, Table: cfg.NoncesTable, Now: now},
			Now:    now,
			Skew:   ClockSkew,
		},
		Queue:  &queue.Sender{SQS: sqs, URL: cfg.RatingsQueueURL},
		Policy: rating.Policy{Window: time.Duration(cfg.RatingWindowDays) * 24 * time.Hour, ClockSkew: ClockSkew},
		Now:    now,
	}, nil
}

// Routes registers the handler's routes.
func (h *Handler) Routes(log *slog.Logger) *httpapi.Router {
	r := httpapi.NewRouter(log)
	r.Handle("POST /v1/evaluations", auth.KioskPolicy(), h.PostEvaluation)
	r.Handle("POST /v1/evaluations/batch", auth.KioskPolicy(), h.PostBatch)
	r.Handle("GET /v1/rating-tags", auth.PublicPolicy(), h.ListTags)
	r.Handle("POST /v1/qr/evaluations", auth.PublicPolicy(), h.PostQREvaluation)
	r.Handle("GET /v1/windows/{windowId}/qr-code", administerWindow, h.GetQRCode)
	r.Handle("POST /v1/windows/{windowId}/qr-code/rotation", administerWindow, h.RotateQRCode)
	return r
}

// administerWindow: the city administration, the window's hall administrator and its unit's
// administrator manage a window's QR code.
var administerWindow = auth.Allow(map[auth.Role][]auth.Reach{
	auth.CityAdmin: {auth.All}, auth.HallAdmin: {auth.Hall}, auth.UnitAdmin: {auth.Unit},
})

// signed reads the body and authenticates the kiosk that signed the request.
func (h *Handler) signed(ctx context.Context, req httpapi.Request, limit int) (kiosk.Kiosk, []byte, error) {
	body, err := httpapi.Body(req, limit)
	if err != nil {
		return kiosk.Kiosk{}, nil, err
	}
	k, err := h.Kiosks.Authenticate(ctx, kiosk.Request{
		KioskID:   httpapi.Header(req, kiosk.HeaderID),
		Timestamp: httpapi.Header(req, kiosk.HeaderTimestamp),
		Nonce:     httpapi.Header(req, kiosk.HeaderNonce),
		Signature: httpapi.Header(req, kiosk.HeaderSignature),
		Method:    req.RequestContext.HTTP.Method,
		Path:      req.RawPath,
		Body:      body,
	})
	return k, body, err
}

// rating turns an accepted submission of kiosk k into the rating queued for ingest.
func (h *Handler) rating(k kiosk.Kiosk, sub rating.Submission, now time.Time) (rating.Rating, error) {
	return h.accept(rating.Rating{KioskID: k.ID, WindowID: k.WindowID, HallID: k.HallID, UnitID: k.UnitID,
		Channel: rating.ChannelKiosk}, sub, now)
}

// accept validates a submission received at now, whatever its channel, and returns the rating
// given at place (which names the channel, window, hall and unit, never the rater).
func (h *Handler) accept(place rating.Rating, sub rating.Submission, now time.Time) (rating.Rating, error) {
	level, at, err := h.Policy.Accept(sub, now)
	if err != nil {
		return rating.Rating{}, err
	}
	tags, comment, err := sub.Details()
	if err != nil {
		return rating.Rating{}, err
	}
	r := place
	r.ID, r.Level, r.RatedAt, r.ReceivedAt = sub.ID, level, at.UTC(), now.UTC()
	r.Tags, r.Comment, r.StaffID, r.MatterCode, r.Ticket = tags, comment, sub.StaffID, sub.MatterCode, sub.Ticket
	return r, nil
}

// PostEvaluation accepts one signed rating.
func (h *Handler) PostEvaluation(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	k, body, err := h.signed(ctx, req, MaxBody)
	if err != nil {
		return httpapi.Response{}, err
	}
	var sub rating.Submission
	if err := httpapi.DecodeJSON(req, body, &sub); err != nil {
		return httpapi.Response{}, err
	}
	r, err := h.rating(k, sub, h.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	if err := h.Queue.Send(ctx, r); err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusAccepted, Accepted{ID: r.ID, Status: "accepted"}), nil
}

// MaxBatch is the most ratings one batch carries.
const MaxBatch = 25

// Batch is the body of POST /v1/evaluations/batch: ratings a kiosk buffered while offline.
type Batch struct {
	Ratings []rating.Submission `json:"ratings"`
}

// Rejected is a rating of a batch that was not accepted, and why.
type Rejected struct {
	ID      string `json:"id"`
	Field   string `json:"field,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// BatchResult answers a batch: each rating accepted (queued, counted once even if sent again) or
// rejected with its reason, so one stale rating never holds back the rest of a kiosk's buffer.
type BatchResult struct {
	Accepted []string   `json:"accepted"`
	Rejected []Rejected `json:"rejected"`
}

// PostBatch accepts up to MaxBatch signed ratings at once (one signature, one nonce): the way a
// kiosk that was offline catches up, and a cheaper way for a busy one.
func (h *Handler) PostBatch(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	k, body, err := h.signed(ctx, req, MaxBatch*MaxBody)
	if err != nil {
		return httpapi.Response{}, err
	}
	var b Batch
	if err := httpapi.DecodeJSON(req, body, &b); err != nil {
		return httpapi.Response{}, err
	}
	if len(b.Ratings) == 0 || len(b.Ratings) > MaxBatch {
		return httpapi.Response{}, apperr.InvalidField("ratings", "must hold 1 to %d ratings", MaxBatch)
	}
	now := h.Now()
	res := BatchResult{Accepted: []string{}, Rejected: []Rejected{}}
	var queued []any
	seen := map[string]bool{}
	for i, sub := range b.Ratings {
		r, err := h.rating(k, sub, now)
		if err == nil && seen[sub.ID] {
			err = apperr.InvalidField("id", "appears twice in the batch")
		}
		if err != nil {
			e, _ := apperr.As(err)
			rej := Rejected{ID: sub.ID, Code: "invalid_field", Message: err.Error()}
			if e != nil {
				rej.Code, rej.Message = e.Code, e.Message
				if e.Field != "" {
					rej.Field = fmt.Sprintf("ratings[%d].%s", i, e.Field)
				}
			}
			res.Rejected = append(res.Rejected, rej)
			continue
		}
		seen[sub.ID] = true
		queued = append(queued, r)
		res.Accepted = append(res.Accepted, r.ID)
	}
	if err := h.Queue.SendBatch(ctx, queued); err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusAccepted, res), nil
}

// ListTags answers GET /v1/rating-tags: the reason catalogue kiosks and mini-programs offer.
func (h *Handler) ListTags(context.Context, httpapi.Request) (httpapi.Response, error) {
	resp := httpapi.JSON(http.StatusOK, map[string][]rating.Tag{"tags": rating.Tags})
	resp.Headers["Cache-Control"] = "public, max-age=3600"
	return resp, nil
}
