#!/usr/bin/env bash
# test_wine_trustdoc.sh: the check of the collector's signed trust document
# in the Windows build (BCrypt, under Wine) and in the Linux build (OpenSSL),
# on the same files: keys from `openssl ecparam`, documents signed by
# `openssl dgst -sha256 -sign` over Python's canonical bytes
# (tests/tools/sign_trustdoc.py). Both must accept and refuse alike, for
# the same reason, with the same output. Then the Windows trust source
# (uct-trustsrc.exe: WinHTTP and BCrypt) against the real collector: the
# document fetched and kept, a tampered one and another key refused, the
# kept one used when the collector is stopped.
. "$(dirname "$0")/lib.sh"

W_ERR=/dev/null
. "$(dirname "$0")/wine_lib.sh"
LIN=$BUILD/uct-trustcheck
WEXE=$WIN/uct-trustcheck.exe
TSW=$WIN/uct-trustsrc.exe
wine_require "$WEXE" "$LIN" "$TSW"

d=$T_WORK/docs
mkdir -p "$d"
cd "$d"
openssl ecparam -name prime256v1 -genkey -noout -out key.pem
openssl ec -in key.pem -pubout -out pub.pem 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out other.pem
openssl ec -in other.pem -pubout -out other_pub.pem 2>/dev/null
openssl ecparam -name secp384r1 -genkey -noout | openssl ec -pubout -out p384_pub.pem 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null |
	openssl pkey -pubout -out rsa_pub.pem

FP=A3:DC:C7:94:01:F6:79:53:C4:98:F2:03:A1:59:F0:C2:D2:AA:71:66:D3:C9:1A:B5:01:34:62:BF:39:AB:84:3B
cat >in.json <<JSON
{"version": 1, "serial": 5, "issued_at": "2026-12-05T12:10:00Z", "expires_at": "2026-12-12T12:10:00Z",
 "approvals": [
  {"id": 1, "kind": "endpoint", "endpoint": "uccx1.example.com:8445", "sha256": "$FP", "approved_at": "2026-12-05T12:01:10Z"},
  {"id": 3, "kind": "host", "host": "uccx2.example.com", "sha256": "$FP", "approved_at": "2026-12-05T12:05:34Z"},
  {"id": 2, "kind": "ca", "ca_pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
   "hosts": ["uccx1.example.com", "uccx2.example.com"], "sha256": "$FP", "approved_at": "2026-12-05T12:06:00Z"}]}
JSON
python3 "$UCT_SOURCE_DIR/tests/tools/sign_trustdoc.py" key.pem in.json good.json
python3 "$UCT_SOURCE_DIR/tests/tools/sign_trustdoc.py" other.pem in.json other.json
# Variants of the good document: its text changed, its DER signature
# changed (each re-encoded in valid base64), a member given twice.
python3 - <<'PY'
import base64, json
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # P-256's order
doc = json.load(open("good.json"))
der = base64.b64decode(doc["signature"])
def with_sig(name, sig):
    d = dict(doc, signature=base64.b64encode(sig).decode())
    json.dump(d, open(name, "w"), indent=1)
def der_int(v, pad=b""):
    b = v.to_bytes((v.bit_length() + 8) // 8, "big")
    return b"\x02" + bytes([len(pad + b)]) + pad + b
def der_seq(body):
    return b"\x30" + bytes([len(body)]) + body
rlen = der[3]
r = int.from_bytes(der[4:4 + rlen], "big")
s = int.from_bytes(der[6 + rlen:], "big")
s_other = N - s  # the other valid signature, with s above n/2 when it was below
with_sig("high_s.json", der_seq(der_int(r) + der_int(s_other)))
with_sig("sig_first.json", bytes([der[0] ^ 1]) + der[1:])
with_sig("sig_r.json", der[:4] + bytes([der[4] ^ 0x40]) + der[5:])
with_sig("sig_last.json", der[:-1] + bytes([der[-1] ^ 1]))
with_sig("sig_trailing.json", der + b"\x00")
with_sig("sig_padded.json", der_seq(der_int(r, b"\x00\x00") + der_int(s)))
text = open("good.json").read()
open("serial.json", "w").write(text.replace('"serial": 5', '"serial": 6'))
open("host.json", "w").write(text.replace("uccx2.example.com", "uccx3.example.com", 1))
open("dup.json", "w").write('{"serial": 99,' + text.lstrip()[1:])
PY

ISSUED=1796472600 EXPIRES=1797077400 NOW=$((1796472600 + 3600))
# case NAME DOCUMENT KEY LAST NOW WANT: both builds give WANT ("ok" or
# "refused FAULT") and the same output.
case_() {
	local name=$1 doc=$2 key=$3 last=$4 now=$5 want=$6 lin win
	lin=$("$LIN" "$doc" "$key" "$last" "$now" || true)
	win=$(w "$WEXE" "$doc" "$key" "$last" "$now" || true)
	check "$name: Linux (OpenSSL) says '$want'" eval '[[ "$lin" == "$want"* ]]'
	check "$name: Windows (BCrypt) says '$want'" eval '[[ "$win" == "$want"* ]]'
	check "$name: both print the same" [ "$lin" = "$win" ]
	[ "$lin" = "$win" ] || printf '# linux:   %s\n# windows: %s\n' "$lin" "$win"
}

check "a fresh Wine prefix starts (wineboot -i)" eval 'timeout 180 wine wineboot -i >/dev/null 2>&1'
case_ "signed document" good.json pub.pem 4 "$NOW" "ok serial=5 approvals=3"
case_ "the same serial again" good.json pub.pem 5 "$NOW" "ok serial=5"
case_ "high-S signature" high_s.json pub.pem 0 "$NOW" "ok serial=5"
case_ "serial changed in the text" serial.json pub.pem 0 "$NOW" "refused bad-signature"
case_ "host name changed in the text" host.json pub.pem 0 "$NOW" "refused bad-signature"
case_ "signature's first DER byte flipped" sig_first.json pub.pem 0 "$NOW" "refused bad-signature"
case_ "a bit of r flipped" sig_r.json pub.pem 0 "$NOW" "refused bad-signature"
case_ "signature's last byte flipped" sig_last.json pub.pem 0 "$NOW" "refused bad-signature"
case_ "a byte after the DER signature" sig_trailing.json pub.pem 0 "$NOW" "refused bad-signature"
case_ "r with needless leading zeros" sig_padded.json pub.pem 0 "$NOW" "refused bad-signature"
case_ "signed by another key" other.json pub.pem 0 "$NOW" "refused other-key"
case_ "expired" good.json pub.pem 0 "$EXPIRES" "refused expired"
case_ "issued in the future" good.json pub.pem 0 $((ISSUED - 301)) "refused not-yet-valid"
case_ "serial went back" good.json pub.pem 6 "$NOW" "refused serial-back"
case_ "a member given twice" dup.json pub.pem 0 "$NOW" "refused malformed"
case_ "a P-384 key" good.json p384_pub.pem 0 "$NOW" "refused bad-key"
case_ "an RSA key" good.json rsa_pub.pem 0 "$NOW" "refused bad-key"
case_ "a private key given as the trust key" good.json key.pem 0 "$NOW" "refused bad-key"

# ---- the trust source under Wine, against the real collector ----
col_tokens
ADMIN_TOK=$(cat "$T_WORK/admin.tok")
cp "$T_WORK/agent.tok" agent.tok
"$COL" --print-trust-key --signing-key "$d/col.key" >col.pub
col_start 0 "$T_WORK/col.db" --signing-key "$d/col.key"
URL=http://127.0.0.1:$COL_PORT/api/v1/trust
code=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' -X POST \
	-H "Authorization: Bearer $ADMIN_TOK" -H 'Content-Type: application/json' \
	--data-binary "{\"host\":\"uccx1.example.com\",\"sha256\":\"$FP\",\"force\":true}" \
	"http://127.0.0.1:$COL_PORT/api/v1/approvals")
check "an approval is given at the collector" [ "$code" = 201 ]
wts() { # wts URL [KEY]: the Windows trust source; sets OUT and RC
	set +e
	OUT=$(w "$TSW" check --node uccx1.example.com --trust collector --trust-url "$1" \
		--trust-key "${2:-col.pub}" --report-token-file agent.tok \
		--state-dir 'C:\uct-trust-state' --connect-timeout 5 --timeout 30)
	RC=$?
	set -e
	echo "# $OUT" | head -2
}
wts "$URL"
check "Windows: the collector's document is fetched and checked with BCrypt" \
	eval '[ $RC -eq 0 ] && [[ "$OUT" == "ok serial=1 approvals=1 kept=0"* ]]'
kept_doc=$WINEPREFIX/drive_c/uct-trust-state/trustdoc.json
check "Windows: it is kept in the state directory" grep -qF "$FP" "$kept_doc"
# A tampered copy from a plain web server.
mkdir -p www/api/v1
sed 's/uccx1\.example\.com/uccx9.example.com/' "$kept_doc" >www/api/v1/trust
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory www "$port" >/dev/null 2>&1 &
www_pid=$!
for _ in $(seq 100); do curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/api/v1/trust" && break; sleep 0.05; done
wts "http://127.0.0.1:$port/api/v1/trust"
kill "$www_pid" 2>/dev/null || true
check "Windows: a tampered document is refused: bad signature" \
	eval '[ $RC -eq 1 ] && [[ "$OUT" == "refused bad-signature: the collector'"'"'s trust document is refused"* ]]'
wts "$URL" other_pub.pem
check "Windows: another key is refused: another collector key" \
	eval '[ $RC -eq 1 ] && [[ "$OUT" == "refused other-key:"* ]]'
col_stop
wts "$URL"
check "Windows: the collector stopped: the kept document is used" \
	eval '[ $RC -eq 0 ] && [[ "$OUT" == "ok serial=1 approvals=1 kept=1"* ]] &&
		grep -qF "problem: the collector cannot be reached" <<<"$OUT"'
cd /
finish
