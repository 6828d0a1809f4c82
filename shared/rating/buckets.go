package rating

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Buckets sort the five levels into good, average (一般) and poor (差), as the local rules say.
type Buckets struct {
	Good, Average, Poor []Level
}

// DefaultBuckets: good 4–5, average 3, poor 1–2.
var DefaultBuckets = Buckets{Good: []Level{4, 5}, Average: []Level{3}, Poor: []Level{1, 2}}

// ParseBuckets reads "good=4,5;average=3;poor=1,2": every level in exactly one bucket.
func ParseBuckets(s string) (Buckets, error) {
	var b Buckets
	seen := map[Level]bool{}
	for _, part := range strings.Split(s, ";") {
		name, list, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return Buckets{}, fmt.Errorf("rating buckets: %q is not name=levels", part)
		}
		var levels []Level
		for _, v := range strings.Split(list, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			l := Level(n)
			if err != nil || !l.Valid() || seen[l] {
				return Buckets{}, fmt.Errorf("rating buckets: level %q is not 1–5 or is given twice", v)
			}
			seen[l] = true
			levels = append(levels, l)
		}
		switch name {
		case "good":
			b.Good = levels
		case "average":
			b.Average = levels
		case "poor":
			b.Poor = levels
		default:
			return Buckets{}, fmt.Errorf("rating buckets: unknown bucket %q", name)
		}
	}
	if len(seen) != len(Levels) {
		return Buckets{}, fmt.Errorf("rating buckets: every level 1–5 must be in a bucket")
	}
	return b, nil
}

// Summary is a count's buckets and good-rating rate (good ÷ counted; 0 when none).
type Summary struct {
	Good     int64   `json:"good"`
	Average  int64   `json:"average"`
	Poor     int64   `json:"poor"`
	GoodRate float64 `json:"goodRate"`
}

// Summarize sorts counts into the buckets.
func (b Buckets) Summarize(c Counts) Summary {
	var s Summary
	for _, l := range Levels {
		switch {
		case slices.Contains(b.Good, l):
			s.Good += c[l]
		case slices.Contains(b.Average, l):
			s.Average += c[l]
		case slices.Contains(b.Poor, l):
			s.Poor += c[l]
		}
	}
	if t := c.Total(); t > 0 {
		s.GoodRate = float64(s.Good) / float64(t)
	}
	return s
}
