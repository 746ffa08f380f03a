#!/usr/bin/env bash
# test_trust_source.sh: the collector trust mode's source (agent/trustsrc.c,
# run by tests/tools/trustsrc_run.c with the agent's flags) against the real
# collector on 127.0.0.1: a good document is used and kept; a tampered one,
# an expired one (signed with the collector's key), one checked with another
# key and one with a lower serial (a fresh collector database with the same
# key) are each refused with their reason and leave the kept one alone; the
# collector stopped: the kept document is used; nothing kept: "none". Over
# HTTPS, the report's TLS settings apply: --report-ca, --report-pin (a
# wrong pin is refused) and --connect-to.
. "$(dirname "$0")/lib.sh"

TS=$BUILD/uct-trustsrc
W=$T_WORK
KEY=$W/trust.key
FP1=A3:DC:C7:94:01:F6:79:53:C4:98:F2:03:A1:59:F0:C2:D2:AA:71:66:D3:C9:1A:B5:01:34:62:BF:39:AB:84:3B
FP2=46:5D:6F:14:14:CF:EC:CD:FF:DA:55:19:9C:23:FB:D4:B1:D4:4B:9C:FB:66:3B:06:7F:74:E6:C1:5D:F8:BF:DD
WWW_PID=
trap 'cleanup; [ -n "$WWW_PID" ] && kill "$WWW_PID" 2>/dev/null; true' EXIT

col_tokens
ADMIN_TOK=$(cat "$W/admin.tok")
"$COL" --print-trust-key --signing-key "$KEY" >"$W/trust.pub"
openssl ecparam -name prime256v1 -genkey -noout -out "$W/other.key"
openssl ec -in "$W/other.key" -pubout -out "$W/other.pub" 2>/dev/null

approve() { # approve HOST FP: an approval by host, forced (no agent reported it)
	curl -sS --max-time 20 -o /dev/null -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $ADMIN_TOK" -H 'Content-Type: application/json' \
		--data-binary "{\"host\":\"$1\",\"sha256\":\"$2\",\"force\":true}" \
		"http://127.0.0.1:$COL_PORT/api/v1/approvals"
}
# ts STATE URL [KEY]: run the source; sets OUT and RC.
# Flags in TS_EXTRA are added.
TS_EXTRA=()
ts() {
	set +e
	OUT=$("$TS" check --node uccx1.example.com --trust collector --trust-url "$2" \
		--trust-key "${3:-$W/trust.pub}" --report-token-file "$W/agent.tok" \
		--state-dir "$1" --connect-timeout 2 --timeout 5 "${TS_EXTRA[@]}" 2>"$W/ts.err")
	RC=$?
	set -e
}
says() { [[ "$OUT" == "$1"* ]] || { printf '# got: %s\n' "$OUT"; return 1; }; }
has() { grep -qF -- "$1" <<<"$OUT" || { printf '# got: %s\n' "$OUT"; return 1; }; }
# serve_file FILE: a plain web server whose /api/v1/trust is FILE; sets WWW_URL.
serve_file() {
	[ -n "$WWW_PID" ] && kill "$WWW_PID" 2>/dev/null && wait "$WWW_PID" 2>/dev/null || true
	mkdir -p "$W/www/api/v1"
	cp "$1" "$W/www/api/v1/trust"
	local port
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	python3 -m http.server --bind 127.0.0.1 --directory "$W/www" "$port" >/dev/null 2>&1 &
	WWW_PID=$!
	WWW_URL=http://127.0.0.1:$port/api/v1/trust
	for _ in $(seq 100); do
		curl -s -o /dev/null --max-time 1 "$WWW_URL" && return 0
		sleep 0.05
	done
	return 1
}

A=$W/state-a
col_start 0 "$W/col.db" --signing-key "$KEY"
URL=http://127.0.0.1:$COL_PORT/api/v1/trust
check "two approvals are given" eval '[ "$(approve uccx1.example.com $FP1)" = 201 ] &&
	[ "$(approve uccx2.example.com $FP2)" = 201 ]'

ts "$A" "$URL"
check "a good document is used (serial 2, two approvals, fetched)" \
	eval '[ $RC -eq 0 ] && says "ok serial=2 approvals=2 kept=0"'
check "it is kept in the state directory with its serial" \
	bash -c "grep -qF '$FP2' '$A/trustdoc.json' && [ \"\$(cat '$A/trustdoc.serial')\" = 2 ]"
check "the kept file is private (0600)" test "$(stat -c %a "$A/trustdoc.json")" = 600
cp "$A/trustdoc.json" "$W/good.json"

# Tampered: one fingerprint changed, the signature left as it was.
sed "s/$FP2/${FP2/46:5D/46:5E}/" "$W/good.json" >"$W/tampered.json"
serve_file "$W/tampered.json"
ts "$A" "$WWW_URL"
check "a tampered document is refused: bad signature" \
	eval '[ $RC -eq 1 ] && says "refused bad-signature: the collector'"'"'s trust document is refused" &&
		has "changed after the collector signed it"'
check "the kept document is not replaced by the tampered one" cmp -s "$A/trustdoc.json" "$W/good.json"

# Expired: dates in the past, signed again with the collector's own key.
python3 - "$W/good.json" "$W/expired-in.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["issued_at"], d["expires_at"] = "2026-01-01T00:00:00Z", "2026-01-08T00:00:00Z"
json.dump(d, open(sys.argv[2], "w"))
PY
python3 "$UCT_SOURCE_DIR/tests/tools/sign_trustdoc.py" "$KEY" "$W/expired-in.json" "$W/expired.json"
serve_file "$W/expired.json"
ts "$A" "$WWW_URL"
check "an expired document (the collector's key) is refused: expired" \
	eval '[ $RC -eq 1 ] && says "refused expired: the collector'"'"'s trust document is refused: the trust document expired"'

ts "$A" "$URL" "$W/other.pub"
check "a document checked with another key is refused: another collector key, with the fix" \
	eval '[ $RC -eq 1 ] && says "refused other-key:" && has "--print-trust-key"'
check "the kept document is still the good one" cmp -s "$A/trustdoc.json" "$W/good.json"

ts "$A" "$URL" "$KEY"
check "a private key given as the trust key stops the run (exit 2) with the fix" \
	eval '[ $RC -eq 2 ] && says "config: --trust-key: the trust key" &&
		has "is not an ECDSA P-256 public key in PEM" && has "--print-trust-key"'

col_stop
ts "$A" "$URL"
check "the collector stopped: the kept document is used" \
	eval '[ $RC -eq 0 ] && says "ok serial=2 approvals=2 kept=1" &&
		has "problem: the collector cannot be reached"'
ts "$W/state-b" "$URL"
check "the collector stopped and nothing kept: no document, with the cause" \
	eval '[ $RC -eq 1 ] && says "refused none: no trust document yet: the collector cannot be reached" &&
		has "and none is kept from an earlier run"'

# A fresh database with the same key: the serial starts again.
col_start 0 "$W/col2.db" --signing-key "$KEY"
URL=http://127.0.0.1:$COL_PORT/api/v1/trust
check "one approval on the fresh collector" eval '[ "$(approve uccx1.example.com $FP1)" = 201 ]'
ts "$A" "$URL"
check "a lower serial is refused: serial went back" \
	eval '[ $RC -eq 1 ] && says "refused serial-back:" && has "serial went back (1, after 2 was accepted)"'
check "the kept serial stays 2" test "$(cat "$A/trustdoc.serial")" = 2
ts "$W/state-c" "$URL"
check "a PC that never saw serial 2 takes the fresh collector's document" \
	eval '[ $RC -eq 0 ] && says "ok serial=1 approvals=1 kept=0"'
col_stop

col_start 0 "$W/col3.db"
ts "$W/state-d" "http://127.0.0.1:$COL_PORT/api/v1/trust"
check "a collector without a signing key: no document yet, HTTP 503 named" \
	eval '[ $RC -eq 1 ] && says "refused none: no trust document yet: the collector has no trust document yet (HTTP 503"'
col_stop

# ---- over HTTPS, with the report's TLS settings ----
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/tls.key" -out "$W/tls.crt" -days 2 \
	-subj "/CN=collector.test" -addext "subjectAltName=DNS:collector.test" 2>/dev/null
pin_of() { openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64; }
PIN="sha256//$(pin_of "$W/tls.crt")"
WRONG="sha256//$(openssl pkey -in "$W/other.key" -pubout -outform der | openssl dgst -sha256 -binary | base64)"
col_start 0 "$W/col.db" --signing-key "$KEY" --tls-cert "$W/tls.crt" --tls-key "$W/tls.key"
TURL=https://collector.test:$COL_PORT/api/v1/trust
TO=(--connect-to "collector.test:$COL_PORT:127.0.0.1:$COL_PORT")
TS_EXTRA=("${TO[@]}" --report-ca "$W/tls.crt" --report-pin "$PIN")
ts "$W/state-e" "$TURL"
check "HTTPS with --report-ca, --report-pin and --connect-to: the document is used" \
	eval '[ $RC -eq 0 ] && says "ok serial=2 approvals=2 kept=0"'
TS_EXTRA=("${TO[@]}" --report-ca "$W/tls.crt" --report-pin "$WRONG")
ts "$W/state-f" "$TURL"
check "HTTPS with a wrong pin: not fetched, pin mismatch named" \
	eval '[ $RC -eq 1 ] && says "refused none: no trust document yet: the collector cannot be reached" &&
		has "pin mismatch"'
TS_EXTRA=("${TO[@]}")
ts "$W/state-f" "$TURL"
check "HTTPS without --report-ca: the certificate is not trusted, not fetched" \
	eval '[ $RC -eq 1 ] && says "refused none:"'
col_stop
finish
