#!/usr/bin/env bash
# test_wine.sh: the Windows build (mingw-w64) run under Wine against the lab:
# the crypt32 parser agrees with the OpenSSL one, install puts certificates
# into LocalMachine stores where crypt32 itself then trusts them, renewal
# replaces, remove takes out only what is ours; messages reach the Event Log
# and agent.log (the MSI: test_wine_msi.sh).
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/wine_lib.sh"
wine_require "$EXE"

# ---- the executable needs only Windows' own DLLs ------------------------------
dlls=$(x86_64-w64-mingw32-objdump -p "$EXE" | awk '/DLL Name/ { print tolower($3) }' | sort | paste -sd' ')
check "uccx-trust.exe imports only system DLLs ($dlls)" \
	[ -z "$(tr ' ' '\n' <<<"$dlls" | grep -Ev '^(advapi32|bcrypt|crypt32|kernel32|msvcrt|winhttp|ws2_32|shell32|user32)\.dll$')" ]

t0=$(date +%s)
check "a fresh Wine prefix starts (wineboot -i)" eval 'timeout 180 wine wineboot -i >/dev/null 2>&1'
echo "# wineboot took $(($(date +%s) - t0)) s"

# wargs LAB [extra...]: the agent's flags for a lab.
wargs() {
	local lab=$1 line
	shift
	A=(--node uccx1.lab.example --node uccx2.lab.example --socialminer socialminer.lab.example
	   --state-dir "C:\\uct-state-$(basename "$lab")" --connect-timeout 3 --timeout 8 "$@")
	while read -r line; do A+=(--connect-to "$line"); done <"$lab/connect-to.txt"
}
wrun() { # wrun CMD: sets RC and OUT
	set +e
	OUT=$(w "$EXE" "$1" "${A[@]}")
	RC=$?
	set -e
}
listed() { w "$WIN/uct-wincheck.exe" list; }
# every endpoint of the lab: does crypt32 (LocalMachine) trust the chain it serves?
all_trusted() {
	local lab=$1 f host bad=0
	for f in "$lab"/*.lab.example-*.pem; do
		host=$(basename "$f" | sed 's/-[0-9]*\.pem$//')
		w "$WIN/uct-wincheck.exe" verify "$host" "$f" >/dev/null || bad=$((bad + 1))
	done
	[ "$bad" -eq 0 ]
}
none_trusted() {
	local lab=$1 f host
	for f in "$lab"/*.lab.example-*.pem; do
		host=$(basename "$f" | sed 's/-[0-9]*\.pem$//')
		! w "$WIN/uct-wincheck.exe" verify "$host" "$f" >/dev/null || return 1
	done
}

# ---- parsers: crypt32 under Wine and OpenSSL read the same files alike --------
for scen in private-ca selfsigned-ca nosan ecdsa rsa1024; do
	lab=$T_WORK/lab-$scen
	lab_start "$lab" "$scen"
	files=("$lab"/uccx1.lab.example-8445.pem "$lab"/uccx1.lab.example-7443.pem)
	"$BUILD/uct-certdump" "${files[@]}" >"$T_WORK/dump-linux-$scen"
	w "$WIN/uct-certdump.exe" "${files[@]}" >"$T_WORK/dump-win-$scen" || true
	check "$scen: the crypt32 and OpenSSL parsers give the same fields" \
		diff "$T_WORK/dump-linux-$scen" "$T_WORK/dump-win-$scen"
	[ "$scen" = private-ca ] || lab_stop "$lab"
done

# ---- the lab speaks TLS 1.2, Wine's limit --------------------------------------
lab=$T_WORK/lab-private-ca
port=$(awk -F: '$1 == "uccx1.lab.example" && $2 == 8445 { print $4 }' "$lab/connect-to.txt")
check "the lab negotiates TLS 1.2 (WinHTTP under Wine offers no more)" \
	eval "openssl s_client -tls1_2 -connect 127.0.0.1:$port -servername uccx1.lab.example </dev/null 2>/dev/null | grep -q 'Protocol.*TLSv1.2'"

# ---- private CA, root approved with --ca-file: the root goes to Root ----------
wargs "$lab" --ca-file "$lab/ca.pem"
wrun check
check "private-ca: check on a fresh PC exits 1" [ "$RC" -eq 1 ] || echo "$OUT"
check "private-ca: check changes no store" [ -z "$(listed)" ]
check "private-ca: crypt32 trusts nothing yet" none_trusted "$lab"
wrun install
check "private-ca: install exits 0" [ "$RC" -eq 0 ] || echo "$OUT"
check "private-ca: only the root, in LocalMachine\\Root, tagged" \
	[ "$(listed | cut -f1,2)" = "$(printf 'Root\tuccx-trust root UCCX Lab Root CA')" ]
check "private-ca: restricted to server authentication" \
	[ "$(listed | cut -f4)" = "1.3.6.1.5.5.7.3.1" ]
check "private-ca: crypt32 now trusts all 11 endpoints for their names" all_trusted "$lab"
check "private-ca: but not for another name" \
	eval '! w "$WIN/uct-wincheck.exe" verify other.lab.example "$lab/uccx1.lab.example-8445.pem" >/dev/null'
wrun install
check "private-ca: a second install exits 0 and changes nothing" \
	eval '[ "$RC" -eq 0 ] && ! grep -q "added\|removed" <<<"$OUT"'
wrun remove
check "private-ca: remove exits 0" [ "$RC" -eq 0 ] || echo "$OUT"
check "private-ca: remove leaves no certificate of ours" [ -z "$(listed)" ]
check "private-ca: crypt32 trusts nothing after remove" none_trusted "$lab"
lab_stop "$lab"

# ---- self-signed CA:FALSE, first use: each certificate in Root; renewal -------
# (a renewal the agent accepts by itself replaces a certificate about to expire)
lab=$T_WORK/lab-selfsigned
lab_start "$lab" selfsigned --days-left 10
wargs "$lab"
wrun install
check "selfsigned: install exits 0" [ "$RC" -eq 0 ] || echo "$OUT"
check "selfsigned: 5 certificates of ours in Root" [ "$(listed | grep -c '^Root')" -eq 5 ]
check "selfsigned: crypt32 trusts all 11 endpoints" all_trusted "$lab"
old=$(listed | sort)
lab_stop "$lab"
lab_start "$lab" selfsigned --renew
wargs "$lab"
wrun install
check "selfsigned renewed: install exits 0 (a renewal, same key and names)" [ "$RC" -eq 0 ]
check "selfsigned renewed: still 5 in Root (old ones replaced)" [ "$(listed | grep -c '^Root')" -eq 5 ]
check "selfsigned renewed: crypt32 trusts the renewed endpoints" all_trusted "$lab"
check "selfsigned renewed: the old certificates are gone" [ "$(listed | sort)" != "$old" ]
wrun remove
check "selfsigned: remove leaves nothing of ours" [ -z "$(listed)" ]
lab_stop "$lab"

# ---- self-signed CA:TRUE: never a root, TrustedPeople only --------------------
lab=$T_WORK/lab-selfsigned-ca
lab_start "$lab" selfsigned-ca
wargs "$lab"
wrun install
check "selfsigned-ca: install exits 0 (trusted leaves, the Chrome and Edge rule)" [ "$RC" -eq 0 ] || echo "$OUT"
check "selfsigned-ca: 5 in TrustedPeople" [ "$(listed | grep -c '^TrustedPeople')" -eq 5 ]
check "selfsigned-ca: none in Root (it could sign for any name)" [ "$(listed | grep -c '^Root' || true)" -eq 0 ]
wrun remove
check "selfsigned-ca: remove leaves nothing of ours" [ -z "$(listed)" ]
lab_stop "$lab"

# ---- reporting: the Windows agent posts its result to the collector ------------
COL=$BUILD/uccx-trust-collector
head -c 24 /dev/urandom | base64 >"$T_WORK/agent.tok"
head -c 24 /dev/urandom | base64 >"$T_WORK/admin.tok"
cp "$T_WORK/agent.tok" "$WINEPREFIX/drive_c/agent.tok"
"$COL" --listen 127.0.0.1:0 --db "$T_WORK/col.db" --agent-token-file "$T_WORK/agent.tok" \
	--admin-token-file "$T_WORK/admin.tok" 2>"$T_WORK/col.log" &
col=$!
port=
for _ in $(seq 100); do
	port=$(sed -n 's/.*listening on http:\/\/[^ ]*:\([0-9]*\),.*/\1/p' "$T_WORK/col.log")
	[ -n "$port" ] && break
	sleep 0.05
done
lab=$T_WORK/lab-report
lab_start "$lab" selfsigned
wargs "$lab" --report-url "http://127.0.0.1:$port/api/v1/reports" --report-token-file 'C:\agent.tok'
wrun check
check "report: the Windows agent's report reaches the collector" \
	grep -q "Report: 1 sent to the collector, 0 waiting" <<<"$OUT"
check "report: the collector shows the host with its 13 endpoints" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["total"] == 1 and d["hosts"][0]["endpoints"] == 13, d
' "$(curl -sS --max-time 10 -H "Authorization: Bearer $(cat "$T_WORK/admin.tok")" \
	"http://127.0.0.1:$port/api/v1/hosts")"
kill "$col" 2>/dev/null || true
wait "$col" 2>/dev/null || true
wrun check
check "report: with the collector gone the report waits in the spool" \
	grep -q "waiting for the next run" <<<"$OUT"
lab_stop "$lab"

# ---- the log sink: the Event Log (source uccx-trust) and agent.log --------------
# Wine's ReportEventW is a stub that traces each message on the eventlog
# channel: enough to see that the agent called it with the text.
mkdir -p "$WINEPREFIX/drive_c/ProgramData/uccx-trust"
set +e
OUT=$(WINEDEBUG=trace+eventlog timeout 120 wine "$EXE" check --node nothere.invalid --connect-timeout 2 \
	--timeout 4 --verbose --state-dir 'C:\uct-state-log' 2>&1 | tr -d '\r')
set -e
check "log: each message goes to ReportEventW" \
	grep -q 'trace:eventlog:ReportEventW L"nothere.invalid:443: dns' <<<"$OUT"
check "log: and to %ProgramData%\\uccx-trust\\agent.log" \
	grep -q 'debug: nothere.invalid:443: dns' "$WINEPREFIX/drive_c/ProgramData/uccx-trust/agent.log"

finish
