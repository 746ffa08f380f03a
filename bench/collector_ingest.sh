#!/usr/bin/env bash
# bench/collector_ingest.sh: ingest rate and latency of uccx-trust-collector
# (wrk POSTing the 13-endpoint sample report from concurrent connections),
# then the time of GET /api/v1/hosts over the fleet that run filled.
#   bench/collector_ingest.sh [SECONDS] [CONNECTIONS]    (defaults 15, 32)
# Env: UCT_BUILD (build dir), COL_HOSTS (distinct host names, default 50000),
# COL_SYNC (full|normal). Only 127.0.0.1 is contacted.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${UCT_BUILD:-$top/build}
secs=${1:-15}
conns=${2:-32}
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 2; }

work=$(mktemp -d /tmp/col-bench.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
head -c 24 /dev/urandom | base64 >"$work/agent.tok"
head -c 24 /dev/urandom | base64 >"$work/admin.tok"

"$build/uccx-trust-collector" --listen 127.0.0.1:0 --db "$work/bench.db" --sync "${COL_SYNC:-full}" \
	--agent-token-file "$work/agent.tok" --admin-token-file "$work/admin.tok" 2>"$work/log" &
pid=$!
port=
for _ in $(seq 100); do
	port=$(sed -n 's/.*listening on http:\/\/[^ ]*:\([0-9]*\),.*/\1/p' "$work/log")
	[ -n "$port" ] && break
	sleep 0.05
done
[ -n "$port" ] || { cat "$work/log" >&2; exit 1; }

echo "== ingest: ${secs}s, $conns connections, 2 wrk threads, synchronous=${COL_SYNC:-full}"
COL_SAMPLE=$top/tests/collector/sample-report.json COL_TOKEN=$(cat "$work/agent.tok") \
COL_HOSTS=${COL_HOSTS:-50000} \
	wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$top/bench/collector_post.lua" \
	"http://127.0.0.1:$port" | tee "$work/wrk.txt"
rps=$(awk '/^Requests\/sec/ { print $2 }' "$work/wrk.txt")
p99=$(awk '$1 == "99%" { print $2 }' "$work/wrk.txt")
non2xx=$(awk '/Non-2xx/ { print $NF }' "$work/wrk.txt")

admin=$(cat "$work/admin.tok")
metrics=$(curl -sS -H "Authorization: Bearer $admin" "http://127.0.0.1:$port/metrics")
hosts=$(awk '$1 == "uccx_collector_hosts" { print $2 }' <<<"$metrics")
batches=$(awk '$1 == "uccx_collector_commit_batches_total" { print $2 }' <<<"$metrics")
stored=$(awk '$1 == "uccx_collector_reports_stored" { print $2 }' <<<"$metrics")

echo
echo "== GET /api/v1/hosts over $hosts hosts (best of 5, seconds)"
for q in "" "?state=problem" "?order=problems&limit=200" "?expiring_within=400&limit=1000" \
	 "?endpoint=https%3A%2F%2Fuccx1.lab.example%2Fappadmin%2Fmain" "?after=pc-40000.corp.example"; do
	best=
	for _ in 1 2 3 4 5; do
		t=$(curl -sS -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $admin" \
			"http://127.0.0.1:$port/api/v1/hosts$q")
		if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$t; fi
	done
	printf '  %-60s %s\n' "/api/v1/hosts$q" "$best"
done
t=$(curl -sS -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $admin" \
	"http://127.0.0.1:$port/api/v1/endpoints")
printf '  %-60s %s\n' "/api/v1/endpoints" "$t"

# The dashboard over that fleet, in headless Chromium: the time from the
# admin token's Enter key to the fleet on screen (it polls every 0.1 s).
dash=
if command -v chromium >/dev/null && [ "${COL_DASHBOARD:-1}" = 1 ]; then
	timeout 120 python3 "$top/tests/browser/dashboard_check.py" --url "http://127.0.0.1:$port/" \
		--token-file "$work/admin.tok" --work "$work/browser" \
		--png "${COL_DASHBOARD_PNG:-$work/dashboard.png}" >"$work/page.json" 2>/dev/null || true
	dash=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))
print("%s ms, %s hosts shown, cards %s" % (r["load_ms"], len(r["page"]["hosts"]), "/".join(r["page"]["cards"]))
	      if r.get("loaded") else "did not load")' "$work/page.json" 2>/dev/null || echo "not measured")
	echo
	echo "== the dashboard over $hosts hosts: $dash"
fi

echo
echo "reports/s: $rps   p99: $p99   non-2xx: ${non2xx:-0}   stored: $stored   commits: $batches"
