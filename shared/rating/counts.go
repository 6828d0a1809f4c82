package rating

import (
	"banban/shared/calendar"
)

// Counts are the numbers of ratings per level; index 0 is unused so Counts[level] reads plainly.
type Counts [6]int64

// Total is the number of ratings counted.
func (c Counts) Total() int64 {
	var n int64
	for _, l := range Levels {
		n += c[l]
	}
	return n
}

// Add returns c plus d.
func (c Counts) Add(d Counts) Counts {
	for _, l := range Levels {
		c[l] += d[l]
	}
	return c
}

// Figures are one counter's numbers for a month: the counted ratings per level, and the ratings
// kept apart from them — flagged and awaiting the city's review, excluded by that review, taken
// out by upheld appeals, and defaults of the provincial "no rating counts as 基本满意" rule, which
// are never real ratings.
type Figures struct {
	Counts    Counts
	Flagged   int64
	Excluded  int64
	Appealed  int64
	Defaulted int64
	// Rectification outcomes of the month's tickets: verified within their deadline, and left
	// overdue (marked by the rectification watch).
	Rectified int64
	Overdue   int64
}

// Plus returns f plus g.
func (f Figures) Plus(g Figures) Figures {
	return Figures{Counts: f.Counts.Add(g.Counts), Flagged: f.Flagged + g.Flagged, Excluded: f.Excluded + g.Excluded,
		Appealed: f.Appealed + g.Appealed, Defaulted: f.Defaulted + g.Defaulted, Rectified: f.Rectified + g.Rectified, Overdue: f.Overdue + g.Overdue}
}

// One is the figures of a single rating counted in level l.
func One(l Level) Figures {
	var f Figures
	f.Counts[l] = 1
	return f
}

// CounterKind is what a monthly counter counts for.
type CounterKind string

// The counters a rating adds to. None is a unit's or a hall's whole figure, which every rating
// of the unit would hit (a hot key at national scale): those are rolled up on reading from the
// window counters and the few case counters.
const (
	WindowCounter CounterKind = "WINDOW" // a service window: kiosk and QR ratings
	StaffCounter  CounterKind = "STAFF"  // the clerk on duty, or the helper of a case
	UnitCases     CounterKind = "UNITCASES"
	HallCases     CounterKind = "HALLCASES" // case ratings of a case received in a hall
)

// CounterKey names one monthly counter.
type CounterKey struct {
	Kind  CounterKind
	ID    string
	Month calendar.Month
}

// CounterKeys are the counters r adds to, in its month: its window, its staff member, and for a
// rating without a window (a case) its unit's and hall's case counters.
func (r Rating) CounterKeys() []CounterKey {
	m := r.Month()
	var keys []CounterKey
	if r.WindowID != "" {
		keys = append(keys, CounterKey{WindowCounter, r.WindowID, m})
	} else {
		keys = append(keys, CounterKey{UnitCases, r.UnitID, m})
		if r.HallID != "" {
			keys = append(keys, CounterKey{HallCases, r.HallID, m})
		}
	}
	if r.StaffID != "" {
		keys = append(keys, CounterKey{StaffCounter, r.StaffID, m})
	}
	return keys
}

// Contribution is what r adds to each of its counters when it is stored: its level when it
// counts, one flagged when flagged, one defaulted when it is a default.
func (r Rating) Contribution() Figures {
	var f Figures
	switch {
	case r.Channel == ChannelDefault:
		f.Defaulted = 1
	case r.Flag != nil:
		f.Flagged = 1
	default:
		f.Counts[r.Level] = 1
	}
	return f
}

// Tally groups ratings into the monthly counters they add to, so a batch of ratings becomes one
// update per counter.
func Tally(rs []Rating) map[CounterKey]Figures {
	out := make(map[CounterKey]Figures)
	for _, r := range rs {
		c := r.Contribution()
		for _, k := range r.CounterKeys() {
			out[k] = out[k].Plus(c)
		}
	}
	return out
}
