#!/usr/bin/env bash
# test_vcache.sh: a database unchanged since the last run is not opened
# again, its earlier answers are used; any change to it (a certificate
# deleted or its trust edited behind the agent's back, a write in
# progress), a damaged cache or --recheck means a real verification.
. "$(dirname "$0")/lib.sh"

LABD=$T_WORK/lab
HOMED=$T_WORK/home
STATE=$T_WORK/state
CHROME=$HOMED/.pki/nssdb
PROF=$(ff_profile "$HOMED")
lab_start "$LABD" mixed
new_home "$HOMED"
agent_args "$HOMED" "$LABD" "$STATE"

# reused: how many databases the run took from the cache (--verbose lines).
reused() { grep -c "unchanged since it was verified" <<<"$OUT" || true; }
# verified_at STORE-ID-SUFFIX: that store's verified_at in JSON.
verified_at() { jq_py "$JSON" "[s['verified_at'] for s in d['stores'] if s['id'].endswith('$1')][0]"; }
run_start() { jq_py "$JSON" "__import__('calendar').timegm(__import__('time').strptime(d['time'], '%Y-%m-%dT%H:%M:%SZ'))"; }
# verdicts: every endpoint's verdict per browser profile, one line each.
verdicts() {
	jq_py "$JSON" "'\n'.join(e['url'] + ' ' + b['profile'] + ' ' + b['verdict'] + ' ' + (b['code'] or '')
		for e in d['endpoints'] for b in e['browsers'])"
}

run_agent install
check "first install trusts everything (exit 0)" [ "$RC" -eq 0 ]
check "the answers are kept in the state directory" grep -q '^uccx-trust-verify-cache' "$STATE/verify-cache"
sleep 1
# A deployment tool's login run: check, and install only on exit 1.
run_agent check --verbose
check "check right after the install: both databases unchanged, not opened (2 reused)" \
	[ "$(reused)" -eq 2 ]
check "check right after the install: exit 0" [ "$RC" -eq 0 ]
run_agent install --verbose
check "login run: both NSS databases unchanged, not opened (2 reused)" [ "$(reused)" -eq 2 ]
check "login run: exit 0, everything trusted" [ "$RC" -eq 0 ]

run_agent_json check
cached=$(verdicts)
check "check uses the kept answers: verified_at is an earlier run's" \
	eval '[ "$(verified_at /.pki/nssdb)" -lt "$(run_start)" ]'
run_agent_json check --recheck
check "--recheck verifies in this run" eval '[ "$(verified_at /.pki/nssdb)" -eq "$(run_start)" ]'
check "the kept answers are the ones a new verification gives" [ "$cached" = "$(verdicts)" ]
check "the answers say all 13 endpoints trusted" \
	[ "$(jq_py "$JSON" "sum(e['verdict'] == 'trusted' for e in d['endpoints'])")" -eq 13 ]

# ---- check writes nothing, not even the cache ----
rm -f "$STATE/verify-cache"
run_agent check
check "check leaves no cache behind" [ ! -e "$STATE/verify-cache" ]
run_agent install --verbose
check "install with nothing to change reads both databases (0 reused)" [ "$(reused)" -eq 0 ]
run_agent install --verbose
check "install wrote the cache again, the next run uses it" [ "$(reused)" -eq 2 ]

# ---- a certificate deleted behind the agent's back ----
nick=$(nss_ours "$CHROME" | grep 'uccx1' | head -n1 | cut -f1)
check "Chromium's database holds our uccx1 certificate" [ -n "$nick" ]
sleep 1 # verified_at has a resolution of one second
certutil -D -d "sql:$CHROME" -n "$nick"
run_agent_json check
check "deleted certificate: check sees it (exit 1)" [ "$RC" -eq 1 ]
check "deleted certificate: Chromium's database verified in this run" \
	eval '[ "$(verified_at /.pki/nssdb)" -eq "$(run_start)" ]'
check "deleted certificate: some uccx1 endpoint not trusted in Chromium" \
	grep -q "uccx1.*chromium not-trusted" <<<"$(verdicts)"
check "deleted certificate: the Firefox profile still comes from the cache" \
	eval '[ "$(verified_at abcd1234.default-release)" -lt "$(run_start)" ]'
run_agent install
check "deleted certificate: install puts it back (exit 0)" [ "$RC" -eq 0 ]

# ---- trust edited behind the agent's back ----
run_agent install
nick=$(nss_ours "$PROF" | grep 'uccx1' | head -n1 | cut -f1)
flags=$(nss_ours "$PROF" | grep -F "$nick" | cut -f2)
certutil -M -d "sql:$PROF" -n "$nick" -t ",,"
run_agent check --verbose
check "trust removed: check sees it (exit 1)" [ "$RC" -eq 1 ]
check "trust removed: only Chromium's database came from the cache" [ "$(reused)" -eq 1 ]
run_agent install
check "trust removed: install restores it (exit 0)" [ "$RC" -eq 0 ]
check "trust removed: the certificate has its trust ($flags) again" \
	eval '[ "$(nss_ours "$PROF" | grep -F "$nick" | cut -f2)" = "$flags" ]'

# ---- a write in progress (a journal next to cert9.db) ----
run_agent install
: >"$CHROME/cert9.db-journal"
run_agent install --verbose
check "journal present: that database is verified again, the other reused" [ "$(reused)" -eq 1 ]
check "journal present: still exit 0" [ "$RC" -eq 0 ]
rm -f "$CHROME/cert9.db-journal"

# ---- a damaged cache ----
run_agent install
printf 'uccx-trust-verify-cache\t1\nstore\tnss:%s\tnot-a-digest\t1\n' "$CHROME" >"$STATE/verify-cache"
run_agent install --verbose
check "damaged cache: ignored, every database verified (0 reused)" [ "$(reused)" -eq 0 ]
check "damaged cache: exit 0" [ "$RC" -eq 0 ]
check "damaged cache: written again whole" grep -q "^store	nss:$CHROME	[0-9a-f]\{64\}	" "$STATE/verify-cache"
run_agent install --verbose
check "damaged cache: the next run uses the new one" [ "$(reused)" -eq 2 ]

# ---- --recheck and doctor open every database ----
run_agent install --verbose --recheck
check "--recheck: no database from the cache" [ "$(reused)" -eq 0 ]
run_agent install --verbose
check "the run after --recheck uses the cache again" [ "$(reused)" -eq 2 ]
run_agent doctor --verbose
check "doctor verifies every database again (0 reused), exit 0" eval '[ "$(reused)" -eq 0 ] && [ "$RC" -eq 0 ]'

finish
