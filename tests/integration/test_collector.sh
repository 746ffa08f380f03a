#!/usr/bin/env bash
# test_collector.sh: the real uccx-trust-collector on 127.0.0.1 with a
# temporary SQLite file (or the empty database UCT_COLLECTOR_DB names), driven
# with curl: ingestion, rejections, fleet queries, metrics, crash durability,
# graceful shutdown and TLS. test_collector_pg.sh runs it against PostgreSQL.
. "$(dirname "$0")/lib.sh"

SAMPLE=$UCT_SOURCE_DIR/tests/collector/sample-report.json
W=$T_WORK
col_tokens
AGENT_TOK=$(cat "$W/agent.tok")
ADMIN_TOK=$(cat "$W/admin.tok")
COL_SCHEME=http
COL_DB=${UCT_COLLECTOR_DB:-$W/col.db}
COL_DB_SHOWN=${UCT_COLLECTOR_DB_SHOWN:-$COL_DB} # as the start-up log shows it

stop_collector() { col_stop; }
# start_collector [flags...]: starts it on a free port; sets PORT and URL.
start_collector() {
	col_start 0 "$COL_DB" "$@"
	PORT=$COL_PORT
	URL=$COL_SCHEME://127.0.0.1:$PORT
	[ -n "$PORT" ]
}

# report ID HOST [trusted] [FINGERPRINT]: a 13-endpoint report from the sample.
report() {
	local id=$1 host=$2 state=${3:-problem} fp=${4:-}
	sed -e "s/\"report_id\":\"[^\"]*\"/\"report_id\":\"$id\"/" \
	    -e "s/\"host_name\":\"[^\"]*\"/\"host_name\":\"$host\"/" "$SAMPLE" |
	if [ "$state" = trusted ]; then sed 's/"verdict":"not-trusted"/"verdict":"trusted"/g'; else cat; fi |
	if [ -n "$fp" ]; then sed "0,/\"sha256\":\"[^\"]*\"/s//\"sha256\":\"$fp\"/"; else cat; fi
}
uuid() { printf '%08x-0000-4000-8000-%012x' "$1" "$1"; }

# post FILE [curl args...]: sets CODE and BODY.
post() {
	local file=$1
	shift
	BODY=$(curl -sS --max-time 20 "${CURL_TLS[@]}" -o - -w '\n%{http_code}' \
		-H "Authorization: Bearer $AGENT_TOK" -H 'Content-Type: application/json' \
		--data-binary "@$file" "$@" "$URL/api/v1/reports" 2>/dev/null) || true
	CODE=${BODY##*$'\n'}
	BODY=${BODY%$'\n'*}
}
get() { # get PATH [token] -> CODE, BODY
	local tok=${2:-$ADMIN_TOK}
	BODY=$(curl -sS --max-time 20 "${CURL_TLS[@]}" -w '\n%{http_code}' \
		-H "Authorization: Bearer $tok" "$URL$1" 2>/dev/null) || true
	CODE=${BODY##*$'\n'}
	BODY=${BODY%$'\n'*}
}
has() { grep -qF -- "$2" <<<"$1"; }
CURL_TLS=()

# ---- start-up rules ----
set +e
"$COL" --listen 0.0.0.0:0 --db "$W/x.db" --agent-token-file "$W/agent.tok" \
	--admin-token-file "$W/admin.tok" 2>"$W/refuse.log"
rc=$?
set -e
check "plain HTTP on a non-loopback address is refused" \
	test "$rc" -ne 0 -a "$(grep -c 'loopback' "$W/refuse.log")" -ge 1
check "--version answers" bash -c "'$COL' --version | grep -q '^uccx-trust-collector [0-9]'"
set +e
"$COL" --listen 127.0.0.1:0 --db "$W/x.db" --agent-token-file "$W/agent.tok" --admin-token-file "$W/agent.tok" --bogus 2>/dev/null
rc=$?
set -e
check "an unknown flag exits 2" test "$rc" -eq 2

# The INI file: [collector] keys as the flags, in the agent's dialect.
cat >"$W/twice.ini" <<INI
[collector]
db = $W/x.db
listen = 127.0.0.1:0
db = $W/y.db
INI
set +e
"$COL" --config "$W/twice.ini" 2>"$W/twice.log"
rc=$?
set -e
check "a key given twice in the INI file exits 2, naming both lines" \
	bash -c "[ $rc -eq 2 ] && grep -qF \"twice.ini:4: 'db' is set twice in [collector] (also on line 2)\" '$W/twice.log'"
cat >"$W/collector.ini" <<INI
[collector]
listen = 127.0.0.1:0  # any free port
db = $COL_DB
agent_token_file = $W/agent.tok
admin_token_file = $W/admin.tok
INI
"$COL" --config "$W/collector.ini" 2>"$W/col.log" &
COL_PID=$!
for _ in $(seq 100); do grep -q 'listening' "$W/col.log" && break; sleep 0.05; done
check "starts from an INI file" grep -qF "database $COL_DB_SHOWN " "$W/col.log"
stop_collector

start_collector
check "the start-up log says plain HTTP is loopback only" grep -q 'loopback only' "$W/col.log"

# ---- ingestion ----
report "$(uuid 1)" pc-0001.corp.example >"$W/r1.json"
post "$W/r1.json"
check "a report is accepted with 202 and its id" \
	test "$CODE" = 202 -a "$BODY" = "{\"id\":\"$(uuid 1)\",\"duplicate\":false}"
post "$W/r1.json"
check "the same report_id again: 202, duplicate" test "$CODE" = 202 -a "$(has "$BODY" '"duplicate":true' && echo y)" = y

# ---- 400 cases: FILE-CONTENT DESCRIPTION EXPECTED-MESSAGE-PART ----
bad() {
	local desc=$1 expect=$2
	cat >"$W/bad.json"
	post "$W/bad.json"
	check "400: $desc" test "$CODE" = 400 -a "$(has "$BODY" "$expect" && echo y)" = y
}
echo 'not json' | bad "not JSON" "malformed JSON"
echo '[1,2]' | bad "an array, not an object" "JSON object"
report "$(uuid 2)" h | sed 's/"schema":1/"schema":2/' | bad "schema 2" "schema"
report "$(uuid 2)" h | sed 's/"report_id":"[^"]*",//' | bad "no report_id" "report_id"
report "not-a-uuid" h | bad "report_id not a UUID" "report_id"
report "$(uuid 2)" h | sed 's/"host_name":"h",//' | bad "no host_name" "host_name"
report "$(uuid 2)" '' | bad "empty host_name" "host_name"
report "$(uuid 2)" h | sed 's/"version":"[^"]*",//' | bad "no agent version" "version"
report "$(uuid 2)" h | sed 's/"time":"[^"]*"/"time":"yesterday"/' | bad "time not RFC 3339" "time"
report "$(uuid 2)" h | sed 's/"endpoints":\[/"endpoints":{"x":[/; s/\],"changes"/]},"changes"/' |
	bad "endpoints not an array" "endpoints"
report "$(uuid 2)" h | sed '0,/"url":"[^"]*",/s///' | bad "an endpoint without url" "endpoints[0].url"
report "$(uuid 2)" h | sed '0,/"certificate":{[^}]*}/s//"certificate":null/' |
	bad "fetch ok without a certificate" "endpoints[0].certificate"
report "$(uuid 2)" h | sed '0,/"sha256":"[^"]*"/s//"sha256":"ABCD"/' | bad "a bad sha256" "sha256"
report "$(uuid 2)" h | sed 's/^{/{"host_name":"twice",/' | bad "a duplicate key" "duplicate"
report "$(uuid 2)" h | sed 's/"host_name":"h"/"host_name":"pc\\u202egro.live"/' |
	bad "a right-to-left override in host_name" "host_name"
# jansson's message quotes the token it stopped at; the answer stays JSON
# in ASCII, the quoted character escaped.
printf '{"schema":1,"host_name":\xc3\xa9}\n' >"$W/bad.json"
post "$W/bad.json"
check "400: a message quoting non-ASCII input is answered in JSON and ASCII" python3 -c \
	'import json,sys; d=json.loads(sys.argv[2].encode("ascii")); assert sys.argv[1] == "400" and "near \u00e9" in d["error"].replace(chr(39), "")' "$CODE" "$BODY"
get "/api/v1/hosts/h"
check "no rejected report was stored" test "$CODE" = 404

# ---- 401 ----
BODY=$(curl -sS -o /dev/null -w '%{http_code}' --data-binary @"$W/r1.json" "$URL/api/v1/reports")
check "401 without a token" test "$BODY" = 401
AGENT_TOK_SAVE=$AGENT_TOK
AGENT_TOK=${AGENT_TOK_SAVE}x post "$W/r1.json"
check "401 with a wrong token" test "$CODE" = 401
AGENT_TOK=$ADMIN_TOK post "$W/r1.json"
check "401 for the admin token on the agent endpoint" test "$CODE" = 401
AGENT_TOK=$AGENT_TOK_SAVE
get /api/v1/hosts "$AGENT_TOK"
check "403 for the agent token on the read API" test "$CODE" = 403
get /metrics none
check "401 for /metrics without the admin token" test "$CODE" = 401

# ---- 413 ----
{ printf '{"schema":1,"pad":"'; head -c 1100000 /dev/zero | tr '\0' a; printf '"}'; } >"$W/big.json"
post "$W/big.json"
check "413 past 1 MiB (Content-Length)" test "$CODE" = 413
post "$W/big.json" -H 'Transfer-Encoding: chunked'
check "413 past 1 MiB (chunked, counted while reading)" test "$CODE" = 413
report "$(uuid 3)" pc-0002.corp.example trusted >"$W/r3.json"
post "$W/r3.json"
check "the collector still accepts after a 413" test "$CODE" = 202

# ---- queries ----
FP2="00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"
report "$(uuid 4)" pc-0003.corp.example trusted "$FP2" >"$W/r4.json"
post "$W/r4.json"
get "/api/v1/hosts"
check "hosts: three hosts" has "$BODY" '"total":3'
get "/api/v1/hosts?state=trusted"
check "hosts?state=trusted: two" test "$(has "$BODY" '"total":2' && ! has "$BODY" pc-0001 && echo y)" = y
get "/api/v1/hosts?state=problem"
check "hosts?state=problem: pc-0001 only" test "$(has "$BODY" '"total":1' && has "$BODY" pc-0001 && echo y)" = y
get "/api/v1/hosts?state=bogus"
check "hosts?state=bogus: 400" test "$CODE" = 400
get "/api/v1/hosts?endpoint=https%3A%2F%2Fuccx1.lab.example%2Fappadmin%2Fmain"
check "hosts?endpoint=URL: all three see it" has "$BODY" '"total":3'
get "/api/v1/hosts?endpoint=https%3A%2F%2Fnowhere.example%2F"
check "hosts?endpoint=unknown URL: none" has "$BODY" '"total":0'
get "/api/v1/hosts?expiring_within=400"
check "hosts?expiring_within=400 days: the sample certificates (one year)" has "$BODY" '"total":3'
get "/api/v1/hosts?expiring_within=30"
check "hosts?expiring_within=30 days: none" has "$BODY" '"total":0'
get "/api/v1/hosts?limit=2"
check "pagination: two hosts and a next_after" has "$BODY" '"next_after":"pc-0002.corp.example"'
check "pagination: a next link keeps the query" has "$BODY" '"next":"/api/v1/hosts?limit=2&after=pc-0002.corp.example"'
get "/api/v1/hosts?order=problems&limit=1"
check "pagination: order=problems links the next offset" \
	has "$BODY" '"next":"/api/v1/hosts?order=problems&limit=1&offset=1"'
get "/api/v1/hosts?state=trusted&endpoint=https%3A%2F%2Fuccx1.lab.example%2Fappadmin%2Fmain&limit=1"
check "pagination: the next link keeps the filters, escaped" \
	has "$BODY" '"next":"/api/v1/hosts?state=trusted&endpoint=https%3A%2F%2Fuccx1.lab.example%2Fappadmin%2Fmain&limit=1&after=pc-0002.corp.example"'
get "$(jq_py "$BODY" 'd["next"]')"
check "pagination: following it gives the last trusted host" \
	test "$(jq_py "$BODY" '[h["name"] for h in d["hosts"]] == ["pc-0003.corp.example"] and "next" not in d')" = True
get "/api/v1/hosts?limit=2&after=pc-0002.corp.example"
check "pagination: the next page has the third" \
	test "$(has "$BODY" pc-0003 && ! has "$BODY" next_after && echo y)" = y
get "/api/v1/hosts?order=problems&limit=1"
check "order=problems: a problem host first" has "$BODY" '"name":"pc-0001.corp.example"'
get "/api/v1/hosts/pc-0001.corp.example"
check "hosts/{name}: the last report in full" \
	test "$(has "$BODY" '"report":{"schema":1' && has "$BODY" '"stores":[' && echo y)" = y
get "/api/v1/hosts/unknown.example"
check "hosts/{unknown}: 404" test "$CODE" = 404

# An older report (spooled while offline) does not replace the latest.
report "$(uuid 5)" pc-0003.corp.example | sed 's/"time":"[^"]*"/"time":"2020-01-01T00:00:00Z"/' >"$W/r5.json"
post "$W/r5.json"
get "/api/v1/hosts/pc-0003.corp.example"
check "a late older report is stored but does not change the host" \
	test "$CODE" = 200 -a "$(has "$BODY" "\"report_id\":\"$(uuid 4)\"" && has "$BODY" '"state":"trusted"' && echo y)" = y

get "/api/v1/endpoints?limit=5"
check "endpoints: paged by URL, 5 of 13 with a next link" \
	test "$(jq_py "$BODY" 'len(d["endpoints"]) == 5 and d["total"] == 13 and d["next"] == "/api/v1/endpoints?limit=5&after=" + __import__("urllib.parse").parse.quote(d["endpoints"][-1]["url"], safe="")')" = True
get "$(jq_py "$BODY" 'd["next"]')"
check "endpoints: the next page starts after the last URL" \
	test "$(jq_py "$BODY" 'len(d["endpoints"]) == 5 and "next" in d')" = True
get "/api/v1/endpoints?limit=501"
check "endpoints: limit past 500 is refused" test "$CODE" = 400
get /api/v1/endpoints
appadmin=$(grep -o '{"url":"https://uccx1.lab.example/appadmin/main"[^]]*][^}]*}' <<<"$BODY")
check "endpoints: two fingerprints for appadmin, flagged" \
	test "$(has "$appadmin" "$FP2" && has "$appadmin" '"flag":"rotation or man in the middle"' && echo y)" = y
notif=$(grep -o '{"url":"https://uccx1.lab.example:7443/"[^]]*][^}]*}' <<<"$BODY")
check "endpoints: one fingerprint seen by 3 hosts, not flagged" \
	test "$(has "$notif" '"hosts":3' && has "$notif" '"flag":null' && echo y)" = y

# ---- metrics ----
get /metrics
printf '%s' "$BODY" >"$W/metrics.txt"
check "metrics: every line is a comment or NAME{labels} VALUE" \
	bash -c "! grep -Ev '^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{[a-z]+=\"[a-z_]+\"\})? [0-9]+)$' '$W/metrics.txt'"
check "metrics: reports received" grep -qx 'uccx_collector_reports_received_total 4' "$W/metrics.txt"
check "metrics: rejected by reason" bash -c "grep -qx 'uccx_collector_reports_rejected_total{reason=\"too_large\"} 2' '$W/metrics.txt' &&
	grep -qx 'uccx_collector_reports_rejected_total{reason=\"unauthorized\"} 3' '$W/metrics.txt' &&
	grep -qx 'uccx_collector_reports_rejected_total{reason=\"malformed_json\"} 3' '$W/metrics.txt' &&
	grep -qx 'uccx_collector_reports_rejected_total{reason=\"invalid_report\"} 13' '$W/metrics.txt'"
check "metrics: hosts, problems, several fingerprints" bash -c "grep -qx 'uccx_collector_hosts 3' '$W/metrics.txt' &&
	grep -qx 'uccx_collector_hosts_with_problems 1' '$W/metrics.txt' &&
	grep -qx 'uccx_collector_endpoints_several_fingerprints 1' '$W/metrics.txt'"

# ---- a report from the future does not freeze its host ----
# Any PC can read the agent token: a report dated 9999 is clamped to the
# receive time plus five minutes, and the host's next report replaces it.
report "$(uuid 9)" pc-future.corp.example trusted |
	sed 's/"time":"[^"]*"/"time":"9999-12-31T23:59:59Z"/' >"$W/r9.json"
post "$W/r9.json"
check "a report dated 9999-12-31 is accepted" test "$CODE" = 202
get /api/v1/hosts/pc-future.corp.example
check "its time is clamped to the receive time plus the skew" \
	test "$(has "$BODY" '"report_time":"9999' && echo y)" != y -a "$CODE" = 200
report "$(uuid 10)" pc-future.corp.example |
	sed "s/\"time\":\"[^\"]*\"/\"time\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"/" >"$W/r10.json"
post "$W/r10.json"
get /api/v1/hosts/pc-future.corp.example
check "the genuine report that follows it wins" \
	test "$(has "$BODY" "\"report_id\":\"$(uuid 10)\"" && has "$BODY" '"state":"problem"' && echo y)" = y

# ---- text from a server stays data in the answers ----
report "$(uuid 11)" pc-text.corp.example |
	sed '0,/"reason":null/s//"reason":"CN=\\u202eevil \\u0085\\u2028<script>\xe2\x80\xae"/' >"$W/r11.json"
post "$W/r11.json"
check "a reason holding an override, a C1 control and markup is accepted" test "$CODE" = 202
get /api/v1/hosts/pc-text.corp.example
printf '%s' "$BODY" >"$W/text.json"
check "the API answers it in ASCII, the override as \\u202e" \
	bash -c "! LC_ALL=C grep -q \$'[\x80-\xff]' '$W/text.json' && grep -qiF 'CN=\u202eevil \u0085\u2028<script>\u202e' '$W/text.json'"

# ---- dashboard ----
page=$(curl -sS -D "$W/headers" "$URL/")
check "dashboard: served at / as HTML" grep -qi '^content-type: text/html' "$W/headers"
check "dashboard: no external assets" bash -c "! grep -Eq '(src|href)=\"(https?:)?//' <<<'${page//\'/}'"

# ---- durability: SIGKILL right after a 202 ----
report "$(uuid 6)" pc-kill.corp.example >"$W/r6.json"
post "$W/r6.json"
kill -KILL "$COL_PID"
wait "$COL_PID" 2>/dev/null || true
COL_PID=
start_collector
get /api/v1/hosts/pc-kill.corp.example
check "SIGKILL right after 202, restart: the report is there" \
	test "$CODE" = 200 -a "$(has "$BODY" "$(uuid 6)" && echo y)" = y

# ---- graceful shutdown: a slow upload in progress is finished ----
report "$(uuid 7)" pc-slow.corp.example >"$W/r7.json"
curl -sS --max-time 30 -o "$W/slow.out" -w '%{http_code}' --limit-rate 8K \
	-H "Authorization: Bearer $AGENT_TOK" --data-binary @"$W/r7.json" \
	"$URL/api/v1/reports" >"$W/slow.code" 2>/dev/null &
slow=$!
sleep 0.5
kill -TERM "$COL_PID"
set +e
wait "$slow"
wait "$COL_PID"
rc=$?
set -e
COL_PID=
check "SIGTERM during an upload: that request still gets 202" test "$(cat "$W/slow.code")" = 202
check "SIGTERM: exit status 0 after finishing" test "$rc" -eq 0
start_collector
get /api/v1/hosts/pc-slow.corp.example
check "the report finished during shutdown is stored" test "$CODE" = 200
stop_collector

# ---- a slow client is cut off ----
# A client that sends half a request and then nothing must not hold a
# connection: with --timeout 2 the collector closes it on its own.
start_collector --timeout 2
exec 7<>"/dev/tcp/127.0.0.1/$PORT"
printf 'POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: 100000\r\n\r\n{"sch' "$AGENT_TOK" >&7
t0=$(date +%s%N)
set +e
timeout 10 cat <&7 >/dev/null
closed=$?
set -e
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
exec 7<&- 7>&-
check "a stalled upload is cut off by the idle timeout (after ${ms} ms)" \
	bash -c "[ $closed -ne 124 ] && [ $ms -ge 1500 ] && [ $ms -lt 6000 ]"
stop_collector

# ---- TLS ----
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/tls.key" -out "$W/tls.crt" -days 2 \
	-subj "/CN=collector.test" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>/dev/null
COL_SCHEME=https
CURL_TLS=(--cacert "$W/tls.crt")
start_collector --tls-cert "$W/tls.crt" --tls-key "$W/tls.key"
report "$(uuid 8)" pc-tls.corp.example >"$W/r8.json"
post "$W/r8.json"
check "TLS: a report over HTTPS, verified with --cacert" test "$CODE" = 202
get /api/v1/hosts/pc-tls.corp.example
check "TLS: the read API over HTTPS" test "$CODE" = 200
check "TLS: plain HTTP to the TLS port fails" \
	bash -c "! curl -sS --max-time 5 -o /dev/null http://127.0.0.1:$PORT/ 2>/dev/null | grep -q ."
stop_collector

finish
