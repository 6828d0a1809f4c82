package cases

import (
	"time"

	"banban/shared/apperr"
	"banban/shared/calendar"
	"banban/shared/rating"
)

// RatingRules are the rules of the requester's rating of a case (好差评, one case, one rating):
// the requester who asked through the mini-program rates a completed or refused case within
// WindowDays Asia/Shanghai days after it closed; an invitation goes out when it closes and one
// reminder ReminderDays after; with DefaultDays set (the provincial rule, 0 = off), a case not
// rated in time counts as 基本满意, counted apart from real ratings.
type RatingRules struct {
	WindowDays   int
	ReminderDays int
	DefaultDays  int
}

// Ratable reports whether the case's requester rates it through the mini-program: a case filed
// by a mini-program user that was completed or refused (不能办). A withdrawn case is not rated, nor
// is one filed by staff for a visitor (who rates at the hall's kiosk).
func (c Case) Ratable() bool {
	return c.RequesterSub != "" && (c.State == Completed || c.State == Unable) && c.ClosedAt != nil
}

// RateBy is the first instant the requester can no longer rate: the end of the WindowDays-th
// Asia/Shanghai day after the case closed (closed on 11-20 at any hour, 7 days: until 11-27
// 24:00 Beijing time).
func (r RatingRules) RateBy(c Case) time.Time {
	if c.ClosedAt == nil {
		return time.Time{}
	}
	return dayEnd(*c.ClosedAt, r.WindowDays)
}

// dayEnd is the end of the n-th Asia/Shanghai day after t.
func dayEnd(t time.Time, n int) time.Time { return calendar.DateOf(t).AddDays(n + 1).Start() }

// MayRate checks that c may be rated at now: only a completed or refused case, only within the
// window and only once. (Only its requester rates it: the route's policy.)
func (r RatingRules) MayRate(c Case, now time.Time) error {
	switch {
	case c.State != Completed && c.State != Unable:
		return apperr.New(apperr.Conflict, "not_ratable", "a %s case cannot be rated; rate it once it is completed or refused", c.State)
	case c.RatedAt != nil:
		return apperr.New(apperr.Conflict, "already_rated", "this case has been rated; one case, one rating")
	case !now.Before(r.RateBy(c)):
		return apperr.New(apperr.Conflict, "rating_closed", "the rating period of %d days after the case closed is over", r.WindowDays)
	}
	return nil
}

// RatingStep is a step of the rating follow-up of a closed case.
type RatingStep string

// The steps, in order.
const (
	StepNone    RatingStep = ""
	StepInvite  RatingStep = "invite"  // the invitation to rate, when the case closes
	StepRemind  RatingStep = "remind"  // the one reminder, ReminderDays after
	StepDefault RatingStep = "default" // the provincial default rating once the requester can no longer rate
	StepResend  RatingStep = "resend"  // a rating accepted but not yet confirmed on the ratings queue
)

// RatingProgress is what the follow-up of a case has done so far.
type RatingProgress struct {
	Invited  bool
	Reminded bool
	// Pending is a rating (real or default) marked on the case whose message is not yet known to
	// be on the ratings queue.
	Pending bool
}

// NextStep is the next follow-up step of c at now and when it is due; StepNone when nothing is
// left. An invitation or reminder that would come after the rating window is dropped; the default
// is given no earlier than the end of the window, so it never takes the place of a rating the
// requester could still give.
func (r RatingRules) NextStep(c Case, done RatingProgress, now time.Time) (RatingStep, time.Time) {
	if done.Pending {
		return StepResend, now
	}
	if !c.Ratable() || c.RatedAt != nil {
		return StepNone, time.Time{}
	}
	closed, end := *c.ClosedAt, r.RateBy(c)
	if !done.Invited && now.Before(end) {
		return StepInvite, closed
	}
	if remind := closed.Add(time.Duration(r.ReminderDays) * 24 * time.Hour); !done.Reminded && r.ReminderDays > 0 && remind.Before(end) && now.Before(end) {
		return StepRemind, remind
	}
	if r.DefaultDays > 0 {
		return StepDefault, r.DefaultDue(c)
	}
	return StepNone, time.Time{}
}

// DefaultDue is when a case not rated gets the default rating: the end of the DefaultDays-th
// Asia/Shanghai day after it closed, and never before the rating window is over.
func (r RatingRules) DefaultDue(c Case) time.Time {
	if c.ClosedAt == nil {
		return time.Time{}
	}
	due := dayEnd(*c.ClosedAt, r.DefaultDays)
	if end := r.RateBy(c); due.Before(end) {
		return end
	}
	return due
}

// RatingOf is the rating of c's service the requester gave (channel case) or the default rule
// gave (channel default): the helper (StaffID), the responsible unit (the lead unit of a joint
// case) and the receiving hall; never the case, its matters nor the requester.
func RatingOf(c Case, id, channel string, level rating.Level, tags []string, comment string, ratedAt, receivedAt time.Time) (rating.Rating, error) {
	r := rating.Rating{ID: id, HallID: c.HallID, StaffID: c.Assignee, Level: level, RatedAt: ratedAt.UTC(),
		ReceivedAt: receivedAt.UTC(), Channel: channel, Tags: tags, Comment: comment}
	if len(c.Units) > 0 {
		r.UnitID = c.Units[0]
	}
	if err := r.Check(); err != nil {
		return rating.Rating{}, apperr.Wrap(err, apperr.Conflict, "not_ratable", "this case names no helper or unit to rate")
	}
	return r, nil
}
