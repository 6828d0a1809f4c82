package dynamo

import (
	"context"
	"errors"
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
//	pk RECT#<rating id>  sk RECT   the ticket (gsi1: RECTUNIT#<unit>, openedAt#id)
type Rectifications struct {
	DB    API
	Table string
}

type rectItem struct {
	PK     string `json:"pk"`
	SK     string `json:"sk"`
	GSI1PK string `json:"gsi1pk"`
	GSI1SK string `json:"gsi1sk"`
	rectification.Ticket
}

func rectKey(id string) map[string]types.AttributeValue { return key("RECT#"+id, "RECT") }

func rectificationItem(t rectification.Ticket) (map[string]types.AttributeValue, error) {
	return marshal(rectItem{PK: "RECT#" + t.ID, SK: "RECT", GSI1PK: "RECTUNIT#" + t.UnitID,
		GSI1SK: t.OpenedAt.UTC().Format(time.RFC3339Nano) + "#" + t.ID, Ticket: t})
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
