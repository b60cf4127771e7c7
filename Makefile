# gloss: the README's commands.
#   make bench      run the benchmark (the run command): every loss on every device this machine has
#   make test       run the tests (the test command): one `go test ./...`, after making sure an
#                   OpenCL device is there for the OpenCL suite (scripts/deps.sh test installs PoCL
#                   when none is, or says in one line why it cannot)
#   make lint       gofmt, go vet (with and without cgo), staticcheck
#   make fuzz       run every fuzz target (go test -fuzz) for FUZZTIME each (a count of
#                   inputs: a duration races Go 1.26's fuzz coordinator, which then fails
#                   with "context deadline exceeded" and no failing input)
#   make kernels    regenerate the CUDA fatbins with nvcc (go generate)
#   make cuda-check CI's CUDA check without a GPU: the committed fatbins are what the sources give
#   make gpu-check  build what a GPU host runs (scripts/gpu-check.sh)
#   make peers      time PyTorch and NumPy on the bench's sizes and compare (needs deps.sh peers)
#   make deps       install the system packages of the tests and tools (scripts/deps.sh)
#   make generate   regenerate the kernel table and kernels/params.h from the loss specs (internal/kgen)
#                   and the host engine's assembly and portable twins (internal/vmath/asm)
#   make generate-check  CI's check that they are what the specs and the generator give
#   make cuda-emu   build the emulated CUDA driver, build/cuda-emu/libcuda.so.1 (internal/cudaemu)
#   make cuda-emu-test  build and run the emulator's self-test
#   make cuda-emu-go-test  the CUDA backend on the emulator: go test -run Emulated ./... with
#                   GLOSS_LIBCUDA set to it

GO ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
BENCH_OUT ?= out/bench
TEST_TIMEOUT ?= 20m
FUZZTIME ?= 100000x
export GO

.PHONY: all bench peers test lint fuzz kernels generate generate-check cuda-check gpu-check deps ci cuda-emu cuda-emu-test cuda-emu-go-test

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

kernels: generate
	$(GO) generate ./kernels/cuda/...

generate:
	$(GO) generate ./device/ ./device/host/ ./internal/vmath/

generate-check:
	$(GO) run ./internal/kgen -root . -check
	cd internal/vmath/asm && $(GO) test ./...

cuda-check:
	bash scripts/check-fatbin.sh

gpu-check:
	bash scripts/gpu-check.sh

deps:
	bash scripts/deps.sh

ci: lint cuda-emu test generate-check cuda-check cuda-emu-test

# The CUDA emulator (internal/cudaemu/README.md): gloss's real CUDA kernels compiled for the host
# under an emulation of the CUDA execution model, behind an emulated driver library that the
# binding loads when GLOSS_LIBCUDA names it. Test infrastructure, built only by these targets.
EMU := internal/cudaemu
EMU_OUT := build/cuda-emu
EMU_LIB := $(EMU_OUT)/libcuda.so.1
EMU_CXXFLAGS := -std=c++17 -O2 -fPIC -Wall -Wextra -U_FORTIFY_SOURCE -fno-strict-aliasing -ffp-contract=off
# Kernel sources: the dialect header first, then the sources as they are (their dialect macros
# take the emulator's forms). No fast math, no FMA contraction; stacks are probed so that a deep
# frame cannot jump over a lane's guard page.
EMU_KFLAGS := $(EMU_CXXFLAGS) -fstack-clash-protection -Wno-unknown-pragmas -Wno-unused-parameter \
	-Wno-unused-variable -Wno-maybe-uninitialized -include $(EMU)/cuda_emu.h -I$(EMU) -I$(EMU)/include
EMU_HDRS := $(EMU)/engine.h $(EMU)/cuda_emu.h $(EMU)/include/math_constants.h
EMU_KERNEL_SRCS := $(wildcard kernels/cuda/*.cu kernels/cuda/*.cuh kernels/*.h)
# The real fatbins for the self-test's image checks (gzip-compressed ones are expanded first).
EMU_FATBINS := $(foreach t,f32 f64,$(if $(wildcard kernels/cuda/gloss_$(t).fatbin),kernels/cuda/gloss_$(t).fatbin,$(if $(wildcard kernels/cuda/gloss_$(t).fatbin.gz),$(EMU_OUT)/gloss_$(t).fatbin)))

cuda-emu: $(EMU_LIB)

# The kernel lists are kept: make would otherwise delete them as intermediates and rebuild the
# kernel objects every time.
.SECONDARY: $(EMU_OUT)/kernels_f32.inc $(EMU_OUT)/kernels_f64.inc

$(EMU_OUT)/kernels_%.inc: $(EMU_KERNEL_SRCS) $(EMU)/scan.sh $(EMU_HDRS)
	@mkdir -p $(EMU_OUT)
	CXX="$(CXX)" CPPFLAGS="-include $(EMU)/cuda_emu.h -I$(EMU) -I$(EMU)/include" \
		bash $(EMU)/scan.sh kernels/cuda/gloss.cu $(if $(filter f32,$*),float,double) $@

$(EMU_OUT)/kernels_%.o: $(EMU)/kernels.cpp $(EMU_OUT)/kernels_%.inc $(EMU_KERNEL_SRCS)
	$(CXX) $(EMU_KFLAGS) -Ikernels/cuda -I$(EMU_OUT) -DREAL=$(if $(filter f32,$*),float,double) \
		-DGLOSS_EMU_TABLE=gloss_emu_kernels_$* -DGLOSS_EMU_LIST='"kernels_$*.inc"' -c $< -o $@

$(EMU_OUT)/engine.o $(EMU_OUT)/driver.o: $(EMU_OUT)/%.o: $(EMU)/%.cpp $(EMU)/engine.h
	@mkdir -p $(EMU_OUT)
	$(CXX) $(EMU_CXXFLAGS) -c $< -o $@

$(EMU_LIB): $(EMU_OUT)/engine.o $(EMU_OUT)/driver.o $(EMU_OUT)/kernels_f32.o $(EMU_OUT)/kernels_f64.o $(EMU)/exports.map
	$(CXX) -shared -Wl,-soname,libcuda.so.1 -Wl,--version-script=$(EMU)/exports.map -Wl,-z,defs \
		-o $@ $(filter %.o,$^) -lpthread

$(EMU_OUT)/constructs.o: $(EMU)/test/constructs.cu $(EMU_HDRS)
	@mkdir -p $(EMU_OUT)
	$(CXX) $(EMU_KFLAGS) -x c++ -c $< -o $@

$(EMU_OUT)/selftest: $(EMU_OUT)/constructs.o $(EMU)/test/driver_test.cpp $(EMU_OUT)/engine.o
	$(CXX) $(EMU_CXXFLAGS) -o $@ $(EMU)/test/driver_test.cpp $(EMU_OUT)/constructs.o $(EMU_OUT)/engine.o -ldl -lpthread

$(EMU_OUT)/gloss_%.fatbin: kernels/cuda/gloss_%.fatbin.gz
	gzip -dc $< >$@

# The self-test runs under the three lane schedules: a kernel whose result depends on the order
# of its threads between barriers fails one of them.
cuda-emu-test: $(EMU_LIB) $(EMU_OUT)/selftest $(EMU_FATBINS)
	@for s in forward reverse shuffle:1; do \
		GLOSS_CUDAEMU_SCHED=$$s $(EMU_OUT)/selftest $(EMU_LIB) $(EMU_FATBINS) || exit 1; \
	done

# The CUDA backend end to end on the emulated driver: the Emulated tests of every package (they
# skip, or fail under GLOSS_REQUIRE_CUDA_EMU=1, when the CUDA device is not the emulator).
cuda-emu-go-test: $(EMU_LIB)
	GLOSS_LIBCUDA=$(CURDIR)/$(EMU_LIB) GLOSS_CUDAEMU_QUIET=1 $(GO) test -timeout $(TEST_TIMEOUT) -run Emulated ./...
