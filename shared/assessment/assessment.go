// Package assessment runs the monthly assessment (月度考核): it gathers a month's figures — the
// directory, every window's, staff member's and helper's monthly counters, the helpers' case
// figures — scores them by the rules in force, stores the report as a new revision when its
// content changed, and sends every stationed unit its own figures. It reads counters, never
// ratings, and no table is scanned.
package assessment

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"banban/shared/calendar"
	"banban/shared/directory"
	"banban/shared/dynamo"
	"banban/shared/notice"
	"banban/shared/queue"
	"banban/shared/rating"
	"banban/shared/routing"
	"banban/shared/scoring"
)

// Directory lists the whole directory.
type Directory interface {
	All(ctx context.Context) (directory.Data, error)
}

// Counters reads monthly counters in batches.
type Counters interface {
	Figures(ctx context.Context, keys []rating.CounterKey) (map[rating.CounterKey]rating.Figures, error)
}

// Helpers lists the helpers' teams and reads their case figures.
type Helpers interface {
	Team(ctx context.Context, level directory.Level, district string) ([]routing.Helper, error)
	Figures(ctx context.Context, helperID string, m calendar.Month) (dynamo.HelperFigures, error)
}

// Reports keeps the report revisions.
type Reports interface {
	Save(ctx context.Context, rep scoring.Report) (dynamo.Saved, error)
	MarkNoticed(ctx context.Context, m calendar.Month, rev int) error
}

// Sender puts notices on the notifications queue.
type Sender interface {
	Send(ctx context.Context, v any) error
}

// Assessor runs the assessment of a month.
type Assessor struct {
	Directory Directory
	Counters  Counters
	Helpers   Helpers
	Reports   Reports
	Notices   Sender
	Rules     scoring.Rules
	Buckets   rating.Buckets
	Now       func() time.Time
	Log       *slog.Logger
}

// Outcome is what a run did.
type Outcome struct {
	Month    string `json:"month"`
	Revision int    `json:"revision"`
	Created  bool   `json:"created"` // false: the figures had not changed since the latest revision
	Hash     string `json:"hash"`
	Notices  int    `json:"notices"`
}

// Run scores month m: a new revision when the figures changed, the latest one again when not;
// the units' notices of the revision are sent once.
func (a *Assessor) Run(ctx context.Context, m calendar.Month) (Outcome, error) {
	in, err := a.Input(ctx, m)
	if err != nil {
		return Outcome{}, err
	}
	rep, err := scoring.Compute(in, a.Rules, a.Buckets)
	if err != nil {
		return Outcome{}, err
	}
	rep.GeneratedAt = a.Now().UTC()
	saved, err := a.Reports.Save(ctx, rep)
	if err != nil {
		return Outcome{}, err
	}
	rev, created := saved.Revision, saved.Created
	out := Outcome{Month: m.String(), Revision: rev, Created: created, Hash: rep.Hash}
	if saved.Noticed < rev {
		rep.Revision = rev
		for _, n := range Notices(rep) {
			if err := a.Notices.Send(ctx, n); err != nil {
				return out, fmt.Errorf("report notice to %s: %w", n.UnitID, err) // a re-run sends the rest
			}
			out.Notices++
		}
		if err := a.Reports.MarkNoticed(ctx, m, rev); err != nil {
			return out, err
		}
	}
	a.Log.Info("monthly assessment", "month", out.Month, "revision", rev, "created", created, "notices", out.Notices,
		"windows", len(rep.Windows), "units", len(rep.Units))
	return out, nil
}

// Input gathers month m's figures: the directory in one query plus one per unit, the counters in
// batches of 100, the helpers team by team.
func (a *Assessor) Input(ctx context.Context, m calendar.Month) (scoring.Input, error) {
	d, err := a.Directory.All(ctx)
	if err != nil {
		return scoring.Input{}, err
	}
	in := scoring.Input{Month: m, Units: d.Units, Halls: d.Halls, Windows: d.Windows, Cases: map[string]scoring.HelperCases{}}
	var keys []rating.CounterKey
	add := func(k rating.CounterKind, id string) {
		keys = append(keys, rating.CounterKey{Kind: k, ID: id, Month: m})
	}
	for _, w := range d.Windows {
		add(rating.WindowCounter, w.ID)
	}
	for _, u := range d.Units {
		add(rating.UnitCases, u.ID)
	}
	for _, h := range d.Halls {
		add(rating.HallCases, h.ID)
	}
	for _, st := range d.Staff {
		if st.WindowID == "" {
			continue // administrators are not rated; clerks are, at their windows
		}
		in.Staff = append(in.Staff, scoring.Person{ID: st.ID, Name: st.Name, UnitID: st.UnitID, HallID: st.HallID})
		add(rating.StaffCounter, st.ID)
	}
	helpers, err := a.helpers(ctx)
	if err != nil {
		return scoring.Input{}, err
	}
	for _, hp := range helpers {
		in.Helpers = append(in.Helpers, scoring.Person{ID: hp.ID, Name: hp.Name, UnitID: hp.UnitID, HallID: hp.HallID})
		add(rating.StaffCounter, hp.ID)
		f, err := a.Helpers.Figures(ctx, hp.ID, m)
		if err != nil {
			return scoring.Input{}, err
		}
		in.Cases[hp.ID] = scoring.HelperCases{Completed: f.Completed, SLAMet: f.SLAMet, Unable: f.Unable}
	}
	if in.Figures, err = a.Counters.Figures(ctx, keys); err != nil {
		return scoring.Input{}, err
	}
	return in, nil
}

// helpers lists every helper once, team by team (city, and each district's levels).
func (a *Assessor) helpers(ctx context.Context) ([]routing.Helper, error) {
	seen := map[string]bool{}
	var out []routing.Helper
	teams := [][2]string{{string(directory.City), "city"}}
	for district := range directory.Districts {
		for _, l := range []directory.Level{directory.District, directory.Town, directory.Community} {
			teams = append(teams, [2]string{string(l), district})
		}
	}
	for _, t := range teams {
		team, err := a.Helpers.Team(ctx, directory.Level(t[0]), t[1])
		if err != nil {
			return nil, err
		}
		for _, hp := range team {
			if !seen[hp.ID] {
				seen[hp.ID] = true
				out = append(out, hp)
			}
		}
	}
	return out, nil
}

// UnitNotice gives a stationed unit its own figures of a report revision (反馈派驻单位): scores
// and counts only, nothing about any rater.
type UnitNotice struct {
	notice.Envelope
	Month    string  `json:"month"`
	Revision int     `json:"revision"`
	Score    float64 `json:"score"`
	Grade    string  `json:"grade"`
	Counted  int64   `json:"counted"`
	GoodRate float64 `json:"goodRate"`
	Average  int64   `json:"average"`
	Poor     int64   `json:"poor"`
	Overdue  int64   `json:"overdue"`
	Windows  int     `json:"windows"`
	RedList  int     `json:"redList"`  // its windows on a hall's red list
	BlueList int     `json:"blueList"` // its windows on a hall's blue list
}

// Notices are the notices of a report revision: one to every stationed unit, with a stable id.
func Notices(rep scoring.Report) []UnitNotice {
	var out []UnitNotice
	for _, u := range rep.Units {
		n := UnitNotice{Envelope: notice.Envelope{ID: fmt.Sprintf("report:%s:%d:%s", rep.Month, rep.Revision, u.ID),
			Type: notice.ReportPublished, Recipient: notice.UnitAdmin, UnitID: u.ID},
			Month: rep.Month, Revision: rep.Revision, Score: u.Score, Grade: u.Grade, Counted: u.Counted,
			GoodRate: u.GoodRate, Average: u.Average, Poor: u.Poor, Overdue: u.Overdue}
		for _, w := range rep.Windows {
			if w.UnitID != u.ID {
				continue
			}
			n.Windows++
			if w.RedList {
				n.RedList++
			}
			if w.BlueList {
				n.BlueList++
			}
		}
		out = append(out, n)
	}
	return out
}

// Previous is the month before the one now falls in, in Asia/Shanghai: what the schedule on the
// 1st scores.
func Previous(now time.Time) calendar.Month {
	return calendar.MonthOf(calendar.MonthOf(now).Start().Add(-time.Hour))
}

// Config is read from the environment set by template.yaml.
type Config struct {
	RatingsTable       string `env:"RATINGS_TABLE,required"`
	DirectoryTable     string `env:"DIRECTORY_TABLE,required"`
	HelpersTable       string `env:"HELPERS_TABLE,required"`
	ReportsTable       string `env:"REPORTS_TABLE,required"`
	NotificationsQueue string `env:"NOTIFICATIONS_QUEUE_URL,required"`
	RatingBuckets      string `env:"RATING_BUCKETS" envDefault:"good=4,5;average=3;poor=1,2"`
}

// New wires an assessor to its tables and the notifications queue, with the rules in force.
func New(cfg Config, db dynamo.API, sqs queue.API, now func() time.Time, log *slog.Logger) (*Assessor, error) {
	rules, err := scoring.CurrentRules()
	if err != nil {
		return nil, err
	}
	buckets, err := rating.ParseBuckets(cfg.RatingBuckets)
	if err != nil {
		return nil, err
	}
	return &Assessor{
		Directory: &dynamo.Directory{DB: db, Table: cfg.DirectoryTable},
		Counters:  &dynamo.Ratings{DB: db, Table: cfg.RatingsTable, Now: now},
		Helpers:   &dynamo.Helpers{DB: db, Table: cfg.HelpersTable},
		Reports:   &dynamo.Reports{DB: db, Table: cfg.ReportsTable},
		Notices:   &queue.Sender{SQS: sqs, URL: cfg.NotificationsQueue},
		Rules:     rules, Buckets: buckets, Now: now, Log: log,
	}, nil
}
