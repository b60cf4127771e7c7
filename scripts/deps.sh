#!/usr/bin/env bash
# Installs what gloss's tagged builds and tests need on Debian 12 (bookworm), as root.
# Idempotent: safe to rerun; it only installs what is missing.
#   scripts/deps.sh            OpenCL (PoCL, headers, ICD loader) and the CUDA toolkit
#   scripts/deps.sh opencl     only the OpenCL part
#   scripts/deps.sh cuda       only the CUDA part
#   scripts/deps.sh peers      PyTorch and NumPy for bench/peers (not part of "all": torch is large)
# The CUDA toolkit lives in Debian's contrib and non-free components: this script adds them to the
# machine's existing Debian apt source entry (it writes no new source and names no host).
set -euo pipefail
what=${1:-all}
export DEBIAN_FRONTEND=noninteractive
SUDO=
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi

updated=0
apt_update() { if [ $updated = 0 ]; then $SUDO apt-get update -q; updated=1; fi; }
apt_install() { apt_update; $SUDO apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=900 "$@"; }
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

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

if [ "$what" = all ] || [ "$what" = opencl ]; then
	need=()
	for p in pocl-opencl-icd ocl-icd-opencl-dev opencl-headers clinfo; do have_pkg "$p" || need+=("$p"); done
	if [ ${#need[@]} -gt 0 ]; then apt_install "${need[@]}"; fi
fi

if [ "$what" = all ] || [ "$what" = cuda ]; then
	if ! command -v nvcc >/dev/null 2>&1; then
		enable_contrib_nonfree
		apt_install nvidia-cuda-toolkit
	fi
fi
if [ "$what" = peers ]; then
	need=()
	for p in python3-torch python3-numpy; do have_pkg "$p" || need+=("$p"); done
	if [ ${#need[@]} -gt 0 ]; then apt_install "${need[@]}"; fi
fi
echo "deps: done ($what)"
