package dynamo

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"banban/shared/apperr"
	"banban/shared/cases"
	"banban/shared/directory"
	"banban/shared/routing"
)

// Helpers stores helpers' routing profiles and capacity reservations in one table:
//
//	pk HELPER#<id>  sk HELPER   the profile, with its active count (gsi1: TEAM#<level>#<district>)
//	pk RES#<case>   sk RES      the capacity a case holds, and of which helper
//
// A case is assigned in one transaction with its helper's capacity: the case moves only if it is
// still waiting, the helper's count rises only below capacity, and the reservation is created
// only once — so no helper ever exceeds capacity and no case is assigned twice.
type Helpers struct {
	DB         API
	Table      string
	CasesTable string
}

type helperItem struct {
	PK     string `json:"pk"`
	SK     string `json:"sk"`
	GSI1PK string `json:"gsi1pk"`
	GSI1SK string `json:"gsi1sk"`
	routing.Helper
}

func teamKey(level directory.Level, district string) string {
	if level == directory.City {
		district = "city"
	}
	return "TEAM#" + string(level) + "#" + district
}

// Put stores a profile; the active count and last assignment are kept from the stored one.
func (s *Helpers) Put(ctx context.Context, h routing.Helper) error {
	item, err := marshal(helperItem{PK: "HELPER#" + h.ID, SK: "HELPER", GSI1PK: teamKey(h.Level, h.District), GSI1SK: h.ID, Helper: h})
	if err != nil {
		return err
	}
	// The counters belong to routing, not to the administrator who edits the profile.
	delete(item, "active")
	delete(item, "lastAssignedAt")
	names := map[string]string{}
	values := map[string]types.AttributeValue{":zero": num(0)}
	expr := "SET active = if_not_exists(active, :zero)"
	i := 0
	for k, v := range item {
		if k == "pk" || k == "sk" {
			continue
		}
		i++
		n, val := "#a"+strconv.Itoa(i), ":v"+strconv.Itoa(i)
		names[n], values[val] = k, v
		expr += ", " + n + " = " + val
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.Table, Key: key("HELPER#"+h.ID, "HELPER"),
		UpdateExpression: &expr, ExpressionAttributeNames: names, ExpressionAttributeValues: values})
	if err != nil {
		return unavailable(err, "put helper")
	}
	return nil
}

// Get returns a helper's profile.
func (s *Helpers) Get(ctx context.Context, id string) (routing.Helper, error) {
	var it helperItem
	err := getItem(ctx, s.DB, s.Table, key("HELPER#"+id, "HELPER"), "helper", &it)
	return it.Helper, err
}

// SetStatus sets a helper's own status.
func (s *Helpers) SetStatus(ctx context.Context, id string, st routing.Status) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.Table, Key: key("HELPER#"+id, "HELPER"),
		UpdateExpression: aws.String("SET #s = :s"), ConditionExpression: aws.String("attribute_exists(pk)"),
		ExpressionAttributeNames: map[string]string{"#s": "status"}, ExpressionAttributeValues: map[string]types.AttributeValue{":s": str(string(st))}})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return apperr.New(apperr.NotFound, "not_found", "helper %s not found", id)
	}
	if err != nil {
		return unavailable(err, "set helper status")
	}
	return nil
}

// Team lists the helpers of the team at level in district (strongly consistent reads are not
// available on an index: a count read a moment late is re-checked by the assignment transaction).
func (s *Helpers) Team(ctx context.Context, level directory.Level, district string) ([]routing.Helper, error) {
	var out []routing.Helper
	var start map[string]types.AttributeValue
	for {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		res, err := s.DB.Query(cctx, &dynamodb.QueryInput{TableName: &s.Table, IndexName: aws.String("gsi1"),
			KeyConditionExpression:    aws.String("gsi1pk = :t"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":t": str(teamKey(level, district))},
			ExclusiveStartKey:         start})
		cancel()
		if err != nil {
			return nil, unavailable(err, "list team")
		}
		for _, item := range res.Items {
			var it helperItem
			if err := unmarshal(item, &it); err != nil {
				return nil, err
			}
			out = append(out, it.Helper)
		}
		if res.LastEvaluatedKey == nil {
			return out, nil
		}
		start = res.LastEvaluatedKey
	}
}

// Assignment outcomes.
var (
	// ErrHelperFull: the helper's capacity was taken (or the helper went off duty) meanwhile.
	ErrHelperFull = errors.New("helper at capacity or off duty")
	// ErrCaseMoved: the case is no longer waiting at that version (routed or changed meanwhile).
	ErrCaseMoved = errors.New("case no longer waiting")
)

// Assign gives case c (read at its version) to helper h in one transaction with h's capacity.
func (s *Helpers) Assign(ctx context.Context, c cases.Case, h routing.Helper, ev cases.Event, now time.Time) error {
	evItem, err := marshal(eventItem{PK: "CASE#" + c.ID, SK: eventSK(ev.Seq), Event: ev})
	if err != nil {
		return err
	}
	ts := now.UTC().Format(time.RFC3339Nano)
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err = s.DB.TransactWriteItems(cctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{TableName: &s.CasesTable, Key: caseKey(c.ID),
			UpdateExpression:         aws.String("SET #st = :assigned, assignee = :h, version = :next, updatedAt = :now, gsi2pk = :asg, gsi2sk = :asgsk, gsi6pk = :watch, gsi6sk = :asgsk, assignedAt = :now, eventPending = :yes REMOVE overflow, gsi7pk, gsi7sk"),
			ConditionExpression:      aws.String("version = :v AND (#st = :received OR #st = :transferred)"),
			ExpressionAttributeNames: map[string]string{"#st": "state"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":assigned": str(string(cases.Assigned)), ":h": str(h.ID), ":next": num(int64(c.Version + 1)), ":now": str(ts),
				":asg": str("ASG#" + h.ID), ":asgsk": str(ts + "#" + c.ID), ":yes": &types.AttributeValueMemberBOOL{Value: true},
				":watch": str(AssignedShard(c.ID)),
				":v":     num(int64(c.Version)), ":received": str(string(cases.Received)), ":transferred": str(string(cases.Transferred)),
			}}},
		{Put: &types.Put{TableName: &s.CasesTable, Item: evItem, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		{Update: &types.Update{TableName: &s.Table, Key: key("HELPER#"+h.ID, "HELPER"),
			UpdateExpression:          aws.String("ADD active :one SET lastAssignedAt = :now"),
			ConditionExpression:       aws.String("active < #cap AND #s = :on"),
			ExpressionAttributeNames:  map[string]string{"#s": "status", "#cap": "capacity"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": num(1), ":now": str(ts), ":on": str(string(routing.OnDuty))}}},
		{Put: &types.Put{TableName: &s.Table, Item: map[string]types.AttributeValue{"pk": str("RES#" + c.ID), "sk": str("RES"), "helperId": str(h.ID)},
			ConditionExpression: aws.String("attribute_not_exists(pk)")}},
	}})
	var cancelled *types.TransactionCanceledException
	if errors.As(err, &cancelled) {
		reasons := cancelled.CancellationReasons
		code := func(i int) string {
			if i < len(reasons) {
				return aws.ToString(reasons[i].Code)
			}
			return ""
		}
		switch {
		case code(0) == "ConditionalCheckFailed" || code(1) == "ConditionalCheckFailed" || code(3) == "ConditionalCheckFailed":
			return ErrCaseMoved
		case code(2) == "ConditionalCheckFailed":
			return ErrHelperFull
		default:
			return apperr.Wrap(err, apperr.Unavailable, "conflict", "assignment conflicted; retry")
		}
	}
	if err != nil {
		return unavailable(err, "assign case")
	}
	return nil
}

// Release gives back the capacity case caseID holds, once: the reservation is deleted and the
// helper's count lowered in one transaction; a second release finds no reservation.
func (s *Helpers) Release(ctx context.Context, caseID string) (bool, error) {
	var res struct {
		HelperID string `json:"helperId"`
	}
	err := getItem(ctx, s.DB, s.Table, key("RES#"+caseID, "RES"), "reservation", &res)
	if errNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err = s.DB.TransactWriteItems(cctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		// Only if the case does not hold this helper now: a release decided on a stale read of
		// the case must not take back the capacity of an assignment made meanwhile.
		{ConditionCheck: &types.ConditionCheck{TableName: &s.CasesTable, Key: caseKey(caseID),
			ConditionExpression:      aws.String("NOT (#st IN (:assigned, :accepted, :progress) AND assignee = :h)"),
			ExpressionAttributeNames: map[string]string{"#st": "state"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":assigned": str(string(cases.Assigned)),
				":accepted": str(string(cases.Accepted)), ":progress": str(string(cases.InProgress)), ":h": str(res.HelperID)}}},
		{Delete: &types.Delete{TableName: &s.Table, Key: key("RES#"+caseID, "RES"),
			ConditionExpression:       aws.String("helperId = :h"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":h": str(res.HelperID)}}},
		{Update: &types.Update{TableName: &s.Table, Key: key("HELPER#"+res.HelperID, "HELPER"),
			UpdateExpression:          aws.String("ADD active :minus"),
			ConditionExpression:       aws.String("active > :zero"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":minus": num(-1), ":zero": num(0)}}},
	}})
	var cancelled *types.TransactionCanceledException
	if errors.As(err, &cancelled) {
		return false, nil // released meanwhile by a redelivery, or the case holds the helper again
	}
	if err != nil {
		return false, unavailable(err, "release capacity")
	}
	return true, nil
}

// TeamRule returns the choice rule a team set (LeastLoaded when it set none).
func (s *Helpers) TeamRule(ctx context.Context, level directory.Level, district string) (routing.Rule, error) {
	var cfg struct {
		Rule routing.Rule `json:"rule"`
	}
	err := getItem(ctx, s.DB, s.Table, key(teamKey(level, district), "RULE"), "team rule", &cfg)
	if errNotFound(err) || (err == nil && !cfg.Rule.Valid()) {
		return routing.LeastLoaded, nil
	}
	return cfg.Rule, err
}

// SetTeamRule stores a team's choice rule.
func (s *Helpers) SetTeamRule(ctx context.Context, level directory.Level, district string, rule routing.Rule) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, Item: map[string]types.AttributeValue{
		"pk": str(teamKey(level, district)), "sk": str("RULE"), "rule": str(string(rule)),
	}})
	if err != nil {
		return unavailable(err, "set team rule")
	}
	return nil
}
