#!/usr/bin/env bash
# test_collector_probe.sh: the collector's own view of the lab (a temporary
# SQLite file, or the empty database UCT_COLLECTOR_DB names;
# test_collector_probe_pg.sh runs it on PostgreSQL). The probe, configured
# by [probe] in the INI file, sees the lab's certificates: probe_seen in
# /api/v1/endpoints, approvals without force for what it saw and still with
# force for what it never saw; with auto_approve = probe it approves what it
# sees, and after the lab regenerates uccx1's certificate (SIGUSR1) it
# approves the new one and revokes only its own approvals of the old one,
# audited, while an administrator's approvals stay; the trust serial grows.
. "$(dirname "$0")/lib.sh"

W=$T_WORK
COL_DB=${UCT_COLLECTOR_DB:-$W/col.db}
L=$W/lab
U1=uccx1.lab.example
U2=uccx2.lab.example
col_tokens
ADMIN_TOK=$(cat "$W/admin.tok")
AGENT_TOK=$(cat "$W/agent.tok")
UNSEEN=00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF
MITM=FF:EE:DD:CC:BB:AA:99:88:77:66:55:44:33:22:11:00:FF:EE:DD:CC:BB:AA:99:88:77:66:55:44:33:22:11:00

lab_start "$L" selfsigned
FP1=$(lab_fp "$L" "$U1:8445")
FP1_7443=$(lab_fp "$L" "$U1:7443")
FP2=$(lab_fp "$L" "$U2:8445")
cat >"$W/collector.ini" <<INI
[collector]
signing_key = $W/trust.key

[probe]
nodes = $U1, $U2
socialminer = socialminer.lab.example
interval_seconds = 1
connect_to = $(paste -sd, "$L/connect-to.txt")
INI

# call METHOD PATH [TOKEN] [BODY]: sets CODE and BODY.
call() {
	local method=$1 path=$2 tok=${3-$ADMIN_TOK} data=${4-}
	local args=(-sS --max-time 20 -X "$method" -w '\n%{http_code}')
	[ -n "$tok" ] && args+=(-H "Authorization: Bearer $tok")
	[ -n "$data" ] && args+=(-H 'Content-Type: application/json' --data-binary "$data")
	BODY=$(curl "${args[@]}" "http://127.0.0.1:$COL_PORT$path" 2>/dev/null) || true
	CODE=${BODY##*$'\n'}
	BODY=${BODY%$'\n'*}
}
# field JSON EXPR: a Python expression over the document d, printed.
field() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }
approve() { call POST /api/v1/approvals "$ADMIN_TOK" "$1"; }
# active BY ENDPOINT FP: 1 when an active approval by BY says FP for ENDPOINT.
active() {
	call GET /api/v1/approvals
	field "$BODY" "sum(1 for a in d['approvals'] if a['active'] and a['approved_by'] == '$1'
		and a.get('endpoint') == '$2' and a['sha256'] == '$3')"
}
# probe_seen URL FP: True when /api/v1/endpoints shows FP at URL as probe_seen.
probe_seen() {
	call GET "/api/v1/endpoints?limit=500"
	field "$BODY" "any(f['sha256'] == '$2' and f['probe_seen'] for e in d['endpoints']
		if e['url'] == '$1' for f in e['fingerprints'])"
}
# wait_for DESCRIPTION EXPECTED COMMAND...: COMMAND's output, polled for 30 s at most.
wait_for() {
	local what=$1 want=$2 got= _
	shift 2
	for _ in $(seq 150); do
		got=$("$@")
		[ "$got" = "$want" ] && break
		sleep 0.2
	done
	check "$what" test "$got" = "$want"
}
trust_serial() {
	call GET /api/v1/trust "$AGENT_TOK"
	field "$BODY" 'd["serial"]'
}

# ---- auto_approve = never (the default): seen, recorded, nothing approved ----
col_start 0 "$COL_DB" --config "$W/collector.ini"
check "the collector starts with [probe] and says so" \
	grep -q "probe: 11 HOST:PORT every 1 s, auto_approve = never" "$W/col.log"
wait_for "the probe sees uccx1's Tomcat certificate: probe_seen at https://$U1:8445/" True \
	probe_seen "https://$U1:8445/" "$FP1"
check "and at every URL of that port (cfadmin)" test "$(probe_seen "https://$U1:8445/cfadmin" "$FP1")" = True
check "the notification service's own certificate at 7443" \
	test "$(probe_seen "https://$U1:7443/" "$FP1_7443")" = True
call GET "/api/v1/endpoints?limit=500"
check "endpoints no agent reported are listed, with 0 hosts" \
	test "$(field "$BODY" "[e['hosts'] for e in d['endpoints'] if e['url'] == 'https://$U2:8445/']")" = "[0]"
check "all 13 URLs of two nodes and SocialMiner are listed" test "$(field "$BODY" 'd["total"]')" = 13
call GET /api/v1/approvals
check "auto_approve = never approves nothing" test "$(field "$BODY" 'len(d["approvals"])')" = 0
S0=$(trust_serial)

approve "{\"endpoint\":\"$U2:8445\",\"sha256\":\"$FP2\",\"note\":\"checked by hand\"}"
check "a fingerprint the probe saw is approved without force: 201" test "$CODE" = 201
approve "{\"host\":\"$U1\",\"sha256\":\"$FP1_7443\"}"
check "and for the host" test "$CODE" = 201
approve "{\"endpoint\":\"$U1:8445\",\"sha256\":\"$MITM\"}"
check "a fingerprint the probe never saw still needs force: 409 naming force" \
	bash -c "[ '$CODE' = 409 ] && grep -qF 'force' <<<'$BODY'"
approve "{\"endpoint\":\"$U1:8445\",\"sha256\":\"$UNSEEN\",\"force\":true,\"note\":\"admin's own\"}"
check "an administrator's approval at uccx1:8445 (forced)" test "$CODE" = 201
col_stop

# ---- auto_approve = probe (the flag over the file) ----
col_start 0 "$COL_DB" --config "$W/collector.ini" --probe-auto-approve probe
check "the flag switches auto_approve to probe" \
	grep -q "probe: 11 HOST:PORT every 1 s, auto_approve = probe" "$W/col.log"
wait_for "the probe approves uccx1's certificate for $U1:8445" 1 active probe "$U1:8445" "$FP1"
for p in 443 8444 12015; do
	check "and for $U1:$p" test "$(active probe "$U1:$p" "$FP1")" = 1
done
check "7443 is covered by the host approval: the probe adds none" \
	test "$(active probe "$U1:7443" "$FP1_7443")" = 0
check "uccx2:8445 is covered by the administrator's approval: the probe adds none" \
	test "$(active probe "$U2:8445" "$FP2")" = 0
check "uccx2:443, not covered, is approved by the probe" \
	test "$(active probe "$U2:443" "$(lab_fp "$L" "$U2:443")")" = 1
call GET "/api/v1/audit?limit=100"
check "each automatic approval is audited: auto-approve by probe" \
	test "$(field "$BODY" "sum(1 for e in d['audit'] if e['action'] == 'auto-approve' and e['actor'] == 'probe')")" -ge 8
S1=$(trust_serial)
check "the trust document's serial grew" test "$S1" -gt "$S0"
sleep 2.5
check "a round that sees the same certificates changes nothing" test "$(trust_serial)" = "$S1"

# ---- the lab regenerates uccx1's Tomcat certificate ----
kill -USR1 "$(cat "$L/lab.pid")"
for _ in $(seq 100); do [ -s "$L/regenerated" ] && break; sleep 0.1; done
NEW1=$(lab_fp "$L" "$U1:8445")
check "the lab regenerated uccx1's certificate" test -n "$NEW1" -a "$NEW1" != "$FP1"
wait_for "the probe approves the new certificate for $U1:8445" 1 active probe "$U1:8445" "$NEW1"
wait_for "and for $U1:12015" 1 active probe "$U1:12015" "$NEW1"
check "its approvals of the old certificate are revoked" \
	test "$(active probe "$U1:8445" "$FP1")$(active probe "$U1:443" "$FP1")" = 00
check "the administrator's approval at $U1:8445 stays" test "$(active "token 1" "$U1:8445" "$UNSEEN")" = 1
call GET /api/v1/approvals
check "no approval of an administrator was revoked" \
	test "$(field "$BODY" "sum(1 for a in d['approvals'] if a['approved_by'] != 'probe' and not a['active'])")" = 0
check "the probe's approvals elsewhere stay (uccx2:443)" \
	test "$(active probe "$U2:443" "$(lab_fp "$L" "$U2:443")")" = 1
call GET "/api/v1/audit?limit=200"
check "each revocation is audited: revoke by probe, the old fingerprint" \
	test "$(field "$BODY" "sum(1 for e in d['audit'] if e['action'] == 'revoke' and e['actor'] == 'probe' and e['approval']['sha256'] == '$FP1')")" = 4
S2=$(trust_serial)
check "the trust document's serial grew again" test "$S2" -gt "$S1"
call GET /api/v1/trust "$AGENT_TOK"
check "the trust document lists the new certificate and no longer the old one" \
	bash -c "grep -qF '$NEW1' <<<'$BODY' && ! grep -qF '$FP1' <<<'$BODY'"
check "the new certificate is probe_seen" test "$(probe_seen "https://$U1:8445/" "$NEW1")" = True
call GET "/api/v1/endpoints?limit=500"
check "the probe's old and new certificate are listed, but no host disagrees: no flag" \
	test "$(field "$BODY" "[(len(e['fingerprints']), e['several_fingerprints'], e['flag']) for e in d['endpoints'] if e['url'] == 'https://$U1:8445/']")" = "[(2, False, None)]"
approve "{\"endpoint\":\"$U1:8445\",\"sha256\":\"$MITM\"}"
check "a certificate only a man in the middle shows still needs force" test "$CODE" = 409
col_stop
finish
