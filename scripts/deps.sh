#!/usr/bin/env bash
# Installs the Debian 12 packages symsrvd needs, only those missing.
# Usage: scripts/deps.sh [run|test|bench|deb]
#   run (default): build symsrvd and symsrv (-DSYMSRVD_TESTS=OFF) and run
#       them: `make run`
#   test: also what the test suite and its checks use: `make test`
#   bench: run, plus what tests/bench/bench.sh uses: `make bench`
#   deb: run, plus what `make deb` uses
# ("build", the old name of run, still works.)
set -euo pipefail

# The compiler, CMake and every library the top CMakeLists.txt looks for.
# libcrypt-dev: crypt_rn() checks the htpasswd hashes (src/daemon/cred.c).
# zlib1g-dev, libzstd-dev: the gzip and zstd copies of served files
#   (src/store/zcache.c, docs/http.md "Compressed transfer").
# libcurl4-openssl-dev, libexpat1-dev: src/remote/ (S3 buckets: libcurl's
#   SigV4 requests, expat for the XML answers), used by symsrv add -s s3://;
#   libcurl's multi interface also fetches from upstreams in the daemon
#   (src/daemon/fetch.c, docs/remote.md)
run_pkgs=(gcc make cmake pkg-config libevent-dev libssl-dev libinih-dev
    libmspack-dev libelf-dev libdw-dev libgcab-dev libsystemd-dev libcrypt-dev
    zlib1g-dev libzstd-dev libcurl4-openssl-dev libexpat1-dev)

# What the tests link, and the commands they run (grep tests/ for them):
#   libcmocka-dev, libcurl4-openssl-dev: every test program links them
#   openssl: tests/integration/make-certs.sh (the HTTPS test CA)
#   debuginfod, gdb: debuginfod-find and gdb against the daemon
#   cabextract, gcab: the CABs of the store and symsrv --compress tests
#   clang, lld, llvm: PE/PDB fixtures (clang, lld-link, llvm-readobj,
#       llvm-pdbutil) and make test's clang build; ELF objects of other
#       targets and llvm-objcopy --dump-section for test_elfsect
#   binutils: objcopy, readelf, strip for the ELF fixtures
#   clang-format: make test's format check
#   libclang-rt-14-dev: clang -fsanitize=fuzzer (make fuzz, make test)
#   apache2-utils: htpasswd makes the users of tests/integration/test_access.c
#   lintian, man-db, logrotate: tests/packaging/ (lintian on the .deb,
#       man --warnings, the shipped logrotate file)
#   dpkg-dev: as for deb below (tests/packaging/deb.sh builds the .deb)
#   prometheus: promtool check metrics on a /metrics scrape (test_metrics;
#       skipped without it)
#   python3: tests/integration/upstream_server.py, the upstream of
#       test_upstream (skipped without it)
#   nodejs, npm: the S3 server of tests/integration/test_s3.c
#       (@20minutes/s3rver, pinned in tests/s3/package-lock.json, installed
#       below into tests/s3/node_modules; skipped without it). A machine
#       whose node comes from elsewhere (node >= 20) keeps it
test_pkgs=(libcmocka-dev libcurl4-openssl-dev openssl debuginfod gdb
    cabextract gcab clang lld llvm binutils clang-format libclang-rt-14-dev
    lintian man-db logrotate dpkg-dev prometheus apache2-utils nodejs npm python3)

# make deb: dpkg-shlibdeps computes the package's Depends (CPack).
deb_pkgs=(dpkg-dev)

# tests/bench/bench.sh: nginx to compare with, wrk for load; python3
# (gen_store.py), curl and pgrep (procps) for its checks.
bench_pkgs=(nginx-light wrk python3 curl procps h2o lighttpd lighttpd-mod-openssl
    openssl)

want=("${run_pkgs[@]}")
case "${1:-run}" in
run | build) ;;
test) want+=("${test_pkgs[@]}") ;;
bench) want+=("${bench_pkgs[@]}") ;;
deb) want+=("${deb_pkgs[@]}") ;;
*)
    echo "usage: $0 [run|test|bench|deb]" >&2
    exit 2
    ;;
esac

missing=()
for p in "${want[@]}"; do
    # node and npm installed some other way (nodesource's nodejs carries
    # npm) count as there.
    if [ "$p" = npm ] || [ "$p" = nodejs ]; then
        command -v "${p/nodejs/node}" >/dev/null && continue
    fi
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
        grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

# The test S3 server, exactly as tests/s3/package-lock.json pins it.
s3rver() {
    local dir
    dir="$(dirname "$0")/../tests/s3"
    [ -f "$dir/node_modules/@20minutes/s3rver/lib/cli.js" ] && return 0
    echo "deps: npm ci in $dir (@20minutes/s3rver)" >&2
    # Without the registry the S3 tests report Skipped; the rest still run.
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) ||
        echo "deps: npm ci failed: integration.s3 will be skipped" >&2
}

if [ ${#missing[@]} -eq 0 ]; then
    [ "${1:-run}" = test ] && s3rver
    exit 0
fi

echo "deps: installing ${missing[*]}" >&2
sudo=
if [ "$(id -u)" -ne 0 ]; then
    sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
[ "${1:-run}" = test ] && s3rver
exit 0
