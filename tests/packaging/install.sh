#!/usr/bin/env bash
# packaging.install: `cmake --install` into a scratch DESTDIR lays down
# exactly the expected files; the installed symsrvd and symsrv hold no
# path of the source or build tree (with --strings, for a Release tree:
# debug and sanitizer builds keep source paths by design); and the
# installed unit's ExecStartPre and ExecStart command lines, run with the
# installed binary against the installed sample config (its root pointed
# at a scratch store), pass --check-config.
# Usage: install.sh BUILD_DIR SOURCE_DIR PREFIX [--strings]
set -euo pipefail

build=$1 src=$2 prefix=$3 strings=${4:-}
dest=$(mktemp -d /tmp/symsrvd-install-XXXXXX)
trap 'rm -rf "$dest"' EXIT

DESTDIR=$dest cmake --install "$build" --strip >/dev/null

# GNUInstallDirs: the prefix /usr keeps its config in /etc; systemd.pc
# names /lib/systemd/system there (Debian 12).
if [ "$prefix" = /usr ]; then
    etc=/etc unitdir=/lib/systemd/system
else
    etc=$prefix/etc unitdir=$prefix/lib/systemd/system
fi
expected=$(sort <<LIST
$prefix/bin/symsrv
$prefix/sbin/symsrvd
$prefix/share/doc/symsrvd/changelog.gz
$prefix/share/doc/symsrvd/copyright
$prefix/share/man/man1/symsrv.1.gz
$prefix/share/man/man5/symsrvd.conf.5.gz
$prefix/share/man/man8/symsrvd.8.gz
$etc/logrotate.d/symsrvd
$etc/symsrvd/symsrvd.conf
$unitdir/symsrvd.service
$unitdir/symsrvd.socket
LIST
)
got=$(cd "$dest" && find . ! -type d | sed 's|^\.||' | sort)
if [ "$got" != "$expected" ]; then
    echo "FAIL: installed files differ from the expected list:" >&2
    diff <(echo "$expected") <(echo "$got") >&2 || true
    exit 1
fi
echo "ok: $(echo "$got" | wc -l) files, as expected"

if [ "$strings" = --strings ]; then
    for b in "$dest$prefix/sbin/symsrvd" "$dest$prefix/bin/symsrv"; do
        for p in "$(cd "$src" && pwd -P)" "$(cd "$build" && pwd -P)" \
            "$src" "$build"; do
            if strings -a "$b" | grep -qF "$p"; then
                echo "FAIL: $b holds the path $p:" >&2
                strings -a "$b" | grep -F "$p" | head -3 >&2
                exit 1
            fi
        done
    done
    echo "ok: no source or build path in the installed binaries"
fi

# The unit's command lines, with the installed paths moved into DESTDIR.
store=$dest/store
mkdir -p "$store"
conf=$dest$etc/symsrvd/symsrvd.conf
sed -i "s|^root = .*|root = $store|" "$conf"
unit=$dest$unitdir/symsrvd.service
for key in ExecStartPre ExecStart; do
    line=$(sed -n "s|^$key=||p" "$unit")
    [ -n "$line" ] || { echo "FAIL: no $key= in $unit" >&2; exit 1; }
    case "$line" in
    "$prefix/sbin/symsrvd "*"-c $etc/symsrvd/symsrvd.conf"*) ;;
    *) echo "FAIL: $key=$line does not run $prefix/sbin/symsrvd -c" \
        "$etc/symsrvd/symsrvd.conf" >&2; exit 1 ;;
    esac
    cmd=${line//$prefix\/sbin\/symsrvd/$dest$prefix/sbin/symsrvd}
    cmd=${cmd//$etc\/symsrvd\/symsrvd.conf/$conf}
    [ "$key" = ExecStart ] && cmd="$cmd --check-config"
    # shellcheck disable=SC2086 # the unit's words, split as systemd does
    out=$($cmd 2>&1) || { echo "FAIL: $key: $cmd: $out" >&2; exit 1; }
    [ "$out" = "$conf: configuration ok" ] ||
        { echo "FAIL: $key: $cmd said: $out" >&2; exit 1; }
    echo "ok: $key=$line passes --check-config"
done
