#!/usr/bin/env bash
# Installs the Debian 12 packages symsrvd needs, only those missing.
# Usage: scripts/deps.sh [build|bench]
#   build (default): compile, run and test the daemon
#   bench: also nginx and wrk for tests/bench/bench.sh
set -euo pipefail

build_pkgs=(gcc make cmake pkg-config libevent-dev libssl-dev
    libcurl4-openssl-dev libcmocka-dev libinih-dev openssl curl
    clang-format debuginfod gdb binutils libmspack-dev cabextract gcab
    clang lld llvm libelf-dev libdw-dev libgcab-dev)
bench_pkgs=(nginx-light wrk)

want=("${build_pkgs[@]}")
if [ "${1:-build}" = bench ]; then
    want+=("${bench_pkgs[@]}")
fi

missing=()
for p in "${want[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
        grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=
if [ "$(id -u)" -ne 0 ]; then
    sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
