#!/usr/bin/env bash
# test_issuer_trust.sh: a server certificate that does not say CA:FALSE (v3
# without basicConstraints, X.509 v1, a private CA's leaf without it) never
# gets NSS's "C" flag, pinned or not: its key would then sign for any name.
# The real agent against the lab (free ports) into real NSS databases,
# asserted with certutil; Firefox gets its exception instead.
. "$(dirname "$0")/lib.sh"

# fresh NAME SCENARIO: a lab and an empty PC; sets LABD, HOMED, CHROME, PROF, A.
fresh() {
	LABD=$T_WORK/lab-$1
	HOMED=$T_WORK/home-$1
	lab_start "$LABD" "$2"
	new_home "$HOMED"
	CHROME=$HOMED/.pki/nssdb
	PROF=$(ff_profile "$HOMED")
	agent_args "$HOMED" "$LABD" "$T_WORK/state-$1"
}
# flags_of DB: the trust flags of every certificate in DB, ours or not.
flags_of() {
	certutil -L -d "sql:$1" 2>/dev/null | awk 'NR > 4 && NF { print $NF }' | sort -u | paste -sd' '
}
# only_p DB: DB holds our certificates, every one "P,,", and nothing has C.
only_p() {
	[ "$(nss_count_ours "$1")" -gt 0 ] && [ "$(flags_of "$1")" = "P,," ]
}
no_c() { ! flags_of "$1" | grep -q C; }
# leaves: the distinct leaf fingerprints the lab serves.
leaves() { awk '{ print $2 }' "$LABD/fingerprints.txt" | sort -u; }

for mode in tofu pinned; do
	for scen in nobc private-ca-nobc; do
		fresh "$scen-$mode" "$scen"
		pins=()
		if [ "$mode" = pinned ]; then
			pins=(--trust pinned)
			for fp in $(leaves); do pins+=(--pin "$fp"); done
		fi
		run_agent install "${pins[@]}"
		check "$scen, $mode: install exits 0" [ "$RC" -eq 0 ]
		check "$scen, $mode: Chromium's database holds the leaves as P,, only" only_p "$CHROME"
		check "$scen, $mode: Chromium's database has no C flag" no_c "$CHROME"
		check "$scen, $mode: Firefox's database has no C flag" no_c "$PROF"
		check "$scen, $mode: Firefox gets the exceptions instead (11 host:ports)" \
			[ "$(override_lines "$PROF")" -eq 11 ]
		check "$scen, $mode: the report names the shape" grep -q "no-ca-false" <<<"$OUT"
		run_agent check "${pins[@]}"
		check "$scen, $mode: check afterwards exits 0 (nothing left to do)" [ "$RC" -eq 0 ]
		lab_stop "$LABD"
	done
done

# X.509 v1: no extensions, so no SAN: Chromium cannot take it at all, and
# Firefox only through its exception; nothing may carry C.
fresh v1 v1
run_agent install
check "v1: install exits 1 (Chromium cannot be fixed on the PC)" [ "$RC" -eq 1 ]
check "v1: nothing of ours in Chromium's database" \
	[ "$(nss_count_ours "$CHROME" 2>/dev/null || echo 0)" -eq 0 ]
check "v1: Firefox's database has no C flag" no_c "$PROF"
check "v1: Firefox gets the exceptions (11 host:ports)" [ "$(override_lines "$PROF")" -eq 11 ]
lab_stop "$LABD"

# An earlier version gave such a certificate CP,,: the next install narrows
# what it finds to P,, (the entry is ours by its nickname).
fresh upgrade nobc
fp=$(lab_fp "$LABD" uccx1.lab.example:8445)
mkdir -p "$CHROME"
certutil -N -d "sql:$CHROME" --empty-password
sed -n '1,/END CERTIFICATE/p' "$LABD/uccx1.lab.example-8445.pem" >"$T_WORK/old.pem"
certutil -A -d "sql:$CHROME" -n "uccx-trust uccx1.lab.example $(fp_tag "$fp")" -t CP,, \
	-i "$T_WORK/old.pem"
check "upgrade: the old CP,, is there before the run" [ "$(flags_of "$CHROME")" = "CP,," ]
run_agent install
check "upgrade: install exits 0" [ "$RC" -eq 0 ]
check "upgrade: CP,, became P,, and nothing has C" only_p "$CHROME"
lab_stop "$LABD"

finish
