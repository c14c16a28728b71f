#!/usr/bin/env bash
# packaging.sample-config: conf/symsrvd.conf, with only its root pointed at
# a scratch store, passes `symsrvd -c FILE --check-config`; and it names
# every directive of `symsrvd --help` (active or commented out).
# Usage: sample-config.sh SYMSRVD SOURCE_DIR
set -euo pipefail

bin=$1 src=$2
tmp=$(mktemp -d /tmp/symsrvd-sample-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/store"
sed "s|^root = .*|root = $tmp/store|" "$src/conf/symsrvd.conf" >"$tmp/symsrvd.conf"
grep -q "^root = $tmp/store\$" "$tmp/symsrvd.conf" ||
    { echo "FAIL: no active 'root = ' line in conf/symsrvd.conf" >&2; exit 1; }
out=$("$bin" -c "$tmp/symsrvd.conf" --check-config 2>&1) ||
    { echo "FAIL: $out" >&2; exit 1; }
[ "$out" = "$tmp/symsrvd.conf: configuration ok" ] ||
    { echo "FAIL: said: $out" >&2; exit 1; }
echo "ok: $out"

# Each "[section] key" of --help has a "key = " line under [section].
missing=0
while read -r section key; do
    if ! awk -v s="[$section]" -v k="$key" '
        /^\[/ { in_s = ($1 == s) }
        in_s && $0 ~ "^#? ?" k " = " { found = 1 }
        END { exit !found }' "$src/conf/symsrvd.conf"; then
        echo "FAIL: conf/symsrvd.conf has no '$key = ' under [$section]" >&2
        missing=1
    fi
done < <("$bin" --help | sed -n 's/.* \[\([a-z_]*\)\] \([a-z_]*\)$/\1 \2/p')
[ "$missing" = 0 ]
echo "ok: every directive of --help is in the sample"
