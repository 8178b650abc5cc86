# lambdascan — run `make test` before you push, `make demo` to see it work.
SHELL := /bin/bash
GO      ?= go
BIN     := bin/lambdascan
SHARED  ?= ../shared
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/lambdascan/lambdascan/shared/report/schema.Version=$(VERSION)
PEER_VERSION := v2.6.0
PEER    ?= bin/osv-scanner
GOVULNCHECK_VERSION := v1.1.4
GOVULNCHECK ?= bin/govulncheck
FUZZTIME ?= 30s
FUZZMINIMIZE ?= 5s
RUNS    ?= 5

.PHONY: asl bulk-integration integration lambdas synth build check test vet unit race accuracy govulncheck bench bench-lambdas peer demo demo-cli fuzz hostile clean

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

# Two tiers. check is the inner loop (vet, gofmt on every Go directory,
# unit tests: no emulator, no cross-compiling; about a minute with a warm
# cache). test is the full suite CI runs: check, then the local-stack
# suites and the CDK synthesis with the real bootstraps, the bulk run on its
# own local stack, race on concurrent code and the accuracy check.
check: vet unit
test: check asl integration bulk-integration race accuracy

# The ASL files against the Amazon States Language schema (Distributed Map
# fields included): asl-validator from npm, run by the Node.js CDK needs anyway.
ASL_VALIDATOR ?= asl-validator@4.0.0
asl:
	npx --yes $(ASL_VALIDATOR) $(foreach f,$(wildcard statemachine/*.asl.json),--json-path $(f))

vet:
	$(GO) vet ./...
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi

# Every package but the local-stack suites and the CDK app (which
# synthesizes with the bootstraps: integration).
UNIT_PKGS = $$($(GO) list ./... | grep -v -e /integration/ -e /cdk)
unit:
	$(GO) test -timeout 5m -skip TestAccuracyAgainstPeer $(UNIT_PKGS)

# The workflow on the local stack (moto) and the CDK synthesis with the
# real step bootstraps, built once here.
integration: lambdas
	LAMBDASCAN_ASSETS=$(abspath $(LAMBDA_DIR)) $(GO) test -count=1 -timeout 20m -skip TestReachabilityAgainstGovulncheck ./cdk/... $$($(GO) list ./integration/... | grep -v /integration/bulkflow)

# 200 functions through the bulk workflow: alone, so no other emulator competes for the 2 cores.
# --line-buffered: each line shows as the run makes it, not in one burst at the end.
bulk-integration:
	$(GO) test -count=1 -timeout 20m -v ./integration/bulkflow | grep --line-buffered -E '^(---|ok|FAIL|PASS)|bulk_test.go'; exit $${PIPESTATUS[0]}

# Packages with locks, goroutines or shared state (the local stack included).
race:
	$(GO) test -count=1 -race -skip TestAccuracyAgainstPeer ./shared/archive ./shared/vulndb ./shared/scan ./shared/bulk ./shared/awsclient/member ./integration/localstack ./integration/scanflow

# Recall of the peer's findings on ../shared/corpus, then Go reachability on
# the corpus's binaries stripped against govulncheck on their unstripped
# twins (arm64 needs binutils-aarch64-linux-gnu's strip); each is skipped
# (and says so) without ../shared.
accuracy: govulncheck
	@LAMBDASCAN_SHARED=$(abspath $(SHARED)) $(GO) test -count=1 -run TestAccuracyAgainstPeer -v ./shared/scan \
	  | grep --line-buffered -v -e '^=== RUN' -e '^    --- PASS' -e '^--- PASS' ; exit $${PIPESTATUS[0]}
	@LAMBDASCAN_SHARED=$(abspath $(SHARED)) LAMBDASCAN_GOVULNCHECK=$(abspath $(GOVULNCHECK)) \
	  $(GO) test -count=1 -timeout 20m -run TestReachabilityAgainstGovulncheck -v ./integration/reachcheck \
	  | grep --line-buffered -E -e '^(---|ok|FAIL|PASS)' -e 'agree|lower|SKIP' ; exit $${PIPESTATUS[0]}

govulncheck:
	@test -x $(GOVULNCHECK) || GOBIN=$(abspath bin) $(GO) install golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION)

# Wall time and peak RSS against OSV-Scanner on every corpus package, one run;
# fails, naming the target and package, when a ratio misses its target.
bench: build peer
	$(GO) test -run XXX -bench BenchmarkOpen -benchtime 50x ./shared/vulndb
	$(GO) run ./integration/bench -lambdascan $(BIN) -peer $(PEER) -corpus $(SHARED)/corpus -osv $(SHARED)/osv -runs $(RUNS)

# Per step Lambda: arm64 size, packages linked, start-up to the first
# Runtime API request against a bare aws-lambda-go handler (README, Performance).
bench-lambdas:
	$(GO) run ./integration/bench/lambdas -runs $(or $(LAMBDA_RUNS),9)

# The peer needs a newer toolchain than ours; the go command fetches it.
peer:
	@test -x $(PEER) || GOTOOLCHAIN=go1.27.2 GOBIN=$(abspath bin) $(GO) install github.com/google/osv-scanner/v2/cmd/osv-scanner@$(PEER_VERSION)

# The whole workflow on the local AWS stack: deploy, create sample functions,
# fire CloudTrail events, print findings per function and step costs; every
# report, SBOM and HTML report lands in demo-out/<function>/.
demo:
	@echo "== building bin/lambdascan, bin/lambdascan-remote and the demo (first run: about 2 minutes to compile the AWS SDK, osv-scalibr and go-containerregistry; later runs: seconds)"
	@$(MAKE) --no-print-directory build
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/demo ./integration/demo
	@bin/demo -shared $(SHARED) -out demo-out

# The CLI alone: scan the sample packages with the testdata vulnerability DB.
demo-cli: build
	@$(BIN) db build --from testdata/osv --out bin/demo.lsdb
	@for z in testdata/packages/*.zip; do \
	  echo; $(BIN) scan --db bin/demo.lsdb --fail-on critical $$z; test $$? -le 1 || exit 1; \
	done
	@echo; echo "== function code with a layer attached"
	@$(BIN) scan --db bin/demo.lsdb --fail-on critical --layer testdata/packages/layer-python-yaml.zip testdata/packages/python-requirements.zip; test $$? -le 1

# Every parser's fuzz target, FUZZTIME each (make fuzz FUZZTIME=5m). A
# worker minimizing a new input does not fuzz (Go allows 60 s per input by
# default, and the exec count stalls meanwhile): FUZZMINIMIZE bounds it.
FUZZ_TARGETS := ./shared/archive:FuzzOpen ./shared/vulndb:FuzzParseRecord ./shared/vulndb:FuzzOpenIndex \
	./shared/arn:FuzzParse ./shared/events:FuzzParse ./shared/inventory:FuzzLockfiles ./shared/imagescan:FuzzFilterLayer \
	./shared/inventory/extract/bundledjs:FuzzExtract ./shared/inventory/extract/jarmanifest:FuzzManifest ./shared/feeds:FuzzParseFeeds ./shared/goreach:FuzzRead
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  echo "== $${t#*:} ($${t%%:*})"; \
	  $(GO) test -run XXX -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) $${t%%:*}; \
	done

# The hostile-package corpus (testdata/hostile): generated, scanned one
# process per input, the table printed (make test runs it within unit).
hostile:
	$(GO) test -count=1 -v -run TestHostileCorpus ./integration/hostile | grep -v -e '^=== RUN' -e '^    --- PASS'; exit $${PIPESTATUS[0]}

# Everything the targets write: binaries and Lambda assets, the synthesized
# templates, the demo's reports.
clean:
	rm -rf bin cdk.out demo-out
