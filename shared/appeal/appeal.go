// Package appeal is the review of a rating a unit believes mistaken or malicious (申诉复核): the
// unit's administrator appeals with reasons, the city administration upholds or rejects it. An
// upheld appeal takes the rating out of counting and scoring; the rating itself is never deleted.
package appeal

import (
	"strings"
	"time"
	"unicode/utf8"

	"banban/shared/apperr"
	"banban/shared/auth"
	"banban/shared/rating"
)

// Kind is why a unit appeals.
type Kind string

// The kinds of appeal.
const (
	Mistaken  Kind = "mistaken"  // pressed by mistake, the wrong window, a test
	Malicious Kind = "malicious" // not about the service
)

// State of an appeal.
type State string

// The states.
const (
	Pending  State = "pending"
	Upheld   State = "upheld"
	Rejected State = "rejected"
)

// Appeal of one rating.
type Appeal struct {
	ID        string       `json:"id"` // the rating's id: one appeal per rating
	WindowID  string       `json:"windowId"`
	HallID    string       `json:"hallId"`
	UnitID    string       `json:"unitId"`
	StaffID   string       `json:"staffId,omitempty"` // the clerk or helper rated, for the staff counter
	Channel   string       `json:"channel,omitempty"`
	Level     rating.Level `json:"level"`
	RatedAt   time.Time    `json:"ratedAt"`
	Kind      Kind         `json:"kind"`
	Reason    string       `json:"reason"`
	FiledBy   string       `json:"filedBy"`
	FiledAt   time.Time    `json:"filedAt"`
	State     State        `json:"state"`
	DecidedBy string       `json:"decidedBy,omitempty"`
	DecidedAt *time.Time   `json:"decidedAt,omitempty"`
	Note      string       `json:"note,omitempty"`
}

// MaxReason bounds reasons and notes, in characters.
const MaxReason = 1000

// File opens an appeal of r by p, for an average or poor rating (the route lets only the
// administrator of the rating's unit appeal).
func File(r rating.Rating, b rating.Buckets, p auth.Principal, kind Kind, reason string, now time.Time) (Appeal, error) {
	if r.Flag != nil && r.Flag.Review != rating.ReviewCounted {
		return Appeal{}, apperr.New(apperr.Conflict, "not_counted", "the rating is flagged and not counted; the city's review of the flag decides it")
	}
	if s := b.Summarize(rating.One(r.Level).Counts); s.Good > 0 {
		return Appeal{}, apperr.New(apperr.Conflict, "not_appealable", "only average and poor ratings are appealed")
	}
	if kind != Mistaken && kind != Malicious {
		return Appeal{}, apperr.InvalidField("kind", "must be mistaken or malicious")
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > MaxReason {
		return Appeal{}, apperr.InvalidField("reason", "is required, at most %d characters", MaxReason)
	}
	return Appeal{ID: r.ID, WindowID: r.WindowID, HallID: r.HallID, UnitID: r.UnitID, StaffID: r.StaffID, Channel: r.Channel,
		Level: r.Level, RatedAt: r.RatedAt,
		Kind: kind, Reason: reason, FiledBy: p.Subject, FiledAt: now, State: Pending}, nil
}

// Decide upholds or rejects a pending appeal, by p (the route lets only the city administration
// decide).
func (a Appeal) Decide(p auth.Principal, uphold bool, note string, now time.Time) (Appeal, error) {
	if a.State != Pending {
		return Appeal{}, apperr.New(apperr.Conflict, "already_decided", "the appeal was already %s", a.State)
	}
	note = strings.TrimSpace(note)
	if note == "" || utf8.RuneCountInString(note) > MaxReason {
		return Appeal{}, apperr.InvalidField("note", "is required, at most %d characters", MaxReason)
	}
	at := now
	a.State, a.DecidedBy, a.DecidedAt, a.Note = Rejected, p.Subject, &at, note
	if uphold {
		a.State = Upheld
	}
	return a, nil
}

// CounterKeys are the counters the appealed rating was counted in.
func (a Appeal) CounterKeys() []rating.CounterKey {
	return rating.Rating{Channel: a.Channel, WindowID: a.WindowID, HallID: a.HallID, UnitID: a.UnitID,
		StaffID: a.StaffID, RatedAt: a.RatedAt}.CounterKeys()
}

// Target is the appeal as the target of a route: of the rating's unit.
func (a Appeal) Target() auth.Target { return auth.Target{Units: []string{a.UnitID}} }
