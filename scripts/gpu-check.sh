#!/usr/bin/env bash
# gpu-check.sh (make gpu-check): builds here, without a GPU, everything a GPU host runs, into
# the git-ignored folder .gpu/, and writes .gpu/run.sh, the one script to run there.
#
# Here (Go with cgo; no GPU, no CUDA toolkit, no driver needed):
#
#   make gpu-check
#
# builds .gpu/cuda.test.gz (go test -c ./device/cuda: the conformance suite, the N·C > 2^31
# test, the error and alignment tests, BenchmarkLoss) and .gpu/gloss.gz (go build ./cmd/gloss,
# for `gloss bench`), gzipped to keep .gpu small. The binaries embed the kernels and load the
# NVIDIA driver library (libcuda.so.1) when they run: the GPU host needs only an NVIDIA driver
# and glibc ≥ 2.34, no Go and no CUDA toolkit. Copy the repository (or just .gpu/) there and run,
# from the repository root:
#
#   bash .gpu/run.sh
#
# run.sh takes about 4–8 minutes (each step has its own time limit, 470 s in all) and writes
# under $OUT (./.gpu/out when OUT is unset), 7 files:
#   results.txt        one line per step (exit status, seconds, test counts), nvidia-smi,
#                      the libcuda it used
#   conformance.log    cuda.test -test.v: TestConformance (losstest.Run), TestOpenErrors,
#                      TestUnaligned
#   large.log          GLOSS_LARGE=1 TestLarge (cross-entropy with N·C > 2^31)
#   bench.log          BenchmarkLoss (go test's MB/s: mse and bce_with_logits at 2^28, cross_entropy
#                      at 8192×50257, 4096×131072 and 2^20×1000, in place) and `gloss bench`
#   bench/bench.csv, bench/bench.json, bench/bench.png
#                      gloss bench -o: resident fwd and fwd_bwd of mse, bce_with_logits and
#                      cross_entropy at 8192×50257 (1.6 GB per float32 input; the elementwise
#                      losses take it as 411M elements), against the measured copy bandwidth
# A step whose test skips because the driver finds no GPU shows it in its log: the skip says
# the driver's reason.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
GO=${GO:-go}
mkdir -p .gpu
rm -f .gpu/cuda.test .gpu/cuda.test.gz .gpu/gloss .gpu/gloss.gz .gpu/run.sh

if [ "$("$GO" env CGO_ENABLED)" != 1 ]; then
	echo "gpu-check: cgo is off (no C compiler?): a binary without cgo cannot load the CUDA driver; install gcc (scripts/deps.sh opencl does)" >&2
	exit 1
fi
echo "gpu-check: go test -c ./device/cuda"
"$GO" test -c -o .gpu/cuda.test ./device/cuda
echo "gpu-check: go build ./cmd/gloss"
"$GO" build -o .gpu/gloss ./cmd/gloss
for f in .gpu/cuda.test .gpu/gloss; do
	if [ -f "$f" ]; then gzip -9 -f "$f"; fi
done

cat >.gpu/run.sh <<'EOF'
#!/usr/bin/env bash
# run.sh: gloss's GPU checks, written by scripts/gpu-check.sh. Run from the repository root
# on a host with an NVIDIA GPU and driver: bash .gpu/run.sh (results under $OUT or .gpu/out).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/.gpu/out}
mkdir -p "$out" "$out/bench"
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
res=$out/results.txt
: >"$res"
t0=$(date +%s)
note() { echo "$*" | tee -a "$res"; }

for f in cuda.test gloss; do
	if [ -f "$root/.gpu/$f.gz" ]; then
		gzip -dc "$root/.gpu/$f.gz" >"$bin/$f" && chmod +x "$bin/$f"
	fi
done

# The driver's libcuda.so.1: the loader's own, or one of the usual driver folders.
if ! ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1'; then
	for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/local/cuda/compat; do
		if [ -e "$d/libcuda.so.1" ]; then
			export LD_LIBRARY_PATH=$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
			break
		fi
	done
fi
note "host: $(uname -srm); glibc $(ldd --version 2>/dev/null | head -1 | awk '{print $NF}'); LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
{ echo "== nvidia-smi"; timeout 20 nvidia-smi 2>&1; echo; } >>"$res"

# step NAME LIMIT LOG CMD...: runs CMD with a time limit, appending to LOG, and notes the result.
step() {
	local name=$1 limit=$2 log=$3
	shift 3
	local s=$(date +%s)
	echo "== $name: $* (limit ${limit}s)" >>"$log"
	(cd "$bin" && timeout --kill-after=10 "$limit" "$@") >>"$log" 2>&1
	local rc=$?
	local pass fail skip
	pass=$(grep -c -- '^--- PASS' "$log" 2>/dev/null)
	fail=$(grep -c -- '--- FAIL' "$log" 2>/dev/null)
	skip=$(grep -c -- '--- SKIP' "$log" 2>/dev/null)
	note "$name: exit $rc after $(($(date +%s) - s))s (log $(basename "$log"): --- PASS ${pass:-0}, --- FAIL ${fail:-0}, --- SKIP ${skip:-0})$([ $rc = 124 ] && echo ', TIMED OUT')"
}

if [ -x "$bin/cuda.test" ]; then
	step conformance 170 "$out/conformance.log" ./cuda.test -test.v -test.timeout 160s \
		-test.run '^(TestConformance|TestOpenErrors|TestUnaligned)$'
	step large 120 "$out/large.log" env GLOSS_LARGE=1 ./cuda.test -test.v -test.timeout 110s -test.run '^TestLarge$'
	step go-bench 45 "$out/bench.log" ./cuda.test -test.run '^$' -test.bench '^BenchmarkLoss$' -test.benchtime 10x
else
	note "no .gpu/cuda.test.gz: run make gpu-check first"
fi
if [ -x "$bin/gloss" ]; then
	step gloss-bench 115 "$out/bench.log" ./gloss bench -devices cuda:0 -losses mse,bce_with_logits,cross_entropy \
		-sizes 8192x50257 -modes fwd,fwd_bwd -paths resident -repeats 7 -budget 1s -o "$out/bench"
else
	note "gloss bench: skipped (no .gpu/gloss.gz: cmd/gloss was not built)"
fi
note "total: $(($(date +%s) - t0))s"
EOF
chmod +x .gpu/run.sh
du -k .gpu/* | awk '{printf "gpu-check: %s %d KiB\n", $2, $1}'
echo "gpu-check: now, on the GPU host, from the repository root: bash .gpu/run.sh"
