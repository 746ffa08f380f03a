#!/usr/bin/env bash
# test_collector_approvals_pg.sh: fleet-approved trust on PostgreSQL (a
# throwaway cluster): the whole of test_collector_approvals.sh, the audit
# log refusing changes at the database, and two collectors sharing one
# database and one key file: one serial, documents signed alike.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"

W=$T_WORK
trap 'col_stop; [ -n "${PID_B:-}" ] && kill "$PID_B" 2>/dev/null; pg_stop; cleanup' EXIT

pg_start
echo "# PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"

pg_sql postgres "CREATE DATABASE uct_approvals"
set +e
UCT_COLLECTOR_DB=$(pg_url uct_approvals) bash "$(dirname "$0")/test_collector_approvals.sh" \
	>"$W/api.out" 2>&1
rc=$?
set -e
sed 's/^/# api: /' "$W/api.out"
check "test_collector_approvals.sh passes against PostgreSQL" \
	test "$rc" -eq 0 -a "$(grep -c '^ok - ' "$W/api.out")" -ge 70
check "the schema is at version 4" test "$(pg_sql uct_approvals 'SELECT version FROM schema_version')" = 4
for sql in "DELETE FROM audit" "UPDATE audit SET actor = 'x'" "TRUNCATE audit"; do
	if out=$(pg_sql uct_approvals "$sql" 2>&1); then refused=no; else refused=yes; fi
	check "PostgreSQL refuses '$sql' on the audit log" \
		bash -c "[ $refused = yes ] && grep -qF 'append-only' <<<'$out'"
done
check "the audit log kept its eight entries" \
	test "$(pg_sql uct_approvals 'SELECT COUNT(*) FROM audit')" = 8

# ---- two collectors, one database, one key file ----
pg_sql postgres "CREATE DATABASE uct_pair"
DB=$(pg_url uct_pair)
KEY=$W/shared.key
col_tokens
ADMIN_TOK=$(cat "$W/admin.tok")
AGENT_TOK=$(cat "$W/agent.tok")
"$COL" --print-trust-key --signing-key "$KEY" >"$W/trust.pub"
col_start 0 "$DB" --signing-key "$KEY"
PORT_A=$COL_PORT
"$COL" --listen 127.0.0.1:0 --db "$DB" --agent-token-file "$W/agent.tok" \
	--admin-token-file "$W/admin.tok" --signing-key "$KEY" 2>"$W/B.log" &
PID_B=$!
PORT_B=
for _ in $(seq 100); do
	PORT_B=$(sed -n 's/.*listening on [a-z]*:\/\/[^ ]*:\([0-9]*\),.*/\1/p' "$W/B.log")
	[ -n "$PORT_B" ] && break
	sleep 0.05
done
check "two collectors run on one database with one key file" test -n "$PORT_A" -a -n "$PORT_B"
trust_of() { # trust_of PORT FILE: the document B or A serves, into FILE
	curl -sS --max-time 20 -H "Authorization: Bearer $AGENT_TOK" \
		"http://127.0.0.1:$1/api/v1/trust" >"$2"
}
serial_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["serial"])' "$1"; }
trust_of "$PORT_B" "$W/before.json"
code=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ADMIN_TOK" \
	--data-binary '{"host":"uccx1.lab.example","sha256":"00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF","force":true}' \
	"http://127.0.0.1:$PORT_A/api/v1/approvals")
trust_of "$PORT_B" "$W/after.json"
check "an approval at A: 201, and B's document has the next serial" \
	test "$code:$(serial_of "$W/before.json"):$(serial_of "$W/after.json")" = 201:0:1
python3 -c 'import json,sys,base64
d = json.load(open(sys.argv[1])); sig = d.pop("signature")
open(sys.argv[2], "wb").write(json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode())
open(sys.argv[3], "wb").write(base64.b64decode(sig))' "$W/after.json" "$W/after.canon" "$W/after.sig"
check "B's document verifies with the key printed once for both" \
	bash -c "openssl dgst -sha256 -verify '$W/trust.pub' -signature '$W/after.sig' '$W/after.canon' | grep -qx 'Verified OK'"
finish
