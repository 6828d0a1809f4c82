// Package apperr is the one error type of banban. Domain code returns these errors; the HTTP
// adapter maps their Kind to a status code in one place (httpapi), so no handler chooses a status
// by hand.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error by what the caller can do about it.
type Kind int

const (
	// Internal is a fault of ours or of a dependency; the caller may retry later.
	Internal Kind = iota
	// Invalid input: the request names a field with a wrong value.
	Invalid
	// Unauthenticated: the caller's identity could not be established.
	Unauthenticated
	// Forbidden: the caller is known but may not do this on this data.
	Forbidden
	// NotFound: the named thing does not exist (or is not visible to the caller).
	NotFound
	// Conflict with the current state (a replay, a stale version, a duplicate with another body).
	Conflict
	// TooLarge: the request body exceeds its limit.
	TooLarge
	// Unsupported media type or encoding.
	Unsupported
	// TooMany requests: a rate limit was hit.
	TooMany
	// Unavailable: a dependency is down or throttling; retrying later is expected to work.
	Unavailable
)

// Error carries a stable machine code, a human message and, for invalid input, the field at fault.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Field   string
	Err     error // the cause, never shown to the caller
	// RetryAfter, when set on a TooMany or Unavailable error, is how long the caller should wait
	// before trying again (the Retry-After header).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	msg := e.Code + ": " + e.Message
	if e.Field != "" {
		msg += " (field " + e.Field + ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// New builds an error of the given kind.
func New(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// InvalidField reports a bad value in a named request field.
func InvalidField(field, format string, args ...any) *Error {
	return &Error{Kind: Invalid, Code: "invalid_field", Field: field, Message: fmt.Sprintf(format, args...)}
}

// RateLimited reports a rate limit that was hit: a 429 whose Retry-After says when to try again.
func RateLimited(code string, retryAfter time.Duration, format string, args ...any) *Error {
	return &Error{Kind: TooMany, Code: code, Message: fmt.Sprintf(format, args...), RetryAfter: retryAfter}
}

// Wrap keeps cause as the hidden reason of a new error.
func Wrap(cause error, kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...), Err: cause}
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// KindOf returns the kind of err, Internal for errors that are not ours.
func KindOf(err error) Kind {
	if e, ok := As(err); ok {
		return e.Kind
	}
	return Internal
}

// Is reports whether err is an *Error with the given code.
func Is(err error, code string) bool {
	e, ok := As(err)
	return ok && e.Code == code
}
