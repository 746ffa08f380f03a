#!/usr/bin/env bash
# test_scenarios.sh: for every lab scenario, a fresh PC (empty home with a
# Firefox profile) runs check, install, check, install again, remove; each
# step is asserted with certutil on the real NSS databases and on the
# Firefox override file.
. "$(dirname "$0")/lib.sh"

# scenario | chromium flags of our certs | count in Chromium db | firefox db flags |
# count in Firefox db | override lines | exit code after install | words in output
cases=(
	"selfsigned|CP,,|5|CP,,|5|0|0|"
	"selfsigned-ca|P,,|5||0|11|0|"
	"private-ca|CP,,|5|CP,,|5|0|0|"
	"private-ca-noroot|CP,,|5|CP,,|5|0|0|"
	"nosan||0||0|11|1|Subject Alternative Name"
	"expired||0||0|0|1|expired on"
	"wrongname||0||0|0|1|never installed"
	"rsa1024|CP,,|5|CP,,|5|0|0|weak-key"
	"ecdsa|CP,,|5|CP,,|5|0|0|"
)

for c in "${cases[@]}"; do
	IFS='|' read -r scen cflags ccount fflags fcount overrides rc words <<<"$c"
	lab=$T_WORK/lab-$scen
	home=$T_WORK/home-$scen
	lab_start "$lab" "$scen"
	new_home "$home"
	agent_args "$home" "$lab" "$T_WORK/state-$scen"
	chrome_db=$home/.pki/nssdb
	prof=$(ff_profile "$home")

	run_agent check
	check "$scen: check on a fresh PC exits 1 (work to do)" [ "$RC" -eq 1 ]
	check "$scen: check creates no Chromium database" [ ! -e "$chrome_db" ]
	check "$scen: check writes nothing to Firefox" [ "$(nss_count_ours "$prof")" -eq 0 ]

	run_agent install
	check "$scen: install exits $rc" [ "$RC" -eq "$rc" ] || echo "$OUT"
	check "$scen: Chromium db holds $ccount certificates of ours" \
		[ "$(nss_count_ours "$chrome_db")" -eq "$ccount" ]
	if [ -n "$cflags" ]; then
		check "$scen: Chromium trust flags are $cflags" \
			[ "$(nss_ours "$chrome_db" | cut -f2 | sort -u)" = "$cflags" ]
	fi
	check "$scen: Firefox db holds $fcount certificates of ours" \
		[ "$(nss_count_ours "$prof")" -eq "$fcount" ]
	if [ -n "$fflags" ]; then
		check "$scen: Firefox trust flags are $fflags" \
			[ "$(nss_ours "$prof" | cut -f2 | sort -u)" = "$fflags" ]
	fi
	check "$scen: $overrides Firefox override lines" [ "$(override_lines "$prof")" -eq "$overrides" ]
	check "$scen: ... each with its companion for the name with a trailing dot" \
		[ "$(override_companions "$prof")" -eq "$overrides" ]
	if [ -n "$words" ]; then
		check "$scen: the report says '$words'" grep -q "$words" <<<"$OUT"
	fi

	run_agent check
	check "$scen: check after install exits $rc" [ "$RC" -eq "$rc" ]
	before=$(md5sum "$chrome_db/cert9.db" 2>/dev/null || true)
	run_agent install
	check "$scen: a second install changes nothing" grep -q "Nothing to change" <<<"$OUT"
	check "$scen: ... and leaves the database untouched" \
		[ "$(md5sum "$chrome_db/cert9.db" 2>/dev/null || true)" = "$before" ]

	run_agent remove
	check "$scen: remove exits 0" [ "$RC" -eq 0 ]
	check "$scen: remove leaves nothing of ours in Chromium" [ "$(nss_count_ours "$chrome_db" 2>/dev/null)" -eq 0 ]
	check "$scen: remove leaves nothing of ours in Firefox" [ "$(nss_count_ours "$prof")" -eq 0 ]
	n=$(grep -c 'OID.2.16.840.1.101.3.4.2.1' "$prof/cert_override.txt" 2>/dev/null || true)
	check "$scen: remove takes out the override lines and their companions" [ "${n:-0}" -eq 0 ]
	lab_stop "$lab"
done

finish
