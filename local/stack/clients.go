package stack

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"banban/local/localaws"
)

// Local account and region.
const (
	LocalRegion    = localaws.Region
	LocalAccountID = localaws.AccountID
)

// Clients builds DynamoDB and SQS clients for local servers at the given loopback endpoints.
func Clients(ctx context.Context, dynamoEndpoint, sqsEndpoint string) (*dynamodb.Client, *sqs.Client, error) {
	return localaws.Clients(ctx, dynamoEndpoint, sqsEndpoint)
}
