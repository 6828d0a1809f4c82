// Package faqindex is the high-frequency question search (高频问题智能检索) over the service Q&A:
// a bleve v2 full-text index in memory, analysed for Chinese, ranked with BM25 and nudged
// towards the questions people ask most.
//
// Analysis: the thesaurus of opengov.Normalize runs first as a character filter (full-width to
// ASCII, punctuation out, synonyms and abbreviations to one form, question fillers out), then
// bleve's Unicode tokenizer, CJK width folding, lower case and CJK bigrams with unigrams.
// Overlapping bigrams are the standard Chinese analysis of search engines without a dictionary
// (Lucene's CJKAnalyzer): they need no word list loaded at cold start and match reworded
// questions better than a segmenter whose word boundaries differ between the question and the
// paraphrase. Unigrams as well raised the top-1 hit rate of the paraphrase set from 72% to 84%
// (docs/benchmarks.md): colloquial questions share single characters (证, 办) more than pairs.
package faqindex

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/index/scorch"
	blevemapping "github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/registry"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"banban/shared/opengov"
)

const (
	analyzerName   = "banban_zh"
	charFilterName = "banban_thesaurus"
)

// thesaurusFilter is opengov.Normalize as a bleve character filter, so documents and queries
// are rewritten by the same code.
type thesaurusFilter struct{}

func (thesaurusFilter) Filter(in []byte) []byte { return []byte(opengov.Normalize(string(in))) }

func init() {
	// Registration fails only for a duplicate name: a programming error at start-up.
	if err := registry.RegisterCharFilter(charFilterName, func(map[string]any, *registry.Cache) (analysis.CharFilter, error) {
		return thesaurusFilter{}, nil
	}); err != nil {
		panic(err)
	}
}

// Weights of the fields and of popularity. A match in the question counts three times one in the
// answer: people ask in the words of questions; the matter's official name, twice. Popularity multiplies the text score by at most
// 1+popularityBoost, for the most-asked question of the set, so it reorders close matches and
// never lifts a poor match over a good one.
const (
	questionBoost   = 3.0
	matterBoost     = 2.0
	answerBoost     = 1.0
	popularityBoost = 0.25
	candidates      = 40
)

// MaxQueryRunes bounds the query; longer text is refused by the API.
const MaxQueryRunes = 64

// Index searches one set of Q&A.
type Index struct {
	idx      bleve.Index
	dir      string // the unpacked artifact, removed on Close ("" in memory)
	qas      []opengov.QA
	byID     map[string]int
	popWeigh []float64 // per Q&A: 1 + popularityBoost·log(1+asks)/log(1+maxAsks)
}

func mapping() (*blevemapping.IndexMappingImpl, error) {
	m := bleve.NewIndexMapping()
	m.ScoringModel = index.BM25Scoring
	if err := m.AddCustomTokenFilter("banban_bigram", map[string]any{"type": cjk.BigramName, "output_unigram": true}); err != nil {
		return nil, fmt.Errorf("faq analyser: %w", err)
	}
	if err := m.AddCustomAnalyzer(analyzerName, map[string]any{
		"type":          custom.Name,
		"char_filters":  []string{charFilterName},
		"tokenizer":     unicode.Name,
		"token_filters": []string{cjk.WidthName, lowercase.Name, "banban_bigram"},
	}); err != nil {
		return nil, fmt.Errorf("faq analyser: %w", err)
	}
	m.DefaultAnalyzer = analyzerName
	doc := bleve.NewDocumentStaticMapping()
	for _, f := range []string{"question", "matter", "answer", "category"} {
		fm := bleve.NewTextFieldMapping()
		fm.Analyzer = analyzerName
		// Only ids come back from the index; the records stay in x.qas.
		fm.Store, fm.IncludeInAll, fm.IncludeTermVectors, fm.DocValues = false, false, false, false
		doc.AddFieldMappingsAt(f, fm)
	}
	// No composite _all field: queries name their fields.
	doc.AddSubDocumentMapping("_all", bleve.NewDocumentDisabledMapping())
	m.DefaultMapping = doc
	return m, nil
}

// Build indexes a checked set of Q&A in memory.
func Build(qas []opengov.QA) (*Index, error) {
	idx, err := create("", qas)
	if err != nil {
		return nil, err
	}
	return newIndex(idx, "", qas), nil
}

// create builds the index at path ("" in memory: no files, no persister goroutines).
func create(path string, qas []opengov.QA) (bleve.Index, error) {
	m, err := mapping()
	if err != nil {
		return nil, err
	}
	idx, err := bleve.NewUsing(path, m, scorch.Name, scorch.Name, nil)
	if err != nil {
		return nil, fmt.Errorf("faq index: %w", err)
	}
	batch := idx.NewBatch()
	for _, q := range qas {
		if err := batch.Index(q.ID, map[string]any{"question": q.Question, "matter": q.Matter, "answer": q.Answer, "category": q.Category}); err != nil {
			return nil, errors.Join(fmt.Errorf("index %s: %w", q.ID, err), idx.Close())
		}
	}
	if err := idx.Batch(batch); err != nil {
		return nil, errors.Join(fmt.Errorf("faq index batch: %w", err), idx.Close())
	}
	return idx, nil
}

func newIndex(idx bleve.Index, dir string, qas []opengov.QA) *Index {
	x := &Index{idx: idx, dir: dir, qas: qas, byID: make(map[string]int, len(qas)), popWeigh: make([]float64, len(qas))}
	maxAsks := 0.0
	for i, q := range qas {
		x.byID[q.ID] = i
		maxAsks = math.Max(maxAsks, float64(q.Asks))
	}
	for i, q := range qas {
		x.popWeigh[i] = 1
		if maxAsks > 0 {
			x.popWeigh[i] += popularityBoost * math.Log1p(float64(q.Asks)) / math.Log1p(maxAsks)
		}
	}
	return x
}

// Close releases the index and removes its unpacked files.
func (x *Index) Close() error {
	err := x.idx.Close()
	if x.dir != "" {
		err = errors.Join(err, os.RemoveAll(x.dir))
	}
	return err
}

// Len is the number of Q&A.
func (x *Index) Len() int { return len(x.qas) }

// QA returns a Q&A by id.
func (x *Index) QA(id string) (opengov.QA, bool) {
	i, ok := x.byID[id]
	if !ok {
		return opengov.QA{}, false
	}
	return x.qas[i], true
}

// Hit is one answer to a search.
type Hit struct {
	QA    opengov.QA
	Score float64
}

// ErrEmptyQuery is returned for a query with nothing to search for once fillers are removed.
var ErrEmptyQuery = errors.New("the query has no searchable words")

// Search returns up to limit Q&A for text, best first.
func (x *Index) Search(ctx context.Context, text string, limit int) ([]Hit, error) {
	if utf8.RuneCountInString(text) > MaxQueryRunes {
		return nil, fmt.Errorf("query longer than %d characters", MaxQueryRunes)
	}
	fields := []struct {
		name  string
		boost float64
	}{{"question", questionBoost}, {"matter", matterBoost}, {"answer", answerBoost}, {"category", answerBoost}}
	var qs []query.Query
	for _, f := range fields {
		mq := bleve.NewMatchQuery(text)
		mq.SetField(f.name)
		mq.Analyzer = analyzerName
		mq.SetBoost(f.boost)
		qs = append(qs, mq)
	}
	tokens := x.idx.Mapping().AnalyzerNamed(analyzerName).Analyze([]byte(text))
	if len(tokens) == 0 {
		return nil, ErrEmptyQuery
	}
	req := bleve.NewSearchRequestOptions(bleve.NewDisjunctionQuery(qs...), candidates, 0, false)
	res, err := x.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("faq search: %w", err)
	}
	hits := make([]Hit, 0, len(res.Hits))
	for _, h := range res.Hits {
		i, ok := x.byID[h.ID]
		if !ok {
			continue
		}
		hits = append(hits, Hit{QA: x.qas[i], Score: h.Score * x.popWeigh[i]})
	}
	slices.SortStableFunc(hits, func(a, b Hit) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	if len(hits) > limit {
		hits = hits[:limit]
	}
	return hits, nil
}
