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
	"banban/shared/rating"
	"banban/shared/rectification"
)

// Rectifications keeps rectification tickets in the ratings table, written in the same
// transaction as their rating so a rating opens its ticket exactly once:
//
//	pk RECT#<rating id>  sk RECT   the ticket (gsi1: RECTUNIT#<unit>, openedAt#id;
//	                               gsi2 while the watch has work: RECTWATCH#<shard>, nextWatch#id)
//
// gsi2 is sparse and sharded: a ticket is in it from its opening until nothing can happen to it
// any more (its notices sent, and verified or marked overdue), keyed by when the watch must next
// look, so the watch reads only what is due across a few partitions and never scans.
type Rectifications struct {
	DB    API
	Table string
}

type rectItem struct {
	PK     string `json:"pk"`
	SK     string `json:"sk"`
	GSI1PK string `json:"gsi1pk"`
	GSI1SK string `json:"gsi1sk"`
	GSI2PK string `json:"gsi2pk,omitempty"`
	GSI2SK string `json:"gsi2sk,omitempty"`
	rectification.Ticket
}

func rectKey(id string) map[string]types.AttributeValue { return key("RECT#"+id, "RECT") }

// RectWatchShard is the gsi2 partition of a watched ticket.
func RectWatchShard(id string) string { return "RECTWATCH#" + strconv.Itoa(shardOf(id)) }

func rectificationItem(t rectification.Ticket) (map[string]types.AttributeValue, error) {
	it := rectItem{PK: "RECT#" + t.ID, SK: "RECT", GSI1PK: "RECTUNIT#" + t.UnitID,
		GSI1SK: t.OpenedAt.UTC().Format(time.RFC3339Nano) + "#" + t.ID, Ticket: t}
	if next, ok := t.NextWatch(); ok {
		it.GSI2PK, it.GSI2SK = RectWatchShard(t.ID), next.UTC().Format(time.RFC3339Nano)+"#"+t.ID
	}
	return marshal(it)
}

// Watch lists the ids of the tickets the watch must look at by until (gsi2), earliest first, at
// most limit.
func (s *Rectifications) Watch(ctx context.Context, until time.Time, limit int) ([]string, error) {
	return watchShards(ctx, s.DB, s.Table, "gsi2", "gsi2pk", "gsi2sk", "RECTWATCH#", until.UTC().Format(time.RFC3339Nano)+"~", "RECT#", limit)
}

// Get reads a ticket.
func (s *Rectifications) Get(ctx context.Context, id string) (rectification.Ticket, error) {
	var it rectItem
	err := getItem(ctx, s.DB, s.Table, rectKey(id), "rectification", &it)
	return it.Ticket, err
}

// Update stores a changed ticket and returns it as stored, refused (409) when it changed meanwhile. An outcome the ticket
// reached (overdue, rectified) is added to its rating's monthly counters in the same
// transaction, once: the ticket records it, under the same version condition.
func (s *Rectifications) Update(ctx context.Context, t rectification.Ticket) (rectification.Ticket, error) {
	outcome, t := t.Uncounted()
	item, err := rectificationItem(t)
	if err != nil {
		return rectification.Ticket{}, err
	}
	items := []types.TransactWriteItem{{Put: &types.Put{TableName: &s.Table, Item: item,
		ConditionExpression:       aws.String("version = :prev"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":prev": num(int64(t.Version - 1))}}}}
	if outcome != (rating.Figures{}) {
		for _, k := range t.CounterKeys() {
			items = append(items, types.TransactWriteItem{Update: counterUpdate(s.Table, k, outcome, time.Now())})
		}
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var cancelled *types.TransactionCanceledException
	if errors.As(err, &cancelled) && len(cancelled.CancellationReasons) > 0 && aws.ToString(cancelled.CancellationReasons[0].Code) == "ConditionalCheckFailed" {
		return rectification.Ticket{}, apperr.New(apperr.Conflict, "stale_version", "the ticket was changed by someone else; read it again")
	}
	if err != nil {
		return rectification.Ticket{}, unavailable(err, "update rectification")
	}
	return t, nil
}

// ByUnit lists a unit's tickets, newest first, one page at a time.
func (s *Rectifications) ByUnit(ctx context.Context, unit, cursor string, limit int) ([]rectification.Ticket, string, error) {
	return gsi1List(ctx, s.DB, s.Table, "RECTUNIT#"+unit, cursor, limit, true, "rectifications",
		func(it rectItem) rectification.Ticket { return it.Ticket })
}
