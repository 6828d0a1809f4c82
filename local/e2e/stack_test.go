// Package e2e runs banban as a whole on the offline local stack: the real template.yaml, each
// function's real bootstrap under the Lambda Runtime Interface Emulator, the local API Gateway and
// the SQS pollers, against DynamoDB Local and the SQS server. Every request and response that
// crosses the gateway is checked against docs/openapi.yaml.
package e2e

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"banban/local/demo"
	"banban/local/devauth"
	"banban/local/stack"
	"banban/local/template"
	"banban/local/testenv"
	"banban/shared/dynamo"
)

// system is a running banban.
type system struct {
	stack     *stack.Stack
	base      string
	auth      *devauth.Authority
	client    *http.Client
	contract  *contract
	directory *dynamo.Directory
	kiosks    *dynamo.Kiosks
	ratings   *dynamo.Ratings
	logs      *testenv.Buffer
	sets      *dynamo.DataSets
}

// start runs banban on a stage of its own; options adjust the stack's configuration.
func start(t *testing.T, options ...func(*stack.Config)) *system {
	t.Helper()
	root := testenv.RepoRoot(t)
	tpl, err := template.Load(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// The gateway's address is chosen first: the issuer and the WeChat stand-in live there.
	port, err := stack.FreePort() // from the stack's own pool, so no RIE process gets it too
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	stage := testenv.UniqueName("e")
	params, err := tpl.ParameterValues(map[string]string{"Stage": stage, "JwtIssuer": "http://" + addr,
		"WeChatAppSecret": "plain:test-secret", "WeChatApiBase": "http://" + addr + "/_local/wechat"})
	if err != nil {
		t.Fatal(err)
	}
	keysDir := t.TempDir()
	auth, err := stack.Authority(tpl, keysDir, "banban-"+stage, params["JwtIssuer"], params["JwtAudience"])
	if err != nil {
		t.Fatal(err)
	}
	bins := map[string]string{}
	for _, fn := range tpl.Functions {
		bins[fn.LogicalID] = testenv.BuildFunction(t, "./functions/"+template.FunctionFolder(fn.LogicalID))
	}
	logs := &testenv.Buffer{}
	db := testenv.DynamoDB(t)
	cfg := stack.Config{
		Template: tpl, Params: params, DynamoDB: db, SQS: testenv.SQS(t), RIE: testenv.RIE(t), KeysDir: keysDir,
		Binary:      func(fn template.Function) string { return bins[fn.LogicalID] },
		FunctionEnv: testenv.FunctionEnv(t), Concurrency: 2, Authority: auth, PollWait: time.Second, Output: logs,
	}
	for _, o := range options {
		o(&cfg)
	}
	st, err := stack.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("stop stack: %v", err)
		}
		if t.Failed() {
			t.Logf("function logs:\n%s", logs.String())
		}
	})
	if _, err := st.Serve(addr); err != nil {
		t.Fatal(err)
	}
	base := "http://" + addr
	c := newContract(t, root, base)
	s := &system{
		stack: st, base: base, auth: auth, contract: c,
		client:    &http.Client{Transport: c, Timeout: 30 * time.Second},
		directory: &dynamo.Directory{DB: db, Table: st.Resources.Tables["DirectoryTable"]},
		kiosks:    &dynamo.Kiosks{DB: db, Table: st.Resources.Tables["KiosksTable"]},
		ratings:   &dynamo.Ratings{DB: db, Table: st.Resources.Tables["RatingsTable"], Now: time.Now},
		logs:      logs,
		sets:      &dynamo.DataSets{DB: db, Table: st.Resources.Tables["OpenGovTable"], Now: time.Now},
	}
	d, err := demo.ReadDirectory(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.directory.Load(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	if err := demo.LoadCalendars(context.Background(), root, s.directory); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.LoadCatalog(context.Background(), root, dynamo.NewCatalog(db, st.Resources.Tables["CatalogTable"], time.Now)); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.LoadOpenGov(context.Background(), root, s.sets); err != nil {
		t.Fatal(err)
	}
	return s
}

// contract is an http.RoundTripper that checks every exchange against docs/openapi.yaml: every
// response, and every request the API accepted (refused ones are refused on purpose).
type contract struct {
	t      *testing.T
	router routers.Router
	mu     sync.Mutex
	count  int
}

// The report's chart page is HTML: its body is checked as the string the contract declares.
func init() { openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder) }

func newContract(t *testing.T, root, base string) *contract {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(filepath.Join(root, "docs", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("docs/openapi.yaml is not valid: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: base}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &contract{t: t, router: router}
}

// checked is the number of exchanges checked against the contract so far.
func (c *contract) checked() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count
}

func (c *contract) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		body = b
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	respBody, err := io.ReadAll(resp.Body)
	if closeErr := resp.Body.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))

	// API Gateway's own answers (401 of the JWT authorizer, 404 of an unknown route) are not ours.
	if string(respBody) == `{"message":"Unauthorized"}` || string(respBody) == `{"message":"Not Found"}` {
		return resp, nil
	}
	check := req.Clone(req.Context())
	check.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := c.router.FindRoute(check)
	if err != nil {
		c.t.Errorf("contract: %s %s is not in docs/openapi.yaml: %v", req.Method, req.URL.Path, err)
		return resp, nil
	}
	in := &openapi3filter.RequestValidationInput{Request: check, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if resp.StatusCode < 300 {
		if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil {
			c.t.Errorf("contract: accepted request %s %s does not match the spec: %v", req.Method, req.URL.Path, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	out.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
		c.t.Errorf("contract: response %d to %s %s does not match the spec: %v", resp.StatusCode, req.Method, req.URL.Path, err)
	}
	c.mu.Lock()
	c.count++
	c.mu.Unlock()
	return resp, nil
}
