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

// Update stores a changed ticket, refused (409) when it changed meanwhile.
func (s *Rectifications) Update(ctx context.Context, t rectification.Ticket) error {
	item, err := rectificationItem(t)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, Item: item,
		ConditionExpression:       aws.String("version = :prev"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":prev": num(int64(t.Version - 1))}})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return apperr.New(apperr.Conflict, "stale_version", "the ticket was changed by someone else; read it again")
	}
	if err != nil {
		return unavailable(err, "update rectification")
	}
	return nil
}

// ByUnit lists a unit's tickets, newest first, one page at a time.
func (s *Rectifications) ByUnit(ctx context.Context, unit, cursor string, limit int) ([]rectification.Ticket, string, error) {
	items, next, err := gsi1Page(ctx, s.DB, s.Table, "RECTUNIT#"+unit, cursor, limit, true, "rectifications")
	if err != nil {
		return nil, "", err
	}
	list := make([]rectification.Ticket, 0, len(items))
	for _, item := range items {
		var it rectItem
		if err := unmarshal(item, &it); err != nil {
			return nil, "", err
		}
		list = append(list, it.Ticket)
	}
	return list, next, nil
}
