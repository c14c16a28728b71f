#!/usr/bin/env bash
# packaging.deb: builds the .deb with CPack in BUILD_DIR (configured with
# the prefix /usr), runs lintian on it (an error fails; every tag is
# printed), then installs, removes and purges it for real with dpkg in a
# disposable root: a chroot whose /usr, /etc and dpkg database are
# overlays of this machine's (so Depends are checked against what is
# really installed, and nothing of the host changes), inside a private
# mount namespace. There is no systemd in it (no /run/systemd/system),
# as on this container: the scripts must enable and mask the units with
# deb-systemd-helper and start nothing.
# Usage: deb.sh BUILD_DIR   (root, unshare, overlayfs and lintian needed)
set -euo pipefail

build=$(cd "$1" && pwd)
skip() { echo "skipped: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (dpkg in a chroot)"
for c in cpack lintian unshare chroot dpkg-deb; do
    command -v "$c" >/dev/null || skip "no $c"
done

rm -f "$build"/symsrvd_*.deb
(cd "$build" && cpack -G DEB >/dev/null)
deb=$(ls "$build"/symsrvd_*.deb)
echo "ok: built $(basename "$deb")"

tags=$(lintian --display-info "$deb" 2>&1 | grep -v 'running with root' || true)
echo "lintian:${tags:+$'\n'}${tags:- no tags}"
if grep -q '^E: ' <<<"$tags"; then
    echo "FAIL: lintian errors" >&2
    exit 1
fi

root=$(mktemp -d /tmp/symsrvd-deb-XXXXXX)
trap 'rm -rf "$root"' EXIT
cp "$deb" "$root/pkg.deb"
cp "$(dirname "$0")/deb-steps.sh" "$root/steps.sh"
# Runs inside the new mount namespace: every mount dies with it.
# shellcheck disable=SC2016 # expanded by the inner bash
unshare -m bash -euo pipefail -c '
root=$1
mkdir -p "$root"/{ov,usr,etc,var/lib/dpkg,var/log,var/cache,tmp,run,proc,dev}
for d in usr etc var/lib/dpkg; do
    n=${d//\//_}
    mkdir -p "$root/ov/$n/up" "$root/ov/$n/work"
    mount -t overlay overlay -o "lowerdir=/$d,upperdir=$root/ov/$n/up,workdir=$root/ov/$n/work" "$root/$d"
done
for l in bin sbin lib lib64; do ln -s "usr/$l" "$root/$l"; done
mount --bind /dev "$root/dev"
mount -t proc proc "$root/proc"
chroot "$root" /bin/bash -euo pipefail /steps.sh
' _ "$root" 2>&1 || { echo "FAIL: install/remove in the chroot" >&2; exit 1; }
