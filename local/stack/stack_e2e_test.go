package stack_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"banban/local/devauth"
	"banban/local/stack"
	"banban/local/template"
	"banban/local/testenv"
)

// startFixture starts the fixture template with a unique stage, every function running the echo
// fixture, and serves the gateway on a free port.
func startFixture(t *testing.T, concurrency int) (*stack.Stack, string, *devauth.Authority, string) {
	t.Helper()
	ddb, sqsc := testenv.DynamoDB(t), testenv.SQS(t)
	bin := testenv.BuildFunction(t, "./local/stack/testdata/echo")
	rie := testenv.RIE(t)
	tpl, err := template.Load(filepath.Join("testdata", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	stage := testenv.UniqueName("t")
	params, err := tpl.ParameterValues(map[string]string{"Stage": stage, "JwtIssuer": devauth.DefaultIssuer})
	if err != nil {
		t.Fatal(err)
	}
	auth, err := devauth.Open(filepath.Join(t.TempDir(), "jwt.pem"), devauth.DefaultIssuer, devauth.DefaultAudience)
	if err != nil {
		t.Fatal(err)
	}
	var logs testenv.Buffer
	st, err := stack.Start(t.Context(), stack.Config{
		Template: tpl, Params: params, DynamoDB: ddb, SQS: sqsc, RIE: rie,
		Binary:      func(template.Function) string { return bin },
		FunctionEnv: testenv.FunctionEnv(t), Concurrency: concurrency, Authority: auth,
		PollWait: time.Second, Output: &logs,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if t.Failed() {
			t.Logf("function logs:\n%s", logs.String())
		}
	})
	addr, err := st.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return st, "http://" + addr.String(), auth, stage
}

func do(t *testing.T, method, url, token string, body io.Reader) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

func TestStackEndToEnd(t *testing.T) {
	st, base, auth, stage := startFixture(t, 2)

	t.Run("public route and environment", func(t *testing.T) {
		code, hdr, body := do(t, "GET", base+"/v1/public/abc?x=1", "", nil)
		if code != 200 || hdr.Get("X-Echo") != "1" || len(hdr.Values("Set-Cookie")) != 1 ||
			strings.Join(hdr.Values("X-Multi"), ",") != "a,b" {
			t.Fatalf("%d %v %s", code, hdr, body)
		}
		var out struct {
			Event struct {
				RouteKey       string            `json:"routeKey"`
				PathParameters map[string]string `json:"pathParameters"`
			} `json:"event"`
			Env map[string]string `json:"env"`
		}
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatal(err)
		}
		if out.Event.RouteKey != "GET /v1/public/{id}" || out.Event.PathParameters["id"] != "abc" {
			t.Errorf("event: %+v", out.Event)
		}
		q := st.Resources.Queues["JobsQueue"]
		for k, want := range map[string]string{
			"STAGE":                           stage,
			"THINGS_TABLE":                    "stack-" + stage + "-things",
			"JOBS_QUEUE_URL":                  q.URL,
			"JOBS_ARN":                        q.ARN,
			"WHERE":                           stage + "@us-east-1",
			"AWS_LAMBDA_FUNCTION_NAME":        "EchoFunction",
			"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
			"AWS_ENDPOINT_URL_DYNAMODB":       os.Getenv(testenv.EnvDynamoDB),
			"AWS_REGION":                      "us-east-1",
		} {
			if out.Env[k] != want {
				t.Errorf("env %s = %q, want %q", k, out.Env[k], want)
			}
		}
	})

	t.Run("authorized route", func(t *testing.T) {
		if code, _, body := do(t, "POST", base+"/v1/items", "", strings.NewReader("{}")); code != 401 ||
			string(body) != `{"message":"Unauthorized"}` {
			t.Errorf("no token: %d %s", code, body)
		}
		tok, err := auth.Mint(map[string]any{"sub": "staff:u1", "kind": "staff", "role": "clerk", "window": "w9"}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		code, _, body := do(t, "POST", base+"/v1/items", tok, strings.NewReader(`{"a":1}`))
		if code != 200 || !strings.Contains(string(body), `"window":"w9"`) || !strings.Contains(string(body), `"body":"{\"a\":1}"`) {
			t.Errorf("with token: %d %s", code, body)
		}
	})

	t.Run("errors and bodies", func(t *testing.T) {
		if code, _, body := do(t, "GET", base+"/v1/fail", "", nil); code != 500 || string(body) != `{"message":"Internal Server Error"}` {
			t.Errorf("handler error: %d %s", code, body)
		}
		if code, _, body := do(t, "POST", base+"/v1/binary", "", nil); code != 201 || !bytes.Equal(body, []byte{0, 1, 2, 255}) {
			t.Errorf("binary: %d %v", code, body)
		}
		if code, _, body := do(t, "GET", base+"/v1/plain", "", nil); code != 200 || string(body) != `{"plain":"yes"}` {
			t.Errorf("plain: %d %s", code, body)
		}
		if code, _, _ := do(t, "GET", base+"/v1/nothing", "", nil); code != 404 {
			t.Errorf("unknown route: %d", code)
		}
	})

	t.Run("concurrent requests exceed the pool", func(t *testing.T) {
		// Six 300 ms requests on a pool of two: each waits for a free runtime, none fails.
		var wg sync.WaitGroup
		codes := make([]int, 6)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i], _, _ = do(t, "GET", base+"/v1/sleep", "", nil)
			}()
		}
		wg.Wait()
		for i, c := range codes {
			if c != 200 {
				t.Errorf("request %d: %d", i, c)
			}
		}
	})

	t.Run("schedules", func(t *testing.T) {
		out, err := st.Fire(t.Context(), "EchoFunction", "Nightly")
		if err != nil {
			t.Fatal(err)
		}
		var res struct {
			Input map[string]any `json:"input"`
		}
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatal(err)
		}
		if res.Input["job"] != "nightly" || res.Input["arn"] != stack.ScheduleARN("us-east-1", "000000000000", "EchoFunction", "Nightly") {
			t.Errorf("Input payload: %s", out)
		}
		// Through the gateway's local endpoint, the default scheduled-event payload.
		code, _, body := do(t, "POST", base+"/_local/schedules/EchoFunction/Hourly", "", nil)
		if code != 200 || !strings.Contains(string(body), `"detail-type":"Scheduled Event"`) {
			t.Errorf("fire over HTTP: %d %s", code, body)
		}
		if code, _, _ := do(t, "POST", base+"/_local/schedules/EchoFunction/Nope", "", nil); code != 404 {
			t.Errorf("unknown schedule: %d", code)
		}
	})

	t.Run("sqs batch item failures", func(t *testing.T) {
		testBatchItemFailures(t, st)
	})
}

// testBatchItemFailures sends good and failing messages: the worker counts each delivery in the
// table and reports the failing ones. Good messages must be delivered once and deleted; failing
// ones must come back after the visibility timeout (2 s) and, after maxReceiveCount (2)
// deliveries, land in the DLQ.
func testBatchItemFailures(t *testing.T, st *stack.Stack) {
	ctx := t.Context()
	sqsc, ddb := testenv.SQS(t), testenv.DynamoDB(t)
	q, dlq := st.Resources.Queues["JobsQueue"], st.Resources.Queues["JobsDLQ"]
	table := st.Resources.Tables["ThingsTable"]
	var entries []sqstypes.SendMessageBatchRequestEntry
	for i := range 3 {
		entries = append(entries,
			sqstypes.SendMessageBatchRequestEntry{Id: aws.String("ok" + strconv.Itoa(i)), MessageBody: aws.String(fmt.Sprintf("ok-%d", i))},
			sqstypes.SendMessageBatchRequestEntry{Id: aws.String("fail" + strconv.Itoa(i)), MessageBody: aws.String(fmt.Sprintf("fail-%d", i))})
	}
	out, err := sqsc.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(q.URL), Entries: entries})
	if err != nil || len(out.Failed) > 0 {
		t.Fatalf("send: %v %v", err, out)
	}
	receives := func(body string) int {
		got, err := ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
			Key: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: body}}})
		if err != nil {
			t.Fatalf("get %s: %v", body, err)
		}
		n, ok := got.Item["receives"].(*ddbtypes.AttributeValueMemberN)
		if !ok {
			return 0
		}
		c, err := strconv.Atoi(n.Value)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// Failures come back after the visibility timeout and move to the DLQ after 2 deliveries.
	dlqBodies := map[string]bool{}
	testenv.Eventually(t, 20*time.Second, func() error {
		got, err := sqsc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq.URL), MaxNumberOfMessages: 10})
		if err != nil {
			return err
		}
		for _, m := range got.Messages {
			dlqBodies[aws.ToString(m.Body)] = true
		}
		if len(dlqBodies) < 3 {
			return fmt.Errorf("DLQ holds %v", dlqBodies)
		}
		return nil
	})
	for i := range 3 {
		if !dlqBodies[fmt.Sprintf("fail-%d", i)] || dlqBodies[fmt.Sprintf("ok-%d", i)] {
			t.Errorf("DLQ contents: %v", dlqBodies)
		}
		if n := receives(fmt.Sprintf("ok-%d", i)); n != 1 {
			t.Errorf("ok-%d delivered %d times, want 1 (deleted after success)", i, n)
		}
		if n := receives(fmt.Sprintf("fail-%d", i)); n != 2 {
			t.Errorf("fail-%d delivered %d times, want 2 (retried after visibility timeout, then DLQ)", i, n)
		}
	}
	attrs, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(q.URL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	if attrs.Attributes["ApproximateNumberOfMessages"] != "0" || attrs.Attributes["ApproximateNumberOfMessagesNotVisible"] != "0" {
		t.Errorf("queue not empty: %v", attrs.Attributes)
	}
}
