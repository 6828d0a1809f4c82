package stack_test

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"banban/local/stack"
	"banban/local/template"
	"banban/local/testenv"
)

func TestProvisionIdempotent(t *testing.T) {
	ctx := t.Context()
	ddb, sqsc := testenv.DynamoDB(t), testenv.SQS(t)
	for _, file := range []string{filepath.Join("testdata", "template.yaml"), filepath.Join("..", "..", "template.yaml")} {
		tpl, err := template.Load(file)
		if err != nil {
			t.Fatal(err)
		}
		params, err := tpl.ParameterValues(map[string]string{"Stage": testenv.UniqueName("p"), "JwtIssuer": "iss"})
		if err != nil {
			t.Fatal(err)
		}
		cfg := stack.ProvisionConfig{Template: tpl, Params: params, Region: stack.LocalRegion,
			AccountID: stack.LocalAccountID, DynamoDB: ddb, SQS: sqsc, KeysDir: t.TempDir()}
		first, err := stack.Provision(ctx, cfg)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		second, err := stack.Provision(ctx, cfg)
		if err != nil {
			t.Fatalf("%s: second provision: %v", file, err)
		}
		for _, k := range tpl.KMSKeys {
			if first.Resolver.Refs[k.LogicalID] == "" || first.Resolver.Refs[k.LogicalID] != second.Resolver.Refs[k.LogicalID] {
				t.Errorf("%s: kms key %s: %q then %q", file, k.LogicalID, first.Resolver.Refs[k.LogicalID], second.Resolver.Refs[k.LogicalID])
			}
		}
		if len(first.Tables) != len(tpl.Tables) || len(first.Queues) != len(tpl.Queues) {
			t.Errorf("%s: provisioned %v %v", file, first.Tables, first.Queues)
		}
		for id, q := range first.Queues {
			if second.Queues[id] != q {
				t.Errorf("%s: queue %s changed: %v → %v", file, id, q, second.Queues[id])
			}
		}
		for _, tb := range tpl.Tables {
			name := first.Tables[tb.LogicalID]
			d, err := ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Table.GlobalSecondaryIndexes) != len(tb.GlobalSecondaryIndexes) ||
				d.Table.BillingModeSummary == nil || d.Table.BillingModeSummary.BillingMode != ddbtypes.BillingModePayPerRequest {
				t.Errorf("%s: table %s: %+v", file, name, d.Table)
			}
			ttl, err := ddb.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
			if err != nil {
				t.Fatal(err)
			}
			enabled := ttl.TimeToLiveDescription.TimeToLiveStatus == ddbtypes.TimeToLiveStatusEnabled
			if enabled != (tb.TTLAttribute != "") || (enabled && aws.ToString(ttl.TimeToLiveDescription.AttributeName) != tb.TTLAttribute) {
				t.Errorf("%s: table %s TTL %+v, want %q", file, name, ttl.TimeToLiveDescription, tb.TTLAttribute)
			}
		}
		for _, q := range tpl.Queues {
			info := first.Queues[q.LogicalID]
			a, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(info.URL),
				AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
			if err != nil {
				t.Fatal(err)
			}
			if q.VisibilityTimeout != nil && a.Attributes["VisibilityTimeout"] != itoa(*q.VisibilityTimeout) {
				t.Errorf("%s: %s VisibilityTimeout %s", file, q.LogicalID, a.Attributes["VisibilityTimeout"])
			}
			if q.Redrive != nil {
				var rp struct {
					DeadLetterTargetArn string `json:"deadLetterTargetArn"`
					MaxReceiveCount     any    `json:"maxReceiveCount"`
				}
				if err := json.Unmarshal([]byte(a.Attributes["RedrivePolicy"]), &rp); err != nil {
					t.Fatalf("%s: RedrivePolicy %q: %v", file, a.Attributes["RedrivePolicy"], err)
				}
				if rp.DeadLetterTargetArn != first.Queues[q.Redrive.DeadLetterQueue].ARN {
					t.Errorf("%s: %s redrive to %s", file, q.LogicalID, rp.DeadLetterTargetArn)
				}
			}
		}
	}
}

func itoa(n int) string {
	b, err := json.Marshal(n)
	if err != nil {
		panic(err)
	}
	return string(b)
}
