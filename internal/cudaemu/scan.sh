#!/usr/bin/env bash
# scan.sh SOURCE REAL LIST: lists the kernels of a CUDA translation unit for the emulator's
# kernel table. It preprocesses SOURCE as C++ with -DREAL=REAL and GLOSS_EMU_SCAN defined (under
# which cuda_emu.h marks __global__ and __launch_bounds__) and writes LIST: one
# GLOSS_EMU_KERNEL(name, bound) line per __global__ function, bound being its
# __launch_bounds__'s maximum threads per block (or 1024). CXX and CPPFLAGS are used for the
# preprocessor.
#
# gloss's kernel source needs no rewriting for the host: it spells kernels and shared memory
# through its dialect's macros (KERNEL, SHARED, DYN_SHARED in kernels/cuda/dialect.cuh), which
# take the emulator's forms when cuda_emu.h is included.
set -euo pipefail
src=$1
real=$2
list=$3
# shellcheck disable=SC2086
${CXX:-g++} -x c++ -std=c++17 -E -P -DGLOSS_EMU_SCAN -DREAL="$real" ${CPPFLAGS:-} "$src" |
	perl -0777 -ne '
		while (/__gloss_global__\s+void\s+(?:__gloss_bounds__\s*(\((?:[^()]++|(?1))*\))\s*)?([A-Za-z_]\w*)\s*\(/g) {
			my $b = defined $1 ? "::gloss_emu::bound$1" : "1024";
			print "GLOSS_EMU_KERNEL($2, $b)\n";
			$n++;
		}
		END { die "scan.sh: found no __global__ functions\n" unless $n }' >"$list.tmp"
mv "$list.tmp" "$list"
