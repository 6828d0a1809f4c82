// Package functions_test checks that template.yaml, the code, the Makefile, the sample events and
// the OpenAPI contract agree: a function, variable, route or queue added to one and not the others
// fails here, not in a deployment.
package functions_test

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"banban/local/openapi"
	"banban/local/template"
	"banban/shared/assessment"
	"banban/shared/auth"
	"banban/shared/config"
	"banban/shared/handler/agentrouting"
	"banban/shared/handler/caseapi"
	"banban/shared/handler/caseretention"
	"banban/shared/handler/catalogapi"
	"banban/shared/handler/evaluationapi"
	"banban/shared/handler/evaluationingest"
	"banban/shared/handler/evaluationstaff"
	"banban/shared/handler/faqsearch"
	"banban/shared/handler/helperapi"
	"banban/shared/handler/notifier"
	"banban/shared/handler/opengovapi"
	"banban/shared/handler/rectificationwatch"
	"banban/shared/handler/reportapi"
	"banban/shared/handler/sessionapi"
	"banban/shared/handler/supervision"
	"banban/shared/httpapi"
)

// function is what the code says of one function.
type function struct {
	env    func() ([]string, error)
	routes *httpapi.Router // nil for functions that serve no HTTP routes
}

var quiet = slog.New(slog.NewJSONHandler(io.Discard, nil))

func routesOf(r *httpapi.Router) *httpapi.Router { return r }

// functions lists every function of the code base by its template logical id.
var functions = map[string]function{
	"AgentRoutingFunction": {
		env: config.Names[agentrouting.Config],
	},
	"SupervisionFunction": {
		env: config.Names[supervision.Config],
	},
	"RectificationWatchFunction": {
		env: config.Names[rectificationwatch.Config],
	},
	"HelperApiFunction": {
		env:    config.Names[helperapi.Config],
		routes: routesOf((&helperapi.Handler{}).Routes(quiet)),
	},
	"CatalogApiFunction": {
		env:    config.Names[catalogapi.Config],
		routes: routesOf((&catalogapi.Handler{}).Routes(quiet)),
	},
	"CaseApiFunction": {
		env:    config.Names[caseapi.Config],
		routes: routesOf((&caseapi.Handler{}).Routes(quiet)),
	},
	"CaseRetentionFunction": {
		env: config.Names[caseretention.Config],
	},
	"SessionApiFunction": {
		env:    config.Names[sessionapi.Config],
		routes: routesOf((&sessionapi.Handler{}).Routes(quiet)),
	},
	"EvaluationApiFunction": {
		env:    config.Names[evaluationapi.Config],
		routes: routesOf((&evaluationapi.Handler{}).Routes(quiet)),
	},
	"EvaluationIngestFunction": {
		env: config.Names[evaluationingest.Config],
	},
	"NotifierFunction": {
		env: config.Names[notifier.Config],
	},
	"EvaluationStaffFunction": {
		env:    config.Names[evaluationstaff.Config],
		routes: routesOf((&evaluationstaff.Handler{}).Routes(quiet)),
	},
	"OpenGovFunction": {
		env:    config.Names[opengovapi.Config],
		routes: routesOf((&opengovapi.Handler{}).Routes(quiet)),
	},
	"FaqSearchFunction": {
		env:    config.Names[faqsearch.Config],
		routes: routesOf((&faqsearch.Handler{}).Routes(quiet)),
	},
	"MonthlyScoringFunction": {
		env: config.Names[assessment.Config],
	},
	"ReportApiFunction": {
		env:    config.Names[assessment.Config],
		routes: routesOf((&reportapi.Handler{}).Routes(quiet)),
	},
}

// Variables every function gets from Globals and reads through lambdamain.
var globalEnv = []string{"STAGE", "LOG_LEVEL"}

func load(t *testing.T) *template.Template {
	t.Helper()
	tmpl, err := template.Load("../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

func TestEveryFunctionHasCodeAndEveryFolderAFunction(t *testing.T) {
	tmpl := load(t)
	var folders []string
	for _, f := range tmpl.Functions {
		dir := template.FunctionFolder(f.LogicalID)
		folders = append(folders, dir)
		if _, err := os.Stat(filepath.Join(dir, "main.go")); err != nil {
			t.Errorf("%s: no functions/%s/main.go", f.LogicalID, dir)
		}
		if _, ok := functions[f.LogicalID]; !ok {
			t.Errorf("%s is in the template but not in this test's list", f.LogicalID)
		}
		if _, err := os.Stat(filepath.Join("..", "events", dir+".json")); err != nil {
			t.Errorf("%s: no sample event events/%s.json", f.LogicalID, dir)
		}
		if f.BuildMethod != "makefile" || f.CodeUri != "." || f.Handler != "bootstrap" || f.Runtime != "provided.al2023" ||
			!slices.Equal(f.Architectures, []string{"arm64"}) {
			t.Errorf("%s: build %q, code %q, handler %q, runtime %q, arch %v", f.LogicalID, f.BuildMethod, f.CodeUri, f.Handler, f.Runtime, f.Architectures)
		}
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && !slices.Contains(folders, e.Name()) {
			t.Errorf("functions/%s has no function in template.yaml", e.Name())
		}
	}
	if len(functions) != len(tmpl.Functions) {
		t.Errorf("this test lists %d functions, the template %d", len(functions), len(tmpl.Functions))
	}
}

func TestEnvironmentMatchesConfig(t *testing.T) {
	tmpl := load(t)
	for _, f := range tmpl.Functions {
		fn, ok := functions[f.LogicalID]
		if !ok {
			continue
		}
		read, err := fn.env()
		if err != nil {
			t.Fatal(err)
		}
		var set []string
		for name, v := range f.Environment {
			set = append(set, name)
			// Every reference names a parameter or a resource of the template.
			if v.Kind == template.Ref || v.Kind == template.GetAtt {
				_, isParam := tmpl.Parameter(v.Name)
				_, isRes := tmpl.Resources[v.Name]
				if !isParam && !isRes {
					t.Errorf("%s: %s refers to unknown %s", f.LogicalID, name, v.Name)
				}
			}
		}
		for _, name := range read {
			if !slices.Contains(set, name) && !strings.HasPrefix(name, "AWS_") {
				t.Errorf("%s reads %s, which the template does not set", f.LogicalID, name)
			}
		}
		for _, name := range set {
			if !slices.Contains(read, name) && !slices.Contains(globalEnv, name) {
				t.Errorf("%s: the template sets %s, which the code never reads", f.LogicalID, name)
			}
		}
	}
}

func TestQueuesAndEventSources(t *testing.T) {
	tmpl := load(t)
	dlqs := map[string]bool{}
	for _, q := range tmpl.Queues {
		if q.Redrive != nil {
			dlqs[q.Redrive.DeadLetterQueue] = true
		}
	}
	for _, q := range tmpl.Queues {
		if dlqs[q.LogicalID] {
			continue
		}
		if q.Redrive == nil || q.Redrive.DeadLetterQueue == "" || q.Redrive.MaxReceiveCount < 1 {
			t.Errorf("queue %s has no redrive policy to a dead-letter queue of the template", q.LogicalID)
		} else if _, ok := tmpl.Queue(q.Redrive.DeadLetterQueue); !ok {
			t.Errorf("queue %s redrives to unknown %s", q.LogicalID, q.Redrive.DeadLetterQueue)
		}
	}
	for _, f := range tmpl.Functions {
		for _, e := range f.Events {
			switch {
			case e.SQS != nil:
				if !e.SQS.ReportsBatchItemFailures() {
					t.Errorf("%s/%s: SQS event without ReportBatchItemFailures", f.LogicalID, e.Name)
				}
				q, ok := tmpl.Queue(e.SQS.Queue)
				if !ok {
					t.Errorf("%s/%s: unknown queue %q", f.LogicalID, e.Name, e.SQS.Queue)
					continue
				}
				if q.VisibilityTimeout == nil || *q.VisibilityTimeout < 6*f.Timeout {
					t.Errorf("%s: queue %s visibility timeout should be at least 6× the function timeout", f.LogicalID, q.LogicalID)
				}
			case e.ScheduleV2 != nil:
				if e.ScheduleV2.ScheduleExpressionTimezone != "Asia/Shanghai" || e.ScheduleV2.RetryPolicy == nil || e.ScheduleV2.DeadLetterConfig == nil {
					t.Errorf("%s/%s: schedules run in Asia/Shanghai with a retry policy and a DLQ", f.LogicalID, e.Name)
				}
			}
		}
	}
}

func TestRoutesMatchHandlersAndOpenAPI(t *testing.T) {
	tmpl := load(t)
	var templateRoutes []string
	for _, f := range tmpl.Functions {
		var declared []string
		for _, e := range f.Events {
			if e.HttpApi != nil {
				declared = append(declared, e.HttpApi.RouteKey())
			}
		}
		fn := functions[f.LogicalID]
		var served []string
		if fn.routes != nil {
			served = fn.routes.RouteKeys()
		}
		sort.Strings(declared)
		sort.Strings(served)
		if !slices.Equal(declared, served) {
			t.Errorf("%s: template routes %v, handler routes %v", f.LogicalID, declared, served)
		}
		templateRoutes = append(templateRoutes, declared...)
	}

	raw, err := os.ReadFile("../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	var specRoutes []string
	for path, ops := range spec.Paths {
		for method := range ops {
			specRoutes = append(specRoutes, strings.ToUpper(method)+" "+path)
		}
	}
	sort.Strings(templateRoutes)
	sort.Strings(specRoutes)
	if !slices.Equal(templateRoutes, specRoutes) {
		t.Errorf("template routes %v\nOpenAPI routes %v", templateRoutes, specRoutes)
	}
}

// TestEveryRouteDeclaresThePolicyOfTheContract: every route of the code declares an enforceable
// policy, and it is the one docs/openapi.yaml declares in x-policy (access, roles and the reach of
// each). A route added without a declaration in both places fails here.
func TestEveryRouteDeclaresThePolicyOfTheContract(t *testing.T) {
	ops, err := openapi.Operations("../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]string{}
	for _, op := range ops {
		if op.Policy == nil {
			t.Errorf("%s: no x-policy in docs/openapi.yaml", op.Key())
			continue
		}
		if op.Policy.Access == "token" && op.Policy.Target == "" {
			t.Errorf("%s: x-policy names no target", op.Key())
		}
		roles := map[auth.Role][]auth.Reach{}
		for r, reaches := range op.Policy.Roles {
			for _, x := range reaches {
				roles[auth.Role(r)] = append(roles[auth.Role(r)], auth.Reach(x))
			}
		}
		declared[op.Key()] = auth.Policy{Access: auth.Access(op.Policy.Access), Roles: roles}.String()
	}
	for id, fn := range functions {
		if fn.routes == nil {
			continue
		}
		for _, bad := range fn.routes.Invalid() {
			t.Errorf("%s: %s", id, bad)
		}
		for key, pol := range fn.routes.Policies() {
			if err := pol.Validate(); err != nil {
				t.Errorf("%s %s: %v", id, key, err)
			}
			if got, want := pol.String(), declared[key]; got != want {
				t.Errorf("%s %s: the code declares %q, the contract %q", id, key, got, want)
			}
		}
	}
}

func TestMakefileBuildsEveryFunction(t *testing.T) {
	tmpl := load(t)
	raw, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range tmpl.Functions {
		entry := regexp.MustCompile(`\b` + f.LogicalID + `:` + regexp.QuoteMeta(template.FunctionFolder(f.LogicalID)) + `\b`)
		if !entry.Match(raw) {
			t.Errorf("Makefile FUNCTIONS lacks %s:%s (sam build calls build-%s)", f.LogicalID, template.FunctionFolder(f.LogicalID), f.LogicalID)
		}
	}
}
