#!/usr/bin/env bash
# expect-fail.sh PATTERN... -- COMMAND...
# Passes exactly when COMMAND exits non-zero AND its output (stdout and
# stderr) has a line matching each extended regular expression PATTERN:
# the harness's own tests (integration.harness.*) run a test program
# against a stand-in daemon that ends badly, and must see the program fail
# for that reason, not for another one (a crash, a missing file).
set -uo pipefail
patterns=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    patterns+=("$1")
    shift
done
if [ $# -lt 2 ] || [ ${#patterns[@]} -eq 0 ]; then
    echo "usage: $0 PATTERN... -- COMMAND..." >&2
    exit 2
fi
shift
out=$("$@" 2>&1)
status=$?
printf '%s\n' "$out"
if [ "$status" -eq 0 ]; then
    echo "expect-fail: the program passed: the harness missed the bad daemon"
    exit 1
fi
for p in "${patterns[@]}"; do
    if ! grep -Eq -- "$p" <<<"$out"; then
        echo "expect-fail: the program failed (status $status), but with no line /$p/"
        exit 1
    fi
done
echo "expect-fail: the program failed (status $status) as it must"
