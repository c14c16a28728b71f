#!/usr/bin/env bash
# A short A/B run of two symsrvd binaries on one small file: what a change
# on the request path costs, in the daemon's CPU time per request.
#
# Usage: tests/bench/quick.sh BIN_A BIN_B [ROUNDS] [DURATION]
#   ROUNDS (5) rounds, each runs A then B (the order alternates), wrk
#   -t1 -c32 for DURATION (5s) per run on one 4 KiB file, the daemon with
#   one worker on CPU 0 and wrk on CPU 1, the access log to a file. Prints
#   per run req/s and CPU us per request ((utime+stime) / requests, from
#   /proc/PID/stat), then the median of each and B/A.
# Needs wrk and taskset (util-linux). Extra daemon flags: ARGS_A, ARGS_B.
set -euo pipefail

a=${1:?usage: $0 BIN_A BIN_B [ROUNDS] [DURATION]}
b=${2:?usage: $0 BIN_A BIN_B [ROUNDS] [DURATION]}
rounds=${3:-5}
duration=${4:-5s}
port=${PORT:-18431}
work=$(mktemp -d /tmp/symsrvd-quick-XXXXXX)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
pid=
file=app.pdb/0123456789ABCDEF0123456789ABCDEF1/app.pdb
mkdir -p "$work/store/${file%/*}"
head -c 4096 /dev/urandom > "$work/store/$file"
tick=$(getconf CLK_TCK)

# run BIN EXTRA_ARGS -> "req/s us/req"
run() {
    local bin=$1 extra=$2 t0 t1 out reqs
    rm -f "$work/addrs"
    # shellcheck disable=SC2086
    taskset -c 0 "$bin" -r "$work/store" -l "127.0.0.1:$port" -w 1 \
        -a "$work/access.log" --addr-file "$work/addrs" $extra 2> "$work/err" &
    pid=$!
    for _ in $(seq 100); do [ -s "$work/addrs" ] && break; sleep 0.05; done
    curl -sf -o /dev/null "http://127.0.0.1:$port/$file"
    t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    out=$(taskset -c 1 wrk -t1 -c32 -d"$duration" "http://127.0.0.1:$port/$file")
    t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    kill "$pid"
    wait "$pid" || true
    reqs=$(awk '/requests in/ {print $1}' <<< "$out")
    awk -v r="$reqs" -v d="$duration" -v c=$((t1 - t0)) -v hz="$tick" \
        'BEGIN { s = d + 0; printf "%.0f %.2f\n", r / s, c / hz * 1e6 / r }'
}

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

: > "$work/a" && : > "$work/b"
for r in $(seq "$rounds"); do
    if [ $((r % 2)) -eq 1 ]; then order="a b"; else order="b a"; fi
    for w in $order; do
        if [ "$w" = a ]; then res=$(run "$a" "${ARGS_A:-}"); else res=$(run "$b" "${ARGS_B:-}"); fi
        read -r rps us <<< "$res"
        echo "round $r $w: $rps req/s, $us us CPU per request" >&2
        echo "$res" >> "$work/$w"
    done
done
ra=$(cut -d' ' -f1 "$work/a" | median); rb=$(cut -d' ' -f1 "$work/b" | median)
ca=$(cut -d' ' -f2 "$work/a" | median); cb=$(cut -d' ' -f2 "$work/b" | median)
echo "A $a: median $ra req/s, $ca us CPU per request"
echo "B $b: median $rb req/s, $cb us CPU per request"
awk -v ra="$ra" -v rb="$rb" -v ca="$ca" -v cb="$cb" \
    'BEGIN { printf "B/A: req/s %.3fx, CPU per request %.3fx (%+.2f us)\n", rb / ra, cb / ca, cb - ca }'
