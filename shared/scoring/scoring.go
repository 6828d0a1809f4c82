package scoring

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"banban/shared/calendar"
	"banban/shared/directory"
	"banban/shared/rating"
)

// Kind is what a score is of.
type Kind string

// The kinds scored.
const (
	Window Kind = "window"
	Staff  Kind = "staff"
	Helper Kind = "helper"
	Unit   Kind = "unit"
	Hall   Kind = "hall"
	City   Kind = "city" // the whole city's figures
)

// HelperCases are a helper's case figures of the month (from the routing figures).
type HelperCases struct {
	Completed int64 `json:"completed"`
	SLAMet    int64 `json:"slaMet"` // completed within the promised time
	Unable    int64 `json:"unable"`
}

// Person is a staff member or a helper as the report names them.
type Person struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	UnitID string `json:"unitId"`
	HallID string `json:"hallId,omitempty"`
}

// Input is everything a month is scored from: the directory and each one's monthly figures.
type Input struct {
	Month   calendar.Month
	Units   []directory.Unit
	Halls   []directory.Hall
	Windows []directory.Window
	Staff   []Person
	Helpers []Person
	// Figures by counter: windows, staff and helpers (STAFF), units' and halls' case ratings.
	Figures map[rating.CounterKey]rating.Figures
	// Cases of each helper, by id.
	Cases map[string]HelperCases
}

// Rectifications are the month's rectification tickets of a window: opened (its average and
// poor ratings), verified within their deadline, and left overdue.
type Rectifications struct {
	Opened    int64 `json:"opened"`
	Rectified int64 `json:"rectified"`
	Overdue   int64 `json:"overdue"`
}

// Score is one scored window, staff member, helper, unit or hall.
type Score struct {
	Kind      Kind     `json:"kind"`
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Number    string   `json:"number,omitempty"` // a window's number
	HallID    string   `json:"hallId,omitempty"`
	UnitID    string   `json:"unitId,omitempty"`
	Counted   int64    `json:"counted"`
	Levels    [5]int64 `json:"levels"` // counted ratings of levels 1 to 5
	Good      int64    `json:"good"`
	Average   int64    `json:"average"`
	Poor      int64    `json:"poor"`
	GoodRate  float64  `json:"goodRate"`
	Flagged   int64    `json:"flagged"`
	Excluded  int64    `json:"excluded"`
	Appealed  int64    `json:"appealed"`
	Defaulted int64    `json:"defaulted"`
	Rectifications
	Cases       *HelperCases `json:"cases,omitempty"`
	Score       float64      `json:"score"`
	Grade       string       `json:"grade"`
	Provisional bool         `json:"provisional,omitempty"` // fewer counted ratings than the rules' minimum
	RankInHall  int          `json:"rankInHall,omitempty"`
	RankInUnit  int          `json:"rankInUnit,omitempty"`
	RedList     bool         `json:"redList,omitempty"`
	BlueList    bool         `json:"blueList,omitempty"`
}

// Report is a month's assessment.
type Report struct {
	Month        string    `json:"month"`
	RulesVersion string    `json:"rulesVersion"`
	Revision     int       `json:"revision"`
	GeneratedAt  time.Time `json:"generatedAt"`
	// Hash identifies the content (everything but revision, time and hash): a re-run over
	// unchanged figures has the same hash and makes no new revision.
	Hash    string  `json:"hash"`
	City    Score   `json:"city"`
	Halls   []Score `json:"halls"`
	Units   []Score `json:"units"`
	Windows []Score `json:"windows"`
	Staff   []Score `json:"staff"`
	Helpers []Score `json:"helpers"`
}

// Compute scores a month by the rules and buckets.
func Compute(in Input, r Rules, b rating.Buckets) (Report, error) {
	rep := Report{Month: in.Month.String(), RulesVersion: r.Version, Halls: []Score{}, Units: []Score{},
		Windows: []Score{}, Staff: []Score{}, Helpers: []Score{}}
	fig := func(k rating.CounterKind, id string) rating.Figures {
		return in.Figures[rating.CounterKey{Kind: k, ID: id, Month: in.Month}]
	}
	unitSum, hallSum := map[string]rating.Figures{}, map[string]rating.Figures{}
	var city rating.Figures
	for _, w := range in.Windows {
		f := fig(rating.WindowCounter, w.ID)
		unitSum[w.UnitID], hallSum[w.HallID], city = unitSum[w.UnitID].Plus(f), hallSum[w.HallID].Plus(f), city.Plus(f)
		s := r.score(Window, w.ID, w.Name, f, b)
		s.Number, s.HallID, s.UnitID = w.Number, w.HallID, w.UnitID
		rep.Windows = append(rep.Windows, s)
	}
	for _, u := range in.Units {
		f := unitSum[u.ID].Plus(fig(rating.UnitCases, u.ID))
		city = city.Plus(fig(rating.UnitCases, u.ID))
		rep.Units = append(rep.Units, r.score(Unit, u.ID, u.Name, f, b))
	}
	for _, h := range in.Halls {
		rep.Halls = append(rep.Halls, r.score(Hall, h.ID, h.Name, hallSum[h.ID].Plus(fig(rating.HallCases, h.ID)), b))
	}
	for _, p := range in.Staff {
		s := r.score(Staff, p.ID, p.Name, fig(rating.StaffCounter, p.ID), b)
		s.UnitID, s.HallID = p.UnitID, p.HallID
		rep.Staff = append(rep.Staff, s)
	}
	for _, p := range in.Helpers {
		c := in.Cases[p.ID]
		s := r.helperScore(p, fig(rating.StaffCounter, p.ID), c, b)
		rep.Helpers = append(rep.Helpers, s)
	}
	rep.City = r.score(City, "city", "全市", city, b)
	for _, list := range [][]Score{rep.Windows, rep.Staff, rep.Helpers, rep.Units, rep.Halls} {
		slices.SortFunc(list, byID)
	}
	rank(rep.Windows, func(s Score) string { return s.HallID }, func(s *Score, n int) { s.RankInHall = n })
	rank(rep.Windows, func(s Score) string { return s.UnitID }, func(s *Score, n int) { s.RankInUnit = n })
	rank(rep.Staff, func(s Score) string { return s.UnitID }, func(s *Score, n int) { s.RankInUnit = n })
	rank(rep.Helpers, func(s Score) string { return s.UnitID }, func(s *Score, n int) { s.RankInUnit = n })
	r.lists(rep.Windows)
	hash, err := rep.contentHash()
	if err != nil {
		return Report{}, err
	}
	rep.Hash = hash
	return rep, nil
}

func byID(a, b Score) int { return cmp.Compare(a.ID, b.ID) }

// score scores figures f: the good-rating rate, the volume and the rectifications, less the
// deductions, within 0–100, to two decimals.
func (r Rules) score(k Kind, id, name string, f rating.Figures, b rating.Buckets) Score {
	s := base(k, id, name, f, b)
	s.Rectifications = Rectifications{Opened: s.Average + s.Poor, Rectified: f.Rectified, Overdue: f.Overdue}
	rect := 1.0
	if s.Opened > 0 {
		rect = math.Min(1, float64(s.Rectified)/float64(s.Opened))
	}
	points := s.GoodRate*r.Points.GoodRate + share(s.Counted, r.VolumeTarget)*r.Points.Volume + rect*r.Points.Rectification
	points -= float64(s.Poor)*r.Deductions.Poor + float64(s.Average)*r.Deductions.Average + float64(s.Overdue)*r.Deductions.Overdue
	if s.Counted == 0 {
		points = 0 // nothing rated: no score, shown as such
	}
	return r.finish(s, points)
}

// helperScore scores a helper on the requesters' ratings and the cases completed in time.
func (r Rules) helperScore(p Person, f rating.Figures, c HelperCases, b rating.Buckets) Score {
	s := base(Helper, p.ID, p.Name, f, b)
	s.UnitID, s.HallID, s.Cases = p.UnitID, p.HallID, &c
	sla := 0.0
	if c.Completed > 0 {
		sla = float64(c.SLAMet) / float64(c.Completed)
	}
	rate := s.GoodRate
	if s.Counted == 0 {
		rate = 1 // no requester rated: the ratings neither add nor take away
	}
	points := rate*r.Helper.GoodRate + sla*r.Helper.SLAMet + share(c.Completed, r.Helper.VolumeTarget)*r.Helper.Volume
	points -= float64(s.Poor)*r.Deductions.Poor + float64(s.Average)*r.Deductions.Average
	if c.Completed == 0 && s.Counted == 0 {
		points = 0
	}
	s = r.finish(s, points)
	s.Provisional = c.Completed < r.MinimumRatings
	return s
}

func base(k Kind, id, name string, f rating.Figures, b rating.Buckets) Score {
	sum := b.Summarize(f.Counts)
	s := Score{Kind: k, ID: id, Name: name, Counted: f.Counts.Total(), Good: sum.Good, Average: sum.Average, Poor: sum.Poor,
		GoodRate: round(sum.GoodRate, 4), Flagged: f.Flagged, Excluded: f.Excluded, Appealed: f.Appealed, Defaulted: f.Defaulted}
	for i, l := range rating.Levels {
		s.Levels[i] = f.Counts[l]
	}
	return s
}

func (r Rules) finish(s Score, points float64) Score {
	s.Score = round(math.Max(0, math.Min(100, points)), 2)
	s.Grade = r.Grade(s.Score)
	s.Provisional = s.Counted < r.MinimumRatings
	return s
}

func share(n, target int64) float64 { return math.Min(1, float64(n)/float64(target)) }

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}

// rank numbers the scores within each group from 1, best first: higher score, then more counted
// ratings, then id. Equal scores and counts share a rank (1, 2, 2, 4).
func rank(list []Score, group func(Score) string, set func(*Score, int)) {
	idx := map[string][]int{}
	for i, s := range list {
		idx[group(s)] = append(idx[group(s)], i)
	}
	for _, members := range idx {
		slices.SortStableFunc(members, func(a, b int) int { return better(list[a], list[b]) })
		n := 0
		for pos, i := range members {
			if pos == 0 || list[members[pos-1]].Score != list[i].Score || list[members[pos-1]].Counted != list[i].Counted {
				n = pos + 1
			}
			set(&list[i], n)
		}
	}
}

func better(a, b Score) int {
	if c := cmp.Compare(b.Score, a.Score); c != 0 {
		return c
	}
	if c := cmp.Compare(b.Counted, a.Counted); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// lists marks each hall's red list (its best windows by the rules) and blue list (every window
// with an average or poor rating).
func (r Rules) lists(windows []Score) {
	byHall := map[string][]int{}
	for i, w := range windows {
		w.BlueList = w.Average+w.Poor > 0
		windows[i] = w
		if w.Poor == 0 && w.Counted >= r.MinimumRatings && w.Score >= r.RedList.MinScore {
			byHall[w.HallID] = append(byHall[w.HallID], i)
		}
	}
	for _, idx := range byHall {
		slices.SortStableFunc(idx, func(a, b int) int { return better(windows[a], windows[b]) })
		for _, i := range idx[:min(len(idx), r.RedList.Top)] {
			windows[i].RedList = true
		}
	}
}

// contentHash is the SHA-256 of the report without its revision, time and hash.
func (rep Report) contentHash() (string, error) {
	rep.Revision, rep.GeneratedAt, rep.Hash = 0, time.Time{}, ""
	b, err := json.Marshal(rep)
	if err != nil {
		return "", fmt.Errorf("hash report: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
