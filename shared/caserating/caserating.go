// Package caserating gives the rating of a case (one case, one rating) safely: the case is marked
// rated and the rating kept in an outbox in one conditional write, then the rating is queued for
// evaluation-ingest and the mark confirmed. A crash or a queue failure between the two leaves the
// mark pending; a retried request or supervision's next round sends the kept rating again under
// the same id (a keyed hash of the case id), which ingest stores and counts once. So nothing
// accepted is lost and nothing is counted twice, and of a real rating and the default, or of two
// submissions at once, only the first to take the mark is ever sent.
package caserating

import (
	"context"
	"time"

	"banban/shared/cases"
	"banban/shared/rating"
)

// Store keeps the mark and the outbox (dynamo.Cases).
type Store interface {
	ClaimRating(ctx context.Context, c cases.Case, r rating.Rating, requestHash string, now time.Time) error
	RatingOutbox(ctx context.Context, ratingID string) (rating.Rating, string, bool, error)
	RatingSent(ctx context.Context, caseID string) error
}

// Sender puts a rating on the ratings queue.
type Sender interface {
	Send(ctx context.Context, v any) error
}

// Rater gives and re-sends case ratings.
type Rater struct {
	Store Store
	Queue Sender
	// Key is the secret of the rating ids: only who holds it can tell a case's rating.
	Key []byte
}

// ID is the id of the rating of the case.
func (r *Rater) ID(caseID string) string { return rating.CaseRatingID(r.Key, caseID) }

// Give marks case c rated with rt (whose id must be ID(c.ID)) and queues it. A case already
// rated fails with a 409 already_rated and nothing is sent; a failure to queue leaves the rating
// pending, to be sent again.
func (r *Rater) Give(ctx context.Context, c cases.Case, rt rating.Rating, requestHash string, now time.Time) error {
	if err := r.Store.ClaimRating(ctx, c, rt, requestHash, now); err != nil {
		return err
	}
	return r.Send(ctx, c.ID, rt)
}

// Kept is the rating kept for the case and the hash of the request that gave it; found is false
// once it has expired (or if none was given).
func (r *Rater) Kept(ctx context.Context, caseID string) (rt rating.Rating, requestHash string, found bool, err error) {
	return r.Store.RatingOutbox(ctx, r.ID(caseID))
}

// Send queues the case's rating and confirms the mark. Sending again is harmless: the same id.
func (r *Rater) Send(ctx context.Context, caseID string, rt rating.Rating) error {
	if err := r.Queue.Send(ctx, rt); err != nil {
		return err
	}
	return r.Store.RatingSent(ctx, caseID)
}
