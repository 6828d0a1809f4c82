package faqsearch_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"banban/local/demo"
	"banban/local/stacktest"
	"banban/local/testenv"
	"banban/shared/awsclient"
	"banban/shared/config"
	"banban/shared/dynamo"
	"banban/shared/handler/faqsearch"
	"banban/shared/opengov"
	"banban/shared/opengov/faqindex"
)

// BenchmarkColdStart measures the function's init against DynamoDB Local, phase by phase, for the
// demo set and for 2,000 Q&A. "init" is everything main does before serving except the index:
// config, AWS configuration and client, reading the current set (with its packed index) and
// decoding and checking it. Then the index, both ways: built in memory from the records, or
// opened from the artifact published with them (what the function does). Each is reported in
// milliseconds and as a ratio to init, measured in the same iterations.
func BenchmarkColdStart(b *testing.B) {
	env := stacktest.Provision(b)
	db := testenv.DynamoDB(b)
	for k, v := range testenv.FunctionEnv(b) {
		b.Setenv(k, v)
	}
	b.Setenv("OPENGOV_TABLE", env.Table(b, "OpenGovTable"))
	b.Setenv("FAQ_ASKS_TABLE", env.Table(b, "FaqAsksTable"))
	recs, err := demo.ReadOpenGov(testenv.RepoRoot(b), opengov.KindFAQ)
	if err != nil {
		b.Fatal(err)
	}
	demoSet := recs.([]opengov.QA)
	for _, n := range []int{len(demoSet), 2000} {
		b.Run(fmt.Sprintf("qa-%d", n), func(b *testing.B) {
			sets := &dynamo.DataSets{DB: db, Table: env.Table(b, "OpenGovTable"), Now: time.Now}
			if _, err := demo.Publish(ctx, sets, demo.GrowFAQ(demoSet, n)); err != nil {
				b.Fatal(err)
			}
			var initT, buildT, openT time.Duration
			var packed int
			for b.Loop() {
				t0 := time.Now()
				cfg, err := config.Load[faqsearch.Config]()
				if err != nil {
					b.Fatal(err)
				}
				awsCfg, err := awsclient.Load(ctx)
				if err != nil {
					b.Fatal(err)
				}
				src := &dynamo.DataSets{DB: awsclient.DynamoDB(awsCfg), Table: cfg.OpenGovTable, Now: time.Now}
				snap, err := src.Load(ctx, opengov.KindFAQ)
				if err != nil {
					b.Fatal(err)
				}
				qs, err := opengov.Decode(snap.Records, opengov.CheckFAQ)
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				built, err := faqindex.Build(qs)
				if err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				opened, err := faqindex.Open(snap.Artifact, qs, os.TempDir())
				if err != nil {
					b.Fatal(err)
				}
				t3 := time.Now()
				initT, buildT, openT = initT+t1.Sub(t0), buildT+t2.Sub(t1), openT+t3.Sub(t2)
				packed = len(snap.Artifact)
				if err := built.Close(); err != nil {
					b.Fatal(err)
				}
				if err := opened.Close(); err != nil {
					b.Fatal(err)
				}
			}
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
			b.ReportMetric(ms(initT), "init-ms")
			b.ReportMetric(ms(buildT), "build-ms")
			b.ReportMetric(ms(openT), "open-ms")
			b.ReportMetric(float64(buildT)/float64(initT), "build/init")
			b.ReportMetric(float64(openT)/float64(initT), "open/init")
			b.ReportMetric(float64(packed)/1024, "artifact-KiB")
		})
	}
}
