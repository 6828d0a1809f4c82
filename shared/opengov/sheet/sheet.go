// Package sheet reads the spreadsheets offices keep (XLSX or CSV, one record per row under a
// header row) into checked open-government records. Every row is parsed and checked; each problem
// is reported with its row number as the spreadsheet shows it, its column and what is wrong, and
// the records are returned only when there is none: an import is all or nothing.
//
// Headers may be the Chinese labels offices use (事项名称, 申请材料, 纬度, …) or the JSON field
// names. Cells holding lists put one item per line; items with parts separate them with "|".
package sheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"banban/shared/directory"
	"banban/shared/geo"
	"banban/shared/opengov"
)

// Limits that keep a malformed or hostile file from exhausting memory.
const (
	MaxRows      = 20_000
	MaxCellRunes = 5_000
	MaxErrors    = 200
)

// RowError is one problem of one row: Row is the spreadsheet's row number (the header is row 1).
type RowError struct {
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Message string `json:"message"`
}

func (e RowError) String() string {
	if e.Row == 0 {
		return e.Message
	}
	return fmt.Sprintf("row %d, column %s: %s", e.Row, e.Column, e.Message)
}

// Invalid is returned when any row has a problem; nothing may be imported.
type Invalid struct {
	Rows   int
	Errors []RowError
	More   int // problems beyond MaxErrors, not listed
}

func (e *Invalid) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems in %d rows; nothing was imported", len(e.Errors)+e.More, e.Rows)
	for _, r := range e.Errors {
		b.WriteString("\n  " + r.String())
	}
	if e.More > 0 {
		fmt.Fprintf(&b, "\n  … and %d more", e.More)
	}
	return b.String()
}

// column is one column of a kind: its field key and the header labels accepted for it.
type column struct {
	key    string
	labels []string
	need   bool // the header must have this column
}

var columns = map[opengov.Kind][]column{
	opengov.KindGuides: {
		{"id", []string{"事项编码", "编码"}, true}, {"name", []string{"事项名称"}, true}, {"audience", []string{"服务对象"}, true},
		{"unitId", []string{"实施主体编码"}, true}, {"unitName", []string{"实施主体"}, true}, {"level", []string{"层级"}, true},
		{"district", []string{"区县"}, true}, {"conditions", []string{"办理条件"}, true}, {"materials", []string{"申请材料"}, true},
		{"steps", []string{"办理流程"}, true}, {"legalDays", []string{"法定时限"}, true}, {"promisedDays", []string{"承诺时限"}, true},
		{"timeNote", []string{"时限说明"}, false}, {"charged", []string{"是否收费"}, true}, {"feeDescription", []string{"收费说明"}, true},
		{"locations", []string{"办理地点"}, true}, {"onlineUrl", []string{"网上办理地址"}, false}, {"onlineChannels", []string{"网办渠道"}, false},
		{"basis", []string{"设定依据"}, true}, {"phone", []string{"咨询电话"}, true},
	},
	opengov.KindFAQ: {
		{"id", []string{"编号"}, true}, {"question", []string{"问题"}, true}, {"answer", []string{"答复", "回答"}, true},
		{"category", []string{"分类"}, true}, {"matter", []string{"所属事项"}, false}, {"guideId", []string{"关联指南"}, false},
		{"asks", []string{"咨询量"}, false},
	},
	opengov.KindPlaces: {
		{"id", []string{"编号"}, true}, {"name", []string{"名称"}, true}, {"type", []string{"类型"}, true},
		{"district", []string{"区县"}, true}, {"address", []string{"地址"}, true}, {"phone", []string{"电话"}, false},
		{"hours", []string{"办公时间"}, true}, {"lat", []string{"纬度"}, true}, {"lng", []string{"经度"}, true},
		{"coordSystem", []string{"坐标系"}, false}, {"services", []string{"服务事项"}, false}, {"timetable", []string{"停靠时刻"}, false},
	},
}

// Read reads the rows of a .xlsx (first sheet) or .csv file, named by name, from r.
func Read(name string, r io.Reader) ([][]string, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx":
		f, err := excelize.OpenReader(r)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", name, err)
		}
		defer f.Close()
		sheets := f.GetSheetList()
		if len(sheets) == 0 {
			return nil, fmt.Errorf("%s has no sheet", name)
		}
		rows, err := f.GetRows(sheets[0])
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		return rows, nil
	case ".csv":
		raw, err := io.ReadAll(io.LimitReader(r, 64<<20))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		// Excel writes UTF-8 CSV with a byte-order mark.
		raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
		if !utf8.Valid(raw) {
			return nil, fmt.Errorf("%s is not UTF-8 (save it as “CSV UTF-8”)", name)
		}
		cr := csv.NewReader(bytes.NewReader(raw))
		cr.FieldsPerRecord = -1
		rows, err := cr.ReadAll()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		return rows, nil
	}
	return nil, fmt.Errorf("%s: only .xlsx and .csv files are read", name)
}

// Parse turns rows (a header row, then one record per row) into the records of kind: []opengov.Guide,
// []opengov.QA or []opengov.Place. Any problem gives an *Invalid listing them all.
func Parse(kind opengov.Kind, rows [][]string) (any, error) {
	cols, ok := columns[kind]
	if !ok {
		return nil, fmt.Errorf("unknown data set %q", kind)
	}
	if len(rows) < 2 {
		return nil, &Invalid{Errors: []RowError{{Message: "the sheet needs a header row and at least one record"}}}
	}
	if len(rows)-1 > MaxRows {
		return nil, &Invalid{Rows: len(rows) - 1, Errors: []RowError{{Message: fmt.Sprintf("more than %d rows", MaxRows)}}}
	}
	idx, label, err := header(cols, rows[0])
	if err != nil {
		return nil, err
	}
	p := &parser{kind: kind, idx: idx, label: label}
	var out any
	switch kind {
	case opengov.KindGuides:
		out = parseAll(p, rows[1:], p.guide, opengov.Guide.Problems, func(g opengov.Guide) string { return g.ID })
	case opengov.KindFAQ:
		out = parseAll(p, rows[1:], p.qa, opengov.QA.Problems, func(q opengov.QA) string { return q.ID })
	default:
		out = parseAll(p, rows[1:], p.place, opengov.Place.Problems, func(pl opengov.Place) string { return pl.ID })
	}
	if len(p.errs) > 0 {
		inv := &Invalid{Rows: len(rows) - 1, Errors: p.errs}
		if len(inv.Errors) > MaxErrors {
			inv.More, inv.Errors = len(inv.Errors)-MaxErrors, inv.Errors[:MaxErrors]
		}
		return nil, inv
	}
	return out, nil
}

func header(cols []column, row []string) (map[string]int, map[string]string, error) {
	idx, label := map[string]int{}, map[string]string{}
	var errs []RowError
	for i, h := range row {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if h == "" {
			continue
		}
		found := false
		for _, c := range cols {
			if h == c.key || contains(c.labels, h) {
				if _, dup := idx[c.key]; dup {
					errs = append(errs, RowError{Row: 1, Column: h, Message: "column appears twice"})
				}
				idx[c.key], label[c.key], found = i, h, true
			}
		}
		if !found {
			errs = append(errs, RowError{Row: 1, Column: h, Message: "unknown column"})
		}
	}
	for _, c := range cols {
		if _, ok := idx[c.key]; !ok {
			label[c.key] = c.labels[0]
			if c.need {
				errs = append(errs, RowError{Row: 1, Column: c.labels[0], Message: "required column is missing"})
			}
		}
	}
	if len(errs) > 0 {
		return nil, nil, &Invalid{Errors: errs}
	}
	return idx, label, nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

type parser struct {
	kind  opengov.Kind
	idx   map[string]int
	label map[string]string
	errs  []RowError
	row   []string
	n     int // spreadsheet row number of row
}

func (p *parser) fail(key, format string, args ...any) {
	p.errs = append(p.errs, RowError{Row: p.n, Column: p.label[key], Message: fmt.Sprintf(format, args...)})
}

// cell returns the trimmed text of a column of the current row.
func (p *parser) cell(key string) string {
	i, ok := p.idx[key]
	if !ok || i >= len(p.row) {
		return ""
	}
	s := strings.TrimSpace(strings.ReplaceAll(p.row[i], "\r\n", "\n"))
	if utf8.RuneCountInString(s) > MaxCellRunes {
		p.fail(key, "longer than %d characters", MaxCellRunes)
		return ""
	}
	return s
}

// lines splits a list cell: one item per line, blank lines ignored.
func (p *parser) lines(key string) []string {
	var out []string
	for _, l := range strings.Split(p.cell(key), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func (p *parser) integer(key string, def int) int {
	s := p.cell(key)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		p.fail(key, "%q is not a whole number", s)
	}
	return n
}

func (p *parser) number(key string) float64 {
	s := p.cell(key)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		p.fail(key, "%q is not a number", s)
	}
	return f
}

func (p *parser) boolean(key string) bool {
	switch s := p.cell(key); s {
	case "是", "收费", "true", "TRUE", "1", "yes":
		return true
	case "否", "不收费", "免费", "false", "FALSE", "0", "no":
		return false
	default:
		p.fail(key, "%q: write 是 or 否", s)
		return false
	}
}

// parseAll parses every row, checks each record and the ids across rows, mapping the fields
// named by the record checks back to the sheet's columns.
func parseAll[T any](p *parser, rows [][]string, parse func() T, check func(T) []opengov.Problem, id func(T) string) []T {
	out := make([]T, 0, len(rows))
	first := map[string]int{}
	for i, row := range rows {
		p.row, p.n = row, i+2
		if blank(row) {
			continue
		}
		before := len(p.errs)
		rec := parse()
		// Every problem of the row, once per column: a cell that did not parse is not checked again.
		failed := map[string]bool{}
		for _, e := range p.errs[before:] {
			failed[e.Column] = true
		}
		for _, pr := range check(rec) {
			if col := fieldColumn(pr.Field); !failed[p.label[col]] {
				failed[p.label[col]] = true
				p.fail(col, "%s", pr.Message)
			}
		}
		if j, dup := first[id(rec)]; dup && id(rec) != "" {
			p.fail("id", "the same id as row %d", j)
		} else {
			first[id(rec)] = p.n
		}
		out = append(out, rec)
	}
	if len(out) == 0 {
		p.errs = append(p.errs, RowError{Message: "the sheet has no records"})
	}
	return out
}

func blank(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// fieldColumn maps a record field as the checks name it (materials[2].name, timeLimit.note) to
// the column it came from.
func fieldColumn(field string) string {
	switch field {
	case "timeLimit":
		return "promisedDays"
	case "timeLimit.note":
		return "timeNote"
	case "fee.description":
		return "feeDescription"
	case "online.url":
		return "onlineUrl"
	case "location":
		return "lat"
	}
	if strings.HasPrefix(field, "online.channels") {
		return "onlineChannels"
	}
	if i := strings.IndexAny(field, "[."); i > 0 {
		return field[:i]
	}
	return field
}

func (p *parser) guide() opengov.Guide {
	g := opengov.Guide{
		ID: p.cell("id"), Name: p.cell("name"), UnitID: p.cell("unitId"), UnitName: p.cell("unitName"),
		District: p.cell("district"), Conditions: p.lines("conditions"), Steps: p.lines("steps"), Basis: p.lines("basis"),
		Phone:     p.cell("phone"),
		TimeLimit: opengov.TimeLimit{LegalDays: p.integer("legalDays", 0), PromisedDays: p.integer("promisedDays", 0), Note: p.cell("timeNote")},
		Fee:       opengov.Fee{Charged: p.boolean("charged"), Description: p.cell("feeDescription")},
		Online:    opengov.Online{URL: p.cell("onlineUrl"), Channels: p.lines("onlineChannels")},
	}
	switch a := p.cell("audience"); a {
	case "自然人", "个人", "person":
		g.Audience = opengov.Person
	case "法人", "企业", "enterprise":
		g.Audience = opengov.Enterprise
	case "自然人和法人", "个人和企业", "both":
		g.Audience = opengov.Both
	default:
		p.fail("audience", "%q: write 自然人, 法人 or 自然人和法人", a)
	}
	switch l := p.cell("level"); l {
	case "市级", "city":
		g.Level = directory.City
	case "区县级", "district":
		g.Level = directory.District
	case "镇街级", "town":
		g.Level = directory.Town
	default:
		p.fail("level", "%q: write 市级, 区县级 or 镇街级", l)
	}
	for _, l := range p.lines("materials") {
		name, spec, _ := strings.Cut(l, "|")
		g.Materials = append(g.Materials, opengov.Material{Name: strings.TrimSpace(name), Spec: strings.TrimSpace(spec)})
	}
	for _, l := range p.lines("locations") {
		parts := strings.Split(l, "|")
		if len(parts) < 3 || len(parts) > 4 {
			p.fail("locations", "%q: write 名称|地址|办公时间[|电话], one place per line", l)
			continue
		}
		loc := opengov.Location{Name: strings.TrimSpace(parts[0]), Address: strings.TrimSpace(parts[1]), Hours: strings.TrimSpace(parts[2])}
		if len(parts) == 4 {
			loc.Phone = strings.TrimSpace(parts[3])
		}
		g.Locations = append(g.Locations, loc)
	}
	return g
}

func (p *parser) qa() opengov.QA {
	return opengov.QA{ID: p.cell("id"), Question: p.cell("question"), Answer: p.cell("answer"), Category: p.cell("category"),
		Matter: p.cell("matter"), GuideID: p.cell("guideId"), Asks: p.integer("asks", 0)}
}

func (p *parser) place() opengov.Place {
	pl := opengov.Place{ID: p.cell("id"), Name: p.cell("name"), District: p.cell("district"), Address: p.cell("address"),
		Phone: p.cell("phone"), Hours: p.cell("hours")}
	t := p.cell("type")
	for _, pt := range opengov.PlaceTypes {
		if t == string(pt.Type) || t == pt.Name {
			pl.Type = pt.Type
		}
	}
	if pl.Type == "" {
		p.fail("type", "%q is not one of the 18 place types", t)
	}
	at := geo.Point{Lat: p.number("lat"), Lng: p.number("lng")}
	sys := geo.GCJ02
	if s := p.cell("coordSystem"); s != "" {
		var err error
		if sys, err = geo.ParseSystem(strings.ToLower(s)); err != nil {
			p.fail("coordSystem", "%q: write gcj02 (高德、腾讯地图、微信) or wgs84 (GPS)", s)
		}
	}
	// Stored in GCJ-02, what the mini-programs draw on.
	pl.Location = geo.Convert(at, sys, geo.GCJ02)
	for _, l := range p.lines("services") {
		for _, s := range strings.Split(l, "、") {
			if s = strings.TrimSpace(s); s != "" {
				pl.Services = append(pl.Services, s)
			}
		}
	}
	for _, l := range p.lines("timetable") {
		parts := strings.Split(l, "|")
		wd, err := strconv.Atoi(strings.TrimSpace(parts[0]))
		if len(parts) != 3 || err != nil {
			p.fail("timetable", "%q: write weekday|HH:MM|HH:MM, one stop per line", l)
			continue
		}
		pl.Timetable = append(pl.Timetable, opengov.Visit{Weekday: wd, From: strings.TrimSpace(parts[1]), To: strings.TrimSpace(parts[2])})
	}
	return pl
}

// ErrInvalid reports whether err lists row problems.
func ErrInvalid(err error) (*Invalid, bool) {
	var inv *Invalid
	ok := errors.As(err, &inv)
	return inv, ok
}
