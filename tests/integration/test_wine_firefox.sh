#!/usr/bin/env bash
# test_wine_firefox.sh: Firefox on Windows, under Wine against the lab: the
# profiles of %APPDATA%\Mozilla\Firefox\profiles.ini get their exception lines
# (exact format), a held parent.lock defers, remove takes the lines away; an
# elevated run sets the ImportEnterpriseRoots policy and remove takes it away.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/wine_lib.sh"
wine_require "$EXE" "$WIN/uct-holdlock.exe"

check "a fresh Wine prefix starts (wineboot -i)" eval 'timeout 180 wine wineboot -i >/dev/null 2>&1'

# ---- two profiles: one relative to profiles.ini, one absolute ------------------
appdata=$(w cmd /c 'echo %APPDATA%' | tail -n1)
ffroot=$(winepath -u "$appdata\\Mozilla\\Firefox" 2>/dev/null)
P1=$ffroot/Profiles/abcd1234.default-release
P2=$WINEPREFIX/drive_c/ffwork
mkdir -p "$P1" "$P2"
printf '%s\r\n' '[Install308046B0AF4A39CB]' 'Default=Profiles/abcd1234.default-release' '' \
	'[Profile0]' 'Name=default-release' 'IsRelative=1' 'Path=Profiles/abcd1234.default-release' '' \
	'[Profile1]' 'Name=work' 'IsRelative=0' 'Path=C:\ffwork' '' \
	'[Profile2]' 'Name=gone' 'IsRelative=1' 'Path=Profiles/gone.default' '' \
	'[General]' 'StartWithLastProfile=1' 'Version=2' >"$ffroot/profiles.ini"
# A line of the user's own, for a host the agent does not manage: kept.
FOREIGN=$(printf 'other.example.com:443:\tOID.2.16.840.1.101.3.4.2.1\t%s\t' \
	"$(printf 'AB:%.0s' $(seq 31))AB")
printf '# PSM Certificate Override Settings file\n# This is a generated file!  Do not edit.\n%s\n' \
	"$FOREIGN" >"$P2/cert_override.txt"

wargs() {
	local lab=$1 line
	shift
	# The user's runs and the elevated ones keep their own state, as on a PC
	# (%LOCALAPPDATA% and %ProgramData%).
	A=(--node uccx1.lab.example --node uccx2.lab.example --socialminer socialminer.lab.example
	   --state-dir "C:\\uct-state-$(basename "$lab")-$#" --connect-timeout 3 --timeout 8 "$@")
	while read -r line; do A+=(--connect-to "$line"); done <"$lab/connect-to.txt"
}
wrun() { set +e; OUT=$(w "$EXE" "$1" "${A[@]}"); RC=$?; set -e; }
# show OUT when the last check failed
show() { [ "$T_FAIL" -eq "$1" ] || sed 's/^/# /' <<<"$OUT"; }
# The exception lines the lab's certificates need, sorted: for each
# host:port the line and its companion for "host.:port" (Firefox keys an
# exception by the URL's host as typed, trailing dot and all).
expected() {
	local f host port fp
	for f in "$1"/*.lab.example-*.pem; do
		host=$(basename "$f" .pem)
		port=${host##*-}
		host=${host%-*}
		fp=$(openssl x509 -in "$f" -noout -fingerprint -sha256 | sed 's/.*=//')
		printf '%s:%s:\tOID.2.16.840.1.101.3.4.2.1\t%s\t\n' "$host" "$port" "$fp" "$host." "$port" "$fp"
	done | sort
}
ours() { grep -v '^#' "$1/cert_override.txt" 2>/dev/null | grep -vxF "$FOREIGN" | sort; }

# ---- CA:TRUE self-signed: only an exception makes Firefox accept it ------------
lab=$T_WORK/lab-selfsigned-ca
lab_start "$lab" selfsigned-ca
want=$(expected "$lab")
check "selfsigned-ca: the lab serves 11 distinct certificates (22 lines)" [ "$(wc -l <<<"$want")" -eq 22 ]
wargs "$lab" --scope user --browser firefox

# Firefox "running" on the first profile: it holds parent.lock unshared.
timeout 120 wine "$WIN/uct-holdlock.exe" "$(winepath -w "$P1/parent.lock")" "$(winepath -w "$T_WORK/stop")" \
	>"$T_WORK/hold.out" &
HOLD=$!
for _ in $(seq 100); do grep -q held "$T_WORK/hold.out" 2>/dev/null && break; sleep 0.2; done
check "the helper holds parent.lock" grep -q held "$T_WORK/hold.out"
wrun install
f=$T_FAIL; check "held lock: install exits 1 (deferred)" [ "$RC" -eq 1 ]; show "$f"
check "held lock: the user is told to close Firefox" \
	grep -q "Firefox is running with the profile in .*abcd1234.default-release.*close Firefox" <<<"$OUT"
check "held lock: nothing written to that profile" [ -z "$(ours "$P1")" ]
check "held lock: the other profile has the 11 lines and their 11 companions, exactly" [ "$(ours "$P2")" = "$want" ]
touch "$T_WORK/stop"
wait "$HOLD" || true # bounded: the helper waits 60 s at most, w 120 s
wrun install
f=$T_FAIL; check "lock released: install exits 0" [ "$RC" -eq 0 ]; show "$f"
check "lock released: the first profile has the 11 lines and their 11 companions, exactly" [ "$(ours "$P1")" = "$want" ]
check "the file starts with Firefox's header" \
	[ "$(head -n1 "$P1/cert_override.txt")" = "# PSM Certificate Override Settings file" ]
check "the user's own line is kept" grep -qxF "$FOREIGN" "$P2/cert_override.txt"
sum=$(md5sum "$P1/cert_override.txt" "$P2/cert_override.txt")
wrun install
check "a second install exits 0 and rewrites nothing" \
	eval '[ "$RC" -eq 0 ] && [ "$(md5sum "$P1/cert_override.txt" "$P2/cert_override.txt")" = "$sum" ]'
wrun remove
f=$T_FAIL; check "remove exits 0" [ "$RC" -eq 0 ]; show "$f"
check "remove takes the lines away from both profiles" eval '[ -z "$(ours "$P1")" ] && [ -z "$(ours "$P2")" ]'
check "remove keeps the user's own line" grep -qxF "$FOREIGN" "$P2/cert_override.txt"
lab_stop "$lab"

# ---- CA:FALSE self-signed: Firefox takes it from the Windows Root store --------
POL='HKLM\Software\Policies\Mozilla\Firefox\Certificates'
policy() { w reg query "$POL" /v ImportEnterpriseRoots; }
lab=$T_WORK/lab-selfsigned
lab_start "$lab" selfsigned
wargs "$lab" --scope user --browser firefox
wrun check
f=$T_FAIL; check "selfsigned, nothing installed: Firefox's check exits 1" [ "$RC" -eq 1 ]; show "$f"
wargs "$lab"
wrun install
f=$T_FAIL; check "elevated install exits 0" [ "$RC" -eq 0 ]; show "$f"
check "elevated install sets ImportEnterpriseRoots = 1" eval 'policy | grep -q "ImportEnterpriseRoots.*REG_DWORD.*0x1"'
check "elevated install writes no profile" eval '[ -z "$(ours "$P1")" ] && [ -z "$(ours "$P2")" ]'
wargs "$lab" --scope user --browser firefox
wrun install
f=$T_FAIL; check "the user's run: Firefox trusts all through the Windows Root store, exit 0" [ "$RC" -eq 0 ]; show "$f"
check "the user's run: no exception written for a CA:FALSE certificate" \
	eval '[ -z "$(ours "$P1")" ] && [ -z "$(ours "$P2")" ]'
wargs "$lab"
wrun remove
f=$T_FAIL; check "elevated remove exits 0" [ "$RC" -eq 0 ]; show "$f"
check "remove takes ImportEnterpriseRoots away" eval '! policy >/dev/null'
# An administrator's own policy is never taken away.
w reg add "$POL" /v ImportEnterpriseRoots /t REG_DWORD /d 1 /f >/dev/null
wrun install
wrun remove
check "an administrator's ImportEnterpriseRoots stays after install and remove" \
	eval 'policy | grep -q "ImportEnterpriseRoots.*REG_DWORD.*0x1"'
lab_stop "$lab"

# ---- a private CA's leaf, not approved: Firefox cannot see TrustedPeople --------
lab=$T_WORK/lab-private-ca
lab_start "$lab" private-ca
want=$(expected "$lab")
wargs "$lab" --scope user --browser firefox
wrun install
f=$T_FAIL; check "private CA without approval: the user's run exits 0" [ "$RC" -eq 0 ]; show "$f"
check "private CA without approval: each profile gets the 11 exceptions, exactly" \
	eval '[ "$(ours "$P1")" = "$want" ] && [ "$(ours "$P2")" = "$want" ]'
wrun remove
check "private CA without approval: remove takes them away" \
	eval '[ -z "$(ours "$P1")" ] && [ -z "$(ours "$P2")" ]'
lab_stop "$lab"

finish
