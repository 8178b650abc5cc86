# lambdascan — run `make test` before you push, `make demo` to see it work.
SHELL := /bin/bash
GO      ?= go
BIN     := bin/lambdascan
SHARED  ?= ../shared
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/lambdascan/lambdascan/shared/report/schema.Version=$(VERSION)
PEER_VERSION := v2.6.0
PEER    ?= bin/osv-scanner
FUZZTIME ?= 30s
RUNS    ?= 5

.PHONY: asl bulk-integration lambdas synth build test vet unit race accuracy bench peer demo demo-cli fuzz clean

# lambdascan scans zips and directories; lambdascan-remote (run by it for
# images and ARNs) carries the image and AWS code, kept out of zip scans.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/lambdascan
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)-remote ./cmd/lambdascan-remote

# One bootstrap per step for provided.al2023 on arm64: bin/lambda/<step>/bootstrap.
LAMBDA_DIR ?= bin/lambda
lambdas:
	@mkdir -p $(LAMBDA_DIR)/.build
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -tags lambda.norpc -ldflags "$(LDFLAGS)" -o $(LAMBDA_DIR)/.build/ ./steps/...
	@for f in $(LAMBDA_DIR)/.build/*; do s=$$(basename $$f); mkdir -p $(LAMBDA_DIR)/$$s; mv $$f $(LAMBDA_DIR)/$$s/bootstrap; done
	@rmdir $(LAMBDA_DIR)/.build

# Synthesize the stacks offline into cdk.out (cdk-nag runs as part of it).
synth: lambdas
	CDK_OUTDIR=cdk.out $(GO) run ./cdk

# test = vet + unit and integration tests (fuzz seeds included) + the bulk run
# on its own local stack + race on concurrent code + accuracy check.
test: vet asl unit bulk-integration race accuracy

# The ASL files against the Amazon States Language schema (Distributed Map
# fields included): asl-validator from npm, run by the Node.js CDK needs anyway.
ASL_VALIDATOR ?= asl-validator@4.0.0
asl:
	npx --yes $(ASL_VALIDATOR) $(foreach f,$(wildcard statemachine/*.asl.json),--json-path $(f))

vet:
	$(GO) vet ./...
	@out=$$(gofmt -l cmd shared integration); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi

# The CDK tests synthesize with the real step bootstraps built once here.
unit: lambdas
	LAMBDASCAN_ASSETS=$(abspath $(LAMBDA_DIR)) $(GO) test -count=1 -timeout 20m -skip TestAccuracyAgainstPeer $$($(GO) list ./... | grep -v /integration/bulkflow)

# 200 functions through the bulk workflow: alone, so no other emulator competes for the 2 cores.
bulk-integration:
	$(GO) test -count=1 -timeout 20m -v ./integration/bulkflow | grep -E '^(---|ok|FAIL|PASS)|bulk_test.go'; exit $${PIPESTATUS[0]}

# Packages with locks, goroutines or shared state (the local stack included).
race:
	$(GO) test -count=1 -race -skip TestAccuracyAgainstPeer ./shared/archive ./shared/vulndb ./shared/scan ./shared/bulk ./integration/localstack ./integration/scanflow

# Recall of the peer's findings on ../shared/corpus; skipped (and says so) without ../shared.
accuracy:
	@LAMBDASCAN_SHARED=$(abspath $(SHARED)) $(GO) test -count=1 -run TestAccuracyAgainstPeer -v ./shared/scan \
	  | grep -v -e '^=== RUN' -e '^    --- PASS' -e '^--- PASS' ; exit $${PIPESTATUS[0]}

# Wall time and peak RSS against OSV-Scanner on every corpus package, one run.
bench: build peer
	$(GO) test -run XXX -bench BenchmarkOpen -benchtime 50x ./shared/vulndb
	$(GO) run ./integration/bench -lambdascan $(BIN) -peer $(PEER) -corpus $(SHARED)/corpus -osv $(SHARED)/osv -runs $(RUNS)

# The peer needs a newer toolchain than ours; the go command fetches it.
peer:
	@test -x $(PEER) || GOTOOLCHAIN=go1.27.2 GOBIN=$(abspath bin) $(GO) install github.com/google/osv-scanner/v2/cmd/osv-scanner@$(PEER_VERSION)

# The whole workflow on the local AWS stack: deploy, create sample functions,
# fire CloudTrail events, print findings per function and step costs.
demo:
	$(GO) run ./integration/demo -shared $(SHARED)

# The CLI alone: scan the sample packages with the testdata vulnerability DB.
demo-cli: build
	@$(BIN) db build --from testdata/osv --out bin/demo.lsdb
	@for z in testdata/packages/*.zip; do \
	  echo; $(BIN) scan --db bin/demo.lsdb --fail-on critical $$z; test $$? -le 1 || exit 1; \
	done
	@echo; echo "== function code with a layer attached"
	@$(BIN) scan --db bin/demo.lsdb --fail-on critical --layer testdata/packages/layer-python-yaml.zip testdata/packages/python-requirements.zip; test $$? -le 1

fuzz:
	$(GO) test -run XXX -fuzz FuzzOpen -fuzztime $(FUZZTIME) ./shared/archive
	$(GO) test -run XXX -fuzz FuzzParseRecord -fuzztime $(FUZZTIME) ./shared/vulndb
	$(GO) test -run XXX -fuzz FuzzOpenIndex -fuzztime $(FUZZTIME) ./shared/vulndb
	$(GO) test -run XXX -fuzz FuzzParse -fuzztime $(FUZZTIME) ./shared/arn
	$(GO) test -run XXX -fuzz FuzzParse -fuzztime $(FUZZTIME) ./shared/events
	$(GO) test -run XXX -fuzz FuzzFilterLayer -fuzztime $(FUZZTIME) ./shared/imagescan

clean:
	rm -rf bin
