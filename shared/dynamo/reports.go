package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"banban/shared/apperr"
	"banban/shared/calendar"
	"banban/shared/scoring"
)

// Reports keeps the monthly assessments, every revision, in parts small enough for an item:
//
//	pk REPORT#<yyyy-mm>  sk LATEST                   the latest revision and its hash
//	pk REPORT#<yyyy-mm>  sk REV#<nnnn>#HEAD          month, rules, city, halls and units
//	pk REPORT#<yyyy-mm>  sk REV#<nnnn>#UNIT#<unit>   the unit's windows, staff and helpers
//
// A unit administrator's view reads the head and the unit's part; the city's reads a revision
// whole. Old revisions are never deleted.
type Reports struct {
	DB    API
	Table string
}

type latestItem struct {
	PK       string `json:"pk"`
	SK       string `json:"sk"`
	Revision int    `json:"revision"`
	Hash     string `json:"hash"`
	Noticed  int    `json:"noticed"` // the revision whose notices were all sent
}

type headItem struct {
	PK string `json:"pk"`
	SK string `json:"sk"`
	scoring.Report
}

type unitPart struct {
	PK      string          `json:"pk"`
	SK      string          `json:"sk"`
	UnitID  string          `json:"unitId"`
	Windows []scoring.Score `json:"windows"`
	Staff   []scoring.Score `json:"staff"`
	Helpers []scoring.Score `json:"helpers"`
}

func reportPK(m calendar.Month) string { return "REPORT#" + m.String() }

func revPrefix(rev int) string { return fmt.Sprintf("REV#%04d#", rev) }

// noUnit names the part of people without a unit (only the city reads it).
const noUnit = "-"

// Saved is what Save did: the month's latest revision, whether Save created it, and the latest
// revision whose notices were all sent.
type Saved struct {
	Revision int
	Created  bool
	Noticed  int
}

// Save stores rep as the month's next revision unless the latest has the same content (hash):
// then it stores nothing and answers with the latest revision.
func (s *Reports) Save(ctx context.Context, rep scoring.Report) (Saved, error) {
	m, err := calendar.ParseMonth(rep.Month)
	if err != nil {
		return Saved{}, fmt.Errorf("save report: %w", err)
	}
	latest, err := s.latest(ctx, m)
	if err != nil {
		return Saved{}, err
	}
	if latest.Hash == rep.Hash {
		return Saved{Revision: latest.Revision, Noticed: latest.Noticed}, nil
	}
	rep.Revision = latest.Revision + 1
	prefix := revPrefix(rep.Revision)
	parts := map[string]*unitPart{}
	part := func(unit string) *unitPart {
		if unit == "" {
			unit = noUnit
		}
		if parts[unit] == nil {
			parts[unit] = &unitPart{PK: reportPK(m), SK: prefix + "UNIT#" + unit, UnitID: unit,
				Windows: []scoring.Score{}, Staff: []scoring.Score{}, Helpers: []scoring.Score{}}
		}
		return parts[unit]
	}
	for _, u := range rep.Units {
		part(u.ID)
	}
	for _, w := range rep.Windows {
		p := part(w.UnitID)
		p.Windows = append(p.Windows, w)
	}
	for _, st := range rep.Staff {
		p := part(st.UnitID)
		p.Staff = append(p.Staff, st)
	}
	for _, hp := range rep.Helpers {
		p := part(hp.UnitID)
		p.Helpers = append(p.Helpers, hp)
	}
	head := rep
	head.Windows, head.Staff, head.Helpers = nil, nil, nil
	items := make([]map[string]types.AttributeValue, 0, len(parts)+1)
	for _, p := range parts {
		item, err := marshal(p)
		if err != nil {
			return Saved{}, err
		}
		items = append(items, item)
	}
	item, err := marshal(headItem{PK: reportPK(m), SK: prefix + "HEAD", Report: head})
	if err != nil {
		return Saved{}, err
	}
	items = append(items, item)
	if err := batchPut(ctx, s.DB, s.Table, items); err != nil {
		return Saved{}, err
	}
	// The revision becomes the latest only now, and only over the one it was computed after: a
	// run that raced this one fails here instead of hiding a revision.
	next, err := marshal(latestItem{PK: reportPK(m), SK: "LATEST", Revision: rep.Revision, Hash: rep.Hash})
	if err != nil {
		return Saved{}, err
	}
	put := &dynamodb.PutItemInput{TableName: &s.Table, Item: next, ConditionExpression: aws.String("attribute_not_exists(pk)")}
	if latest.Revision > 0 {
		put.ConditionExpression = aws.String("revision = :r")
		put.ExpressionAttributeValues = map[string]types.AttributeValue{":r": num(int64(latest.Revision))}
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err = s.DB.PutItem(cctx, put)
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return Saved{}, apperr.New(apperr.Conflict, "scoring_in_progress", "the month was scored by another run meanwhile; read the report again")
	}
	if err != nil {
		return Saved{}, unavailable(err, "save report")
	}
	return Saved{Revision: rep.Revision, Created: true}, nil
}

// MarkNoticed records that revision rev's notices were all sent.
func (s *Reports) MarkNoticed(ctx context.Context, m calendar.Month, rev int) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.Table, Key: key(reportPK(m), "LATEST"),
		UpdateExpression:          aws.String("SET noticed = :r"),
		ConditionExpression:       aws.String("attribute_exists(pk) AND (attribute_not_exists(noticed) OR noticed < :r)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":r": num(int64(rev))}})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return nil // a later revision's notices were recorded meanwhile
	}
	if err != nil {
		return unavailable(err, "mark report noticed")
	}
	return nil
}

// latest reads the month's LATEST item; a month never scored has the zero item.
func (s *Reports) latest(ctx context.Context, m calendar.Month) (latestItem, error) {
	var latest latestItem
	err := getItem(ctx, s.DB, s.Table, key(reportPK(m), "LATEST"), "report", &latest)
	if errNotFound(err) {
		return latestItem{}, nil
	}
	return latest, err
}

// Head returns the head of the month's latest revision: month, rules, the city's, halls' and
// units' figures, without windows, staff and helpers (for trends).
func (s *Reports) Head(ctx context.Context, m calendar.Month) (scoring.Report, error) {
	return s.head(ctx, m, 0)
}

// head reads revision rev's head (0: the latest's), with empty lists of windows, staff, helpers.
func (s *Reports) head(ctx context.Context, m calendar.Month, rev int) (scoring.Report, error) {
	if rev == 0 {
		latest, err := s.latest(ctx, m)
		if err != nil {
			return scoring.Report{}, err
		}
		if rev = latest.Revision; rev == 0 {
			return scoring.Report{}, apperr.New(apperr.NotFound, "not_found", "%s has not been scored", m)
		}
	}
	var head headItem
	if err := getItem(ctx, s.DB, s.Table, key(reportPK(m), revPrefix(rev)+"HEAD"), "report revision", &head); err != nil {
		return scoring.Report{}, err
	}
	rep := head.Report
	rep.Windows, rep.Staff, rep.Helpers = []scoring.Score{}, []scoring.Score{}, []scoring.Score{}
	return rep, nil
}

// Read returns revision rev of the month's report (0: the latest): whole when unit is "", else
// the head and that unit's part only.
func (s *Reports) Read(ctx context.Context, m calendar.Month, rev int, unit string) (scoring.Report, error) {
	rep, err := s.head(ctx, m, rev)
	if err != nil {
		return scoring.Report{}, err
	}
	rev = rep.Revision
	add := func(item map[string]types.AttributeValue) error {
		var p unitPart
		if err := unmarshal(item, &p); err != nil {
			return err
		}
		rep.Windows = append(rep.Windows, p.Windows...)
		rep.Staff = append(rep.Staff, p.Staff...)
		rep.Helpers = append(rep.Helpers, p.Helpers...)
		return nil
	}
	if unit != "" {
		var p unitPart
		err := getItem(ctx, s.DB, s.Table, key(reportPK(m), revPrefix(rev)+"UNIT#"+unit), "unit report", &p)
		if err != nil && !errNotFound(err) {
			return scoring.Report{}, err
		}
		rep.Windows, rep.Staff, rep.Helpers = nonNil(p.Windows), nonNil(p.Staff), nonNil(p.Helpers)
		return rep, nil
	}
	var start map[string]types.AttributeValue
	for {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		out, err := s.DB.Query(cctx, &dynamodb.QueryInput{TableName: &s.Table,
			KeyConditionExpression:    aws.String("pk = :p AND begins_with(sk, :u)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": str(reportPK(m)), ":u": str(revPrefix(rev) + "UNIT#")},
			ExclusiveStartKey:         start})
		cancel()
		if err != nil {
			return scoring.Report{}, unavailable(err, "read report")
		}
		for _, item := range out.Items {
			if err := add(item); err != nil {
				return scoring.Report{}, err
			}
		}
		if out.LastEvaluatedKey == nil {
			return rep, nil
		}
		start = out.LastEvaluatedKey
	}
}

func nonNil(s []scoring.Score) []scoring.Score {
	if s == nil {
		return []scoring.Score{}
	}
	return s
}
