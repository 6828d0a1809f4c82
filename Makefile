# banban — build, run and test. `make run` starts the whole system offline; `make test` runs every
# test against real DynamoDB Local, SQS and Lambda RIE servers that it starts and stops itself.

SHELL := /bin/bash
.DEFAULT_GOAL := help

GO        ?= go
LOCAL     := $(CURDIR)/.local
GOFLAGS_LAMBDA := -trimpath -tags lambda.norpc -ldflags='-s -w' -buildvcs=false

# Function logical ids in template.yaml and their folders under functions/.
FUNCTIONS := EvaluationApiFunction:evaluation-api \
             EvaluationIngestFunction:evaluation-ingest \
             EvaluationStaffFunction:evaluation-staff

fn_id   = $(word 1,$(subst :, ,$(1)))
fn_dir  = $(word 2,$(subst :, ,$(1)))

# Ports of the local servers (make test uses its own so a running `make run` is not disturbed).
RUN_DYNAMODB_PORT ?= 8000
RUN_SQS_PORT      ?= 9324
TEST_DYNAMODB_PORT ?= 8010
TEST_SQS_PORT      ?= 9334

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
	@DYNAMODB_PORT=$(RUN_DYNAMODB_PORT) SQS_PORT=$(RUN_SQS_PORT) local/servers.sh start
	@trap 'DYNAMODB_PORT=$(RUN_DYNAMODB_PORT) SQS_PORT=$(RUN_SQS_PORT) local/servers.sh stop' EXIT; \
	AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$(RUN_DYNAMODB_PORT) \
	AWS_ENDPOINT_URL_SQS=http://127.0.0.1:$(RUN_SQS_PORT) \
	$(GO) run ./local/cmd/banban-local up --demo

# ---------------------------------------------------------------- tests
TEST_ENV = BANBAN_TEST_DYNAMODB=http://127.0.0.1:$(TEST_DYNAMODB_PORT) \
           BANBAN_TEST_SQS=http://127.0.0.1:$(TEST_SQS_PORT) \
           BANBAN_BUILD_DIR=$(LOCAL)/build \
           BANBAN_RIE=$(LOCAL)/bin/aws-lambda-rie

.PHONY: test
test: deps build-local
	@DYNAMODB_PORT=$(TEST_DYNAMODB_PORT) SQS_PORT=$(TEST_SQS_PORT) RUN_NAME=test local/servers.sh start
	@trap 'DYNAMODB_PORT=$(TEST_DYNAMODB_PORT) SQS_PORT=$(TEST_SQS_PORT) RUN_NAME=test local/servers.sh stop' EXIT; \
	$(TEST_ENV) $(GO) test -count=1 -timeout 20m ./...

.PHONY: bench
bench: deps build-local
	@DYNAMODB_PORT=$(TEST_DYNAMODB_PORT) SQS_PORT=$(TEST_SQS_PORT) RUN_NAME=test local/servers.sh start
	@trap 'DYNAMODB_PORT=$(TEST_DYNAMODB_PORT) SQS_PORT=$(TEST_SQS_PORT) RUN_NAME=test local/servers.sh stop' EXIT; \
	$(TEST_ENV) $(GO) run ./local/cmd/banban-bench -out docs/benchmarks.md

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
