#!/usr/bin/env bash
# test_collector_flood.sh: a connection flood must not shut genuine agents
# out. From twenty loopback addresses, eight connections each (more than
# --max-connections in all, within the per-address limit) send the start
# of a request, never finish it, and are opened again as soon as the
# collector closes them. Meanwhile reports are posted from 127.0.0.1: each
# must be stored at the first try, quickly, and the collector must hold no
# more connections than --max-connections and stay small. Bounded: the flood
# lasts FLOOD_S seconds and opens at most 100,000 connections; curl has
# --max-time; only loopback is contacted.
. "$(dirname "$0")/lib.sh"

SAMPLE=$UCT_SOURCE_DIR/tests/collector/sample-report.json
FLOOD=$UCT_SOURCE_DIR/tests/integration/flood_clients.py
SAMPLER=$UCT_SOURCE_DIR/tests/integration/fd_sampler.py
W=$T_WORK
MAX=64       # --max-connections
PER=8        # --max-connections-per-address
HDR=30       # --header-timeout: longer than the flood, so only eviction helps
FLOOD_S=25   # the flood's duration
REPORTS=20   # genuine reports posted during the flood
col_tokens
AGENT_TOK=$(cat "$W/agent.tok")
ADMIN_TOK=$(cat "$W/admin.tok")
FLOOD_PID=
SAMPLER_PID=
trap '[ -n "$FLOOD_PID" ] && kill "$FLOOD_PID" 2>/dev/null
      [ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null; cleanup' EXIT

uuid() { printf '%08x-0000-4000-8000-%012x' "$1" "$1"; }
report() { # report N: a report of pc-N with a fresh id
	sed -e "s/\"report_id\":\"[^\"]*\"/\"report_id\":\"$(uuid "$1")\"/" \
	    -e "s/\"host_name\":\"[^\"]*\"/\"host_name\":\"pc-$1.corp.example\"/" "$SAMPLE"
}
sockets() { # the collector's open sockets (listening, connections)
	find "/proc/$COL_PID/fd" -lname 'socket:*' 2>/dev/null | wc -l
}

col_start 0 "$W/col.db" --max-connections "$MAX" --max-connections-per-address "$PER" \
	--header-timeout "$HDR" --body-timeout "$HDR"
PORT=$COL_PORT
URL=http://127.0.0.1:$PORT
check "the collector listens" test -n "$PORT"
ulimit -n 4096 2>/dev/null || true
BASE=$(sockets)

# The collector's sockets, about every millisecond, for as long as the flood lasts.
python3 "$SAMPLER" --pid "$COL_PID" --duration $((FLOOD_S + 5)) >"$W/sockets.json" &
SAMPLER_PID=$!
srcs=$(seq -s, -f '127.0.0.%g' 2 21)
python3 "$FLOOD" --port "$PORT" --sources "$srcs" --per-source "$PER" --duration "$FLOOD_S" \
	--max-connects 100000 --ready-file "$W/flood.ready" >"$W/flood.json" &
FLOOD_PID=$!
for _ in $(seq 100); do
	[ -e "$W/flood.ready" ] && break
	sleep 0.1
done
sleep 2 # the flood holds every slot it can by now

# Each report once, as an agent sends it: no second try.
ok_count=0 worst=0 t_all=$(ms_now)
for n in $(seq "$REPORTS"); do
	report "$n" >"$W/r.json"
	t0=$(ms_now)
	code=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' \
		-H "Authorization: Bearer $AGENT_TOK" --data-binary @"$W/r.json" \
		"$URL/api/v1/reports" 2>>"$W/curl.err") || true
	ms=$(($(ms_now) - t0))
	[ "$ms" -gt "$worst" ] && worst=$ms
	[ "$code" = 202 ] && ok_count=$((ok_count + 1))
	sleep 0.2
done
t_all=$(($(ms_now) - t_all))
flood_alive=0
kill -0 "$FLOOD_PID" 2>/dev/null && flood_alive=1
check "all $REPORTS reports posted during the flood get 202 at the first try ($ok_count; the slowest ${worst} ms)" \
	test "$ok_count" -eq "$REPORTS" -a "$worst" -lt 3000
check "the flood lasted for all of them (${t_all} ms)" test "$flood_alive" -eq 1
timed=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' \
	-H "Authorization: Bearer $ADMIN_TOK" "$URL/api/v1/hosts/pc-$REPORTS.corp.example") || true
check "and the dashboard's request for the last one gets 200" test "$timed" = 200

wait "$FLOOD_PID" || true
FLOOD_PID=
wait "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=
cat "$W/flood.json" "$W/sockets.json"
eval "$(python3 -c 'import json, sys
f = json.load(open(sys.argv[1]))
p = json.load(open(sys.argv[2]))
print("CONNECTS=%d CLOSED=%d peak=%d SAMPLES=%d" % (f["connects"], f["closed_by_server"],
      p["peak"], p["samples"]))' "$W/flood.json" "$W/sockets.json")"
echo "# flood: $CONNECTS connections opened, $CLOSED closed by the collector; at most $((peak - BASE)) held at once in $SAMPLES samples"
check "the collector's sockets were sampled often (at least 1000 times)" test "$SAMPLES" -ge 1000
check "the flood was a flood (at least 2000 connections, most closed by the collector)" \
	test "$CONNECTS" -ge 2000 -a "$CLOSED" -ge $((CONNECTS / 2))
check "the collector never held more than --max-connections ($MAX) connections" \
	test $((peak - BASE)) -le "$MAX"
rss=$(awk '/^VmHWM/ { print $2 }' "/proc/$COL_PID/status")
echo "# the collector's peak resident memory: $((rss / 1024)) MB"
check "the collector's peak memory stayed under 64 MB" test "$rss" -lt 65536

curl -sS --max-time 10 -H "Authorization: Bearer $ADMIN_TOK" "$URL/metrics" >"$W/metrics.txt"
evicted=$(awk '/^uccx_collector_connections_evicted_total / { print $2 }' "$W/metrics.txt")
echo "# evicted: ${evicted:-none}"
check "metrics count the connections evicted before their headers were complete" \
	test "${evicted:-0}" -ge $((CLOSED / 2))
check "the flood is logged a few times, not once per connection" \
	test "$(wc -l <"$W/col.log")" -le 40
[ "$T_FAIL" -eq 0 ] || cat "$W/curl.err" "$W/col.log" >&2 || true
col_stop
finish
