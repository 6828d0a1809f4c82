package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"banban/shared/apperr"
	"banban/shared/ratelimit"
)

// RateLimits counts requests of public routes in fixed periods, in a table whose items expire:
//
//	pk COUNT#<bucket key>#<period start, unix s>  n, expiresAt   a bucket's count in one period
//	pk CLAIM#<request id>                         digest, expiresAt   a request already counted
//
// Bucket keys name clients by keyed hashes only, never by address.
type RateLimits struct {
	DB    API
	Table string
}

// Claim names a request by an id its client chose, so that sending it again (a retry after a lost
// answer) is recognised and not counted twice. Digest tells an identical retry from another
// request that reuses the id.
type Claim struct {
	ID     string
	Digest string
	TTL    time.Duration
}

// Take counts one request in every bucket at now, all or none: when a bucket is full nothing is
// counted and the answer is a 429 whose Retry-After is the end of that bucket's period. A request
// whose claim was taken before with the same digest is a retry: it is counted nowhere and Take
// reports retry. The same id with another digest is a 409.
func (s *RateLimits) Take(ctx context.Context, now time.Time, claim Claim, buckets []ratelimit.Bucket) (retry bool, err error) {
	items := []types.TransactWriteItem{{Put: &types.Put{TableName: &s.Table,
		Item: map[string]types.AttributeValue{"pk": str("CLAIM#" + claim.ID), "digest": str(claim.Digest),
			"expiresAt": num(now.Add(claim.TTL).Unix())},
		ConditionExpression:                 aws.String("attribute_not_exists(pk)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}}}
	for _, b := range buckets {
		start, end := b.Limit.Period(now)
		items = append(items, types.TransactWriteItem{Update: &types.Update{TableName: &s.Table,
			Key:                 key("COUNT#"+b.Key+"#"+strconv.FormatInt(start.Unix(), 10), ""),
			UpdateExpression:    aws.String("ADD n :one SET expiresAt = :exp"),
			ConditionExpression: aws.String("attribute_not_exists(n) OR n < :max"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": num(1), ":max": num(int64(b.Limit.Max)),
				// Kept a minute past the period; the period's start in the key makes a late
				// deletion harmless.
				":exp": num(end.Add(time.Minute).Unix())}}})
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var cancelled *types.TransactionCanceledException
	if !errors.As(err, &cancelled) {
		if err != nil {
			return false, unavailable(err, "count request")
		}
		return false, nil
	}
	reasons := cancelled.CancellationReasons
	if len(reasons) != len(items) {
		return false, fmt.Errorf("count request: %d cancellation reasons for %d items: %w", len(reasons), len(items), err)
	}
	if aws.ToString(reasons[0].Code) == "ConditionalCheckFailed" {
		if d, ok := reasons[0].Item["digest"].(*types.AttributeValueMemberS); ok && d.Value == claim.Digest {
			return true, nil
		}
		return false, apperr.New(apperr.Conflict, "id_reused", "this rating id was already used for another rating; choose a new id")
	}
	for i, b := range buckets {
		if aws.ToString(reasons[i+1].Code) == "ConditionalCheckFailed" {
			_, end := b.Limit.Period(now)
			return false, apperr.RateLimited(b.Refusal, end.Sub(now),
				"at most %d ratings per %s here; try again in %d seconds", b.Limit.Max, b.Limit.Per, int((end.Sub(now)+time.Second-1)/time.Second))
		}
	}
	// A conflict with a concurrent request on the same counter: the client tries again.
	return false, apperr.Wrap(err, apperr.Unavailable, "busy", "too many ratings at once, try again")
}
