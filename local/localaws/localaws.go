// Package localaws builds the AWS SDK clients that talk to the local servers (DynamoDB Local and
// the SQS server): loopback endpoints only, a fixed region and dummy credentials, so nothing local
// can ever reach a real account.
package localaws

import (
	"context"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"banban/shared/awsclient"
)

// Region and AccountID of the local stack.
const (
	Region    = "us-east-1"
	AccountID = "000000000000"
)

// CheckEndpoint accepts only http://127.0.0.1:PORT: the servers may bind more than loopback, but
// we only ever talk to loopback.
func CheckEndpoint(ep string) error {
	u, err := url.Parse(ep)
	if err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" {
		return fmt.Errorf("endpoint %q: want http://127.0.0.1:PORT", ep)
	}
	return nil
}

// Clients builds DynamoDB and SQS clients for the local servers at the given endpoints.
func Clients(ctx context.Context, dynamoEndpoint, sqsEndpoint string) (*dynamodb.Client, *sqs.Client, error) {
	for _, ep := range []string{dynamoEndpoint, sqsEndpoint} {
		if err := CheckEndpoint(ep); err != nil {
			return nil, nil, err
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(Region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")),
		// Ignore ~/.aws so a developer's profile cannot redirect anything to a real account.
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
	)
	if err != nil {
		return nil, nil, fmt.Errorf("aws config: %w", err)
	}
	ddb := awsclient.DynamoDB(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(dynamoEndpoint) })
	sq := awsclient.SQS(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(sqsEndpoint) })
	return ddb, sq, nil
}
