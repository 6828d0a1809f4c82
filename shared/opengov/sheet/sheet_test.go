package sheet_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"banban/shared/geo"
	"banban/shared/opengov"
	"banban/shared/opengov/sheet"
)

func demo[T any](t *testing.T, name string) []T {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "data", "opengov", name))
	if err != nil {
		t.Fatal(err)
	}
	var v []T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func csvOf(t *testing.T, rows [][]string) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("\ufeff") // as Excel saves “CSV UTF-8”
	w := csv.NewWriter(&b)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func xlsxOf(t *testing.T, rows [][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			t.Fatal(err)
		}
		vals := make([]any, len(r))
		for j, v := range r {
			vals[j] = v
		}
		if err := f.SetSheetRow("Sheet1", cell, &vals); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func parse(t *testing.T, kind opengov.Kind, name string, data []byte) (any, error) {
	t.Helper()
	rows, err := sheet.Read(name, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return sheet.Parse(kind, rows)
}

// The demo Q&A and places, written as the offices' spreadsheets (Chinese headers), read back equal.
func TestRoundTripOfTheDemoData(t *testing.T) {
	qs := demo[opengov.QA](t, "faq.json")
	rows := [][]string{{"编号", "问题", "答复", "分类", "所属事项", "关联指南", "咨询量"}}
	for _, q := range qs {
		rows = append(rows, []string{q.ID, q.Question, q.Answer, q.Category, q.Matter, q.GuideID, strconv.Itoa(q.Asks)})
	}
	for _, file := range []struct {
		name string
		data []byte
	}{{"faq.csv", csvOf(t, rows)}, {"faq.xlsx", xlsxOf(t, rows)}} {
		got, err := parse(t, opengov.KindFAQ, file.name, file.data)
		if err != nil || !reflect.DeepEqual(got, qs) {
			t.Errorf("%s: %v", file.name, err)
		}
	}

	ps := demo[opengov.Place](t, "places.json")
	rows = [][]string{{"编号", "名称", "类型", "区县", "地址", "电话", "办公时间", "纬度", "经度", "坐标系", "服务事项", "停靠时刻"}}
	for _, p := range ps {
		var tt []string
		for _, v := range p.Timetable {
			tt = append(tt, fmt.Sprintf("%d|%s|%s", v.Weekday, v.From, v.To))
		}
		rows = append(rows, []string{p.ID, p.Name, p.Type.Name(), p.District, p.Address, p.Phone, p.Hours,
			strconv.FormatFloat(p.Location.Lat, 'f', -1, 64), strconv.FormatFloat(p.Location.Lng, 'f', -1, 64), "gcj02",
			strings.Join(p.Services, "、"), strings.Join(tt, "\n")})
	}
	got, err := parse(t, opengov.KindPlaces, "places.csv", csvOf(t, rows))
	if err != nil || !reflect.DeepEqual(got, ps) {
		t.Errorf("places: %v", err)
	}
}

func TestRowErrorsNameRowAndColumn(t *testing.T) {
	header := []string{"编号", "名称", "类型", "区县", "地址", "办公时间", "纬度", "经度", "坐标系", "停靠时刻"}
	rows := [][]string{header,
		{"p-ok", "张店区政务服务中心", "政务服务中心", "张店区", "张店区华光路1号", "工作日", "36.81", "118.05", "", ""},
		{"p-swapped", "博山区税务服务点", "乡镇税务服务点", "博山区", "城西街道", "工作日", "117.86", "36.49", "gcj02", ""},
		{"p-ok", "重复", "tax_point", "博山区", "城西街道", "工作日", "36.49", "117.86", "", ""},
		{"p-van", "直通车停靠点", "mobile_van_stop", "文昌湖区", "商家镇", "按时刻表", "36.71", "117.83", "", "8|09:00|11:00"},
		{"p-bad", "x", "酒吧", "济南市", "", "工作日", "abc", "117.8", "bd09", ""},
	}
	_, err := parse(t, opengov.KindPlaces, "places.xlsx", xlsxOf(t, rows))
	inv, ok := sheet.ErrInvalid(err)
	if !ok {
		t.Fatalf("want row errors, got %v", err)
	}
	want := map[string]bool{
		"3/纬度":   true, // swapped coordinates: not in Zibo
		"4/编号":   true, // the id of row 2 again
		"5/停靠时刻": true, // weekday 8
		"6/类型":   true, "6/纬度": true, "6/坐标系": true,
	}
	got := map[string]bool{}
	for _, e := range inv.Errors {
		got[fmt.Sprintf("%d/%s", e.Row, e.Column)] = true
	}
	for k := range want {
		if !got[k] {
			t.Errorf("no error at %s; got %v", k, inv.Errors)
		}
	}
	if got["2/编号"] || strings.Contains(err.Error(), "row 2,") {
		t.Errorf("the valid row 2 was reported: %v", err)
	}
	// A WGS-84 coordinate is stored as GCJ-02.
	wgs := geo.Point{Lat: 36.81, Lng: 118.05}
	recs, err := parse(t, opengov.KindPlaces, "p.csv", csvOf(t, [][]string{header,
		{"p1", "张店区政务服务中心", "gov_hall", "张店区", "华光路1号", "工作日", "36.81", "118.05", "wgs84", ""}}))
	if err != nil || geo.Distance(recs.([]opengov.Place)[0].Location, geo.ToGCJ02(wgs)) > 0.01 {
		t.Errorf("wgs84 row: %v %v", recs, err)
	}
}

func TestGuideSheetAndHeaderProblems(t *testing.T) {
	header := []string{"事项编码", "事项名称", "服务对象", "实施主体编码", "实施主体", "层级", "区县", "办理条件", "申请材料", "办理流程",
		"法定时限", "承诺时限", "时限说明", "是否收费", "收费说明", "办理地点", "网上办理地址", "网办渠道", "设定依据", "咨询电话"}
	good := []string{"zd-gtdj", "个体工商户设立登记", "自然人", "zd-xzsp", "张店区行政审批服务局", "区县级", "张店区",
		"有经营能力的自然人\n有固定的经营场所", "经营者身份证件|原件\n经营场所使用证明|复印件1份", "提交申请\n审核\n领取营业执照",
		"3", "0", "当场办结", "否", "不收费", "张店区政务服务中心|张店区华光路1号|工作日9:00—17:00|0533-2000000",
		"http://zwfw.sd.gov.cn/ZB/", "爱山东APP", "《促进个体工商户发展条例》", "0533-2000000"}
	recs, err := parse(t, opengov.KindGuides, "g.xlsx", xlsxOf(t, [][]string{header, good}))
	if err != nil {
		t.Fatal(err)
	}
	g := recs.([]opengov.Guide)[0]
	if len(g.Materials) != 2 || g.Materials[1].Spec != "复印件1份" || g.Locations[0].Phone != "0533-2000000" || g.Level != "district" {
		t.Errorf("guide %+v", g)
	}
	bad := append([]string(nil), good...)
	bad[0], bad[5], bad[10], bad[11], bad[13], bad[15] = "zd-x", "省级", "三天", "5", "也许", "只有名称"
	_, err = parse(t, opengov.KindGuides, "g.csv", csvOf(t, [][]string{header, good, bad}))
	inv, ok := sheet.ErrInvalid(err)
	if !ok {
		t.Fatalf("want row errors, got %v", err)
	}
	cols := map[string]bool{}
	for _, e := range inv.Errors {
		if e.Row != 3 {
			t.Errorf("error on row %d: %v", e.Row, e)
		}
		cols[e.Column] = true
	}
	for _, c := range []string{"层级", "法定时限", "是否收费", "办理地点"} {
		if !cols[c] {
			t.Errorf("no error in column %s: %v", c, inv.Errors)
		}
	}
	// Header problems: a missing required column and an unknown one.
	_, err = parse(t, opengov.KindFAQ, "f.csv", csvOf(t, [][]string{{"编号", "问题", "分类", "备注"}, {"q1", "问", "社保", "x"}}))
	if inv, ok := sheet.ErrInvalid(err); !ok || !strings.Contains(err.Error(), "答复") || !strings.Contains(err.Error(), "备注") || inv.Errors[0].Row != 1 {
		t.Errorf("header: %v", err)
	}
	if _, err := sheet.Read("f.txt", bytes.NewReader(nil)); err == nil {
		t.Error("a .txt file was read")
	}
	if _, err := sheet.Read("f.csv", bytes.NewReader([]byte("\xff\xfe"))); err == nil {
		t.Error("a non-UTF-8 CSV was read")
	}
}
