// Package template reads the SAM template (template.yaml) into a typed model, for the offline local
// stack and for the tests that check that the template and the code agree.
//
// It decodes the YAML itself (gopkg.in/yaml.v3) rather than using goformation, because goformation
// drops the short-form intrinsics (!Ref, !GetAtt, !Sub) and knows neither ScheduleV2 events nor
// FunctionResponseTypes. Only what banban uses is modelled; everything else stays reachable through
// the raw YAML nodes (Resource.Properties, Function.Policies).
package template

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// Resource types the model knows.
const (
	TypeTable    = "AWS::DynamoDB::Table"
	TypeQueue    = "AWS::SQS::Queue"
	TypeFunction = "AWS::Serverless::Function"
	TypeHttpApi  = "AWS::Serverless::HttpApi"
	TypeKMSKey   = "AWS::KMS::Key"
)

// Event types the model knows.
const (
	EventHttpApi    = "HttpApi"
	EventSQS        = "SQS"
	EventScheduleV2 = "ScheduleV2"
)

// AuthNone is the Auth.Authorizer value that makes an HttpApi route public.
const AuthNone = "NONE"

// Template is the parsed template. Slices keep the order of the template file.
type Template struct {
	Description string
	// Parameters in template order.
	Parameters []Parameter
	Globals    Globals
	// Resources holds every resource by logical id, typed or not.
	Resources map[string]Resource
	Tables    []Table
	Queues    []Queue
	Functions []Function
	HttpApis  []HttpApi
	KMSKeys   []KMSKey
	Outputs   map[string]Value
}

// Parameter is a template parameter.
type Parameter struct {
	Name           string
	Type           string
	Default        string
	HasDefault     bool
	AllowedValues  []string
	AllowedPattern string
	Description    string
}

// Resource is any resource, with its raw Properties and Metadata nodes.
type Resource struct {
	LogicalID  string
	Type       string
	Properties *yaml.Node
	Metadata   *yaml.Node
}

// Globals is the Globals section; only Function globals are modelled.
type Globals struct {
	Function FunctionGlobals
}

// FunctionGlobals are the defaults every AWS::Serverless::Function inherits.
type FunctionGlobals struct {
	Runtime       string
	Handler       string
	Architectures []string
	MemorySize    int
	Timeout       int
	// Environment holds Globals.Function.Environment.Variables.
	Environment map[string]Value
}

// Table is an AWS::DynamoDB::Table.
type Table struct {
	LogicalID              string
	TableName              Value
	BillingMode            string
	KeySchema              []KeyElement
	AttributeDefinitions   []AttributeDefinition
	GlobalSecondaryIndexes []GlobalSecondaryIndex
	// TTLAttribute is the TimeToLiveSpecification attribute, "" unless TTL is enabled.
	TTLAttribute string
	// StreamViewType is StreamSpecification.StreamViewType, "" without a stream.
	StreamViewType string
}

// KeyElement is one element of a key schema.
type KeyElement struct {
	AttributeName string `yaml:"AttributeName"`
	KeyType       string `yaml:"KeyType"` // HASH or RANGE
}

// AttributeDefinition declares the type of a key attribute.
type AttributeDefinition struct {
	AttributeName string `yaml:"AttributeName"`
	AttributeType string `yaml:"AttributeType"` // S, N or B
}

// GlobalSecondaryIndex is a GSI of a table.
type GlobalSecondaryIndex struct {
	IndexName  string       `yaml:"IndexName"`
	KeySchema  []KeyElement `yaml:"KeySchema"`
	Projection Projection   `yaml:"Projection"`
}

// Projection is a GSI projection.
type Projection struct {
	ProjectionType   string   `yaml:"ProjectionType"`
	NonKeyAttributes []string `yaml:"NonKeyAttributes"`
}

// Queue is an AWS::SQS::Queue. Integer properties are nil when the template leaves them to the
// SQS default.
type Queue struct {
	LogicalID                     string
	QueueName                     Value
	FifoQueue                     bool
	ContentBasedDeduplication     bool
	VisibilityTimeout             *int
	MessageRetentionPeriod        *int
	DelaySeconds                  *int
	ReceiveMessageWaitTimeSeconds *int
	MaximumMessageSize            *int
	// Redrive is the RedrivePolicy, nil without one.
	Redrive *RedrivePolicy
}

// RedrivePolicy sends messages to a dead-letter queue after MaxReceiveCount receives.
type RedrivePolicy struct {
	// DeadLetterQueue is the logical id of the DLQ (from !GetAtt X.Arn), "" when the ARN is literal.
	DeadLetterQueue string
	// DeadLetterTargetArn is the raw deadLetterTargetArn value.
	DeadLetterTargetArn Value
	MaxReceiveCount     int
}

// Function is an AWS::Serverless::Function with Globals merged in.
type Function struct {
	LogicalID     string
	Description   string
	CodeUri       string
	Handler       string
	Runtime       string
	Architectures []string
	// BuildMethod is Metadata.BuildMethod (e.g. "makefile", "go1.x").
	BuildMethod string
	// Timeout in seconds and MemorySize in MB, from the function or Globals.
	Timeout    int
	MemorySize int
	// Environment is Globals.Function.Environment.Variables overlaid with the function's own.
	Environment map[string]Value
	// Policies is the raw Policies node (SAM policy templates and statements), nil if absent.
	Policies *yaml.Node
	// Events in template order.
	Events []Event
}

// Event is one entry of a function's Events. Exactly one of HttpApi, SQS and ScheduleV2 is set
// for the known types; Properties always holds the raw node.
type Event struct {
	Name       string
	Type       string
	HttpApi    *HttpApiEvent
	SQS        *SQSEvent
	ScheduleV2 *ScheduleV2Event
	Properties *yaml.Node
}

// HttpApiEvent is a route of an AWS::Serverless::HttpApi.
type HttpApiEvent struct {
	// ApiID is the logical id of the HttpApi (from ApiId: !Ref X), "" for the implicit API.
	ApiID  string
	Path   string
	Method string // upper case; "ANY" matches every method
	// Authorizer is Auth.Authorizer: "" (the API's default authorizer), AuthNone or a name.
	Authorizer          string
	AuthorizationScopes []string
}

// Public reports whether the route skips authorization.
func (e HttpApiEvent) Public() bool { return e.Authorizer == AuthNone }

// RouteKey is the API Gateway route key, e.g. "GET /v1/windows/{windowId}/stats".
func (e HttpApiEvent) RouteKey() string { return e.Method + " " + e.Path }

// SQSEvent is an SQS event source mapping.
type SQSEvent struct {
	// Queue is the logical id of the queue (from !GetAtt X.Arn), "" when the ARN is literal.
	Queue                          string
	QueueArn                       Value
	BatchSize                      int // SAM default 10
	MaximumBatchingWindowInSeconds int
	FunctionResponseTypes          []string
	Enabled                        bool // SAM default true
	// MaximumConcurrency is ScalingConfig.MaximumConcurrency, 0 when unset.
	MaximumConcurrency int
}

// ReportsBatchItemFailures reports whether the function returns partial batch failures.
func (e SQSEvent) ReportsBatchItemFailures() bool {
	for _, t := range e.FunctionResponseTypes {
		if t == "ReportBatchItemFailures" {
			return true
		}
	}
	return false
}

// ScheduleV2Event is an EventBridge Scheduler schedule.
type ScheduleV2Event struct {
	ScheduleExpression         string
	ScheduleExpressionTimezone string
	Name                       string
	Description                string
	State                      string
	// Input is the JSON payload sent to the function, "" for the default.
	Input            string
	RetryPolicy      *RetryPolicy
	DeadLetterConfig *DeadLetterConfig
}

// RetryPolicy of a schedule. Nil fields are unset (Scheduler defaults: 185 attempts, 86400 s).
type RetryPolicy struct {
	MaximumRetryAttempts     *int `yaml:"MaximumRetryAttempts"`
	MaximumEventAgeInSeconds *int `yaml:"MaximumEventAgeInSeconds"`
}

// DeadLetterConfig of a schedule: either an existing queue's Arn or Type: SQS (SAM creates one).
type DeadLetterConfig struct {
	Arn            Value
	Queue          string // logical id from !GetAtt X.Arn, "" otherwise
	Type           string
	QueueLogicalId string
}

// HttpApi is an AWS::Serverless::HttpApi and its authorizers.
type HttpApi struct {
	LogicalID         string
	DefaultAuthorizer string
	Authorizers       map[string]JWTAuthorizer
}

// JWTAuthorizer is a JWT authorizer of an HTTP API.
type JWTAuthorizer struct {
	Name           string
	IdentitySource string
	Issuer         Value
	Audience       []Value
}

// Load reads and parses the template at path.
func Load(path string) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return t, nil
}

// Parse parses a template from YAML.
func Parse(data []byte) (*Template, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("yaml: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("template is not a YAML mapping")
	}
	root := doc.Content[0]
	t := &Template{Resources: map[string]Resource{}, Outputs: map[string]Value{}}
	if n := get(root, "Description"); n != nil {
		t.Description = strings.TrimSpace(n.Value)
	}
	if err := t.parseParameters(get(root, "Parameters")); err != nil {
		return nil, err
	}
	if err := t.parseGlobals(get(root, "Globals")); err != nil {
		return nil, err
	}
	if err := t.parseResources(get(root, "Resources")); err != nil {
		return nil, err
	}
	if n := get(root, "Outputs"); n != nil {
		for _, kv := range pairs(n) {
			var out struct {
				Value Value `yaml:"Value"`
			}
			if err := kv.v.Decode(&out); err != nil {
				return nil, fmt.Errorf("output %s: %w", kv.k, err)
			}
			t.Outputs[kv.k] = out.Value
		}
	}
	return t, nil
}

func (t *Template) parseParameters(n *yaml.Node) error {
	for _, kv := range pairs(n) {
		var raw struct {
			Type           string    `yaml:"Type"`
			Default        yaml.Node `yaml:"Default"`
			AllowedValues  []string  `yaml:"AllowedValues"`
			AllowedPattern string    `yaml:"AllowedPattern"`
			Description    string    `yaml:"Description"`
		}
		if err := kv.v.Decode(&raw); err != nil {
			return fmt.Errorf("parameter %s: %w", kv.k, err)
		}
		p := Parameter{Name: kv.k, Type: raw.Type, AllowedValues: raw.AllowedValues,
			AllowedPattern: raw.AllowedPattern, Description: raw.Description}
		if raw.Default.Kind != 0 {
			p.Default, p.HasDefault = raw.Default.Value, true
		}
		t.Parameters = append(t.Parameters, p)
	}
	return nil
}

type envBlock struct {
	Variables map[string]Value `yaml:"Variables"`
}

func (t *Template) parseGlobals(n *yaml.Node) error {
	fn := get(n, "Function")
	if fn == nil {
		return nil
	}
	var raw struct {
		Runtime       string   `yaml:"Runtime"`
		Handler       string   `yaml:"Handler"`
		Architectures []string `yaml:"Architectures"`
		MemorySize    int      `yaml:"MemorySize"`
		Timeout       int      `yaml:"Timeout"`
		Environment   envBlock `yaml:"Environment"`
	}
	if err := fn.Decode(&raw); err != nil {
		return fmt.Errorf("globals: function: %w", err)
	}
	t.Globals.Function = FunctionGlobals{Runtime: raw.Runtime, Handler: raw.Handler,
		Architectures: raw.Architectures, MemorySize: raw.MemorySize, Timeout: raw.Timeout,
		Environment: raw.Environment.Variables}
	return nil
}

func (t *Template) parseResources(n *yaml.Node) error {
	for _, kv := range pairs(n) {
		// Sub-nodes are taken with get rather than decoded into *yaml.Node fields: yaml.v3 does not
		// fill pointer-to-Node fields reliably.
		typ := get(kv.v, "Type")
		if typ == nil || typ.Kind != yaml.ScalarNode {
			return fmt.Errorf("resource %s: no Type", kv.k)
		}
		r := Resource{LogicalID: kv.k, Type: typ.Value, Properties: orEmpty(get(kv.v, "Properties")),
			Metadata: get(kv.v, "Metadata")}
		t.Resources[kv.k] = r
		var err error
		switch r.Type {
		case TypeTable:
			err = t.parseTable(r)
		case TypeQueue:
			err = t.parseQueue(r)
		case TypeFunction:
			err = t.parseFunction(r)
		case TypeHttpApi:
			err = t.parseHttpApi(r)
		case TypeKMSKey:
			err = t.parseKMSKey(r)
		}
		if err != nil {
			return fmt.Errorf("resource %s: %w", kv.k, err)
		}
	}
	return nil
}

// KMSKey is an AWS::KMS::Key: a symmetric key wraps data keys (KeySpec SYMMETRIC_DEFAULT), an
// RSA key signs (KeyUsage SIGN_VERIFY).
type KMSKey struct {
	LogicalID string
	KeySpec   string // default SYMMETRIC_DEFAULT
	KeyUsage  string // default ENCRYPT_DECRYPT
}

func (t *Template) parseKMSKey(r Resource) error {
	var raw struct {
		KeySpec  string `yaml:"KeySpec"`
		KeyUsage string `yaml:"KeyUsage"`
	}
	if err := r.Properties.Decode(&raw); err != nil {
		return fmt.Errorf("kms key: %w", err)
	}
	t.KMSKeys = append(t.KMSKeys, KMSKey{LogicalID: r.LogicalID, KeySpec: or(raw.KeySpec, "SYMMETRIC_DEFAULT"),
		KeyUsage: or(raw.KeyUsage, "ENCRYPT_DECRYPT")})
	return nil
}

func (t *Template) parseTable(r Resource) error {
	var raw struct {
		TableName               Value                  `yaml:"TableName"`
		BillingMode             string                 `yaml:"BillingMode"`
		KeySchema               []KeyElement           `yaml:"KeySchema"`
		AttributeDefinitions    []AttributeDefinition  `yaml:"AttributeDefinitions"`
		GlobalSecondaryIndexes  []GlobalSecondaryIndex `yaml:"GlobalSecondaryIndexes"`
		TimeToLiveSpecification struct {
			AttributeName string `yaml:"AttributeName"`
			Enabled       bool   `yaml:"Enabled"`
		} `yaml:"TimeToLiveSpecification"`
		StreamSpecification struct {
			StreamViewType string `yaml:"StreamViewType"`
		} `yaml:"StreamSpecification"`
	}
	if err := r.Properties.Decode(&raw); err != nil {
		return err
	}
	if len(raw.KeySchema) == 0 {
		return fmt.Errorf("table has no KeySchema")
	}
	tb := Table{LogicalID: r.LogicalID, TableName: raw.TableName, BillingMode: raw.BillingMode,
		KeySchema: raw.KeySchema, AttributeDefinitions: raw.AttributeDefinitions,
		GlobalSecondaryIndexes: raw.GlobalSecondaryIndexes,
		StreamViewType:         raw.StreamSpecification.StreamViewType}
	if raw.TimeToLiveSpecification.Enabled {
		tb.TTLAttribute = raw.TimeToLiveSpecification.AttributeName
	}
	t.Tables = append(t.Tables, tb)
	return nil
}

func (t *Template) parseQueue(r Resource) error {
	var raw struct {
		QueueName                     Value `yaml:"QueueName"`
		FifoQueue                     bool  `yaml:"FifoQueue"`
		ContentBasedDeduplication     bool  `yaml:"ContentBasedDeduplication"`
		VisibilityTimeout             *int  `yaml:"VisibilityTimeout"`
		MessageRetentionPeriod        *int  `yaml:"MessageRetentionPeriod"`
		DelaySeconds                  *int  `yaml:"DelaySeconds"`
		ReceiveMessageWaitTimeSeconds *int  `yaml:"ReceiveMessageWaitTimeSeconds"`
		MaximumMessageSize            *int  `yaml:"MaximumMessageSize"`
		RedrivePolicy                 *struct {
			DeadLetterTargetArn Value `yaml:"deadLetterTargetArn"`
			MaxReceiveCount     int   `yaml:"maxReceiveCount"`
		} `yaml:"RedrivePolicy"`
	}
	if err := r.Properties.Decode(&raw); err != nil {
		return err
	}
	q := Queue{LogicalID: r.LogicalID, QueueName: raw.QueueName, FifoQueue: raw.FifoQueue,
		ContentBasedDeduplication: raw.ContentBasedDeduplication, VisibilityTimeout: raw.VisibilityTimeout,
		MessageRetentionPeriod: raw.MessageRetentionPeriod, DelaySeconds: raw.DelaySeconds,
		ReceiveMessageWaitTimeSeconds: raw.ReceiveMessageWaitTimeSeconds, MaximumMessageSize: raw.MaximumMessageSize}
	if rp := raw.RedrivePolicy; rp != nil {
		q.Redrive = &RedrivePolicy{DeadLetterTargetArn: rp.DeadLetterTargetArn, MaxReceiveCount: rp.MaxReceiveCount}
		if rp.DeadLetterTargetArn.Kind == GetAtt && rp.DeadLetterTargetArn.Attr == "Arn" {
			q.Redrive.DeadLetterQueue = rp.DeadLetterTargetArn.Name
		}
	}
	t.Queues = append(t.Queues, q)
	return nil
}

func (t *Template) parseHttpApi(r Resource) error {
	var raw struct {
		Auth struct {
			DefaultAuthorizer string `yaml:"DefaultAuthorizer"`
			Authorizers       map[string]struct {
				IdentitySource   string `yaml:"IdentitySource"`
				JwtConfiguration struct {
					Issuer   Value   `yaml:"issuer"`
					Audience []Value `yaml:"audience"`
				} `yaml:"JwtConfiguration"`
			} `yaml:"Authorizers"`
		} `yaml:"Auth"`
	}
	if err := r.Properties.Decode(&raw); err != nil {
		return err
	}
	api := HttpApi{LogicalID: r.LogicalID, DefaultAuthorizer: raw.Auth.DefaultAuthorizer,
		Authorizers: map[string]JWTAuthorizer{}}
	for name, a := range raw.Auth.Authorizers {
		api.Authorizers[name] = JWTAuthorizer{Name: name, IdentitySource: a.IdentitySource,
			Issuer: a.JwtConfiguration.Issuer, Audience: a.JwtConfiguration.Audience}
	}
	if api.DefaultAuthorizer != "" {
		if _, ok := api.Authorizers[api.DefaultAuthorizer]; !ok {
			return fmt.Errorf("DefaultAuthorizer %q is not among the Authorizers", api.DefaultAuthorizer)
		}
	}
	t.HttpApis = append(t.HttpApis, api)
	return nil
}

func (t *Template) parseFunction(r Resource) error {
	var raw struct {
		Description   string   `yaml:"Description"`
		CodeUri       string   `yaml:"CodeUri"`
		Handler       string   `yaml:"Handler"`
		Runtime       string   `yaml:"Runtime"`
		Architectures []string `yaml:"Architectures"`
		Timeout       int      `yaml:"Timeout"`
		MemorySize    int      `yaml:"MemorySize"`
		Environment   envBlock `yaml:"Environment"`
	}
	if err := r.Properties.Decode(&raw); err != nil {
		return err
	}
	g := t.Globals.Function
	f := Function{LogicalID: r.LogicalID, Description: raw.Description, CodeUri: raw.CodeUri,
		Handler: or(raw.Handler, g.Handler), Runtime: or(raw.Runtime, g.Runtime),
		Architectures: raw.Architectures, Timeout: raw.Timeout, MemorySize: raw.MemorySize,
		Policies: get(r.Properties, "Policies"), Environment: map[string]Value{}}
	if f.Architectures == nil {
		f.Architectures = g.Architectures
	}
	// SAM defaults when neither the function nor Globals set them.
	if f.Timeout == 0 {
		f.Timeout = g.Timeout
	}
	if f.Timeout == 0 {
		f.Timeout = 3
	}
	if f.MemorySize == 0 {
		f.MemorySize = g.MemorySize
	}
	if f.MemorySize == 0 {
		f.MemorySize = 128
	}
	for k, v := range g.Environment {
		f.Environment[k] = v
	}
	for k, v := range raw.Environment.Variables {
		f.Environment[k] = v
	}
	if r.Metadata != nil {
		var md struct {
			BuildMethod string `yaml:"BuildMethod"`
		}
		if err := r.Metadata.Decode(&md); err != nil {
			return fmt.Errorf("metadata: %w", err)
		}
		f.BuildMethod = md.BuildMethod
	}
	for _, kv := range pairs(get(r.Properties, "Events")) {
		ev, err := parseEvent(kv.k, kv.v)
		if err != nil {
			return fmt.Errorf("event %s: %w", kv.k, err)
		}
		f.Events = append(f.Events, ev)
	}
	t.Functions = append(t.Functions, f)
	return nil
}

func parseEvent(name string, n *yaml.Node) (Event, error) {
	var raw struct {
		Type       string
		Properties *yaml.Node
	}
	if typ := get(n, "Type"); typ != nil {
		raw.Type = typ.Value
	}
	raw.Properties = orEmpty(get(n, "Properties"))
	ev := Event{Name: name, Type: raw.Type, Properties: raw.Properties}
	switch raw.Type {
	case EventHttpApi:
		var p struct {
			ApiID  Value  `yaml:"ApiId"`
			Path   string `yaml:"Path"`
			Method string `yaml:"Method"`
			Auth   struct {
				Authorizer          string   `yaml:"Authorizer"`
				AuthorizationScopes []string `yaml:"AuthorizationScopes"`
			} `yaml:"Auth"`
		}
		if err := raw.Properties.Decode(&p); err != nil {
			return Event{}, err
		}
		if p.Path == "" || p.Method == "" {
			return Event{}, fmt.Errorf("HttpApi event needs Path and Method")
		}
		ev.HttpApi = &HttpApiEvent{Path: p.Path, Method: strings.ToUpper(p.Method),
			Authorizer: p.Auth.Authorizer, AuthorizationScopes: p.Auth.AuthorizationScopes}
		if p.ApiID.Kind == Ref {
			ev.HttpApi.ApiID = p.ApiID.Name
		}
	case EventSQS:
		var p struct {
			Queue                          Value    `yaml:"Queue"`
			BatchSize                      *int     `yaml:"BatchSize"`
			MaximumBatchingWindowInSeconds int      `yaml:"MaximumBatchingWindowInSeconds"`
			FunctionResponseTypes          []string `yaml:"FunctionResponseTypes"`
			Enabled                        *bool    `yaml:"Enabled"`
			ScalingConfig                  struct {
				MaximumConcurrency int `yaml:"MaximumConcurrency"`
			} `yaml:"ScalingConfig"`
		}
		if err := raw.Properties.Decode(&p); err != nil {
			return Event{}, err
		}
		e := &SQSEvent{QueueArn: p.Queue, BatchSize: 10, Enabled: true,
			MaximumBatchingWindowInSeconds: p.MaximumBatchingWindowInSeconds,
			FunctionResponseTypes:          p.FunctionResponseTypes,
			MaximumConcurrency:             p.ScalingConfig.MaximumConcurrency}
		if p.BatchSize != nil {
			e.BatchSize = *p.BatchSize
		}
		if p.Enabled != nil {
			e.Enabled = *p.Enabled
		}
		if p.Queue.Kind == GetAtt && p.Queue.Attr == "Arn" {
			e.Queue = p.Queue.Name
		}
		ev.SQS = e
	case EventScheduleV2:
		var p struct {
			ScheduleExpression         string       `yaml:"ScheduleExpression"`
			ScheduleExpressionTimezone string       `yaml:"ScheduleExpressionTimezone"`
			Name                       string       `yaml:"Name"`
			Description                string       `yaml:"Description"`
			State                      string       `yaml:"State"`
			Input                      string       `yaml:"Input"`
			RetryPolicy                *RetryPolicy `yaml:"RetryPolicy"`
			DeadLetterConfig           *struct {
				Arn            Value  `yaml:"Arn"`
				Type           string `yaml:"Type"`
				QueueLogicalId string `yaml:"QueueLogicalId"`
			} `yaml:"DeadLetterConfig"`
		}
		if err := raw.Properties.Decode(&p); err != nil {
			return Event{}, err
		}
		if p.ScheduleExpression == "" {
			return Event{}, fmt.Errorf("ScheduleV2 event needs ScheduleExpression")
		}
		e := &ScheduleV2Event{ScheduleExpression: p.ScheduleExpression,
			ScheduleExpressionTimezone: p.ScheduleExpressionTimezone, Name: p.Name,
			Description: p.Description, State: p.State, Input: p.Input, RetryPolicy: p.RetryPolicy}
		if d := p.DeadLetterConfig; d != nil {
			e.DeadLetterConfig = &DeadLetterConfig{Arn: d.Arn, Type: d.Type, QueueLogicalId: d.QueueLogicalId}
			if d.Arn.Kind == GetAtt && d.Arn.Attr == "Arn" {
				e.DeadLetterConfig.Queue = d.Arn.Name
			}
		}
		ev.ScheduleV2 = e
	}
	return ev, nil
}

// Function returns the function with the logical id, or false.
func (t *Template) Function(logicalID string) (Function, bool) {
	for _, f := range t.Functions {
		if f.LogicalID == logicalID {
			return f, true
		}
	}
	return Function{}, false
}

// Table returns the table with the logical id, or false.
func (t *Template) Table(logicalID string) (Table, bool) {
	for _, tb := range t.Tables {
		if tb.LogicalID == logicalID {
			return tb, true
		}
	}
	return Table{}, false
}

// Queue returns the queue with the logical id, or false.
func (t *Template) Queue(logicalID string) (Queue, bool) {
	for _, q := range t.Queues {
		if q.LogicalID == logicalID {
			return q, true
		}
	}
	return Queue{}, false
}

// HttpApi returns the HTTP API with the logical id ("" returns the only one), or false.
func (t *Template) HttpApi(logicalID string) (HttpApi, bool) {
	for _, a := range t.HttpApis {
		if a.LogicalID == logicalID || (logicalID == "" && len(t.HttpApis) == 1) {
			return a, true
		}
	}
	return HttpApi{}, false
}

// Parameter returns the parameter with the name, or false.
func (t *Template) Parameter(name string) (Parameter, bool) {
	for _, p := range t.Parameters {
		if p.Name == name {
			return p, true
		}
	}
	return Parameter{}, false
}

// ParameterValues returns every parameter's value: overrides first, then defaults. It fails on an
// override for an unknown parameter, a parameter with neither, or a value outside AllowedValues or
// AllowedPattern — the checks CloudFormation makes at deploy time.
func (t *Template) ParameterValues(overrides map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for name := range overrides {
		if _, ok := t.Parameter(name); !ok {
			return nil, fmt.Errorf("parameter %s is not in the template", name)
		}
	}
	var missing []string
	for _, p := range t.Parameters {
		v, ok := overrides[p.Name]
		if !ok {
			if !p.HasDefault {
				missing = append(missing, p.Name)
				continue
			}
			v = p.Default
		}
		if len(p.AllowedValues) > 0 && !contains(p.AllowedValues, v) {
			return nil, fmt.Errorf("parameter %s: %q is not one of %v", p.Name, v, p.AllowedValues)
		}
		if p.AllowedPattern != "" {
			re, err := regexp.Compile("^(?:" + p.AllowedPattern + ")$")
			if err != nil {
				return nil, fmt.Errorf("parameter %s: AllowedPattern: %w", p.Name, err)
			}
			if !re.MatchString(v) {
				return nil, fmt.Errorf("parameter %s: %q does not match %s", p.Name, v, p.AllowedPattern)
			}
		}
		if p.Type == "Number" {
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				return nil, fmt.Errorf("parameter %s: %q is not a number", p.Name, v)
			}
		}
		out[p.Name] = v
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("parameters without a value or default: %s", strings.Join(missing, ", "))
	}
	return out, nil
}

// FunctionFolder maps a function's logical id to its source folder under functions/, by the
// project convention: strip the "Function" suffix and kebab-case the rest
// (EvaluationApiFunction → evaluation-api, HTTPProxyFunction → http-proxy).
func FunctionFolder(logicalID string) string {
	name := strings.TrimSuffix(logicalID, "Function")
	rs := []rune(name)
	var b strings.Builder
	for i, r := range rs {
		if unicode.IsUpper(r) && i > 0 {
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			// A word starts at an upper-case letter after a lower-case letter or digit, or at the
			// last capital of an acronym followed by lower case (HTTPProxy → http-proxy).
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				b.WriteByte('-')
			}
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

type kv struct {
	k string
	v *yaml.Node
}

// pairs lists a mapping node's entries in document order (nil for a nil node).
func pairs(n *yaml.Node) []kv {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	out := make([]kv, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, kv{n.Content[i].Value, n.Content[i+1]})
	}
	return out
}

// get returns the value node of key in a mapping node, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	for _, p := range pairs(n) {
		if p.k == key {
			return p.v
		}
	}
	return nil
}

// orEmpty returns n, or an empty mapping for a missing node so that decoding it yields zero values.
func orEmpty(n *yaml.Node) *yaml.Node {
	if n == nil {
		return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	return n
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
