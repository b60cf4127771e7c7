#!/usr/bin/env bash
# check-fatbin.sh: CI's freshness check of the CUDA kernels. It regenerates
# kernels/cuda/gloss_f32.fatbin.gz and gloss_f64.fatbin.gz from the .cu sources
# (kernels/cuda/gen.sh: nvcc, then gzip -9 -n), in a temporary copy so the working tree is not
# touched, and fails if either differs by one byte from the one in the working tree (in CI: the
# committed one), or if kernels/cuda/abi.txt (the kernels' parameter lists, which gen.sh reads
# from the fatbins' PTX) differs from what the regenerated fatbins give. When a compressed file
# differs, it also says whether the fatbin inside differs, or only the compression.
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
for f in gloss_f32.fatbin.gz gloss_f64.fatbin.gz abi.txt; do
	if [ ! -f "$src/$f" ]; then
		echo "check-fatbin: kernels/cuda/$f is missing; run make kernels" >&2
		status=1
	elif cmp -s "$tmp/$f" "$src/$f"; then
		echo "check-fatbin: kernels/cuda/$f is up to date ($(wc -c <"$src/$f") bytes)"
	else
		echo "check-fatbin: kernels/cuda/$f differs from what the sources give:" >&2
		case $f in
		abi.txt) diff "$tmp/$f" "$src/$f" >&2 || true ;;
		*.gz)
			if cmp -s <(gzip -dc "$tmp/$f") <(gzip -dc "$src/$f"); then
				echo "check-fatbin: the fatbin inside is the same; only the compression differs (gzip $(gzip --version | head -1 | awk '{print $2}') here)" >&2
			else
				cmp <(gzip -dc "$tmp/$f") <(gzip -dc "$src/$f") >&2 || true
			fi
			;;
		esac
		echo "check-fatbin: sizes: regenerated $(wc -c <"$tmp/$f"), in the tree $(wc -c <"$src/$f")" >&2
		status=1
	fi
done
if [ $status != 0 ]; then
	echo "check-fatbin: run 'make kernels' (nvcc from CUDA 11.8) and commit kernels/cuda/*.fatbin.gz and abi.txt" >&2
fi
exit $status
