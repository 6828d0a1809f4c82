// Command echo is the fixture function of the local stack's tests. It answers the three kinds of
// events the stack produces:
//   - API Gateway v2 HTTP: returns the event and its environment as JSON; GET /v1/fail returns a
//     handler error, /v1/binary a base64 body.
//   - SQS: counts each record in THINGS_TABLE (pk = body) and reports records whose body starts
//     with "fail" as batch item failures.
//   - anything else (a schedule): returns {"input": event, "env": environment}.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func env() map[string]string {
	out := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var probe struct {
		Version string            `json:"version"`
		Records []json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("decode event: %w", err)
	}
	switch {
	case probe.Version == "2.0":
		var req events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &req); err != nil {
			return nil, fmt.Errorf("decode http event: %w", err)
		}
		return handleHTTP(req)
	case len(probe.Records) > 0:
		var ev events.SQSEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("decode sqs event: %w", err)
		}
		return handleSQS(ctx, ev)
	default:
		return map[string]any{"input": raw, "env": env()}, nil
	}
}

func handleHTTP(req events.APIGatewayV2HTTPRequest) (any, error) {
	switch req.RawPath {
	case "/v1/fail":
		return nil, errors.New("deliberate failure")
	case "/v1/sleep":
		time.Sleep(300 * time.Millisecond)
	case "/v1/binary":
		return events.APIGatewayV2HTTPResponse{StatusCode: 201, IsBase64Encoded: true,
			Headers: map[string]string{"Content-Type": "application/octet-stream"},
			Body:    base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 255})}, nil
	case "/v1/plain":
		return map[string]string{"plain": "yes"}, nil
	}
	body, err := json.Marshal(map[string]any{"event": req, "env": env()})
	if err != nil {
		return nil, fmt.Errorf("marshal: %w", err)
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode:        200,
		Headers:           map[string]string{"Content-Type": "application/json", "X-Echo": "1"},
		MultiValueHeaders: map[string][]string{"X-Multi": {"a", "b"}},
		Cookies:           []string{"session=abc; Path=/"},
		Body:              string(body),
	}, nil
}

func handleSQS(ctx context.Context, ev events.SQSEvent) (any, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.DisableValidateResponseChecksum = true })
	var resp events.SQSEventResponse
	for _, r := range ev.Records {
		if r.EventSource != "aws:sqs" || r.Attributes["ApproximateReceiveCount"] == "" {
			return nil, fmt.Errorf("record not shaped like Lambda's: %+v", r)
		}
		_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 aws.String(os.Getenv("THINGS_TABLE")),
			Key:                       map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: r.Body}},
			UpdateExpression:          aws.String("ADD receives :one"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}},
		})
		if err != nil {
			return nil, fmt.Errorf("count %s: %w", r.Body, err)
		}
		if strings.HasPrefix(r.Body, "fail") {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
		}
	}
	return resp, nil
}

func main() {
	lambda.Start(handle)
}
