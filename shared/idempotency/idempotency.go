// Package idempotency makes a request safe to retry: the first request with an Idempotency-Key
// runs and its answer is kept; a retry with the same key and body gets the same answer; the same
// key with another body is refused (409). The design follows the DynamoDB persistence layer of
// AWS Lambda Powertools: a conditional put claims the key with a payload hash, an in-progress
// state with its own expiry guards against a crashed first attempt, and a TTL ends the record.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"banban/shared/apperr"
)

// Status of a record.
const (
	InProgress = "in_progress"
	Completed  = "completed"
)

// Response is the kept answer.
type Response struct {
	Status int    `json:"status"`
	Body   string `json:"body"`
}

// Record is what the store holds for a key.
type Record struct {
	Status   string
	Hash     string
	Response Response
}

// Store persists records.
type Store interface {
	// Claim stores an in-progress record for key unless one exists (or a stale in-progress one,
	// older than its expiry, exists). It returns the existing record and false when it did not
	// claim.
	Claim(ctx context.Context, key, hash string) (Record, bool, error)
	// Get reads the record of key.
	Get(ctx context.Context, key string) (Record, error)
	// Complete keeps the answer.
	Complete(ctx context.Context, key string, r Response) error
	// Release deletes the record so that the request can be tried again.
	Release(ctx context.Context, key string) error
}

var keyPattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]{8,128}$`)

// CheckKey validates an Idempotency-Key header value.
func CheckKey(key string) error {
	if key == "" {
		return apperr.InvalidField("Idempotency-Key", "header is required (a UUID chosen by the client, reused on retries)")
	}
	if !keyPattern.MatchString(key) {
		return apperr.InvalidField("Idempotency-Key", "must be 8 to 128 characters of A-Z a-z 0-9 _ . : -")
	}
	return nil
}

// Hash is the payload hash of a request body.
func Hash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// Runner runs requests once per key.
type Runner struct {
	Store Store
	// Wait is how long a retry waits for a first attempt still in progress (default 3 s).
	Wait time.Duration
	Log  *slog.Logger
}

// Do runs fn once for key (scoped by the caller, e.g. "<subject>#<key>") and body hash, and
// returns its answer, or the kept answer of an earlier run.
func (r *Runner) Do(ctx context.Context, key, hash string, fn func(context.Context) (Response, error)) (Response, error) {
	rec, claimed, err := r.Store.Claim(ctx, key, hash)
	if err != nil {
		return Response{}, err
	}
	if !claimed {
		return r.replay(ctx, key, hash, rec)
	}
	resp, err := fn(ctx)
	if err != nil {
		// Nothing was answered: let the client try again with the same key.
		if relErr := r.Store.Release(ctx, key); relErr != nil {
			return Response{}, errors.Join(err, fmt.Errorf("release idempotency key: %w", relErr))
		}
		return Response{}, err
	}
	if err := r.Store.Complete(ctx, key, resp); err != nil && r.Log != nil {
		// The work is done and answered; a retry finds the record in progress until it expires
		// and then runs again, so the work itself must tolerate that rare second run.
		r.Log.Warn("idempotency record not completed", "error", err.Error())
	}
	return resp, nil
}

func (r *Runner) replay(ctx context.Context, key, hash string, rec Record) (Response, error) {
	wait := r.Wait
	if wait <= 0 {
		wait = 3 * time.Second
	}
	deadline := time.Now().Add(wait)
	for pause := 20 * time.Millisecond; ; pause = min(2*pause, 250*time.Millisecond) {
		if rec.Hash != hash {
			return Response{}, apperr.New(apperr.Conflict, "idempotency_key_reused", "this Idempotency-Key was used with another request body")
		}
		if rec.Status == Completed {
			return rec.Response, nil
		}
		if time.Now().After(deadline) {
			return Response{}, apperr.New(apperr.Conflict, "request_in_progress", "a request with this Idempotency-Key is still being processed; retry shortly")
		}
		select {
		case <-ctx.Done():
			return Response{}, fmt.Errorf("idempotency wait: %w", ctx.Err())
		case <-time.After(pause): // poll interval, bounded by the deadline
		}
		var err error
		if rec, err = r.Store.Get(ctx, key); err != nil {
			if apperr.KindOf(err) == apperr.NotFound {
				// The first attempt failed and released the key: this retry may run it.
				return Response{}, apperr.New(apperr.Conflict, "request_in_progress", "the first request with this Idempotency-Key failed; retry")
			}
			return Response{}, err
		}
	}
}
