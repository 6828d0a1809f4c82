package rating

import (
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzSubmission: any JSON a kiosk sends is either refused or yields a rating within the rules —
// a level 1–5, a time inside the window, known tags, a comment within its length and without a
// long run of digits.
func FuzzSubmission(f *testing.F) {
	f.Add(`{"id":"6f1c2a4e-8b7d-4c3e-9f0a-1b2c3d4e5f60","level":5,"ratedAt":"2026-11-28T10:00:00+08:00"}`)
	f.Add(`{"id":"6f1c2a4e-8b7d-4c3e-9f0a-1b2c3d4e5f60","level":1,"ratedAt":"2026-11-28T10:00:00Z","tags":["S01"],"comment":"电话13800138000"}`)
	f.Add(`{"id":"x","level":"5"}`)
	f.Add(`{"level":9e99,"ratedAt":"9999-12-31T23:59:59Z"}`)
	now := time.Date(2026, 11, 28, 10, 30, 0, 0, time.UTC)
	p := Policy{Window: 7 * 24 * time.Hour, ClockSkew: 5 * time.Minute}
	f.Fuzz(func(t *testing.T, body string) {
		var s Submission
		if json.Unmarshal([]byte(body), &s) != nil {
			return
		}
		lv, at, err := p.Accept(s, now)
		if err != nil {
			return
		}
		tags, comment, err := s.Details()
		if err != nil {
			return
		}
		if !lv.Valid() || at.After(now.Add(p.ClockSkew)) || at.Before(now.Add(-p.Window)) || !ValidID(s.ID) {
			t.Fatalf("accepted level %d at %s id %q", lv, at, s.ID)
		}
		for _, tag := range tags {
			if !KnownTag(tag) {
				t.Fatalf("unknown tag %q kept", tag)
			}
		}
		if utf8.RuneCountInString(comment) > MaxComment || identifierPattern.MatchString(comment) {
			t.Fatalf("comment %q", comment)
		}
	})
}
