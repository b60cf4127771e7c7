#!/usr/bin/env bash
# gen.sh regenerates gloss_f32.fatbin and gloss_f64.fatbin from gloss.cu (which includes every
# family's .cu file): `go generate ./kernels/cuda/...` (make kernels) runs it.
#
# Each fatbin holds sm_70, sm_80 and sm_90 machine code plus compute_90 PTX (which newer GPUs
# compile at load). nvcc 11.8 compresses the PTX of a fatbin by default but not the ELF cubins;
# the default-build test reads the kernel symbols from the cubins (and fails if a cubin is ever
# compressed). The fatbins are committed and embedded with
# go:embed, so `go build -tags cuda` needs no nvcc. The output is byte-identical when
# regenerated with the same nvcc; scripts/check-fatbin.sh checks that, with the nvcc CI has:
# CUDA 11.8 (Debian 12's nvidia-cuda-toolkit, installed by scripts/deps.sh cuda). Another
# nvcc release would produce other bytes, so this script refuses one unless
# GLOSS_NVCC_ANY=1 is set.
#
# No fast-math flags: the kernels rely on IEEE-accurate expf/logf/... and exact division.
set -euo pipefail
cd "$(dirname "$0")"
NVCC=${NVCC:-nvcc}
want="release 11.8"
if ! "$NVCC" --version 2>/dev/null | grep -q "$want"; then
	if [ "${GLOSS_NVCC_ANY:-}" != 1 ]; then
		echo "gen.sh: need nvcc with CUDA 11.8 (\"$want\") to reproduce the committed fatbins; found:" >&2
		"$NVCC" --version >&2 || echo "  no $NVCC on PATH (scripts/deps.sh cuda installs it)" >&2
		echo "gen.sh: set GLOSS_NVCC_ANY=1 to build with it anyway" >&2
		exit 1
	fi
fi
flags=(-std=c++17 -O3 --fatbin
	-gencode=arch=compute_70,code=sm_70
	-gencode=arch=compute_80,code=sm_80
	-gencode=arch=compute_90,code=[sm_90,compute_90])
pids=()
for t in f32:float f64:double; do
	name=${t%%:*}
	real=${t#*:}
	"$NVCC" "${flags[@]}" -DREAL="$real" -o "gloss_$name.fatbin.tmp" gloss.cu &
	pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
if [ $status != 0 ]; then
	rm -f gloss_f32.fatbin.tmp gloss_f64.fatbin.tmp
	exit 1
fi
mv gloss_f32.fatbin.tmp gloss_f32.fatbin
mv gloss_f64.fatbin.tmp gloss_f64.fatbin
ls -l gloss_f32.fatbin gloss_f64.fatbin
