package dynamo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"banban/shared/apperr"
)

// Page limits of every listing.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// encodeCursor turns a LastEvaluatedKey (string attributes only) into an opaque cursor.
func encodeCursor(last map[string]types.AttributeValue) (string, error) {
	if len(last) == 0 {
		return "", nil
	}
	plain := map[string]string{}
	for k, v := range last {
		s, ok := v.(*types.AttributeValueMemberS)
		if !ok {
			return "", fmt.Errorf("cursor: key attribute %s is not a string", k)
		}
		plain[k] = s.Value
	}
	raw, err := json.Marshal(plain)
	if err != nil {
		return "", fmt.Errorf("cursor: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(raw), nil
}

// decodeCursor reads a cursor back; anything that is not one of ours is a 400 naming "cursor".
// A cursor can only continue a listing the caller may read anyway: the partition of the query is
// fixed by the caller's identity, and a key from another partition is refused by DynamoDB.
func decodeCursor(cursor string, keys ...string) (map[string]types.AttributeValue, error) {
	if cursor == "" {
		return nil, nil
	}
	bad := apperr.InvalidField("cursor", "is not a cursor of this listing")
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, bad
	}
	var plain map[string]string
	if err := json.Unmarshal(raw, &plain); err != nil || len(plain) != len(keys) {
		return nil, bad
	}
	out := map[string]types.AttributeValue{}
	for _, k := range keys {
		v, ok := plain[k]
		if !ok || v == "" {
			return nil, bad
		}
		out[k] = str(v)
	}
	return out, nil
}

// PageSize checks a requested page size: 0 means the default.
func PageSize(limit int) (int32, error) {
	switch {
	case limit == 0:
		return DefaultPageSize, nil
	case limit < 0 || limit > MaxPageSize:
		return 0, apperr.InvalidField("limit", "must be from 1 to %d", MaxPageSize)
	}
	return int32(limit), nil
}

// gsi1Page reads one page of the items under a gsi1 key, after cursor (a cursor of the same
// listing only), newest first when backward; next is "" on the last page.
func gsi1Page(ctx context.Context, db API, table, gsi1pk, cursor string, limit int, backward bool, what string) ([]map[string]types.AttributeValue, string, error) {
	size, err := PageSize(limit)
	if err != nil {
		return nil, "", err
	}
	start, err := decodeCursor(cursor, "pk", "sk", "gsi1pk", "gsi1sk")
	if err != nil {
		return nil, "", err
	}
	if start != nil && start["gsi1pk"].(*types.AttributeValueMemberS).Value != gsi1pk {
		return nil, "", apperr.InvalidField("cursor", "is not a cursor of this listing")
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := db.Query(ctx, &dynamodb.QueryInput{TableName: &table, IndexName: aws.String("gsi1"),
		KeyConditionExpression:    aws.String("gsi1pk = :k"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":k": str(gsi1pk)},
		ScanIndexForward:          aws.Bool(!backward), Limit: &size, ExclusiveStartKey: start})
	if err != nil {
		return nil, "", unavailable(err, "list "+what)
	}
	next, err := encodeCursor(out.LastEvaluatedKey)
	return out.Items, next, err
}

// gsi1List reads one page of gsi1Page and decodes each item as an I, keeping what pick takes of it.
func gsi1List[I, T any](ctx context.Context, db API, table, gsi1pk, cursor string, limit int, backward bool, what string, pick func(I) T) ([]T, string, error) {
	items, next, err := gsi1Page(ctx, db, table, gsi1pk, cursor, limit, backward, what)
	if err != nil {
		return nil, "", err
	}
	list := make([]T, 0, len(items))
	for _, item := range items {
		var it I
		if err := unmarshal(item, &it); err != nil {
			return nil, "", err
		}
		list = append(list, pick(it))
	}
	return list, next, nil
}
