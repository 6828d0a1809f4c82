package report

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"banban/shared/calendar"
	"banban/shared/directory"
	"banban/shared/rating"
	"banban/shared/scoring"
)

const (
	scriptUnit = "<script>alert(1)</script>"
	longUnit   = "某某市某某区行政审批服务局企业开办与工程建设项目审批联合服务专区"
	colonUnit  = "税务局:第一分局"
)

func counts(levels ...int64) rating.Counts {
	var c rating.Counts
	for i, n := range levels {
		c[i+1] = n
	}
	return c
}

// input is a small city: two halls (one named with characters Excel refuses in sheet names), a
// unit per kind of awkward name, two units of the same name and a unit named like a hall.
func input(m calendar.Month, scale int64) scoring.Input {
	w := func(id, hall, unit string) directory.Window {
		return directory.Window{ID: id, HallID: hall, UnitID: unit, Number: strings.ToUpper(id), Name: "窗口 " + id}
	}
	key := func(k rating.CounterKind, id string) rating.CounterKey {
		return rating.CounterKey{Kind: k, ID: id, Month: m}
	}
	return scoring.Input{
		Month: m,
		Units: []directory.Unit{{ID: "u1", Name: "市场监管局"}, {ID: "u2", Name: "人社局"}, {ID: "u3", Name: scriptUnit},
			{ID: "u4", Name: longUnit}, {ID: "u5", Name: colonUnit}, {ID: "u6", Name: colonUnit}, {ID: "u7", Name: "市民中心"}},
		Halls: []directory.Hall{{ID: "h1", Name: "市民中心"}, {ID: "h2", Name: "东区[分中心]/24小时*自助?"}},
		Windows: []directory.Window{w("a1", "h1", "u1"), w("a2", "h1", "u1"), w("b1", "h1", "u2"), w("b2", "h2", "u2"),
			w("c1", "h2", "u3"), w("d1", "h2", "u4"), w("e1", "h2", "u5"), w("f1", "h2", "u6"), w("g1", "h1", "u7")},
		Staff:   []scoring.Person{{ID: "s1", Name: "赵丽", UnitID: "u1", HallID: "h1"}},
		Helpers: []scoring.Person{{ID: "p1", Name: "王帮办", UnitID: "u1"}},
		Figures: map[rating.CounterKey]rating.Figures{
			key(rating.WindowCounter, "a1"): {Counts: counts(0, 0, 0, 0, 200*scale), Flagged: 4},
			// 50 counted: 45 good, 3 average, 2 poor; 4 rectified in time, 1 overdue.
			key(rating.WindowCounter, "a2"): {Counts: counts(1, 1, 3, 15, 30*scale), Rectified: 4, Overdue: 1},
			key(rating.WindowCounter, "b1"): {Counts: counts(0, 0, 0, 0, 5)},
			key(rating.WindowCounter, "b2"): {Counts: counts(0, 0, 1, 10, 100)},
			key(rating.WindowCounter, "c1"): {Counts: counts(0, 1, 0, 9, 20)},
			key(rating.WindowCounter, "e1"): {Counts: counts(0, 0, 0, 3, 30)},
			key(rating.StaffCounter, "s1"):  {Counts: counts(0, 0, 0, 0, 20)},
			key(rating.StaffCounter, "p1"):  {Counts: counts(0, 0, 0, 1, 1)},
		},
		Cases: map[string]scoring.HelperCases{"p1": {Completed: 20, SLAMet: 18, Unable: 1}},
	}
}

var nov = calendar.Month{Year: 2026, Month: 11}

func compute(t *testing.T, m calendar.Month, scale int64) scoring.Report {
	t.Helper()
	r, err := scoring.CurrentRules()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := scoring.Compute(input(m, scale), r, rating.DefaultBuckets)
	if err != nil {
		t.Fatal(err)
	}
	rep.Revision = 2
	rep.GeneratedAt = time.Date(2026, 12, 1, 1, 30, 0, 0, time.UTC)
	return rep
}

func find(t *testing.T, list []scoring.Score, id string) scoring.Score {
	t.Helper()
	for _, s := range list {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("%s not scored", id)
	return scoring.Score{}
}

// sheet reads a sheet of a workbook back: its rows as text and as raw values.
type sheet struct {
	t    *testing.T
	f    *excelize.File
	name string
}

func (s sheet) value(col, row int, opts ...excelize.Options) string {
	s.t.Helper()
	c, _ := excelize.CoordinatesToCellName(col, row)
	v, err := s.f.GetCellValue(s.name, c, opts...)
	if err != nil {
		s.t.Fatal(err)
	}
	return v
}

// cell is the cell's text as Excel shows it.
func (s sheet) cell(col, row int) string {
	s.t.Helper()
	return s.value(col, row)
}

// number is the cell's value, which must be stored as a number.
func (s sheet) number(col, row int) float64 {
	s.t.Helper()
	c, _ := excelize.CoordinatesToCellName(col, row)
	typ, err := s.f.GetCellType(s.name, c)
	if err != nil {
		s.t.Fatal(err)
	}
	raw := s.value(col, row, excelize.Options{RawCellValue: true})
	v, perr := strconv.ParseFloat(raw, 64)
	if (typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber) || perr != nil {
		s.t.Fatalf("%s!%s is %q of type %v, not a number", s.name, c, raw, typ)
	}
	return v
}

// row finds the first row at or below row from (1-based) whose first cell is key.
func (s sheet) row(from int, key string) int {
	s.t.Helper()
	rows, err := s.f.GetRows(s.name)
	if err != nil {
		s.t.Fatal(err)
	}
	for i := max(from, 1) - 1; i < len(rows); i++ {
		if len(rows[i]) > 0 && rows[i][0] == key {
			return i + 1
		}
	}
	s.t.Fatalf("%s: no row %s", s.name, key)
	return 0
}

// header finds the first header row at or below row from that starts with first, and maps its
// headers to their columns.
func (s sheet) header(from int, first string) (int, map[string]int) {
	s.t.Helper()
	r := s.row(from, first)
	rows, _ := s.f.GetRows(s.name)
	cols := map[string]int{}
	for j, h := range rows[r-1] {
		cols[h] = j + 1
	}
	return r, cols
}

func open(t *testing.T, rep scoring.Report) *excelize.File {
	t.Helper()
	b, err := Workbook(rep)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestWorkbookSheets(t *testing.T) {
	f := open(t, compute(t, nov, 1))
	want := []string{SummarySheet, "市民中心", "东区_分中心__24小时_自助_", // halls
		"市场监管局", "人社局", "<script>alert(1)<_script>", string([]rune(longUnit)[:31]),
		"税务局_第一分局", "税务局_第一分局 (2)", "市民中心 (2)"} // units
	got := f.GetSheetList()
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("sheets\n got %q\nwant %q", got, want)
	}
	for _, name := range got {
		if n := len(utf16.Encode([]rune(name))); n > MaxSheetName || strings.ContainsAny(name, `[]:*?/\`) {
			t.Errorf("sheet name %q breaks Excel's rules", name)
		}
	}
}

func TestSheetNames(t *testing.T) {
	n := newSheetNamer(SummarySheet)
	for _, c := range []struct{ want, fallback, got string }{
		{"汇总", "x", "汇总 (2)"},
		{"HISTORY", "x", "HISTORY (2)"}, // Excel keeps History
		{"'引号'", "x", "引号"},
		{"引号", "x", "引号 (2)"}, // unique whatever the case or quotes
		{"  ", "单位", "单位"},
		{"a\tb", "x", "ab"},
		{strings.Repeat("长", 40), "x", strings.Repeat("长", 31)},
		{strings.Repeat("长", 40), "x", strings.Repeat("长", 27) + " (2)"},
		{"ABC", "x", "ABC"},
		{"abc", "x", "abc (2)"},
	} {
		if got := n.name(c.want, c.fallback); got != c.got {
			t.Errorf("name(%q) = %q, want %q", c.want, got, c.got)
		}
	}
}

func TestWorkbookSummary(t *testing.T) {
	rep := compute(t, nov, 1)
	s := sheet{t, open(t, rep), SummarySheet}
	for row, want := range [][2]string{{"考核月份", "2026-11"}, {"细则版本", rep.RulesVersion}, {"修订", "2"},
		{"生成时间", "2026-12-01 09:30:00"}, {"内容校验", rep.Hash}} {
		if s.cell(1, row+2) != want[0] || s.cell(2, row+2) != want[1] {
			t.Errorf("summary row %d: %q %q, want %q", row+2, s.cell(1, row+2), s.cell(2, row+2), want)
		}
	}
	if s.number(2, 4) != 2 {
		t.Error("revision is not the number 2")
	}
	top, cols := s.header(1, "类别")
	for _, h := range []string{"名称", "评价数", "非常满意", "满意", "基本满意", "不满意", "非常不满意", "好评率", "好评", "一般", "差",
		"待复核", "复核剔除", "申诉撤销", "默认评价", "整改数", "按期整改", "逾期整改", "得分", "等级", "备注"} {
		if cols[h] == 0 {
			t.Errorf("summary has no column %s", h)
		}
	}
	if s.cell(1, top+1) != "全市" || s.number(cols["评价数"], top+1) != float64(rep.City.Counted) {
		t.Errorf("city row %q %q", s.cell(1, top+1), s.cell(cols["评价数"], top+1))
	}
	h1 := find(t, rep.Halls, "h1")
	if s.cell(1, top+2) != "大厅" || s.cell(2, top+2) != "市民中心" || s.number(cols["好评率"], top+2) != h1.GoodRate ||
		s.number(cols["得分"], top+2) != h1.Score || s.number(cols["待复核"], top+2) != 4 {
		t.Errorf("hall row %q %q", s.cell(2, top+2), s.cell(cols["好评率"], top+2))
	}
	if n := len(rep.Halls) + len(rep.Units); s.cell(1, top+1+n) != "单位" || s.cell(2, top+1+n) != "市民中心" || s.cell(1, top+2+n) != "" {
		t.Errorf("the units do not end the summary: %q", s.cell(2, top+1+n))
	}
}

func TestWorkbookHallSheet(t *testing.T) {
	rep := compute(t, nov, 1)
	f := open(t, rep)
	s := sheet{t, f, "市民中心"}
	top, cols := s.header(1, "窗口编号")
	heads := []string{"窗口编号", "窗口名称", "所属单位", "评价数", "非常满意", "满意", "基本满意", "不满意", "非常不满意", "好评率",
		"一般", "差", "整改数", "按期整改", "逾期整改", "得分", "等级", "厅内排名", "红榜", "蓝榜", "备注"}
	for i, h := range heads {
		if s.cell(i+1, top) != h {
			t.Errorf("column %d is %q, want %s", i+1, s.cell(i+1, top), h)
		}
	}
	// The header is bold and stays in view.
	styleID, err := f.GetCellStyle(s.name, "A2")
	if err != nil {
		t.Fatal(err)
	}
	if st, err := f.GetStyle(styleID); err != nil || st.Font == nil || !st.Font.Bold {
		t.Errorf("header style %+v %v", st, err)
	}
	if p, err := f.GetPanes(s.name); err != nil || !p.Freeze || p.YSplit != top {
		t.Errorf("panes %+v %v", p, err)
	}
	if w, err := f.GetColWidth(s.name, "C"); err != nil || w < 10 || w > 40 {
		t.Errorf("所属单位 width %v %v", w, err)
	}
	// Windows by rank in the hall: a1 (100) first; a2 row by row as scored.
	if s.cell(1, top+1) != "A1" || s.cell(cols["红榜"], top+1) != "✓" {
		t.Errorf("first row %q red %q", s.cell(1, top+1), s.cell(cols["红榜"], top+1))
	}
	a2 := find(t, rep.Windows, "a2")
	r := s.row(top, "A2")
	for h, want := range map[string]float64{"评价数": float64(a2.Counted), "非常满意": float64(a2.Levels[4]), "满意": float64(a2.Levels[3]),
		"基本满意": float64(a2.Levels[2]), "不满意": float64(a2.Levels[1]), "非常不满意": float64(a2.Levels[0]), "好评率": a2.GoodRate,
		"一般": float64(a2.Average), "差": float64(a2.Poor), "整改数": float64(a2.Opened), "按期整改": float64(a2.Rectified),
		"逾期整改": float64(a2.Overdue), "得分": a2.Score, "厅内排名": float64(a2.RankInHall)} {
		if got := s.number(cols[h], r); got != want {
			t.Errorf("a2 %s = %v, want %v", h, got, want)
		}
	}
	for h, want := range map[string]string{"窗口名称": a2.Name, "所属单位": "市场监管局", "等级": a2.Grade, "好评率": "90.00%",
		"得分": "73.50", "红榜": "", "蓝榜": "✓", "备注": ""} {
		if got := s.cell(cols[h], r); got != want {
			t.Errorf("a2 %s = %q, want %q", h, got, want)
		}
	}
	if s.cell(cols["备注"], s.row(top, "B1")) != "样本不足" || s.cell(cols["备注"], s.row(top, "G1")) != "无评价" {
		t.Error("remarks of b1 (5 ratings) and g1 (none)")
	}
	// Only the hall's windows: b2 is in the other hall.
	rows, _ := f.GetRows(s.name)
	if len(rows) != top+4 {
		t.Errorf("hall h1 has %d rows", len(rows))
	}
	other := sheet{t, f, "东区_分中心__24小时_自助_"}
	if top2, _ := other.header(1, "窗口编号"); other.cell(3, other.row(top2, "C1")) != scriptUnit {
		t.Error("the unit of c1 is not named")
	}
}

func TestWorkbookUnitSheet(t *testing.T) {
	rep := compute(t, nov, 1)
	s := sheet{t, open(t, rep), "市场监管局"}
	top, cols := s.header(1, "窗口编号")
	if cols["单位内排名"] == 0 || cols["所属大厅"] != 3 || cols["厅内排名"] != 0 {
		t.Fatalf("unit window columns %v", cols)
	}
	a1 := find(t, rep.Windows, "a1")
	if r := s.row(top, "A1"); s.number(cols["单位内排名"], r) != float64(a1.RankInUnit) || s.cell(3, r) != "市民中心" ||
		s.number(cols["评价数"], r) != float64(a1.Counted) {
		t.Errorf("a1 in its unit: rank %q hall %q", s.cell(cols["单位内排名"], r), s.cell(3, r))
	}
	staffTop, staffCols := s.header(1, "姓名")
	if s.cell(1, staffTop-1) != "工作人员" || s.cell(1, staffTop+1) != "赵丽" || s.cell(2, staffTop+1) != "s1" ||
		s.number(staffCols["评价数"], staffTop+1) != 20 || s.number(staffCols["好评率"], staffTop+1) != 1 ||
		s.cell(staffCols["所属大厅"], staffTop+1) != "市民中心" {
		t.Errorf("staff rows at %d: %q", staffTop, s.cell(1, staffTop+1))
	}
	helperTop, helperCols := s.header(s.row(staffTop, "帮办员"), "姓名")
	p1 := find(t, rep.Helpers, "p1")
	if s.cell(1, helperTop-1) != "帮办员" || s.cell(1, helperTop+1) != "王帮办" {
		t.Fatalf("helper rows at %d: %q", helperTop, s.cell(1, helperTop+1))
	}
	for h, want := range map[string]float64{"办结件数": 20, "按时办结": 18, "无法办理": 1, "得分": p1.Score, "单位内排名": 1, "评价数": 2} {
		if got := s.number(helperCols[h], helperTop+1); got != want {
			t.Errorf("helper %s = %v, want %v", h, got, want)
		}
	}
}

func trend(t *testing.T) (scoring.Report, []scoring.Report) {
	sep, oct := calendar.Month{Year: 2026, Month: 9}, calendar.Month{Year: 2026, Month: 10}
	return compute(t, nov, 1), []scoring.Report{compute(t, sep, 3), compute(t, oct, 2)}
}

func TestHTML(t *testing.T) {
	rep, earlier := trend(t)
	b, err := HTML(rep, earlier)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	// Every unit has a bar with its rate, or says it had no rating.
	for _, u := range rep.Units {
		want := fmt.Sprintf(`data-key="%s" data-value="%s"`, u.ID, percent(u.GoodRate))
		if u.Counted == 0 {
			want = fmt.Sprintf(`data-key="%s" data-value="无评价"`, u.ID)
		}
		if !strings.Contains(page, want) {
			t.Errorf("no bar %s", want)
		}
	}
	// Every month of the trend, with its figures.
	for _, r := range append(earlier, rep) {
		avg, _ := averageScore(r)
		for _, want := range []string{`class="month" data-month="` + r.Month + `"`,
			fmt.Sprintf(`data-month="%s" data-value="%s"`, r.Month, percent(r.City.GoodRate)),
			fmt.Sprintf(`data-month="%s" data-value="%.2f"`, r.Month, avg)} {
			if !strings.Contains(page, want) {
				t.Errorf("no %s", want)
			}
		}
	}
	if strings.Index(page, `data-month="2026-09"`) > strings.Index(page, `data-month="2026-11"`) {
		t.Error("months out of order")
	}
	// Grades: a1 优秀 and g1, d1, f1 without ratings.
	for _, want := range []string{`data-key="优秀"`, `data-key="无评价" data-value="3 个窗口"`, `<svg id="chart-trend"`} {
		if !strings.Contains(page, want) {
			t.Errorf("no %s", want)
		}
	}
	// Red and blue lists by hall.
	for _, want := range []string{"<h3>市民中心</h3>", "<td>红榜</td><td>A1</td>", "<td>蓝榜</td><td>A2</td>", "东区[分中心]/24小时*自助?"} {
		if !strings.Contains(page, want) {
			t.Errorf("no %s", want)
		}
	}
	// The unit named like a script is text; the page has no script at all, and loads nothing.
	if strings.Contains(page, "<script") || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("a unit's name is not escaped")
	}
	if strings.Contains(page, "http://") || strings.Contains(page, "https://") || strings.Contains(page, "src=") {
		t.Error("the page loads something")
	}
}

func TestHTMLOneMonthAndNoFigures(t *testing.T) {
	rep := compute(t, nov, 1)
	rep.Windows, rep.Units, rep.Halls, rep.City.Counted = nil, nil, nil, 0
	b, err := HTML(rep, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"本月无单位", "本月无大厅", `class="month" data-month="2026-11"`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("no %s", want)
		}
	}
	if bytes.Contains(b, []byte("<polyline")) {
		t.Error("a line without points")
	}
	if _, err := Workbook(rep); err != nil {
		t.Error(err)
	}
}
