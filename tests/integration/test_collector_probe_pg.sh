#!/usr/bin/env bash
# test_collector_probe_pg.sh: the collector's probe on PostgreSQL (a
# throwaway cluster): the whole of test_collector_probe.sh, then the schema
# at version 4 and the probe's tables as that run left them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"

W=$T_WORK
trap 'col_stop; pg_stop; cleanup' EXIT

pg_start
echo "# PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"

pg_sql postgres "CREATE DATABASE uct_probe"
set +e
UCT_COLLECTOR_DB=$(pg_url uct_probe) bash "$(dirname "$0")/test_collector_probe.sh" \
	>"$W/probe.out" 2>&1
rc=$?
set -e
sed 's/^/# probe: /' "$W/probe.out"
check "test_collector_probe.sh passes against PostgreSQL" \
	test "$rc" -eq 0 -a "$(grep -c '^ok - ' "$W/probe.out")" -ge 34
check "the schema is at version 4" test "$(pg_sql uct_probe 'SELECT version FROM schema_version')" = 4
check "probe_seen holds both of uccx1:8445's certificates, at its two URLs" \
	test "$(pg_sql uct_probe "SELECT COUNT(*) FROM probe_seen WHERE host = 'uccx1.lab.example' AND port = 8445")" = 4
check "probe_approvals names only approvals made by the probe" \
	test "$(pg_sql uct_probe "SELECT COUNT(*) FROM probe_approvals p JOIN approvals a ON a.id = p.approval_id WHERE a.approved_by <> 'probe'")" = 0
check "the probe's revocations are in the audit log" \
	test "$(pg_sql uct_probe "SELECT COUNT(*) FROM audit WHERE action = 'revoke' AND actor = 'probe'")" = 4

# ---- two collectors, each with its probe, on one database ----
pg_sql postgres "CREATE DATABASE uct_probe_pair"
DB=$(pg_url uct_probe_pair)
L=$W/lab
lab_start "$L" selfsigned
col_tokens
cat >"$W/pair.ini" <<INI
[probe]
nodes = uccx1.lab.example, uccx2.lab.example
socialminer = socialminer.lab.example
interval_seconds = 1
auto_approve = probe
connect_to = $(paste -sd, "$L/connect-to.txt")
INI
# Started together, so that their first rounds overlap.
"$COL" --listen 127.0.0.1:0 --db "$DB" --agent-token-file "$W/agent.tok" \
	--admin-token-file "$W/admin.tok" --config "$W/pair.ini" 2>"$W/B.log" &
PID_B=$!
col_start 0 "$DB" --config "$W/pair.ini"
trap 'col_stop; kill "$PID_B" 2>/dev/null; pg_stop; cleanup' EXIT
approved() { pg_sql uct_probe_pair "SELECT COUNT(DISTINCT host || ':' || port) FROM approvals WHERE approved_by = 'probe' AND revoked_at IS NULL"; }
for _ in $(seq 150); do [ "$(approved)" = 11 ] && break; sleep 0.2; done
sleep 3 # a few more rounds of both probes
check "both probes ran: every one of the 11 HOST:PORT approved" test "$(approved)" = 11
check "and each once: the two probes never approve the same certificate twice" \
	test "$(pg_sql uct_probe_pair "SELECT COUNT(*) FROM approvals WHERE approved_by = 'probe'")" = 11
check "both collectors logged their probe" \
	bash -c "grep -q 'probe: 11 HOST:PORT' '$W/col.log' && grep -q 'probe: 11 HOST:PORT' '$W/B.log'"
finish
