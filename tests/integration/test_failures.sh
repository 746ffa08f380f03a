#!/usr/bin/env bash
# test_failures.sh: what goes wrong on real PCs. A stalled or down server, a
# name that does not resolve, bad configurations (exit 2, nothing written),
# a damaged state file, a second run while one holds the lock, two runs at
# once, and a Firefox profile with a Primary Password.
. "$(dirname "$0")/lib.sh"

# ---- a server that accepts TCP and never answers: one timeout, not six ----
lab=$T_WORK/lab-stall
home=$T_WORK/home-stall
lab_start "$lab" selfsigned --stall uccx2
new_home "$home"
agent_args "$home" "$lab" "$T_WORK/state-stall"
t0=$(ms_now)
run_agent_json check
ms=$(($(ms_now) - t0))
check "stalled uccx2: check exits 1" [ "$RC" -eq 1 ]
# All handshakes run in parallel: the run takes one connect timeout (2 s),
# not one per endpoint. Bound: 1.2 x 2 s plus 0.6 s for the rest of the run.
check "stalled uccx2: the run ends within one connect timeout ($ms ms < 3000)" [ "$ms" -lt 3000 ]
check "stalled uccx2: its 6 endpoints are unreachable, with fetch 'timeout'" \
	[ "$(jq_py "$JSON" 'sum(e["verdict"] == "unreachable" and e["fetch"] == "timeout" for e in d["endpoints"] if e["host"] == "uccx2.lab.example")')" -eq 6 ]
check "stalled uccx2: the reason is in plain words" \
	eval 'jq_py "$JSON" "d[\"endpoints\"][6][\"fetch_detail\"]" | grep -q "accepted the connection but the TLS handshake did not finish in time"'
run_agent_json install
check "stalled uccx2: install exits 1" [ "$RC" -eq 1 ]
check "stalled uccx2: uccx1 and socialminer are trusted (7 endpoints)" \
	[ "$(jq_py "$JSON" 'sum(e["verdict"] == "trusted" for e in d["endpoints"])')" -eq 7 ]
check "stalled uccx2: 3 certificates installed in each database" \
	eval '[ "$(nss_count_ours "$home/.pki/nssdb")" -eq 3 ] && [ "$(nss_count_ours "$(ff_profile "$home")")" -eq 3 ]'
run_agent install
check "stalled uccx2: the text report says UNREACHABLE for uccx2:8445" \
	grep -q "UNREACHABLE  https://uccx2.lab.example:8445/" <<<"$OUT"
check "stalled uccx2: the state approves nothing for uccx2" \
	eval '! grep -q "^seen	uccx2" "$T_WORK/state-stall/state"'
lab_stop "$lab"

# ---- a server that completes TLS and never answers HTTP: read at once ----
# (openssl s_server -www ignores HEAD; a busy server answers late): the
# certificate is the handshake's, so no run waits for the HTTP answer.
lab=$T_WORK/lab-nohttp
lab_start "$lab" selfsigned --no-http uccx2
agent_args "$home" "$lab" "$T_WORK/state-nohttp"
t0=$(ms_now)
run_agent_json check
ms=$(($(ms_now) - t0))
check "no HTTP from uccx2: check exits 1 (not trusted yet)" [ "$RC" -eq 1 ]
check "no HTTP from uccx2: answered well within the connect timeout ($ms ms < 1500)" [ "$ms" -lt 1500 ]
check "no HTTP from uccx2: all 13 endpoints fetched, none unreachable" \
	[ "$(jq_py "$JSON" 'sum(e["fetch"] == "ok" and e["verdict"] != "unreachable" for e in d["endpoints"])')" -eq 13 ]
run_agent_json install
check "no HTTP from uccx2: install exits 0, all 13 trusted" \
	eval '[ "$RC" -eq 0 ] && [ "$(jq_py "$JSON" "sum(e[\"verdict\"] == \"trusted\" for e in d[\"endpoints\"])")" -eq 13 ]'
lab_stop "$lab"

# ---- a server that is down (connection refused): at once ----
lab=$T_WORK/lab-down
lab_start "$lab" selfsigned --down uccx2
agent_args "$home" "$lab" "$T_WORK/state-down"
t0=$(ms_now)
run_agent_json check
ms=$(($(ms_now) - t0))
check "down uccx2: check exits 1" [ "$RC" -eq 1 ]
check "down uccx2: answered quickly ($ms ms < 1500)" [ "$ms" -lt 1500 ]
check "down uccx2: 6 endpoints unreachable with fetch 'refused'" \
	[ "$(jq_py "$JSON" 'sum(e["verdict"] == "unreachable" and e["fetch"] == "refused" for e in d["endpoints"])')" -eq 6 ]
run_agent check
check "down uccx2: the report says the connection was refused" \
	grep -q "connection refused by uccx2.lab.example:443" <<<"$OUT"
lab_stop "$lab"

# ---- a name that does not resolve (only if the resolver answers at once) ----
t0=$(ms_now)
timeout 3 getent hosts nothere.invalid >/dev/null 2>&1 && resolves=1 || resolves=0
ms=$(($(ms_now) - t0))
if [ "$resolves" -eq 0 ] && [ "$ms" -lt 1000 ]; then
	A=(--node nothere.invalid --home "$home" --state-dir "$T_WORK/state-dns" --connect-timeout 2 --timeout 5)
	run_agent_json check
	check "unresolvable name: check exits 1" [ "$RC" -eq 1 ]
	check "unresolvable name: 6 endpoints unreachable with fetch 'dns'" \
		[ "$(jq_py "$JSON" 'sum(e["verdict"] == "unreachable" and e["fetch"] == "dns" for e in d["endpoints"])')" -eq 6 ]
	check "unresolvable name: the reason names the host and DNS" \
		eval 'jq_py "$JSON" "d[\"endpoints\"][0][\"fetch_detail\"]" | grep -q "nothere.invalid does not resolve"'
else
	echo "# skipped: the system resolver does not fail fast for nothere.invalid ($ms ms)"
fi

# ---- bad configurations: exit 2, the place named, nothing written ----
cfgdir=$T_WORK/cfg
mkdir -p "$cfgdir"
bad_home=$T_WORK/home-bad
bad_state=$T_WORK/state-bad
# bad_config NAME EXPECTED-MESSAGE INI-TEXT [extra flags]
bad_config() {
	local name=$1 msg=$2 text=$3
	shift 3
	printf '%b' "$text" >"$cfgdir/$name.ini"
	set +e
	OUT=$("$AGENT" install --config "$cfgdir/$name.ini" --home "$bad_home" \
		--state-dir "$bad_state" "$@" 2>&1)
	RC=$?
	set -e
	check "bad config ($name): exit 2" [ "$RC" -eq 2 ]
	check "bad config ($name): the message says '$msg'" grep -qF -- "$msg" <<<"$OUT" ||
		echo "$OUT"
	check "bad config ($name): no state directory, no home written" \
		eval '[ ! -e "$bad_state" ] && [ ! -e "$bad_home" ]'
}
bad_config unknown-key "$cfgdir/unknown-key.ini:3: unknown key 'bogus' in [uccx]" \
	'[uccx]\nnodes = uccx1.example.com\nbogus = 1\n'
bad_config ip-node "$cfgdir/ip-node.ini:2: '10.0.0.1' is an IP address" \
	'[uccx]\nnodes = 10.0.0.1\n'
bad_config short-name "$cfgdir/short-name.ini:2: 'uccx1' is a short name" \
	'[uccx]\nnodes = uccx1\n'
bad_config bad-pin "$cfgdir/bad-pin.ini:5: 'AB:CD' is not a SHA-256 fingerprint" \
	'[uccx]\nnodes = uccx1.example.com\n[trust]\nmode = pinned\npins = AB:CD\n'
bad_config no-pins "$cfgdir/no-pins.ini:4: pinned mode needs at least one pin" \
	'[uccx]\nnodes = uccx1.example.com\n[trust]\nmode = pinned\n'
# A configuration that cannot be read (a directory: root reads any file).
set +e
OUT=$("$AGENT" install --config "$cfgdir" --home "$bad_home" --state-dir "$bad_state" 2>&1)
RC=$?
set -e
check "unreadable --config: exit 2" [ "$RC" -eq 2 ]
check "unreadable --config: the message names the file" grep -qF "cannot read $cfgdir" <<<"$OUT"
set +e
OUT=$("$AGENT" install --config "$cfgdir/none.ini" --home "$bad_home" --state-dir "$bad_state" 2>&1)
RC=$?
set -e
check "missing --config: exit 2, named" eval '[ "$RC" -eq 2 ] && grep -qF "cannot read $cfgdir/none.ini" <<<"$OUT"'
# The same mistakes as flags.
# flags | message | 1 when the message points at --help (usage mistakes)
for bad in "--node 10.1.2.3|--node: '10.1.2.3' is an IP address|1" \
	"--node uccx1|--node: 'uccx1' is a short name|1" \
	"--node a.example.com --trust pinned --pin XYZ|--pin: 'XYZ' is not a SHA-256|1" \
	"--node a.example.com --trust pinned|--trust pinned: pinned mode needs at least one pin|0" \
	"--bogus|unknown option '--bogus'|1"; do
	IFS='|' read -r flags msg helps <<<"$bad"
	set +e
	# shellcheck disable=SC2086 # the flags are split on purpose
	OUT=$("$AGENT" install $flags --home "$bad_home" --state-dir "$bad_state" 2>&1)
	RC=$?
	set -e
	check "bad flags ($flags): exit 2" [ "$RC" -eq 2 ]
	check "bad flags ($flags): the message says '$msg'" grep -qF -- "$msg" <<<"$OUT"
	if [ "$helps" -eq 1 ]; then
		check "bad flags ($flags): the message points at --help" grep -qF -- "--help" <<<"$OUT"
	fi
done
check "bad configurations: still no state directory or home" \
	eval '[ ! -e "$bad_state" ] && [ ! -e "$bad_home" ]'

# ---- the rest runs against one selfsigned lab ----
lab=$T_WORK/lab-main
lab_start "$lab" selfsigned

# ---- a damaged state file: warned about, set aside, the run goes on ----
home=$T_WORK/home-state
state=$T_WORK/state-state
new_home "$home"
agent_args "$home" "$lab" "$state"
run_agent install
mkdir -p "$state"
printf 'not a state file\n\001\002\n' >"$state/state"
run_agent install
check "damaged state: install still exits 0" [ "$RC" -eq 0 ]
check "damaged state: the report says it was set aside" grep -q "state file was damaged" <<<"$OUT"
check "damaged state: state.damaged keeps the old content" grep -q "not a state file" "$state/state.damaged"
check "damaged state: a new state file is written" grep -q "^uccx-trust-state" "$state/state"
check "damaged state: the certificates are still there, once each" \
	[ "$(nss_count_ours "$home/.pki/nssdb")" -eq 5 ]

# ---- another run holds the lock: wait, then exit 3 ----
mkdir -p "$state"
# A process that holds the lock as another run would: the subshell takes
# it with flock(1), then becomes the sleep; killing the sleep releases it.
(
	exec 9>"$state/lock"
	flock 9
	exec sleep 20
) &
holder=$!
for _ in $(seq 50); do # until the lock is held (bounded: 1 s)
	flock -n "$state/lock" true || break
	sleep 0.02
done
t0=$(ms_now)
set +e
OUT=$(UCCX_TRUST_LOCK_WAIT=1 "$AGENT" install "${A[@]}" 2>&1)
RC=$?
set -e
ms=$(($(ms_now) - t0))
check "lock held: install exits 3" [ "$RC" -eq 3 ]
check "lock held: it waited the configured 1 s ($ms ms)" eval '[ "$ms" -ge 950 ] && [ "$ms" -lt 2500 ]'
check "lock held: the message says another run is in progress" \
	grep -q "another uccx-trust run is in progress; run again when it has finished" <<<"$OUT"
set +e
JSON=$(UCCX_TRUST_LOCK_WAIT=0 "$AGENT" remove "${A[@]}" --json 2>/dev/null)
RC=$?
set -e
check "lock held: remove --json exits 3 with error code 'locked'" \
	eval '[ "$RC" -eq 3 ] && [ "$(jq_py "$JSON" "d[\"error\"][\"code\"] + \" \" + str(d[\"exit_code\"])")" = "locked 3" ]'
check "lock held: nothing was removed" [ "$(nss_count_ours "$home/.pki/nssdb")" -eq 5 ]
run_agent check
check "lock held: check does not need the lock" [ "$RC" -eq 0 ]
kill "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null || true
run_agent install
check "lock released: install runs again (exit 0)" [ "$RC" -eq 0 ]

# ---- two installs at once on a fresh PC: both finish, each cert once ----
home=$T_WORK/home-par
new_home "$home"
agent_args "$home" "$lab" "$T_WORK/state-par"
"$AGENT" install "${A[@]}" >"$T_WORK/par1" 2>&1 &
p1=$!
"$AGENT" install "${A[@]}" >"$T_WORK/par2" 2>&1 &
p2=$!
rc1=0 rc2=0
wait "$p1" || rc1=$?
wait "$p2" || rc2=$?
check "parallel installs: both exit 0 ($rc1, $rc2)" eval '[ "$rc1" -eq 0 ] && [ "$rc2" -eq 0 ]'
check "parallel installs: one of them found nothing to change" \
	eval 'cat "$T_WORK/par1" "$T_WORK/par2" | grep -q "Nothing to change"'
check "parallel installs: Chromium db holds each certificate once (5)" \
	eval '[ "$(nss_count_ours "$home/.pki/nssdb")" -eq 5 ] && [ "$(nss_ours "$home/.pki/nssdb" | cut -f1 | sort | uniq -d | wc -l)" -eq 0 ]'
check "parallel installs: Firefox db holds each certificate once (5)" \
	eval '[ "$(nss_count_ours "$(ff_profile "$home")")" -eq 5 ] && [ "$(nss_ours "$(ff_profile "$home")" | cut -f1 | sort | uniq -d | wc -l)" -eq 0 ]'
check "parallel installs: the state records 10 installed objects" \
	[ "$(grep -c '^installed' "$T_WORK/state-par/state")" -eq 10 ]

# ---- a Firefox profile with a Primary Password: reported, others done ----
home=$T_WORK/home-pw
new_home "$home"
locked=$home/.mozilla/firefox/efgh5678.locked
mkdir -p "$locked"
echo "primary-secret" >"$T_WORK/pw.txt"
certutil -N -d "sql:$locked" -f "$T_WORK/pw.txt"
cat >>"$home/.mozilla/firefox/profiles.ini" <<INI

[Profile1]
Name=locked
IsRelative=1
Path=efgh5678.locked
INI
agent_args "$home" "$lab" "$T_WORK/state-pw"
run_agent_json install
check "Primary Password: install exits 1" [ "$RC" -eq 1 ]
check "Primary Password: the problem names the locked profile" \
	eval 'jq_py "$JSON" "\"\\n\".join(d[\"problems\"])" | grep -q "^$locked: .*Primary Password"'
check "Primary Password: its 5 changes failed, the 10 others are done" \
	[ "$(jq_py "$JSON" '[sum(c["status"] == "failed" and c["profile"] == "firefox:locked" for c in d["changes"]), sum(c["status"] == "done" for c in d["changes"])]')" = "[5, 10]" ]
check "Primary Password: the locked profile is not trusted, the other one is" \
	[ "$(jq_py "$JSON" 'sorted(set((b["profile"], b["verdict"]) for e in d["endpoints"] for b in e["browsers"]))')" = "[('chromium', 'trusted'), ('firefox:default-release', 'trusted'), ('firefox:locked', 'not-trusted')]" ]
check "Primary Password: nothing of ours in the locked database" [ "$(nss_count_ours "$locked")" -eq 0 ]
check "Primary Password: Chromium and the other profile have their 5" \
	eval '[ "$(nss_count_ours "$home/.pki/nssdb")" -eq 5 ] && [ "$(nss_count_ours "$(ff_profile "$home")")" -eq 5 ]'
run_agent install
check "Primary Password: the text report has a problem line for it" \
	grep -q "^problem: $locked: .*Primary Password" <<<"$OUT"

# ---- a damaged Firefox database: reported with the fix, the others done ----
home=$T_WORK/home-bad
new_home "$home"
bad=$(ff_profile "$home")
head -c 4096 /dev/urandom >"$bad/cert9.db"
agent_args "$home" "$lab" "$T_WORK/state-bad"
run_agent_json install
check "damaged database: install exits 1, not 3" [ "$RC" -eq 1 ]
check "damaged database: the problem names it and says how to fix it" \
	eval 'jq_py "$JSON" "\"\\n\".join(d[\"problems\"])" | grep -q "^$bad: .*damaged.*move cert9.db and key4.db aside"'
check "damaged database: its profile says STORE_FAILED, Chromium is trusted" \
	[ "$(jq_py "$JSON" 'sorted(set((b["profile"], b["verdict"], b["code"]) for e in d["endpoints"] for b in e["browsers"]))')" = "[('chromium', 'trusted', None), ('firefox:default-release', 'not-trusted', 'STORE_FAILED')]" ]
check "damaged database: Chromium's got its 5 certificates" [ "$(nss_count_ours "$home/.pki/nssdb")" -eq 5 ]

# ---- a full disk under the state directory ----
# The login run (nothing to change) only records its outcome: a full disk
# costs that record and a warning, not the run. A private mount namespace
# puts the state directory on a full 256 KiB tmpfs for one run (needs root).
home=$T_WORK/home-full
new_home "$home"
agent_args "$home" "$lab" "$T_WORK/state-full"
run_agent install
run_agent install
cp -a "$T_WORK/state-full" "$T_WORK/state-full.copy"
if unshare -m true 2>/dev/null; then
	set +e
	OUT=$(unshare -m sh -c 'mount -t tmpfs -o size=256k tmpfs "$1" && cp -a "$2"/. "$1"/ &&
		{ dd if=/dev/zero of="$1/filler" bs=4k 2>/dev/null; true; } && shift 2 && exec "$@"' sh \
		"$T_WORK/state-full" "$T_WORK/state-full.copy" "$AGENT" install "${A[@]}" 2>&1)
	RC=$?
	set -e
	check "full disk: the login run still exits 0" [ "$RC" -eq 0 ]
	check "full disk: it warns that the outcome is not recorded" \
		grep -q "outcome of this run is not recorded: .*No space left" <<<"$OUT"
	check "full disk: the state on the real disk is untouched" \
		cmp -s "$T_WORK/state-full/state" "$T_WORK/state-full.copy/state"
else
	ok "# SKIP full disk: needs root for a mount namespace"
fi

# ---- NSS missing: it is loaded when a database is opened ----
agent_args "$home" "$lab" "$T_WORK/state-nonss"
if run_agent_without libnss3.so check; then
	check "exit 3 without libnss3.so, with the package to install" \
		eval '[ "$RC" -eq 3 ] && grep -qF "install the libnss3 package" <<<"$OUT"'
else
	ok "# SKIP NSS missing: needs root for a mount namespace"
fi
lab_stop "$lab"

finish
