#!/usr/bin/env bash
# test_packages.sh: builds the .deb and .rpm, installs the .deb with dpkg,
# runs the machine scope (system anchors, Firefox's policies.json) and the
# user scope (an unprivileged user) against the lab, purges, and checks
# nothing of ours is left. Needs root. Everything that touches the system
# runs in a private mount namespace whose /etc, /usr, /var and /home are
# overlays on a tmpfs: other users of the machine see none of it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ "${1:-}" != --inner ]; then
	if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null || ! command -v rpmbuild >/dev/null; then
		echo "skipped: needs root, unshare and rpmbuild"
		exit 77
	fi
	source "$here/../integration/lib.sh"
	# Build both packages from the build tree.
	(cd "$BUILD" && cpack -G "DEB;RPM" -B "$T_WORK/pkg" >"$T_WORK/cpack.log" 2>&1) ||
		{ cat "$T_WORK/cpack.log"; exit 1; }
	deb=$(ls "$T_WORK"/pkg/uccx-trust_*.deb) rpm=$(ls "$T_WORK"/pkg/uccx-trust-[0-9]*.rpm)
	check ".deb built" test -s "$deb"
	check ".rpm built" test -s "$rpm"
	rpm -qlp --scripts "$rpm" >"$T_WORK/rpm.txt" 2>/dev/null
	check "rpm lists the agent, the config and its scripts" \
		grep -q /usr/bin/uccx-trust "$T_WORK/rpm.txt"
	check "rpm: preuninstall removes machine trust" grep -q "uccx-trust remove --quiet --scope machine" "$T_WORK/rpm.txt"
	check "rpm: configuration is a noreplace config file" \
		bash -c "rpm -qcp '$rpm' 2>/dev/null | grep -qx /etc/uccx-trust/agent.ini"
	dpkg-deb -I "$deb" conffiles >"$T_WORK/conffiles"
	check ".deb: agent.ini is a conffile" grep -qx /etc/uccx-trust/agent.ini "$T_WORK/conffiles"
	# libcurl and NSS are loaded with dlopen: no automatic dependency sees them.
	check ".deb: depends on libcurl4 and libnss3" \
		bash -c "dpkg-deb -f '$deb' Depends | grep -q 'libcurl4' && dpkg-deb -f '$deb' Depends | grep -q 'libnss3'"
	check ".rpm: requires libcurl.so.4 and libnss3.so" \
		bash -c "rpm -qRp '$rpm' 2>/dev/null | grep -q 'libcurl.so.4' && rpm -qRp '$rpm' 2>/dev/null | grep -q 'libnss3.so'"
	check ".deb: the shipped config names no server" \
		bash -c "dpkg-deb --fsys-tarfile '$deb' | tar -xO ./etc/uccx-trust/agent.ini | grep -Eq '^;nodes ='"
	# The rest runs isolated; its ok/not ok lines are counted here.
	finish_inner "$deb" "$T_WORK"
fi

# ---- inside the private mount namespace ----------------------------------------
deb=$2
work=$3
source "$here/../integration/lib.sh"
T_WORK=$work/inner # lib.sh made its own: use one under the outer work dir
mkdir -p "$T_WORK"
mount --make-rprivate /
mkdir -p "$work/ov"
mount -t tmpfs tmpfs "$work/ov"
for d in etc usr var home; do
	mkdir -p "$work/ov/$d.u" "$work/ov/$d.w"
	mount -t overlay overlay -o "lowerdir=/$d,upperdir=$work/ov/$d.u,workdir=$work/ov/$d.w" "/$d"
done
# Hide the host's systemd: the package's scripts must not start units on it.
[ -d /run/systemd ] && mount -t tmpfs tmpfs /run/systemd

lab=$T_WORK/lab
lab_start "$lab" mixed
args=(--node uccx1.lab.example --node uccx2.lab.example --connect-timeout 2 --timeout 5)
cto=()
while read -r line; do args+=(--connect-to "$line"); cto+=(--connect-to "$line"); done <"$lab/connect-to.txt"
url=https://uccx1.lab.example:8445/

check "without the agent, curl does not trust the lab" \
	bash -c "! curl -sS -o /dev/null ${cto[*]} $url 2>/dev/null"

# An administrator's Firefox policy that must survive.
pol=/usr/lib/firefox-esr/distribution/policies.json
if [ -d /usr/lib/firefox-esr ]; then
	mkdir -p "$(dirname "$pol")"
	echo '{"policies": {"DisableTelemetry": true}}' >"$pol"
fi

check "dpkg -i installs the package" bash -c "dpkg -i '$deb' >/dev/null"
check "the man page is installed" test -s /usr/share/man/man1/uccx-trust.1
check "the autostart entry runs the user scope" \
	grep -qx "Exec=uccx-trust install --quiet --scope user" /etc/xdg/autostart/uccx-trust.desktop

# Machine scope, as the timer runs it (root, no --home).
find /root /home -path '*uccx*' 2>/dev/null | sort >"$T_WORK/homes.before"
uccx-trust install "${args[@]}" >"$T_WORK/machine.txt" 2>&1 || true
check "machine scope wrote tagged anchors" \
	bash -c "ls /usr/local/share/ca-certificates/uccx-trust/uccx-trust-*.crt >/dev/null"
check "curl without -k now trusts the lab's self-signed server" \
	curl -sS -o /dev/null "${cto[@]}" "$url"
IFS=: read -r _ _ chost cport <<<"$(grep '^uccx1.lab.example:8445:' "$lab/connect-to.txt")"
check "openssl s_client -verify_return_error accepts it with the host name" \
	bash -c "echo | openssl s_client -connect $chost:$cport -servername uccx1.lab.example \
		-verify_return_error -verify_hostname uccx1.lab.example >/dev/null 2>&1"
check "the private-CA leaf is not made a system anchor (tofu)" \
	bash -c "! curl -sS -o /dev/null ${cto[*]} https://uccx2.lab.example:8445/ 2>/dev/null"
find /root /home -path '*uccx*' 2>/dev/null | sort >"$T_WORK/homes.after"
check "machine scope wrote nothing into a home" cmp -s "$T_WORK/homes.before" "$T_WORK/homes.after"
if [ -f "$pol" ]; then
	check "Firefox policy: the administrator's policy is kept" \
		python3 -c "import json,sys; d=json.load(open('$pol')); sys.exit(0 if d['policies']['DisableTelemetry'] is True else 1)"
	check "Firefox policy: Certificates.Install lists our PEM files" \
		python3 -c "import json,os,sys; l=json.load(open('$pol'))['policies']['Certificates']['Install']; sys.exit(0 if l and all(os.path.isfile(p) for p in l) else 1)"
	# Firefox itself reads that file: a new profile imports the certificate.
	prof=$T_WORK/ffprof
	mkdir -p "$prof" && certutil -N -d "sql:$prof" --empty-password
	# What the running Firefox wrote is read while it runs: killed, it may
	# leave its database mid-write. Up to 60 s: the browser tests may be
	# starting browsers on the same two cores.
	timeout 70 firefox-esr --headless --no-remote --profile "$prof" about:blank >/dev/null 2>&1 &
	ff=$!
	imported=0
	for _ in $(seq 1 120); do
		sleep 0.5
		if certutil -L -d "sql:$prof" 2>/dev/null | grep -q "uccx1.lab.example"; then
			imported=1
			break
		fi
	done
	kill "$ff" 2>/dev/null || true
	wait "$ff" 2>/dev/null || true
	check "Firefox ESR imports the certificate from the policy file the agent chose" \
		[ "$imported" -eq 1 ]
fi
uccx-trust doctor "${args[@]}" --bundle "$T_WORK/bundle.txt" >"$T_WORK/doctor.txt" 2>&1 || true
check "doctor explains the private-CA endpoints" grep -q "private CA" "$T_WORK/doctor.txt"
check "doctor bundle holds the JSON, chains and state" \
	bash -c "grep -q '==== result.json' '$T_WORK/bundle.txt' && grep -q 'BEGIN CERTIFICATE' '$T_WORK/bundle.txt' && grep -q '==== state file' '$T_WORK/bundle.txt'"

# User scope, as an unprivileged user's login would run it.
useradd -m uctuser
uhome=/home/uctuser
runuser -u uctuser -- env HOME=$uhome uccx-trust install --scope user "${args[@]}" \
	>"$T_WORK/user.txt" 2>&1 || true
check "user scope created the user's Chromium database with our certificates" \
	bash -c "certutil -L -d sql:$uhome/.pki/nssdb | grep -q '^uccx-trust '"
check "the user's files belong to the user" \
	bash -c "! find $uhome -not -user uctuser | grep -q ."
check "user scope as root for another home is refused" \
	bash -c "! uccx-trust install --home $uhome ${args[*]} >/dev/null 2>&1"

# A newcomer: the two UCCX names go into the installed configuration, and
# the next login runs the autostart entry's command as that user, with no
# option of its own. The user has a Firefox profile, as Firefox leaves it.
useradd -m uctnew
nhome=/home/uctnew
nprof=$nhome/.mozilla/firefox/new.default-release
runuser -u uctnew -- mkdir -p "$nprof"
runuser -u uctnew -- certutil -N -d "sql:$nprof" --empty-password
runuser -u uctnew -- sh -c "printf '[Profile0]\nName=default-release\nIsRelative=1\nPath=new.default-release\nDefault=1\n' >$nhome/.mozilla/firefox/profiles.ini"
{
	printf '[uccx]\nnodes = uccx1.lab.example, uccx2.lab.example\n'
	printf '[network]\nconnect_timeout = 2\ntimeout = 5\nconnect_to = %s\n' \
		"$(paste -sd, "$lab/connect-to.txt" | sed 's/,/, /g')"
} >/etc/uccx-trust/agent.ini
login_cmd=$(sed -n 's/^Exec=//p' /etc/xdg/autostart/uccx-trust.desktop)
set +e
runuser -u uctnew -- env HOME=$nhome sh -c "$login_cmd"
login_rc=$?
set -e
check "the login command trusts both nodes for the newcomer (exit 0)" [ "$login_rc" -eq 0 ]
check "... in the newcomer's Chromium database" \
	bash -c "[ \$(certutil -L -d sql:$nhome/.pki/nssdb | grep -c '^uccx-trust ') -ge 3 ]"
check "... and in the newcomer's Firefox profile" \
	bash -c "[ \$(certutil -L -d sql:$nprof | grep -c '^uccx-trust ') -ge 3 ]"
check "... with every endpoint reported trusted" \
	bash -c "runuser -u uctnew -- env HOME=$nhome uccx-trust check --quiet"

# Purge: nothing of ours is left on the machine.
check "dpkg --purge removes the package" bash -c "dpkg --purge uccx-trust >/dev/null"
check "no anchor directory left" test ! -e /usr/local/share/ca-certificates/uccx-trust
check "no policy certificates left" test ! -e /usr/local/share/uccx-trust/certs
check "no configuration or machine state left" bash -c "test ! -e /etc/uccx-trust && test ! -e /var/lib/uccx-trust"
check "curl no longer trusts the lab" \
	bash -c "! curl -sS -o /dev/null ${cto[*]} $url 2>/dev/null"
if [ -f "$pol" ]; then
	check "Firefox policy: ours removed, the administrator's kept" \
		python3 -c "import json,sys; d=json.load(open('$pol'))['policies']; sys.exit(0 if d=={'DisableTelemetry': True} else 1)"
fi
userdel -r uctuser >/dev/null 2>&1 || true
userdel -r uctnew >/dev/null 2>&1 || true
echo "inner done"
