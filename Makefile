# gloss: the README's commands.
#   make bench      run the benchmark (the run command): every loss on every built-in device
#   make test       run the tests (the test command): default build, then -tags opencl
#   make lint       gofmt, go vet (all build tags), staticcheck
#   make kernels    regenerate the CUDA fatbins with nvcc (go generate)
#   make cuda-check CI's CUDA checks without a GPU: fatbin fresh, vet, test binaries link
#   make gpu-check  build what the GPU host runs (scripts/gpu-check.sh)
#   make peers      time PyTorch and NumPy on the bench's sizes and compare (needs deps.sh peers)
#   make deps       install the tagged builds' system packages (scripts/deps.sh, as root)
#   make cuda-emu   build the emulated CUDA driver, build/cuda-emu/libcuda.so.1 (internal/cudaemu)
#   make cuda-emu-test  build and run the emulator's self-test

GO ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
BENCH_OUT ?= out/bench
TEST_TIMEOUT ?= 20m

.PHONY: all bench peers test test-default test-opencl lint kernels cuda-check gpu-check deps ci cuda-emu cuda-emu-test

all: test

bench:
	$(GO) run ./cmd/gloss bench -quick -o $(BENCH_OUT)

# The system python3 (Debian's, with python3-torch), not a pyenv one on the PATH.
PYTHON ?= /usr/bin/python3

peers: bench
	$(PYTHON) bench/peers/peers.py --like $(BENCH_OUT)/bench.csv -o $(BENCH_OUT)/peers.csv
	$(GO) run ./cmd/gloss bench -from $(BENCH_OUT)/bench.csv -compare $(BENCH_OUT)/peers.csv

test: test-default test-opencl

test-default:
	$(GO) test -timeout $(TEST_TIMEOUT) ./...

test-opencl:
	$(GO) test -timeout $(TEST_TIMEOUT) -tags opencl ./...

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags opencl ./...
	$(GO) vet -tags cuda ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) run $(STATICCHECK) -tags opencl ./...
	$(GO) run $(STATICCHECK) -tags cuda ./...

kernels:
	$(GO) generate ./kernels/cuda/...

cuda-check:
	bash scripts/check-fatbin.sh
	$(GO) vet -tags cuda ./...
	@for p in $$($(GO) list -tags cuda -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' ./...); do \
		echo "go test -c -tags cuda $$p"; \
		$(GO) test -c -tags cuda -o /dev/null $$p || exit 1; \
	done

gpu-check:
	bash scripts/gpu-check.sh

deps:
	bash scripts/deps.sh

ci: lint test cuda-check cuda-emu-test

# The CUDA emulator (internal/cudaemu/README.md): gloss's real CUDA kernels compiled for the host
# under an emulation of the CUDA execution model, behind an emulated driver library that the
# binding loads when GLOSS_LIBCUDA names it. Test infrastructure, built only by these targets.
EMU := internal/cudaemu
EMU_OUT := build/cuda-emu
EMU_LIB := $(EMU_OUT)/libcuda.so.1
EMU_CXXFLAGS := -std=c++17 -O2 -fPIC -Wall -Wextra -U_FORTIFY_SOURCE -fno-strict-aliasing -ffp-contract=off
# Kernel sources: the dialect header first, then what prep.sh rewrote. No fast math, no FMA
# contraction; stacks are probed so that a deep frame cannot jump over a lane's guard page.
EMU_KFLAGS := $(EMU_CXXFLAGS) -fstack-clash-protection -Wno-unknown-pragmas -Wno-unused-parameter \
	-Wno-unused-variable -Wno-maybe-uninitialized -include $(EMU)/cuda_emu.h -I$(EMU) -I$(EMU)/include
EMU_HDRS := $(EMU)/engine.h $(EMU)/cuda_emu.h $(EMU)/include/math_constants.h
EMU_KERNEL_SRCS := $(wildcard kernels/cuda/*.cu kernels/cuda/*.cuh)
# The real fatbins for the self-test's image checks (gzip-compressed ones are expanded first).
EMU_FATBINS := $(foreach t,f32 f64,$(if $(wildcard kernels/cuda/gloss_$(t).fatbin),kernels/cuda/gloss_$(t).fatbin,$(if $(wildcard kernels/cuda/gloss_$(t).fatbin.gz),$(EMU_OUT)/gloss_$(t).fatbin)))

cuda-emu: $(EMU_LIB)

$(EMU_OUT)/src/.stamp: $(EMU_KERNEL_SRCS) $(EMU)/prep.sh $(EMU_HDRS)
	@mkdir -p $(EMU_OUT)/src
	GLOSS_EMU_SCAN="gloss.cu:float:$(EMU_OUT)/src/kernels_f32.inc gloss.cu:double:$(EMU_OUT)/src/kernels_f64.inc" \
		CXX="$(CXX)" CPPFLAGS="-include $(EMU)/cuda_emu.h -I$(EMU) -I$(EMU)/include" \
		bash $(EMU)/prep.sh $(EMU_OUT)/src kernels/cuda
	@touch $@

$(EMU_OUT)/kernels_%.o: $(EMU)/kernels.cpp $(EMU_OUT)/src/.stamp
	$(CXX) $(EMU_KFLAGS) -I$(EMU_OUT)/src -DREAL=$(if $(filter f32,$*),float,double) \
		-DGLOSS_EMU_TABLE=gloss_emu_kernels_$* -DGLOSS_EMU_LIST='"kernels_$*.inc"' -c $< -o $@

$(EMU_OUT)/engine.o $(EMU_OUT)/driver.o: $(EMU_OUT)/%.o: $(EMU)/%.cpp $(EMU)/engine.h
	@mkdir -p $(EMU_OUT)
	$(CXX) $(EMU_CXXFLAGS) -c $< -o $@

$(EMU_LIB): $(EMU_OUT)/engine.o $(EMU_OUT)/driver.o $(EMU_OUT)/kernels_f32.o $(EMU_OUT)/kernels_f64.o $(EMU)/exports.map
	$(CXX) -shared -Wl,-soname,libcuda.so.1 -Wl,--version-script=$(EMU)/exports.map -Wl,-z,defs \
		-o $@ $(filter %.o,$^) -lpthread

$(EMU_OUT)/test/.stamp: $(EMU)/test/constructs.cu $(EMU)/prep.sh $(EMU_HDRS)
	@mkdir -p $(EMU_OUT)/test
	bash $(EMU)/prep.sh $(EMU_OUT)/test $(EMU)/test
	@touch $@

$(EMU_OUT)/constructs.o: $(EMU_OUT)/test/.stamp
	$(CXX) $(EMU_KFLAGS) -x c++ -c $(EMU_OUT)/test/constructs.cu -o $@

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
