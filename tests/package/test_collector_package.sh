#!/usr/bin/env bash
# test_collector_package.sh: builds the uccx-trust-collector .deb and .rpm,
# installs the .deb with dpkg in a private mount namespace (overlays on
# /etc, /usr, /var, /home, as test_packages.sh), runs the installed binary as
# its system user with the installed configuration, posts a report, checks
# that SIGTERM finishes an upload in progress within the unit's stop
# timeout, and that purge (alone and next to the agent) leaves nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ "${1:-}" != --inner ]; then
	if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null || ! command -v rpmbuild >/dev/null; then
		echo "skipped: needs root, unshare and rpmbuild"
		exit 77
	fi
	source "$here/../integration/lib.sh"
	(cd "$BUILD" && cpack -G "DEB;RPM" -B "$T_WORK/pkg" >"$T_WORK/cpack.log" 2>&1) ||
		{ cat "$T_WORK/cpack.log"; exit 1; }
	cdeb=$(ls "$T_WORK"/pkg/uccx-trust-collector_*.deb) crpm=$(ls "$T_WORK"/pkg/uccx-trust-collector-[0-9]*.rpm)
	adeb=$(ls "$T_WORK"/pkg/uccx-trust_*.deb)
	check "collector .deb built" test -s "$cdeb"
	check "collector .rpm built" test -s "$crpm"
	check "the agent's .deb does not carry the collector" \
		bash -c "! dpkg-deb -c '$adeb' | grep -q collector"
	check "the collector's .deb does not carry the agent" \
		bash -c "! dpkg-deb -c '$cdeb' | grep -q 'usr/bin/uccx-trust$'"
	dpkg-deb -I "$cdeb" conffiles >"$T_WORK/conffiles"
	check ".deb: collector.ini is a conffile" grep -qx /etc/uccx-trust/collector.ini "$T_WORK/conffiles"
	check ".deb: depends on libcurl4, which the probe's fetch loads with dlopen" \
		bash -c "dpkg-deb -f '$cdeb' Depends | grep -qF 'libcurl4 (>= 7.85.0)'"
	rpm -qlp --scripts "$crpm" >"$T_WORK/rpm.txt" 2>/dev/null
	check "rpm lists the binary, the unit and the man page" bash -c \
		"grep -qx /usr/bin/uccx-trust-collector '$T_WORK/rpm.txt' &&
		 grep -qx /usr/lib/systemd/system/uccx-trust-collector.service '$T_WORK/rpm.txt' &&
		 grep -qx /usr/share/man/man8/uccx-trust-collector.8 '$T_WORK/rpm.txt'"
	check "rpm: postinstall creates the system user" grep -q "useradd --system" "$T_WORK/rpm.txt"
	check "rpm: collector.ini is a noreplace config file" \
		bash -c "rpm -qcp '$crpm' 2>/dev/null | grep -qx /etc/uccx-trust/collector.ini"
	finish_inner "$cdeb" "$adeb" "$T_WORK"
fi

# ---- inside the private mount namespace ----------------------------------------
cdeb=$2
adeb=$3
work=$4
source "$here/../integration/lib.sh"
T_WORK=$work/inner
mkdir -p "$T_WORK"
mount --make-rprivate /
mkdir -p "$work/ov"
mount -t tmpfs tmpfs "$work/ov"
for d in etc usr var home; do
	mkdir -p "$work/ov/$d.u" "$work/ov/$d.w"
	mount -t overlay overlay -o "lowerdir=/$d,upperdir=$work/ov/$d.u,workdir=$work/ov/$d.w" "/$d"
done
# Hide the host's systemd: the package's scripts must not touch its units.
[ -d /run/systemd ] && mount -t tmpfs tmpfs /run/systemd

U=uccx-trust-collector
INI=/etc/uccx-trust/collector.ini
UNIT=/usr/lib/systemd/system/uccx-trust-collector.service
SAMPLE=$UCT_SOURCE_DIR/tests/collector/sample-report.json
COL_PID=
stop_col() {
	[ -n "$COL_PID" ] || return 0
	kill "$COL_PID" 2>/dev/null || true
	wait "$COL_PID" 2>/dev/null || true
	COL_PID=
}
trap 'stop_col; cleanup' EXIT

check "dpkg -i installs the collector package" bash -c "dpkg -i '$cdeb' >'$T_WORK/dpkg.log' 2>&1"
check "the system user exists, without a login shell" bash -c \
	"getent passwd $U | awk -F: '\$3 < 1000 && \$6 == \"/var/lib/$U\" && \$7 ~ /nologin\$/ {f=1} END {exit !f}'"
check "its state directory belongs to it, mode 0750" \
	test "$(stat -c '%U:%G %a' /var/lib/$U 2>/dev/null)" = "$U:$U 750"
check "the man page is installed and renders" bash -c \
	"test -s /usr/share/man/man8/$U.8 && groff -man -Tutf8 -ww -z /usr/share/man/man8/$U.8 2>&1 | (! grep -q .)"
check "the unit runs the binary as its user with the installed config" bash -c \
	"grep -qx 'User=$U' $UNIT && grep -qx 'ExecStart=/usr/bin/uccx-trust-collector --config $INI' $UNIT"
for k in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes StateDirectory=$U KillSignal=SIGTERM; do
	check "the unit sets $k" grep -qx "$k" "$UNIT"
done
# The collector drains for up to 10 s after SIGTERM; stop must wait longer.
stop_s=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)$/\1/p' "$UNIT")
check "TimeoutStopSec ($stop_s s) exceeds the collector's 10 s drain" test "${stop_s:-0}" -gt 12
if command -v systemd-analyze >/dev/null; then
	systemd-analyze verify "$UNIT" >"$T_WORK/verify.txt" 2>&1 || true
	check "systemd-analyze verify finds nothing wrong in the unit" \
		bash -c "! grep -v 'Failed to .*bus\|Cannot add dependency job' '$T_WORK/verify.txt' | grep -q ."
fi
check "the shipped configuration documents every key" bash -c \
	"for k in listen db agent_token_file admin_token_file tls_cert tls_key sync max_connections timeout max_body; do
		grep -Eq \"^;?\$k = \" $INI || exit 1; done"

# Not configured yet: it refuses, naming the token file.
set +e
setpriv --reuid=$U --regid=$U --init-groups -- /usr/bin/uccx-trust-collector --config $INI 2>"$T_WORK/unconf.log"
rc=$?
set -e
check "without token files it exits 1 and names the missing file" \
	bash -c "test $rc -eq 1 && grep -q collector-agent.tokens '$T_WORK/unconf.log'"

# Configure as uccx-trust-collector(8) says; a free port instead of 8443.
(cd /etc/uccx-trust && umask 077 &&
	head -c 32 /dev/urandom | base64 >collector-agent.tokens &&
	head -c 32 /dev/urandom | base64 >collector-admin.tokens &&
	chown root:$U collector-*.tokens && chmod 0640 collector-*.tokens)
sed -i 's/^listen = .*/listen = 127.0.0.1:0/' "$INI"
AGENT_TOK=$(cat /etc/uccx-trust/collector-agent.tokens)
ADMIN_TOK=$(cat /etc/uccx-trust/collector-admin.tokens)

start_col() {
	: >"$T_WORK/col.log"
	setpriv --reuid=$U --regid=$U --init-groups -- /usr/bin/uccx-trust-collector --config $INI 2>"$T_WORK/col.log" &
	COL_PID=$!
	col_wait_port || return 1
	PORT=$COL_PORT
	URL=http://127.0.0.1:$PORT
}
check "the installed collector starts as its user from the installed configuration" start_col
check "it uses the database in its state directory" \
	grep -q "database /var/lib/$U/collector.db" "$T_WORK/col.log"
check "the collector runs as $U" test "$(ps -o user= -p "$COL_PID" 2>/dev/null | tr -d ' ')" = $U

sed -e 's/"host_name":"[^"]*"/"host_name":"pkg-pc.corp.example"/' "$SAMPLE" >"$T_WORK/r1.json"
code=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $AGENT_TOK" \
	--data-binary @"$T_WORK/r1.json" "$URL/api/v1/reports" 2>/dev/null || true)
check "a report POSTed with the agent token: 202" test "$code" = 202
body=$(curl -sS --max-time 20 -H "Authorization: Bearer $ADMIN_TOK" "$URL/api/v1/hosts" 2>/dev/null || true)
check "the fleet lists the host" grep -q pkg-pc.corp.example <<<"$body"
check "the database belongs to the service user" \
	test "$(stat -c %U /var/lib/$U/collector.db 2>/dev/null)" = $U
code=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' "$URL/" 2>/dev/null || true)
check "the dashboard is served" test "$code" = 200

# SIGTERM (the unit's KillSignal), as systemd sends it on stop, during a slow upload.
sed -e 's/"report_id":"[^"]*"/"report_id":"00000000-0000-4000-8000-0000000000aa"/' \
	-e 's/"host_name":"[^"]*"/"host_name":"pkg-slow.corp.example"/' "$SAMPLE" >"$T_WORK/r2.json"
curl -sS --max-time 30 -o /dev/null -w '%{http_code}' --limit-rate 8K \
	-H "Authorization: Bearer $AGENT_TOK" --data-binary @"$T_WORK/r2.json" \
	"$URL/api/v1/reports" >"$T_WORK/slow.code" 2>/dev/null &
slow=$!
sleep 0.5
t0=$(date +%s)
kill -TERM "$COL_PID"
set +e
wait "$slow"
wait "$COL_PID"
rc=$?
set -e
t1=$(date +%s)
COL_PID=
check "SIGTERM during an upload: that request still gets 202" test "$(cat "$T_WORK/slow.code")" = 202
check "SIGTERM: exit 0 within TimeoutStopSec ($((t1 - t0)) s)" test "$rc" -eq 0 -a $((t1 - t0)) -lt "${stop_s:-0}"
start_col || true
body=$(curl -sS --max-time 20 -H "Authorization: Bearer $ADMIN_TOK" "$URL/api/v1/hosts" 2>/dev/null || true)
check "after a restart both reports are there" \
	bash -c "grep -q pkg-slow.corp.example <<<'$body' && grep -q pkg-pc.corp.example <<<'$body'"
stop_col

# Remove keeps the configuration and data; purge takes everything.
check "dpkg -r removes the collector" bash -c "dpkg -r $U >/dev/null 2>&1"
check "after remove: binary gone, configuration and database kept" \
	bash -c "test ! -e /usr/bin/uccx-trust-collector && test -e $INI && test -e /var/lib/$U/collector.db"
check "dpkg --purge purges the collector" bash -c "dpkg --purge $U >/dev/null 2>&1"
check "no configuration, token or state left" \
	bash -c "test ! -e /etc/uccx-trust && test ! -e /var/lib/$U"
check "no system user or group left" bash -c "! getent passwd $U && ! getent group $U"
# (man-db's formatted-page cache is man-db's, expired by its own cron job.)
find /etc /usr /var -xdev -path /var/cache/man -prune -o -name '*uccx-trust-collector*' -print \
	>"$T_WORK/left.txt" 2>/dev/null || true
check "no file of ours left under /etc, /usr, /var" test ! -s "$T_WORK/left.txt"
sed 's/^/#   left: /' "$T_WORK/left.txt"

# Both packages on one machine: each purge leaves the other's files.
check "agent and collector install side by side" \
	bash -c "dpkg -i '$adeb' '$cdeb' >/dev/null 2>&1"
check "purging the agent keeps the collector's configuration" \
	bash -c "dpkg --purge uccx-trust >/dev/null 2>&1 && test -e $INI && test ! -e /etc/uccx-trust/agent.ini"
check "purging the collector then removes /etc/uccx-trust" \
	bash -c "dpkg --purge $U >/dev/null 2>&1 && test ! -e /etc/uccx-trust"
echo "inner done"
