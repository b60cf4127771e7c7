#!/usr/bin/env bash
# check-fatbin.sh: CI's freshness check of the CUDA kernels. It regenerates
# kernels/cuda/gloss_f32.fatbin and gloss_f64.fatbin from the .cu sources (kernels/cuda/gen.sh,
# in a temporary copy, so the working tree is not touched) and fails if either differs by one
# byte from the fatbin in the working tree (in CI: the committed one), or if kernels/cuda/abi.txt
# (the kernels' parameter lists, which gen.sh reads from the fatbins' PTX) differs from what the
# regenerated fatbins give.
#
# Needs nvcc from CUDA 11.8 (Debian 12's nvidia-cuda-toolkit: `scripts/deps.sh cuda`); another
# nvcc release gives other bytes, so gen.sh refuses it. About 3 minutes on 2 cores.
#
# When it fails: run `make kernels` and commit the regenerated fatbins and abi.txt with the
# sources.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
src=$root/kernels/cuda
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$src"/*.cu "$src"/*.cuh "$src"/gen.sh "$tmp"/
bash "$tmp/gen.sh" >/dev/null
status=0
for f in gloss_f32.fatbin gloss_f64.fatbin abi.txt; do
	if [ ! -f "$src/$f" ]; then
		echo "check-fatbin: kernels/cuda/$f is missing; run make kernels" >&2
		status=1
	elif cmp -s "$tmp/$f" "$src/$f"; then
		echo "check-fatbin: kernels/cuda/$f is up to date ($(wc -c <"$src/$f") bytes)"
	else
		echo "check-fatbin: kernels/cuda/$f differs from what the sources give:" >&2
		if [ "$f" = abi.txt ]; then
			diff "$tmp/$f" "$src/$f" >&2 || true
		else
			cmp "$tmp/$f" "$src/$f" >&2 || true
		fi
		echo "check-fatbin: sizes: regenerated $(wc -c <"$tmp/$f"), in the tree $(wc -c <"$src/$f")" >&2
		status=1
	fi
done
if [ $status != 0 ]; then
	echo "check-fatbin: run 'make kernels' (nvcc from CUDA 11.8) and commit kernels/cuda/*.fatbin and abi.txt" >&2
fi
exit $status
