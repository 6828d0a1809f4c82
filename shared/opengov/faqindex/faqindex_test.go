package faqindex_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"banban/shared/opengov"
	"banban/shared/opengov/faqindex"
)

var ctx = context.Background()

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// demoFAQ is the committed demo Q&A (data/opengov/faq.json).
func demoFAQ(t testing.TB) []opengov.QA {
	t.Helper()
	var qs []opengov.QA
	readJSON(t, filepath.Join("..", "..", "..", "data", "opengov", "faq.json"), &qs)
	if err := opengov.CheckFAQ(qs); err != nil {
		t.Fatal(err)
	}
	return qs
}

type paraphrase struct {
	Query  string `json:"query"`
	Expect string `json:"expect"`
}

// hitRate searches every paraphrase and counts the expected answer at rank 1 and within 3.
func hitRate(t testing.TB, x *faqindex.Index, ps []paraphrase) (top1, top3 int, misses []string) {
	t.Helper()
	for _, p := range ps {
		hits, err := x.Search(ctx, p.Query, 3)
		if err != nil {
			t.Fatalf("%s: %v", p.Query, err)
		}
		rank := -1
		for i, h := range hits {
			if h.QA.ID == p.Expect {
				rank = i
			}
		}
		switch {
		case rank == 0:
			top1++
			top3++
		case rank > 0:
			top3++
		default:
			got := "nothing"
			if len(hits) > 0 {
				got = hits[0].QA.ID + " " + hits[0].QA.Question
			}
			misses = append(misses, fmt.Sprintf("%s → %s (want %s)", p.Query, got, p.Expect))
		}
	}
	return top1, top3, misses
}

// TestParaphraseHitRate is the quality gate of the search: at least 100 paraphrased questions,
// worded as people type them (colloquial names of matters, other question words), each with the
// Q&A that answers it. The expected Q&A must be in the top 3 for 90% of them.
func TestParaphraseHitRate(t *testing.T) {
	x, err := faqindex.Build(demoFAQ(t))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	var ps []paraphrase
	readJSON(t, filepath.Join("testdata", "paraphrases.json"), &ps)
	if len(ps) < 100 {
		t.Fatalf("only %d paraphrases", len(ps))
	}
	for _, p := range ps {
		if _, ok := x.QA(p.Expect); !ok {
			t.Fatalf("paraphrase %q expects unknown Q&A %s", p.Query, p.Expect)
		}
	}
	top1, top3, misses := hitRate(t, x, ps)
	r1, r3 := float64(top1)/float64(len(ps)), float64(top3)/float64(len(ps))
	t.Logf("%d paraphrases: top-1 %.1f%% (%d), top-3 %.1f%% (%d)", len(ps), 100*r1, top1, 100*r3, top3)
	if testing.Verbose() || r3 < 0.9 {
		t.Logf("misses:\n%s", strings.Join(misses, "\n"))
	}
	if r3 < 0.9 {
		t.Errorf("top-3 hit rate %.1f%% < 90%%", 100*r3)
	}
}

func TestSynonymsAbbreviationsAndPopularity(t *testing.T) {
	qs := []opengov.QA{
		{ID: "a", Question: "社保缴费记录怎么查？", Answer: "在爱山东APP查询。", Category: "社保"},
		{ID: "b", Question: "个体工商户营业执照怎么办？", Answer: "到审批局窗口办理。", Category: "企业开办"},
		{ID: "c", Question: "公积金贷款有什么条件？", Answer: "连续缴存6个月。", Category: "公积金", Asks: 10},
		{ID: "d", Question: "公积金贷款是什么条件？", Answer: "连续缴存6个月。", Category: "公积金", Asks: 5000},
		{ID: "e", Question: "结婚登记要带什么？", Answer: "身份证。", Category: "民政"},
	}
	x, err := faqindex.Build(qs)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for _, c := range []struct{ q, want string }{
		{"社会保险缴费记录", "a"},  // 社会保险 = 社保
		{"个体户执照", "b"},     // 个体户 = 个体工商户, 执照 = 营业执照
		{"住房公积金贷款资格", "d"}, // equally good matches: the more asked first
		{"领结婚证需要哪些资料", "e"},
	} {
		hits, err := x.Search(ctx, c.q, 3)
		if err != nil || len(hits) == 0 || hits[0].QA.ID != c.want {
			t.Errorf("%s: %+v %v, want %s first", c.q, hits, err, c.want)
		}
	}
	if _, err := x.Search(ctx, "请问怎么呢？", 3); err == nil {
		t.Error("a query of fillers only must be refused")
	}
	if _, err := x.Search(ctx, strings.Repeat("社保", 40), 3); err == nil {
		t.Error("an overlong query must be refused")
	}
}

// The packed index answers exactly as the index built in memory, and refuses what it must.
func TestPackedIndexAnswersTheSame(t *testing.T) {
	qs := demoFAQ(t)
	packed, err := faqindex.Pack(qs)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	opened, err := faqindex.Open(packed, qs, dir)
	if err != nil {
		t.Fatal(err)
	}
	built, err := faqindex.Build(qs)
	if err != nil {
		t.Fatal(err)
	}
	defer built.Close()
	var ps []paraphrase
	readJSON(t, filepath.Join("testdata", "paraphrases.json"), &ps)
	for _, p := range ps {
		a, errA := opened.Search(ctx, p.Query, 5)
		b, errB := built.Search(ctx, p.Query, 5)
		if errA != nil || errB != nil || len(a) != len(b) {
			t.Fatalf("%s: %v %v", p.Query, errA, errB)
		}
		for i := range a {
			if a[i].QA.ID != b[i].QA.ID {
				t.Errorf("%s #%d: packed %s, built %s", p.Query, i, a[i].QA.ID, b[i].QA.ID)
			}
		}
	}
	if err := opened.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("Close left %d entries in the directory", len(left))
	}
	// An artifact of another set is refused, and so is a damaged one.
	if _, err := faqindex.Open(packed, qs[:10], dir); err == nil {
		t.Error("an artifact of another set was opened")
	}
	if _, err := faqindex.Open(packed[:len(packed)/2], qs, dir); err == nil {
		t.Error("a truncated artifact was opened")
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("failed opens left %d entries in the directory", len(left))
	}
}

func TestArtifactCannotWriteOutsideItsDirectory(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&tar.Header{Name: "../escaped", Mode: 0o600, Size: 1, Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(tw.Close(), zw.Close()); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := faqindex.Open(buf.Bytes(), nil, filepath.Join(dir)); err == nil {
		t.Fatal("an entry outside the directory was accepted")
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "escaped")); err == nil {
		t.Error("the entry was written outside the directory")
	}
}
