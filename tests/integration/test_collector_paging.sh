#!/usr/bin/env bash
# test_collector_paging.sh: GET /api/v1/endpoints over a fleet too large for
# one answer: 60 reports of 512 endpoints with ~1.8 kB URLs (about 1 MiB
# each, 30,720 URLs, 60 MB of URL text). Each page stays small, walking the
# pages gives every URL once, and the collector's memory does not grow
# with the fleet while it answers (VmRSS and VmHWM from /proc, printed).
# SQLite, or the empty PostgreSQL database UCT_COLLECTOR_DB names
# (test_collector_paging_pg.sh).
. "$(dirname "$0")/lib.sh"

W=$T_WORK
col_tokens
AGENT_TOK=$(cat "$W/agent.tok")
COL_DB=${UCT_COLLECTOR_DB:-$W/col.db}
col_start 0 "$COL_DB"
URL=http://127.0.0.1:$COL_PORT
check "the collector listens" test -n "$COL_PORT"

# The fleet: one file per report, and the list of files.
python3 - "$W" <<'PY'
import json, sys, time
w = sys.argv[1]
now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
for h in range(60):
    eps = []
    for i in range(512):
        fp = ":".join(["%02X" % (h + 1)] * 30 + ["%02X" % (i >> 8), "%02X" % (i & 255)])
        eps.append({"url": "https://uccx-%02d-%03d.example/%s" % (h, i, "p" * 1800),
                    "verdict": "trusted", "fetch": "ok",
                    "certificate": {"sha256": fp, "not_valid_after": 1900000000}})
    doc = {"schema": 1, "report_id": "%08x-0000-4000-8000-%012x" % (h + 1, h + 1),
           "host_name": "pc-%02d.corp.example" % h, "version": "0.1.0", "time": now,
           "endpoints": eps}
    body = json.dumps(doc, separators=(",", ":"))
    assert len(body) < 1048576, len(body)
    open("%s/big-%02d.json" % (w, h), "w").write(body)
PY
ls "$W"/big-*.json | xargs -P 4 -I{} curl -sS --max-time 60 -o /dev/null -w '%{http_code}\n' \
	-H "Authorization: Bearer $AGENT_TOK" --data-binary @{} "$URL/api/v1/reports" >"$W/codes" 2>&1 || true
check "60 reports of 512 endpoints (about 1 MiB each) accepted" \
	test "$(grep -c '^202$' "$W/codes")" -eq 60

mem() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$COL_PID/status"; } # kB
rss0=$(mem VmRSS)
hwm0=$(mem VmHWM)
python3 - "$URL" "$(cat "$W/admin.tok")" >"$W/walk.json" <<'PY'
import json, sys, urllib.request
url, tok = sys.argv[1], sys.argv[2]
def get(path):
    req = urllib.request.Request(url + path, headers={"Authorization": "Bearer " + tok})
    with urllib.request.urlopen(req, timeout=60) as r:
        body = r.read()
    return len(body), json.loads(body)
n, first = get("/api/v1/endpoints")
out = {"default_bytes": n, "default_count": len(first["endpoints"]), "total": first.get("total"),
       "default_limit": first.get("limit"), "default_next": first.get("next", "")}
path, pages, urls, biggest = "/api/v1/endpoints?limit=500", 0, [], 0
while path and pages < 200:
    n, page = get(path)
    biggest = max(biggest, n)
    urls += [e["url"] for e in page["endpoints"]]
    path = page.get("next")
    pages += 1
out.update(pages=pages, biggest=biggest, urls=len(urls), distinct=len(set(urls)),
           ordered=urls == sorted(urls))
print(json.dumps(out))
PY
rss1=$(mem VmRSS)
hwm1=$(mem VmHWM)
w() { jq_py "$(cat "$W/walk.json")" "$1"; }
echo "# default page: $(w 'd["default_bytes"]') bytes; 500-URL pages: $(w 'd["pages"]'), the largest $(w 'd["biggest"]') bytes"
echo "# collector memory: VmRSS ${rss0} -> ${rss1} kB, VmHWM ${hwm0} -> ${hwm1} kB over the walk"
check "the default page: 100 of 30720 URLs, a next link, under 512 kB" \
	test "$(w 'd["default_count"] == 100 and d["default_limit"] == 100 and d["total"] == 30720 and d["default_next"].startswith("/api/v1/endpoints?limit=100&after=") and d["default_bytes"] < 512 * 1024')" = True
check "walking the 500-URL pages gives every URL once, in order, in 62 pages under 1.5 MB" \
	test "$(w 'd["pages"] == 62 and d["urls"] == 30720 and d["distinct"] == 30720 and d["ordered"] and d["biggest"] < 1536 * 1024')" = True
check "the collector's peak memory grows by less than 32 MB while answering" \
	test $((hwm1 - hwm0)) -lt 32768 -a $((rss1 - rss0)) -lt 32768
col_stop
finish
