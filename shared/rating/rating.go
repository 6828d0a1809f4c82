// Package rating is the domain of anonymous back-to-back ratings (背靠背评价): the five levels of the
// national 好差评 rules, a rating as stored, and the monthly counts per window. A rating carries
// where it was given (kiosk, window, hall, unit) and never who gave it.
package rating

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"banban/shared/apperr"
	"banban/shared/auth"
	"banban/shared/calendar"
)

// Level is one of the five national rating levels, 1 (worst) to 5 (best).
type Level int

// The five levels of GB/T 39734-2020.
const (
	VeryDissatisfied   Level = 1 // 非常不满意
	Dissatisfied       Level = 2 // 不满意
	BasicallySatisfied Level = 3 // 基本满意
	Satisfied          Level = 4 // 满意
	VerySatisfied      Level = 5 // 非常满意
)

// Levels lists the levels from 1 to 5.
var Levels = []Level{VeryDissatisfied, Dissatisfied, BasicallySatisfied, Satisfied, VerySatisfied}

var levelNames = map[Level]string{
	VeryDissatisfied:   "非常不满意",
	Dissatisfied:       "不满意",
	BasicallySatisfied: "基本满意",
	Satisfied:          "满意",
	VerySatisfied:      "非常满意",
}

// Valid reports whether l is one of the five levels.
func (l Level) Valid() bool { return l >= VeryDissatisfied && l <= VerySatisfied }

// Name is the level's name in the national standard.
func (l Level) Name() string { return levelNames[l] }

// Rating is one stored rating. ID is chosen by the kiosk (a UUID), so a retried post or a
// redelivered message names the same rating and is counted once.
type Rating struct {
	ID         string    `json:"id"`
	KioskID    string    `json:"kioskId"`
	WindowID   string    `json:"windowId"`
	HallID     string    `json:"hallId"`
	UnitID     string    `json:"unitId"`
	Level      Level     `json:"level"`
	RatedAt    time.Time `json:"ratedAt"`
	ReceivedAt time.Time `json:"receivedAt"`
	Channel    string    `json:"channel"`              // kiosk, qr, case or default: see the Channel constants
	Tags       []string  `json:"tags,omitempty"`       // reason codes of the catalogue
	Comment    string    `json:"comment,omitempty"`    // the rater's words, identifiers masked
	StaffID    string    `json:"staffId,omitempty"`    // the clerk on duty at the window (the rated, not the rater)
	MatterCode string    `json:"matterCode,omitempty"` // the matter served
	Ticket     string    `json:"ticket,omitempty"`     // the queue ticket of the service: one service, one rating
	// Flag is set by the integrity watch when the rating is stored, never by the sender.
	Flag *Flag `json:"flag,omitempty"`
}

// The channels a rating comes through (评价渠道).
const (
	// ChannelKiosk is a signed kiosk at the window (背靠背评价器): kiosk, window, hall and unit.
	ChannelKiosk = "kiosk"
	// ChannelQR is the QR-code page of a window for halls without kiosks: window, hall and unit,
	// no kiosk.
	ChannelQR = "qr"
	// ChannelCase is the requester's rating of a completed or refused case from the mini-program:
	// the unit and the helper (StaffID), no kiosk and no window; never the case or the requester.
	ChannelCase = "case"
	// ChannelDefault is the provincial rule "no rating within N days counts as 基本满意" (off by
	// default): shaped as a case rating, always counted apart from real ratings.
	ChannelDefault = "default"
)

// Month is the Asia/Shanghai month the rating counts in: the month it was given, not received.
func (r Rating) Month() calendar.Month { return calendar.MonthOf(r.RatedAt) }

// Check verifies a rating taken off the queue is whole; one that is not can never be stored.
func (r Rating) Check() error {
	switch {
	case !ValidID(r.ID):
		return fmt.Errorf("rating id %q is not a UUID", r.ID)
	case r.UnitID == "":
		return fmt.Errorf("rating %s lacks its unit", r.ID)
	case r.Channel == ChannelKiosk && r.KioskID == "":
		return fmt.Errorf("kiosk rating %s lacks its kiosk", r.ID)
	case (r.Channel == ChannelKiosk || r.Channel == ChannelQR) && (r.WindowID == "" || r.HallID == ""):
		return fmt.Errorf("%s rating %s lacks its window or hall", r.Channel, r.ID)
	case (r.Channel == ChannelCase || r.Channel == ChannelDefault) && (r.StaffID == "" || r.WindowID != "" || r.KioskID != ""):
		return fmt.Errorf("%s rating %s must name its helper and no window or kiosk", r.Channel, r.ID)
	case r.Channel != ChannelKiosk && r.Channel != ChannelQR && r.Channel != ChannelCase && r.Channel != ChannelDefault:
		return fmt.Errorf("rating %s has unknown channel %q", r.ID, r.Channel)
	case !r.Level.Valid():
		return fmt.Errorf("rating %s has level %d, outside 1..5", r.ID, r.Level)
	case r.RatedAt.IsZero() || r.ReceivedAt.IsZero():
		return fmt.Errorf("rating %s lacks its times", r.ID)
	}
	return nil
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// ValidID reports whether id is a UUID in canonical lower-case form.
func ValidID(id string) bool { return uuidPattern.MatchString(id) }

// Policy holds the acceptance rules of kiosk ratings.
type Policy struct {
	// Window is how long after the service a rating is still accepted.
	Window time.Duration
	// ClockSkew is how far in the future a kiosk clock may be.
	ClockSkew time.Duration
}

// Submission is what a kiosk sends for one rating. Nothing in it may name the rater: unknown
// fields (an ID number, a phone, a name, an openid) are refused, and identifiers typed into the
// comment are masked.
type Submission struct {
	ID         string   `json:"id"`
	Level      int      `json:"level"`
	RatedAt    string   `json:"ratedAt"`
	Tags       []string `json:"tags,omitempty"`
	Comment    string   `json:"comment,omitempty"`
	StaffID    string   `json:"staffId,omitempty"`
	MatterCode string   `json:"matterCode,omitempty"`
	Ticket     string   `json:"ticket,omitempty"`
}

// MaxComment is the longest comment, in characters.
const MaxComment = 200

var (
	staffPattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	matterPattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{1,39}$`)
	ticketPattern = regexp.MustCompile(`^[A-Za-z0-9-]{1,32}$`)
	// Runs of digits long enough to be a phone or ID number (with an optional X), masked in comments.
	identifierPattern = regexp.MustCompile(`[0-9]{6,}[0-9Xx]?`)
)

// Details checks the optional parts of a submission and returns them cleaned: known tags, a
// comment within its length with identifiers masked, well-formed staff, matter and ticket.
func (s Submission) Details() (tags []string, comment string, err error) {
	seen := map[string]bool{}
	for _, t := range s.Tags {
		if !KnownTag(t) {
			return nil, "", apperr.InvalidField("tags", "%q is not a reason of the catalogue", t)
		}
		if !seen[t] {
			seen[t] = true
			tags = append(tags, t)
		}
	}
	if utf8.RuneCountInString(s.Comment) > MaxComment {
		return nil, "", apperr.InvalidField("comment", "is longer than %d characters", MaxComment)
	}
	switch {
	case s.StaffID != "" && !staffPattern.MatchString(s.StaffID):
		return nil, "", apperr.InvalidField("staffId", "is not a staff id")
	case s.MatterCode != "" && !matterPattern.MatchString(s.MatterCode):
		return nil, "", apperr.InvalidField("matterCode", "is not a matter code")
	case s.Ticket != "" && !ticketPattern.MatchString(s.Ticket):
		return nil, "", apperr.InvalidField("ticket", "must be 1 to 32 letters, digits or dashes")
	}
	comment = identifierPattern.ReplaceAllStringFunc(strings.TrimSpace(s.Comment), func(m string) string {
		return strings.Repeat("*", len(m))
	})
	return tags, comment, nil
}

// Accept validates a submission received at now and returns the rating's level and time.
func (p Policy) Accept(s Submission, now time.Time) (Level, time.Time, error) {
	if !ValidID(s.ID) {
		return 0, time.Time{}, apperr.InvalidField("id", "must be a lower-case UUID chosen by the kiosk")
	}
	lv := Level(s.Level)
	if !lv.Valid() {
		return 0, time.Time{}, apperr.InvalidField("level", "must be an integer from 1 (非常不满意) to 5 (非常满意)")
	}
	if s.RatedAt == "" {
		return 0, time.Time{}, apperr.InvalidField("ratedAt", "is required (RFC 3339 time with offset)")
	}
	at, err := time.Parse(time.RFC3339, s.RatedAt)
	if err != nil {
		return 0, time.Time{}, apperr.InvalidField("ratedAt", "must be an RFC 3339 time with offset, e.g. 2026-11-28T10:00:00+08:00")
	}
	if at.After(now.Add(p.ClockSkew)) {
		return 0, time.Time{}, apperr.InvalidField("ratedAt", "is in the future")
	}
	if at.Before(now.Add(-p.Window)) {
		return 0, time.Time{}, apperr.InvalidField("ratedAt", "is older than the rating window of %s", p.Window)
	}
	return lv, at, nil
}

// Target is the rating as the target of a route: of its unit, its hall and its window. Nothing in
// it names the rater.
func (r Rating) Target() auth.Target {
	t := auth.Target{Units: []string{r.UnitID}}
	if r.HallID != "" {
		t.Halls = []string{r.HallID}
	}
	if r.WindowID != "" {
		t.Windows = []string{r.WindowID}
	}
	return t
}
