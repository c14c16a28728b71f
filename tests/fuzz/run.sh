#!/usr/bin/env bash
# Runs each libFuzzer target of a SYMSRVD_FUZZ build in turn, for SECONDS
# each, one at a time, starting from its seed corpus and keeping what it
# finds in SCRATCH/<target>/ (not in git). Fails when a target crashes,
# leaks, times out or breaks an invariant; the input that did it is left
# in SCRATCH/crash/ and its path printed. One line per target: runs,
# executions per second, coverage. Seed files named crash-* are inputs of
# known open bugs (tests/fuzz/CMakeLists.txt EXCLUDEs them from the replay
# too): they are not fed to the fuzzer; rename one once its fix is in.
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS SCRATCH [target...]
set -uo pipefail

build=$1 secs=$2 scratch=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
bin=$build/tests/fuzz
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for d in "$here"/corpus/*/; do
        targets+=("$(basename "$d")")
    done
fi

mkdir -p "$scratch/crash"
rc=0
for t in "${targets[@]}"; do
    dict=()
    if [ -f "$here/$t.dict" ]; then
        dict=(-dict="$here/$t.dict")
    elif [ -f "$here/${t%%_*}.dict" ]; then
        dict=(-dict="$here/${t%%_*}.dict")
    fi
    mkdir -p "$scratch/$t" "$scratch/seeds/$t"
    find "$here/corpus/$t" -maxdepth 1 -type f ! -name 'crash-*' \
        -exec cp -t "$scratch/seeds/$t" {} +
    log=$scratch/$t.log
    # -max_len: room for the fields that outgrow their caps (accesslog
    # repeats them) and for small binaries (keys); -timeout: a hang fails.
    if "$bin/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -max_len=16384 -print_final_stats=1 -artifact_prefix="$scratch/crash/$t-" \
        "${dict[@]}" "$scratch/$t" "$scratch/seeds/$t" >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
        cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
        echo "fuzz $t: ok, $runs runs in ${secs}s, $speed/s, $cov"
    else
        rc=1
        echo "fuzz $t: FAILED (log: $log)"
        grep -E 'invariant broken|ERROR:|SUMMARY:|Test unit written' "$log" |
            head -5
    fi
done
exit $rc
