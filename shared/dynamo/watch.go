package dynamo

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// watchShards reads, shard by shard, a sparse index partitioned as <prefix>0 … <prefix>N-1 (N =
// SupervisionShards, so no partition is hot) for the items whose sort key is at or before bound,
// and returns the ids (the pk without idPrefix) of the first limit across shards in sort-key order.
func watchShards(ctx context.Context, db API, table, index, pkAttr, skAttr, prefix, bound, idPrefix string, limit int) ([]string, error) {
	type hit struct{ sk, id string }
	var hits []hit
	for shard := 0; shard < SupervisionShards; shard++ {
		var start map[string]types.AttributeValue
		for n := 0; n < limit; {
			cctx, cancel := context.WithTimeout(ctx, callTimeout)
			out, err := db.Query(cctx, &dynamodb.QueryInput{
				TableName: &table, IndexName: aws.String(index),
				KeyConditionExpression:    aws.String("#pk = :p AND #sk <= :until"),
				ExpressionAttributeNames:  map[string]string{"#pk": pkAttr, "#sk": skAttr},
				ExpressionAttributeValues: map[string]types.AttributeValue{":p": str(prefix + strconv.Itoa(shard)), ":until": str(bound)},
				ExclusiveStartKey:         start, Limit: aws.Int32(int32(limit - n)),
			})
			cancel()
			if err != nil {
				return nil, unavailable(err, "watch "+index)
			}
			for _, item := range out.Items {
				pk, ok1 := item["pk"].(*types.AttributeValueMemberS)
				sk, ok2 := item[skAttr].(*types.AttributeValueMemberS)
				if !ok1 || !ok2 {
					return nil, errors.New("watch: index item without keys")
				}
				hits = append(hits, hit{sk.Value, strings.TrimPrefix(pk.Value, idPrefix)})
				n++
			}
			if out.LastEvaluatedKey == nil {
				break
			}
			start = out.LastEvaluatedKey
		}
	}
	// Across shards in index order, the first limit.
	sort.Slice(hits, func(i, j int) bool { return hits[i].sk < hits[j].sk })
	ids := make([]string, 0, min(len(hits), limit))
	for _, h := range hits[:min(len(hits), limit)] {
		ids = append(ids, h.id)
	}
	return ids, nil
}
