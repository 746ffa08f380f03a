#!/usr/bin/env bash
# test_collector_slow.sh: slow clients without a token must not shut the
# collector out. 600 connections that dribble a header line every second
# (never finishing their request), first from two addresses, then from
# thirty: the per-address limit turns most away at once, the header
# deadline closes the others, and meanwhile a genuine report and a
# dashboard request from 127.0.0.1 go through. Loopback only; each phase is
# bounded (slow_clients.py --duration, curl --max-time).
. "$(dirname "$0")/lib.sh"

SAMPLE=$UCT_SOURCE_DIR/tests/collector/sample-report.json
SLOW=$UCT_SOURCE_DIR/tests/integration/slow_clients.py
W=$T_WORK
HDR=3 # --header-timeout for this test, seconds
col_tokens
AGENT_TOK=$(cat "$W/agent.tok")
ADMIN_TOK=$(cat "$W/admin.tok")
SLOW_PID=
trap '[ -n "$SLOW_PID" ] && kill "$SLOW_PID" 2>/dev/null; cleanup' EXIT

uuid() { printf '%08x-0000-4000-8000-%012x' "$1" "$1"; }
report() { # report N: a report of pc-N with a fresh id
	sed -e "s/\"report_id\":\"[^\"]*\"/\"report_id\":\"$(uuid "$1")\"/" \
	    -e "s/\"host_name\":\"[^\"]*\"/\"host_name\":\"pc-$1.corp.example\"/" "$SAMPLE"
}
# timed_curl MAX-SECONDS ARGS...: sets CODE and MS (what curl answered, how long).
timed_curl() {
	local max=$1 t0
	shift
	t0=$(ms_now)
	CODE=$(curl -sS --max-time "$max" -o /dev/null -w '%{http_code}' "$@" 2>/dev/null) || true
	MS=$(($(ms_now) - t0))
}
# slow_phase NAME SOURCES PER-SOURCE DURATION: starts the slow clients and
# waits (20 s at most) until all their connections are open.
slow_phase() {
	rm -f "$W/$1.ready"
	python3 "$SLOW" --port "$PORT" --sources "$2" --per-source "$3" --every 1 \
		--duration "$4" --ready-file "$W/$1.ready" >"$W/$1.json" &
	SLOW_PID=$!
	for _ in $(seq 200); do
		[ -e "$W/$1.ready" ] && break
		kill -0 "$SLOW_PID" 2>/dev/null || break
		sleep 0.1
	done
	sleep 0.5 # a few lines sent: the slow ones hold their slots now
}
slow_end() { wait "$SLOW_PID" || true; SLOW_PID=; }
# slow_stats NAME: from what slow_clients.py saw, sets AWAY (closed within
# half the deadline: turned away), HELD (closed later or never), OPEN (never
# closed), LAST (the latest close, seconds), CUT_OK (every held one was
# closed at the header deadline, -0.5/+2.5 s, after sending two lines).
slow_stats() {
	eval "$(python3 -c 'import json, sys
c = json.load(open(sys.argv[1]))
hdr = float(sys.argv[2])
held = [x for x in c if x["closed"] is None or x["closed"] >= hdr / 2]
print("AWAY=%d HELD=%d OPEN=%d LAST=%s CUT_OK=%s" % (
    len(c) - len(held), len(held), sum(1 for x in c if x["closed"] is None),
    max([x["closed"] or 0 for x in c] + [0]),
    all(x["closed"] is not None and hdr - 0.5 <= x["closed"] <= hdr + 2.5 and x["lines"] >= 2
        for x in held)))' "$W/$1.json" "$HDR")"
}

col_start 0 "$W/col.db" --header-timeout "$HDR" --body-timeout "$HDR"
PORT=$COL_PORT
URL=http://127.0.0.1:$PORT
check "the collector listens" test -n "$PORT"
ulimit -n 4096 2>/dev/null || true

# ---- 600 from two addresses: the per-address limit (32 each) ----
report 1 >"$W/r1.json"
slow_phase two 127.0.0.2,127.0.0.3 300 $((HDR + 6))
timed_curl 5 -H "Authorization: Bearer $AGENT_TOK" --data-binary @"$W/r1.json" "$URL/api/v1/reports"
check "600 slow connections from two addresses: a report from a third gets 202 (${MS} ms)" \
	test "$CODE" = 202 -a "$MS" -lt 3000
timed_curl 5 -H "Authorization: Bearer $ADMIN_TOK" "$URL/api/v1/hosts"
check "and a dashboard request gets 200 (${MS} ms)" test "$CODE" = 200 -a "$MS" -lt 3000
slow_end
slow_stats two
echo "# two addresses: $AWAY turned away at once, $HELD held, $OPEN still open at the end"
check "no more than 32 connections held per address" test "$HELD" -le 64
check "the ones let in were cut at the header deadline (${HDR} s) while still sending" \
	test "$CUT_OK" = True -a "$HELD" -ge 32

# ---- 600 from thirty addresses: past --max-connections, the deadline ----
report 2 >"$W/r2.json"
srcs=$(seq -s, -f '127.0.0.%g' 2 31)
slow_phase many "$srcs" 20 $((2 * HDR + 6))
# Past seven eighths of --max-connections each new connection evicts the
# one that has waited longest for its headers, and at the limit a new one
# waits in the listen queue: a client gets in, at the latest when it tries
# again (as an agent does at its next run).
t0=$(ms_now)
for _ in $(seq $((4 * HDR + 8))); do
	timed_curl 2 -H "Authorization: Bearer $AGENT_TOK" --data-binary @"$W/r2.json" \
		"$URL/api/v1/reports"
	[ "$CODE" = 202 ] && break
	[ $(($(ms_now) - t0)) -ge $(((2 * HDR + 4) * 1000)) ] && break
	sleep 0.5
done
MS=$(($(ms_now) - t0))
check "600 slow connections from 30 addresses: a report tried again gets 202 by the deadline (${MS} ms)" \
	test "$CODE" = 202 -a "$MS" -lt $(((HDR + 2) * 1000))
timed_curl 5 -H "Authorization: Bearer $ADMIN_TOK" "$URL/api/v1/hosts/pc-2.corp.example"
check "and the dashboard's request for it gets 200 (${MS} ms)" test "$CODE" = 200
slow_end
slow_stats many
echo "# thirty addresses: $AWAY turned away at once, $HELD held, $OPEN still open, the last closed at $LAST s"
check "every slow connection was closed by the server, none past twice the deadline" \
	test "$OPEN" -eq 0 -a "$(awk -v l="$LAST" -v h="$HDR" 'BEGIN { print (l <= 2 * h + 2) }')" = 1

# ---- a body dribbled a byte at a time ----
# The idle timeout (30 s) never fires while bytes come; the body deadline
# does, for a report with the agent token and for a GET of the dashboard
# (no token needed) with a body alike.
# dribble REQUEST-HEAD: sends it and the blank line that ends the headers,
# then a byte every 0.5 s; sets MS to when the collector closed the
# connection (25 s at most).
dribble() {
	local pid
	exec 7<>"/dev/tcp/127.0.0.1/$PORT"
	printf '%s\r\n\r\n' "$1" >&7
	t0=$(ms_now)
	(for _ in $(seq 40); do printf '{' >&7 2>/dev/null || exit 0; sleep 0.5; done) &
	pid=$!
	set +e
	timeout 25 cat <&7 >/dev/null
	set -e
	MS=$(($(ms_now) - t0))
	exec 7<&- 7>&-
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
dribble "$(printf 'POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: 100000' "$AGENT_TOK")"
check "a report body dribbled a byte every 0.5 s is cut at the body deadline (${MS} ms)" \
	test "$MS" -ge $((HDR * 1000 - 500)) -a "$MS" -lt $((HDR * 1000 + 2500))
dribble "$(printf 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000')"
check "so is a body dribbled on GET / without a token (${MS} ms)" \
	test "$MS" -ge $((HDR * 1000 - 500)) -a "$MS" -lt $((HDR * 1000 + 2500))

curl -sS -H "Authorization: Bearer $ADMIN_TOK" "$URL/metrics" >"$W/metrics.txt"
check "metrics count the two connections cut at the body deadline" \
	grep -qx 'uccx_collector_connections_cut_total{phase="body"} 2' "$W/metrics.txt"
cut=$(awk '/^uccx_collector_connections_cut_total\{phase="headers"\}/ { print $2 }' "$W/metrics.txt")
evicted=$(awk '/^uccx_collector_connections_evicted_total / { print $2 }' "$W/metrics.txt")
check "metrics count the connections cut at the header deadline or evicted ($cut, $evicted)" \
	test $((cut + evicted)) -ge 544
check "the refused connections are logged a few times, not once each" \
	test "$(grep -c 'connection limit' "$W/col.log")" -le 6
col_stop
finish
