#!/usr/bin/env bash
# test_crash.sh: an install killed (SIGKILL, by strace's fault injection) at
# a rename, a write, a sync, an unlink or a mkdir leaves nothing the next
# runs cannot put right: the next install ends with every endpoint trusted
# and the state agreeing with the databases and cert_override.txt, and
# remove then leaves nothing of ours (no nickname, no override line, no
# temporary file). Each case starts from a PC whose Chromium database does
# not exist yet and whose Firefox profile has an empty database.
#
# Every rename (rename, renameat) and every write of an install is a kill
# point; of the other calls (fsync, mkdir, and the many unlink, unlinkat,
# fdatasync and pwrite64 calls, most of them SQLite's inside NSS) the
# first, the last and UCT_CRASH_SAMPLE (4) others, chosen by
# UCT_CRASH_SEED (printed; set it to replay a run): about 60 kills in all.
. "$(dirname "$0")/lib.sh"

command -v strace >/dev/null || { echo "strace is not installed"; exit 1; }

SEED=${UCT_CRASH_SEED:-$(date +%s)}
SAMPLE=${UCT_CRASH_SAMPLE:-4}
echo "# seed $SEED (UCT_CRASH_SEED=$SEED replays it), $SAMPLE samples per frequent call"

LABD=$T_WORK/lab
TEMPLATE=$T_WORK/template
lab_start "$LABD" mixed
new_home "$TEMPLATE"

# fresh: a new PC (home $T_WORK/home, state $T_WORK/state); sets A, CHROME, PROF.
fresh() {
	rm -rf "$T_WORK/home" "$T_WORK/state"
	cp -a "$TEMPLATE" "$T_WORK/home"
	agent_args "$T_WORK/home" "$LABD" "$T_WORK/state"
	CHROME=$T_WORK/home/.pki/nssdb
	PROF=$(ff_profile "$T_WORK/home")
}

# killed_install SYSCALL N: install, killed at the Nth call of SYSCALL.
# Returns 0 when the kill happened, 1 when the run ended before it.
killed_install() {
	set +e
	strace -f -o "$T_WORK/strace.log" -e trace="$1" -e inject="$1":signal=KILL:when="$2" \
		"$AGENT" install "${A[@]}" >"$T_WORK/killed.out" 2>&1
	set -e
	grep -q 'killed by SIGKILL' "$T_WORK/strace.log"
}

# count_calls: how many times a complete install on a fresh PC makes each
# call of KILL_POINTS; fills CALLS.
# The agent's own files are renamed relative to a directory it opened
# (renameat, unlinkat); NSS and the override store use rename too.
KILL_POINTS=(rename renameat mkdir write fsync unlink unlinkat fdatasync pwrite64)
declare -A CALLS
count_calls() {
	local sc
	fresh
	strace -f -o "$T_WORK/count.log" -e trace="$(IFS=,; echo "${KILL_POINTS[*]}")" \
		"$AGENT" install "${A[@]}" >/dev/null 2>&1 || true
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

# after_kill WHAT: the runs that follow the killed one put everything right.
after_kill() {
	local what=$1 problems=() chrome prof ovr n

	run_agent install
	[ "$RC" -eq 0 ] || problems+=("next install exit $RC: $(tail -n 3 <<<"$OUT" | tr '\n' ' ')")
	run_agent_json status
	chrome=$(tags "$CHROME")
	prof=$(tags "$PROF")
	ovr=$(override_fps)
	[ "$(recorded "nss:$CHROME")" = "$chrome" ] ||
		problems+=("Chromium db and state disagree: db [$(paste -sd' ' <<<"$chrome")] state [$(recorded "nss:$CHROME" | paste -sd' ')]")
	[ "$(recorded "nss:$PROF")" = "$prof" ] ||
		problems+=("Firefox db and state disagree: db [$(paste -sd' ' <<<"$prof")] state [$(recorded "nss:$PROF" | paste -sd' ')]")
	[ "$(recorded "ff-override:$PROF")" = "$ovr" ] ||
		problems+=("cert_override.txt and state disagree: file [$(paste -sd' ' <<<"$ovr")] state [$(recorded "ff-override:$PROF" | paste -sd' ')]")
	[ -n "$chrome" ] && [ -n "$prof" ] && [ -n "$ovr" ] ||
		problems+=("a store holds nothing after the install")
	run_agent remove
	[ "$RC" -eq 0 ] || problems+=("remove exit $RC: $(tail -n 3 <<<"$OUT" | tr '\n' ' ')")
	n=$(nss_count_ours "$CHROME")
	[ "$n" -eq 0 ] || problems+=("remove left $n in Chromium's db")
	n=$(nss_count_ours "$PROF")
	[ "$n" -eq 0 ] || problems+=("remove left $n in Firefox's db")
	n=$(override_lines "$PROF")
	[ "$n" -eq 0 ] || problems+=("remove left $n override lines")
	n=$(leftovers)
	[ -z "$n" ] || problems+=("temporary files left: $(paste -sd' ' <<<"$n")")
	if [ ${#problems[@]} -eq 0 ]; then
		ok "killed at $what: the next install and remove put everything right"
	else
		not_ok "killed at $what: $(printf '%s; ' "${problems[@]}")"
	fi
}

# points TOTAL: every call from 1 to TOTAL when there are few, else the
# first, the last and a seeded sample of the others; one per line, sorted.
points() {
	local total=$1 i
	if [ "$total" -le $((SAMPLE + 2)) ]; then
		seq 1 "$total"
		return
	fi
	{
		echo 1
		echo "$total"
		for i in $(seq "$SAMPLE"); do echo $((RANDOM % total + 1)); done
	} | sort -n -u
}

start=$(ms_now)
count_calls
check "an install renames files (kill points exist)" [ $((CALLS[rename] + CALLS[renameat])) -ge 2 ]
k=0
for sc in "${KILL_POINTS[@]}"; do
	echo "# $sc: ${CALLS[$sc]} calls in a complete install"
	RANDOM=$((SEED + k++))
	case $sc in
	rename | renameat | write) ns=$(seq 1 "${CALLS[$sc]}") ;;
	*) ns=$(points "${CALLS[$sc]}") ;;
	esac
	for n in $ns; do
		fresh
		if ! killed_install "$sc" "$n"; then
			echo "# $sc #$n: the install ended before the kill"
			continue
		fi
		after_kill "$sc #$n of ${CALLS[$sc]}"
	done
done
echo "# $(($(ms_now) - start)) ms"
finish
