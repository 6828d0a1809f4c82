package stack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"banban/local/template"
)

// QueueInfo is a provisioned queue.
type QueueInfo struct {
	Name string
	URL  string
	ARN  string
}

// Resources are the physical names of a provisioned template, and the resolver that turns the
// template's intrinsics into them.
type Resources struct {
	Tables   map[string]string    // logical id → table name
	Queues   map[string]QueueInfo // logical id → queue
	Resolver template.Resolver
}

// ProvisionConfig says what to provision where.
type ProvisionConfig struct {
	Template  *template.Template
	Params    map[string]string // complete parameter values (Template.ParameterValues)
	Region    string
	AccountID string
	StackName string
	DynamoDB  *dynamodb.Client // may be nil when the template has no tables
	SQS       *sqs.Client      // may be nil when the template has no queues
	// KeysDir holds the local stand-ins of the template's KMS keys (required when it has any).
	KeysDir string
}

// Provision creates every table and queue of the template (idempotently: existing ones are kept
// as they are) and returns their physical names and a resolver for the functions' environment.
func Provision(ctx context.Context, cfg ProvisionConfig) (*Resources, error) {
	if cfg.StackName == "" {
		cfg.StackName = "banban-" + cfg.Params["Stage"]
	}
	res := &Resources{Tables: map[string]string{}, Queues: map[string]QueueInfo{}}
	r := template.Resolver{
		Params: cfg.Params,
		Pseudo: template.PseudoParams(cfg.Region, cfg.AccountID, cfg.StackName),
		Refs:   map[string]string{},
		Attrs:  map[string]string{},
	}
	t := cfg.Template
	names, err := TableNames(t, r, cfg.StackName)
	if err != nil {
		return nil, err
	}
	for _, tb := range t.Tables {
		name := names[tb.LogicalID]
		if cfg.DynamoDB == nil {
			return nil, fmt.Errorf("table %s: no DynamoDB client", tb.LogicalID)
		}
		if err := createTable(ctx, cfg.DynamoDB, tb, name); err != nil {
			return nil, fmt.Errorf("table %s (%s): %w", tb.LogicalID, name, err)
		}
		res.Tables[tb.LogicalID] = name
		r.Refs[tb.LogicalID] = name
		r.Attrs[tb.LogicalID+".Arn"] = fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", cfg.Region, cfg.AccountID, name)
	}
	// Dead-letter queues first: a RedrivePolicy names its DLQ by ARN, which must exist.
	for _, q := range orderQueues(t.Queues) {
		name, err := physicalName(r, q.QueueName, cfg.StackName, q.LogicalID)
		if err != nil {
			return nil, fmt.Errorf("queue %s: %w", q.LogicalID, err)
		}
		if q.FifoQueue && !strings.HasSuffix(name, ".fifo") {
			name += ".fifo"
		}
		if cfg.SQS == nil {
			return nil, fmt.Errorf("queue %s: no SQS client", q.LogicalID)
		}
		info, err := createQueue(ctx, cfg.SQS, q, name, res.Queues)
		if err != nil {
			return nil, fmt.Errorf("queue %s (%s): %w", q.LogicalID, name, err)
		}
		res.Queues[q.LogicalID] = info
		r.Refs[q.LogicalID] = info.URL
		r.Attrs[q.LogicalID+".Arn"] = info.ARN
		r.Attrs[q.LogicalID+".QueueName"] = info.Name
		r.Attrs[q.LogicalID+".QueueUrl"] = info.URL
	}
	for _, k := range t.KMSKeys {
		ref, err := localKey(cfg.KeysDir, cfg.StackName, k)
		if err != nil {
			return nil, fmt.Errorf("kms key %s: %w", k.LogicalID, err)
		}
		r.Refs[k.LogicalID] = ref
		r.Attrs[k.LogicalID+".Arn"] = fmt.Sprintf("arn:aws:kms:%s:%s:key/%s-%s", cfg.Region, cfg.AccountID, cfg.StackName, k.LogicalID)
	}
	for _, f := range t.Functions {
		r.Refs[f.LogicalID] = f.LogicalID
		r.Attrs[f.LogicalID+".Arn"] = FunctionARN(cfg.Region, cfg.AccountID, f.LogicalID)
	}
	for _, a := range t.HttpApis {
		r.Refs[a.LogicalID] = "local"
	}
	res.Resolver = r
	return res, nil
}

// TableNames are the physical names of the template's tables in stack stackName, as the stack
// (here, or CloudFormation on AWS) names them: by logical id.
func TableNames(t *template.Template, r template.Resolver, stackName string) (map[string]string, error) {
	names := map[string]string{}
	for _, tb := range t.Tables {
		name, err := physicalName(r, tb.TableName, stackName, tb.LogicalID)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", tb.LogicalID, err)
		}
		names[tb.LogicalID] = name
	}
	return names, nil
}

// FunctionARN is the ARN the local stack gives a function.
func FunctionARN(region, account, name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, account, name)
}

// physicalName resolves a TableName/QueueName, or makes one like CloudFormation does (stack name
// plus logical id) when the template leaves it out.
func physicalName(r template.Resolver, v template.Value, stack, logicalID string) (string, error) {
	if v.IsZero() {
		return stack + "-" + logicalID, nil
	}
	return r.Resolve(v)
}

// orderQueues puts every dead-letter queue before the queues that redrive to it.
func orderQueues(qs []template.Queue) []template.Queue {
	var dlqs, rest []template.Queue
	isDLQ := map[string]bool{}
	for _, q := range qs {
		if q.Redrive != nil {
			isDLQ[q.Redrive.DeadLetterQueue] = true
		}
	}
	for _, q := range qs {
		if isDLQ[q.LogicalID] && q.Redrive == nil {
			dlqs = append(dlqs, q)
		} else {
			rest = append(rest, q)
		}
	}
	return append(dlqs, rest...)
}

func createTable(ctx context.Context, c *dynamodb.Client, tb template.Table, name string) error {
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: ddbtypes.BillingModePayPerRequest,
		KeySchema:   keySchema(tb.KeySchema),
	}
	for _, a := range tb.AttributeDefinitions {
		in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{
			AttributeName: aws.String(a.AttributeName), AttributeType: ddbtypes.ScalarAttributeType(a.AttributeType)})
	}
	for _, g := range tb.GlobalSecondaryIndexes {
		p := &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionType(g.Projection.ProjectionType)}
		if len(g.Projection.NonKeyAttributes) > 0 {
			p.NonKeyAttributes = g.Projection.NonKeyAttributes
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, ddbtypes.GlobalSecondaryIndex{
			IndexName: aws.String(g.IndexName), KeySchema: keySchema(g.KeySchema), Projection: p})
	}
	// Streams are deliberately not enabled locally: DynamoDB Local slows writes down badly with
	// them, and nothing local consumes them.
	_, err := c.CreateTable(ctx, in)
	var inUse *ddbtypes.ResourceInUseException
	switch {
	case errors.As(err, &inUse):
		slog.Debug("table exists", "table", name)
	case err != nil:
		return fmt.Errorf("create table: %w", err)
	default:
		slog.Info("created table", "table", name)
	}
	if tb.TTLAttribute == "" {
		return nil
	}
	desc, err := c.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("describe TTL: %w", err)
	}
	if d := desc.TimeToLiveDescription; d != nil && d.TimeToLiveStatus == ddbtypes.TimeToLiveStatusEnabled &&
		aws.ToString(d.AttributeName) == tb.TTLAttribute {
		return nil
	}
	_, err = c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{
			AttributeName: aws.String(tb.TTLAttribute), Enabled: aws.Bool(true)},
	})
	if err != nil {
		return fmt.Errorf("enable TTL on %s: %w", tb.TTLAttribute, err)
	}
	return nil
}

func keySchema(ks []template.KeyElement) []ddbtypes.KeySchemaElement {
	out := make([]ddbtypes.KeySchemaElement, len(ks))
	for i, k := range ks {
		out[i] = ddbtypes.KeySchemaElement{AttributeName: aws.String(k.AttributeName), KeyType: ddbtypes.KeyType(k.KeyType)}
	}
	return out
}

func createQueue(ctx context.Context, c *sqs.Client, q template.Queue, name string, known map[string]QueueInfo) (QueueInfo, error) {
	attrs := map[string]string{}
	setInt := func(key string, v *int) {
		if v != nil {
			attrs[key] = strconv.Itoa(*v)
		}
	}
	setInt("VisibilityTimeout", q.VisibilityTimeout)
	setInt("MessageRetentionPeriod", q.MessageRetentionPeriod)
	setInt("DelaySeconds", q.DelaySeconds)
	setInt("ReceiveMessageWaitTimeSeconds", q.ReceiveMessageWaitTimeSeconds)
	setInt("MaximumMessageSize", q.MaximumMessageSize)
	if q.FifoQueue {
		attrs["FifoQueue"] = "true"
		if q.ContentBasedDeduplication {
			attrs["ContentBasedDeduplication"] = "true"
		}
	}
	if q.Redrive != nil {
		dlq, ok := known[q.Redrive.DeadLetterQueue]
		if !ok {
			return QueueInfo{}, fmt.Errorf("dead-letter queue %q is not a queue of the template", q.Redrive.DeadLetterQueue)
		}
		attrs["RedrivePolicy"] = fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":%d}`, dlq.ARN, q.Redrive.MaxReceiveCount)
	}
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	var exists *sqstypes.QueueNameExists
	if errors.As(err, &exists) {
		// Same name, different attributes (the template changed): bring the queue up to date
		// instead of failing, since local queues are disposable.
		got, gerr := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
		if gerr != nil {
			return QueueInfo{}, fmt.Errorf("get queue url: %w", gerr)
		}
		delete(attrs, "FifoQueue") // immutable
		if _, serr := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: got.QueueUrl, Attributes: attrs}); serr != nil {
			return QueueInfo{}, fmt.Errorf("update queue attributes: %w", serr)
		}
		out = &sqs.CreateQueueOutput{QueueUrl: got.QueueUrl}
	} else if err != nil {
		return QueueInfo{}, fmt.Errorf("create queue: %w", err)
	}
	// Ask the server for the ARN rather than composing it: the redrive policy must name the DLQ
	// exactly as the server knows it (account id, region).
	ga, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return QueueInfo{}, fmt.Errorf("get queue arn: %w", err)
	}
	info := QueueInfo{Name: name, URL: aws.ToString(out.QueueUrl), ARN: ga.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]}
	if info.ARN == "" {
		return QueueInfo{}, fmt.Errorf("server returned no QueueArn")
	}
	slog.Info("queue ready", "queue", name, "url", info.URL)
	return info, nil
}
