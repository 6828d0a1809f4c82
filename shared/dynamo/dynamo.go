// Package dynamo holds the DynamoDB adapters of banban's domain ports. Items are marshalled with
// the same json tags as the API (one naming style everywhere); key attributes are pk and sk.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"banban/shared/apperr"
)

// API is the part of the DynamoDB client the adapters use; *dynamodb.Client satisfies it.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

var _ API = (*dynamodb.Client)(nil)

// callTimeout bounds every DynamoDB call: locally a Lambda deadline may be missing.
const callTimeout = 5 * time.Second

func jsonTags(o *attributevalue.EncoderOptions)       { o.TagKey = "json" }
func jsonTagsDecode(o *attributevalue.DecoderOptions) { o.TagKey = "json" }

func marshal(v any) (map[string]types.AttributeValue, error) {
	item, err := attributevalue.MarshalMapWithOptions(v, jsonTags)
	if err != nil {
		return nil, fmt.Errorf("marshal item: %w", err)
	}
	return item, nil
}

func unmarshal(item map[string]types.AttributeValue, v any) error {
	if err := attributevalue.UnmarshalMapWithOptions(item, v, jsonTagsDecode); err != nil {
		return fmt.Errorf("unmarshal item: %w", err)
	}
	return nil
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func key(pk, sk string) map[string]types.AttributeValue {
	k := map[string]types.AttributeValue{"pk": str(pk)}
	if sk != "" {
		k["sk"] = str(sk)
	}
	return k
}

// getItem reads one item into v; a missing item is an apperr NotFound naming what.
func getItem(ctx context.Context, db API, table string, k map[string]types.AttributeValue, what string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: k})
	if err != nil {
		return unavailable(err, "read "+what)
	}
	if out.Item == nil {
		return apperr.New(apperr.NotFound, "not_found", "%s not found", what)
	}
	return unmarshal(out.Item, v)
}

// batchGet reads the items of keys (any number, 100 a call, resending what DynamoDB leaves
// unprocessed) and returns those found; a missing item is simply absent.
func batchGet(ctx context.Context, db API, table string, keys []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	var found []map[string]types.AttributeValue
	for start := 0; start < len(keys); start += 100 {
		pending := map[string]types.KeysAndAttributes{table: {Keys: keys[start:min(start+100, len(keys))]}}
		for tries := 0; len(pending) > 0; tries++ {
			if tries == 10 {
				return nil, fmt.Errorf("batch get from %s: keys still unprocessed after %d tries", table, tries)
			}
			cctx, cancel := context.WithTimeout(ctx, callTimeout)
			out, err := db.BatchGetItem(cctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
			cancel()
			if err != nil {
				return nil, unavailable(err, "batch get from "+table)
			}
			found = append(found, out.Responses[table]...)
			pending = out.UnprocessedKeys
		}
	}
	return found, nil
}

// unavailable marks throttling as retryable (503) and keeps other failures internal.
func unavailable(err error, doing string) error {
	var throttled *types.ProvisionedThroughputExceededException
	var limit *types.RequestLimitExceeded
	if errors.As(err, &throttled) || errors.As(err, &limit) || isThrottlingCode(err) {
		return apperr.Wrap(err, apperr.Unavailable, "throttled", "the service is busy, try again")
	}
	return fmt.Errorf("%s: %w", doing, err)
}

func errNotFound(err error) bool { return apperr.KindOf(err) == apperr.NotFound }
