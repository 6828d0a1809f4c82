package reportapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"banban/local/demo"
	"banban/local/stacktest"
	"banban/local/testenv"
	"banban/shared/appeal"
	"banban/shared/assessment"
	"banban/shared/auth"
	"banban/shared/calendar"
	"banban/shared/dynamo"
	"banban/shared/handler/reportapi"
	"banban/shared/httpapi"
	"banban/shared/rating"
	"banban/shared/report"
	"banban/shared/scoring"
)

var ctx = context.Background()

type fixture struct {
	router  *httpapi.Router
	ratings *dynamo.Ratings
	appeals *dynamo.Appeals
	sqs     *sqs.Client
	notices string
	units   int
}

func setup(t *testing.T, now time.Time) *fixture {
	t.Helper()
	env := stacktest.Provision(t)
	db, q := testenv.DynamoDB(t), testenv.SQS(t)
	d, err := demo.ReadDirectory(testenv.RepoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := (&dynamo.Directory{DB: db, Table: env.Table(t, "DirectoryTable")}).Load(ctx, d); err != nil {
		t.Fatal(err)
	}
	cfg := assessment.Config{RatingsTable: env.Table(t, "RatingsTable"), DirectoryTable: env.Table(t, "DirectoryTable"),
		HelpersTable: env.Table(t, "HelpersTable"), ReportsTable: env.Table(t, "ReportsTable"),
		NotificationsQueue: env.QueueURL(t, "NotificationsQueue"), RatingBuckets: "good=4,5;average=3;poor=1,2"}
	clock := func() time.Time { return now }
	a, err := assessment.New(cfg, db, q, clock, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	h := &reportapi.Handler{Reports: &dynamo.Reports{DB: db, Table: cfg.ReportsTable}, Assessor: a, Now: clock}
	return &fixture{router: h.Routes(slog.New(slog.NewJSONHandler(io.Discard, nil))),
		ratings: &dynamo.Ratings{DB: db, Table: cfg.RatingsTable, Now: clock, Watch: rating.DefaultWatch},
		appeals: &dynamo.Appeals{DB: db, Table: cfg.RatingsTable}, sqs: q, notices: cfg.NotificationsQueue, units: len(d.Units)}
}

func (f *fixture) call(t *testing.T, route, month string, query, claims map[string]string, out any) int {
	t.Helper()
	req := httpapi.Request{RouteKey: route, PathParameters: map[string]string{"month": month}, QueryStringParameters: query}
	req.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
		JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims}}
	resp, err := f.router.Invoke(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal([]byte(resp.Body), out); err != nil {
			t.Fatalf("%s: %v", route, err)
		}
	}
	return resp.StatusCode
}

// drainNotices takes the notices off the queue and returns them by unit.
func (f *fixture) drainNotices(t *testing.T) map[string]assessment.UnitNotice {
	t.Helper()
	got := map[string]assessment.UnitNotice{}
	for {
		out, err := f.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &f.notices, MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return got
		}
		for _, m := range out.Messages {
			var n assessment.UnitNotice
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &n); err != nil {
				t.Fatal(err)
			}
			got[n.UnitID] = n
			if _, err := f.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &f.notices, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func window(w string, level rating.Level, at time.Time) rating.Rating {
	return rating.Rating{ID: uuid.NewString(), Channel: rating.ChannelKiosk, KioskID: "k-" + w, WindowID: w, HallID: "zb-center",
		UnitID: "zb-scjg", Level: level, RatedAt: at, ReceivedAt: at}
}

func find(t *testing.T, list []scoring.Score, id string) scoring.Score {
	t.Helper()
	for _, s := range list {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("%s not in the report", id)
	return scoring.Score{}
}

var (
	city      = map[string]string{"sub": "staff:city-1", "kind": "staff", "role": "city_admin"}
	scjgAdmin = map[string]string{"sub": "staff:u-1", "kind": "staff", "role": "unit_admin", "unit": "zb-scjg"}
)

// TestMonthlyAssessment: month edges in Asia/Shanghai, flagged ratings and upheld appeals left
// out, a re-run over unchanged figures stores nothing, a late appeal makes a new revision and
// keeps the old, every unit hears its own figures once per revision, and who may read what.
func TestMonthlyAssessment(t *testing.T) {
	now := time.Date(2026, 12, 1, 2, 0, 0, 0, calendar.Shanghai)
	f := setup(t, now)
	sh := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	poor := window("zb-a01", rating.VeryDissatisfied, sh("2026-11-01T07:00:00+08:00")) // November's
	rs := []rating.Rating{
		poor,
		window("zb-a01", rating.VerySatisfied, sh("2026-10-31T23:59:59+08:00")), // October's
		window("zb-a01", rating.Satisfied, sh("2026-11-20T10:00:00+08:00")),
		// A burst of top ratings at zb-a02: the third within 30 s is flagged and not counted.
		window("zb-a02", rating.VerySatisfied, sh("2026-11-21T10:00:00+08:00")),
		window("zb-a02", rating.VerySatisfied, sh("2026-11-21T10:00:05+08:00")),
		window("zb-a02", rating.VerySatisfied, sh("2026-11-21T10:00:10+08:00")),
	}
	if _, err := f.ratings.Record(ctx, rs); err != nil {
		t.Fatal(err)
	}

	var run assessment.Outcome
	if s := f.call(t, "POST /v1/reports/{month}/runs", "2026-11", nil, city, &run); s != 201 || run.Revision != 1 || !run.Created || run.Notices != f.units {
		t.Fatalf("first run: %d %+v", s, run)
	}
	notices := f.drainNotices(t)
	if len(notices) != f.units || notices["zb-scjg"].Counted != 4 || notices["zb-scjg"].Poor != 1 || notices["zb-scjg"].BlueList != 1 ||
		notices["zb-rsj"].Counted != 0 || notices["zb-scjg"].Type != "report.published" {
		t.Errorf("notices %+v", notices)
	}
	var nov scoring.Report
	f.call(t, "GET /v1/reports/{month}", "2026-11", nil, city, &nov)
	a01, a02 := find(t, nov.Windows, "zb-a01"), find(t, nov.Windows, "zb-a02")
	if a01.Counted != 2 || a01.Poor != 1 || !a01.BlueList || a02.Counted != 2 || a02.Flagged != 1 {
		t.Errorf("November a01 %+v a02 %+v", a01, a02)
	}
	if u := find(t, nov.Units, "zb-rsj"); u.Counted != 0 || u.Score != 0 {
		t.Errorf("a unit without ratings %+v", u)
	}
	if len(nov.Halls) == 0 || nov.RulesVersion == "" || nov.City.Counted != 4 {
		t.Errorf("November head %+v", nov.City)
	}
	// October holds the rating of its last second; September is an empty month, scored anew.
	var oct assessment.Outcome
	f.call(t, "POST /v1/reports/{month}/runs", "2026-10", nil, city, &oct)
	var octRep scoring.Report
	f.call(t, "GET /v1/reports/{month}", "2026-10", nil, city, &octRep)
	if find(t, octRep.Windows, "zb-a01").Counted != 1 || octRep.City.Counted != 1 {
		t.Errorf("October %+v", find(t, octRep.Windows, "zb-a01"))
	}
	var sep scoring.Report
	f.call(t, "POST /v1/reports/{month}/runs", "2026-09", nil, city, nil)
	if s := f.call(t, "GET /v1/reports/{month}", "2026-09", nil, city, &sep); s != 200 || sep.City.Counted != 0 || len(sep.Windows) == 0 {
		t.Errorf("empty month: %d %+v", s, sep.City)
	}
	f.drainNotices(t)

	// Again over the same figures: nothing new, no notices.
	if s := f.call(t, "POST /v1/reports/{month}/runs", "2026-11", nil, city, &run); s != 200 || run.Revision != 1 || run.Created || run.Notices != 0 {
		t.Errorf("re-run: %d %+v", s, run)
	}
	if n := f.drainNotices(t); len(n) != 0 {
		t.Errorf("a re-run sent %d notices", len(n))
	}

	// A late upheld appeal takes the poor rating out: a new revision, the old one kept.
	unit := auth.Principal{Subject: "u-1", Role: auth.UnitAdmin, UnitID: "zb-scjg"}
	pending := mustPending(t, poor, unit, now)
	upheld, err := pending.Decide(auth.Principal{Subject: "city-1", Role: auth.CityAdmin}, true, "核实为误按", now)
	if err == nil {
		err = f.appeals.File(ctx, pending)
	}
	if err == nil {
		err = f.appeals.Decide(ctx, upheld)
	}
	if err != nil {
		t.Fatal(err)
	}
	if s := f.call(t, "POST /v1/reports/{month}/runs", "2026-11", nil, city, &run); s != 201 || run.Revision != 2 || run.Notices != f.units {
		t.Errorf("after the appeal: %d %+v", s, run)
	}
	var rev1, rev2 scoring.Report
	f.call(t, "GET /v1/reports/{month}", "2026-11", map[string]string{"revision": "1"}, city, &rev1)
	f.call(t, "GET /v1/reports/{month}", "2026-11", nil, city, &rev2)
	if r1, r2 := find(t, rev1.Windows, "zb-a01"), find(t, rev2.Windows, "zb-a01"); r1.Poor != 1 || r2.Poor != 0 || r2.Appealed != 1 ||
		rev2.Revision != 2 || r2.Score <= r1.Score {
		t.Errorf("revisions: 1 %+v, 2 %+v", r1, r2)
	}

	// The workbook and the charts, as the caller may see them.
	book := f.raw(t, "GET /v1/reports/{month}/workbook", "2026-11", city)
	if book.StatusCode != 200 || !book.IsBase64Encoded || !strings.HasPrefix(book.Headers["Content-Type"], "application/vnd.openxmlformats") {
		t.Fatalf("workbook: %d %v", book.StatusCode, book.Headers)
	}
	sheets := f.sheets(t, book.Body)
	if !slices.Contains(sheets, report.SummarySheet) || len(sheets) < 3 {
		t.Errorf("city workbook sheets %v", sheets)
	}
	ownBook := f.sheets(t, f.raw(t, "GET /v1/reports/{month}/workbook", "2026-11", scjgAdmin).Body)
	if len(ownBook) >= len(sheets) {
		t.Errorf("the unit's workbook has %d sheets, the city's %d", len(ownBook), len(sheets))
	}
	page := f.raw(t, "GET /v1/reports/{month}/charts", "2026-11", city)
	if page.StatusCode != 200 || !strings.HasPrefix(page.Headers["Content-Type"], "text/html") || !strings.Contains(page.Body, "<svg") ||
		!strings.Contains(page.Body, "2026-10") { // October, scored above, is in the trend
		t.Errorf("charts: %d %.200s", page.StatusCode, page.Body)
	}

	// Who reads what: a unit's administrator its own unit only; others not at all.
	var own scoring.Report
	if s := f.call(t, "GET /v1/reports/{month}", "2026-11", nil, scjgAdmin, &own); s != 200 || len(own.Units) != 1 || own.Units[0].ID != "zb-scjg" ||
		len(own.Halls) != 0 {
		t.Errorf("unit view: %d units %d halls %d", s, len(own.Units), len(own.Halls))
	}
	for _, w := range append(append(own.Windows, own.Staff...), own.Helpers...) {
		if w.UnitID != "zb-scjg" {
			t.Errorf("the unit sees %s of unit %s", w.ID, w.UnitID)
		}
	}
	other := map[string]string{"sub": "staff:u-2", "kind": "staff", "role": "unit_admin", "unit": "zb-rsj"}
	var theirs scoring.Report
	f.call(t, "GET /v1/reports/{month}", "2026-11", nil, other, &theirs)
	for _, w := range theirs.Windows {
		if w.UnitID != "zb-rsj" {
			t.Errorf("another unit sees window %s of %s", w.ID, w.UnitID)
		}
	}
	for name, claims := range map[string]map[string]string{
		"hall admin": {"sub": "staff:h", "kind": "staff", "role": "hall_admin", "hall": "zb-center"},
		"clerk":      {"sub": "staff:c", "kind": "staff", "role": "clerk", "window": "zb-a01", "unit": "zb-scjg"},
		"citizen":    {"sub": "citizen:p", "kind": "citizen", "role": "citizen"},
	} {
		if s := f.call(t, "GET /v1/reports/{month}", "2026-11", nil, claims, nil); s != 403 {
			t.Errorf("%s reads the report: %d", name, s)
		}
	}
	if s := f.call(t, "POST /v1/reports/{month}/runs", "2026-11", nil, scjgAdmin, nil); s != 403 {
		t.Errorf("a unit runs the assessment: %d", s)
	}
	for month, want := range map[string]int{"2027-01": 400, "2026-13": 400, "2026-08": 404} {
		if s := f.call(t, "GET /v1/reports/{month}", month, nil, city, nil); s != want {
			t.Errorf("GET %s: %d, want %d", month, s, want)
		}
	}
}

// raw answers a request as it goes back to the gateway.
func (f *fixture) raw(t *testing.T, route, month string, claims map[string]string) httpapi.Response {
	t.Helper()
	req := httpapi.Request{RouteKey: route, PathParameters: map[string]string{"month": month}}
	req.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
		JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims}}
	resp, err := f.router.Invoke(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// sheets opens a base64 workbook again and lists its sheets.
func (f *fixture) sheets(t *testing.T, body string) []string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close() //nolint:errcheck // read-only
	return x.GetSheetList()
}

func mustPending(t *testing.T, r rating.Rating, p auth.Principal, now time.Time) appeal.Appeal {
	t.Helper()
	a, err := appeal.File(r, rating.DefaultBuckets, p, appeal.Mistaken, "测试时误按", now)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
