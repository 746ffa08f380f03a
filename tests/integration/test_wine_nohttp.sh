#!/usr/bin/env bash
# test_wine_nohttp.sh: the Windows agent (under Wine) against a server that
# completes the TLS handshake and never answers HTTP (the lab's --no-http, as
# `openssl s_server -www` does for HEAD): every endpoint of that host is read
# from the handshake, well within the timeout, and installed; the run never
# waits for an HTTP answer.
. "$(dirname "$0")/lib.sh"

W_ERR=/dev/null
. "$(dirname "$0")/wine_lib.sh"
wine_require "$EXE"

check "a fresh Wine prefix starts (wineboot -i)" eval 'timeout 180 wine wineboot -i >/dev/null 2>&1'

lab=$T_WORK/lab
lab_start "$lab" selfsigned --no-http uccx2
# A timeout far above a handshake on loopback, so that waiting for HTTP
# (the old behaviour: the whole timeout, then "unreachable") cannot pass
# unseen, and far above what Wine takes on a loaded machine.
CT=10000
A=(--node uccx1.lab.example --node uccx2.lab.example --socialminer socialminer.lab.example
   --state-dir 'C:\uct-state' --connect-timeout $((CT / 1000)) --timeout 20 --json)
while read -r line; do A+=(--connect-to "$line"); done <"$lab/connect-to.txt"
wrun() { # wrun CMD: sets RC and JSON
	set +e
	JSON=$(w "$EXE" "$1" "${A[@]}")
	RC=$?
	set -e
}
u2() { # u2 PYTHON-EXPR-OVER-e: how many uccx2 endpoints satisfy it
	jq_py "$JSON" "sum(bool($1) for e in d['endpoints'] if e['host'] == 'uccx2.lab.example')"
}

wrun check
ms=$(jq_py "$JSON" 'd["elapsed_ms"]' 2>/dev/null || echo 99999)
echo "# check against a host without HTTP: the run took $ms ms (connect timeout $CT ms)"
check "no HTTP from uccx2: check exits 1 (not trusted yet)" [ "$RC" -eq 1 ]
check "no HTTP from uccx2: the run ends well within the connect timeout ($ms ms < $((CT / 2)))" \
	[ "$ms" -lt $((CT / 2)) ]
check "no HTTP from uccx2: its 6 endpoints are fetched ('ok')" [ "$(u2 'e["fetch"] == "ok"')" -eq 6 ]
# The fingerprint the agent read is the one the lab serves on that port.
fp_ok() {
	local e port want got
	for e in 0 1 2 3 4 5; do
		port=$(jq_py "$JSON" "[e for e in d['endpoints'] if e['host'] == 'uccx2.lab.example'][$e]['port']")
		want=$(awk -v p="uccx2.lab.example:$port" '$1 == p { print $2 }' "$lab/fingerprints.txt")
		got=$(jq_py "$JSON" "[e for e in d['endpoints'] if e['host'] == 'uccx2.lab.example'][$e]['certificate']['sha256']")
		[ -n "$want" ] && [ "${want^^}" = "$got" ] || { echo "# $port: want $want got $got"; return 1; }
	done
}
check "no HTTP from uccx2: each endpoint's certificate is the one served on its port" fp_ok
check "no HTTP from uccx2: each was read well within the timeout" \
	[ "$(u2 "e['fetch'] == 'ok' and e['fetch_ms'] < $((CT / 2))")" -eq 6 ]

wrun install
check "no HTTP from uccx2: install exits 0" [ "$RC" -eq 0 ]
check "no HTTP from uccx2: all 13 endpoints trusted" \
	[ "$(jq_py "$JSON" 'sum(e["verdict"] == "trusted" for e in d["endpoints"])')" -eq 13 ]
wrun remove
check "remove exits 0" [ "$RC" -eq 0 ]
lab_stop "$lab"
finish
