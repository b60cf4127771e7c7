#!/usr/bin/env bash
# prep.sh OUT SRC_DIR... : prepares CUDA sources for the host build of the emulator.
#
# 1. Copies every .cu and .cuh file of the SRC_DIRs into OUT with three rewrites that the
#    forced-include header (cuda_emu.h) cannot do with macros. TEMPORARY: they go away once the
#    shared kernel source spells these declarations through dialect macros.
#      extern "C" __global__      -> __global__: the host build compiles each element type of
#                                   the kernels in its own anonymous namespace, and C linkage
#                                   would make the two copies of each kernel one symbol.
#      extern __shared__ [__align__(n)] T name[];
#                                 -> T* const name = (T*)::gloss_emu::dyn_smem();
#                                   (every extern __shared__ array is the block's dynamic
#                                   shared memory, of the size the launch gives).
#      __shared__ T name[dims];   -> GLOSS_EMU_SHARED(T, name, [dims]); (static shared memory of
#                                   the running block, see cuda_emu.h).
#    A __shared__ left over afterwards (a form these patterns do not know) fails the build here.
#
# 2. For each FILE:REAL:LIST given in GLOSS_EMU_SCAN (space-separated), preprocesses OUT/FILE
#    with -DREAL=REAL in scan mode and writes LIST: one GLOSS_EMU_KERNEL(name, bound) line per
#    __global__ function, bound being its __launch_bounds__ (or 1024). CXX and CPPFLAGS are
#    used for the preprocessor.
set -euo pipefail
out=$1
shift
mkdir -p "$out"
for dir in "$@"; do
	for f in "$dir"/*.cu "$dir"/*.cuh; do
		[ -e "$f" ] || continue
		sed -E \
			-e 's/extern "C"[[:space:]]+__global__/__global__/g' \
			-e 's/^([[:space:]]*)extern[[:space:]]+__shared__[[:space:]]+(__align__\([0-9]+\)[[:space:]]+)?([^;[]*[^[:alnum:]_[])([[:alpha:]_][[:alnum:]_]*)[[:space:]]*\[\][[:space:]]*;/\1\3* const \4 = (\3*)::gloss_emu::dyn_smem();/' \
			-e 's/^([[:space:]]*)__shared__[[:space:]]+([^;[]*[^[:alnum:]_[])([[:alpha:]_][[:alnum:]_]*)[[:space:]]*((\[[^];]*\])*)[[:space:]]*;/\1GLOSS_EMU_SHARED(\2, \3, \4);/' \
			"$f" >"$out/$(basename "$f").tmp"
		if grep -n '__shared__' "$out/$(basename "$f").tmp" >&2; then
			echo "prep.sh: $f: a __shared__ declaration of a form prep.sh does not rewrite (above)" >&2
			exit 1
		fi
		mv "$out/$(basename "$f").tmp" "$out/$(basename "$f")"
	done
done

for spec in ${GLOSS_EMU_SCAN:-}; do
	IFS=: read -r file real list <<<"$spec"
	# shellcheck disable=SC2086
	${CXX:-g++} -x c++ -std=c++17 -E -P -DGLOSS_EMU_SCAN -DREAL="$real" ${CPPFLAGS:-} "$out/$file" |
		perl -0777 -ne '
			while (/__gloss_global__\s+void\s+(?:__gloss_bounds__\s*(\((?:[^()]++|(?1))*\))\s*)?([A-Za-z_]\w*)\s*\(/g) {
				my $b = defined $1 ? "::gloss_emu::bound$1" : "1024";
				print "GLOSS_EMU_KERNEL($2, $b)\n";
				$n++;
			}
			END { die "prep.sh: found no __global__ functions\n" unless $n }' >"$list.tmp"
	mv "$list.tmp" "$list"
done
