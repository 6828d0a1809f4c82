package faqindex_test

import (
	"testing"

	"banban/local/demo"
	"banban/shared/opengov"
	"banban/shared/opengov/faqindex"
)

// SetOf2000 is the demo Q&A grown to n (demo.GrowFAQ).
func SetOf2000(t testing.TB, n int) []opengov.QA { return demo.GrowFAQ(demoFAQ(t), n) }

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
