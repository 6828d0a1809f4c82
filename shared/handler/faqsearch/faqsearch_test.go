package faqsearch_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"banban/local/demo"
	"banban/local/stacktest"
	"banban/local/testenv"
	"banban/shared/calendar"
	"banban/shared/dynamo"
	"banban/shared/handler/faqsearch"
	"banban/shared/httpapi"
)

var (
	ctx   = context.Background()
	quiet = slog.New(slog.NewJSONHandler(io.Discard, nil))
)

func TestSearchCountsAndTop(t *testing.T) {
	env := stacktest.Provision(t)
	db := testenv.DynamoDB(t)
	sets := &dynamo.DataSets{DB: db, Table: env.Table(t, "OpenGovTable"), Now: time.Now}
	if _, err := demo.LoadOpenGov(ctx, testenv.RepoRoot(t), sets); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 30, 23, 30, 0, 0, calendar.Shanghai)
	cfg := faqsearch.Config{OpenGovTable: env.Table(t, "OpenGovTable"), FAQAsksTable: env.Table(t, "FaqAsksTable")}
	h := faqsearch.New(cfg, db, func() time.Time { return now }, quiet)
	h.Preload(ctx)
	router := h.Routes(quiet)
	get := func(route string, q map[string]string, out any) (int, string) {
		resp, err := router.Invoke(ctx, httpapi.Request{RouteKey: route, QueryStringParameters: q})
		if err != nil {
			t.Fatal(err)
		}
		if out != nil && resp.StatusCode == 200 {
			if err := json.Unmarshal([]byte(resp.Body), out); err != nil {
				t.Fatal(err)
			}
		}
		return resp.StatusCode, resp.Body
	}

	var res faqsearch.SearchResult
	// 社会保障卡 is the full name of 社保卡; 丢了 and 补办 are in the answer's words.
	for range 3 {
		if status, body := get("GET /v1/faq/search", map[string]string{"q": "社会保障卡丢了怎么补办"}, &res); status != 200 || len(res.Items) == 0 ||
			!strings.HasPrefix(res.Items[0].ID, "qa-sbk-") {
			t.Fatalf("社会保障卡: %d %s", status, body)
		}
	}
	if status, body := get("GET /v1/faq/search", map[string]string{"q": "办执照要带什么", "limit": "3"}, &res); status != 200 || len(res.Items) != 3 ||
		!strings.Contains(res.Items[0].Question+res.Items[1].Question+res.Items[2].Question, "营业执照") {
		t.Errorf("办执照: %d %s", status, body)
	}
	var top faqsearch.TopList
	if status, body := get("GET /v1/faq/top", nil, &top); status != 200 || top.Month != "2026-11" || len(top.Items) != 2 ||
		!strings.HasPrefix(top.Items[0].ID, "qa-sbk-") || top.Items[0].Asks != 3 || top.Items[1].Asks != 1 {
		t.Errorf("top: %d %s", status, body)
	}
	if _, body := get("GET /v1/faq/top", map[string]string{"month": "2026-12"}, &top); len(top.Items) != 0 {
		t.Errorf("December: %s", body)
	}
	for _, c := range []struct {
		route string
		q     map[string]string
		field string
	}{
		{"GET /v1/faq/search", nil, "q"},
		{"GET /v1/faq/search", map[string]string{"q": "   "}, "q"},
		{"GET /v1/faq/search", map[string]string{"q": strings.Repeat("医", 65)}, "q"},
		{"GET /v1/faq/search", map[string]string{"q": "请问？"}, "q"},
		{"GET /v1/faq/search", map[string]string{"q": "社保\x00"}, "q"},
		{"GET /v1/faq/search", map[string]string{"q": "社保", "limit": "21"}, "limit"},
		{"GET /v1/faq/top", map[string]string{"month": "2026-13"}, "month"},
		{"GET /v1/faq/top", map[string]string{"limit": "x"}, "limit"},
	} {
		if status, body := get(c.route, c.q, nil); status != 400 || !strings.Contains(body, `"field":"`+c.field+`"`) {
			t.Errorf("%s %q: %d %s", c.route, c.q, status, body)
		}
	}
}
