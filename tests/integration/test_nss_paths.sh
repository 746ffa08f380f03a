#!/usr/bin/env bash
# test_nss_paths.sh: NSS opens cert9.db and key4.db by name, so run as root
# for a home, the agent opens a database only when no other user can
# change the way to it: every directory from the home down to the database
# writable by its owner only (a sticky bit excuses none of them), checked
# again right before NSS opens the database. "nobody" plays the other
# user; each attack that used to work is refused with a message naming the
# path and the fix, and nothing is written into the files at stake.
# Root only: skipped (77) otherwise.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! id nobody >/dev/null 2>&1; then
	echo "skipped: needs root and the user nobody"
	exit 77
fi
W=$T_WORK
chmod 0755 "$W" # the other user may reach what the test offers them
lab_start "$W/lab" selfsigned

# digest DIR: names, owners, modes and contents of everything in DIR.
digest() {
	(cd "$1" && find . -printf '%p %u %m %s %l\n' | sort &&
		find . -type f -exec sha256sum {} + | sort)
}
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }

# held CALL MICROSECONDS PATH CMD...: runs the agent's install with A under
# strace, which holds its first CALL (on PATH, or any when PATH is empty)
# for MICROSECONDS, and runs CMD once the agent waits there. Sets RC and OUT.
held() {
	local call=$1 delay=$2 path=$3 pid only=()
	shift 3
	[ -z "$path" ] || only=(-P "$path")
	rm -f "$W/delay.log"
	set +e
	strace -f -o "$W/delay.log" "${only[@]}" -e trace="$call" \
		-e inject="$call":delay_enter="$delay":when=1 \
		"$AGENT" install "${A[@]}" >"$W/out.txt" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		grep -q "$call(" "$W/delay.log" 2>/dev/null && break
		sleep 0.1
	done
	"$@"
	wait "$pid"
	RC=$?
	set -e
	OUT=$(cat "$W/out.txt")
}

# during_fetch CMD...: CMD runs in the network phase (after the stores were
# found, before any database is opened): the first connect is held for 3 s.
during_fetch() { held connect 3000000 "" "$@"; }

# during_open DB CMD...: CMD runs while the agent is held inside
# NSS_InitContext for the database DB, after its last check of the path:
# NSS's first look at DB/cert9.db (access) is held for 2 s.
during_open() {
	local db=$1
	shift
	held access 2000000 "$db/cert9.db" "$@"
}

# ---- the database directory is world-writable with the sticky bit ----
home=$W/h1
new_home "$home"
mkdir -p "$home/.pki/nssdb"
certutil -N -d "sql:$home/.pki/nssdb" --empty-password
chmod 1777 "$home/.pki/nssdb"
# Anyone can add files there: a rollback journal SQLite would replay into
# cert9.db, say.
as_nobody sh -c "head -c 4096 /dev/urandom >'$home/.pki/nssdb/cert9.db-journal'"
before=$(digest "$home/.pki/nssdb")
agent_args "$home" "$W/lab" "$W/s1"
run_agent install
check "sticky database directory: refused, naming it and the fix" \
	grep -q "NSS database $home/.pki/nssdb was left alone: refusing to write under $home/.pki/nssdb: other users can change it (mode 1777); make it writable by its owner only (chmod go-w $home/.pki/nssdb)" <<<"$OUT" || echo "$OUT"
check "sticky database directory: nothing in it changed" \
	[ "$(digest "$home/.pki/nssdb")" = "$before" ]
check "sticky database directory: the Firefox profile was still served" \
	[ "$(nss_count_ours "$(ff_profile "$home")")" -gt 0 ]

# ---- a sticky world-writable directory between the home and a profile ----
home=$W/h2
new_home "$home"
chmod 1777 "$home/.mozilla"
prof=$(ff_profile "$home")
before=$(digest "$prof")
agent_args "$home" "$W/lab" "$W/s2"
run_agent install
check "sticky directory under the home: the profile is left alone, naming it and the fix" \
	grep -q "Firefox profile list of $home/.mozilla/firefox was left alone: refusing to write under $home/.mozilla: other users can change it (mode 1777); make it writable by its owner only (chmod go-w $home/.mozilla)" <<<"$OUT" || echo "$OUT"
check "sticky directory under the home: nothing written in the profile (database, overrides)" \
	[ "$(digest "$prof")" = "$before" ]

# ---- another user's directory put in place while the agent fetched ----
# .pki is sticky and world-writable, Chromium's database does not exist
# yet: nobody makes the database directory before the agent creates it.
home=$W/h3
new_home "$home"
mkdir -p "$home/.pki" && chmod 1777 "$home/.pki"
agent_args "$home" "$W/lab" "$W/s3"
during_fetch as_nobody mkdir -m 0777 "$home/.pki/nssdb"
check "directory planted during the fetch: nothing of ours written into it" \
	[ -z "$(ls -A "$home/.pki/nssdb" 2>/dev/null)" ]
check "directory planted during the fetch: the run names the path and the fix" \
	grep -q "refusing to write under $home/.pki: other users can change it (mode 1777); make it writable by its owner only (chmod go-w $home/.pki)" <<<"$OUT" || echo "$OUT"

# ---- the database directory swapped for another user's while the agent
# fetched: the check right before NSS opens it sees the swap ----
home=$W/h4
new_home "$home"
mkdir -p "$home/.pki/nssdb" "$W/victim-db"
certutil -N -d "sql:$home/.pki/nssdb" --empty-password
certutil -N -d "sql:$W/victim-db" --empty-password
chown -R nobody:nogroup "$W/victim-db"
before=$(digest "$W/victim-db")
agent_args "$home" "$W/lab" "$W/s4"
during_fetch sh -c "mv '$home/.pki/nssdb' '$home/.pki/nssdb.orig' && ln -s '$W/victim-db' '$home/.pki/nssdb'"
check "database swapped during the fetch: refused, naming the path" \
	grep -q "NSS database $home/.pki/nssdb left alone: refusing to write under $W/victim-db (reached through the link $home/.pki/nssdb): it belongs to another user" <<<"$OUT" || echo "$OUT"
check "database swapped during the fetch: the other user's database is untouched" \
	[ "$(digest "$W/victim-db")" = "$before" ]
check "database swapped during the fetch: the run says so among its problems" \
	grep -q "^problem: $home/.pki/nssdb: NSS database $home/.pki/nssdb left alone" <<<"$OUT"

# ---- the database directory swapped while NSS opens it: for another
# database root owns (one the path checks alone would accept), so only
# the check after the open, of the directory's identity, sees it ----
rm "$home/.pki/nssdb" && mv "$home/.pki/nssdb.orig" "$home/.pki/nssdb"
mkdir -p "$W/root-db"
certutil -N -d "sql:$W/root-db" --empty-password
before=$(digest "$W/root-db")
during_open "$home/.pki/nssdb" sh -c "mv '$home/.pki/nssdb' '$home/.pki/nssdb.orig' && ln -s '$W/root-db' '$home/.pki/nssdb'"
check "database swapped while NSS opened it: refused, naming the path and the fix" \
	grep -q "^problem: $home/.pki/nssdb: NSS database $home/.pki/nssdb left alone: the directory was replaced by another one while uccx-trust opened it; make sure no other user can write to any directory on its path (chmod go-w), then run again" <<<"$OUT"
check "database swapped while NSS opened it: the other database is untouched" \
	[ "$(digest "$W/root-db")" = "$before" ]

# ---- the same home, its directories put right: installs ----
rm "$home/.pki/nssdb" && mv "$home/.pki/nssdb.orig" "$home/.pki/nssdb"
run_agent install
check "a home whose paths are its own: install exits 0" [ "$RC" -eq 0 ] || echo "$OUT"
check "a home whose paths are its own: Chromium's database got our certificates" \
	[ "$(nss_count_ours "$home/.pki/nssdb")" -gt 0 ]
[ "$T_FAIL" -eq 0 ] || echo "$OUT"
finish
