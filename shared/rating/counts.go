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

// CounterKey names one monthly counter: a window in a month.
type CounterKey struct {
	WindowID string
	Month    calendar.Month
}

// Tally groups ratings into the monthly window counters they add to, so a batch of ratings
// becomes one update per counter.
func Tally(rs []Rating) map[CounterKey]Counts {
	out := make(map[CounterKey]Counts)
	for _, r := range rs {
		k := CounterKey{WindowID: r.WindowID, Month: r.Month()}
		c := out[k]
		c[r.Level]++
		out[k] = c
	}
	return out
}
