# tests/integration/lib.sh: shared helpers for the integration tests, which
# run the real agent against the lab (real TLS servers on loopback) into
# real NSS databases in temporary homes, and assert with NSS's certutil.
# Sourced, not run.

set -euo pipefail

BUILD=${UCT_BUILD_DIR:?UCT_BUILD_DIR must point at the build directory}
AGENT=$BUILD/uccx-trust
LAB=$BUILD/tests/uccx-lab
T_PASS=0
T_FAIL=0
T_WORK=$(mktemp -d /tmp/uct-it.XXXXXX)
T_LABS=()

cleanup() {
	local d
	col_stop
	for d in "${T_LABS[@]}"; do
		"$LAB" --stop --out "$d" >/dev/null 2>&1 || true
	done
	rm -rf "$T_WORK"
}
trap cleanup EXIT

ok() { T_PASS=$((T_PASS + 1)); echo "ok - $*"; }
not_ok() { T_FAIL=$((T_FAIL + 1)); echo "not ok - $*"; }
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
finish() {
	echo "$T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
}
# finish_inner ARG...: runs this script again as `bash SCRIPT --inner ARG...`
# in a private mount namespace, counts the ok and not ok lines it prints
# into this run's, fails unless it printed "inner done" at its end, and
# exits with finish's status.
finish_inner() {
	unshare -m bash "$0" --inner "$@" | tee "$T_WORK/inner.log" || true
	T_PASS=$((T_PASS + $(grep -c '^ok - ' "$T_WORK/inner.log" || true)))
	T_FAIL=$((T_FAIL + $(grep -c '^not ok - ' "$T_WORK/inner.log" || true)))
	grep -q '^inner done$' "$T_WORK/inner.log" || not_ok "the isolated part ran to its end"
	finish
	exit $?
}

# ---- the collector, for the reporting tests ----
COL=$BUILD/uccx-trust-collector
COL_PID=
COL_PORT=
# col_tokens: fresh agent and admin tokens in $T_WORK/agent.tok, admin.tok.
col_tokens() {
	head -c 24 /dev/urandom | base64 >"$T_WORK/agent.tok"
	head -c 24 /dev/urandom | base64 >"$T_WORK/admin.tok"
}
# col_start PORT DB [collector flags...]: the collector on 127.0.0.1:PORT
# (0: a free port) with those tokens, its log in $T_WORK/col.log; sets
# COL_PID, and COL_PORT from its "listening on" line. Fails when it is not
# listening within 5 s.
col_start() {
	local port=$1 db=$2
	shift 2
	: >"$T_WORK/col.log"
	"$COL" --listen "127.0.0.1:$port" --db "$db" --agent-token-file "$T_WORK/agent.tok" \
		--admin-token-file "$T_WORK/admin.tok" "$@" 2>"$T_WORK/col.log" &
	COL_PID=$!
	col_wait_port
}
# col_wait_port: COL_PORT from the "listening on" line of the collector
# COL_PID logs into $T_WORK/col.log; fails when there is none within 5 s
# or the collector exits first.
col_wait_port() {
	local _
	COL_PORT=
	for _ in $(seq 100); do
		COL_PORT=$(sed -n 's/.*listening on [a-z]*:\/\/[^ ]*:\([0-9]*\),.*/\1/p' "$T_WORK/col.log")
		[ -n "$COL_PORT" ] && break
		kill -0 "$COL_PID" 2>/dev/null || break
		sleep 0.05
	done
	[ -n "$COL_PORT" ]
}
# col_stop: stop the collector of col_start, if one runs.
col_stop() {
	[ -n "$COL_PID" ] || return 0
	kill "$COL_PID" 2>/dev/null || true
	wait "$COL_PID" 2>/dev/null || true
	COL_PID=
}

# lab_start DIR SCENARIO [uccx-lab options...]: start a lab in DIR, daemonised.
lab_start() {
	local dir=$1 scenario=$2
	shift 2
	"$LAB" --stop --out "$dir" >/dev/null 2>&1 || true
	"$LAB" --scenario "$scenario" --out "$dir" --daemon "$@" >/dev/null
	T_LABS+=("$dir")
}
lab_stop() { "$LAB" --stop --out "$1" >/dev/null 2>&1 || true; }

# new_home DIR: a PC user's home with one Firefox profile (NSS db created
# empty, as Firefox does) and no Chromium database yet.
new_home() {
	local home=$1 prof
	prof=$home/.mozilla/firefox/abcd1234.default-release
	mkdir -p "$prof"
	certutil -N -d "sql:$prof" --empty-password
	cat >"$home/.mozilla/firefox/profiles.ini" <<INI
[Profile0]
Name=default-release
IsRelative=1
Path=abcd1234.default-release
Default=1

[General]
StartWithLastProfile=1
Version=2
INI
}
ff_profile() { echo "$1/.mozilla/firefox/abcd1234.default-release"; }

# agent_args HOME LABDIR STATE: the flags every test run uses.
agent_args() {
	local home=$1 lab=$2 state=$3 line
	A=(--node uccx1.lab.example --node uccx2.lab.example --socialminer socialminer.lab.example
	   --home "$home" --state-dir "$state" --connect-timeout 2 --timeout 5)
	while read -r line; do A+=(--connect-to "$line"); done <"$lab/connect-to.txt"
}

# run_agent CMD [extra...]: runs the agent with A; sets RC and OUT.
run_agent() {
	set +e
	OUT=$("$AGENT" "$@" "${A[@]}" 2>&1)
	RC=$?
	set -e
}

# run_agent_without SONAME CMD [extra...]: runs the agent as run_agent does
# (sets RC and OUT) with the library SONAME hidden: bound to /dev/null in a
# private mount namespace, for this run only. Returns 1 without running it
# when that cannot be done here (not root, library not found).
# awk reads to the end: leaving early could kill ldconfig with SIGPIPE,
# which pipefail would turn into the end of the script.
run_agent_without() {
	local soname=$1 so
	shift
	so=$(ldconfig -p | awk -v n="$soname" '$1 == n && !found { print $NF; found = 1 }')
	[ -n "$so" ] && unshare -m true 2>/dev/null || return 1
	set +e
	OUT=$(unshare -m sh -c 'mount --bind /dev/null "$1" && shift && exec "$@"' sh \
		"$(readlink -f "$so")" "$AGENT" "$@" "${A[@]}" 2>&1)
	RC=$?
	set -e
}

# nss_flags DBDIR NICKNAME-PREFIX: the trust flags of our certificates, one
# "nickname<TAB>flags" line each, sorted.
nss_ours() {
	certutil -L -d "sql:$1" 2>/dev/null | awk 'NR>4 && /^uccx-trust / {
		flags=$NF; $NF=""; sub(/[ \t]+$/, ""); print $0 "\t" flags }' | sort
}
nss_count_ours() { nss_ours "$1" | grep -c . || true; }
nss_flags_for() { # DB CN-substring -> the flags of our cert whose nickname has it
	nss_ours "$1" | awk -F'\t' -v s="$2" 'index($1, s) { print $2 }' | sort -u | paste -sd' '
}

# run_agent_json CMD [extra...]: runs the agent with A and --json; sets RC,
# JSON (standard output only) and ERR (standard error).
run_agent_json() {
	set +e
	JSON=$("$AGENT" "$@" "${A[@]}" --json 2>"$T_WORK/stderr")
	RC=$?
	set -e
	ERR=$(cat "$T_WORK/stderr")
}

# jq_py JSON EXPR: evaluates the Python expression EXPR over the document d
# (JSON text), prints the result; fails when JSON does not parse.
jq_py() {
	python3 -c 'import json, sys
d = json.loads(sys.argv[1])
print(eval(sys.argv[2]))' "$1" "$2"
}

# fp_tag FP: the tag our NSS nicknames carry for a SHA-256 fingerprint (its
# first 4 bytes, lowercase hex).
fp_tag() { echo "$1" | tr -d ':' | tr 'A-F' 'a-f' | cut -c1-8; }
# lab_fp LAB HOST:PORT: the SHA-256 of the leaf that listener serves.
lab_fp() { awk -v hp="$2" '$1 == hp { print $2 }' "$1/fingerprints.txt"; }
# nss_has DB FP: how many of our certificates in DB carry that fingerprint.
nss_has() { nss_ours "$1" | grep -c " $(fp_tag "$2")	" || true; }
# override_records PROFILE [companions]: the override lines of
# cert_override.txt, one per exception: the companion line for "host.:port"
# with the same fingerprint as a line for host:port (Firefox needs it for the
# URL typed with a trailing dot) belongs to that line and is left out. With
# "companions", only the companion lines.
override_records() {
	[ -e "$1/cert_override.txt" ] || return 0
	awk -F'\t' -v want="${2:-records}" '
		$2 == "OID.2.16.840.1.101.3.4.2.1" { n++; line[n] = $0; key[n] = $1; fp[n] = $3
			have[$1 "\t" $3] = 1 }
		END {
			for (i = 1; i <= n; i++) {
				companion = 0
				if (match(key[i], /\.:[0-9]+:$/))
					companion = (substr(key[i], 1, RSTART - 1) substr(key[i], RSTART + 1) \
						     "\t" fp[i]) in have
				if (companion == (want == "companions"))
					print line[i]
			}
		}' "$1/cert_override.txt"
}
# override_lines PROFILE: the number of exceptions in cert_override.txt
# (a line and its companion count once, see override_records).
override_lines() { override_records "$1" | grep -c . || true; }
# override_companions PROFILE: the number of companion lines.
override_companions() { override_records "$1" companions | grep -c . || true; }
# ms_now: a monotonic-enough clock in milliseconds, for wall-time bounds.
ms_now() { echo $(($(date +%s%N) / 1000000)); }

# ---- certificates with names of any bytes (tests of hostile names) ----
# san_der NAME...: the DER of a subjectAltName holding each NAME (bytes as
# given, escapes like \n and \xff decoded) as a dNSName, in hex for
# openssl's "DER:" extension syntax.
san_der() {
	python3 - "$@" <<'PY'
import sys
def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        head = bytes([n])
    elif n < 0x100:
        head = bytes([0x81, n])
    else:
        head = bytes([0x82, n >> 8, n & 0xff])
    return bytes([tag]) + head + body
def raw(arg):
    # \xNN is that byte; \uNNNN is that character in UTF-8.
    text = arg.encode("utf-8", "surrogateescape").decode("unicode_escape")
    return b"".join(bytes([ord(c)]) if ord(c) < 0x100 else c.encode() for c in text)
names = [raw(a) for a in sys.argv[1:]]
print(tlv(0x30, b"".join(tlv(0x82, n) for n in names)).hex())
PY
}

# named_cert NAME CN SAN...: a self-signed CA:FALSE EC certificate and key in
# $T_WORK/NAME.pem and $T_WORK/NAME.key with those subjectAltNames, organisation
# "Lab $ORG" (ORG: CN when unset).
named_cert() {
	local name=$1 cn=$2
	shift 2
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-keyout "$T_WORK/$name.key" -out "$T_WORK/$name.pem" -utf8 -subj "/O=Lab ${ORG:-$cn}/CN=$cn" \
		-addext "basicConstraints=critical,CA:FALSE" \
		-addext "keyUsage=critical,digitalSignature" -addext "extendedKeyUsage=serverAuth" \
		-addext "subjectAltName=DER:$(san_der "$@")" 2>/dev/null
}
