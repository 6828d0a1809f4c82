package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"banban/shared/appeal"
	"banban/shared/apperr"
	"banban/shared/rating"
)

// Appeals keeps appeals in the ratings table (pk APPEAL#<rating id>, sk APPEAL; gsi1
// APPEALS#<state>, filedAt#id for the city's queue). Upholding one takes its rating out of the
// window's counters in the same transaction that decides it, so it is taken out exactly once.
type Appeals struct {
	DB    API
	Table string
}

type appealItem struct {
	PK     string `json:"pk"`
	SK     string `json:"sk"`
	GSI1PK string `json:"gsi1pk"`
	GSI1SK string `json:"gsi1sk"`
	appeal.Appeal
}

func appealItemOf(a appeal.Appeal) (map[string]types.AttributeValue, error) {
	return marshal(appealItem{PK: "APPEAL#" + a.ID, SK: "APPEAL", GSI1PK: "APPEALS#" + string(a.State),
		GSI1SK: a.FiledAt.UTC().Format(time.RFC3339Nano) + "#" + a.ID, Appeal: a})
}

// File stores a new appeal; a rating is appealed once.
func (s *Appeals) File(ctx context.Context, a appeal.Appeal) error {
	item, err := appealItemOf(a)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return apperr.New(apperr.Conflict, "already_appealed", "this rating was appealed already")
	}
	if err != nil {
		return unavailable(err, "file appeal")
	}
	return nil
}

// Get reads an appeal.
func (s *Appeals) Get(ctx context.Context, id string) (appeal.Appeal, error) {
	var it appealItem
	err := getItem(ctx, s.DB, s.Table, key("APPEAL#"+id, "APPEAL"), "appeal", &it)
	return it.Appeal, err
}

// Decide stores the decision of a pending appeal; when upheld, the rating is marked excluded and
// its level taken out of the window's month counters (and counted as appealed), all at once.
func (s *Appeals) Decide(ctx context.Context, a appeal.Appeal) error {
	item, err := appealItemOf(a)
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{{Put: &types.Put{TableName: &s.Table, Item: item,
		ConditionExpression: aws.String("#s = :pending"), ExpressionAttributeNames: map[string]string{"#s": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pending": str(string(appeal.Pending))}}}}
	if a.State == appeal.Upheld {
		if a.DecidedAt == nil {
			return fmt.Errorf("decide appeal %s: no decision time", a.ID)
		}
		items = append(items, types.TransactWriteItem{Update: &types.Update{TableName: &s.Table, Key: ratingKey(a.ID),
			UpdateExpression: aws.String("SET excluded = :why"), ConditionExpression: aws.String("attribute_exists(pk) AND attribute_not_exists(excluded)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":why": str("appeal upheld")}}})
		out := rating.One(a.Level)
		out.Counts[a.Level], out.Appealed = -1, 1
		for _, k := range a.CounterKeys() {
			items = append(items, types.TransactWriteItem{Update: counterUpdate(s.Table, k, out, *a.DecidedAt)})
		}
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var cancelled *types.TransactionCanceledException
	if errors.As(err, &cancelled) {
		return apperr.New(apperr.Conflict, "already_decided", "the appeal was decided meanwhile")
	}
	if err != nil {
		return unavailable(err, "decide appeal")
	}
	return nil
}

// Pending lists the appeals waiting for the city, oldest first.
func (s *Appeals) Pending(ctx context.Context, limit int) ([]appeal.Appeal, error) {
	size, err := PageSize(limit)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: &s.Table, IndexName: aws.String("gsi1"),
		KeyConditionExpression:    aws.String("gsi1pk = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": str("APPEALS#" + string(appeal.Pending))},
		Limit:                     &size})
	if err != nil {
		return nil, unavailable(err, "list appeals")
	}
	list := make([]appeal.Appeal, 0, len(out.Items))
	for _, item := range out.Items {
		var it appealItem
		if err := unmarshal(item, &it); err != nil {
			return nil, err
		}
		list = append(list, it.Appeal)
	}
	return list, nil
}
