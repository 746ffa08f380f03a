#!/usr/bin/env bash
# test_wine_tidy.sh: on Windows (under Wine), the temporary files a killed
# run left ("cert_override.txt.tmp.PID.N" in a Firefox profile, "NAME.tmp.
# PID.N" in the state directory) are removed by remove and by install once
# their writer is gone or they are over an hour old; a live writer's file,
# look-alike names, a directory and a symbolic link stay untouched.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/wine_lib.sh"
wine_require "$EXE"

check "a fresh Wine prefix starts (wineboot -i)" eval 'timeout 180 wine wineboot -i >/dev/null 2>&1'

appdata=$(w cmd /c 'echo %APPDATA%' | tail -n1)
ffroot=$(winepath -u "$appdata\\Mozilla\\Firefox" 2>/dev/null)
P=$ffroot/Profiles/abcd1234.default-release
STATE=$WINEPREFIX/drive_c/uct-state
mkdir -p "$P" "$STATE"
printf '%s\r\n' '[Profile0]' 'Name=default-release' 'IsRelative=1' \
	'Path=Profiles/abcd1234.default-release' 'Default=1' '' \
	'[General]' 'StartWithLastProfile=1' 'Version=2' >"$ffroot/profiles.ini"

# A process id no Windows process has (Wine's are small multiples of 4), and
# one that runs for as long as the prefix does: Wine's services.exe.
DEAD=65532
LIVE=$(w winedbg --command "info proc" | sed -n "s/^[ =]*\([0-9a-f]*\) .*'services.exe'.*/\1/p" | head -n1)
check "Wine's services.exe runs (its id: ${LIVE:-none})" [ -n "$LIVE" ]
LIVE=$((16#${LIVE:-0}))

OURS_P=("cert_override.txt.tmp.$DEAD.0" "cert_override.txt.tmp.$DEAD.17")
OURS_S=("state.tmp.$DEAD.0" "state.last.tmp.$DEAD.1" "cache.tmp.$DEAD.2")
OTHERS_P=("cert_override.txt.tmp.$DEAD.0.bak" "cert_override.txt.tmp.$DEAD" "cert_override.txt.tmp.x.0"
	"cert_override.txt.tmp.$DEAD.0x" "cert_override.txt.tmp-$DEAD-0" "cert_override.txt.uct-$DEAD-0"
	"Xcert_override.txt.tmp.$DEAD.0" "prefs.js.tmp.$DEAD.0" "cert_override.txt.tmp.$LIVE.0"
	"cert9.db")
OTHERS_S=(".tmp.$DEAD.0" "state.tmp.$DEAD.0.old" "state.tmp.$LIVE.0" "notes.txt")
# plant: ours and the others, a directory and a link with our names; an old
# file of a live writer (over the hour, so stale all the same).
plant() {
	local f
	for f in "${OURS_P[@]}" "${OTHERS_P[@]}"; do echo "$f" >"$P/$f"; done
	for f in "${OURS_S[@]}" "${OTHERS_S[@]}"; do echo "$f" >"$STATE/$f"; done
	echo "cert_override.txt.tmp.$LIVE.5" >"$P/cert_override.txt.tmp.$LIVE.5"
	touch -d '-2 hours' "$P/cert_override.txt.tmp.$LIVE.5"
	mkdir -p "$P/cert_override.txt.tmp.$DEAD.3" "$STATE/state.tmp.$DEAD.3"
	echo inside >"$P/cert_override.txt.tmp.$DEAD.3/f"
	echo "the user's file" >"$T_WORK/victim"
	ln -sfn "$T_WORK/victim" "$P/cert_override.txt.tmp.$DEAD.4"
}
gone() { # gone DIR NAMES...: none of NAMES is left in DIR
	local d=$1 f
	shift
	for f in "$@"; do [ ! -e "$d/$f" ] && [ ! -L "$d/$f" ] || { echo "# left: $f"; return 1; }; done
}
kept() { # kept DIR NAMES...: each of NAMES is in DIR with its content
	local d=$1 f
	shift
	for f in "$@"; do [ "$(cat "$d/$f" 2>/dev/null)" = "$f" ] || { echo "# gone: $f"; return 1; }; done
}
# after WHAT: what the run must have left and removed.
after() {
	check "$1: ours in the profile are removed (dead writer)" gone "$P" "${OURS_P[@]}"
	check "$1: ours in the state directory are removed, of any name" gone "$STATE" "${OURS_S[@]}"
	check "$1: a live writer's file over an hour old is removed" gone "$P" "cert_override.txt.tmp.$LIVE.5"
	check "$1: look-alikes and a live writer's new file in the profile stay" kept "$P" "${OTHERS_P[@]}"
	check "$1: look-alikes and a live writer's new file in the state directory stay" \
		kept "$STATE" "${OTHERS_S[@]}"
	check "$1: directories with our names stay, with their content" \
		eval '[ -d "$STATE/state.tmp.$DEAD.3" ] && [ "$(cat "$P/cert_override.txt.tmp.$DEAD.3/f")" = inside ]'
	check "$1: a link with our name is not followed: its target stays" \
		[ "$(cat "$T_WORK/victim")" = "the user's file" ]
}

A=(--scope user --browser firefox --state-dir 'C:\uct-state' --connect-timeout 3 --timeout 8)
wrun() { set +e; OUT=$(w "$EXE" "$@"); RC=$?; set -e; }
show() { [ "$T_FAIL" -eq "$1" ] || sed 's/^/# /' <<<"$OUT"; }

# ---- remove, with nothing else to change --------------------------------------
plant
wrun remove --verbose "${A[@]}"
f=$T_FAIL; check "remove exits 0" [ "$RC" -eq 0 ]; show "$f"
f=$T_FAIL; check "remove says what it removed" grep -q "cert_override.txt.tmp.$DEAD.0, left by an interrupted run" <<<"$OUT"; show "$f"
after remove

# ---- install, which writes the profile's exceptions -----------------------------
lab=$T_WORK/lab-selfsigned-ca
lab_start "$lab" selfsigned-ca
B=(--node uccx1.lab.example --node uccx2.lab.example --socialminer socialminer.lab.example)
while read -r line; do B+=(--connect-to "$line"); done <"$lab/connect-to.txt"
plant
wrun install "${A[@]}" "${B[@]}"
f=$T_FAIL; check "install exits 0" [ "$RC" -eq 0 ]; show "$f"
check "install writes the exceptions" grep -q "uccx1.lab.example" "$P/cert_override.txt"
after install
lab_stop "$lab"

finish
