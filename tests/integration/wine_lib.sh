# tests/integration/wine_lib.sh: the set-up every Wine test shares, sourced
# after lib.sh. WIN is the Windows build and EXE its agent; each test gets a
# Wine prefix of its own in its work directory, whose wineserver is stopped
# before lib.sh removes that directory.
#   wine_require FILE...  fail the test at once unless every FILE exists and
#                         wine is installed
#   w PROGRAM ARGS...     run a Windows program, bounded by W_TIMEOUT seconds
#                         (120), its output without carriage returns; wine's
#                         own messages go to W_ERR (standard output), and the
#                         status is the program's
# Sourced, not run.

WIN=${UCT_WIN_BUILD_DIR:-${UCT_SOURCE_DIR:?}/build-win}
EXE=$WIN/uccx-trust.exe

wine_require() {
	local f
	for f in "$@"; do
		if [ ! -e "$f" ] || ! command -v wine >/dev/null; then
			not_ok "the Windows build ($f) and wine are present (tools/dev.sh test builds them)"
			finish
			exit 1
		fi
	done
}

export WINEPREFIX=$T_WORK/wineprefix WINEDEBUG=-all DISPLAY= \
	WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d" WINEARCH=win64
trap 'WINEPREFIX=$T_WORK/wineprefix timeout 30 wineserver -k >/dev/null 2>&1 || true; cleanup' EXIT

w() {
	timeout "${W_TIMEOUT:-120}" wine "$@" 2>"${W_ERR:-/dev/stdout}" | tr -d '\r'
	return "${PIPESTATUS[0]}"
}
