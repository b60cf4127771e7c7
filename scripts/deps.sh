#!/usr/bin/env bash
# Installs the system packages gloss's tests, devices and tools use on Debian 12 (bookworm), as
# root or through sudo. Idempotent: safe to rerun; it only installs what is missing. Building
# gloss needs only Go and a C compiler (for cgo): no OpenCL or CUDA package is needed to build.
#   scripts/deps.sh            the C compiler, OpenCL (PoCL) and the CUDA toolkit
#   scripts/deps.sh opencl     a C compiler, the OpenCL ICD loader and PoCL (an OpenCL device
#                              on the CPU), and clinfo
#   scripts/deps.sh cuda       the CUDA toolkit (nvcc, for make kernels and make cuda-check)
#   scripts/deps.sh peers      PyTorch and NumPy for bench/peers (not part of "all": torch is large)
#   scripts/deps.sh test       what `make test` runs first: if gloss sees no OpenCL device, install
#                              the opencl part and look again; when there is still none, print one
#                              line saying why (the OpenCL tests then skip) and succeed. Set
#                              GLOSS_NO_INSTALL=1 to only look.
# The CUDA toolkit lives in Debian's contrib and non-free components: this script adds them to the
# machine's existing Debian apt source entry (it writes no new source and names no host).
set -euo pipefail
what=${1:-all}
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
GO=${GO:-go}
SUDO=
if [ "$(id -u)" != 0 ]; then
	SUDO=sudo
	# Without a terminal to ask for a password on, sudo must not wait for one.
	[ -t 0 ] || SUDO="sudo -n"
fi

updated=0
apt_update() { if [ $updated = 0 ]; then $SUDO apt-get update -q; updated=1; fi; }
apt_install() { apt_update; $SUDO apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=900 "$@"; }
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
install_missing() {
	local need=() p
	for p in "$@"; do have_pkg "$p" || need+=("$p"); done
	if [ ${#need[@]} -gt 0 ]; then apt_install "${need[@]}"; fi
}

enable_contrib_nonfree() {
	# deb822 sources (Debian 12 default): add the components to every Components line that lacks them.
	local changed=0 f
	for f in /etc/apt/sources.list.d/debian.sources; do
		[ -f "$f" ] || continue
		if grep -qE '^Components:' "$f" && grep -E '^Components:' "$f" | grep -vq 'non-free'; then
			$SUDO sed -i -E '/^Components:/{/non-free/!s/$/ contrib non-free/}' "$f"
			changed=1
		fi
	done
	# one-line sources (older layout): add them to each Debian "deb" line that has main but not non-free.
	if [ -f /etc/apt/sources.list ] && grep -qE '^deb .* main' /etc/apt/sources.list; then
		if grep -E '^deb .* main' /etc/apt/sources.list | grep -vq 'non-free'; then
			$SUDO sed -i -E '/^deb .* main/{/non-free/!s/$/ contrib non-free/}' /etc/apt/sources.list
			changed=1
		fi
	fi
	if [ $changed = 1 ]; then updated=0; fi
}

# cgo's C compiler and C library headers: without them Go builds gloss without cgo (cpu only).
opencl_pkgs=(gcc libc6-dev ocl-icd-libopencl1 pocl-opencl-icd clinfo)

# opencl_absent prints why gloss sees no OpenCL device (one line), or nothing when it sees one.
# It asks gloss itself (`gloss devices`), so it sees what the tests will see, environment
# included (OCL_ICD_VENDORS, GLOSS_LIBOPENCL, no C compiler...).
opencl_absent() {
	local out
	if ! out=$("$GO" run ./cmd/gloss devices -measure=false 2>&1); then
		echo "gloss devices failed: $(echo "$out" | tail -1)"
		return
	fi
	if echo "$out" | grep -q '^opencl '; then return; fi
	echo "$out" | grep '^opencl: ' | head -1 | sed 's/^opencl: no device: //'
}

if [ "$what" = test ]; then
	why=$(opencl_absent)
	if [ -z "$why" ]; then exit 0; fi
	missing=0
	for p in "${opencl_pkgs[@]}"; do have_pkg "$p" || missing=1; done
	if [ $missing = 0 ]; then
		echo "make test: PoCL is installed but gloss sees no OpenCL device ($why): the OpenCL tests will skip"
		exit 0
	fi
	if [ "${GLOSS_NO_INSTALL:-}" = 1 ]; then
		echo "make test: no OpenCL device ($why); GLOSS_NO_INSTALL=1, so nothing installed: the OpenCL tests will skip"
		exit 0
	fi
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "make test: no OpenCL device ($why), and no apt-get to install PoCL with (not Debian?): the OpenCL tests will skip"
		exit 0
	fi
	if [ -n "$SUDO" ] && ! command -v sudo >/dev/null 2>&1; then
		echo "make test: no OpenCL device ($why), and neither root nor sudo to install PoCL with: the OpenCL tests will skip"
		exit 0
	fi
	echo "make test: no OpenCL device ($why): installing PoCL with scripts/deps.sh opencl" >&2
	log=$(mktemp)
	trap 'rm -f "$log"' EXIT
	if ! bash scripts/deps.sh opencl 2>&1 | tee "$log" >&2; then
		echo "make test: installing PoCL failed ($(grep -v '^[[:space:]]*$' "$log" | tail -1)): the OpenCL tests will skip"
		exit 0
	fi
	why=$(opencl_absent)
	if [ -n "$why" ]; then
		echo "make test: PoCL is installed but gloss still sees no OpenCL device ($why): the OpenCL tests will skip"
	fi
	exit 0
fi

if [ "$what" = all ] || [ "$what" = opencl ]; then
	install_missing "${opencl_pkgs[@]}"
fi

if [ "$what" = all ] || [ "$what" = cuda ]; then
	if ! command -v nvcc >/dev/null 2>&1; then
		enable_contrib_nonfree
		apt_install nvidia-cuda-toolkit
	fi
fi
if [ "$what" = peers ]; then
	install_missing python3-torch python3-numpy
fi
echo "deps: done ($what)"
