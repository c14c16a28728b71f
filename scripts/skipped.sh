#!/usr/bin/env bash
# Prints one line counting the tests skipped across ctest runs, from the
# JUnit files of `ctest --output-junit` (run with a large
# --test-output-size-passed, or ctest cuts the output it keeps).
# Usage: scripts/skipped.sh LABEL=FILE...
# Counts both kinds of skip:
#   - a ctest test reported "***Skipped" or "Not Run" (status notrun or
#     disabled, or a <skipped> element): listed by its ctest name;
#   - a cmocka case that called skip() inside a program that ran (ctest
#     sees only the exit status 0): listed as "ctest-name/case". The cases
#     of a test skipped as a whole do not count again.
# Each skip of each run counts once; the list names each skip once, with
# the runs it happened in, e.g.
#   skipped: 4 (integration.serve.http/test_unreadable_dir [release asan], ...)
set -euo pipefail

if [ $# -eq 0 ]; then
    echo "usage: $0 LABEL=JUNIT.xml..." >&2
    exit 2
fi

for arg in "$@"; do
    if [ ! -r "${arg#*=}" ]; then
        echo "skipped: ${arg#*=}: no such JUnit file (did ctest run?)" >&2
        exit 1
    fi
done

for arg in "$@"; do
    label=${arg%%=*}
    file=${arg#*=}
    awk -v label="$label" '
        /<testcase / {
            match($0, /name="[^"]*"/)
            name = substr($0, RSTART + 6, RLENGTH - 7)
            whole = $0 ~ /status="(notrun|disabled)"/
            if (whole)
                print name "\t" label
        }
        /<skipped/ && name != "" { print name "\t" label }
        !whole {
            line = $0
            sub(/^[ \t]*<system-out>/, "", line)
            if (line ~ /^\[  SKIPPED \] [A-Za-z_][A-Za-z0-9_]*$/) {
                split(line, w, " ")
                print name "/" w[length(w)] "\t" label
            }
        }
        /<\/testcase>/ { name = ""; whole = 0 }
    ' "$file"
done | sort -u | awk -F '\t' '
    {
        if (!($1 in runs)) { order[++n] = $1; runs[$1] = $2 }
        else runs[$1] = runs[$1] " " $2
        total++
    }
    END {
        line = "skipped: " total + 0
        if (n > 0) {
            line = line " ("
            for (i = 1; i <= n; i++)
                line = line (i > 1 ? ", " : "") order[i] " [" runs[order[i]] "]"
            line = line ")"
        }
        print line
    }'
