#!/usr/bin/env bash
# test_report.sh: the agent reports each run to the real collector; with
# the collector down the report waits in the spool and goes with the next
# run; the spool is bounded, a malformed or re-sent report blocks nothing,
# and reporting never changes the run's outcome.
. "$(dirname "$0")/lib.sh"

W=$T_WORK
col_tokens
echo "not-the-token-of-this-collector" >"$W/wrong.tok"
PORT=

# start_collector: on PORT if set (a restart keeps the agent's URL), else a free one.
start_collector() { col_start "${PORT:-0}" "$W/col.db" && PORT=$COL_PORT; }
stop_collector() { col_stop; }
api() { curl -sS --max-time 10 -H "Authorization: Bearer $(cat "$W/admin.tok")" "http://127.0.0.1:$PORT$1"; }
metric() { api /metrics | awk -v m="$1" '$1 == m { print $2 }'; }
spool_count() { find "$W/state/spool" -maxdepth 1 -type f -name '*.json' 2>/dev/null | wc -l; }

lab_start "$W/lab" selfsigned
new_home "$W/home"
agent_args "$W/home" "$W/lab" "$W/state"
start_collector
BASE=(--report-url "http://127.0.0.1:$PORT/api/v1/reports" --report-token-file "$W/agent.tok")
HOSTNAME_NOW=$(hostname)

run_agent install "${BASE[@]}"
check "install with a collector exits 0" [ "$RC" -eq 0 ]
check "the text says the report was sent" grep -q "Report: 1 sent to the collector, 0 waiting" <<<"$OUT"
check "the spool is empty once delivered" [ "$(spool_count)" -eq 0 ]
host_json=$(api "/api/v1/hosts/$HOSTNAME_NOW")
check "the collector knows this PC, trusted, with 13 endpoints" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
r = d["report"]
assert d["host"]["state"] == "trusted", d["host"]
assert len(r["endpoints"]) == 13
assert len(r["report_id"]) == 36 and r["report_id"][14] == "4"
assert r["command"] == "install" and r["exit_code"] == 0
' "$host_json"

# The collector goes away: the run is not slowed down much nor failed.
stop_collector
t0=$(date +%s%N)
run_agent check "${BASE[@]}"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "a dead collector does not change the exit code" [ "$RC" -eq 0 ]
check "a dead collector costs little (${ms} ms)" [ "$ms" -lt 5000 ]
check "the report waits in the spool" [ "$(spool_count)" -eq 1 ]
check "the user is told it waits" grep -q "waits for the next run" <<<"$OUT"
"$AGENT" check --json "${BASE[@]}" "${A[@]}" >"$W/out.json" 2>"$W/err.txt" || true
check "--json output stays one document while the collector is down" python3 -m json.tool "$W/out.json"
check "... the delivery problem goes to standard error" grep -q "waits for the next run" "$W/err.txt"
check "two reports wait" [ "$(spool_count)" -eq 2 ]

# Back again: the next run delivers everything, oldest first.
start_collector
run_agent check "${BASE[@]}"
check "the next run delivers the waiting reports and its own" grep -q "Report: 3 sent" <<<"$OUT"
check "the spool is empty again" [ "$(spool_count)" -eq 0 ]
check "the collector received 4 reports in all" [ "$(metric uccx_collector_reports_stored)" = 4 ]

# A report sent twice (a crash between the 2xx and the removal) is harmless.
mkdir -p "$W/state/spool"
api "/api/v1/hosts/$HOSTNAME_NOW" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["report"]))' \
	>"$W/state/spool/0000000001-resend.json"
run_agent check "${BASE[@]}"
check "a re-sent report is accepted as a duplicate" [ "$(metric uccx_collector_reports_duplicate_total)" = 1 ]
check "... and leaves the spool" [ "$(spool_count)" -eq 0 ]

# A malformed report never blocks the others.
echo '{"schema": 1, "this": "is not a report"}' >"$W/state/spool/0000000001-bad.json"
run_agent check "${BASE[@]}"
check "a malformed spooled report leaves the spool" [ "$(spool_count)" -eq 0 ]
check "... and the run's own report still arrives" [ "$(metric uccx_collector_reports_stored)" = 6 ]
check "... it is kept aside, not deleted" cmp -s "$W/state/spool.rejected/0000000001-bad.json" - \
	<<<'{"schema": 1, "this": "is not a report"}'
check "... and the user is told where" grep -q "refused a report as malformed (HTTP 400); it is kept in $W/state/spool.rejected/0000000001-bad.json" <<<"$OUT"
# What is set aside is bounded too.
for i in $(seq -w 1 15); do
	echo '{"schema": 1}' >"$W/state/spool/00000000$i-bad$i.json"
done
run_agent check "${BASE[@]}"
check "at most 10 refused reports are kept" [ "$(find "$W/state/spool.rejected" -type f | wc -l)" -le 10 ]
check "... the newest of them" [ -e "$W/state/spool.rejected/0000000015-bad15.json" ]
check "... and the spool is empty" [ "$(spool_count)" -eq 0 ]

# A wrong token: kept for later, with a hint.
run_agent check --report-url "http://127.0.0.1:$PORT/api/v1/reports" --report-token-file "$W/wrong.tok"
check "a refused token keeps the report" [ "$(spool_count)" -eq 1 ]
check "... and says to check the token" grep -q "check the token file" <<<"$OUT"

# The spool is bounded: the oldest reports go first, and are counted.
stop_collector
for i in $(seq -w 1 60); do
	echo '{}' >"$W/state/spool/00000000$i-old.json"
done
run_agent check "${BASE[@]}"
check "the spool keeps at most 50 reports" [ "$(spool_count)" -le 50 ]
check "the oldest were dropped" [ ! -e "$W/state/spool/0000000001-old.json" ]
check "the drop is counted" [ "$(cat "$W/state/spool.dropped")" -ge 11 ]
start_collector
rm -f "$W/state/spool/"*-old.json
# The collector shows the report with the latest time (1 s resolution).
sleep 1.1
run_agent check "${BASE[@]}"
check "the count travels with the next report" python3 -c '
import json, sys
r = json.loads(sys.argv[1])["report"]
assert r["reports_dropped"] >= 11, r["reports_dropped"]
' "$(api "/api/v1/hosts/$HOSTNAME_NOW")"
check "... and starts again once delivered" [ "$(cat "$W/state/spool.dropped")" -eq 0 ]

finish
