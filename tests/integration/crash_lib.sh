# shellcheck shell=bash
# tests/integration/crash_lib.sh: what the crash tests share. A run of the
# agent is killed (SIGKILL, by strace's fault injection) at one call of
# one kind, a new PC is set up for each kill, and the runs that follow
# must put everything right. Sourced after lib.sh, not run.
#
# Every rename (rename, renameat) and every write of the killed run is a
# kill point; of the other calls (fsync, mkdir, and the many unlink,
# unlinkat, fdatasync and pwrite64 calls, most of them SQLite's inside NSS)
# the first, the last and UCT_CRASH_SAMPLE (4) others, chosen by
# UCT_CRASH_SEED (printed; set it to replay a run).

command -v strace >/dev/null || { echo "strace is not installed"; exit 1; }

SEED=${UCT_CRASH_SEED:-$(date +%s)}
SAMPLE=${UCT_CRASH_SAMPLE:-4}
echo "# seed $SEED (UCT_CRASH_SEED=$SEED replays it), $SAMPLE samples per frequent call"

LABD=$T_WORK/lab
TEMPLATE=$T_WORK/template
lab_start "$LABD" mixed
new_home "$TEMPLATE"

# The agent's own files are renamed relative to a directory it opened
# (renameat, unlinkat); NSS and the override store use rename too.
KILL_POINTS=(rename renameat mkdir write fsync unlink unlinkat fdatasync pwrite64)
declare -A CALLS
KILLS=0

# fresh: a new PC (home $T_WORK/home, state $T_WORK/state); sets A, CHROME, PROF.
fresh() {
	rm -rf "${T_WORK:?}/home" "${T_WORK:?}/state"
	cp -a "$TEMPLATE" "$T_WORK/home"
	agent_args "$T_WORK/home" "$LABD" "$T_WORK/state"
	CHROME=$T_WORK/home/.pki/nssdb
	PROF=$(ff_profile "$T_WORK/home")
}

# killed CMD SYSCALL N: the agent's CMD, killed at the Nth call of SYSCALL.
# Returns 0 when the kill happened, 1 when the run ended before it.
killed() {
	set +e
	strace -f -o "$T_WORK/strace.log" -e trace="$2" -e inject="$2":signal=KILL:when="$3" \
		"$AGENT" "$1" "${A[@]}" >"$T_WORK/killed.out" 2>&1
	set -e
	grep -q 'killed by SIGKILL' "$T_WORK/strace.log"
}

# count_calls CMD SETUP: how many times a complete CMD makes each call of
# KILL_POINTS on the PC that the function SETUP prepares; fills CALLS.
count_calls() {
	local sc
	"$2"
	strace -f -o "$T_WORK/count.log" -e trace="$(IFS=,; echo "${KILL_POINTS[*]}")" \
		"$AGENT" "$1" "${A[@]}" >/dev/null 2>&1 || true
	for sc in "${KILL_POINTS[@]}"; do
		CALLS[$sc]=$(grep -c "^[0-9]* *$sc(" "$T_WORK/count.log" || true)
	done
}

# tags DB: the fingerprint tags (8 hex digits) of our certificates in DB.
tags() { nss_ours "$1" | awk -F'\t' '{ n = split($1, w, " "); print w[n] }' | sort; }
# recorded STORE-ID: the tags of the state's installed records for that store.
recorded() {
	jq_py "$JSON" "'\n'.join(sorted(i['sha256'].replace(':', '').lower()[:8]
		for i in d['state']['installed'] if i['store'] == '$1'))" | sed '/^$/d'
}
# override_fps: the fingerprints (colon-free, lowercase) of the exceptions in
# cert_override.txt, one per line and its companion (see override_records).
override_fps() {
	override_records "$PROF" | awk -F'\t' '{ gsub(":", "", $3); print tolower($3) }' |
		cut -c1-8 | sort
}
# leftovers: temporary files and directories of ours anywhere in the home
# or the state directory.
leftovers() {
	find "$T_WORK/home" "$T_WORK/state" \( -name '.*.tmp.*' -o -name '*.uct-*' \
		-o -name 'nssdb.uct*' \) -print 2>/dev/null
}

# nothing_ours PROBLEMS-ARRAY-NAME WHEN: appends to that array what of ours
# is still in a store, the state or the home (a temporary file).
nothing_ours() {
	local -n into=$1
	local when=$2 n
	n=$(nss_count_ours "$CHROME")
	[ "$n" -eq 0 ] || into+=("$when left $n in Chromium's db")
	n=$(nss_count_ours "$PROF")
	[ "$n" -eq 0 ] || into+=("$when left $n in Firefox's db")
	n=$(override_lines "$PROF")
	[ "$n" -eq 0 ] || into+=("$when left $n override lines")
	n=$(grep -c '^installed' "$T_WORK/state/state" 2>/dev/null || true)
	[ "${n:-0}" -eq 0 ] || into+=("$when left $n installed records in the state")
	n=$(leftovers)
	[ -z "$n" ] || into+=("$when left temporary files: $(paste -sd' ' <<<"$n")")
}

# points TOTAL: every call from 1 to TOTAL when there are few, else the
# first, the last and a seeded sample of the others; one per line, sorted.
points() {
	local total=$1 _
	if [ "$total" -le $((SAMPLE + 2)) ]; then
		seq 1 "$total"
		return
	fi
	{
		echo 1
		echo "$total"
		for _ in $(seq "$SAMPLE"); do echo $((RANDOM % total + 1)); done
	} | sort -n -u
}

# crash_each CMD SETUP AFTER: kill CMD at each of its kill points (counted
# on the PC that SETUP prepares), each time on a PC SETUP prepares anew,
# then call AFTER "SYSCALL #N of TOTAL" to assert what the next runs do.
crash_each() {
	local cmd=$1 setup=$2 after=$3 sc n ns k=0
	count_calls "$cmd" "$setup"
	for sc in "${KILL_POINTS[@]}"; do
		echo "# $sc: ${CALLS[$sc]} calls in a complete $cmd"
		RANDOM=$((SEED + k++))
		case $sc in
		rename | renameat | write) ns=$(seq 1 "${CALLS[$sc]}") ;;
		*) ns=$(points "${CALLS[$sc]}") ;;
		esac
		for n in $ns; do
			"$setup"
			if ! killed "$cmd" "$sc" "$n"; then
				echo "# $sc #$n: the $cmd ended before the kill"
				continue
			fi
			KILLS=$((KILLS + 1))
			"$after" "$sc #$n of ${CALLS[$sc]}"
		done
	done
}
