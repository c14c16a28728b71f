# Run by deb.sh inside the disposable chroot (bash -eu): install, check,
# remove, purge, check again.
fail() { echo "FAIL: $*" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
wants=/etc/systemd/system/multi-user.target.wants/symsrvd.service
[ ! -e /run/systemd/system ] || fail "systemd seems to run here"

dpkg -i /pkg.deb >/tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; fail "dpkg -i"; }
[ "$(dpkg-query -W -f='${Status}' symsrvd)" = "install ok installed" ] ||
    fail "not installed"
dpkg-query -W -f='${Conffiles}\n' symsrvd | grep -q ' /etc/symsrvd/symsrvd.conf ' ||
    fail "symsrvd.conf is no conffile"
dpkg-query -W -f='${Conffiles}\n' symsrvd | grep -q ' /etc/logrotate.d/symsrvd ' ||
    fail "the logrotate file is no conffile"
[ -L "$wants" ] || fail "postinst did not enable symsrvd.service"
[ ! -e /etc/systemd/system/sockets.target.wants/symsrvd.socket ] ||
    fail "postinst enabled the socket"
echo "ok: installed; conffiles registered; service enabled, socket not"

mkdir -p /srv/symbols
out=$(/usr/sbin/symsrvd --check-config -c /etc/symsrvd/symsrvd.conf 2>&1) ||
    fail "installed ExecStartPre: $out"
/usr/sbin/symsrvd --version
man -l /usr/share/man/man8/symsrvd.8.gz >/dev/null 2>&1 ||
    fail "symsrvd.8.gz does not format"
echo "ok: the installed symsrvd checks the installed config ($out)"

dpkg -r symsrvd >/tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; fail "dpkg -r"; }
[ ! -e /usr/sbin/symsrvd ] || fail "dpkg -r left the binary"
[ -e /etc/symsrvd/symsrvd.conf ] || fail "dpkg -r removed the conffile"
[ "$(readlink /etc/systemd/system/symsrvd.service)" = /dev/null ] ||
    fail "postrm remove did not mask the service"
echo "ok: removed; config kept; service masked"

dpkg -P symsrvd >/tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; fail "dpkg -P"; }
left=$(find /etc /usr /var/lib/systemd -name '*symsrvd*' 2>/dev/null || true)
[ -z "$left" ] || fail "left after purge: $left"
dpkg-query -W symsrvd >/dev/null 2>&1 && fail "still known to dpkg"
echo "ok: purged; nothing named symsrvd left in /etc, /usr, /var/lib/systemd"
