// Package opengov is the "four goods" open-government domain (四好政务公开): service guides
// (办事指南), service Q&A (政务问答) and the places of the city service map (城市服务地图). It is pure
// Go: data sets arrive from the store or from an import as whole, checked sets, and are queried in
// memory, where a city's thousands of records take a few milliseconds to scan.
package opengov

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"banban/shared/directory"
)

// Kind names one of the three data sets; each is imported and versioned on its own.
type Kind string

// The data sets.
const (
	KindGuides Kind = "guides"
	KindFAQ    Kind = "faq"
	KindPlaces Kind = "places"
)

// Kinds lists the data sets.
var Kinds = []Kind{KindGuides, KindFAQ, KindPlaces}

// ParseKind accepts the name of a data set.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("data set %q: want guides, faq or places", s)
}

// Problem is one thing wrong with one record: the field (its JSON name) and what is wrong.
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (p Problem) String() string { return p.Field + ": " + p.Message }

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ValidID reports whether s is a record id: lower-case letters, digits and dashes, at most 63.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// problems collects the problems of one record.
type problems []Problem

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
}

// text checks a required or optional free-text field: valid UTF-8, no control characters other
// than newlines, at most max runes.
func (p *problems) text(field, v string, required bool, max int) {
	switch {
	case strings.TrimSpace(v) == "":
		if required {
			p.add(field, "is required")
		}
	case !utf8.ValidString(v):
		p.add(field, "is not valid UTF-8")
	case utf8.RuneCountInString(v) > max:
		p.add(field, "is longer than %d characters", max)
	case strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 && r != '\n' }):
		p.add(field, "contains control characters")
	}
}

func (p *problems) id(field, v string) {
	if !ValidID(v) {
		p.add(field, "must be 1–63 of a-z 0-9 - (got %q)", v)
	}
}

func (p *problems) level(field string, l directory.Level) {
	if l != directory.City && l != directory.District && l != directory.Town {
		p.add(field, "must be city, district or town")
	}
}

// Districts of Zibo (淄博市) and its functional areas, plus the city itself for city-level records.
var Districts = []string{"淄博市", "张店区", "淄川区", "博山区", "周村区", "临淄区", "桓台县", "高青县", "沂源县", "高新区", "经开区", "文昌湖区"}

func (p *problems) district(field, v string) {
	for _, d := range Districts {
		if d == v {
			return
		}
	}
	p.add(field, "is not a district of Zibo (%s)", strings.Join(Districts, "、"))
}

// duplicates reports ids used by more than one record.
func duplicates[T any](items []T, id func(T) string) error {
	seen := make(map[string]int, len(items))
	for i, it := range items {
		if j, ok := seen[id(it)]; ok {
			return fmt.Errorf("records %d and %d have the same id %q", j+1, i+1, id(it))
		}
		seen[id(it)] = i
	}
	return nil
}

// RecordError names the record (1-based position in its set) with problems.
type RecordError struct {
	Index    int
	ID       string
	Problems []Problem
}

func (e *RecordError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return fmt.Sprintf("record %d (%s): %s", e.Index, e.ID, strings.Join(parts, "; "))
}

func checkAll[T any](items []T, id func(T) string, check func(T) []Problem) error {
	if len(items) == 0 {
		return fmt.Errorf("the set is empty")
	}
	for i, it := range items {
		if ps := check(it); len(ps) > 0 {
			return &RecordError{Index: i + 1, ID: id(it), Problems: ps}
		}
	}
	return duplicates(items, id)
}

// CheckSet checks a whole set of any kind ([]Guide, []QA or []Place) and returns its kind and
// size; stores call it before publishing, whatever the records came from.
func CheckSet(records any) (Kind, int, error) {
	switch v := records.(type) {
	case []Guide:
		return KindGuides, len(v), CheckGuides(v)
	case []QA:
		return KindFAQ, len(v), CheckFAQ(v)
	case []Place:
		return KindPlaces, len(v), CheckPlaces(v)
	}
	return "", 0, fmt.Errorf("not a data set: %T", records)
}
