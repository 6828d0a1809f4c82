// Command banban-local runs banban offline from template.yaml: it provisions the tables and queues
// on DynamoDB Local and the local SQS server (start them with local/servers.sh), runs the functions
// under the Lambda Runtime Interface Emulator behind a local API Gateway, and mints dev tokens.
//
//	banban-local up                 # provision, run functions, gateway on 127.0.0.1:3000, pollers
//	banban-local provision          # create tables and queues only
//	banban-local jwt -role clerk -sub u1 -window w1
//	banban-local fire Function/Event
//
// Subcommands live in the table in commands.go.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// Ctrl-C and SIGTERM cancel the context; `up` then shuts down in order and exits.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
