#!/usr/bin/env bash
# Compressed transfer (docs/http.md): bytes sent identity, gzip and zstd,
# and what making each copy cost (the daemon's CPU time while the pool
# made it, and the -v line's wall time), for the fixture PDBs and a
# synthetic large PDB (gen_pdb.py). Run by hand; prints a Markdown table
# for docs/benchmarks.md.
# Usage: tests/bench/compress.sh [SYMSRVD] (default build-release/symsrvd)
# Env: SIZE_MIB (synthetic PDB, default 128), FIXTURES (default
# ../shared/fixtures), BENCH_DIR (default /tmp/symsrvd-bench-compress).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${1:-$top/build-release/symsrvd}
fixtures=${FIXTURES:-$top/../shared/fixtures}
dir=${BENCH_DIR:-/tmp/symsrvd-bench-compress}
size_mib=${SIZE_MIB:-128}
port=${PORT:-18499}
key=0123456789ABCDEF0123456789ABCDEF1

rm -rf "$dir/store" "$dir/cache"
mkdir -p "$dir/store"
add() { # add NAME FILE
    mkdir -p "$dir/store/$1/$key"
    cp "$2" "$dir/store/$1/$key/$1"
}
if [ -d "$fixtures" ]; then
    cab=$(echo "$fixtures"/mozilla-store/qipcap64.pdb/*/qipcap64.pd_)
    if command -v cabextract >/dev/null && [ -f "$cab" ]; then
        cabextract -q -d "$dir" "$cab"
        add qipcap64.pdb "$dir/qipcap64.pdb"
        add qipcap64.pd_ "$cab"
    fi
    for f in bigage.pdb vc140.pdb HelloWorld.pdb dummyprog.pdb; do
        add "$f" "$fixtures/binaries/$f"
    done
fi
[ -f "$dir/syn-$size_mib.pdb" ] ||
    python3 "$here/gen_pdb.py" "$dir/syn-$size_mib.pdb" "$size_mib"
add "synthetic-$size_mib.pdb" "$dir/syn-$size_mib.pdb"

"$bin" -r "$dir/store" --cache-dir "$dir/cache" -l "127.0.0.1:$port" \
    -a off -v --workers 1 --job-threads 2 2>"$dir/stderr" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    grep -q listening "$dir/stderr" && break
    sleep 0.1
done

ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
get() { # get URL ENCODING: bytes received
    curl -s -o /dev/null -H "Accept-Encoding: $2" -w '%{size_download}' "$1"
}

echo "| file | identity | gzip | zstd | gzip: CPU, wall | zstd: CPU, wall |"
echo "|---|---:|---:|---:|---:|---:|"
for d in "$dir"/store/*/; do
    name=$(basename "$d")
    url="http://127.0.0.1:$port/$name/$key/$name"
    ident=$(get "$url" identity)
    row="| $name | $ident |"
    cost=""
    for enc in gzip zstd; do
        lines=$(grep -c " bytes in " "$dir/stderr" || true)
        t0=$(ticks)
        get "$url" "$enc" >/dev/null # identity, and the copy is queued
        sent=$ident
        for _ in $(seq 6000); do
            [ "$(grep -c " bytes in " "$dir/stderr" || true)" -gt "$lines" ] &&
                break
            # CAB twins and markers make no line: stop when nothing comes
            sleep 0.05
            [ "$name" = "${name%_}" ] || break
        done
        t1=$(ticks)
        sent=$(get "$url" "$enc")
        ms=$(grep " bytes in " "$dir/stderr" | tail -1 | sed 's/.* in \([0-9]*\) ms/\1/')
        [ "$sent" = "$ident" ] && ms="-"
        row="$row $sent |"
        cost="$cost $(( (t1 - t0) * 1000 / hz )) ms, $ms ms |"
    done
    echo "$row$cost"
done
