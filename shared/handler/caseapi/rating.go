package caseapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"

	"banban/shared/apperr"
	"banban/shared/cases"
	"banban/shared/httpapi"
	"banban/shared/idempotency"
	"banban/shared/rating"
)

// RatingCases reads a case for rating: without its personal data, which rating never needs.
type RatingCases interface {
	Peek(ctx context.Context, id string) (cases.Case, error)
}

// RatingRequest is the body of POST /v1/cases/{id}/rating: the requester's rating of the
// service, with reasons of the catalogue and a comment.
type RatingRequest struct {
	Level   int      `json:"level"`
	Tags    []string `json:"tags,omitempty"`
	Comment string   `json:"comment,omitempty"`
}

// RatingAccepted answers an accepted rating: its id, the same for a retried request.
type RatingAccepted struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// MaxRatingBody is the largest rating request accepted.
const MaxRatingBody = 4 << 10

// Rate answers POST /v1/cases/{id}/rating: the requester rates a completed or refused case once,
// within the rating window. The case is marked rated (only that, and when) and the rating — the
// helper, the unit and the hall, never the case or the requester — goes to the ratings queue
// under an id derived from the case. A retried request answers the same id; a different second
// rating is refused.
func (h *Handler) Rate(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	id := req.PathParameters["id"]
	if _, err := uuid.Parse(id); err != nil {
		return httpapi.Response{}, apperr.InvalidField("id", "is not a case id")
	}
	body, err := httpapi.Body(req, MaxRatingBody)
	if err != nil {
		return httpapi.Response{}, err
	}
	var in RatingRequest
	if err := httpapi.DecodeJSON(req, body, &in); err != nil {
		return httpapi.Response{}, err
	}
	level := rating.Level(in.Level)
	if !level.Valid() {
		return httpapi.Response{}, apperr.InvalidField("level", "must be an integer from 1 (非常不满意) to 5 (非常满意)")
	}
	tags, comment, err := rating.Submission{Tags: in.Tags, Comment: in.Comment}.Details()
	if err != nil {
		return httpapi.Response{}, err
	}
	hash, err := requestHash(level, tags, comment)
	if err != nil {
		return httpapi.Response{}, err
	}
	c, err := h.Ratings.Peek(ctx, id)
	if err := httpapi.AuthorizeLoaded(ctx, err, c.Target(), "case"); err != nil {
		return httpapi.Response{}, err
	}
	now := h.Now()
	err = h.RatingRules.MayRate(c, now)
	if err == nil {
		err = h.give(ctx, c, level, tags, comment, hash, now)
	}
	if apperr.Is(err, "already_rated") {
		err = h.retried(ctx, c.ID, hash)
	}
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusAccepted, RatingAccepted{ID: h.Rater.ID(c.ID), Status: "accepted"}), nil
}

func (h *Handler) give(ctx context.Context, c cases.Case, level rating.Level, tags []string, comment, hash string, now time.Time) error {
	r, err := cases.RatingOf(c, h.Rater.ID(c.ID), rating.ChannelCase, level, tags, comment, now, now)
	if err != nil {
		return err
	}
	return h.Rater.Give(ctx, c, r, hash, now)
}

// retried answers a rating of a case already rated: the same request again (a retry after a lost
// answer, a crash or a queue failure, or a double tap) sends the kept rating again and is
// accepted under the same id; anything else is a second rating, refused.
func (h *Handler) retried(ctx context.Context, caseID, hash string) error {
	r, kept, found, err := h.Rater.Kept(ctx, caseID)
	if err != nil {
		return err
	}
	if !found || kept != hash {
		return apperr.New(apperr.Conflict, "already_rated", "this case has been rated; one case, one rating")
	}
	return h.Rater.Send(ctx, caseID, r)
}

// requestHash identifies what the requester said, cleaned, so a retry matches its first attempt.
func requestHash(level rating.Level, tags []string, comment string) (string, error) {
	b, err := json.Marshal(struct {
		Level   rating.Level `json:"level"`
		Tags    []string     `json:"tags"`
		Comment string       `json:"comment"`
	}{level, tags, comment})
	if err != nil {
		return "", fmt.Errorf("encode rating request: %w", err)
	}
	return idempotency.Hash(b), nil
}
