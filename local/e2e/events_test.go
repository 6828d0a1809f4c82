package e2e

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"

	"banban/local/stack"
	"banban/local/template"
	"banban/local/testenv"
	"banban/shared/calendar"
	"banban/shared/directory"
	"banban/shared/dynamo"
	"banban/shared/handler/evaluationstaff"
	"banban/shared/handler/faqsearch"
	"banban/shared/handler/opengovapi"
	"banban/shared/kiosk"
	"banban/shared/rating"
	"banban/shared/routing"
	"banban/shared/scoring"
)

func sample(t *testing.T, logicalID string, v any) {
	t.Helper()
	path := filepath.Join(testenv.RepoRoot(t), "events", template.FunctionFolder(logicalID)+".json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func (s *system) invoke(t *testing.T, logicalID string, event any, out any) {
	t.Helper()
	payload, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := s.stack.Invoke(context.Background(), logicalID, payload)
	if err != nil {
		t.Fatalf("%s: %v", logicalID, err)
	}
	if err := json.Unmarshal(resp, out); err != nil {
		t.Fatalf("%s answered %s: %v", logicalID, resp, err)
	}
}

// TestEverySampleEventUnderRIE invokes each built bootstrap through the Runtime Interface Emulator
// with its events/*.json sample, the way `sam local invoke -e` would.
func TestEverySampleEventUnderRIE(t *testing.T) {
	s := start(t, func(c *stack.Config) { c.NoPollers = true })
	ctx := context.Background()
	tested := map[string]bool{}

	// The kiosk sample: the kiosk of the sample is registered, and the sample re-signed now (its
	// timestamp would be stale), with a rating of today.
	var api events.APIGatewayV2HTTPRequest
	sample(t, "EvaluationApiFunction", &api)
	w := directory.Window{ID: "zb-a01", HallID: "zb-center", UnitID: "zb-scjg"}
	k, err := kiosk.New(api.Headers["x-kiosk-id"], w.Scope(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.kiosks.Put(ctx, k); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var sub rating.Submission
	if err := json.Unmarshal([]byte(api.Body), &sub); err != nil {
		t.Fatal(err)
	}
	sub.ID, sub.RatedAt = uuid.NewString(), now.Format(time.RFC3339)
	body, err := json.Marshal(sub)
	if err != nil {
		t.Fatal(err)
	}
	api.Body = string(body)
	for name, v := range kiosk.Headers(k, api.RequestContext.HTTP.Method, api.RawPath, body, now, rand.Text()) {
		api.Headers[strings.ToLower(name)] = v
	}
	var apiResp events.APIGatewayV2HTTPResponse
	s.invoke(t, "EvaluationApiFunction", api, &apiResp)
	if apiResp.StatusCode != 202 {
		t.Errorf("evaluation-api sample: %d %s", apiResp.StatusCode, apiResp.Body)
	}
	tested["EvaluationApiFunction"] = true

	// The SQS sample: two ratings of window zb-a01 in November 2026, both new.
	var sqsEvent events.SQSEvent
	sample(t, "EvaluationIngestFunction", &sqsEvent)
	var ingestResp events.SQSEventResponse
	s.invoke(t, "EvaluationIngestFunction", sqsEvent, &ingestResp)
	if len(ingestResp.BatchItemFailures) != 0 {
		t.Errorf("evaluation-ingest sample: failures %v", ingestResp.BatchItemFailures)
	}
	// Invoked again (a redelivery), it adds nothing.
	s.invoke(t, "EvaluationIngestFunction", sqsEvent, &ingestResp)
	nov, err := calendar.ParseMonth("2026-11")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := s.ratings.WindowMonth(ctx, "zb-a01", nov); err != nil || c.Total() != int64(len(sqsEvent.Records)) {
		t.Errorf("after the ingest sample twice: %v, %v", c, err)
	}
	tested["EvaluationIngestFunction"] = true

	// The notifications sample: an overdue case, an invitation to rate and a rectification ticket
	// opened, as the jobs send them, each delivered by the log adapter; none is poison.
	var notices events.SQSEvent
	sample(t, "NotifierFunction", &notices)
	var noticesResp events.SQSEventResponse
	s.invoke(t, "NotifierFunction", notices, &noticesResp)
	if len(notices.Records) == 0 || len(noticesResp.BatchItemFailures) != 0 {
		t.Errorf("notifier sample: %d notices, failures %v", len(notices.Records), noticesResp.BatchItemFailures)
	}
	// One log line per notice, naming the ids and whether a subject is present, not the subject.
	testenv.Eventually(t, 10*time.Second, func() error {
		logs := s.logs.String()
		if n := strings.Count(logs, `"msg":"notice"`); n != len(notices.Records) {
			return fmt.Errorf("%d notice log lines, want %d", n, len(notices.Records))
		}
		if !strings.Contains(logs, `"type":"rating.invitation"`) || !strings.Contains(logs, `"hasSubject":true`) || strings.Contains(logs, `"subject"`) {
			return fmt.Errorf("notice log lines: %s", logs)
		}
		return nil
	})
	tested["NotifierFunction"] = true

	// The staff sample: the unit administrator of zb-scjg reads zb-a01 for 2026-11.
	var staff events.APIGatewayV2HTTPRequest
	sample(t, "EvaluationStaffFunction", &staff)
	var staffResp events.APIGatewayV2HTTPResponse
	s.invoke(t, "EvaluationStaffFunction", staff, &staffResp)
	var ws evaluationstaff.WindowStats
	if err := json.Unmarshal([]byte(staffResp.Body), &ws); err != nil || staffResp.StatusCode != 200 ||
		ws.WindowID != "zb-a01" || ws.Month != "2026-11" || ws.Total != int64(len(sqsEvent.Records)) {
		t.Errorf("evaluation-staff sample: %d %s", staffResp.StatusCode, staffResp.Body)
	}
	tested["EvaluationStaffFunction"] = true

	// The sign-in sample: the local WeChat stand-in knows "dev-" codes.
	var signIn events.APIGatewayV2HTTPRequest
	sample(t, "SessionApiFunction", &signIn)
	var signInResp events.APIGatewayV2HTTPResponse
	s.invoke(t, "SessionApiFunction", signIn, &signInResp)
	if signInResp.StatusCode != 201 || !strings.Contains(signInResp.Body, `"role":"citizen"`) {
		t.Errorf("session-api sample: %d %s", signInResp.StatusCode, signInResp.Body)
	}
	tested["SessionApiFunction"] = true

	// The case sample: a citizen asks for a matter of the catalogue.
	var caseReq events.APIGatewayV2HTTPRequest
	sample(t, "CaseApiFunction", &caseReq)
	var caseResp events.APIGatewayV2HTTPResponse
	s.invoke(t, "CaseApiFunction", caseReq, &caseResp)
	if caseResp.StatusCode != 201 || !strings.Contains(caseResp.Body, `"trackingNo":"BB-`) {
		t.Errorf("case-api sample: %d %s", caseResp.StatusCode, caseResp.Body)
	}
	tested["CaseApiFunction"] = true

	// The catalogue sample: agricultural matters.
	var list events.APIGatewayV2HTTPRequest
	sample(t, "CatalogApiFunction", &list)
	var listResp events.APIGatewayV2HTTPResponse
	s.invoke(t, "CatalogApiFunction", list, &listResp)
	if listResp.StatusCode != 200 || !strings.Contains(listResp.Body, `"domain":"agriculture"`) || strings.Contains(listResp.Body, `"domain":"tax"`) {
		t.Errorf("catalog-api sample: %d %.200s", listResp.StatusCode, listResp.Body)
	}
	tested["CatalogApiFunction"] = true

	// The routing sample: a case event for a case this stage does not have is consumed quietly.
	var routingEvent events.SQSEvent
	sample(t, "AgentRoutingFunction", &routingEvent)
	var routingResp events.SQSEventResponse
	s.invoke(t, "AgentRoutingFunction", routingEvent, &routingResp)
	if len(routingResp.BatchItemFailures) != 0 {
		t.Errorf("agent-routing sample: failures %v", routingResp.BatchItemFailures)
	}
	tested["AgentRoutingFunction"] = true

	// The supervision sample: nothing to watch in a new stage.
	var round map[string]any
	sample(t, "SupervisionFunction", &round)
	var sup struct{ TimedOut, Escalated, Notices int }
	s.invoke(t, "SupervisionFunction", round, &sup)
	if sup.TimedOut != 0 || sup.Escalated != 0 || sup.Notices != 0 {
		t.Errorf("supervision sample: %+v", sup)
	}
	tested["SupervisionFunction"] = true

	// The rectification watch sample: the ingest sample's average rating opened a ticket today, so
	// its unit hears of it, once; nothing is late yet.
	var watchRound map[string]any
	sample(t, "RectificationWatchFunction", &watchRound)
	for i, want := range []int{1, 0} {
		var watch struct{ Marked, Notices int }
		s.invoke(t, "RectificationWatchFunction", watchRound, &watch)
		if watch.Marked != 0 || watch.Notices != want {
			t.Errorf("rectification-watch sample, run %d: %+v", i+1, watch)
		}
	}
	tested["RectificationWatchFunction"] = true

	// The scheduled assessment scores the month just ended; run again over the same figures it
	// stores nothing new.
	var firstOfMonth map[string]any
	sample(t, "MonthlyScoringFunction", &firstOfMonth)
	for i, created := range []bool{true, false} {
		var run struct {
			Month    string
			Revision int
			Created  bool
		}
		s.invoke(t, "MonthlyScoringFunction", firstOfMonth, &run)
		if run.Revision != 1 || run.Created != created {
			t.Errorf("monthly-scoring sample, run %d: %+v", i+1, run)
		}
	}
	tested["MonthlyScoringFunction"] = true

	// The report sample: the unit administrator of zb-scjg reads November 2026, scored first on
	// request (the month of the ingest sample's ratings); the unit's own windows only.
	var november struct{ Revision int }
	s.invoke(t, "MonthlyScoringFunction", map[string]any{"month": "2026-11"}, &november)
	var reportReq events.APIGatewayV2HTTPRequest
	sample(t, "ReportApiFunction", &reportReq)
	var reportResp events.APIGatewayV2HTTPResponse
	s.invoke(t, "ReportApiFunction", reportReq, &reportResp)
	var rep scoring.Report
	if err := json.Unmarshal([]byte(reportResp.Body), &rep); err != nil || reportResp.StatusCode != 200 || november.Revision != 1 ||
		len(rep.Units) != 1 || rep.Units[0].ID != "zb-scjg" || len(rep.Halls) != 0 || len(rep.Windows) == 0 {
		t.Errorf("report-api sample: %d %.300s", reportResp.StatusCode, reportResp.Body)
	}
	for _, w := range rep.Windows {
		if w.UnitID != "zb-scjg" {
			t.Errorf("report-api sample shows window %s of unit %s", w.ID, w.UnitID)
		}
		if w.ID == "zb-a01" && w.Counted != 2 {
			t.Errorf("report-api sample: zb-a01 counted %d, want the ingest sample's 2", w.Counted)
		}
	}
	tested["ReportApiFunction"] = true

	// The helper sample: a helper sets the helper's own status (registered first).
	helpers := &dynamo.Helpers{DB: testenv.DynamoDB(t), Table: s.stack.Resources.Tables["HelpersTable"], CasesTable: s.stack.Resources.Tables["CasesTable"]}
	if err := helpers.Put(ctx, routing.Helper{ID: "helper-zc-01", Name: "郑红", Level: directory.District, UnitID: "zc-xzsp", HallID: "zc-center",
		District: "zichuan", Domains: []string{"tax"}, Capacity: 3, Status: routing.OnDuty}); err != nil {
		t.Fatal(err)
	}
	var statusReq events.APIGatewayV2HTTPRequest
	sample(t, "HelperApiFunction", &statusReq)
	var statusResp events.APIGatewayV2HTTPResponse
	s.invoke(t, "HelperApiFunction", statusReq, &statusResp)
	if statusResp.StatusCode != 200 || !strings.Contains(statusResp.Body, `"status":"away"`) {
		t.Errorf("helper-api sample: %d %s", statusResp.StatusCode, statusResp.Body)
	}
	tested["HelperApiFunction"] = true

	// The schedule sample: nothing is due in a new stage.
	var sched map[string]any
	sample(t, "CaseRetentionFunction", &sched)
	var purge struct{ Due, Purged int }
	s.invoke(t, "CaseRetentionFunction", sched, &purge)
	if purge.Due != 0 || purge.Purged != 0 {
		t.Errorf("case-retention sample: %+v", purge)
	}
	tested["CaseRetentionFunction"] = true
	// The map sample: city halls within 10 km of the centre of Zibo, nearest first.
	var places events.APIGatewayV2HTTPRequest
	sample(t, "OpenGovFunction", &places)
	var placesResp events.APIGatewayV2HTTPResponse
	s.invoke(t, "OpenGovFunction", places, &placesResp)
	var pl opengovapi.PlaceList
	if err := json.Unmarshal([]byte(placesResp.Body), &pl); err != nil || placesResp.StatusCode != 200 || len(pl.Items) == 0 ||
		pl.Items[0].ID != "zb-center" {
		t.Errorf("open-gov sample: %d %s", placesResp.StatusCode, placesResp.Body)
	}
	tested["OpenGovFunction"] = true

	// The search sample: 社保卡丢了怎么补办 finds the social security card Q&A.
	var search events.APIGatewayV2HTTPRequest
	sample(t, "FaqSearchFunction", &search)
	var searchResp events.APIGatewayV2HTTPResponse
	s.invoke(t, "FaqSearchFunction", search, &searchResp)
	var sr faqsearch.SearchResult
	if err := json.Unmarshal([]byte(searchResp.Body), &sr); err != nil || searchResp.StatusCode != 200 || len(sr.Items) == 0 ||
		!strings.HasPrefix(sr.Items[0].ID, "qa-sbk-") {
		t.Errorf("faq-search sample: %d %s", searchResp.StatusCode, searchResp.Body)
	}
	tested["FaqSearchFunction"] = true

	tpl, err := template.Load(filepath.Join(testenv.RepoRoot(t), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range tpl.Functions {
		if !tested[fn.LogicalID] {
			t.Errorf("%s has no sample-event test here", fn.LogicalID)
		}
	}
}
