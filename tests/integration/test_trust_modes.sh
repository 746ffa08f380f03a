#!/usr/bin/env bash
# test_trust_modes.sh: the trust rules across runs. Trust on first use with
# a renewal (installed, the old certificate replaced) and a changed key
# (refused until --accept-change); pinned mode with wrong and right pins in
# several spellings; private CAs with --ca-file or a pinned root.
. "$(dirname "$0")/lib.sh"

# fresh NAME SCENARIO [lab options]: a lab and an empty PC for one case;
# sets LABD, HOMED, CHROME, PROF, STATE and A.
fresh() {
	local name=$1 scen=$2
	shift 2
	LABD=$T_WORK/lab-$name
	HOMED=$T_WORK/home-$name
	STATE=$T_WORK/state-$name
	lab_start "$LABD" "$scen" "$@"
	new_home "$HOMED"
	CHROME=$HOMED/.pki/nssdb
	PROF=$(ff_profile "$HOMED")
	agent_args "$HOMED" "$LABD" "$STATE"
}
# restart_lab SCENARIO [lab options]: the same lab directory, new process
# (and new ports: the agent arguments are rebuilt).
restart_lab() {
	local scen=$1
	shift
	lab_stop "$LABD"
	lab_start "$LABD" "$scen" "$@"
	agent_args "$HOMED" "$LABD" "$STATE"
}
# every_leaf LAB: the distinct leaf fingerprints the lab serves.
every_leaf() { awk '{ print $2 }' "$1/fingerprints.txt" | sort -u; }
# both_dbs_hold FP FLAGS: FP is ours in both databases, once, with FLAGS.
both_dbs_hold() {
	local db
	for db in "$CHROME" "$PROF"; do
		[ "$(nss_has "$db" "$1")" -eq 1 ] || return 1
		[ "$(nss_ours "$db" | grep " $(fp_tag "$1")	" | cut -f2)" = "$2" ] || return 1
	done
}
neither_db_holds() {
	[ "$(nss_has "$CHROME" "$1")" -eq 0 ] && [ "$(nss_has "$PROF" "$1")" -eq 0 ]
}
state_seen() { grep -c "^seen	$1	$(echo "$2" | tr -d : | tr A-F a-f)	" "$STATE/state" || true; }

# ---- tofu: a renewal (same key, new certificate that outlives the old) ----
fresh renew selfsigned --days-left 10
old=$(lab_fp "$LABD" uccx1.lab.example:8445)
old_n=$(lab_fp "$LABD" uccx1.lab.example:7443)
run_agent install
check "renewal: first install exits 0" [ "$RC" -eq 0 ]
check "renewal: an about-to-expire certificate is noted" grep -q "expiring-soon" <<<"$OUT"
check "renewal: the first certificate is in both databases as CP,," both_dbs_hold "$old" "CP,,"
restart_lab selfsigned --keep-keys --renew
new=$(lab_fp "$LABD" uccx1.lab.example:8445)
new_n=$(lab_fp "$LABD" uccx1.lab.example:7443)
check "renewal: the lab serves a new certificate" eval '[ -n "$new" ] && [ "$new" != "$old" ]'
run_agent_json install
check "renewal: install exits 0" [ "$RC" -eq 0 ]
check "renewal: JSON approval is 'renewal' for all 13 endpoints" \
	[ "$(jq_py "$JSON" 'sum(e["approval"] == "renewal" for e in d["endpoints"])')" -eq 13 ]
check "renewal: every endpoint trusted" \
	[ "$(jq_py "$JSON" 'sum(e["verdict"] == "trusted" for e in d["endpoints"])')" -eq 13 ]
check "renewal: 10 additions and 10 removals, all done" \
	[ "$(jq_py "$JSON" '[sum(c["action"] == a and c["status"] == "done" for c in d["changes"]) for a in ("add", "remove")]')" = "[10, 10]" ]
check "renewal: the renewed certificates are in both databases as CP,," \
	eval 'both_dbs_hold "$new" "CP,," && both_dbs_hold "$new_n" "CP,,"'
check "renewal: the old certificates are gone from both databases" \
	eval 'neither_db_holds "$old" && neither_db_holds "$old_n"'
check "renewal: still 5 certificates of ours per database" \
	eval '[ "$(nss_count_ours "$CHROME")" -eq 5 ] && [ "$(nss_count_ours "$PROF")" -eq 5 ]'
check "renewal: the state approves the new certificate" [ "$(state_seen uccx1.lab.example:8445 "$new")" -eq 1 ]
check "renewal: the state no longer records the old one as installed" eval \
	'! grep -q "$(echo "$old" | tr -d : | tr A-F a-f)" "$STATE/state"'
run_agent install
check "renewal: the next install changes nothing" grep -q "Nothing to change" <<<"$OUT"

# ---- tofu: a changed certificate (new key) ----
restart_lab selfsigned
changed=$(lab_fp "$LABD" uccx1.lab.example:8445)
run_agent install
check "changed key: install exits 1" [ "$RC" -eq 1 ]
check "changed key: the report says REFUSED" grep -q "REFUSED .*https://uccx1.lab.example:8445/" <<<"$OUT"
check "changed key: the message names --accept-change" grep -q -- "--accept-change" <<<"$OUT"
check "changed key: nothing new installed" neither_db_holds "$changed"
check "changed key: the approved certificate stays" both_dbs_hold "$new" "CP,,"
check "changed key: the state keeps the approved fingerprint" \
	[ "$(state_seen uccx1.lab.example:8445 "$new")" -eq 1 ]
run_agent_json check
check "changed key: JSON verdict 'refused', approval 'refused-changed' for all 13" \
	[ "$(jq_py "$JSON" 'sum(e["verdict"] == "refused" and e["approval"] == "refused-changed" for e in d["endpoints"])')" -eq 13 ]
run_agent install --accept-change
check "--accept-change: install exits 0" [ "$RC" -eq 0 ]
check "--accept-change: the new certificate is installed as CP,," both_dbs_hold "$changed" "CP,,"
check "--accept-change: the replaced certificate is removed" eval 'neither_db_holds "$new" && neither_db_holds "$new_n"'
check "--accept-change: 5 certificates of ours per database" \
	eval '[ "$(nss_count_ours "$CHROME")" -eq 5 ] && [ "$(nss_count_ours "$PROF")" -eq 5 ]'
check "--accept-change: the state approves the new certificate" \
	[ "$(state_seen uccx1.lab.example:8445 "$changed")" -eq 1 ]
run_agent check
check "--accept-change: a later check exits 0" [ "$RC" -eq 0 ]
lab_stop "$LABD"

# ---- pinned mode ----
fresh pinned selfsigned
wrong=$(printf 'AB%.0s' $(seq 32))
run_agent install --trust pinned --pin "$wrong"
check "pinned, wrong pin: install exits 1" [ "$RC" -eq 1 ]
check "pinned, wrong pin: the report says REFUSED" grep -q "^  REFUSED " <<<"$OUT"
check "pinned, wrong pin: nothing in Chromium" [ "$(nss_count_ours "$CHROME" 2>/dev/null || echo 0)" -eq 0 ]
check "pinned, wrong pin: nothing in Firefox" [ "$(nss_count_ours "$PROF")" -eq 0 ]
run_agent_json check --trust pinned --pin "$wrong"
check "pinned, wrong pin: JSON trust_mode pinned, 13 refused" \
	[ "$(jq_py "$JSON" 'd["trust_mode"] + " " + str(sum(e["verdict"] == "refused" for e in d["endpoints"]))')" = "pinned 13" ]
# The real pins, each in another spelling: as printed, lowercase, no colons,
# lowercase without colons, and as one comma-separated value.
pins=()
k=0
for fp in $(every_leaf "$LABD"); do
	case $((k % 4)) in
	0) pins+=(--pin "$fp") ;;
	1) pins+=(--pin "$(echo "$fp" | tr A-F a-f)") ;;
	2) pins+=(--pin "$(echo "$fp" | tr -d :)") ;;
	3) pins+=(--pin "$(echo "$fp" | tr -d : | tr A-F a-f)") ;;
	esac
	k=$((k + 1))
done
check "pinned: the lab serves 5 distinct leaves" [ "$k" -eq 5 ]
run_agent install --trust pinned "${pins[@]}"
check "pinned, right pins: install exits 0" [ "$RC" -eq 0 ] || echo "$OUT"
check "pinned, right pins: approval 'pinned'" grep -q "(self-signed, pinned)" <<<"$OUT"
ok_all=1
for fp in $(every_leaf "$LABD"); do both_dbs_hold "$fp" "CP,," || ok_all=0; done
check "pinned, right pins: each leaf in both databases as CP,," [ "$ok_all" -eq 1 ]
lab_stop "$LABD"

fresh pinlist selfsigned
run_agent install --trust pinned --pin "$(every_leaf "$LABD" | paste -sd,)"
check "pinned, comma-separated pins: install exits 0" [ "$RC" -eq 0 ]
check "pinned, comma-separated pins: 5 certificates in Chromium" [ "$(nss_count_ours "$CHROME")" -eq 5 ]
lab_stop "$LABD"

# ---- private CA ----
for scen in private-ca private-ca-noroot; do
	fresh "$scen" "$scen"
	root=$(openssl x509 -in "$LABD/ca.pem" -noout -fingerprint -sha256 | cut -d= -f2)
	run_agent_json install --ca-file "$LABD/ca.pem"
	check "$scen --ca-file: install exits 0" [ "$RC" -eq 0 ]
	check "$scen --ca-file: 13 endpoints trusted, approval ca-file" \
		[ "$(jq_py "$JSON" 'sum(e["verdict"] == "trusted" and e["approval"] == "ca-file" for e in d["endpoints"])')" -eq 13 ]
	check "$scen --ca-file: only the root, C,,, in each database" \
		eval 'both_dbs_hold "$root" "C,," && [ "$(nss_count_ours "$CHROME")" -eq 1 ] && [ "$(nss_count_ours "$PROF")" -eq 1 ]'
	check "$scen --ca-file: no Firefox override" [ "$(override_lines "$PROF")" -eq 0 ]
	check "$scen --ca-file: the state records the root for 11 servers" \
		[ "$(awk -F'\t' '$1 == "installed" { print split($5, a, ",") }' "$STATE/state" | sort -u)" = 11 ]
	run_agent remove
	check "$scen: remove takes the root out" eval '[ "$(nss_count_ours "$CHROME")" -eq 0 ] && [ "$(nss_count_ours "$PROF")" -eq 0 ]'
	rm -rf "$STATE"
	run_agent install --trust pinned --pin "$root"
	if [ "$scen" = private-ca ]; then
		check "$scen, pinned root: install exits 0" [ "$RC" -eq 0 ] || echo "$OUT"
		check "$scen, pinned root: the root alone, C,,, in each database" \
			eval 'both_dbs_hold "$root" "C,," && [ "$(nss_count_ours "$CHROME")" -eq 1 ] && [ "$(nss_count_ours "$PROF")" -eq 1 ]'
	else
		# The server does not send the root and has no AIA URL: a pin on
		# a certificate the agent never sees approves nothing.
		check "$scen, pinned root not sent: install exits 1, refused" \
			eval '[ "$RC" -eq 1 ] && grep -q "(ca-issued, refused-unpinned)" <<<"$OUT"'
		check "$scen, pinned root not sent: nothing installed" \
			eval '[ "$(nss_count_ours "$CHROME")" -eq 0 ] && [ "$(nss_count_ours "$PROF")" -eq 0 ]'
	fi
	lab_stop "$LABD"
done

# ---- self-signed CA:TRUE with pinned leaves: may become roots in NSS,
# Firefox still needs its overrides ----
fresh ssca selfsigned-ca
pins=()
for fp in $(every_leaf "$LABD"); do pins+=(--pin "$fp"); done
run_agent install --trust pinned "${pins[@]}"
check "selfsigned-ca pinned: install exits 0" [ "$RC" -eq 0 ] || echo "$OUT"
check "selfsigned-ca pinned: 5 certificates of ours in Chromium, C,," \
	eval '[ "$(nss_count_ours "$CHROME")" -eq 5 ] && [ "$(nss_ours "$CHROME" | cut -f2 | sort -u)" = "C,," ]'
check "selfsigned-ca pinned: none in the Firefox database" [ "$(nss_count_ours "$PROF")" -eq 0 ]
check "selfsigned-ca pinned: 11 Firefox override lines" [ "$(override_lines "$PROF")" -eq 11 ]
fp=$(lab_fp "$LABD" uccx2.lab.example:8444)
check "selfsigned-ca pinned: the override line for uccx2:8444 has its fingerprint" \
	grep -qP "^uccx2\\.lab\\.example:8444:\\tOID\\.2\\.16\\.840\\.1\\.101\\.3\\.4\\.2\\.1\\t$fp\\t" "$PROF/cert_override.txt"
lab_stop "$LABD"

finish
