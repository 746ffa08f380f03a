#!/usr/bin/env bash
# test_machine_scope.sh: the machine scope on Debian with the real
# update-ca-certificates, in a private mount namespace whose /etc, /usr and
# /var are overlays on a tmpfs (nothing outside sees it): remove leaves no
# link of ours in /etc/ssl/certs and keeps the hash links of others
# reachable; an install or a remove killed (-9) just before
# update-ca-certificates ran is finished by the next run; a CA:TRUE server
# certificate, which the machine's stores may
# not or cannot trust, is reported with the reason and the next step (each
# user's login run). Root only: skipped (77) otherwise.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ "${1:-}" != --inner ]; then
	if [ "$(id -u)" -ne 0 ] || ! unshare -m true 2>/dev/null ||
		! command -v update-ca-certificates >/dev/null; then
		echo "skipped: needs root, unshare and update-ca-certificates"
		exit 77
	fi
	source "$here/lib.sh"
	finish_inner "$T_WORK"
fi

# ---- inside the private mount namespace ----------------------------------------
work=$2
source "$here/lib.sh"
T_WORK=$work/inner
mkdir -p "$T_WORK"
mount --make-rprivate /
mkdir -p "$work/ov"
mount -t tmpfs tmpfs "$work/ov"
for d in etc usr var; do
	mkdir -p "$work/ov/$d.u" "$work/ov/$d.w"
	mount -t overlay overlay -o "lowerdir=/$d,upperdir=$work/ov/$d.u,workdir=$work/ov/$d.w" "/$d"
done
certs=/etc/ssl/certs
# The hooks of update-ca-certificates (Java's keystore: about 20 s a run)
# play no part here.
[ -d /etc/ca-certificates/update.d ] && mount -t tmpfs tmpfs /etc/ca-certificates/update.d

# machine_args LAB: the flags of a machine-scope run against that lab, with
# a state of its own (the labs' certificates differ for the same names).
machine_args() {
	local line
	A=(--scope machine --node uccx1.lab.example --connect-timeout 2 --timeout 5
	   --state-dir "$1/state")
	while read -r line; do A+=(--connect-to "$line"); done <"$1/connect-to.txt"
}
# ours_in_certs: entries of /etc/ssl/certs that are ours or lead to ours.
ours_in_certs() {
	find "$certs" -maxdepth 1 \( -name '*uccx-trust*' -o -lname '*uccx-trust*' \) -printf '%f\n' | sort
}
dangling() { find "$certs" -maxdepth 1 -xtype l -printf '%f\n' | sort; }
# jq_true JSON EXPR: the Python expression holds over the document d.
jq_true() { [ "$(jq_py "$1" "$2")" = True ]; }

# ---- remove takes out the links update-ca-certificates leaves ----
lab=$T_WORK/lab
lab_start "$lab" selfsigned
machine_args "$lab"
run_agent install
check "install (machine scope) exits 0" [ "$RC" -eq 0 ] || echo "$OUT"
check "update-ca-certificates linked our anchors into $certs" [ -n "$(ours_in_certs)" ]
# A certificate of the system whose subject hashes like ours: its link
# comes after ours (HASH.1), and must stay reachable as HASH.0 afterwards.
our_hash=$(find "$certs" -maxdepth 1 -name '????????.0' -lname 'uccx-trust-*' -printf '%f\n' -quit)
other_pem=$(find "$certs" -maxdepth 1 -name '*.pem' -type l ! -lname '*uccx-trust*' -xtype f -printf '%f\n' -quit)
check "found our hash link and another certificate's link" test -n "$our_hash" -a -n "$other_pem"
hash=${our_hash%.0}
ln -s "$other_pem" "$certs/$hash.1"
# Someone else's dangling link: not ours, so it stays.
ln -s /nonexistent/other.crt "$certs/someone-else.pem"
dangling_before=$(dangling)
run_agent remove
check "remove (machine scope) exits 0" [ "$RC" -eq 0 ] || echo "$OUT"
check "remove left no link of ours in $certs" [ -z "$(ours_in_certs)" ] || ours_in_certs
check "remove left no new dangling link in $certs" [ "$(dangling)" = "$dangling_before" ] || dangling
check "someone else's dangling link is still there" [ -L "$certs/someone-else.pem" ]
check "the other certificate of that hash is still found, as $hash.0" \
	test "$(readlink "$certs/$hash.0" 2>/dev/null)" = "$other_pem" -a ! -L "$certs/$hash.1"
check "no anchor file of ours is left" [ ! -e /usr/local/share/ca-certificates/uccx-trust ]
lab_stop "$lab"

# ---- killed before update-ca-certificates ran ----
# The command the agent runs is replaced by one that kills the agent (its
# parent) with SIGKILL when $work/kill-update exists, as a power cut or an
# administrator would between the anchor file and the bundle; otherwise it
# runs the real one.
ucc=/usr/sbin/update-ca-certificates
mv "$ucc" "$ucc.real"
printf '%s\n' '#!/bin/sh' "if [ -e '$work/kill-update' ]; then" \
	"	rm -f '$work/kill-update'" '	kill -KILL $PPID' '	sleep 5' '	exit 1' 'fi' \
	"exec '$ucc.real' \"\$@\"" >"$ucc"
chmod 755 "$ucc"
anchors=/usr/local/share/ca-certificates/uccx-trust
bundle=$certs/ca-certificates.crt
# in_bundle FILE: the certificate in FILE is in OpenSSL's bundle.
in_bundle() { [ -s "$1" ] && grep -qxF "$(sed -n 2p "$1")" "$bundle"; }
lab=$T_WORK/lab-kill
lab_start "$lab" selfsigned
machine_args "$lab"
touch "$work/kill-update"
run_agent install
check "install killed before update-ca-certificates (SIGKILL)" [ "$RC" -eq 137 ] || echo "$OUT"
ours=$(find "$anchors" -maxdepth 1 -name 'uccx-trust-*.crt' -print -quit 2>/dev/null || true)
[ -n "$ours" ] && cp "$ours" "$T_WORK/ours.crt"
written_not_updated() {
	[ -n "$ours" ] && [ -z "$(ours_in_certs)" ] && ! in_bundle "$T_WORK/ours.crt"
}
check "the killed install wrote its anchor file, not yet in $certs or the bundle" \
	written_not_updated
run_agent install
check "the next install exits 0" [ "$RC" -eq 0 ] || echo "$OUT"
updated() { [ -n "$(ours_in_certs)" ] && in_bundle "$T_WORK/ours.crt"; }
check "the next install ran the owed update: our anchor is in $certs and the bundle" updated
check "the next install says it ran the owed update" grep -q "did not finish; running it now" <<<"$OUT"
check "nothing is owed any more" [ ! -e "$anchors/uccx-trust-update-owed" ]
touch "$work/kill-update"
run_agent remove
check "remove killed before update-ca-certificates (SIGKILL)" [ "$RC" -eq 137 ] || echo "$OUT"
removed_not_updated() { [ -n "$ours" ] && [ ! -e "$ours" ] && in_bundle "$T_WORK/ours.crt"; }
check "the killed remove took our file out, the bundle still has it" removed_not_updated
run_agent remove
check "the next remove exits 0" [ "$RC" -eq 0 ] || echo "$OUT"
in_bundle "$T_WORK/ours.crt" && still=1 || still=0
check "the next remove ran the owed update: the bundle no longer has our certificate" \
	[ "$still" -eq 0 ]
check "no link of ours in $certs, no anchor directory of ours" \
	test -z "$(ours_in_certs)" -a ! -e "$anchors"
rm -f "$work/kill-update"
mv "$ucc.real" "$ucc"
lab_stop "$lab"

# ---- a CA:TRUE self-signed server certificate ----
lab=$T_WORK/lab-ca
lab_start "$lab" selfsigned-ca
machine_args "$lab"
run_agent_json install
check "CA:TRUE, first use: install exits 1 (not trusted)" [ "$RC" -eq 1 ]
check "CA:TRUE, first use: nothing became a machine anchor" \
	[ ! -e /usr/local/share/ca-certificates/uccx-trust ]
check "CA:TRUE, first use: the action says why and that each user's login run adds it" \
	jq_true "$JSON" 'any("says CA:TRUE" in a and "each user'"'"'s login run (uccx-trust install --scope user) adds it" in a for a in d["actions"])'
run_agent install
check "CA:TRUE, first use: the text says it under What to do" \
	grep -q "uccx1.lab.example: its self-signed certificate says CA:TRUE.*each user's login run" <<<"$OUT"
if [ -d /usr/lib/firefox-esr ] || [ -d /usr/lib/firefox ]; then
	pins=()
	for fp in $(awk '$1 ~ /^uccx1\./ { print $2 }' "$lab/fingerprints.txt" | sort -u); do
		pins+=(--pin "$fp")
	done
	run_agent_json install --trust pinned "${pins[@]}"
	check "CA:TRUE, pinned: the system anchors trust it" \
		jq_true "$JSON" 'all(g["verdict"] == "trusted" for e in d["endpoints"] for g in e["browsers"] if g["profile"] == "system")'
	check "CA:TRUE, pinned: the action says Firefox needs each user's exception" \
		jq_true "$JSON" 'any("Firefox never accepts" in a and "adds a Firefox exception" in a for a in d["actions"])'
	run_agent remove
fi
lab_stop "$lab"
echo "inner done"
