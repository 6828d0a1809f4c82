// Package testenv holds helpers for tests that need the offline local stack: AWS clients for the
// DynamoDB Local and SQS servers started by `make test` (local/servers.sh), the Lambda Runtime
// Interface Emulator, function binaries built once per test binary, unique resource names and
// polling with a deadline.
//
// Tests read the server endpoints from BANBAN_TEST_DYNAMODB and BANBAN_TEST_SQS (e.g.
// http://127.0.0.1:8000). When a variable is unset the test fails, never skips: a skipped
// integration test looks green while testing nothing. Run them through `make test`, or start the
// servers yourself (local/servers.sh start) and export the variables (local/servers.sh env).
package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"banban/local/localaws"
)

// Environment variables naming the test servers.
const (
	EnvDynamoDB = "BANBAN_TEST_DYNAMODB"
	EnvSQS      = "BANBAN_TEST_SQS"
)

// Region and AccountID of the local stack.
const (
	Region    = localaws.Region
	AccountID = localaws.AccountID
)

// Endpoint returns the value of env (EnvDynamoDB or EnvSQS), failing the test when it is unset or
// not a loopback http URL.
func Endpoint(t testing.TB, env string) string {
	t.Helper()
	v := os.Getenv(env)
	if v == "" {
		t.Fatalf("%s is not set: this test needs the local servers. Run it with `make test`, or "+
			"`local/servers.sh start` and `eval $(local/servers.sh env | sed 's/^/export /')`", env)
	}
	if err := localaws.CheckEndpoint(v); err != nil {
		t.Fatalf("%s: %v", env, err)
	}
	return v
}

// clients returns clients for the test servers, failing the test when they are not configured.
func clients(t testing.TB) (*dynamodb.Client, *sqs.Client) {
	t.Helper()
	ddb, sq, err := localaws.Clients(context.Background(), Endpoint(t, EnvDynamoDB), Endpoint(t, EnvSQS))
	if err != nil {
		t.Fatal(err)
	}
	return ddb, sq
}

// DynamoDB returns a client for the DynamoDB Local named by BANBAN_TEST_DYNAMODB.
func DynamoDB(t testing.TB) *dynamodb.Client {
	t.Helper()
	ddb, _ := clients(t)
	return ddb
}

// SQS returns a client for the SQS server named by BANBAN_TEST_SQS.
func SQS(t testing.TB) *sqs.Client {
	t.Helper()
	_, sq := clients(t)
	return sq
}

// FunctionEnv returns the variables a function process needs to reach the test servers
// (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SQS, region and dummy credentials).
func FunctionEnv(t testing.TB) map[string]string {
	t.Helper()
	return map[string]string{
		"AWS_ENDPOINT_URL_DYNAMODB": Endpoint(t, EnvDynamoDB),
		"AWS_ENDPOINT_URL_SQS":      Endpoint(t, EnvSQS),
		"AWS_REGION":                Region,
		"AWS_DEFAULT_REGION":        Region,
		"AWS_ACCESS_KEY_ID":         "local",
		"AWS_SECRET_ACCESS_KEY":     "local",
	}
}

var (
	rootOnce sync.Once
	root     string
	rootErr  error
)

// RepoRoot returns the repository root (the directory of go.mod), found from the working directory
// (go test runs in the package directory).
func RepoRoot(t testing.TB) string {
	t.Helper()
	rootOnce.Do(func() {
		dir, err := os.Getwd()
		if err != nil {
			rootErr = fmt.Errorf("getwd: %w", err)
			return
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				root = dir
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				rootErr = fmt.Errorf("no go.mod above the working directory")
				return
			}
			dir = parent
		}
	})
	if rootErr != nil {
		t.Fatalf("repo root: %v", rootErr)
	}
	return root
}

// RIE returns the path of the Lambda Runtime Interface Emulator installed by local/fetch.sh,
// failing the test when it is missing.
func RIE(t testing.TB) string {
	t.Helper()
	p := filepath.Join(RepoRoot(t), ".local", "bin", "aws-lambda-rie")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("aws-lambda-rie not found at %s: run local/fetch.sh (%v)", p, err)
	}
	return p
}

type buildResult struct {
	once sync.Once
	path string
	err  error
}

var builds sync.Map // package path → *buildResult

// BuildFunction builds the Lambda function package pkg (a path relative to the repository root,
// e.g. "./functions/evaluation-api" or "./local/stack/testdata/echo") for the host, as
// `make build-local` does, and returns the bootstrap's path. It builds once per test binary; the
// result lives in .local/testbuild/ and is replaced atomically, so test binaries running in
// parallel can share it.
func BuildFunction(t testing.TB, pkg string) string {
	t.Helper()
	v, _ := builds.LoadOrStore(pkg, &buildResult{})
	b := v.(*buildResult)
	b.once.Do(func() { b.path, b.err = build(RepoRoot(t), pkg) })
	if b.err != nil {
		t.Fatalf("build %s: %v", pkg, b.err)
	}
	return b.path
}

func build(root, pkg string) (string, error) {
	slug := strings.NewReplacer("/", "_", ".", "_").Replace(strings.TrimPrefix(pkg, "./"))
	dir := filepath.Join(root, ".local", "testbuild", slug)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("mkdir: %w", err)
	}
	tmp := filepath.Join(dir, fmt.Sprintf(".bootstrap-%d-%s", os.Getpid(), randHex(4)))
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", tmp, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	final := filepath.Join(dir, "bootstrap")
	// Rename is atomic: a process already running the old file keeps its inode.
	if err := os.Rename(tmp, final); err != nil {
		return "", fmt.Errorf("install binary: %w", err)
	}
	return final, nil
}

// UniqueName returns prefix followed by a random suffix, for tables and queues of one test
// (packages run in parallel against the same servers). It only uses [a-z0-9-].
func UniqueName(prefix string) string {
	return prefix + randHex(5)
}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on Linux
	}
	return hex.EncodeToString(b)
}

// Eventually polls cond every few milliseconds until it returns nil or timeout passes, then
// fails the test with cond's last error. Use it instead of sleeping.
func Eventually(t testing.TB, timeout time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	interval := 10 * time.Millisecond
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met after %v: %v", timeout, err)
		}
		time.Sleep(interval) // poll interval, bounded by the deadline above
		if interval < 200*time.Millisecond {
			interval *= 2
		}
	}
}

// Buffer is a bytes.Buffer that is safe for concurrent writes, for capturing the logs of
// functions that run in parallel.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// QueueEmpty returns nil when the queue holds no message, visible or in flight, and otherwise an
// error saying how many it holds: a condition for Eventually.
func QueueEmpty(ctx context.Context, q *sqs.Client, url string) error {
	out, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		return fmt.Errorf("queue attributes: %w", err)
	}
	if v, f := out.Attributes["ApproximateNumberOfMessages"], out.Attributes["ApproximateNumberOfMessagesNotVisible"]; v != "0" || f != "0" {
		return fmt.Errorf("queue holds %s visible and %s in flight", v, f)
	}
	return nil
}

// SQSEvent is the event Lambda's SQS event source would give a function for msgs.
func SQSEvent(msgs []sqstypes.Message) events.SQSEvent {
	var ev events.SQSEvent
	for _, m := range msgs {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body)})
	}
	return ev
}

// Acknowledge does what Lambda's SQS event source does with a function's answer to msgs: it
// deletes every message not reported in resp.BatchItemFailures, leaving those to come back after
// their visibility timeout. It returns the reported messages.
func Acknowledge(ctx context.Context, q *sqs.Client, url string, msgs []sqstypes.Message, resp events.SQSEventResponse) ([]sqstypes.Message, error) {
	var reported []sqstypes.Message
	for _, m := range msgs {
		if slices.ContainsFunc(resp.BatchItemFailures, func(f events.SQSBatchItemFailure) bool { return f.ItemIdentifier == aws.ToString(m.MessageId) }) {
			reported = append(reported, m)
			continue
		}
		if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
			return reported, fmt.Errorf("delete message: %w", err)
		}
	}
	return reported, nil
}

// Deliver runs one round of Lambda's SQS event source: it receives a batch (waiting up to a
// second), hands it to handle and acknowledges the answer. It returns the messages handle
// reported as failures (left to come back).
func Deliver(ctx context.Context, q *sqs.Client, url string, handle func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)) ([]sqstypes.Message, error) {
	out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil {
		return nil, fmt.Errorf("receive: %w", err)
	}
	resp, err := handle(ctx, SQSEvent(out.Messages))
	if err != nil {
		return nil, err
	}
	return Acknowledge(ctx, q, url, out.Messages, resp)
}
