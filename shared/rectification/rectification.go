// Package rectification is the follow-up of an average or poor rating (查摆整改): a ticket for the
// window's unit, its first response due the same working day ("immediately") and its findings and
// measures due within a number of working days; the city verifies the measures or sends them back.
package rectification

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"banban/shared/apperr"
	"banban/shared/auth"
	"banban/shared/calendar"
	"banban/shared/rating"
)

// State of a ticket.
type State string

// The states: open → responded (the unit reports findings and measures) → verified, or sent back
// to be answered again.
const (
	Open      State = "open"
	Responded State = "responded"
	Verified  State = "verified"
	SentBack  State = "sent_back"
)

// Ticket is one rectification.
type Ticket struct {
	ID          string       `json:"id"` // the rating's id: one ticket per rating
	WindowID    string       `json:"windowId"`
	HallID      string       `json:"hallId"`
	UnitID      string       `json:"unitId"`
	StaffID     string       `json:"staffId,omitempty"`
	Level       rating.Level `json:"level"`
	Tags        []string     `json:"tags,omitempty"`
	Comment     string       `json:"comment,omitempty"`
	RatedAt     time.Time    `json:"ratedAt"`
	OpenedAt    time.Time    `json:"openedAt"`
	RespondBy   time.Time    `json:"respondBy"` // first response: the same working day
	DueAt       time.Time    `json:"dueAt"`     // findings and measures
	State       State        `json:"state"`
	Version     int          `json:"version"`
	Findings    string       `json:"findings,omitempty"` // 查摆: what went wrong
	Measures    string       `json:"measures,omitempty"` // 整改: what the unit changed
	RespondedBy string       `json:"respondedBy,omitempty"`
	RespondedAt *time.Time   `json:"respondedAt,omitempty"`
	ReviewedBy  string       `json:"reviewedBy,omitempty"`
	ReviewedAt  *time.Time   `json:"reviewedAt,omitempty"`
	ReviewNote  string       `json:"reviewNote,omitempty"`
	// Lateness, recorded by the watch and kept for scoring: an overdue ticket may still be answered
	// and verified, and stays recorded as overdue.
	ResponseLateAt *time.Time `json:"responseLateAt,omitempty"` // the same-day first response was missed
	OverdueAt      *time.Time `json:"overdueAt,omitempty"`      // past DueAt without verified measures
	NoticesSent    []Notice   `json:"noticesSent,omitempty"`    // the notices already sent
	// Counted names the outcomes (overdue, rectified) the monthly figures of the rating's window
	// already hold, so each is counted once whatever the retries.
	Counted []string `json:"counted,omitempty"`
}

// The outcomes of a ticket counted in the monthly figures, for scoring.
const (
	OutcomeOverdue   = "overdue"   // left past its due time without verified measures
	OutcomeRectified = "rectified" // findings and measures given by the due time, and verified
)

// Rectified reports whether the unit answered by the due time and the city verified the measures.
func (t Ticket) Rectified() bool {
	return t.State == Verified && t.RespondedAt != nil && !t.RespondedAt.After(t.DueAt)
}

// Uncounted returns what the ticket adds to its rating's monthly figures and not yet added, and
// the ticket recording that it now has.
func (t Ticket) Uncounted() (rating.Figures, Ticket) {
	var f rating.Figures
	add := func(outcome string, due bool, n *int64) {
		if due && !slices.Contains(t.Counted, outcome) {
			*n = 1
			t.Counted = append(slices.Clone(t.Counted), outcome)
		}
	}
	add(OutcomeOverdue, t.OverdueAt != nil, &f.Overdue)
	add(OutcomeRectified, t.Rectified(), &f.Rectified)
	return f, t
}

// CounterKeys are the monthly counters of the ticket's rating.
func (t Ticket) CounterKeys() []rating.CounterKey {
	return rating.Rating{WindowID: t.WindowID, HallID: t.HallID, UnitID: t.UnitID, StaffID: t.StaffID, RatedAt: t.RatedAt}.CounterKeys()
}

// Notice is a notice a ticket gives on the notifications queue.
type Notice string

// The notices, each sent once: the unit hears of the ticket when it opens and when it is late;
// the city too when it is overdue.
const (
	NoticeOpened       Notice = "opened"
	NoticeResponseLate Notice = "response_late"
	NoticeOverdue      Notice = "overdue"
)

// Recipients are the roles a notice goes to.
func (n Notice) Recipients() []auth.Role {
	if n == NoticeOverdue {
		return []auth.Role{auth.UnitAdmin, auth.CityAdmin}
	}
	return []auth.Role{auth.UnitAdmin}
}

// Watch records at now what is late: the first response missed (nothing answered by RespondBy)
// and the measures overdue (not verified by DueAt). It reports whether the ticket changed; a late
// or repeated watch changes nothing more.
func (t Ticket) Watch(now time.Time) (Ticket, bool) {
	changed := false
	if t.ResponseLateAt == nil && t.RespondedAt == nil && t.State != Verified && now.After(t.RespondBy) {
		at := now
		t.ResponseLateAt, changed = &at, true
	}
	if t.OverdueAt == nil && t.Overdue(now) {
		at := now
		t.OverdueAt, changed = &at, true
	}
	if changed {
		t.Version++
	}
	return t, changed
}

// PendingNotices lists the notices the ticket owes and has not sent, in the order they arose.
func (t Ticket) PendingNotices() []Notice {
	due := []Notice{NoticeOpened}
	if t.ResponseLateAt != nil {
		due = append(due, NoticeResponseLate)
	}
	if t.OverdueAt != nil {
		due = append(due, NoticeOverdue)
	}
	var pending []Notice
	for _, n := range due {
		if !slices.Contains(t.NoticesSent, n) {
			pending = append(pending, n)
		}
	}
	return pending
}

// NoticeSent records that notice n went out.
func (t Ticket) NoticeSent(n Notice) Ticket {
	if !slices.Contains(t.NoticesSent, n) {
		t.NoticesSent = append(slices.Clone(t.NoticesSent), n)
		t.Version++
	}
	return t
}

// NextWatch is when the watch must next look at the ticket: at once while a notice is pending,
// then at RespondBy and DueAt while they may still be missed; false once nothing can happen.
func (t Ticket) NextWatch() (time.Time, bool) {
	switch {
	case len(t.PendingNotices()) > 0:
		return t.OpenedAt, true
	case t.State == Verified:
		return time.Time{}, false
	case t.ResponseLateAt == nil && t.RespondedAt == nil:
		return t.RespondBy, true
	case t.OverdueAt == nil:
		return t.DueAt, true
	}
	return time.Time{}, false
}

// Deadlines computes due times on the working-day calendar.
type Deadlines interface {
	Deadline(t time.Time, workingDays int) time.Time
}

// OpenFor opens the ticket of an average or poor rating, received at now.
func OpenFor(r rating.Rating, cal Deadlines, days int, now time.Time) Ticket {
	return Ticket{ID: r.ID, WindowID: r.WindowID, HallID: r.HallID, UnitID: r.UnitID, StaffID: r.StaffID, Level: r.Level,
		Tags: r.Tags, Comment: r.Comment, RatedAt: r.RatedAt, OpenedAt: now,
		RespondBy: cal.Deadline(now, 0), DueAt: cal.Deadline(now, days), State: Open, Version: 1}
}

// Opener opens the tickets of the ratings that need one, on the working-day calendar.
type Opener struct {
	Buckets  rating.Buckets
	Days     int // working days to the findings and measures
	Calendar func(ctx context.Context) (*calendar.Calendar, error)
	Now      func() time.Time
}

// Open returns r's ticket, opened now, and whether r needs one.
func (o Opener) Open(ctx context.Context, r rating.Rating) (Ticket, bool, error) {
	if !Needs(r, o.Buckets) {
		return Ticket{}, false, nil
	}
	cal, err := o.Calendar(ctx)
	if err != nil {
		return Ticket{}, false, err
	}
	return OpenFor(r, cal, o.Days, o.Now()), true, nil
}

// Needs reports whether a rating needs rectification: average or poor in the buckets.
func Needs(r rating.Rating, b rating.Buckets) bool {
	for _, l := range append(append([]rating.Level{}, b.Average...), b.Poor...) {
		if r.Level == l {
			return true
		}
	}
	return false
}

// Overdue reports whether the ticket is past its due time without verified measures.
func (t Ticket) Overdue(now time.Time) bool {
	return t.State != Verified && now.After(t.DueAt)
}

// MaxText bounds findings, measures and notes, in characters.
const MaxText = 2000

func text(field, s string, required bool) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case required && s == "":
		return "", apperr.InvalidField(field, "is required")
	case utf8.RuneCountInString(s) > MaxText:
		return "", apperr.InvalidField(field, "is longer than %d characters", MaxText)
	}
	return s, nil
}

// Target is the ticket as the target of a route: of its unit, its hall and its window.
func (t Ticket) Target() auth.Target {
	return auth.Target{Units: []string{t.UnitID}, Halls: []string{t.HallID}, Windows: []string{t.WindowID}}
}

// Respond records the unit's findings and measures, answered by p (the route lets only the
// unit's administrator answer).
func (t Ticket) Respond(p auth.Principal, findings, measures string, now time.Time) (Ticket, error) {
	if t.State != Open && t.State != SentBack {
		return Ticket{}, apperr.New(apperr.Conflict, "invalid_transition", "a %s ticket cannot be answered", t.State)
	}
	var err error
	if t.Findings, err = text("findings", findings, true); err != nil {
		return Ticket{}, err
	}
	if t.Measures, err = text("measures", measures, true); err != nil {
		return Ticket{}, err
	}
	at := now
	t.State, t.RespondedBy, t.RespondedAt, t.Version = Responded, p.Subject, &at, t.Version+1
	return t, nil
}

// Review verifies the measures or sends them back with a note, by p (the route lets only the city
// administration review).
func (t Ticket) Review(p auth.Principal, verified bool, note string, now time.Time) (Ticket, error) {
	if t.State != Responded {
		return Ticket{}, apperr.New(apperr.Conflict, "invalid_transition", "a %s ticket cannot be reviewed", t.State)
	}
	var err error
	if t.ReviewNote, err = text("note", note, !verified); err != nil {
		return Ticket{}, err
	}
	at := now
	t.State = SentBack
	if verified {
		t.State = Verified
	}
	t.ReviewedBy, t.ReviewedAt, t.Version = p.Subject, &at, t.Version+1
	return t, nil
}
