#!/usr/bin/env bash
# test_crash.sh: an install killed (SIGKILL, by strace's fault injection) at
# a rename, a write, a sync, an unlink or a mkdir leaves nothing the next
# runs cannot put right: the next install ends with every endpoint trusted
# and the state agreeing with the databases and cert_override.txt, and
# remove then leaves nothing of ours (no nickname, no override line, no
# temporary file). Each case starts from a PC whose Chromium database does
# not exist yet and whose Firefox profile has an empty database.
#
# The kill points are those of crash_lib.sh: about 60 kills in all.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/crash_lib.sh"

# after_kill WHAT: the runs that follow the killed one put everything right.
after_kill() {
	local what=$1 problems=() chrome prof ovr

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
	nothing_ours problems remove
	if [ ${#problems[@]} -eq 0 ]; then
		ok "killed at $what: the next install and remove put everything right"
	else
		not_ok "killed at $what: $(printf '%s; ' "${problems[@]}")"
	fi
}

start=$(ms_now)
crash_each install fresh after_kill
check "an install renames files (kill points exist)" [ $((CALLS[rename] + CALLS[renameat])) -ge 2 ]
echo "# $KILLS installs killed in $(($(ms_now) - start)) ms"
finish
