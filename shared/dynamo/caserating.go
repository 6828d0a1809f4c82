package dynamo

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"banban/shared/apperr"
	"banban/shared/caserating"
	"banban/shared/cases"
	"banban/shared/rating"
)

// The requester's rating of a case lives in the cases table as little as it can:
//
//	pk CASE#<id>        sk CASE     ratedAt (and defaultRated): that the case was rated, and when;
//	                                ratingPending until the rating is known to be on the queue;
//	                                ratingInvited, ratingReminded: the follow-up done;
//	                                gsi8 (RATE#<shard>, dueAt#id) while a follow-up step is due
//	pk RATING#<rid>     sk OUTBOX   the rating as queued and the hash of the request that gave it,
//	                                kept a week (TTL expiresAt) for re-sending and retries
//
// The rating id is a keyed hash of the case id (rating.CaseRatingID), so the outbox names no case
// and the case holds no level, no rating id and nothing else of the rating.

var _ caserating.Store = (*Cases)(nil)

// OutboxTTL is how long a rating's outbox item is kept: long enough for any retry of the request
// and any re-send by supervision.
const OutboxTTL = 7 * 24 * time.Hour

// RatingShard is the gsi8 partition of a closed case with a rating step due.
func RatingShard(id string) string { return "RATE#" + shardSuffix(id) }

// timeSK is the sort key of an index ordered by time: the instant in UTC, then the case id.
func timeSK(t time.Time, id string) string { return t.UTC().Format(time.RFC3339Nano) + "#" + id }

type outboxItem struct {
	PK          string        `json:"pk"`
	SK          string        `json:"sk"`
	Rating      rating.Rating `json:"rating"`
	RequestHash string        `json:"requestHash"`
	ExpiresAt   int64         `json:"expiresAt"`
}

func outboxKey(ratingID string) map[string]types.AttributeValue {
	return key("RATING#"+ratingID, "OUTBOX")
}

// ClaimRating marks the case rated and keeps the rating in its outbox, in one transaction that
// holds only while the case is a completed or refused case of its requester and not yet rated: of
// a real rating and the default, or two submissions at once, exactly one takes the mark. The
// others get a 409 already_rated.
func (s *Cases) ClaimRating(ctx context.Context, c cases.Case, r rating.Rating, requestHash string, now time.Time) error {
	out, err := marshal(outboxItem{PK: "RATING#" + r.ID, SK: "OUTBOX", Rating: r, RequestHash: requestHash, ExpiresAt: now.Add(OutboxTTL).Unix()})
	if err != nil {
		return err
	}
	set := "SET ratedAt = :at, ratingPending = :yes, gsi8pk = :shard, gsi8sk = :due"
	values := map[string]types.AttributeValue{
		":at": str(now.UTC().Format(time.RFC3339Nano)), ":yes": &types.AttributeValueMemberBOOL{Value: true},
		":shard": str(RatingShard(c.ID)), ":due": str(timeSK(now, c.ID)),
		":completed": str(string(cases.Completed)), ":unable": str(string(cases.Unable)), ":sub": str(c.RequesterSub),
	}
	if r.Channel == rating.ChannelDefault {
		set += ", defaultRated = :yes"
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err = s.DB.TransactWriteItems(cctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{TableName: &s.Table, Key: caseKey(c.ID), UpdateExpression: &set,
			ConditionExpression:       aws.String("attribute_not_exists(ratedAt) AND #state IN (:completed, :unable) AND requesterSub = :sub"),
			ExpressionAttributeNames:  map[string]string{"#state": "state"},
			ExpressionAttributeValues: values}},
		{Put: &types.Put{TableName: &s.Table, Item: out, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
	}})
	var cancelled *types.TransactionCanceledException
	if errors.As(err, &cancelled) {
		return apperr.New(apperr.Conflict, "already_rated", "this case has been rated; one case, one rating")
	}
	if err != nil {
		return unavailable(err, "mark case rated")
	}
	return nil
}

// RatingOutbox reads the rating kept for re-sending, with the hash of the request that gave it.
func (s *Cases) RatingOutbox(ctx context.Context, ratingID string) (rating.Rating, string, bool, error) {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := s.DB.GetItem(cctx, &dynamodb.GetItemInput{TableName: &s.Table, Key: outboxKey(ratingID), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return rating.Rating{}, "", false, unavailable(err, "read rating outbox")
	}
	if out.Item == nil {
		return rating.Rating{}, "", false, nil
	}
	var it outboxItem
	if err := unmarshal(out.Item, &it); err != nil {
		return rating.Rating{}, "", false, err
	}
	return it.Rating, it.RequestHash, true, nil
}

// RatingSent records that the case's rating reached the ratings queue: the case leaves the
// follow-up index, its rating done with.
func (s *Cases) RatingSent(ctx context.Context, caseID string) error {
	return s.ratingUpdate(ctx, caseID, "REMOVE ratingPending, gsi8pk, gsi8sk", "ratingPending = :yes",
		map[string]types.AttributeValue{":yes": &types.AttributeValueMemberBOOL{Value: true}}, "mark rating sent")
}

// PeekRating reads a case without its personal data, with the progress of its rating follow-up.
func (s *Cases) PeekRating(ctx context.Context, id string) (cases.Case, cases.RatingProgress, error) {
	var it caseItem
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := s.DB.GetItem(cctx, &dynamodb.GetItemInput{TableName: &s.Table, Key: caseKey(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return cases.Case{}, cases.RatingProgress{}, unavailable(err, "read case")
	}
	if out.Item == nil {
		return cases.Case{}, cases.RatingProgress{}, apperr.New(apperr.NotFound, "not_found", "case not found")
	}
	if err := unmarshal(out.Item, &it); err != nil {
		return cases.Case{}, cases.RatingProgress{}, err
	}
	return it.Case, cases.RatingProgress{Invited: it.RatingInvited, Reminded: it.RatingReminded, Pending: it.RatingPending}, nil
}

// RatingStepDone records that the invitation or the reminder went out (step, or StepNone) and
// files the case under its next step's due time, or takes it out of the index when none is left.
// A rating taken meanwhile keeps its own place in the index: filing holds only while the case is
// not rated, taking out only while no rating is pending.
func (s *Cases) RatingStepDone(ctx context.Context, id string, step cases.RatingStep, next time.Time) error {
	values := map[string]types.AttributeValue{}
	var set []string
	switch step {
	case cases.StepInvite:
		set = append(set, "ratingInvited = :yes")
	case cases.StepRemind:
		set = append(set, "ratingReminded = :yes")
	}
	if len(set) > 0 {
		values[":yes"] = &types.AttributeValueMemberBOOL{Value: true}
	}
	cond, remove := "attribute_not_exists(ratedAt)", ""
	if next.IsZero() {
		cond, remove = "attribute_not_exists(ratingPending)", " REMOVE gsi8pk, gsi8sk"
	} else {
		set = append(set, "gsi8sk = :due")
		values[":due"] = str(timeSK(next, id))
	}
	expr := remove
	if len(set) > 0 {
		expr = "SET " + strings.Join(set, ", ") + remove
	}
	if len(values) == 0 {
		values = nil
	}
	return s.ratingUpdate(ctx, id, strings.TrimSpace(expr), cond, values, "record rating follow-up")
}

// ratingUpdate applies one conditional change to a case's rating follow-up; a condition that no
// longer holds means another step got there first, which is no error.
func (s *Cases) ratingUpdate(ctx context.Context, id, expr, cond string, values map[string]types.AttributeValue, doing string) error {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err := s.DB.UpdateItem(cctx, &dynamodb.UpdateItemInput{TableName: &s.Table, Key: caseKey(id),
		UpdateExpression: &expr, ConditionExpression: &cond, ExpressionAttributeValues: values})
	var failed *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &failed) {
		return unavailable(err, doing)
	}
	return nil
}
