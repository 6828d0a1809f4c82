package report

import (
	"bytes"
	"cmp"
	_ "embed"
	"fmt"
	"html/template"
	"slices"
	"strings"

	"banban/shared/scoring"
)

//go:embed report.html.tmpl
var pageSource string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"percent": percent,
	"score":   func(v float64) string { return fmt.Sprintf("%.2f", v) },
	"note":    note,
}).Parse(pageSource))

// NoRating is the name the charts give to windows with no counted rating, whatever their grade.
const NoRating = "无评价"

// gradeOrder is the usual order of grades; a grade the rules name otherwise follows them.
var gradeOrder = []string{"优秀", "良好", "合格", "不合格"}

var gradeColors = map[string]string{"优秀": "#2e7d32", "良好": "#7cb342", "合格": "#f9a825", "不合格": "#c62828", NoRating: "#9e9e9e"}

// HTML renders a report as one self-contained HTML page: the city's figures, the grades of the
// windows, the good-rating rate of each unit, the month-on-month trend of the city's good-rating
// rate and of the windows' average score (trend: earlier reports, oldest first; a month given
// twice counts once, rep last), every hall and unit, and the red and blue lists of each hall.
// Charts are inline SVG and the page loads nothing, so it reads offline; every text is escaped.
func HTML(rep scoring.Report, trend []scoring.Report) ([]byte, error) {
	unitNames := names(rep.Units)
	v := view{
		Report:     rep,
		Generated:  generated(rep),
		GradeChart: gradeChart(rep.Windows),
		UnitChart:  unitChart(rep.Units),
		TrendChart: trendChart(append(slices.Clone(trend), rep)),
	}
	for _, g := range groups(rep.Halls, func(s scoring.Score) string { return s.HallID }, rep.Windows) {
		l := hallLists{Name: g.Name}
		for _, w := range byRank(g.Members[0], rankInHall) {
			e := listEntry{Window: w, Unit: nameOf(unitNames, w.UnitID)}
			if w.RedList {
				l.Red = append(l.Red, e)
			}
			if w.BlueList {
				l.Blue = append(l.Blue, e)
			}
		}
		slices.SortStableFunc(l.Blue, func(a, b listEntry) int {
			return cmp.Or(cmp.Compare(b.Window.Poor, a.Window.Poor), cmp.Compare(b.Window.Average, a.Window.Average))
		})
		v.Lists = append(v.Lists, l)
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, v); err != nil {
		return nil, fmt.Errorf("report page: %w", err)
	}
	return buf.Bytes(), nil
}

type view struct {
	scoring.Report
	Generated  string
	GradeChart barChart
	UnitChart  barChart
	TrendChart lineChart
	Lists      []hallLists
}

type hallLists struct {
	Name      string
	Red, Blue []listEntry
}

type listEntry struct {
	Window scoring.Score
	Unit   string // the name of its unit
}

func percent(rate float64) string { return fmt.Sprintf("%.2f%%", rate*100) }

// ---------------------------------------------------------------- bar charts

// barChart is a horizontal bar chart: a labelled bar per item, scaled to the widest.
type barChart struct {
	Width, Height int
	LabelWidth    int // where bars start
	LabelX        int // where labels end
	BarHeight     int
	Bars          []bar
	Empty         bool // no item at all
}

type bar struct {
	Key        string // the unit id or grade, as a data attribute
	Label      string // shortened to fit; Full is the whole
	Full       string
	Value      string
	Y, W       float64
	Mid        float64 // the middle of the bar, for its texts
	TextX      float64
	Color      string
	Unmeasured bool // nothing to measure: no bar, the value says why
}

type barItem struct {
	key, label, value, color string
	v                        float64
	unmeasured               bool
}

const (
	chartWidth = 720
	barHeight  = 22
	barGap     = 10
	labelWidth = 180
)

func barsOf(items []barItem, top float64) barChart {
	c := barChart{Width: chartWidth, LabelWidth: labelWidth, LabelX: labelWidth - 8, BarHeight: barHeight, Height: max(1, len(items))*(barHeight+barGap) + barGap, Empty: len(items) == 0}
	room := float64(chartWidth - labelWidth - 80) // leave space for the value
	for i, it := range items {
		w := 0.0
		if top > 0 && !it.unmeasured {
			w = room * it.v / top
		}
		c.Bars = append(c.Bars, bar{Key: it.key, Label: clip(it.label, 12), Full: it.label, Value: it.value,
			Y: float64(barGap + i*(barHeight+barGap)), Mid: float64(barGap + i*(barHeight+barGap) + barHeight/2), W: w, TextX: float64(labelWidth) + w + 6,
			Color: it.color, Unmeasured: it.unmeasured})
	}
	return c
}

// gradeChart counts the windows of each grade; windows with no counted rating count apart.
func gradeChart(windows []scoring.Score) barChart {
	count := map[string]int{}
	order := slices.Clone(gradeOrder)
	for _, w := range windows {
		g := w.Grade
		if w.Counted == 0 {
			g = NoRating
		}
		if !slices.Contains(order, g) && g != NoRating {
			order = append(order, g)
		}
		count[g]++
	}
	order = append(order, NoRating)
	var items []barItem
	top := 0
	for _, g := range order {
		top = max(top, count[g])
		items = append(items, barItem{key: g, label: g, value: fmt.Sprintf("%d 个窗口", count[g]), color: cmp.Or(gradeColors[g], "#5470c6"), v: float64(count[g])})
	}
	return barsOf(items, float64(top))
}

// unitChart shows each unit's good-rating rate, on a scale to 100%.
func unitChart(units []scoring.Score) barChart {
	var items []barItem
	for _, u := range units {
		it := barItem{key: u.ID, label: u.Name, value: percent(u.GoodRate), color: "#5470c6", v: u.GoodRate}
		if u.Counted == 0 {
			it.value, it.unmeasured = NoRating, true
		}
		items = append(items, it)
	}
	return barsOf(items, 1)
}

// ---------------------------------------------------------------- trend

// lineChart draws the months along x and 0–100 along y (a rate as a percentage, a score as is).
type lineChart struct {
	Width, Height          int
	Left, Right, Top, Base float64 // the plot area
	LabelX, MonthY         float64 // where the y labels end and the month labels stand
	Grid                   []gridLine
	Months                 []monthTick
	Series                 []series
}

type gridLine struct {
	Y     float64
	Label string
}

type monthTick struct {
	X                  float64
	Month              string
	GoodRate, AvgScore string // the figures of the month, for the table beside the chart
}

type series struct {
	Name, Color string
	Points      string // x,y pairs of a polyline
	Dots        []dot
}

type dot struct {
	X, Y  float64
	Month string
	Value string
}

// averageScore is the mean score of the windows that were rated; ok is false when none was.
func averageScore(rep scoring.Report) (float64, bool) {
	sum, n := 0.0, 0
	for _, w := range rep.Windows {
		if w.Counted > 0 {
			sum += w.Score
			n++
		}
	}
	if n == 0 {
		return 0, false
	}
	return sum / float64(n), true
}

func trendChart(reports []scoring.Report) lineChart {
	byMonth := map[string]scoring.Report{}
	for _, r := range reports {
		byMonth[r.Month] = r
	}
	months := make([]string, 0, len(byMonth))
	for m := range byMonth {
		months = append(months, m)
	}
	slices.Sort(months) // "2006-01" sorts by time
	c := lineChart{Width: chartWidth, Height: 300, Left: 48, Right: chartWidth - 24, Top: 16, Base: 252, LabelX: 40, MonthY: 272}
	y := func(v float64) float64 { return c.Base - (c.Base-c.Top)*v/100 }
	for v := 0; v <= 100; v += 20 {
		c.Grid = append(c.Grid, gridLine{Y: y(float64(v)), Label: fmt.Sprint(v)})
	}
	rate := series{Name: "全市好评率（%）", Color: "#5470c6"}
	avg := series{Name: "窗口平均得分", Color: "#ee6666"}
	step := (c.Right - c.Left) / float64(max(1, len(months)))
	for i, m := range months {
		r := byMonth[m]
		t := monthTick{X: c.Left + step*(float64(i)+0.5), Month: m, GoodRate: NoRating, AvgScore: NoRating}
		if r.City.Counted > 0 {
			t.GoodRate = percent(r.City.GoodRate)
			rate.add(t.X, y(r.City.GoodRate*100), m, t.GoodRate)
		}
		if a, ok := averageScore(r); ok {
			t.AvgScore = fmt.Sprintf("%.2f", a)
			avg.add(t.X, y(a), m, t.AvgScore)
		}
		c.Months = append(c.Months, t)
	}
	c.Series = []series{rate, avg}
	return c
}

func (s *series) add(x, y float64, month, value string) {
	s.Dots = append(s.Dots, dot{X: x, Y: y, Month: month, Value: value})
	s.Points = strings.TrimSpace(fmt.Sprintf("%s %.1f,%.1f", s.Points, x, y))
}
