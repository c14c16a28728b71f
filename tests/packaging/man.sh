#!/usr/bin/env bash
# packaging.man: the man pages format without a warning (man --warnings),
# symsrvd.8 names every long flag of `symsrvd --help`, symsrvd.conf.5
# every "[section] key" of it, and symsrv.1 every option of `symsrv
# --help`.
# Usage: man.sh SYMSRVD SYMSRV SOURCE_DIR
set -euo pipefail

symsrvd=$1 symsrv=$2 man=$3/man
command -v man >/dev/null || { echo "no man: skipped"; exit 77; }
fail=0
for page in symsrvd.8 symsrvd.conf.5 symsrv.1; do
    warn=$(MANWIDTH=80 man --warnings -l "$man/$page" 2>&1 >/dev/null)
    if [ -n "$warn" ]; then
        echo "FAIL: $page: $warn" >&2
        fail=1
    fi
done
[ "$fail" = 0 ] && echo "ok: no warning from man --warnings"

# In the roff source a flag is written \-\-name.
for flag in $("$symsrvd" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
    if ! grep -qF -- "${flag//-/\\-}" "$man/symsrvd.8"; then
        echo "FAIL: symsrvd.8 does not name $flag" >&2
        fail=1
    fi
done
while read -r section key; do
    if ! grep -q "^\.SH \[$section\]" "$man/symsrvd.conf.5" ||
        ! grep -q "^\.BI $key " "$man/symsrvd.conf.5"; then
        echo "FAIL: symsrvd.conf.5 has no [$section] $key" >&2
        fail=1
    fi
done < <("$symsrvd" --help | sed -n 's/.* \[\([a-z_]*\)\] \([a-z_]*\)$/\1 \2/p')
for opt in $("$symsrv" --help 2>&1 | grep -oE -- '(^|[ [|])--?[a-zA-Z][a-z-]*' |
    sed 's/^[ [|]//' | sort -u); do
    if ! grep -qF -- "${opt//-/\\-}" "$man/symsrv.1"; then
        echo "FAIL: symsrv.1 does not name $opt" >&2
        fail=1
    fi
done
[ "$fail" = 0 ] && echo "ok: every flag, directive and option is in its page"
exit "$fail"
