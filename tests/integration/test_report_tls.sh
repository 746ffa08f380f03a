#!/usr/bin/env bash
# test_report_tls.sh: reporting to a collector over HTTPS (a certificate
# generated here): the collector's public key pinned with [report] pin or
# --report-pin (a wrong pin keeps the report in the spool and says "pin
# mismatch"), and 'status --report', which sends the state and the spool.
. "$(dirname "$0")/lib.sh"

W=$T_WORK
col_tokens

# The collector's certificate, and an unrelated key for the wrong pin.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/tls.key" -out "$W/tls.crt" -days 2 \
	-subj "/CN=collector.test" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/other.key" 2>/dev/null
# The pin, as the manual page says to compute it.
pin_of_cert() { openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64; }
PIN="sha256//$(pin_of_cert "$W/tls.crt")"
WRONG="sha256//$(openssl pkey -in "$W/other.key" -pubout -outform der | openssl dgst -sha256 -binary | base64)"

col_start 0 "$W/col.db" --tls-cert "$W/tls.crt" --tls-key "$W/tls.key" || true
PORT=$COL_PORT
check "the collector listens with TLS" test -n "$PORT"
URL=https://127.0.0.1:$PORT
api() { curl -sS --max-time 10 --cacert "$W/tls.crt" -H "Authorization: Bearer $(cat "$W/admin.tok")" "$URL$1"; }
metric() { api /metrics | awk -v m="$1" '$1 == m { print $2 }'; }
has() { grep -qF -- "$2" <<<"$1"; }
rc_and() { [ "$RC" -eq "$1" ] && has "$OUT" "$2"; } # rc_and CODE TEXT
spool_count() { find "$W/state/spool" -maxdepth 1 -type f -name '*.json' 2>/dev/null | wc -l; }

lab_start "$W/lab" selfsigned
new_home "$W/home"
agent_args "$W/home" "$W/lab" "$W/state"
BASE=(--report-url "$URL/api/v1/reports" --report-token-file "$W/agent.tok" --report-ca "$W/tls.crt")

run_agent install "${BASE[@]}" --report-pin "$PIN"
check "install with the right pin exits 0" [ "$RC" -eq 0 ]
check "... and its report is sent" grep -q "Report: 1 sent to the collector, 0 waiting" <<<"$OUT"
check "the collector stored it" [ "$(metric uccx_collector_reports_stored)" = 1 ]

run_agent check "${BASE[@]}" --report-pin "$WRONG"
check "a wrong pin does not change the exit code" [ "$RC" -eq 0 ]
check "a wrong pin: the message says pin mismatch" grep -q "pin mismatch" <<<"$OUT"
check "a wrong pin: the report is kept in the spool" [ "$(spool_count)" -eq 1 ]
check "a wrong pin: nothing reached the collector" [ "$(metric uccx_collector_reports_stored)" = 1 ]

# The pin is checked on top of the certificate: without --report-ca the
# chain check fails first, and the pin never weakens it.
run_agent check --report-url "$URL/api/v1/reports" --report-token-file "$W/agent.tok" --report-pin "$PIN"
check "the right pin does not replace the certificate check" \
	bash -c "[ $(spool_count) -eq 2 ]"

# Two pins (a key rollover): either key is accepted. From the file.
cat >"$W/agent.ini" <<INI
[report]
url = $URL/api/v1/reports
token_file = $W/agent.tok
ca = $W/tls.crt
pin = $WRONG;$PIN
INI
# The collector orders a host's reports by their time (1 s resolution): the
# status report must be the newest for the fleet-view check below to mean
# anything.
sleep 1.1
run_agent status --report --config "$W/agent.ini"
check "status --report exits 0" [ "$RC" -eq 0 ]
check "status --report sends the waiting reports and its own" \
	grep -q "Report: 3 sent to the collector, 0 waiting" <<<"$OUT"
check "the spool is empty" [ "$(spool_count)" -eq 0 ]
check "the collector now holds four reports" [ "$(metric uccx_collector_reports_stored)" = 4 ]
# Reports of one second may arrive in any order: read the status report
# itself from the collector's database rather than the host's latest.
check "the status report carries the installed state" python3 -c '
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = [json.loads(b) for (b,) in db.execute("SELECT body FROM reports")]
st = [r for r in rows if r["command"] == "status"]
assert len(st) == 1, [r["command"] for r in rows]
s = st[0]["state"]
assert s["last_command"] == "install" and len(s["installed"]) == 10, s
' "$W/col.db"

check "a status report leaves the host's fleet view on its last run" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["host"]["endpoints"] == 13, d["host"]
assert d["report"]["command"] != "status", d["report"]["command"]
' "$(api "/api/v1/hosts/$(hostname)")"

run_agent status --config "$W/agent.ini"
check "plain status sends nothing" [ "$(metric uccx_collector_reports_stored)" = 4 ]
run_agent status --report --json --config "$W/agent.ini"
check "status --report --json: one JSON document on standard output" python3 -c 'import json,sys; json.loads(sys.argv[1])' "$OUT"

# Usage errors: exit 2 with a message naming the fix.
run_agent check --report --config "$W/agent.ini"
check "--report with check is a usage error" rc_and 2 "goes with the status command"
run_agent status --report
check "status --report without a collector is an error" rc_and 2 "no collector"
run_agent check "${BASE[@]}" --report-pin "sha256//not-base64"
check "a malformed pin is refused before anything runs" rc_and 2 "is not a public key pin"
run_agent check "${BASE[@]}" --report-pin "$(pin_of_cert "$W/tls.crt")"
check "a pin without sha256// is refused" [ "$RC" -eq 2 ]

finish
