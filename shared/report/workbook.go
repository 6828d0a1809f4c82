package report

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"banban/shared/rating"
	"banban/shared/scoring"
)

// SummarySheet is the name of the workbook's first sheet.
const SummarySheet = "汇总"

// Workbook renders a report as an Excel workbook: the sheet 汇总 (the month, rules version,
// revision, time and content hash; the city, every hall and every unit), then one sheet per hall
// (its windows, ranked in the hall, with their red and blue list marks) and one per unit (its
// windows ranked in the unit, its staff and its helpers). Sheets are named after their hall or
// unit, made to obey Excel's rules and unique. Figures are numbers, good-rating rates percentages.
func Workbook(rep scoring.Report) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return nil, err
	}
	if err := f.SetSheetName("Sheet1", SummarySheet); err != nil {
		return nil, err
	}
	if err := summarySheet(f, st, rep); err != nil {
		return nil, err
	}
	sheet := newSheetNamer(SummarySheet)
	unitNames, hallNames := names(rep.Units), names(rep.Halls)
	hallCols := windowColumns("所属单位", unitNames, func(s scoring.Score) string { return s.UnitID }, "厅内排名", rankInHall)
	for _, g := range groups(rep.Halls, func(s scoring.Score) string { return s.HallID }, rep.Windows) {
		w, err := newSheet(f, st, sheet.name(g.Name, "大厅"), "4472C4")
		if err != nil {
			return nil, err
		}
		w.title(fmt.Sprintf("%s · %s 窗口考核（大厅）", g.Name, rep.Month))
		w.table(hallCols, byRank(g.Members[0], rankInHall), true)
		if err := w.finish(); err != nil {
			return nil, err
		}
	}
	unitCols := windowColumns("所属大厅", hallNames, func(s scoring.Score) string { return s.HallID }, "单位内排名", rankInUnit)
	staffCols, helperCols := staffColumns(hallNames), helperColumns()
	key := func(s scoring.Score) string { return s.UnitID }
	for _, g := range groups(rep.Units, key, rep.Windows, rep.Staff, rep.Helpers) {
		w, err := newSheet(f, st, sheet.name(g.Name, "单位"), "70AD47")
		if err != nil {
			return nil, err
		}
		w.title(fmt.Sprintf("%s · %s 月度考核（单位）", g.Name, rep.Month))
		w.table(unitCols, byRank(g.Members[0], rankInUnit), true)
		if len(g.Members[1]) > 0 {
			w.section("工作人员")
			w.table(staffCols, byRank(g.Members[1], rankInUnit), false)
		}
		if len(g.Members[2]) > 0 {
			w.section("帮办员")
			w.table(helperCols, byRank(g.Members[2], rankInUnit), false)
		}
		if err := w.finish(); err != nil {
			return nil, err
		}
	}
	f.SetActiveSheet(0)
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, fmt.Errorf("report workbook: %w", err)
	}
	return buf.Bytes(), nil
}

// summarySheet writes the month's facts, then the city, its halls and its units.
func summarySheet(f *excelize.File, st styles, rep scoring.Report) error {
	w := &sheetWriter{f: f, name: SummarySheet, st: st}
	w.title(fmt.Sprintf("%s 月度考核汇总", rep.Month))
	for _, kv := range [][2]string{{"考核月份", rep.Month}, {"细则版本", rep.RulesVersion},
		{"修订", ""}, {"生成时间", generated(rep)}, {"内容校验", rep.Hash}} {
		w.row++
		var v any = kv[1]
		if kv[0] == "修订" {
			v = rep.Revision
		}
		w.put(1, kv[0], st.label)
		w.put(2, v, 0)
	}
	w.row++ // a blank line before the table
	kind := map[scoring.Kind]string{scoring.Hall: "大厅", scoring.Unit: "单位", rep.City.Kind: "全市"}
	cols := append([]column{
		{head: "类别", text: func(s scoring.Score) string { return kind[s.Kind] }},
		{head: "名称", text: func(s scoring.Score) string { return s.Name }},
	}, figureColumns(true)...)
	cols = append(cols, integrityColumns()...)
	cols = append(cols, rectificationColumns()...)
	cols = append(append(cols, resultColumns()...), remark)
	rows := append(append([]scoring.Score{rep.City}, rep.Halls...), rep.Units...)
	w.table(cols, rows, true)
	return w.finish()
}

// ---------------------------------------------------------------- columns

// column is one column of a table of scores: a text, a whole number or a decimal.
type column struct {
	head  string
	text  func(scoring.Score) string
	count func(scoring.Score) int64
	rate  func(scoring.Score) float64 // a share, shown as a percentage
	score func(scoring.Score) float64 // shown with two decimals
}

// cell is the column's value of s, its style and the text it shows (for the column's width).
func (c column) cell(s scoring.Score, st styles) (any, int, string) {
	switch {
	case c.count != nil:
		n := c.count(s)
		return n, st.count, fmt.Sprint(n)
	case c.rate != nil:
		r := c.rate(s)
		return r, st.rate, fmt.Sprintf("%.2f%%", r*100)
	case c.score != nil:
		v := c.score(s)
		return v, st.score, fmt.Sprintf("%.2f", v)
	}
	t := c.text(s)
	return t, st.text, t
}

func counted(head string, v func(scoring.Score) int64) column { return column{head: head, count: v} }

func mark(head string, on func(scoring.Score) bool) column {
	return column{head: head, text: func(s scoring.Score) string {
		if on(s) {
			return "✓"
		}
		return ""
	}}
}

// figureColumns: counted ratings, each level from best to worst, good (optionally), average and
// poor, and the good-rating rate.
func figureColumns(good bool) []column {
	cols := []column{counted("评价数", func(s scoring.Score) int64 { return s.Counted })}
	for i := len(rating.Levels) - 1; i >= 0; i-- {
		cols = append(cols, counted(rating.Levels[i].Name(), func(s scoring.Score) int64 { return s.Levels[i] }))
	}
	cols = append(cols, column{head: "好评率", rate: func(s scoring.Score) float64 { return s.GoodRate }})
	if good {
		cols = append(cols, counted("好评", func(s scoring.Score) int64 { return s.Good }))
	}
	return append(cols,
		counted("一般", func(s scoring.Score) int64 { return s.Average }),
		counted("差", func(s scoring.Score) int64 { return s.Poor }))
}

// integrityColumns: ratings that did not count (awaiting review, excluded, appealed) and defaults.
func integrityColumns() []column {
	return []column{
		counted("待复核", func(s scoring.Score) int64 { return s.Flagged }),
		counted("复核剔除", func(s scoring.Score) int64 { return s.Excluded }),
		counted("申诉撤销", func(s scoring.Score) int64 { return s.Appealed }),
		counted("默认评价", func(s scoring.Score) int64 { return s.Defaulted }),
	}
}

func rectificationColumns() []column {
	return []column{
		counted("整改数", func(s scoring.Score) int64 { return s.Opened }),
		counted("按期整改", func(s scoring.Score) int64 { return s.Rectified }),
		counted("逾期整改", func(s scoring.Score) int64 { return s.Overdue }),
	}
}

func resultColumns() []column {
	return []column{
		{head: "得分", score: func(s scoring.Score) float64 { return s.Score }},
		{head: "等级", text: func(s scoring.Score) string { return s.Grade }},
	}
}

// rankColumn numbers a member within its hall or unit.
func rankColumn(head string, rank func(scoring.Score) int) column {
	return column{head: head, count: func(s scoring.Score) int64 { return int64(rank(s)) }}
}

var remark = column{head: "备注", text: note}

// windowColumns are a window's: number, name, the unit or hall it belongs to, its figures,
// rectifications, score, grade, rank, red and blue list marks and remark.
func windowColumns(ownerHead string, owners map[string]string, owner func(scoring.Score) string, rankHead string, rank func(scoring.Score) int) []column {
	cols := []column{
		{head: "窗口编号", text: func(s scoring.Score) string { return s.Number }},
		{head: "窗口名称", text: func(s scoring.Score) string { return s.Name }},
		{head: ownerHead, text: func(s scoring.Score) string { return nameOf(owners, owner(s)) }},
	}
	cols = append(append(cols, figureColumns(false)...), rectificationColumns()...)
	return append(append(cols, resultColumns()...), rankColumn(rankHead, rank),
		mark("红榜", func(s scoring.Score) bool { return s.RedList }),
		mark("蓝榜", func(s scoring.Score) bool { return s.BlueList }), remark)
}

func person() []column {
	return []column{
		{head: "姓名", text: func(s scoring.Score) string { return s.Name }},
		{head: "人员编号", text: func(s scoring.Score) string { return s.ID }},
	}
}

func staffColumns(halls map[string]string) []column {
	cols := append(person(), column{head: "所属大厅", text: func(s scoring.Score) string {
		if s.HallID == "" {
			return ""
		}
		return nameOf(halls, s.HallID)
	}})
	cols = append(append(cols, figureColumns(false)...), integrityColumns()[:3]...)
	return append(append(cols, resultColumns()...), rankColumn("单位内排名", rankInUnit), remark)
}

func helperColumns() []column {
	cases := func(v func(scoring.HelperCases) int64) func(scoring.Score) int64 {
		return func(s scoring.Score) int64 {
			if s.Cases == nil {
				return 0
			}
			return v(*s.Cases)
		}
	}
	cols := append(person(), figureColumns(false)...)
	cols = append(cols,
		counted("办结件数", cases(func(c scoring.HelperCases) int64 { return c.Completed })),
		counted("按时办结", cases(func(c scoring.HelperCases) int64 { return c.SLAMet })),
		counted("无法办理", cases(func(c scoring.HelperCases) int64 { return c.Unable })))
	return append(append(cols, resultColumns()...), rankColumn("单位内排名", rankInUnit), remark)
}

// ---------------------------------------------------------------- sheets

type styles struct{ title, label, header, text, count, rate, score int }

func newStyles(f *excelize.File) (styles, error) {
	border := []excelize.Border{{Type: "left", Color: "BFBFBF", Style: 1}, {Type: "right", Color: "BFBFBF", Style: 1},
		{Type: "top", Color: "BFBFBF", Style: 1}, {Type: "bottom", Color: "BFBFBF", Style: 1}}
	twoDecimals := "0.00"
	var st styles
	for _, s := range []struct {
		id    *int
		style excelize.Style
	}{
		{&st.title, excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}},
		{&st.label, excelize.Style{Font: &excelize.Font{Bold: true}}},
		{&st.header, excelize.Style{Font: &excelize.Font{Bold: true}, Border: border,
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}},
		{&st.text, excelize.Style{Border: border}},
		{&st.count, excelize.Style{Border: border, NumFmt: 1}},
		{&st.rate, excelize.Style{Border: border, NumFmt: 10}}, // 0.00%
		{&st.score, excelize.Style{Border: border, CustomNumFmt: &twoDecimals}},
	} {
		id, err := f.NewStyle(&s.style)
		if err != nil {
			return styles{}, fmt.Errorf("report workbook style: %w", err)
		}
		*s.id = id
	}
	return st, nil
}

// sheetWriter writes a sheet row by row, keeping each column's widest text for its width.
type sheetWriter struct {
	f      *excelize.File
	name   string
	st     styles
	row    int       // the last row written
	widths []float64 // by column, in characters (a Chinese character counts two)
	frozen bool
	err    error
}

func newSheet(f *excelize.File, st styles, name, tab string) (*sheetWriter, error) {
	if _, err := f.NewSheet(name); err != nil {
		return nil, fmt.Errorf("report workbook sheet %q: %w", name, err)
	}
	if err := f.SetSheetProps(name, &excelize.SheetPropsOptions{TabColorRGB: &tab}); err != nil {
		return nil, fmt.Errorf("report workbook sheet %q: %w", name, err)
	}
	return &sheetWriter{f: f, name: name, st: st}, nil
}

// put writes v into column col of the current row with a style (0: none).
func (w *sheetWriter) put(col int, v any, style int) {
	if w.err != nil {
		return
	}
	c := w.cellAt(col, w.row)
	if w.err = w.f.SetCellValue(w.name, c, v); w.err == nil && style != 0 {
		w.err = w.f.SetCellStyle(w.name, c, c, style)
	}
}

// set puts v and widens its column to show text.
func (w *sheetWriter) set(col int, v any, style int, text string) {
	w.put(col, v, style)
	w.widen(col, text)
}

func (w *sheetWriter) widen(col int, s string) {
	n := 2.0
	for _, r := range s {
		if unicode.Is(unicode.Han, r) || r >= 0x3000 {
			n += 2
		} else {
			n++
		}
	}
	for len(w.widths) < col {
		w.widths = append(w.widths, 0)
	}
	w.widths[col-1] = max(w.widths[col-1], n)
}

// title writes a sheet's title, which may run over the columns beside it.
func (w *sheetWriter) title(text string) {
	w.row++
	w.put(1, text, w.st.title)
}

func (w *sheetWriter) section(text string) {
	w.row += 2
	w.set(1, text, w.st.label, text)
}

// table writes a header row and a row per score; freeze keeps the header and the first two
// columns in view (one sheet freezes once).
func (w *sheetWriter) table(cols []column, rows []scoring.Score, freeze bool) {
	w.row++
	for i, c := range cols {
		w.set(i+1, c.head, w.st.header, c.head)
	}
	if freeze && !w.frozen && w.err == nil {
		w.frozen = true
		w.err = w.f.SetPanes(w.name, &excelize.Panes{Freeze: true, XSplit: 2, YSplit: w.row,
			TopLeftCell: w.cellAt(3, w.row+1), ActivePane: "bottomRight"})
	}
	for _, s := range rows {
		w.row++
		for i, c := range cols {
			v, style, text := c.cell(s, w.st)
			w.set(i+1, v, style, text)
		}
	}
}

func (w *sheetWriter) cellAt(col, row int) string {
	c, _ := excelize.CoordinatesToCellName(col, row)
	return c
}

// finish sets the column widths, within 6 and 40 characters, and reports the first error.
func (w *sheetWriter) finish() error {
	for i, n := range w.widths {
		if w.err != nil {
			break
		}
		col, _ := excelize.ColumnNumberToName(i + 1)
		w.err = w.f.SetColWidth(w.name, col, col, min(max(n, 6), 40))
	}
	if w.err != nil {
		return fmt.Errorf("report workbook sheet %q: %w", w.name, w.err)
	}
	return nil
}

// ---------------------------------------------------------------- sheet names

// MaxSheetName is the longest sheet name Excel accepts, in UTF-16 code units.
const MaxSheetName = 31

// sheetNamer makes sheet names that Excel accepts: at most 31 characters, none of []:*?/\ and no
// control characters, not starting or ending with an apostrophe, not "History" (Excel keeps it),
// and unique regardless of case. A clash gets " (2)", " (3)", … with the name shortened to fit.
type sheetNamer struct{ used map[string]bool }

func newSheetNamer(taken ...string) *sheetNamer {
	n := &sheetNamer{used: map[string]bool{"history": true}}
	for _, t := range taken {
		n.used[strings.ToLower(t)] = true
	}
	return n
}

func (n *sheetNamer) name(want, fallback string) string {
	base := strings.Map(func(r rune) rune {
		switch {
		case strings.ContainsRune(`[]:*?/\`, r):
			return '_'
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, want)
	base = trimName(base)
	if base == "" {
		base = fallback
	}
	name := fitName(base, "")
	for i := 2; n.used[strings.ToLower(name)]; i++ {
		name = fitName(base, fmt.Sprintf(" (%d)", i))
	}
	n.used[strings.ToLower(name)] = true
	return name
}

func trimName(s string) string { return strings.Trim(strings.TrimSpace(s), "'") }

// fitName shortens base so that base and suffix together fit MaxSheetName.
func fitName(base, suffix string) string {
	room := MaxSheetName - len(utf16.Encode([]rune(suffix)))
	r := []rune(base)
	for len(utf16.Encode(r)) > room {
		r = r[:len(r)-1]
	}
	return trimName(string(r)) + suffix
}
