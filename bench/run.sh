#!/usr/bin/env bash
# bench/run.sh: the login-script benchmark. The agent's whole run against the
# lab (2 nodes + SocialMiner, 11 host:ports, everything already trusted) is
# timed side by side with bench/baseline.sh (openssl s_client + certutil in a
# loop), then with one node not answering. Prints a table and PASS/FAIL per
# target; exits 1 on a FAIL.
#   bench/run.sh [--rounds N] [--scenario mixed|selfsigned] [--smoke] [BUILD_DIR]
# BUILD_DIR (default ./build) must hold a build; a Release build is advised:
#   cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j2
# --smoke: one round, asserts only that both sides work (no timing).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
rounds=20
scenario=mixed
smoke=0
build=./build
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) rounds=$2; shift 2 ;;
	--scenario) scenario=$2; shift 2 ;;
	--smoke) smoke=1; rounds=1; shift ;;
	-h | --help) sed -n '2,11p' "$0"; exit 0 ;;
	-*) echo "bench: unknown option $1" >&2; exit 2 ;;
	*) build=$1; shift ;;
	esac
done
case $scenario in mixed | selfsigned) ;; *) echo "bench: scenario mixed or selfsigned" >&2; exit 2 ;; esac

AGENT=$build/uccx-trust
LAB=$build/tests/uccx-lab
for f in "$AGENT" "$LAB"; do
	[ -x "$f" ] || { echo "bench: $f not found: build first (see --help)" >&2; exit 2; }
done
for t in openssl certutil awk md5sum; do
	command -v "$t" >/dev/null || { echo "bench: $t is missing" >&2; exit 2; }
done
if [ ! -x /usr/bin/time ]; then
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
	else
		echo "bench: /usr/bin/time is missing (Debian package 'time')" >&2
		exit 2
	fi
fi

CONNECT_TIMEOUT=2
work=$(mktemp -d /tmp/uct-bench.XXXXXX)
lab=$work/lab
home=$work/home
state=$work/state
cleanup() {
	"$LAB" --stop --out "$lab" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

now_us() { local t=${EPOCHREALTIME/./}; echo "$((10#$t))"; }
# ms_since START_US: elapsed milliseconds, one decimal.
ms_since() { awk -v a="$1" -v b="$(now_us)" 'BEGIN { printf "%.1f\n", (b - a) / 1000 }'; }
# stat FILE: "median p90 max" of the numbers in FILE (one a line).
stats() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		p = int(0.9 * NR + 0.999); if (p < 1) p = 1
		printf "%.1f %.1f %.1f", m, v[p], v[NR] }'
}
median() { stats "$1" | cut -d' ' -f1; }

# ---- the PC: Chromium's database and two Firefox profiles ----------------
mkdir -p "$home/.pki/nssdb"
certutil -N -d "sql:$home/.pki/nssdb" --empty-password
for p in k3j2h1g0.default-release w9x8y7z6.work; do
	mkdir -p "$home/.mozilla/firefox/$p"
	certutil -N -d "sql:$home/.mozilla/firefox/$p" --empty-password
done
cat >"$home/.mozilla/firefox/profiles.ini" <<'INI'
[Profile0]
Name=default-release
IsRelative=1
Path=k3j2h1g0.default-release
Default=1

[Profile1]
Name=work
IsRelative=1
Path=w9x8y7z6.work

[General]
StartWithLastProfile=1
Version=2
INI

"$LAB" --scenario "$scenario" --out "$lab" --daemon >/dev/null
# agent_args: the flags of every run, with the lab's current ports.
agent_args() {
	args=(--node uccx1.lab.example --node uccx2.lab.example --socialminer socialminer.lab.example
	      --home "$home" --state-dir "$state" --connect-timeout "$CONNECT_TIMEOUT" --timeout 5)
	while read -r line; do args+=(--connect-to "$line"); done <"$lab/connect-to.txt"
}
agent_args

fail() { echo "bench: $*" >&2; exit 1; }

# The first install reaches the all-trusted state; from then on every run
# is the login-script case.
"$AGENT" install --quiet "${args[@]}" || fail "the first install did not trust everything (exit $?)"
"$here/baseline.sh" "$lab" "$home" || fail "the baseline does not see everything trusted"
stores_digest() {
	find "$home" -type f \( -name 'cert9.db' -o -name 'key4.db' -o -name cert_override.txt \) \
		-exec md5sum {} + | sort
}
digest_before=$(stores_digest)

# ---- alternating rounds --------------------------------------------------
: >"$work/agent.ms"
: >"$work/agent.kb"
: >"$work/baseline.ms"
for ((r = 1; r <= rounds; r++)); do
	# Timed bare, as the floor's openssl and certutil are: GNU time's own
	# fork and exec would add about a millisecond. Its peak memory comes
	# from a second, untimed run under /usr/bin/time.
	t0=$(now_us)
	set +e
	out=$("$AGENT" install --quiet "${args[@]}" 2>&1)
	rc=$?
	set -e
	ms_since "$t0" >>"$work/agent.ms"
	[ "$rc" -eq 0 ] || fail "round $r: the agent exited $rc: $out"
	[ -z "$out" ] || fail "round $r: the login run printed something: $out"
	/usr/bin/time -f %M -o "$work/rss" "$AGENT" install --quiet "${args[@]}" >/dev/null 2>&1 ||
		fail "round $r: the agent failed under /usr/bin/time"
	tail -n1 "$work/rss" >>"$work/agent.kb"

	t0=$(now_us)
	"$here/baseline.sh" "$lab" "$home" || fail "round $r: the baseline failed"
	ms_since "$t0" >>"$work/baseline.ms"
done
[ "$(stores_digest)" = "$digest_before" ] || fail "the login runs changed a browser database"

# ---- the same login run in collector mode --------------------------------
# The collector on loopback with a signing key, every certificate the lab
# serves approved for its HOST:PORT; the agent fetches the signed trust
# document beside the handshakes. Both sides of this comparison send their
# report to that collector, so they differ only in the trust mode.
COL=$build/uccx-trust-collector
[ -x "$COL" ] || fail "$COL not found: build first (see --help)"
colw=$work/collector
mkdir -p "$colw"
mkdir -m 700 "$colw/keys"
head -c 24 /dev/urandom | base64 >"$colw/agent.tok"
admin_tok=$(head -c 24 /dev/urandom | base64)
echo "$admin_tok" >"$colw/admin.tok"
"$COL" --print-trust-key --signing-key "$colw/keys/trust.key" >"$colw/trust.pub" ||
	fail "the collector cannot make its signing key"
"$COL" --listen 127.0.0.1:0 --db "$colw/col.db" --agent-token-file "$colw/agent.tok" \
	--admin-token-file "$colw/admin.tok" --signing-key "$colw/keys/trust.key" 2>"$colw/col.log" &
col_pid=$!
trap 'kill "$col_pid" 2>/dev/null || true; cleanup' EXIT
col_port=
for _ in $(seq 100); do
	col_port=$(sed -n 's/.*listening on http:\/\/[^ ]*:\([0-9]*\),.*/\1/p' "$colw/col.log")
	[ -n "$col_port" ] && break
	sleep 0.05
done
[ -n "$col_port" ] || fail "the collector did not start: $(cat "$colw/col.log")"
col_url=http://127.0.0.1:$col_port
while read -r hp fp; do
	code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $admin_tok" -H 'Content-Type: application/json' \
		--data-binary "{\"endpoint\":\"$hp\",\"sha256\":\"$fp\",\"force\":true}" \
		"$col_url/api/v1/approvals")
	[ "$code" = 201 ] || fail "approving $hp at the collector answered $code"
done <"$lab/fingerprints.txt"
rargs=("${args[@]}" --report-url "$col_url/api/v1/reports" --report-token-file "$colw/agent.tok")
cargs=("${rargs[@]}" --trust collector --trust-url "$col_url/api/v1/trust"
       --trust-key "$colw/trust.pub")
out=$("$AGENT" install --quiet "${cargs[@]}" 2>&1) ||
	fail "collector mode: the first run did not find everything approved and trusted: $out"
: >"$work/tofu-r.ms"
: >"$work/coll.ms"
for ((r = 1; r <= rounds; r++)); do
	for mode in tofu coll; do
		if [ "$mode" = tofu ]; then set -- "${rargs[@]}"; ms=tofu-r.ms; else set -- "${cargs[@]}"; ms=coll.ms; fi
		t0=$(now_us)
		set +e
		out=$("$AGENT" install --quiet "$@" 2>&1)
		rc=$?
		set -e
		ms_since "$t0" >>"$work/$ms"
		[ "$rc" -eq 0 ] && [ -z "$out" ] || fail "round $r, $mode: exit $rc: $out"
	done
done
[ "$(stores_digest)" = "$digest_before" ] ||
	fail "the collector-mode runs changed a browser database: approved means as first use installed it"
kill "$col_pid" 2>/dev/null || true

if [ "$smoke" -eq 0 ]; then
	# ---- the floor: one handshake, one database open ---------------------
	# Each handshake alone, as a process (openssl without loading the
	# system CA bundle, which the agent does not load either): median of 3
	# per host:port, the slowest host:port counts.
	: >"$work/hs.ms"
	while IFS=: read -r host port _ labport; do
		: >"$work/one.ms"
		for _ in 1 2 3; do
			t0=$(now_us)
			openssl s_client -no-CAfile -no-CApath -no-CAstore -connect "127.0.0.1:$labport" \
				-servername "$host" </dev/null >/dev/null 2>&1
			ms_since "$t0" >>"$work/one.ms"
		done
		median "$work/one.ms" >>"$work/hs.ms"
	done <"$lab/connect-to.txt"
	: >"$work/db.ms"
	for _ in 1 2 3 4 5; do
		t0=$(now_us)
		certutil -L -d "sql:$home/.pki/nssdb" >/dev/null
		ms_since "$t0" >>"$work/db.ms"
	done
	"$AGENT" check --json "${args[@]}" >"$work/check.json" || true
	fetch_max=$(grep -o '"fetch_ms":[0-9]*' "$work/check.json" | cut -d: -f2 | sort -n | tail -n1)
fi

# ---- one node not answering ----------------------------------------------
# The same certificates (--keep-keys, new ports), uccx2 accepting TCP but
# never answering the TLS handshake.
"$LAB" --stop --out "$lab" >/dev/null
"$LAB" --scenario "$scenario" --out "$lab" --daemon --keep-keys --stall uccx2 >/dev/null
agent_args
: >"$work/dead.ms"
for _ in $([ "$smoke" -eq 1 ] && echo 1 || echo 1 2 3); do
	t0=$(now_us)
	set +e
	out=$("$AGENT" install --quiet "${args[@]}" 2>&1)
	rc=$?
	set -e
	ms_since "$t0" >>"$work/dead.ms"
	[ "$rc" -eq 1 ] || fail "dead node: the agent exited $rc, not 1 (unreachable): $out"
done
[ "$(stores_digest)" = "$digest_before" ] || fail "the dead-node runs changed a browser database"

# ---- report --------------------------------------------------------------
read -r a_med a_p90 a_max <<<"$(stats "$work/agent.ms")"
read -r b_med b_p90 b_max <<<"$(stats "$work/baseline.ms")"
rss_kb=$(sort -n "$work/agent.kb" | tail -n1)
read -r d_med _ d_max <<<"$(stats "$work/dead.ms")"
read -r r_med r_p90 r_max <<<"$(stats "$work/tofu-r.ms")"
read -r c_med c_p90 c_max <<<"$(stats "$work/coll.ms")"
f() { awk "BEGIN { printf \"%.${2:-1}f\", $1 }"; }

echo "uccx-trust login-script benchmark: scenario $scenario, 11 host:ports, 13 URLs,"
echo "3 NSS databases + 2 Firefox override files, $rounds rounds; $(nproc) cores, $(date -u +%Y-%m-%d)," \
     "load average $(cut -d' ' -f1-3 /proc/loadavg) (timings need an idle machine)"
echo
if [ "$smoke" -eq 1 ]; then
	echo "smoke: agent ${a_med} ms (exit 0, nothing changed), baseline ${b_med} ms (exit 0)," \
	     "dead node ${d_med} ms (exit 1), collector mode ${c_med} ms (exit 0, nothing changed);" \
	     "peak RSS $(f "$rss_kb/1024") MiB; no timing asserted"
	exit 0
fi

read -r hs_med _ hs_max <<<"$(stats "$work/hs.ms")"
db_med=$(median "$work/db.ms")
floor=$(f "$hs_max + $db_med")
ratio=$(f "$b_med / $a_med")
floor_x=$(f "$a_med / $floor" 2)
dead_x=$(f "$d_max / ($CONNECT_TIMEOUT * 1000)" 2)
pf() { # pf CONDITION -> PASS/FAIL
	if awk "BEGIN { exit !($1) }"; then echo PASS; else echo FAIL; fi
}
t1=$(pf "$ratio >= 5")
t2=$(pf "$a_med <= 2 * $floor")
t3=$(pf "$rss_kb < 15 * 1024")
t4=$(pf "$d_max <= 1.2 * $CONNECT_TIMEOUT * 1000")
coll_x=$(f "$c_med / $r_med" 2)
t5=$(pf "$c_med <= 1.2 * $r_med")

if awk -v l="$(cut -d' ' -f1 /proc/loadavg)" -v n="$(nproc)" 'BEGIN { exit !(l > n) }'; then
	echo "WARNING: the load average exceeds the core count: the timing verdicts below are unreliable"
	echo
fi
printf '%-44s %10s %10s %10s\n' "wall time (ms)" median p90 max
printf '%-44s %10s %10s %10s\n' "agent: uccx-trust install --quiet" "$a_med" "$a_p90" "$a_max"
printf '%-44s %10s %10s %10s\n' "baseline: s_client x13 + certutil" "$b_med" "$b_p90" "$b_max"
printf '%-44s %10s %10s %10s\n' "one handshake (s_client, slowest host:port)" "" "" "$hs_max"
printf '%-44s %10s\n' "one database open (certutil -L)" "$db_med"
printf '%-44s %10s\n' "agent's own slowest fetch_ms (11 parallel)" "${fetch_max:-?}"
printf '%-44s %10s %10s %10s\n' "agent, uccx2 stalled (--connect-timeout 2)" "$d_med" "" "$d_max"
printf '%-44s %10s %10s %10s\n' "agent, tofu, reporting to the collector" "$r_med" "$r_p90" "$r_max"
printf '%-44s %10s %10s %10s\n' "agent, --trust collector, reporting" "$c_med" "$c_p90" "$c_max"
echo
printf '%-58s %-16s %s\n' target measured result
printf '%-58s %-16s %s\n' "baseline / agent >= 5x (medians)" "${ratio}x" "$t1"
printf '%-58s %-16s %s\n' "agent <= 2 x (handshake $hs_max + db open $db_med = $floor ms)" \
	"${floor_x}x" "$t2"
printf '%-58s %-16s %s\n' "agent peak RSS < 15 MiB" "$(f "$rss_kb/1024" 2) MiB" "$t3"
printf '%-58s %-16s %s\n' "dead node: agent / connect timeout <= 1.2 (max of 3)" "${dead_x}x" "$t4"
printf '%-58s %-16s %s\n' "collector mode / tofu <= 1.2 (medians, both reporting)" "${coll_x}x" "$t5"
case "$t1 $t2 $t3 $t4 $t5" in *FAIL*) exit 1 ;; esac
exit 0
