// Package report renders a month's assessment (月度考核, a scoring.Report) for people: Workbook
// makes the Excel workbook offices pass on (a summary sheet, one sheet per hall and one per unit),
// HTML a self-contained page with charts drawn as inline SVG, readable without a network.
//
// It only renders: it reads nothing and stores nothing.
package report

import (
	"cmp"
	"slices"
	"unicode/utf8"

	"banban/shared/calendar"
	"banban/shared/scoring"
)

// group is a hall or a unit of the report with the scores that belong to it: one list of members
// for each list grouped (windows; or windows, staff and helpers).
type group struct {
	ID, Name string
	Members  [][]scoring.Score
}

// groups groups each list by key under owners (the report's halls or units, in its order). An id
// that a member names but no owner has gets a group of its own after them, named by the id, so no
// member is left out.
func groups(owners []scoring.Score, key func(scoring.Score) string, lists ...[]scoring.Score) []group {
	var out []group
	at := map[string]int{}
	add := func(id, name string) int {
		if i, ok := at[id]; ok {
			return i
		}
		at[id] = len(out)
		out = append(out, group{ID: id, Name: name, Members: make([][]scoring.Score, len(lists))})
		return at[id]
	}
	for _, o := range owners {
		add(o.ID, o.Name)
	}
	for li, list := range lists {
		for _, s := range list {
			i := add(key(s), key(s))
			out[i].Members[li] = append(out[i].Members[li], s)
		}
	}
	return out
}

// names maps the ids of scores to their names.
func names(list []scoring.Score) map[string]string {
	m := make(map[string]string, len(list))
	for _, s := range list {
		m[s.ID] = s.Name
	}
	return m
}

// nameOf is the name of id, or the id itself when it has none.
func nameOf(m map[string]string, id string) string {
	if n := m[id]; n != "" {
		return n
	}
	return id
}

// byRank sorts scores by a rank, then by window number and id.
func byRank(list []scoring.Score, rank func(scoring.Score) int) []scoring.Score {
	list = slices.Clone(list)
	slices.SortStableFunc(list, func(a, b scoring.Score) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a.Number, b.Number), cmp.Compare(a.ID, b.ID))
	})
	return list
}

func rankInHall(s scoring.Score) int { return s.RankInHall }
func rankInUnit(s scoring.Score) int { return s.RankInUnit }

// note is what a score's remark says: nothing rated, or too few ratings to be more than provisional.
func note(s scoring.Score) string {
	switch {
	case s.Counted == 0 && (s.Cases == nil || s.Cases.Completed == 0):
		return "无评价"
	case s.Provisional:
		return "样本不足"
	}
	return ""
}

// generated is the time a report was made, in Shanghai, or "" when it has none.
func generated(rep scoring.Report) string {
	if rep.GeneratedAt.IsZero() {
		return ""
	}
	return rep.GeneratedAt.In(calendar.Shanghai).Format("2006-01-02 15:04:05")
}

// clip shortens s to at most n runes, ending it with "…" when cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
