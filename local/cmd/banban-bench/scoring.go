package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/google/uuid"

	"banban/local/ddbproxy"
	"banban/local/localaws"
	"banban/shared/assessment"
	"banban/shared/calendar"
	"banban/shared/directory"
	"banban/shared/dynamo"
	"banban/shared/rating"
)

// scoringPath measures the monthly assessment of a city of o.scoringWindows windows with a
// month of o.scoringRatings/10 ratings and again with o.scoringRatings: scoring reads counters,
// so its time and its DynamoDB requests must not follow the number of ratings.
func scoringPath(ctx context.Context, o options, r *report) error {
	s, err := startSystem(ctx, o, "scoring")
	if err != nil {
		return err
	}
	defer s.close()
	windows := o.scoringWindows
	d := benchCity(windows)
	tables := s.stack.Resources.Tables
	if err := (&dynamo.Directory{DB: s.ddb, Table: tables["DirectoryTable"]}).Load(ctx, d); err != nil {
		return err
	}
	// The assessor reaches DynamoDB through a counting proxy of its own.
	proxy, err := ddbproxy.Start(o.dynamo)
	if err != nil {
		return err
	}
	defer proxy.Close() //nolint:errcheck // shutting down
	counted, _, err := localaws.Clients(ctx, proxy.URL(), o.sqs)
	if err != nil {
		return err
	}
	month := assessment.Previous(time.Now())
	a, err := assessment.New(assessment.Config{RatingsTable: tables["RatingsTable"], DirectoryTable: tables["DirectoryTable"],
		HelpersTable: tables["HelpersTable"], ReportsTable: tables["ReportsTable"],
		NotificationsQueue: s.stack.Resources.Queues["NotificationsQueue"].URL, RatingBuckets: "good=4,5;average=3;poor=1,2"},
		counted, s.sqs, time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	store := &dynamo.Ratings{DB: s.ddb, Table: tables["RatingsTable"], Now: time.Now}
	type run struct {
		ratings       int
		first, repeat time.Duration // a run that stores a revision; the median of runs over unchanged figures
		requests      string
		perRun        int
	}
	var runs []run
	recorded, retries := 0, 0
	for _, total := range []int{o.scoringRatings / 10, o.scoringRatings} {
		start := time.Now()
		if err := recordMonth(ctx, store, d.Windows, month, recorded, total, o.pollers*2); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "banban-bench: scoring: %d ratings recorded in %s\n", total, time.Since(start).Round(time.Second))
		recorded = total
		proxy.Take()
		var out assessment.Outcome
		var first time.Duration
		for attempt := 1; ; attempt++ {
			// DynamoDB Local now and then cuts a response short right after a heavy load; the run
			// stores nothing before its reads are done, so a failed read is run again, and only
			// the attempt that succeeds is timed (attempts are reported).
			t0 := time.Now()
			out, err = a.Run(ctx, month)
			first = time.Since(t0)
			if err == nil {
				break
			}
			if attempt == 3 {
				return err
			}
			retries++
			fmt.Fprintf(os.Stderr, "banban-bench: scoring: run failed (%v); again\n", err)
			proxy.Take()
		}
		if !out.Created {
			return fmt.Errorf("scoring %d ratings stored no new revision", total)
		}
		st := proxy.Take()
		var again []float64
		for range 3 {
			t := time.Now()
			if _, err := a.Run(ctx, month); err != nil {
				return err
			}
			again = append(again, float64(time.Since(t)))
		}
		runs = append(runs, run{ratings: total, first: first, repeat: time.Duration(median(again)),
			requests: ddbproxy.Format(st.Requests), perRun: ddbproxy.Total(st.Requests)})
	}
	small, large := runs[0], runs[1]
	ratio := float64(large.first) / float64(small.first)
	repeatRatio := float64(large.repeat) / float64(small.repeat)
	body := fmt.Sprintf("A city of %d windows (%d halls, %d units, a clerk per window) on a stage of its own; the month's ratings recorded through the ingest's store "+
		"(`dynamo.Ratings.Record`), then `assessment.Assessor.Run` in this process through a counting proxy: the first run of each size stores a revision "+
		"and sends every unit its notice; three more runs over the unchanged figures store nothing (their median).\n\n"+
		"| ratings in the month | scoring run (new revision) | DynamoDB requests | run over unchanged figures |\n|---|---|---|---|\n"+
		"| %d | %s | %d (%s) | %s |\n| %d | %s | %d (%s) | %s |\n\n"+
		"Time ratio %d ÷ %d ratings: **%.2f×** (goal ≤ 1.5: %s); over unchanged figures %.2f×. The requests depend on the windows, units and halls (counters read in batches of 100, the directory one query per unit), not on the ratings. Runs repeated after DynamoDB Local cut a response short: %d.",
		windows, len(d.Halls), len(d.Units), small.ratings, ms(small.first), small.perRun, small.requests, ms(small.repeat),
		large.ratings, ms(large.first), large.perRun, large.requests, ms(large.repeat),
		large.ratings, small.ratings, ratio, met(ratio <= 1.5), repeatRatio, retries)
	r.add("Monthly scoring", body)
	return nil
}

// benchCity is a directory of n windows: 20 halls, 100 units, a clerk at every window.
func benchCity(n int) directory.Data {
	var d directory.Data
	for i := range 100 {
		d.Units = append(d.Units, directory.Unit{ID: fmt.Sprintf("bench-u%03d", i), Name: fmt.Sprintf("派驻单位 %d", i), Level: directory.District})
	}
	for i := range 20 {
		d.Halls = append(d.Halls, directory.Hall{ID: fmt.Sprintf("bench-h%02d", i), Name: fmt.Sprintf("政务服务大厅 %d", i),
			Level: directory.District, District: "zichuan"})
	}
	for i := range n {
		w := directory.Window{ID: fmt.Sprintf("bench-w%04d", i), HallID: d.Halls[i%20].ID, UnitID: d.Units[i%100].ID,
			Number: fmt.Sprintf("%04d", i), Name: fmt.Sprintf("窗口 %d", i)}
		d.Windows = append(d.Windows, w)
		d.Staff = append(d.Staff, directory.Staff{ID: fmt.Sprintf("bench-c%04d", i), Name: "窗口人员", Role: "clerk",
			UnitID: w.UnitID, HallID: w.HallID, WindowID: w.ID})
	}
	return d
}

// recordMonth records ratings from..to of month m, windows in turn, each window's a few minutes
// apart, from the given number of writers in batches of 10.
func recordMonth(ctx context.Context, store *dynamo.Ratings, windows []directory.Window, m calendar.Month, from, to, writers int) error {
	batches := (to - from + 9) / 10
	_, err := parallel(ctx, batches, writers, func(ctx context.Context, b int) error {
		var rs []rating.Rating
		for i := from + b*10; i < min(to, from+b*10+10); i++ {
			w := windows[i%len(windows)]
			at := m.Start().Add(time.Duration(i/len(windows)) * 3 * time.Minute)
			rs = append(rs, rating.Rating{ID: uuid.NewString(), Channel: rating.ChannelKiosk, KioskID: "k-" + w.ID, WindowID: w.ID,
				HallID: w.HallID, UnitID: w.UnitID, StaffID: "bench-c" + w.Number, Level: rating.Level(5 - i%7%5), RatedAt: at, ReceivedAt: at})
		}
		_, err := store.Record(ctx, rs)
		return err
	})
	return err
}
