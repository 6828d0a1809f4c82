package faqindex_test

import (
	"fmt"
	"testing"

	"banban/shared/opengov"
	"banban/shared/opengov/faqindex"
)

// SetOf2000 grows the demo Q&A to n the way a city's real set grows: the same questions asked
// of each district's hall (the seed counts 1,951 Q&A for Zibo).
func SetOf2000(t testing.TB, n int) []opengov.QA {
	demo := demoFAQ(t)
	out := make([]opengov.QA, 0, n)
	for round := 0; len(out) < n; round++ {
		district := opengov.Districts[round%len(opengov.Districts)]
		for _, q := range demo {
			if len(out) == n {
				break
			}
			if round > 0 {
				q.ID = fmt.Sprintf("%s-r%d", q.ID, round)
				q.Question = district + q.Question
				q.Answer = district + "：" + q.Answer
			}
			out = append(out, q)
		}
	}
	return out
}

var queries = []string{"社保卡丢了怎么补办", "开个体户办执照要带什么", "公积金租房提取", "二手房过户多少钱", "异地就医备案手机上能办吗",
	"结婚登记要什么材料", "张店区政务服务中心在哪里", "身份证过期了怎么换", "退休手续流程", "居民医保怎么交"}

// BenchmarkSearch2000 is one search over 2,000 Q&A (ns/op per query).
func BenchmarkSearch2000(b *testing.B) {
	x, err := faqindex.Build(SetOf2000(b, 2000))
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := x.Search(ctx, queries[i%len(queries)], 5); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuild2000 is the index build of a cold start over 2,000 Q&A.
func BenchmarkBuild2000(b *testing.B) {
	qs := SetOf2000(b, 2000)
	for b.Loop() {
		x, err := faqindex.Build(qs)
		if err != nil {
			b.Fatal(err)
		}
		if err := x.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
