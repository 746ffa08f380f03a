#!/usr/bin/env bash
# test_collector_pg.sh: the collector on PostgreSQL (a throwaway cluster):
# the whole API test of test_collector.sh, then two collectors sharing one
# database (duplicates across instances, racing reports, the same fleet
# view), answers identical to SQLite's, schema versions, and a server restart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"

COL=$BUILD/uccx-trust-collector
SAMPLE=$UCT_SOURCE_DIR/tests/collector/sample-report.json
W=$T_WORK
PIDS=()

stop_all() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	PIDS=()
}
trap 'stop_all; pg_stop; cleanup' EXIT

pg_start
echo "# PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"

# ---- the API test, unchanged, against PostgreSQL ----
pg_sql postgres "CREATE DATABASE uct_api"
set +e
UCT_COLLECTOR_DB=$(pg_url uct_api) \
UCT_COLLECTOR_DB_SHOWN="postgresql://uct:***@127.0.0.1:$PG_PORT/uct_api" \
	bash "$(dirname "$0")/test_collector.sh" >"$W/api.out" 2>&1
rc=$?
set -e
sed 's/^/# api: /' "$W/api.out"
check "test_collector.sh passes against PostgreSQL" \
	test "$rc" -eq 0 -a "$(grep -c '^ok - ' "$W/api.out")" -ge 50

# ---- the store's unit tests against PostgreSQL ----
pg_sql postgres "CREATE DATABASE uct_unit"
set +e
UCT_TEST_PG_URL=$(pg_url uct_unit) CK_DEFAULT_TIMEOUT=60 "$BUILD/collector/test_collector_db" \
	>"$W/unit.out" 2>&1
rc=$?
set -e
sed 's/^/# unit: /' "$W/unit.out"
check "test_collector_db (batches, queries, concurrent writer) passes on PostgreSQL" test "$rc" -eq 0

# ---- two collectors sharing one database ----
head -c 24 /dev/urandom | base64 >"$W/agent.tok"
head -c 24 /dev/urandom | base64 >"$W/admin.tok"
AGENT_TOK=$(cat "$W/agent.tok")
ADMIN_TOK=$(cat "$W/admin.tok")

# launch NAME DB: a collector on a free port, in the background.
launch() {
	"$COL" --listen 127.0.0.1:0 --db "$2" --agent-token-file "$W/agent.tok" \
		--admin-token-file "$W/admin.tok" 2>"$W/$1.log" &
	PIDS+=($!)
}
# port_of NAME: waits (10 s at most) for the start-up line; prints the port.
port_of() {
	local port="" _
	for _ in $(seq 200); do
		port=$(sed -n 's/.*listening on [a-z]*:\/\/[^ ]*:\([0-9]*\),.*/\1/p' "$W/$1.log")
		[ -n "$port" ] && break
		grep -q 'error' "$W/$1.log" && break
		sleep 0.05
	done
	echo "$port"
}
report() { # report ID HOST TIME [trusted]
	sed -e "s/\"report_id\":\"[^\"]*\"/\"report_id\":\"$1\"/" \
	    -e "s/\"host_name\":\"[^\"]*\"/\"host_name\":\"$2\"/" \
	    -e "s/\"time\":\"[^\"]*\"/\"time\":\"$3\"/" "$SAMPLE" |
	if [ "${4:-}" = trusted ]; then sed 's/"verdict":"not-trusted"/"verdict":"trusted"/g'; else cat; fi
}
uuid() { printf '%08x-0000-4000-8000-%012x' "$1" "$1"; }
post() { # post PORT FILE -> CODE BODY
	BODY=$(curl -sS --max-time 20 -w '\n%{http_code}' -H "Authorization: Bearer $AGENT_TOK" \
		--data-binary "@$2" "http://127.0.0.1:$1/api/v1/reports" 2>/dev/null) || true
	CODE=${BODY##*$'\n'}
	BODY=${BODY%$'\n'*}
}
get() { # get PORT PATH -> CODE BODY
	BODY=$(curl -sS --max-time 20 -w '\n%{http_code}' -H "Authorization: Bearer $ADMIN_TOK" \
		"http://127.0.0.1:$1$2" 2>/dev/null) || true
	CODE=${BODY##*$'\n'}
	BODY=${BODY%$'\n'*}
}

pg_sql postgres "CREATE DATABASE uct_pair"
URL=$(pg_url uct_pair)
# Both start at once against the empty database: one creates the schema.
launch A "$URL"
launch B "$URL"
PORT_A=$(port_of A)
PORT_B=$(port_of B)
check "two collectors started together on one empty database both run" \
	test -n "$PORT_A" -a -n "$PORT_B"
check "the schema was created once (schema_version 4, one row)" \
	test "$(pg_sql uct_pair "SELECT COUNT(*) || ':' || MAX(version) FROM schema_version")" = 1:4
check "the start-up log names the store and masks the password" \
	bash -c "grep -qF 'postgresql://uct:***@127.0.0.1:$PG_PORT/uct_pair (postgresql)' '$W/A.log' &&
		! grep -qF '$PG_PASSWORD' '$W/A.log' '$W/B.log'"

report "$(uuid 1)" pc-a.corp.example 2026-01-01T00:00:00Z >"$W/one.json"
post "$PORT_A" "$W/one.json"
check "a report posted to A: 202, new" test "$CODE" = 202 -a "$BODY" = "{\"id\":\"$(uuid 1)\",\"duplicate\":false}"
post "$PORT_B" "$W/one.json"
check "the same report posted to B: 202, duplicate" \
	test "$CODE" = 202 -a "$BODY" = "{\"id\":\"$(uuid 1)\",\"duplicate\":true}"

# 40 hosts x 4 reports of increasing time, posted in a shuffled order, 8 at
# a time, alternating between the instances: each host must end on its
# newest report, whichever instance committed last.
: >"$W/jobs"
for h in $(seq 1 40); do
	for k in 0 1 2 3; do
		id=$((1000 + h * 10 + k))
		state=problem
		[ "$k" -eq 3 ] && [ $((h % 2)) -eq 0 ] && state=trusted
		report "$(uuid $id)" "$(printf 'pc-%04d.corp.example' "$h")" \
			"2026-02-0$((k + 1))T0$k:00:00Z" $state >"$W/r$id.json"
		echo "$W/r$id.json" >>"$W/jobs"
	done
done
shuf "$W/jobs" | awk -v a="$PORT_A" -v b="$PORT_B" '{print (NR % 2 ? a : b), $0}' >"$W/jobs.run"
start_ns=$(date +%s%N)
xargs -P 8 -n 2 sh -c 'curl -sS --max-time 30 -o /dev/null -w "%{http_code}\n" \
	-H "Authorization: Bearer $0" --data-binary "@$2" "http://127.0.0.1:$1/api/v1/reports"' \
	"$AGENT_TOK" <"$W/jobs.run" >"$W/codes" 2>/dev/null || true
ms=$((($(date +%s%N) - start_ns) / 1000000))
echo "# 160 reports (13 endpoints each) over two instances, 8 in flight: ${ms} ms"
check "160 concurrent reports over both instances: all 202" \
	test "$(grep -c '^202$' "$W/codes")" -eq 160

get "$PORT_A" "/api/v1/hosts?limit=1000"
hosts_a=$BODY
get "$PORT_B" "/api/v1/hosts?limit=1000"
hosts_b=$BODY
check "both instances see the whole fleet (41 hosts)" \
	bash -c "grep -qF '\"total\":41,' <<<'$hosts_a' && grep -qF '\"total\":41,' <<<'$hosts_b'"
check "both instances answer the same fleet view" test "$hosts_a" = "$hosts_b"
stale=0
for h in $(seq 1 40); do
	grep -qF "\"name\":\"$(printf 'pc-%04d.corp.example' "$h")\",\"state\":\"$([ $((h % 2)) -eq 0 ] && echo trusted || echo problem)\",\"report_id\":\"$(uuid $((1000 + h * 10 + 3)))\"" <<<"$hosts_a" ||
		stale=$((stale + 1))
done
check "every host shows its newest report, whatever the arrival order ($stale stale)" test "$stale" -eq 0
check "host_endpoints hold exactly the newest reports' endpoints (41 x 13)" \
	test "$(pg_sql uct_pair 'SELECT COUNT(*) FROM host_endpoints')" -eq 533

# Every report again, to the other instance: all duplicates, nothing stored.
awk '{print ($1 == "'"$PORT_A"'" ? "'"$PORT_B"'" : "'"$PORT_A"'"), $2}' "$W/jobs.run" >"$W/jobs.again"
xargs -P 8 -n 2 sh -c 'curl -sS --max-time 30 -w "\n" \
	-H "Authorization: Bearer $0" --data-binary "@$2" "http://127.0.0.1:$1/api/v1/reports"' \
	"$AGENT_TOK" <"$W/jobs.again" >"$W/again" 2>/dev/null || true
check "the 160 reports sent again to the other instance: 160 duplicates" \
	test "$(grep -o '"duplicate":true' "$W/again" | wc -l)" -eq 160
check "161 reports stored once each" test "$(pg_sql uct_pair 'SELECT COUNT(*) FROM reports')" -eq 161
get "$PORT_B" /metrics
check "metrics of B count the shared store" grep -qx 'uccx_collector_reports_stored 161' <<<"$BODY"

# ---- the same reports in SQLite: the same documents ----
launch S "$W/same.db"
PORT_S=$(port_of S)
post "$PORT_S" "$W/one.json"
while read -r _ f; do post "$PORT_S" "$f"; done <"$W/jobs.run"
strip() { sed 's/"received_at":"[^"]*"//g'; }
get "$PORT_S" "/api/v1/hosts?limit=1000"
check "hosts: SQLite and PostgreSQL answer the same document (received_at aside)" \
	test "$(strip <<<"$BODY")" = "$(strip <<<"$hosts_a")"
get "$PORT_S" "/api/v1/hosts?order=problems&limit=7&offset=7"
s_page=$(strip <<<"$BODY")
get "$PORT_A" "/api/v1/hosts?order=problems&limit=7&offset=7"
check "hosts?order=problems pages are the same" test "$s_page" = "$(strip <<<"$BODY")"
get "$PORT_S" "/api/v1/hosts?limit=5&after=pc-0017.corp.example&state=trusted"
s_page=$(strip <<<"$BODY")
get "$PORT_A" "/api/v1/hosts?limit=5&after=pc-0017.corp.example&state=trusted"
check "hosts?after=&state= pages are the same" test "$s_page" = "$(strip <<<"$BODY")"
get "$PORT_S" /api/v1/endpoints
s_eps=$BODY
get "$PORT_B" /api/v1/endpoints
check "endpoints: the same document" test "$s_eps" = "$BODY"
get "$PORT_S" /api/v1/hosts/pc-0007.corp.example
s_host=$(strip <<<"$BODY")
get "$PORT_A" /api/v1/hosts/pc-0007.corp.example
check "hosts/{name}: the same document" test "$s_host" = "$(strip <<<"$BODY")"

# ---- the server restarts under a running collector ----
pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 20 stop >/dev/null
report "$(uuid 9001)" pc-restart.corp.example 2026-03-01T00:00:00Z >"$W/down.json"
post "$PORT_A" "$W/down.json"
check "PostgreSQL down: 503 (the agent keeps its spool)" test "$CODE" = 503
pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
	-o "-k $PG_DIR -c listen_addresses=127.0.0.1 -p $PG_PORT" start >/dev/null
post "$PORT_A" "$W/down.json"
check "PostgreSQL back: the same report is accepted (reconnected)" \
	test "$CODE" = 202 -a "$(grep -c '"duplicate":false' <<<"$BODY")" -eq 1
post "$PORT_B" "$W/down.json"
check "and B, reconnected too, knows it" test "$CODE" = 202 -a "$(grep -c '"duplicate":true' <<<"$BODY")" -eq 1
get "$PORT_B" /api/v1/hosts/pc-restart.corp.example
check "B's read connection reconnects" test "$CODE" = 200
stop_all

# ---- schema versions ----
pg_sql uct_pair "INSERT INTO schema_version VALUES (5)"
set +e
"$COL" --listen 127.0.0.1:0 --db "$URL" --agent-token-file "$W/agent.tok" \
	--admin-token-file "$W/admin.tok" 2>"$W/newer.log"
rc=$?
set -e
check "a database of a newer schema is refused" test "$rc" -ne 0 -a "$(grep -c 'newer' "$W/newer.log")" -ge 1
set +e
"$COL" --listen 127.0.0.1:0 --db "postgresql://uct:wrong@127.0.0.1:$PG_PORT/uct_pair" \
	--agent-token-file "$W/agent.tok" --admin-token-file "$W/admin.tok" 2>"$W/wrong.log"
rc=$?
set -e
check "a wrong password: exit non-zero, the reason logged, the password not" \
	test "$rc" -ne 0 -a "$(grep -c 'password authentication failed' "$W/wrong.log")" -ge 1 \
	-a "$(grep -c 'wrong' "$W/wrong.log")" -eq 0

finish
