package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"banban/shared/apperr"
	"banban/shared/rating"
)

// auditItem is one decision taken on a rating, kept beside it (pk AUDIT#RATING#<id>) and never
// changed: who decided what, when and why.
type auditItem struct {
	PK string `json:"pk"`
	SK string `json:"sk"`
	Audit
}

// Audit is one decision on a rating.
type Audit struct {
	Action string    `json:"action"`
	Actor  string    `json:"actor"`
	Detail string    `json:"detail,omitempty"`
	Note   string    `json:"note,omitempty"`
	At     time.Time `json:"at"`
}

// FlaggedByHall lists a hall's flagged ratings awaiting review, oldest first, a page at a time.
func (s *Ratings) FlaggedByHall(ctx context.Context, hall, cursor string, limit int) ([]rating.Rating, string, error) {
	return gsi1List(ctx, s.DB, s.Table, "FLAGGED#"+hall, cursor, limit, false, "flagged ratings",
		func(it ratingItem) rating.Rating { return it.Rating })
}

// ReviewFlag stores the city's review of a flag (r as rating.ReviewFlag returned it) in one
// transaction: the rating leaves the review list, its counters move from flagged to its level or
// to excluded, the decision is audited, and a counted average or poor rating opens its
// rectification ticket. A flag reviewed meanwhile fails as a conflict and changes nothing.
func (s *Ratings) ReviewFlag(ctx context.Context, r rating.Rating) error {
	if r.Flag == nil || r.Flag.ReviewedAt == nil {
		return fmt.Errorf("review flag of %s: the rating carries no review", r.ID)
	}
	flag, err := marshal(struct {
		F *rating.Flag `json:"f"`
	}{r.Flag})
	if err != nil {
		return err
	}
	at := *r.Flag.ReviewedAt
	audit, err := marshal(auditItem{PK: "AUDIT#RATING#" + r.ID, SK: at.UTC().Format(time.RFC3339Nano) + "#flag-review",
		Audit: Audit{Action: "flag-review", Actor: r.Flag.ReviewedBy, Detail: r.Flag.Review, Note: r.Flag.Note, At: at}})
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{
		{Update: &types.Update{TableName: &s.Table, Key: ratingKey(r.ID),
			UpdateExpression:          aws.String("SET #flag = :flag REMOVE gsi1pk, gsi1sk"),
			ConditionExpression:       aws.String("attribute_exists(#flag) AND attribute_not_exists(#flag.#review)"),
			ExpressionAttributeNames:  map[string]string{"#flag": "flag", "#review": "review"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":flag": flag["f"]}}},
		{Put: &types.Put{TableName: &s.Table, Item: audit, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
	}
	for _, k := range r.CounterKeys() {
		items = append(items, types.TransactWriteItem{Update: counterUpdate(s.Table, k, r.ReviewChange(), at)})
	}
	if r.Flag.Review == rating.ReviewCounted && s.Rectify != nil {
		unflagged := r
		unflagged.Flag = nil
		put, err := s.rectificationPut(ctx, unflagged)
		if err != nil {
			return err
		}
		if put != nil {
			items = append(items, types.TransactWriteItem{Put: put})
		}
	}
	err = s.write(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var cancelled *types.TransactionCanceledException
	if errors.As(err, &cancelled) {
		return apperr.New(apperr.Conflict, "already_reviewed", "the flag was reviewed meanwhile")
	}
	if err != nil {
		return unavailable(err, "review flag")
	}
	return nil
}

// AuditOf lists the decisions taken on a rating, oldest first.
func (s *Ratings) AuditOf(ctx context.Context, id string) ([]Audit, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: &s.Table,
		KeyConditionExpression:    aws.String("pk = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": str("AUDIT#RATING#" + id)}})
	if err != nil {
		return nil, unavailable(err, "read audit")
	}
	list := make([]Audit, 0, len(out.Items))
	for _, item := range out.Items {
		var it auditItem
		if err := unmarshal(item, &it); err != nil {
			return nil, err
		}
		list = append(list, it.Audit)
	}
	return list, nil
}
