#!/usr/bin/env bash
# test_wine_chain.sh: the Windows build under Wine with the most common
# enterprise chain, the server sending leaf + issuing CA and the root given
# apart. Wine's SSL policy passes a chain that stops short of a root, so the
# agent's own verdict and a strict crypt32 look (chain status and top in
# LocalMachine\Root) are both checked: nothing is trusted before install,
# every endpoint after, nothing after remove; and without an approved CA,
# Chrome and Edge are reported as not fixable on the PC, never trusted.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/wine_lib.sh"
wine_require "$EXE"

check "a fresh Wine prefix starts (wineboot -i)" eval 'timeout 180 wine wineboot -i >/dev/null 2>&1'

lab=$T_WORK/lab-noroot
lab_start "$lab" private-ca-noroot

wargs() {
	local line
	A=(--node uccx1.lab.example --node uccx2.lab.example --socialminer socialminer.lab.example
	   --state-dir "C:\\uct-state-$1" --connect-timeout 3 --timeout 8)
	shift
	A+=("$@")
	while read -r line; do A+=(--connect-to "$line"); done <"$lab/connect-to.txt"
}
wrun() { # wrun CMD [flags]: sets RC and OUT
	local cmd=$1
	shift
	set +e
	OUT=$(w "$EXE" "$cmd" "${A[@]}" "$@")
	RC=$?
	set -e
}
listed() { w "$WIN/uct-wincheck.exe" list; }
# strict COUNT: every endpoint's chain, judged by crypt32 with its chain
# status and top checked (not Wine's policy alone); prints how many are
# anchored in LocalMachine\Root.
strict_rooted() {
	local f host pairs=()
	for f in "$lab"/*.lab.example-*.pem; do
		host=$(basename "$f" | sed 's/-[0-9]*\.pem$//')
		pairs+=("$host" "$f")
	done
	w "$WIN/uct-wincheck.exe" verify-strict "${pairs[@]}" | grep -c '^root' || true
}
n_pem=$(ls "$lab"/*.lab.example-*.pem | wc -l)
# verdicts JSON BROWSER: the after-verdicts of that browser's groups, one a line.
verdicts() {
	python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
for e in d["endpoints"]:
    for g in e.get("browsers") or e.get("groups") or e.get("profiles") or []:
        if g.get("browser") == sys.argv[1]:
            print(g.get("verdict"), g.get("code") or "-")
' "$1"
}
json_part() { sed -n '/^{/,$p'; }

check "the server sends leaf + issuing CA, not the root" \
	[ "$(grep -c BEGIN "$lab/uccx1.lab.example-8445.pem")" -eq 2 ]

# ---- the root approved with --ca-file ----------------------------------------
wargs ca --ca-file "$lab/ca.pem"
wrun check --json
check "ca-file: check on a fresh PC says work is needed (exit 1)" [ "$RC" -eq 1 ] || echo "$OUT"
check "ca-file: the agent trusts nothing for Windows before install" \
	eval '! (echo "$OUT" | json_part | verdicts system | grep -q "^trusted")'
check "ca-file: strict crypt32 anchors no endpoint before install" [ "$(strict_rooted)" -eq 0 ]
wrun install
check "ca-file: install exits 0" [ "$RC" -eq 0 ] || echo "$OUT"
check "ca-file: exactly one certificate of ours, in Root" \
	eval '[ "$(listed | wc -l)" -eq 1 ] && listed | grep -q "^Root"'
check "ca-file: strict crypt32 anchors all $n_pem endpoints in LocalMachine\\Root" \
	[ "$(strict_rooted)" -eq "$n_pem" ]
wrun check --json
check "ca-file: a check after install finds nothing to do (exit 0)" [ "$RC" -eq 0 ] || echo "$OUT"
check "ca-file: the agent finds every endpoint trusted for Windows" \
	eval '[ "$(echo "$OUT" | json_part | verdicts system | grep -vc "^trusted")" -eq 0 ] &&
	      [ "$(echo "$OUT" | json_part | verdicts system | grep -c "^trusted")" -gt 0 ]'
wrun remove
check "ca-file: remove exits 0" [ "$RC" -eq 0 ] || echo "$OUT"
check "ca-file: remove leaves nothing of ours" [ -z "$(listed)" ]
check "ca-file: strict crypt32 anchors no endpoint after remove" [ "$(strict_rooted)" -eq 0 ]
wrun check --json
check "ca-file: the agent trusts nothing for Windows after remove" \
	eval '! (echo "$OUT" | json_part | verdicts system | grep -q "^trusted")'

# ---- a CA file with the root and the issuing CA: the root goes to Root ------
# An approved CA is an anchor only in Root (Chromium's trust_store_win.cc
# reads CA as intermediates; Firefox's EnterpriseRoots.cpp the same): the
# topmost approved certificate goes there, nothing to the CA store.
sha1() { openssl x509 -in "$1" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g'; }
sha256() { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//'; }
root_sha1=$(sha1 "$lab/ca.pem")
issuing_sha1=$(sha1 "$lab/issuing-ca.pem")
cat "$lab/issuing-ca.pem" "$lab/ca.pem" >"$T_WORK/bundle.pem"
wargs bundle --ca-file "$T_WORK/bundle.pem"
wrun install
check "bundle: install exits 0" [ "$RC" -eq 0 ] || echo "$OUT"
check "bundle: exactly one certificate of ours, the root, in Root" \
	eval '[ "$(listed | wc -l)" -eq 1 ] && listed | grep -q "^Root	.*	$root_sha1	"' || listed
check "bundle: nothing of ours in the CA store" eval '! listed | grep -q "^CA	"'
check "bundle: strict crypt32 anchors all $n_pem endpoints in LocalMachine\\Root" \
	[ "$(strict_rooted)" -eq "$n_pem" ]
wrun remove
check "bundle: remove exits 0 and leaves nothing of ours" \
	eval '[ "$RC" -eq 0 ] && [ -z "$(listed)" ]' || listed

# ---- a pin on the issuing CA alone: that CA is the anchor, in Root ----------
# Chrome and Edge take any certificate of Root as an anchor, self-signed or
# not (kRootCertTrust = ForTrustAnchorOrLeaf), and Firefox imports all of
# Root as roots; crypt32 itself would call the chain partial, so the strict
# look is not asked here, the agent's model of Chromium is.
wargs pin --trust pinned --pin "$(sha256 "$lab/issuing-ca.pem")"
wrun install --json
check "pin: install exits 0" [ "$RC" -eq 0 ] || echo "$OUT"
check "pin: exactly one certificate of ours, the issuing CA, in Root" \
	eval '[ "$(listed | wc -l)" -eq 1 ] && listed | grep -q "^Root	.*	$issuing_sha1	"' || listed
check "pin: nothing of ours in the CA store" eval '! listed | grep -q "^CA	"'
check "pin: the agent finds every endpoint trusted for Windows" \
	eval '[ "$(echo "$OUT" | json_part | verdicts system | grep -vc "^trusted")" -eq 0 ] &&
	      [ "$(echo "$OUT" | json_part | verdicts system | grep -c "^trusted")" -gt 0 ]' ||
	echo "$OUT" | json_part | verdicts system
wrun remove
check "pin: remove exits 0 and leaves nothing of ours" \
	eval '[ "$RC" -eq 0 ] && [ -z "$(listed)" ]' || listed
wrun check --json
check "pin: the agent trusts nothing for Windows after remove" \
	eval '! (echo "$OUT" | json_part | verdicts system | grep -q "^trusted")'

# ---- no approved CA: Chrome and Edge cannot be fixed on the PC ----------------
wargs tofu
wrun install --json
V=$(echo "$OUT" | json_part | verdicts system)
check "no CA: the agent reports Windows verdicts" [ -n "$V" ] || echo "$OUT"
check "no CA: no endpoint is reported trusted for Chrome and Edge" \
	eval '! (echo "$V" | grep -q "^trusted")' || echo "$V"
check "no CA: each is cannot-fix-on-pc, the CA not being approved" \
	eval '[ "$(echo "$V" | grep -vc "^cannot-fix-on-pc ERR_CERT_AUTHORITY_INVALID")" -eq 0 ]' ||
	echo "$V"
check "no CA: strict crypt32 anchors no endpoint" [ "$(strict_rooted)" -eq 0 ]
# TrustedPeople would help neither Chrome nor Edge (they read a leaf there
# only when self-signed) nor Firefox (it never reads it): nothing goes there.
check "no CA: nothing of ours in any Windows store" [ -z "$(listed)" ] || listed
wrun install
check "no CA: the text says to approve the CA with --ca-file" \
	eval 'echo "$OUT" | grep -q "Chrome and Edge cannot be made to trust it.*--ca-file"' ||
	echo "$OUT"
wrun remove
check "no CA: remove leaves nothing of ours" [ -z "$(listed)" ]

# ---- no approved CA, the user's run: Firefox keeps its exception ---------------
# Firefox never reads TrustedPeople; an exception per host and port is the
# one way for it, and the user's logon run writes it.
appdata=$(w cmd /c 'echo %APPDATA%' | tail -n1)
ffroot=$(winepath -u "$appdata\\Mozilla\\Firefox" 2>/dev/null)
prof=$ffroot/Profiles/chain.default-release
mkdir -p "$prof"
printf '%s\r\n' '[Profile0]' 'Name=default-release' 'IsRelative=1' \
	'Path=Profiles/chain.default-release' 'Default=1' '' '[General]' 'Version=2' \
	>"$ffroot/profiles.ini"
want=$(for f in "$lab"/*.lab.example-*.pem; do
	hp=$(basename "$f" .pem)
	fp=$(openssl x509 -in "$f" -noout -fingerprint -sha256 | sed 's/.*=//')
	printf '%s:%s:\tOID.2.16.840.1.101.3.4.2.1\t%s\t\n' "${hp%-*}" "${hp##*-}" "$fp" \
		"${hp%-*}." "${hp##*-}" "$fp"
done | sort)
ff_lines() { grep -v '^#' "$prof/cert_override.txt" 2>/dev/null | sort; }
wargs user --scope user --browser firefox
wrun install
check "no CA, Firefox: install exits 0" [ "$RC" -eq 0 ] || echo "$OUT"
check "no CA, Firefox: one exception and its trailing-dot companion per host and port ($n_pem), exactly" \
	eval '[ "$(echo "$want" | grep -c .)" -eq $((2 * n_pem)) ] && [ "$(ff_lines)" = "$want" ]' || ff_lines
check "no CA, Firefox: nothing in any Windows store" [ -z "$(listed)" ] || listed
wrun remove
check "no CA, Firefox: remove takes the exceptions away" [ -z "$(ff_lines)" ] || ff_lines

finish
