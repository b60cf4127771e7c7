# gloss: the README's commands.
#   make bench      run the benchmark (the run command): every loss on every device this machine has
#   make test       run the tests (the test command): one `go test ./...`, after making sure an
#                   OpenCL device is there for the OpenCL suite (scripts/deps.sh test installs PoCL
#                   when none is, or says in one line why it cannot)
#   make lint       gofmt, go vet (with and without cgo), staticcheck
#   make fuzz       run every fuzz target (go test -fuzz) for FUZZTIME each
#   make kernels    regenerate the CUDA fatbins with nvcc (go generate)
#   make cuda-check CI's CUDA check without a GPU: the committed fatbins are what the sources give
#   make gpu-check  build what a GPU host runs (scripts/gpu-check.sh)
#   make peers      time PyTorch and NumPy on the bench's sizes and compare (needs deps.sh peers)
#   make deps       install the system packages of the tests and tools (scripts/deps.sh)

GO ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
BENCH_OUT ?= out/bench
TEST_TIMEOUT ?= 20m
FUZZTIME ?= 10s
export GO

.PHONY: all bench peers test lint fuzz kernels cuda-check gpu-check deps ci

all: test

bench:
	$(GO) run ./cmd/gloss bench -quick -o $(BENCH_OUT)

# The system python3 (Debian's, with python3-torch), not a pyenv one on the PATH.
PYTHON ?= /usr/bin/python3

peers: bench
	$(PYTHON) bench/peers/peers.py --like $(BENCH_OUT)/bench.csv -o $(BENCH_OUT)/peers.csv
	$(GO) run ./cmd/gloss bench -from $(BENCH_OUT)/bench.csv -compare $(BENCH_OUT)/peers.csv

test:
	@bash scripts/deps.sh test
	$(GO) test -timeout $(TEST_TIMEOUT) ./...

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	CGO_ENABLED=0 $(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

# Each Fuzz function of each package, found with go test -list, one at a time (go test -fuzz
# takes one target). A failing input is saved under the package's testdata/fuzz.
fuzz:
	@for p in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$p | grep '^Fuzz'); do \
			echo "go test -run '^$$' -fuzz '^$$f\$$' -fuzztime $(FUZZTIME) $$p"; \
			$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) $$p || exit 1; \
		done; \
	done

kernels:
	$(GO) generate ./kernels/cuda/...

cuda-check:
	bash scripts/check-fatbin.sh

gpu-check:
	bash scripts/gpu-check.sh

deps:
	bash scripts/deps.sh

ci: lint test cuda-check
