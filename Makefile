# banban — build, run and test. `make run` starts the whole system offline; `make test` runs every
# test against real DynamoDB Local, SQS and Lambda RIE servers that it starts and stops itself.

SHELL := /bin/bash
.DEFAULT_GOAL := help

GO        ?= go
LOCAL     := $(CURDIR)/.local
GOFLAGS_LAMBDA := -trimpath -tags lambda.norpc -ldflags='-s -w' -buildvcs=false

# Function logical ids in template.yaml and their folders under functions/.
FUNCTIONS := EvaluationApiFunction:evaluation-api \
             AgentRoutingFunction:agent-routing \
             CatalogApiFunction:catalog-api \
             HelperApiFunction:helper-api \
             SupervisionFunction:supervision \
             RectificationWatchFunction:rectification-watch \
             MonthlyScoringFunction:monthly-scoring \
             ReportApiFunction:report-api \
             CaseApiFunction:case-api \
             CaseRetentionFunction:case-retention \
             SessionApiFunction:session-api \
             EvaluationIngestFunction:evaluation-ingest \
             NotifierFunction:notifier \
             EvaluationStaffFunction:evaluation-staff \
             OpenGovFunction:open-gov \
             FaqSearchFunction:faq-search

fn_id   = $(word 1,$(subst :, ,$(1)))
fn_dir  = $(word 2,$(subst :, ,$(1)))

# The local servers: `make run` uses the default ports, `make test` and `make bench` a set of
# their own, so they never disturb a running `make run`.
RUN_SERVERS  := BANBAN_RUN_NAME=run BANBAN_DYNAMODB_PORT=8000 BANBAN_SQS_PORT=9324
TEST_SERVERS := BANBAN_RUN_NAME=test BANBAN_DYNAMODB_PORT=8010 BANBAN_SQS_PORT=9334

.PHONY: help
help:
	@echo "make run    start the whole system locally (DynamoDB Local, SQS, Lambda RIE, gateway on :3000)"
	@echo "make test   run every test against real local servers"
	@echo "make bench  run the benchmarks and write docs/benchmarks.md"
	@echo "make build  build every function for AWS (linux/arm64 bootstrap) into bin/<LogicalId>/"
	@echo "make lint   gofmt, go vet, staticcheck, go mod tidy check"

# ---------------------------------------------------------------- builds for AWS (SAM)
# sam build calls build-<LogicalId> with ARTIFACTS_DIR; `make build` builds them all into bin/.
define sam_target
.PHONY: build-$(call fn_id,$(1))
build-$(call fn_id,$(1)):
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build $(GOFLAGS_LAMBDA) \
		-o $$(or $$(ARTIFACTS_DIR),bin/$(call fn_id,$(1)))/bootstrap ./functions/$(call fn_dir,$(1))
endef
$(foreach f,$(FUNCTIONS),$(eval $(call sam_target,$(f))))

.PHONY: build
build: $(foreach f,$(FUNCTIONS),build-$(call fn_id,$(f)))

# Host-architecture builds for the local stack and the RIE tests.
.PHONY: build-local
build-local:
	@$(foreach f,$(FUNCTIONS),CGO_ENABLED=0 $(GO) build $(GOFLAGS_LAMBDA) \
		-o $(LOCAL)/build/$(call fn_id,$(f))/bootstrap ./functions/$(call fn_dir,$(f)) || exit 1;)

# ---------------------------------------------------------------- local tools and servers
.PHONY: deps
deps:
	@local/fetch.sh

.PHONY: run
run: deps build-local
	@$(RUN_SERVERS) local/servers.sh start
	@trap '$(RUN_SERVERS) local/servers.sh stop' EXIT; \
	env $$($(RUN_SERVERS) local/servers.sh env) $(GO) run ./local/cmd/banban-local up -demo

# ---------------------------------------------------------------- tests and benchmarks
.PHONY: test
test: deps build-local
	@$(TEST_SERVERS) local/servers.sh start
	@trap '$(TEST_SERVERS) local/servers.sh stop' EXIT; \
	env $$($(TEST_SERVERS) local/servers.sh env) $(GO) test -count=1 -timeout 20m ./...

.PHONY: bench
bench: deps build-local
	@$(TEST_SERVERS) local/servers.sh start
	@trap '$(TEST_SERVERS) local/servers.sh stop' EXIT; set -o pipefail; \
	$(GO) test -run '^$$' -bench . -benchmem ./shared/... | grep -E '^(Benchmark|goos|goarch|cpu|pkg)' > $(LOCAL)/micro.txt; \
	env $$($(TEST_SERVERS) local/servers.sh env) $(GO) run ./local/cmd/banban-bench -out docs/benchmarks.md -micro $(LOCAL)/micro.txt

.PHONY: lint
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	GOBIN=$(LOCAL)/bin $(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2
	$(LOCAL)/bin/staticcheck ./...
	$(GO) mod tidy -diff

.PHONY: clean
clean:
	rm -rf bin $(LOCAL)/build
