package rating

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"banban/shared/apperr"
	"banban/shared/auth"
)

// Flag is why the integrity watch (防刷评) set a rating apart: it is kept, but counted as flagged,
// not in its level, until a city administrator reviews it.
type Flag struct {
	Rule   string    `json:"rule"`   // RuleRate or RuleBurst
	Source string    `json:"source"` // the kiosk or window that went over, e.g. kiosk:k-07
	At     time.Time `json:"at"`
	// Review is the city's decision: "" while pending, ReviewCounted or ReviewExcluded.
	Review     string     `json:"review,omitempty"`
	ReviewedBy string     `json:"reviewedBy,omitempty"`
	ReviewedAt *time.Time `json:"reviewedAt,omitempty"`
	Note       string     `json:"note,omitempty"`
}

// The rules of the watch and the outcomes of a review.
const (
	RuleRate       = "rate"     // more ratings from one kiosk or window than one service can take
	RuleBurst      = "burst"    // many top ratings within seconds (刷好评)
	ReviewCounted  = "counted"  // the city found it genuine: it counts in its level from now on
	ReviewExcluded = "excluded" // the city found it fraudulent: kept, never counted
)

// Watch holds the integrity rules. A kiosk or a window serves one person at a time, so more than
// MaxRate ratings within RatePer, or BurstTop top ratings within BurstPer, are not services
// being rated. A zero MaxRate or BurstTop turns that rule off.
type Watch struct {
	MaxRate  int
	RatePer  time.Duration
	BurstTop int
	BurstPer time.Duration
}

// DefaultWatch: more than 4 ratings a minute, or 3 top ratings within 30 seconds, from one kiosk
// or window.
var DefaultWatch = Watch{MaxRate: 4, RatePer: time.Minute, BurstTop: 3, BurstPer: 30 * time.Second}

// ParseWatch reads "rate=4/1m;burst=3/30s"; "off" turns the watch off.
func ParseWatch(s string) (Watch, error) {
	var w Watch
	if strings.TrimSpace(s) == "off" {
		return w, nil
	}
	for _, part := range strings.Split(s, ";") {
		name, rule, ok := strings.Cut(strings.TrimSpace(part), "=")
		count, per, ok2 := strings.Cut(rule, "/")
		n, err := strconv.Atoi(count)
		d, err2 := time.ParseDuration(per)
		if !ok || !ok2 || err != nil || err2 != nil || n < 1 || d <= 0 {
			return Watch{}, fmt.Errorf("rating watch: %q is not rule=count/duration", part)
		}
		switch name {
		case "rate":
			w.MaxRate, w.RatePer = n, d
		case "burst":
			w.BurstTop, w.BurstPer = n, d
		default:
			return Watch{}, fmt.Errorf("rating watch: unknown rule %q", name)
		}
	}
	return w, nil
}

// On reports whether any rule is on.
func (w Watch) On() bool { return w.MaxRate > 0 || w.BurstTop > 0 }

// Keep is how much of a source's history the watch needs to judge a new rating.
func (w Watch) Keep() time.Duration { return max(w.RatePer, w.BurstPer) }

// Mark is one rating in a source's recent history: when it was given and its level.
type Mark struct {
	At    int64 `json:"t"` // Unix milliseconds of RatedAt
	Level Level `json:"l"`
}

// Sources are the kiosk and the window a rating came from; a case rating has none.
func (r Rating) Sources() []string {
	var s []string
	if r.KioskID != "" {
		s = append(s, "kiosk:"+r.KioskID)
	}
	if r.WindowID != "" {
		s = append(s, "window:"+r.WindowID)
	}
	return s
}

// Judge flags the ratings of rs that break a rule, given each source's recent history, and
// returns the histories with rs added (trimmed to what later judgements need). A rating is judged
// against the ratings of its sources given before or with it, whatever order they arrive in, so
// an offline kiosk's late batch is judged as if it had arrived on time; the first ratings within
// a limit count, those beyond it are flagged.
func (w Watch) Judge(history map[string][]Mark, rs []Rating, now time.Time) ([]Rating, map[string][]Mark) {
	out := slices.Clone(rs)
	if !w.On() {
		return out, nil // nothing judged, no history kept
	}
	next := make(map[string][]Mark, len(history))
	bySource := map[string][]int{}
	for i, r := range out {
		for _, s := range r.Sources() {
			bySource[s] = append(bySource[s], i)
		}
	}
	// owned is a mark and the index in out of the rating it stands for (-1: from the history).
	type owned struct {
		Mark
		owner int
	}
	for _, s := range slices.Sorted(maps.Keys(bySource)) { // kiosk before window: the first rule broken names it
		idx := bySource[s]
		marks := make([]owned, 0, len(history[s])+len(idx))
		for _, m := range history[s] {
			marks = append(marks, owned{m, -1})
		}
		for _, i := range idx {
			marks = append(marks, owned{Mark{At: out[i].RatedAt.UnixMilli(), Level: out[i].Level}, i})
		}
		// Earlier first; at the same instant the history first, then the batch in its order.
		slices.SortStableFunc(marks, func(a, b owned) int { return int(a.At - b.At) })
		for p, m := range marks {
			r := &out[max(m.owner, 0)]
			if m.owner < 0 || r.Flag != nil || r.Channel == ChannelDefault {
				continue
			}
			var inRate, topsInBurst int
			for _, e := range marks[:p+1] {
				if e.At > m.At-w.RatePer.Milliseconds() {
					inRate++
				}
				if e.Level == VerySatisfied && e.At > m.At-w.BurstPer.Milliseconds() {
					topsInBurst++
				}
			}
			switch {
			case w.MaxRate > 0 && inRate > w.MaxRate:
				r.Flag = &Flag{Rule: RuleRate, Source: s, At: now}
			case w.BurstTop > 0 && r.Level == VerySatisfied && topsInBurst >= w.BurstTop:
				r.Flag = &Flag{Rule: RuleBurst, Source: s, At: now}
			}
		}
		kept := make([]Mark, len(marks))
		for i, m := range marks {
			kept[i] = m.Mark
		}
		next[s] = w.trim(kept)
	}
	return out, next
}

// maxMarks bounds a source's history, so a runaway kiosk cannot grow its item without limit.
const maxMarks = 200

// trim keeps the marks a later rating can still be judged against: those within Keep of the
// newest, at most maxMarks.
func (w Watch) trim(marks []Mark) []Mark {
	if len(marks) == 0 {
		return marks
	}
	newest := marks[len(marks)-1].At
	from := 0
	for from < len(marks) && marks[from].At <= newest-w.Keep().Milliseconds() {
		from++
	}
	from = max(from, len(marks)-maxMarks)
	return marks[from:]
}

// MaxNote bounds a review's note, in characters.
const MaxNote = 1000

// ReviewFlag records the city's review of a flagged rating: counted (genuine, it counts in its
// level from now on) or excluded (kept, never counted), with a note that excluding requires.
// A flag is reviewed once (the route lets only the city administration review).
func (r Rating) ReviewFlag(p auth.Principal, count bool, note string, now time.Time) (Rating, error) {
	if r.Flag == nil {
		return Rating{}, apperr.New(apperr.Conflict, "not_flagged", "the rating is not flagged")
	}
	if r.Flag.Review != "" {
		return Rating{}, apperr.New(apperr.Conflict, "already_reviewed", "the flag was already reviewed: %s", r.Flag.Review)
	}
	note = strings.TrimSpace(note)
	switch {
	case !count && note == "":
		return Rating{}, apperr.InvalidField("note", "is required to exclude a rating")
	case utf8.RuneCountInString(note) > MaxNote:
		return Rating{}, apperr.InvalidField("note", "is longer than %d characters", MaxNote)
	}
	f := *r.Flag
	at := now
	f.Review, f.ReviewedBy, f.ReviewedAt, f.Note = ReviewExcluded, p.Subject, &at, note
	if count {
		f.Review = ReviewCounted
	}
	r.Flag = &f
	return r, nil
}

// ReviewChange is what the review of r's flag changes in each of its counters: one flagged
// less, and one more in its level or one more excluded.
func (r Rating) ReviewChange() Figures {
	var f Figures
	if r.Flag != nil && r.Flag.Review == ReviewCounted {
		f = One(r.Level)
	} else {
		f.Excluded = 1
	}
	f.Flagged = -1
	return f
}
