#!/usr/bin/env bash
# test_crash_remove.sh: a remove killed (SIGKILL, by strace's fault
# injection) at a rename, a write, a sync or an unlink of a store or the
# state leaves nothing the next runs cannot put right: the next remove
# succeeds and leaves nothing of ours (no nickname in Chromium's or
# Firefox's database, no line in cert_override.txt, no installed record in
# the state, no temporary file), and an install and a check after it work.
# Two starting points: a PC where an install completed, and a PC where an
# install was itself killed (before its state recorded the Firefox
# database, before and after renaming the new cert_override.txt into place).
#
# The kill points are those of crash_lib.sh; after a killed install they
# take fewer samples (UCT_CRASH_SAMPLE_AFTER, 2). The total is printed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/crash_lib.sh"

# installed: a new PC on which an install completed.
installed() {
	fresh
	run_agent install
	[ "$RC" -eq 0 ] || { echo "the install to remove failed: $OUT"; exit 1; }
}

# INSTALL_KILL ("SYSCALL N"): where half_installed kills the install.
INSTALL_KILL=
half_installed() {
	fresh
	# shellcheck disable=SC2086
	killed install $INSTALL_KILL || { echo "the install ended before $INSTALL_KILL"; exit 1; }
}

# after_kill WHAT: the runs that follow the killed remove put everything right.
after_kill() {
	local what="$1${INSTALL_KILL:+ (after an install killed at $INSTALL_KILL)}" problems=()

	run_agent remove
	[ "$RC" -eq 0 ] || problems+=("next remove exit $RC: $(tail -n 3 <<<"$OUT" | tr '\n' ' ')")
	nothing_ours problems "the next remove"
	run_agent install
	[ "$RC" -eq 0 ] || problems+=("install afterwards exit $RC: $(tail -n 3 <<<"$OUT" | tr '\n' ' ')")
	[ "$(nss_count_ours "$CHROME")" -gt 0 ] && [ "$(nss_count_ours "$PROF")" -gt 0 ] &&
		[ "$(override_lines "$PROF")" -gt 0 ] ||
		problems+=("a store holds nothing after the install that followed")
	run_agent check
	[ "$RC" -eq 0 ] || problems+=("check afterwards exit $RC: $(grep -v '^ *ok' <<<"$OUT" | head -n 3 | tr '\n' ' ')")
	if [ ${#problems[@]} -eq 0 ]; then
		ok "remove killed at $what: the next remove, install and check put everything right"
	else
		not_ok "remove killed at $what: $(printf '%s; ' "${problems[@]}")"
	fi
}

start=$(ms_now)
crash_each remove installed after_kill
check "a remove renames and writes the state (kill points exist)" \
	test "${CALLS[renameat]}" -ge 1 -a "${CALLS[write]}" -ge 1
fresh_kills=$KILLS
# An install killed at its 2nd renameat has created Chromium's database and
# recorded it; at its 4th it has written cert_override.txt's new content
# into a temporary file, not renamed yet; at its 5th it has renamed it, not
# yet recorded it. UCT_CRASH_INSTALL_KILLS ("SYSCALL N", separated by ";")
# names others.
IFS=';' read -r -a install_kills <<<"${UCT_CRASH_INSTALL_KILLS:-renameat 2;renameat 4;renameat 5}"
# shellcheck disable=SC2034 # read by points() in crash_lib.sh
SAMPLE=${UCT_CRASH_SAMPLE_AFTER:-2}
for INSTALL_KILL in "${install_kills[@]}"; do
	crash_each remove half_installed after_kill
done
echo "# $KILLS removes killed ($fresh_kills after a complete install) in $(($(ms_now) - start)) ms"
finish
