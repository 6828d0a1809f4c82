package stack

import (
	"context"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Local account and region. The servers accept any credentials; dummy static ones keep the SDK
// from looking for real ones (and from ever using them against a local endpoint).
const (
	LocalRegion    = "us-east-1"
	LocalAccountID = "000000000000"
)

// Clients builds DynamoDB and SQS clients for local servers at the given endpoints, which must be
// http://127.0.0.1 URLs (the servers bind, or may bind, more than loopback; we only talk to
// loopback).
func Clients(ctx context.Context, dynamoEndpoint, sqsEndpoint string) (*dynamodb.Client, *sqs.Client, error) {
	for _, ep := range []string{dynamoEndpoint, sqsEndpoint} {
		u, err := url.Parse(ep)
		if err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" {
			return nil, nil, fmt.Errorf("endpoint %q: want http://127.0.0.1:PORT", ep)
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(LocalRegion),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
	)
	if err != nil {
		return nil, nil, fmt.Errorf("aws config: %w", err)
	}
	ddb := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(dynamoEndpoint)
		// DynamoDB Local's error responses carry no CRC32; validating would warn on each.
		o.DisableValidateResponseChecksum = true
	})
	sq := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(sqsEndpoint) })
	return ddb, sq, nil
}
