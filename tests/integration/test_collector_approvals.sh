#!/usr/bin/env bash
# test_collector_approvals.sh: fleet-approved trust at the real collector on
# 127.0.0.1 (a temporary SQLite file, or the empty database UCT_COLLECTOR_DB
# names; test_collector_approvals_pg.sh runs it on PostgreSQL), driven with
# curl: approvals by endpoint, host and CA, force, every bad input, revoke,
# the audit log, token roles, the serial, and the signed trust document
# checked by an independent canonical form (Python) and `openssl dgst -verify`.
. "$(dirname "$0")/lib.sh"

SAMPLE=$UCT_SOURCE_DIR/tests/collector/sample-report.json
W=$T_WORK
COL_DB=${UCT_COLLECTOR_DB:-$W/col.db}
# Two admin tokens: one labelled, one not (its label is then "token 2").
head -c 24 /dev/urandom | base64 >"$W/agent.tok"
ADMIN_TOK=$(head -c 24 /dev/urandom | base64)
ADMIN2_TOK=$(head -c 24 /dev/urandom | base64)
printf '# the helpdesk lead\n%s   alice (helpdesk)\n%s\n' "$ADMIN_TOK" "$ADMIN2_TOK" >"$W/admin.tok"
AGENT_TOK=$(cat "$W/agent.tok")
KEY=$W/keys/trust.key
mkdir -p "$W/keys"

# Sample fingerprints: uccx1's Tomcat certificate (443, 8445, 8444, 12015)
# and its notification service on 7443; uccx2's.
FP1=A3:DC:C7:94:01:F6:79:53:C4:98:F2:03:A1:59:F0:C2:D2:AA:71:66:D3:C9:1A:B5:01:34:62:BF:39:AB:84:3B
FP1_7443=87:F2:EB:4C:4C:B2:E2:42:D6:2F:6C:98:34:E5:76:28:EB:90:79:77:AC:4C:A8:6C:03:42:58:F7:9B:ED:F7:EE
FP2=46:5D:6F:14:14:CF:EC:CD:FF:DA:55:19:9C:23:FB:D4:B1:D4:4B:9C:FB:66:3B:06:7F:74:E6:C1:5D:F8:BF:DD
UNSEEN=00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF

start() { # start [flags...]: the collector with the signing key; sets URL
	col_start 0 "$COL_DB" "$@"
	URL=http://127.0.0.1:$COL_PORT
	[ -n "$COL_PORT" ]
}
# call METHOD PATH [TOKEN] [BODY]: sets CODE and BODY.
call() {
	local method=$1 path=$2 tok=${3-$ADMIN_TOK} data=${4-}
	local args=(-sS --max-time 20 -X "$method" -w '\n%{http_code}')
	[ -n "$tok" ] && args+=(-H "Authorization: Bearer $tok")
	[ -n "$data" ] && args+=(-H 'Content-Type: application/json' --data-binary "$data")
	BODY=$(curl "${args[@]}" "$URL$path" 2>/dev/null) || true
	CODE=${BODY##*$'\n'}
	BODY=${BODY%$'\n'*}
}
has() { grep -qF -- "$2" <<<"$1"; }
# field JSON EXPR: a Python expression over the document d, printed.
field() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }
approve() { call POST /api/v1/approvals "$ADMIN_TOK" "$1"; }
serial() { call GET /api/v1/approvals; field "$BODY" 'd["serial"]'; }

# ---- the signing key ----
"$COL" --print-trust-key --signing-key "$KEY" >"$W/trust.pub" 2>"$W/print.log"
check "--print-trust-key creates a missing key and prints its public key (PEM)" \
	bash -c "head -1 '$W/trust.pub' | grep -qx -- '-----BEGIN PUBLIC KEY-----' &&
		openssl pkey -pubin -in '$W/trust.pub' -noout -text | grep -q 'NIST CURVE: P-256'"
check "the key file is created with mode 0600" test "$(stat -c %a "$KEY")" = 600
"$COL" --print-trust-key --signing-key "$KEY" >"$W/trust2.pub"
check "the key is kept: --print-trust-key prints the same key again" cmp -s "$W/trust.pub" "$W/trust2.pub"
cp "$KEY" "$W/keys/open.key"
chmod 640 "$W/keys/open.key"
set +e
"$COL" --listen 127.0.0.1:0 --db "$W/refused.db" --agent-token-file "$W/agent.tok" \
	--admin-token-file "$W/admin.tok" --signing-key "$W/keys/open.key" 2>"$W/open.log"
rc=$?
set -e
check "a key readable by its group is refused at start, with the fix" \
	bash -c "[ $rc -ne 0 ] && grep -qF \"run 'chmod 600 $W/keys/open.key'\" '$W/open.log'"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$W/keys/p384.key" 2>/dev/null
chmod 600 "$W/keys/p384.key"
set +e
"$COL" --print-trust-key --signing-key "$W/keys/p384.key" >/dev/null 2>"$W/p384.log"
rc=$?
set -e
check "a P-384 key is refused: not an ECDSA P-256 key" \
	bash -c "[ $rc -ne 0 ] && grep -qF 'is not an ECDSA P-256 key' '$W/p384.log'"
check "--help documents the signing key and the public key" \
	bash -c "'$COL' --help | grep -q -- '--signing-key FILE' && '$COL' --help | grep -q -- '--print-trust-key'"

printf '%s\n%s  shared\n' "$ADMIN_TOK" "$AGENT_TOK" >"$W/both.tok"
set +e
timeout 20 "$COL" --listen 127.0.0.1:0 --db "$W/refused.db" --agent-token-file "$W/agent.tok" \
	--admin-token-file "$W/both.tok" 2>"$W/both.log"
rc=$?
set -e
check "a token in both token files is refused at start: any PC could approve" \
	bash -c "[ $rc -ne 0 ] && grep -qF 'token 1 of the agent token file is also an admin token' '$W/both.log'"

start --signing-key "$KEY"

# ---- token roles, on every admin route ----
# A wrong token is one of the right length, and a prefix of the admin's.
for route in "GET /api/v1/approvals" "POST /api/v1/approvals" "DELETE /api/v1/approvals/1" \
	     "GET /api/v1/audit" "GET /api/v1/audit?limit=1" "GET /api/v1/hosts" \
	     "GET /api/v1/hosts?order=problems" "GET /api/v1/hosts/agent-pc-01" \
	     "GET /api/v1/endpoints" "GET /metrics" "HEAD /api/v1/endpoints" \
	     "GET /api/v1/no-such-route"; do
	set -- $route
	call "$1" "$2" "" '{}'
	c_none=$CODE
	call "$1" "$2" "not-a-token-of-this-collector" '{}'
	c_wrong=$CODE
	call "$1" "$2" "$(tr A-Za-z N-ZA-Mn-za-m <<<"$ADMIN_TOK")" '{}'
	c_rot=$CODE
	call "$1" "$2" "${ADMIN_TOK:0:20}" '{}'
	c_prefix=$CODE
	call "$1" "$2" "$AGENT_TOK" '{}'
	check "$route: no token, a wrong one, one as long, a prefix 401; the agent token 403" \
		test "$c_none:$c_wrong:$c_rot:$c_prefix:$CODE" = 401:401:401:401:403
done
call GET /api/v1/hosts "$AGENT_TOK"
check "the agent's 403 says what its token is for" \
	bash -c "grep -qF 'needs an admin token' <<<'$BODY' && grep -qF 'sends reports' <<<'$BODY'"
call GET /api/v1/hosts ""
check "a 401 names the admin token" grep -qF 'a valid admin token is required' <<<"$BODY"
call POST /api/v1/reports "$ADMIN_TOK" '{}'
check "the admin token cannot send a report: 401" test "$CODE" = 401
# headers_only TOKEN: the status the collector answers to an approval's
# headers (1000 bytes announced, none sent) within 3 s, or "none".
headers_only() {
	python3 - "$COL_PORT" "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
auth = "Authorization: Bearer %s\r\n" % sys.argv[2] if sys.argv[2] else ""
s.sendall(("POST /api/v1/approvals HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
           "Content-Length: 1000\r\n\r\n" % auth).encode())
try:
    print(s.recv(64).split(b" ")[1].decode())
except (socket.timeout, IndexError):
    print("none")
PY
}
check "an approval without a token is refused before its body is read: 401" \
	test "$(headers_only "")" = 401
check "an approval with the agent token is refused before its body is read: 403" \
	test "$(headers_only "$AGENT_TOK")" = 403
check "an admin's approval waits for its body" test "$(headers_only "$ADMIN_TOK")" = none
{ printf '{"note":"'; head -c 2000000 /dev/zero | tr '\0' a; printf '"}'; } >"$W/big.json"
big() { curl -sS --max-time 20 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" \
	--data-binary "@$W/big.json" "$URL/api/v1/approvals" 2>/dev/null || true; }
check "2 MB of approval with the agent token: 403, not read" test "$(big "$AGENT_TOK")" = 403
check "2 MB of approval with the admin token: 413" test "$(big "$ADMIN_TOK")" = 413
call GET /api/v1/trust ""
c_none=$CODE
call GET /api/v1/trust "$AGENT_TOK"
c_agent=$CODE
call GET /api/v1/trust "$ADMIN_TOK"
check "GET /api/v1/trust: no token 401, the agent and the admin token 200" \
	test "$c_none:$c_agent:$CODE" = 401:200:200
check "a new database: serial 0, no approval" test "$(serial)" = 0

# ---- what the fleet sees: one report ----
sed 's/"report_id":"[^"]*"/"report_id":"00000000-0000-4000-8000-0000000000a1"/' "$SAMPLE" >"$W/r1.json"
BODY=$(curl -sS --max-time 20 -H "Authorization: Bearer $AGENT_TOK" --data-binary "@$W/r1.json" \
	"$URL/api/v1/reports")
check "a report of the fleet is stored" has "$BODY" '"duplicate":false'

# ---- approve ----
lower=$(tr -d : <<<"$FP1" | tr A-F a-f)
approve "{\"endpoint\":\"UCCX1.lab.example:8445\",\"sha256\":\"$lower\",\"note\":\"Tomcat renewed, ticket 4711\"}"
check "approve by endpoint (a reported certificate, bare lower-case hex): 201 with its id" \
	test "$CODE" = 201 -a "$(field "$BODY" 'd["id"]')" -ge 1
ID_EP=$(field "$BODY" 'd["id"]')
check "the serial grew to 1" test "$(serial)" = 1
approve "{\"endpoint\":\"uccx1.lab.example:8445\",\"sha256\":\"$FP1\",\"note\":\"again\"}"
msg=$(field "$BODY" 'd["error"]')
check "the same approval again (colon form): 409 naming the approval that says it" \
	bash -c "[ '$CODE' = 409 ] && grep -qF 'approval $ID_EP already says this' <<<'$msg'"
check "a duplicate leaves the serial" test "$(serial)" = 1
approve "{\"host\":\"uccx2.lab.example\",\"sha256\":\"$FP2\"}"
check "approve by host: 201" test "$CODE" = 201
ID_HOST=$(field "$BODY" 'd["id"]')
check "the serial grew to 2" test "$(serial)" = 2

approve "{\"endpoint\":\"uccx1.lab.example:8445\",\"sha256\":\"$UNSEEN\"}"
msg=$(field "$BODY" 'd["error"]')
check "a fingerprint no agent reported: 409 naming force" \
	bash -c "[ '$CODE' = 409 ] && grep -qF '\"force\": true' <<<'$msg'"
approve "{\"endpoint\":\"uccx1.lab.example:7443\",\"sha256\":\"$FP1\"}"
check "a reported fingerprint, but at another port of the endpoint given: 409" test "$CODE" = 409
approve "{\"host\":\"uccx2.lab.example\",\"sha256\":\"$FP1_7443\"}"
check "a fingerprint reported for another host only: 409" test "$CODE" = 409
check "refused approvals leave the serial" test "$(serial)" = 2
approve "{\"endpoint\":\"uccx1.lab.example:8445\",\"sha256\":\"$UNSEEN\",\"force\":true,\"note\":\"new certificate, installed tonight\"}"
check "the same with \"force\": true: 201" test "$CODE" = 201
ID_FORCED=$(field "$BODY" 'd["id"]')

# A private CA (CA:TRUE), a leaf (CA:FALSE), and one without basicConstraints.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/ca.key" \
	-subj "/CN=Contact Centre CA" -days 30 -addext basicConstraints=critical,CA:TRUE \
	-out "$W/ca.pem" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/leaf.key" \
	-subj "/CN=uccx1.lab.example" -days 30 -addext basicConstraints=CA:FALSE \
	-out "$W/leaf.pem" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/nobc.key" \
	-subj "/CN=uccx1.lab.example" -days 30 -config <(printf '[req]\ndistinguished_name=dn\n[dn]\n') \
	-out "$W/nobc.pem" 2>/dev/null
CA_FP=$(openssl x509 -in "$W/ca.pem" -noout -fingerprint -sha256 | cut -d= -f2)
pem_json() { python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$1"; }
approve "{\"ca_pem\":$(pem_json "$W/ca.pem"),\"hosts\":[\"uccx1.lab.example\",\"Socialminer.lab.example\"],\"note\":\"moved to the company CA\"}"
check "approve a CA for a list of hosts: 201" test "$CODE" = 201
ID_CA=$(field "$BODY" 'd["id"]')
approve "{\"ca_pem\":$(pem_json "$W/ca.pem"),\"hosts\":[\"uccx1.lab.example\",\"socialminer.lab.example\"]}"
check "the same CA for the same hosts again: 409" test "$CODE" = 409
approve "{\"ca_pem\":$(pem_json "$W/ca.pem"),\"hosts\":[\"uccx1.lab.example\"],\"note\":\"only the first\"}"
check "the same CA for other hosts is another approval: 201" test "$CODE" = 201
ID_CA2=$(field "$BODY" 'd["id"]')
call DELETE "/api/v1/approvals/$ID_CA2"
call GET /api/v1/approvals
check "the CA is listed with its SHA-256, its PEM and its hosts (lower case)" \
	test "$(field "$BODY" '[(a["sha256"], a["hosts"], a["ca_pem"].startswith("-----BEGIN CERTIFICATE-----\n")) for a in d["approvals"] if a["id"] == '"$ID_CA"'][0]')" = \
	"('$CA_FP', ['uccx1.lab.example', 'socialminer.lab.example'], True)"
check "the endpoint approval: normalised fingerprint, who, note" \
	test "$(field "$BODY" '[(a["endpoint"], a["sha256"], a["approved_by"], a["note"], a["active"]) for a in d["approvals"] if a["id"] == '"$ID_EP"'][0]')" = \
	"('uccx1.lab.example:8445', '$FP1', 'alice (helpdesk)', 'Tomcat renewed, ticket 4711', True)"
check "newest first, five approvals" \
	test "$(field "$BODY" '[a["id"] for a in d["approvals"]]')" = "[$ID_CA2, $ID_CA, $ID_FORCED, $ID_HOST, $ID_EP]"

# ---- bad input: 400 with the reason ----
bad() { # bad DESCRIPTION BODY EXPECTED-PART
	approve "$2"
	check "400: $1" bash -c "[ '$CODE' = 400 ] && grep -qF -- '$3' <<<'${BODY//\'/}'"
}
bad "not JSON" 'approve it' "JSON object"
bad "an array" '["uccx1.lab.example"]' "JSON object"
bad "an unknown member" "{\"endpoint\":\"uccx1.lab.example:443\",\"sha256\":\"$FP1\",\"port\":443}" 'unknown member \"port\"'
bad "a member twice" "{\"host\":\"uccx1.lab.example\",\"host\":\"x.example\",\"sha256\":\"$FP1\"}" "duplicate"
bad "no sha256 nor ca_pem" '{"endpoint":"uccx1.lab.example:443"}' "sha256:"
bad "sha256 of 63 hex digits" "{\"endpoint\":\"uccx1.lab.example:443\",\"sha256\":\"${lower:1}\"}" "sha256:"
bad "sha256 with a non-hex digit" "{\"endpoint\":\"uccx1.lab.example:443\",\"sha256\":\"${FP1/A3/G3}\"}" "sha256:"
bad "sha256 as a number" '{"endpoint":"uccx1.lab.example:443","sha256":12}' "sha256:"
bad "endpoint and host both" "{\"endpoint\":\"uccx1.lab.example:443\",\"host\":\"uccx1.lab.example\",\"sha256\":\"$FP1\"}" "either"
bad "neither endpoint nor host" "{\"sha256\":\"$FP1\"}" "either"
bad "an endpoint without a port" "{\"endpoint\":\"uccx1.lab.example\",\"sha256\":\"$FP1\"}" "endpoint: HOST:PORT"
bad "an endpoint at port 0" "{\"endpoint\":\"uccx1.lab.example:0\",\"sha256\":\"$FP1\"}" "endpoint: HOST:PORT"
bad "an endpoint at port 65536" "{\"endpoint\":\"uccx1.lab.example:65536\",\"sha256\":\"$FP1\"}" "endpoint: HOST:PORT"
bad "an endpoint by IP address" "{\"endpoint\":\"10.1.2.3:8445\",\"sha256\":\"$FP1\"}" "no IP address"
bad "a short host name" "{\"host\":\"uccx1\",\"sha256\":\"$FP1\"}" "host: the server"
bad "a host with a port" "{\"host\":\"uccx1.lab.example:443\",\"sha256\":\"$FP1\"}" "host: the server"
bad "a host with a wildcard" "{\"host\":\"*.lab.example\",\"sha256\":\"$FP1\"}" "host: the server"
bad "sha256 and ca_pem both" "{\"host\":\"uccx1.lab.example\",\"sha256\":\"$FP1\",\"ca_pem\":$(pem_json "$W/ca.pem")}" "not both"
bad "ca_pem that is no certificate" '{"hosts":["uccx1.lab.example"],"ca_pem":"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}' "not a PEM certificate"
bad "ca_pem of a leaf (CA:FALSE)" "{\"hosts\":[\"uccx1.lab.example\"],\"ca_pem\":$(pem_json "$W/leaf.pem")}" "not a CA certificate"
bad "ca_pem without basicConstraints" "{\"hosts\":[\"uccx1.lab.example\"],\"ca_pem\":$(pem_json "$W/nobc.pem")}" "not a CA certificate"
bad "a CA for an endpoint" "{\"endpoint\":\"uccx1.lab.example:443\",\"ca_pem\":$(pem_json "$W/ca.pem")}" "not for an endpoint"
bad "a CA without hosts" "{\"ca_pem\":$(pem_json "$W/ca.pem")}" "hosts: a CA"
bad "a CA for an empty list" "{\"hosts\":[],\"ca_pem\":$(pem_json "$W/ca.pem")}" "hosts: a CA"
bad "a CA for an IP address" "{\"hosts\":[\"uccx1.lab.example\",\"192.168.1.10\"],\"ca_pem\":$(pem_json "$W/ca.pem")}" "hosts[1]"
bad "force not a boolean" "{\"host\":\"uccx1.lab.example\",\"sha256\":\"$FP1\",\"force\":\"yes\"}" "force: true or false"
bad "a note over two lines" "{\"host\":\"uccx1.lab.example\",\"sha256\":\"$FP1\",\"note\":\"a\\nb\"}" "note:"
bad "a note of 1001 bytes" "{\"host\":\"uccx1.lab.example\",\"sha256\":\"$FP1\",\"note\":\"$(head -c 1001 /dev/zero | tr '\0' n)\"}" "note:"
check "bad input leaves the serial" test "$(serial)" = 6

# ---- revoke ----
call DELETE "/api/v1/approvals/$ID_FORCED" "$ADMIN2_TOK"
check "revoke: 200" test "$CODE" = 200 -a "$BODY" = "{\"id\":$ID_FORCED,\"revoked\":true}"
check "the serial grew to 7" test "$(serial)" = 7
call DELETE "/api/v1/approvals/$ID_FORCED"
check "revoke again: 409, already revoked" \
	bash -c "[ '$CODE' = 409 ] && grep -qF 'already revoked' <<<'$BODY'"
call DELETE /api/v1/approvals/999999
check "revoke an unknown id: 404" test "$CODE" = 404
call DELETE /api/v1/approvals/abc
check "revoke a non-numeric id: 404" test "$CODE" = 404
check "failed revocations leave the serial" test "$(serial)" = 7
call GET /api/v1/approvals
check "the revoked approval is kept, inactive, with who and when" \
	test "$(field "$BODY" '[(a["active"], a["revoked_by"], a["revoked_at"] is not None) for a in d["approvals"] if a["id"] == '"$ID_FORCED"'][0]')" = \
	"(False, 'token 2', True)"

# ---- the audit log ----
call GET /api/v1/audit
A='alice (helpdesk)'
check "the audit log: five approvals and two revocations, oldest first, by whom" \
	test "$(field "$BODY" '[(e["action"], e["approval_id"], e["actor"]) for e in d["audit"]]')" = \
	"[('approve', $ID_EP, '$A'), ('approve', $ID_HOST, '$A'), ('approve', $ID_FORCED, '$A'), ('approve', $ID_CA, '$A'), ('approve', $ID_CA2, '$A'), ('revoke', $ID_CA2, '$A'), ('revoke', $ID_FORCED, 'token 2')]"
check "each entry carries the approval as it then was" \
	test "$(field "$BODY" '[(e["approval"]["sha256"], e["approval"]["active"]) for e in d["audit"] if e["approval_id"] == '"$ID_FORCED"']')" = \
	"[('$UNSEEN', True), ('$UNSEEN', False)]"
call GET "/api/v1/audit?limit=2"
first=$(field "$BODY" '[e["id"] for e in d["audit"]]')
next=$(field "$BODY" 'd["next_after"]')
call GET "/api/v1/audit?limit=2&after=$next"
check "audit pages: limit and next_after" \
	test "$first:$(field "$BODY" '[e["id"] for e in d["audit"]]')" = "[1, 2]:[3, 4]"
if [ -z "${UCT_COLLECTOR_DB:-}" ]; then
	check "SQLite: the audit log refuses DELETE and UPDATE, whoever asks" python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
for sql in ("DELETE FROM audit", "UPDATE audit SET actor = 1"):
    try:
        db.execute(sql); db.commit(); sys.exit(sql + " worked")
    except sqlite3.DatabaseError as e:
        assert "append-only" in str(e), e
assert db.execute("SELECT COUNT(*) FROM audit").fetchone()[0] == 7' "$COL_DB"
fi
call GET "/api/v1/audit?limit=0"
check "audit limit 0: 400" test "$CODE" = 400

# ---- the signed trust document ----
call GET /api/v1/trust "$AGENT_TOK"
printf '%s' "$BODY" >"$W/trust.json"
# The canonical bytes by another implementation: Python's json, keys
# sorted, no whitespace, non-ASCII escaped (docs/report-schema.md).
canon() {
	python3 -c 'import json,sys,base64
d = json.load(open(sys.argv[1])); sig = d.pop("signature")
open(sys.argv[2], "wb").write(json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode())
open(sys.argv[3], "wb").write(base64.b64decode(sig))' "$1" "$2" "$3"
}
canon "$W/trust.json" "$W/trust.canon" "$W/trust.sig"
check "the document's signature verifies with openssl dgst -verify and the printed key" \
	bash -c "openssl dgst -sha256 -verify '$W/trust.pub' -signature '$W/trust.sig' '$W/trust.canon' | grep -qx 'Verified OK'"
check "the document: serial 7, the three active approvals, oldest first" \
	test "$(field "$BODY" '(d["version"], d["serial"], [a["id"] for a in d["approvals"]])')" = \
	"(1, 7, [$ID_EP, $ID_HOST, $ID_CA])"
check "the approvals as the agent needs them, nothing an admin typed" \
	test "$(field "$BODY" '[sorted(a) for a in d["approvals"]]')" = \
	"[['approved_at', 'endpoint', 'id', 'kind', 'sha256'], ['approved_at', 'host', 'id', 'kind', 'sha256'], ['approved_at', 'ca_pem', 'hosts', 'id', 'kind', 'sha256']]"
check "expires_at is issued_at plus 7 days" test "$(field "$BODY" \
	'__import__("calendar").timegm(__import__("time").strptime(d["expires_at"], "%Y-%m-%dT%H:%M:%SZ")) - __import__("calendar").timegm(__import__("time").strptime(d["issued_at"], "%Y-%m-%dT%H:%M:%SZ"))')" = 604800
sed 's/"serial":7/"serial":8/' "$W/trust.json" >"$W/tampered.json"
canon "$W/tampered.json" "$W/tampered.canon" "$W/tampered.sig"
check "a document whose serial was changed does not verify" \
	bash -c "! openssl dgst -sha256 -verify '$W/trust.pub' -signature '$W/tampered.sig' '$W/tampered.canon' >/dev/null 2>&1"
openssl pkey -in "$W/keys/p384.key" -pubout -out "$W/other.pub" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/keys/other.key" 2>/dev/null
openssl pkey -in "$W/keys/other.key" -pubout -out "$W/other.pub" 2>/dev/null
check "and it does not verify with another P-256 key" \
	bash -c "! openssl dgst -sha256 -verify '$W/other.pub' -signature '$W/trust.sig' '$W/trust.canon' >/dev/null 2>&1"
col_stop

# A restart keeps the key and the serial; --trust-validity sets the expiry.
start --signing-key "$KEY" --trust-validity 2
call GET /api/v1/trust "$ADMIN_TOK"
printf '%s' "$BODY" >"$W/trust2.json"
canon "$W/trust2.json" "$W/trust2.canon" "$W/trust2.sig"
check "after a restart: the same key signs, the serial is kept, 2 days' validity" \
	bash -c "openssl dgst -sha256 -verify '$W/trust.pub' -signature '$W/trust2.sig' '$W/trust2.canon' >/dev/null &&
		[ \"\$(python3 -c 'import json,sys,calendar,time; d=json.load(open(sys.argv[1])); t=lambda s: calendar.timegm(time.strptime(s, \"%Y-%m-%dT%H:%M:%SZ\")); print(d[\"serial\"], t(d[\"expires_at\"]) - t(d[\"issued_at\"]))' '$W/trust2.json')\" = '7 172800' ]"
call DELETE "/api/v1/approvals/$ID_HOST"
call GET /api/v1/trust "$AGENT_TOK"
check "a revocation: serial 8, the approval leaves the document" \
	test "$(field "$BODY" '(d["serial"], [a["id"] for a in d["approvals"]])')" = "(8, [$ID_EP, $ID_CA])"
col_stop

start
call GET /api/v1/trust "$AGENT_TOK"
check "without --signing-key: 503 naming it; approvals still answer" \
	bash -c "[ '$CODE' = 503 ] && grep -qF -- '--signing-key' <<<'$BODY'"
call GET /api/v1/approvals
check "approvals without a signing key: 200" test "$CODE" = 200
col_stop

finish
