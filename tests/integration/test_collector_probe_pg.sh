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
finish
