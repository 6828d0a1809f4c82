package main

import (
	"fmt"
	"runtime"
	"strings"
	"time"

	"banban/local/ddbproxy"
)

// ingestRequestGoal is the ratings issue's goal for DynamoDB requests per rating on the ingest path.
const ingestRequestGoal = 0.5

func ratingSection(f ratingFigures) string {
	var b strings.Builder
	fmt.Fprintf(&b, "The whole stack on a stage of its own (real `template.yaml`, every function's bootstrap under the RIE with %d processes per function, the local gateway, the demo directory and a kiosk per demo window). %d ratings spread over the %d demo windows, each a signed `POST /v1/evaluations` with a fresh nonce and rating id, from %d concurrent clients. evaluation-ingest runs in %d RIE processes of its own fed by %d poll loops with the template's batch size and batching window. Every function reaches DynamoDB Local through a counting proxy (`local/ddbproxy`), one for the API side and one for the ingest, so their requests are counted apart. Baselines in the same run against the same servers: single `PutItem` calls of an item shaped like a stored rating, into the run's ratings table, from the same %d clients; `SendMessage` of a rating message at the same concurrency.\n\n",
		f.procs, f.n, f.windows, f.c, f.pollers, f.pollers, f.c)

	b.WriteString("| path | ratings/s | ratio to raw PutItem/s | goal ≥ 1.0 |\n|---|---|---|---|\n")
	fmt.Fprintf(&b, "| raw PutItem (baseline) | %.0f | 1.00× | baseline |\n", f.putRate)
	fmt.Fprintf(&b, "| ingest alone: queued → counted | %.0f | %.2f× | %s |\n", f.ingestRate, f.ingestRate/f.putRate, met(f.ingestRate >= f.putRate))
	fmt.Fprintf(&b, "| end to end: first signed POST → all counted | %.0f | %.2f× | %s |\n", f.e2eRate, f.e2eRate/f.putRate, met(f.e2eRate >= f.putRate))
	fmt.Fprintf(&b, "| end to end, batch endpoint (25 ratings per signed POST /v1/evaluations/batch) | %.0f | %.2f× | %s |\n", f.batchRate, f.batchRate/f.putRate, met(f.batchRate >= f.putRate))
	fmt.Fprintf(&b, "| *for comparison:* API only, first POST → last 202 (same run) | %.0f | %.2f× | |\n", f.acceptRate, f.acceptRate/f.putRate)
	fmt.Fprintf(&b, "| *for comparison:* `dynamo.Ratings.Record` in this process, batches of 10, %d writers, no SQS/poller/RIE | %.0f | %.2f× | |\n", f.pollers, f.record, f.record/f.putRate)
	fmt.Fprintf(&b, "| *for comparison:* the same with 1 writer (%d ratings) | %.0f | %.2f× | |\n\n", f.n/2, f.record1, f.record1/f.putRate)

	b.WriteString("DynamoDB requests per rating, counted by the proxies (the ratings issue wants ≤ 0.5 on the ingest path):\n\n")
	b.WriteString("| path | requests by operation | per rating | goal ≤ 0.5 |\n|---|---|---|---|\n")
	fmt.Fprintf(&b, "| API (`evaluation-api`), end-to-end run | %s | %.3f | |\n", ddbproxy.Format(f.e2eAPIOps.Requests), perRating(f.e2eAPIOps, f.n))
	fmt.Fprintf(&b, "| API (`evaluation-api`), batch endpoint | %s | %.3f | |\n", ddbproxy.Format(f.batchAPIOps.Requests), perRating(f.batchAPIOps, f.n))
	fmt.Fprintf(&b, "| ingest (`evaluation-ingest`), ingest-alone run | %s | %.3f | %s |\n", ddbproxy.Format(f.ingestOps.Requests), perRating(f.ingestOps, f.n), met(perRating(f.ingestOps, f.n) <= ingestRequestGoal))
	fmt.Fprintf(&b, "| ingest (`evaluation-ingest`), end-to-end run | %s | %.3f | %s |\n\n", ddbproxy.Format(f.e2eIngOps.Requests), perRating(f.e2eIngOps, f.n), met(perRating(f.e2eIngOps, f.n) <= ingestRequestGoal))

	sendP50, sendP99 := quantile(f.sendLat, 0.5), quantile(f.sendLat, 0.99)
	fmt.Fprintf(&b, "Latency as seen by the %d clients; ratios against the raw `SendMessage` at the same concurrency:\n\n", f.c)
	b.WriteString("| request | p50 | p99 | ratio p50 | ratio p99 |\n|---|---|---|---|---|\n")
	row := func(name string, d []time.Duration) {
		fmt.Fprintf(&b, "| %s | %s | %s | %.2f× | %.2f× |\n", name, ms(quantile(d, 0.5)), ms(quantile(d, 0.99)),
			float64(quantile(d, 0.5))/float64(sendP50), float64(quantile(d, 0.99))/float64(sendP99))
	}
	row("raw SendMessage (baseline)", f.sendLat)
	row("raw PutItem (throughput baseline)", f.putLat)
	row(fmt.Sprintf("unsigned POST → 401: gateway + RIE + function, no AWS I/O (%d DynamoDB requests)", f.probeDDB), f.probeLat)
	row("signed `POST /v1/evaluations` → 202, end-to-end run", f.apiLat)

	fmt.Fprintf(&b, "\nCPU time per rating by process group (user + system, from `/proc`), against %d cores:\n\n", runtime.NumCPU())
	b.WriteString("| process group | raw PutItem (per item) | ingest alone | end to end |\n|---|---|---|---|\n")
	for _, g := range cpuGroupNames {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", g, cpuPer(f.putCPU, g, f.n), cpuPer(f.ingestCPU, g, f.n), cpuPer(f.e2eCPU, g, f.n))
	}
	fmt.Fprintf(&b, "| **total** | %s | %s | %s |\n", ms(f.putCPU.total()/time.Duration(f.n)), ms(f.ingestCPU.total()/time.Duration(f.n)), ms(f.e2eCPU.total()/time.Duration(f.n)))
	fmt.Fprintf(&b, "| cores busy (CPU ÷ wall time) | %.2f | %.2f | %.2f |\n", busy(f.putCPU), busy(f.ingestCPU), busy(f.e2eCPU))

	if lim := ratingLimits(f); lim != "" {
		b.WriteString("\n" + lim)
	}
	return b.String()
}

// ratingLimits explains unmet goals from the figures of the run.
func ratingLimits(f ratingFigures) string {
	var b strings.Builder
	cores := float64(runtime.NumCPU())
	explain := func(what string, rate float64, u cpuUse) {
		per := u.total() / time.Duration(f.n)
		fmt.Fprintf(&b, "- **%s not met** (%.2f×). Per rating it used %s of CPU (DynamoDB Local %s) against %s per raw PutItem (DynamoDB Local %s). ",
			what, rate/f.putRate, ms(per), cpuPer(u, cpuGroupNames[0], f.n), ms(f.putCPU.total()/time.Duration(f.n)), cpuPer(f.putCPU, cpuGroupNames[0], f.n))
		if busy(u) >= 0.85*cores {
			fmt.Fprintf(&b, "It kept %.2f of %.0f cores busy: it is bound by CPU, and at that cost per rating this machine cannot exceed %.0f ratings/s.\n", busy(u), cores, cores/per.Seconds())
		} else {
			fmt.Fprintf(&b, "It kept only %.2f of %.0f cores busy (the raw PutItems %.2f), so it is not bound by CPU alone (ceiling at that cost: %.0f ratings/s) but by steps that wait on each other.\n", busy(u), cores, busy(f.putCPU), cores/per.Seconds())
		}
	}
	if f.ingestRate < f.putRate {
		explain("Ingest alone", f.ingestRate, f.ingestCPU)
		perBatch := time.Duration(float64(f.pollers*10) / f.ingestRate * float64(time.Second))
		record := time.Duration(float64(f.pollers*10) / f.record * float64(time.Second))
		fmt.Fprintf(&b, "  Each of the %d poll loops took %s per batch of 10; `Record`'s transaction alone (run in this process with as many writers) takes %s per batch, so %s go to the receive, the RIE invocation and the delete around it. The transaction itself (one `TransactWriteItems` of up to 20 items per 10 ratings, %.2f requests per rating) runs at only %.2f× the raw PutItem rate on DynamoDB Local, and %d writers get %.2f× what one writer gets (not %d×).",
			f.pollers, ms(perBatch), ms(record), ms(perBatch-record), perRating(f.ingestOps, f.n), f.record/f.putRate, f.pollers, f.record/f.record1, f.pollers)
		if record >= perBatch*3/4 {
			b.WriteString(" The transactions' latency on DynamoDB Local, not CPU and not the poller, is what bounds the ingest here.")
		}
		b.WriteString("\n")
	}
	if f.e2eRate < f.putRate {
		explain("End to end", f.e2eRate, f.e2eCPU)
		parts := quantile(f.probeLat, 0.5) + quantile(f.putLat, 0.5) + quantile(f.sendLat, 0.5)
		if f.acceptRate < 1.25*f.e2eRate {
			fmt.Fprintf(&b, "  The API accepted %.0f ratings/s (first POST → last 202), close to the end-to-end rate, so the API is the narrower part.", f.acceptRate)
		} else {
			fmt.Fprintf(&b, "  The API accepted %.0f ratings/s (first POST → last 202), well above the end-to-end rate, so the ingest behind it is the narrower part.", f.acceptRate)
		}
		fmt.Fprintf(&b, " Each POST makes, one after another, the gateway's invocation of the function (unsigned probe p50 %s), the nonce's conditional `PutItem` (raw p50 %s) and the `SendMessage` (raw p50 %s): %s in sum, against a measured p50 of %s while the ingest shares DynamoDB Local; %d clients at that latency allow about %.0f requests/s. The kiosk cache keeps `GetItem` at %.2f per rating; the nonce `PutItem` (1 per rating) is what a replay check costs.\n",
			ms(quantile(f.probeLat, 0.5)), ms(quantile(f.putLat, 0.5)), ms(quantile(f.sendLat, 0.5)), ms(parts), ms(quantile(f.apiLat, 0.5)),
			f.c, float64(f.c)/quantile(f.apiLat, 0.5).Seconds(), float64(f.e2eAPIOps.Requests["GetItem"])/float64(f.n))
	}
	return b.String()
}

func perRating(s ddbproxy.Stats, n int) float64 {
	return float64(ddbproxy.Total(s.Requests)) / float64(n)
}

func cpuPer(u cpuUse, group string, n int) string { return ms(u.used[group] / time.Duration(n)) }

func busy(u cpuUse) float64 {
	if u.wall <= 0 {
		return 0
	}
	return u.total().Seconds() / u.wall.Seconds()
}
