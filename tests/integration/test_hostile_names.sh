#!/usr/bin/env bash
# test_hostile_names.sh: servers on loopback (openssl s_server on free
# ports) present certificates whose names hold line breaks, tabs, terminal
# escapes, bidi controls and bytes that are not UTF-8. None of it may write
# a record into the state, make another server "known", break --json, reach
# the terminal or the support bundle as a control, or cost the collector
# its report. A host written with a trailing dot is one host.
. "$(dirname "$0")/lib.sh"

W=$T_WORK
S_PIDS=()
trap 'for p in "${S_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; cleanup' EXIT

cert_fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'; }

# serve NAME: openssl s_server with NAME's certificate on a free loopback
# port, which it prints; sets PORT. Fails when it is not listening in 5 s.
serve() {
	local log=$W/$1.log _
	: >"$log"
	openssl s_server -accept 127.0.0.1:0 -cert "$W/$1.pem" -key "$W/$1.key" -www \
		>"$log" 2>&1 </dev/null &
	S_PIDS+=($!)
	PORT=
	for _ in $(seq 100); do
		PORT=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$log")
		[ -n "$PORT" ] && return 0
		sleep 0.05
	done
	return 1
}

# agent CMD HOST PORT [extra...]: the agent against https://HOST:PORT/ only,
# in the test's home and state; sets RC and OUT (stdout and stderr).
agent() {
	local cmd=$1 host=$2 port=$3
	shift 3
	set +e
	OUT=$("$AGENT" "$cmd" --url "https://$host:$port/" --connect-to "$host:$port:127.0.0.1:$port" \
		--home "$W/home" --state-dir "$W/state" --connect-timeout 2 --timeout 5 "$@" 2>&1)
	RC=$?
	set -e
}

# no_controls FILE: valid UTF-8 with no control but newline (and no tab),
# no line or paragraph separator and no bidi control.
no_controls() {
	python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1], "rb").read().decode("utf-8")
bad = re.findall("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]", text)
assert not bad, [hex(ord(c)) for c in bad[:10]]
PY
}

json_ok() { python3 -m json.tool "$1" >/dev/null; }

new_home "$W/home"

# ---- a name that writes a record: the attack of the state file ----
# A man in the middle for uccx1 (its certificate M) first makes another
# server present a name holding a whole "seen" record approving M.
named_cert mitm uccx1.lab.example uccx1.lab.example
serve mitm
P1=$PORT
FP_M=$(cert_fp "$W/mitm.pem")
named_cert inject evil.lab.example evil.lab.example \
	"x\\nseen\\tuccx1.lab.example:$P1\\t$FP_M\\t2000000000\\t1\\tuccx1.lab.example"
serve inject
PE=$PORT

agent install evil.lab.example "$PE"
check "the server with the hostile name is installed (first use)" [ "$RC" -eq 0 ]
check "the state holds one seen record, for that server only" \
	[ "$(grep -c '^seen' "$W/state/state")" -eq 1 ]
check "... no record for uccx1 was written" [ "$(grep -c $'^seen\tuccx1' "$W/state/state")" -eq 0 ]
check "... the name is kept escaped" grep -q 'x\\x0Aseen\\x09uccx1' "$W/state/state"

agent check uccx1.lab.example "$P1" --json
check "the man in the middle for uccx1 is not 'known' on the next run" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["endpoints"][0]["approval"] == "first-use", d["endpoints"][0]["approval"]
' "$OUT"

# A state with a second record for the same endpoint is damaged, not used.
printf 'seen\tevil.lab.example:%s\t%s\t2000000000\t1\tevil.lab.example\n' "$PE" "$FP_M" \
	>>"$W/state/state"
agent check evil.lab.example "$PE" --json
check "a state with a duplicate record is set aside" [ -e "$W/state/state.damaged" ]
check "... and does not decide trust" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["endpoints"][0]["approval"] == "first-use", d["endpoints"][0]["approval"]
' "$OUT"

# ---- names that break output ----
rm -rf "$W/state"
ORG=$'\u202eorg\u2066' named_cert ugly evil.lab.example evil.lab.example '\xff\xfe\xc0\xaf.lab.example' \
	'\x1b]0;owned\x07\x1b[2J' "a\\u202eelpmaxe.lab.example" 'line\u2028two' 'nul\x00.lab.example'
serve ugly
PU=$PORT
col_tokens
col_start 0 "$W/col.db"
REPORT=(--report-url "http://127.0.0.1:$COL_PORT/api/v1/reports" --report-token-file "$W/agent.tok")

set +e
"$AGENT" install --url "https://evil.lab.example:$PU/" --connect-to "evil.lab.example:$PU:127.0.0.1:$PU" \
	--home "$W/home" --state-dir "$W/state" --connect-timeout 2 --timeout 5 --json "${REPORT[@]}" \
	>"$W/out.json" 2>"$W/err.txt"
RC=$?
set -e
check "install with hostile names exits 0" [ "$RC" -eq 0 ]
check "--json is one valid JSON document" json_ok "$W/out.json"
check "... in valid UTF-8 without controls" no_controls "$W/out.json"
check "... the names are shown escaped" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sans = d["endpoints"][0]["certificate"]["san_dns"]
assert "\\xFF\\xFE\\xC0\\xAF.lab.example" in sans, sans
assert "\\x1B]0;owned\\x07\\x1B[2J" in sans, sans
assert "a\\u{202E}elpmaxe.lab.example" in sans, sans
assert "nul\\x00.lab.example" in sans, sans
' "$W/out.json"
check "... nothing waits or was refused" [ ! -e "$W/state/spool.rejected" ] \
	&& [ "$(find "$W/state/spool" -type f | wc -l)" -eq 0 ]
check "... the collector holds it, names escaped" python3 -c '
import json, sys, urllib.request
req = urllib.request.Request("http://127.0.0.1:%s/api/v1/hosts/%s" % (sys.argv[1], sys.argv[2]),
                             headers={"Authorization": "Bearer " + open(sys.argv[3]).read().strip()})
d = json.load(urllib.request.urlopen(req, timeout=10))
sans = d["report"]["endpoints"][0]["certificate"]["san_dns"]
assert "\\xFF\\xFE\\xC0\\xAF.lab.example" in sans, sans
' "$COL_PORT" "$(hostname)" "$W/admin.tok"

agent check evil.lab.example "$PU" --verbose
printf '%s\n' "$OUT" >"$W/out.txt"
check "the text output holds no control or bidi character" no_controls "$W/out.txt"
check "... and shows the subject escaped" grep -qF 'O=Lab \u{202E}org\u{2066}' "$W/out.txt"
agent status evil.lab.example "$PU"
printf '%s\n' "$OUT" >"$W/status.txt"
check "status output holds no control character" no_controls "$W/status.txt"
agent doctor evil.lab.example "$PU" --bundle "$W/bundle.txt"
check "the support bundle is written" [ -s "$W/bundle.txt" ]
check "... and holds no control or bidi character" no_controls "$W/bundle.txt"

# The state written with these names loads again as it was.
agent check evil.lab.example "$PU" --json
check "the state with hostile names is not damaged" [ ! -e "$W/state/state.damaged" ]
check "... and the endpoint is known" python3 -c '
import json, sys
assert json.loads(sys.argv[1])["endpoints"][0]["approval"] == "known"
' "$OUT"

# ---- a host written with the trailing root dot ----
# Browsers match "good.lab.example." against a certificate for
# good.lab.example; the agent uses one form, so what it installs it also
# reports trusted.
rm -rf "$W/state"
named_cert good good.lab.example good.lab.example
serve good
PG=$PORT
set +e
"$AGENT" install --url "https://Good.lab.example.:$PG/" --connect-to "good.lab.example.:$PG:127.0.0.1:$PG" \
	--connect-to "good.lab.example:$PG:127.0.0.1:$PG" --home "$W/home" --state-dir "$W/state" \
	--connect-timeout 2 --timeout 5 --json >"$W/dot.json" 2>"$W/err.txt"
RC=$?
set -e
check "a URL with a trailing dot is installed and trusted (exit $RC)" [ "$RC" -eq 0 ]
check "... reported trusted, under the name without the dot" python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["endpoints"][0]
assert e["verdict"] == "trusted", e["verdict"]
assert e["host"] == "good.lab.example", e["host"]
' "$W/dot.json"
check "... and recorded under that name" grep -q $'^seen\tgood.lab.example:'"$PG"$'\t' "$W/state/state"
check "... in the Chromium database" [ "$(nss_has "$W/home/.pki/nssdb" "$(cert_fp "$W/good.pem")")" -eq 1 ]

finish
