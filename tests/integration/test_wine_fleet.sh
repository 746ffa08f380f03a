#!/usr/bin/env bash
# test_wine_fleet.sh: fleet-approved trust with the Windows agent under Wine.
# The lab, the real collector with its signing key, and uccx-trust.exe in
# `collector` mode: nothing enters a store before an approval; what the
# collector approves goes into LocalMachine exactly as first use would put
# it (crypt32 then trusts those endpoints); a revoked approval is taken out;
# a document signed by another key (checked with BCrypt) and a tampered one
# are refused, each with its own message, and change nothing; with the
# collector stopped the kept document is used.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/wine_lib.sh"
wine_require "$EXE" "$WIN/uct-wincheck.exe"

check "a fresh Wine prefix starts (wineboot -i)" eval 'timeout 180 wine wineboot -i >/dev/null 2>&1'

d=$T_WORK/pc
mkdir -p "$d/www/api/v1"
cd "$d"
lab=$T_WORK/lab
lab_start "$lab" selfsigned
col_tokens
cp "$T_WORK/agent.tok" agent.tok
ADMIN_TOK=$(cat "$T_WORK/admin.tok")
mkdir -m 700 keys
"$COL" --print-trust-key --signing-key keys/col.key >col.pub
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl ec -pubout -out other.pub 2>/dev/null
col_start 0 "$T_WORK/col.db" --signing-key keys/col.key
BASE=http://127.0.0.1:$COL_PORT

# wrun CMD [TRUST-URL [KEY]]: the Windows agent in collector mode; sets RC, OUT.
wrun() {
	local line args=(--node uccx1.lab.example --node uccx2.lab.example
			 --socialminer socialminer.lab.example --state-dir 'C:\uct-fleet'
			 --connect-timeout 3 --timeout 8 --trust collector
			 --trust-url "${2:-$BASE/api/v1/trust}" --trust-key "${3:-col.pub}"
			 --report-url "$BASE/api/v1/reports" --report-token-file agent.tok)
	while read -r line; do args+=(--connect-to "$line"); done <"$lab/connect-to.txt"
	set +e
	OUT=$(w "$EXE" "$1" "${args[@]}")
	RC=$?
	set -e
}
listed() { w "$WIN/uct-wincheck.exe" list; }
trusted() { # trusted HOST PORT: crypt32 (LocalMachine) trusts what it serves
	w "$WIN/uct-wincheck.exe" verify "$1" "$lab/$1-$2.pem" >/dev/null
}
approve() {
	curl -sS --max-time 20 -o /dev/null -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $ADMIN_TOK" -H 'Content-Type: application/json' \
		--data-binary "$1" "$BASE/api/v1/approvals"
}
fp() { lab_fp "$lab" "$1"; }

# ---- nothing approved yet ----
wrun install
check "nothing approved: install exits 1" [ "$RC" -eq 1 ] || echo "$OUT"
check "nothing approved: every endpoint is waiting for approval at the collector" \
	eval '[ "$(grep -c "^  WAITING" <<<"$OUT")" -eq 13 ] &&
		grep -q "waiting for approval at the collector" <<<"$OUT"'
check "nothing approved: no store is touched" [ -z "$(listed)" ]
check "nothing approved: crypt32 does not trust uccx1" eval '! trusted uccx1.lab.example 8445'

# ---- approvals: by host for the Tomcat certificates, by endpoint for 7443 ----
codes=
for h in uccx1.lab.example uccx2.lab.example; do
	codes+=$(approve "{\"host\":\"$h\",\"sha256\":\"$(fp "$h:8445")\",\"note\":\"Tomcat\"}")
	codes+=$(approve "{\"endpoint\":\"$h:7443\",\"sha256\":\"$(fp "$h:7443")\"}")
done
codes+=$(approve "{\"host\":\"socialminer.lab.example\",\"sha256\":\"$(fp socialminer.lab.example:443)\"}")
check "the administrator approves what the PC reported (no force needed)" \
	[ "$codes" = 201201201201201 ]
wrun install
check "approved: install exits 0" [ "$RC" -eq 0 ] || echo "$OUT"
check "approved: the 5 certificates in LocalMachine\\Root, as first use would put them" \
	[ "$(listed | grep -c '^Root')" -eq 5 ]
check "approved: crypt32 trusts uccx1, uccx2 and SocialMiner" \
	eval 'trusted uccx1.lab.example 8445 && trusted uccx2.lab.example 7443 &&
		trusted socialminer.lab.example 443'
before=$(listed | sort)

# ---- refused documents change nothing ----
wrun install "$BASE/api/v1/trust" other.pub
check "a PC given another collector's key: exit 1, the message names it and the fix" \
	eval '[ "$RC" -eq 1 ] && grep -q "signed by another collector key" <<<"$OUT" &&
		grep -q -- "--print-trust-key" <<<"$OUT"'
check "another key: the stores are unchanged" [ "$(listed | sort)" = "$before" ]
curl -sS --max-time 20 -H "Authorization: Bearer $(cat agent.tok)" "$BASE/api/v1/trust" |
	sed 's/uccx2\.lab\.example/uccx9.lab.example/' >www/api/v1/trust
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory www "$port" >/dev/null 2>&1 &
www_pid=$!
for _ in $(seq 100); do curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/api/v1/trust" && break; sleep 0.05; done
wrun install "http://127.0.0.1:$port/api/v1/trust"
kill "$www_pid" 2>/dev/null || true
check "a tampered document: exit 1, refused as changed after signing" \
	eval '[ "$RC" -eq 1 ] && grep -q "changed after the collector signed it" <<<"$OUT"'
check "tampered: the stores are unchanged" [ "$(listed | sort)" = "$before" ]

# ---- a revoked approval is taken out ----
id=$(curl -sS --max-time 20 -H "Authorization: Bearer $ADMIN_TOK" "$BASE/api/v1/approvals" |
	python3 -c 'import json,sys
print([a["id"] for a in json.load(sys.stdin)["approvals"] if a.get("host") == "uccx2.lab.example"][0])')
code=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' -X DELETE \
	-H "Authorization: Bearer $ADMIN_TOK" "$BASE/api/v1/approvals/$id")
check "the administrator revokes uccx2's Tomcat approval" [ "$code" = 200 ]
wrun install
check "revoked: install exits 1 (uccx2 waits again)" [ "$RC" -eq 1 ] || echo "$OUT"
check "revoked: uccx2's Tomcat certificate is taken out, the other 4 stay" \
	eval '[ "$(listed | grep -c "^Root")" -eq 4 ] && ! trusted uccx2.lab.example 8445 &&
		trusted uccx1.lab.example 8445'
after_revoke=$(listed | sort)

# ---- the collector stopped: the kept document ----
col_stop
wrun install
check "the collector stopped: the kept document is used, and the run says so" \
	eval 'grep -q "using the trust document kept from an earlier run" <<<"$OUT" &&
		! grep -q "no valid trust document" <<<"$OUT"'
check "the collector stopped: the stores stay as approved" [ "$(listed | sort)" = "$after_revoke" ]

finish
