#!/usr/bin/env bash
# test_firefox_running.sh: Firefox rewrites cert_override.txt from memory, so
# while a profile is in use (its `lock` link names a live process, or its
# .parentlock is locked) the override lines are deferred, the user is told
# to close Firefox, and the NSS part is installed anyway. Ends with a real
# headless firefox-esr as the running instance when it is installed.
. "$(dirname "$0")/lib.sh"

PIDS=()
stop_pids() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	cleanup
}
trap stop_pids EXIT

lab=$T_WORK/lab
lab_start "$lab" selfsigned-ca

# in_use_checks NAME: install while the profile is in use, then the asserts.
in_use_checks() {
	local name=$1
	run_agent install
	check "$name: install exits 1" [ "$RC" -eq 1 ]
	check "$name: the endpoints are PENDING" grep -q "^  PENDING      https://uccx1.lab.example:8445/" <<<"$OUT"
	check "$name: the report says to close Firefox, naming the profile" \
		grep -qF "Firefox is running with the profile in $PROF: close Firefox and run 'uccx-trust install' again" <<<"$OUT"
	check "$name: cert_override.txt is not written" [ ! -e "$PROF/cert_override.txt" ]
	check "$name: the Chromium part is installed (5, P,,)" \
		eval '[ "$(nss_count_ours "$HOMED/.pki/nssdb")" -eq 5 ] && [ "$(nss_ours "$HOMED/.pki/nssdb" | cut -f2 | sort -u)" = "P,," ]'
	run_agent_json install
	check "$name: JSON: 11 override changes deferred, the store busy" \
		[ "$(jq_py "$JSON" '[sum(c["status"] == "deferred" for c in d["changes"]), [s["busy"] for s in d["stores"] if s["kind"] == "ff-override"]]')" = "[11, [True]]" ]
	check "$name: JSON: the Firefox verdicts are 'deferred', Chromium's 'trusted'" \
		[ "$(jq_py "$JSON" 'sorted(set((b["browser"], b["verdict"]) for e in d["endpoints"] for b in e["browsers"]))')" = "[('chromium', 'trusted'), ('firefox', 'deferred')]" ]
	check "$name: JSON: the overall verdict is 'deferred' for all 13" \
		[ "$(jq_py "$JSON" 'sum(e["verdict"] == "deferred" for e in d["endpoints"])')" -eq 13 ]
}
# after_close_checks NAME: Firefox gone, install writes the overrides.
after_close_checks() {
	local name=$1
	run_agent install
	check "$name: install exits 0" [ "$RC" -eq 0 ] || echo "$OUT"
	check "$name: 11 override lines written" [ "$(override_lines "$PROF")" -eq 11 ]
	check "$name: ... each with its companion for the name with a trailing dot" \
		[ "$(override_companions "$PROF")" -eq 11 ]
	check "$name: the line for uccx1:8445 carries its fingerprint" \
		grep -qP "^uccx1\\.lab\\.example:8445:\\tOID\\.2\\.16\\.840\\.1\\.101\\.3\\.4\\.2\\.1\\t$(lab_fp "$lab" uccx1.lab.example:8445)\\t\$" "$PROF/cert_override.txt"
	check "$name: the Chromium part is not touched again (5)" [ "$(nss_count_ours "$HOMED/.pki/nssdb")" -eq 5 ]
}
# setup NAME: a fresh home for one case.
setup() {
	HOMED=$T_WORK/home-$1
	new_home "$HOMED"
	PROF=$(ff_profile "$HOMED")
	agent_args "$HOMED" "$lab" "$T_WORK/state-$1"
}

# ---- the `lock` link names a live process ----
setup link
sleep 30 &
sleeper=$!
PIDS+=("$sleeper")
ln -s "127.0.0.1:+$sleeper" "$PROF/lock"
in_use_checks "lock link, live pid"
kill "$sleeper"
wait "$sleeper" 2>/dev/null || true
# A crashed Firefox leaves the link behind: a dead pid means not running.
after_close_checks "lock link, pid gone (stale link left)"
rm -f "$PROF/lock"
run_agent install
check "lock link removed: nothing to change" grep -q "Nothing to change" <<<"$OUT"

# ---- .parentlock locked with fcntl, as Firefox does ----
setup parentlock
touch "$PROF/.parentlock"
python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "r+")
fcntl.lockf(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(30)' "$PROF/.parentlock" >"$T_WORK/locker.out" &
locker=$!
PIDS+=("$locker")
for _ in $(seq 100); do # until the lock is taken (bounded: 2 s)
	grep -q locked "$T_WORK/locker.out" 2>/dev/null && break
	sleep 0.02
done
in_use_checks ".parentlock held"
kill "$locker"
wait "$locker" 2>/dev/null || true
after_close_checks ".parentlock released"

# ---- a real headless Firefox on the profile ----
if ! command -v firefox-esr >/dev/null 2>&1; then
	echo "# skipped: firefox-esr is not installed"
	finish
	exit $?
fi
setup firefox
# Keep this Firefox on loopback: every request goes to a closed local port
# (tests contact nothing else), and no background services.
cat >"$PROF/user.js" <<'JS'
user_pref("network.proxy.type", 1);
user_pref("network.proxy.http", "127.0.0.1");
user_pref("network.proxy.http_port", 9);
user_pref("network.proxy.ssl", "127.0.0.1");
user_pref("network.proxy.ssl_port", 9);
user_pref("network.proxy.no_proxies_on", "");
user_pref("network.dns.disablePrefetch", true);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("app.update.enabled", false);
user_pref("app.normandy.enabled", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("extensions.update.enabled", false);
JS
HOME=$HOMED timeout 40 firefox-esr --headless --no-remote --profile "$PROF" about:blank \
	>"$T_WORK/firefox.log" 2>&1 &
ff=$!
PIDS+=("$ff")
for _ in $(seq 200); do # until Firefox has locked its profile (bounded: 20 s)
	[ -L "$PROF/lock" ] && break
	sleep 0.1
done
if [ ! -L "$PROF/lock" ]; then
	not_ok "firefox-esr started on the profile (see below)"
	cat "$T_WORK/firefox.log"
	finish
	exit $?
fi
ffpid=$(readlink "$PROF/lock" | sed 's/.*+//')
PIDS+=("$ffpid")
in_use_checks "firefox-esr running"
kill "$ffpid" 2>/dev/null || true
for _ in $(seq 100); do # until it has exited (bounded: 10 s)
	kill -0 "$ffpid" 2>/dev/null || break
	sleep 0.1
done
wait "$ff" 2>/dev/null || true
check "firefox-esr exited and left its profile" [ ! -L "$PROF/lock" ]
after_close_checks "firefox-esr closed"

# The lines survive Firefox's next start and exit (it reads them at start
# and writes the file back from memory).
HOME=$HOMED timeout 40 firefox-esr --headless --no-remote --profile "$PROF" about:blank \
	>"$T_WORK/firefox2.log" 2>&1 &
ff=$!
PIDS+=("$ff")
for _ in $(seq 200); do
	[ -L "$PROF/lock" ] && break
	sleep 0.1
done
ffpid=$(readlink "$PROF/lock" 2>/dev/null | sed 's/.*+//')
[ -n "$ffpid" ] && kill "$ffpid" 2>/dev/null
wait "$ff" 2>/dev/null || true
check "firefox-esr restarted and closed: the 11 override lines are still there" \
	[ "$(override_lines "$PROF")" -eq 11 ]
run_agent check
check "after Firefox's restart: check exits 0" [ "$RC" -eq 0 ]

finish
