#!/usr/bin/env bash
# packaging.logrotate: the shipped logrotate file, with its log directory
# moved to a scratch one, is accepted by logrotate, rotates the access
# log when forced, and its postrotate (SIGUSR1 through systemctl) does
# not fail where symsrvd.service, or systemd itself, is not running, as
# here: logrotate would report an error and keep going otherwise.
# Usage: logrotate.sh SOURCE_DIR
set -euo pipefail

src=$1
command -v logrotate >/dev/null || { echo "no logrotate: skipped"; exit 77; }
tmp=$(mktemp -d /tmp/symsrvd-logrotate-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/log"
chmod 0755 "$tmp" "$tmp/log"
sed "s|^/var/log/symsrvd/|$tmp/log/|" "$src/conf/symsrvd.logrotate" \
    >"$tmp/symsrvd"
grep -q "^$tmp/log/\*.log {" "$tmp/symsrvd" ||
    { echo "FAIL: no /var/log/symsrvd/*.log stanza" >&2; exit 1; }
echo 'GET / line' >"$tmp/log/access.log"
if ! out=$(logrotate -v -f -s "$tmp/state" "$tmp/symsrvd" 2>&1); then
    echo "FAIL: logrotate: $out" >&2
    exit 1
fi
if grep -qi 'error' <<<"$out"; then
    echo "FAIL: logrotate reported an error: $out" >&2
    exit 1
fi
[ -s "$tmp/log/access.log.1" ] ||
    { echo "FAIL: access.log was not rotated: $out" >&2; exit 1; }
grep -q 'running postrotate script' <<<"$out" ||
    { echo "FAIL: postrotate did not run: $out" >&2; exit 1; }
echo "ok: rotated, postrotate ran and exited 0 without a running service"
