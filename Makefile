# The two commands a new user needs are `make loadtest` and `make test`.
GO       ?= go
BIN      := bin
SUITE    ?= default
OUT      ?= out/$(SUITE)
PROVIDER ?= auto
FUZZTIME ?= 20s

.PHONY: all build images test test-short loadtest bench fuzz lint clean

all: build

## build: the loadtest and target binaries, into bin/
build:
	$(GO) build -o $(BIN)/ ./cmd/...

## images: the docker provider's images, built locally (there is no registry to pull from)
images:
	bash images/build.sh

## test: every test: unit, fuzz seeds, integration on real redis-server and processes
test: build
	$(GO) test -count=1 -timeout 20m ./...

## test-short: the unit tests only (no process stacks)
test-short:
	$(GO) test -count=1 -short ./...

## loadtest: the seed's plan (scenarios/suites/default.yaml) on a local stack; report in $(OUT)
loadtest: build
	$(BIN)/loadtest run --suite $(SUITE) --out $(OUT) --provider $(PROVIDER) --target-bin $(BIN)/target

## bench: Go benchmarks of the hot paths (figures, not assertions)
bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

## fuzz: every fuzz target for $(FUZZTIME) each
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list='^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=2s $$pkg; \
	  done; \
	done

## lint: formatting and vet
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...

clean:
	rm -rf $(BIN) out
