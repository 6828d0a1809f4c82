package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"banban/local/devauth"
	"banban/local/stack"
	"banban/local/template"
)

// command is one subcommand. To add one, write a func(ctx, *env, args) error in its own file and
// add a row to commands.
type command struct {
	name    string
	usage   string // arguments, for the help text
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

var commands = []command{
	{"up", "[flags]", "provision, start functions, gateway and SQS pollers; run until Ctrl-C", runUp},
	{"provision", "[flags]", "create the template's tables and queues (idempotent)", runProvision},
	{"jwt", "-staff ID | -role R -sub S [-unit U -hall H -window W -ttl 1h -claim k=v]", "print a dev token for the local gateway", runJWT},
	{"demo", "[flags]", "load the demo directory and register a kiosk per window", runDemo},
	{"catalog", "[flags]", "validate and import data/catalog/catalog.json as the current catalogue", runCatalog},
	{"kiosk", "register -window W [-id ID]", "register a rating kiosk and print its secret once", runKiosk},
	{"rate", "-window W | -kiosk K [-level 1..5] [-id UUID]", "post a signed rating as a registered kiosk", runRate},
	{"fire", "Function/Event [flags]", "fire a ScheduleV2 event on the running stack", runFire},
	{"score", "-month YYYY-MM", "score a month again on the running stack (the monthly assessment); a new revision only if its figures changed", runScore},
	{"import", "-kind guides|faq|places -file F.xlsx|F.csv [-dry-run]", "check an office spreadsheet row by row; publish it only if every row is valid", runImport},
	{"migrate", "[-list] [-aws -stage S -pii-key ARN] [STEP…]", "bring data written by earlier versions to the current shape (rerun-safe backfills: " + stepNames() + ")", runMigrate},
}

// env is what every subcommand shares: output streams and the repository layout.
type env struct {
	stdout, stderr io.Writer
	root           string // repository root
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel()})))
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	root, err := repoRoot()
	if err != nil {
		fmt.Fprintln(stderr, "banban-local:", err)
		return 1
	}
	e := &env{stdout: stdout, stderr: stderr, root: root}
	for _, c := range commands {
		if c.name == args[0] {
			err := c.run(ctx, e, args[1:])
			switch {
			case errors.Is(err, flag.ErrHelp):
				return 0
			case err != nil:
				fmt.Fprintf(stderr, "banban-local %s: %v\n", c.name, err)
				return 1
			}
			return 0
		}
	}
	fmt.Fprintf(stderr, "banban-local: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: banban-local <command> [arguments]")
	fmt.Fprintln(w)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n  %-10s   %s\n", c.name, c.summary, "", c.usage)
	}
	fmt.Fprintln(w, "\nRun banban-local <command> -h for the flags of a command. BANBAN_LOG_LEVEL=debug for more logs.")
}

func logLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(os.Getenv("BANBAN_LOG_LEVEL"))); err != nil {
		return slog.LevelInfo
	}
	return l
}

// repoRoot finds the directory holding go.mod, from the working directory up, so the command
// works from any directory of the checkout.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("getwd: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the banban checkout (no go.mod found)")
		}
		dir = parent
	}
}

// stackFlags are the flags shared by the commands that work on a stack.
type stackFlags struct {
	template string
	stage    string
	gateway  string
	dynamodb string
	sqs      string
	params   kvFlag
	root     string
}

// keysDir holds the local stand-ins of the template's KMS keys.
func (f *stackFlags) keysDir() string { return filepath.Join(f.root, ".local", "keys") }

func addStackFlags(fs *flag.FlagSet, e *env) *stackFlags {
	f := &stackFlags{params: kvFlag{}, root: e.root}
	fs.StringVar(&f.template, "template", filepath.Join(e.root, "template.yaml"), "SAM template")
	fs.StringVar(&f.stage, "stage", envOr("BANBAN_STAGE", "local"), "Stage parameter (part of every resource name)")
	fs.StringVar(&f.gateway, "addr", envOr("BANBAN_GATEWAY_ADDR", "127.0.0.1:3000"), "gateway address (loopback)")
	fs.StringVar(&f.dynamodb, "dynamodb", envOr("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000"), "DynamoDB Local endpoint")
	fs.StringVar(&f.sqs, "sqs", envOr("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:9324"), "SQS server endpoint")
	fs.Var(f.params, "param", "template parameter `Name=Value` (repeatable)")
	return f
}

// issuer is the JwtIssuer used locally: the gateway's own URL, where session-api serves the
// OpenID discovery document and the JWKS, as on AWS.
func (f *stackFlags) issuer() string { return "http://" + f.gateway }

// load reads the template and computes the parameter values: the local ones (Stage, JwtIssuer,
// the WeChat stand-in), then -param.
func (f *stackFlags) load() (*template.Template, map[string]string, error) {
	tpl, err := template.Load(f.template)
	if err != nil {
		return nil, nil, err
	}
	over := map[string]string{}
	local := map[string]string{
		"Stage":           f.stage,
		"JwtIssuer":       f.issuer(),
		"WeChatAppSecret": "plain:local-dev-secret",
		"WeChatApiBase":   "http://" + f.gateway + "/_local/wechat",
	}
	for k, v := range local {
		if _, ok := tpl.Parameter(k); ok {
			over[k] = v
		}
	}
	for k, v := range f.params {
		over[k] = v
	}
	params, err := tpl.ParameterValues(over)
	if err != nil {
		return nil, nil, err
	}
	return tpl, params, nil
}

// authority signs and verifies tokens with the local stand-in of the template's signing key.
func (f *stackFlags) authority(tpl *template.Template, params map[string]string) (*devauth.Authority, error) {
	aud := params["JwtAudience"]
	if aud == "" {
		aud = devauth.DefaultAudience
	}
	return stack.Authority(tpl, f.keysDir(), "banban-"+params["Stage"], params["JwtIssuer"], aud)
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// kvFlag collects repeated Name=Value flags.
type kvFlag map[string]string

func (k kvFlag) String() string {
	parts := make([]string, 0, len(k))
	for n, v := range k {
		parts = append(parts, n+"="+v)
	}
	return strings.Join(parts, ",")
}

func (k kvFlag) Set(s string) error {
	n, v, ok := strings.Cut(s, "=")
	if !ok || n == "" {
		return fmt.Errorf("want Name=Value, got %q", s)
	}
	k[n] = v
	return nil
}
