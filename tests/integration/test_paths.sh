#!/usr/bin/env bash
# test_paths.sh: run as root, the agent writes nothing through another
# user's paths: a profiles.ini with an absolute Path= to another user's
# profile, a symlinked profile directory, a link or another user's
# directory at the doctor bundle path, a spool that is a link to another
# user's directory. Each is refused with a message and the victim's files
# stay as they were. And with --home, the state goes with that home, not
# to /var/lib/uccx-trust (checked in a private mount namespace). Root only
# ("nobody" plays the other user): skipped (77) otherwise.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! unshare -m true 2>/dev/null; then
	echo "skipped: needs root and unshare"
	exit 77
fi
W=$T_WORK
lab_start "$W/lab" selfsigned

# victim_profile DIR: a Firefox profile of another user, with its database.
victim_profile() {
	mkdir -p "$1"
	certutil -N -d "sql:$1" --empty-password
	chown -R nobody: "$1"
}
# digest DIR: names, owners and contents of everything in DIR.
digest() { (cd "$1" && find . -printf '%p %u %s %l\n' | sort && find . -type f -exec sha256sum {} + | sort); }

# ---- profiles.ini points outside: an absolute Path=, a symlinked profile ----
home=$W/home
new_home "$home"
victim_profile "$W/victim-abs"
victim_profile "$W/victim-link"
ln -s "$W/victim-link" "$home/.mozilla/firefox/linked.default"
cat >>"$home/.mozilla/firefox/profiles.ini" <<INI

[Profile1]
Name=evil-absolute
IsRelative=0
Path=$W/victim-abs

[Profile2]
Name=evil-link
IsRelative=1
Path=linked.default
INI
before_abs=$(digest "$W/victim-abs")
before_link=$(digest "$W/victim-link")
agent_args "$home" "$W/lab" "$W/state"
run_agent install
check "foreign profiles: each refused profile is a problem of the run" \
	[ "$(grep -c "problem: The Firefox profile .* was left alone" <<<"$OUT")" -eq 2 ] || echo "$OUT"
check "foreign profiles: the absolute Path= is named as left alone, with the reason" \
	grep -q "Firefox profile $W/victim-abs was left alone: refusing to write under $W/victim-abs: it belongs to another user" <<<"$OUT"
check "foreign profiles: the symlinked profile is named as left alone" \
	grep -q "Firefox profile $home/.mozilla/firefox/linked.default was left alone: refusing to write under $W/victim-link (reached through the link $home/.mozilla/firefox/linked.default): it belongs to another user" <<<"$OUT"
check "foreign profiles: nothing written in the absolute Path= profile" \
	[ "$(digest "$W/victim-abs")" = "$before_abs" ]
check "foreign profiles: nothing written in the symlinked profile" \
	[ "$(digest "$W/victim-link")" = "$before_link" ]
check "foreign profiles: the home's own profile got our certificates" \
	[ "$(nss_count_ours "$(ff_profile "$home")")" -gt 0 ]

# ---- the doctor bundle ----
mkdir -p "$W/pub" && chmod 1777 "$W/pub"
echo "another user's file" >"$W/victim-file" && chown nobody: "$W/victim-file"
ln -s "$W/victim-file" "$W/pub/ticket.txt" && chown -h nobody: "$W/pub/ticket.txt"
set +e
OUT=$("$AGENT" doctor "${A[@]}" --bundle "$W/pub/ticket.txt" 2>&1)
RC=$?
set -e
check "bundle at a link: doctor exits 3" [ "$RC" -eq 3 ]
check "bundle at a link: the message says why" \
	grep -q "refusing to write $W/pub/ticket.txt: it is a symbolic link" <<<"$OUT"
check "bundle at a link: the link's target is untouched" \
	[ "$(cat "$W/victim-file")" = "another user's file" ]
mkdir -p "$W/theirs" && chown nobody: "$W/theirs"
set +e
OUT=$("$AGENT" doctor "${A[@]}" --bundle "$W/theirs/ticket.txt" 2>&1)
RC=$?
set -e
check "bundle in another user's directory: refused (exit 3)" [ "$RC" -eq 3 ]
check "bundle in another user's directory: the message names it" \
	grep -q "refusing to write under $W/theirs: it belongs to another user" <<<"$OUT"
check "bundle in another user's directory: nothing written there" \
	[ -z "$(ls -A "$W/theirs")" ]
set +e
OUT=$("$AGENT" doctor "${A[@]}" --bundle "$W/pub/own.txt" 2>&1)
RC=$?
set -e
check "bundle in a sticky directory, new file: written" \
	grep -q "==== result.json" "$W/pub/own.txt"

# ---- the report spool is a link to another user's directory ----
mkdir -p "$W/victim-spool" "$W/state-spool"
echo '{"victim": true}' >"$W/victim-spool/1-victim.json"
chown -R nobody: "$W/victim-spool"
ln -s "$W/victim-spool" "$W/state-spool/spool"
before_spool=$(digest "$W/victim-spool")
agent_args "$home" "$W/lab" "$W/state-spool"
run_agent check --report-url "http://127.0.0.1:1/api/v1/reports"
check "spool link: the run says the report could not be spooled, and why" \
	grep -q "report: refusing to write under $W/victim-spool (reached through the link $W/state-spool/spool): it belongs to another user" <<<"$OUT"
check "spool link: the other user's directory is untouched (nothing added, read or trimmed)" \
	[ "$(digest "$W/victim-spool")" = "$before_spool" ]

# ---- with --home, the state lives in that home ----
# /var/lib is an empty tmpfs in a private mount namespace: the machine's
# state directory is neither read nor written by this run.
home2=$W/home2
new_home "$home2"
A=(--node uccx1.lab.example --node uccx2.lab.example --socialminer socialminer.lab.example
   --home "$home2" --connect-timeout 2 --timeout 5)
while read -r line; do A+=(--connect-to "$line"); done <"$W/lab/connect-to.txt"
# shellcheck disable=SC2016
unshare -m sh -c 'mount -t tmpfs tmpfs /var/lib && "$@" >"$0/out.txt" 2>&1; echo $? >"$0/rc.txt";
	[ -e /var/lib/uccx-trust ] && echo yes >"$0/varlib.txt" || echo no >"$0/varlib.txt"' \
	"$W" "$AGENT" install "${A[@]}"
check "--home: install exits 0" [ "$(cat "$W/rc.txt")" -eq 0 ] || cat "$W/out.txt"
check "--home: the state is in that home" \
	grep -q "^installed" "$home2/.local/state/uccx-trust/state"
check "--home: nothing went to /var/lib/uccx-trust" [ "$(cat "$W/varlib.txt")" = no ]
run_agent_json status
check "--home: status reads the state from that home" \
	[ "$(jq_py "$JSON" 'd["state"]["dir"]')" = "$home2/.local/state/uccx-trust" ]
check "--home: the state records what was installed there" \
	[ "$(jq_py "$JSON" 'len(d["state"]["installed"]) > 0')" = True ]

# ---- a home of another user: its state is neither read nor written ----
fhome=$W/foreign-home
new_home "$fhome"
mkdir -p "$fhome/.local/state/uccx-trust"
echo "root's secret" >"$W/secret" && chmod 600 "$W/secret"
ln -s "$W/secret" "$fhome/.local/state/uccx-trust/state"
chown -R nobody: "$fhome"
before_home=$(digest "$fhome")
A=(--node uccx1.lab.example --home "$fhome" --connect-timeout 2 --timeout 5)
while read -r line; do A+=(--connect-to "$line"); done <"$W/lab/connect-to.txt"
run_agent install
check "foreign home: install is refused (exit 3), naming the home" \
	eval '[ "$RC" -eq 3 ] && grep -q "refusing to write under $fhome: it belongs to another user" <<<"$OUT"'
run_agent check
check "foreign home: check is refused the same way" \
	eval '[ "$RC" -eq 3 ] && grep -q "refusing to write under $fhome: it belongs to another user" <<<"$OUT"'
run_agent doctor --bundle "$W/fbundle.txt"
check "foreign home: the bundle does not hold what its state links to" \
	eval '[ -s "$W/fbundle.txt" ] && ! grep -q "root.s secret" "$W/fbundle.txt"'
check "foreign home: nothing in it changed" [ "$(digest "$fhome")" = "$before_home" ]
finish
