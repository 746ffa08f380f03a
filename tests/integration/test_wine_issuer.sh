#!/usr/bin/env bash
# test_wine_issuer.sh: the Windows build under Wine with server certificates
# that do not say CA:FALSE (no basicConstraints, X.509 v1, a private CA's
# leaf without it): crypt32 reads their shape as OpenSSL does, and install
# never puts them in Root (where Chrome and Edge would take their key as an
# issuer for any name), pinned or not: a self-signed one goes to
# TrustedPeople only, a CA-issued one nowhere (no browser would read it).
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/wine_lib.sh"
wine_require "$EXE"

check "a fresh Wine prefix starts (wineboot -i)" eval 'timeout 180 wine wineboot -i >/dev/null 2>&1'

# wargs LAB [extra...]: the agent's flags for a lab (machine scope: elevated).
wargs() {
	local lab=$1 line
	shift
	A=(--node uccx1.lab.example --node uccx2.lab.example --socialminer socialminer.lab.example
	   --state-dir "C:\\uct-state-$(basename "$lab")" --connect-timeout 3 --timeout 8 "$@")
	while read -r line; do A+=(--connect-to "$line"); done <"$lab/connect-to.txt"
}
wrun() { # wrun CMD: sets RC and OUT
	set +e
	OUT=$(w "$EXE" "$1" "${A[@]}")
	RC=$?
	set -e
}
listed() { w "$WIN/uct-wincheck.exe" list; }
in_store() { listed | grep -c "^$1	" || true; }

for scen in nobc v1 private-ca-nobc; do
	lab=$T_WORK/lab-$scen
	lab_start "$lab" "$scen"
	# ---- the parsers agree on the shape (version, claim, may be an issuer) ----
	f=$lab/uccx1.lab.example-8445.pem
	"$BUILD/uct-certdump" "$f" >"$T_WORK/dump-linux-$scen"
	w "$WIN/uct-certdump.exe" "$f" >"$T_WORK/dump-win-$scen" || true
	check "$scen: the crypt32 and OpenSSL parsers give the same fields" \
		diff "$T_WORK/dump-linux-$scen" "$T_WORK/dump-win-$scen"
	check "$scen: crypt32 reads it as saying nothing about being a CA" \
		grep -q "claim=0 may_be_issuer=0" "$T_WORK/dump-win-$scen"
	modes=(tofu)
	[ "$scen" = nobc ] && modes+=(pinned)
	for mode in "${modes[@]}"; do
		pins=()
		if [ "$mode" = pinned ]; then
			pins=(--trust pinned)
			for fp in $(awk '{ print $2 }' "$lab/fingerprints.txt" | sort -u); do
				pins+=(--pin "$fp")
			done
		fi
		wargs "$lab" "${pins[@]}"
		wrun install
		check "$scen, $mode: none of ours in Root" [ "$(in_store Root)" -eq 0 ]
		check "$scen, $mode: none of ours in CA" [ "$(in_store CA)" -eq 0 ]
		case $scen in
		nobc)
			check "$scen, $mode: install exits 0" [ "$RC" -eq 0 ] || echo "$OUT"
			check "$scen, $mode: the 5 self-signed leaves in TrustedPeople" \
				[ "$(in_store TrustedPeople)" -eq 5 ] ;;
		private-ca-nobc)
			# Chrome and Edge read a leaf from TrustedPeople only when it
			# is self-signed, Firefox never: a CA-issued leaf goes nowhere,
			# and the run says to approve the CA.
			check "$scen, $mode: nothing of ours in any store" [ -z "$(listed)" ]
			check "$scen, $mode: the run says to approve the CA" \
				eval 'echo "$OUT" | grep -q -- "--ca-file"' || echo "$OUT" ;;
		v1)
			# No extensions, so no SAN: Chrome and Edge cannot take it.
			check "$scen, $mode: nothing of ours in any store" [ -z "$(listed)" ] ;;
		esac
		wrun remove
		check "$scen, $mode: remove leaves nothing of ours" [ -z "$(listed)" ]
	done
	lab_stop "$lab"
done

finish
