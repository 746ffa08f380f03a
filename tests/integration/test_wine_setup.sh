#!/usr/bin/env bash
# test_wine_setup.sh: what the installer's helper (uccx-trust-setup.exe)
# registers, under Wine, installed in a directory whose name holds spaces and
# '&': the two Task Scheduler XML files (UTF-16 with BOM; triggers, settings,
# conditions, principal, command line and its escaping), the schtasks
# commands it runs, and the logon task's command line run as written, which
# must take user scope (Firefox exceptions) although Wine's user is an
# administrator. Uninstall deletes the tasks and their files. (Wine's task
# service keeps no triggers: docs/windows.md has the check for a real PC.)
. "$(dirname "$0")/lib.sh"

W_TIMEOUT=300 W_ERR=/dev/null
. "$(dirname "$0")/wine_lib.sh"
SETUP=$WIN/installer/win32/uccx-trust-setup.exe
wine_require "$EXE" "$SETUP"

check "a fresh Wine prefix starts (wineboot -i)" eval 'timeout 180 wine wineboot -i >/dev/null 2>&1'
# In a fresh prefix Wine's task service does not start on demand (error
# 1055, the service database is locked while wineboot finishes); Windows
# runs it always. Started here, retried for at most 60 s.
start_schedule() {
	local i
	for i in $(seq 30); do
		timeout 60 wine net start schedule >/dev/null 2>&1 && return 0
		sleep 2
	done
	return 1
}
check "Wine's task service starts" start_schedule
C=$WINEPREFIX/drive_c
WDIR='C:\Program Files\uccx trust & co'
DIR="$C/Program Files/uccx trust & co"
PD=$C/ProgramData/uccx-trust
mkdir -p "$DIR"
cp "$WIN/uccx-trust.exe" "$SETUP" "$DIR/"

# ---- install: agent.ini, the agent once, the two tasks from XML -------------------
rc=0
w "$DIR/uccx-trust-setup.exe" install --nodes=uccx1.lab.example >/dev/null || rc=$?
check "setup install exits 0" [ "$rc" -eq 0 ]
log=$(tr -d '\r' <"$PD/setup.log" 2>/dev/null || true)
check "the tasks of earlier versions are deleted (schtasks /Delete machine-startup, machine-daily)" \
	eval 'grep -q "schtasks /Delete uccx-trust.machine-startup: exit code" <<<"$log" &&
	      grep -q "schtasks /Delete uccx-trust.machine-daily: exit code" <<<"$log"'
check "schtasks /Create /XML registers uccx-trust\\machine (exit code 0)" \
	grep -q 'schtasks /Create uccx-trust.machine: exit code 0' <<<"$log"
check "schtasks /Create /XML registers uccx-trust\\user-logon (exit code 0)" \
	grep -q 'schtasks /Create uccx-trust.user-logon: exit code 0' <<<"$log"
check "Wine's task service stored both tasks" \
	eval '[ -f "$C/windows/system32/tasks/uccx-trust/machine" ] && [ -f "$C/windows/system32/tasks/uccx-trust/user-logon" ]'
# Wine's task service parses the XML it is given and keeps the settings
# (not the triggers): the element names and values are read as intended.
for t in machine user-logon; do
	check "$t: Wine read StartWhenAvailable and RunOnlyIfNetworkAvailable as true" \
		eval 'grep -q "<StartWhenAvailable>true<" "$C/windows/system32/tasks/uccx-trust/$t" &&
		      grep -q "<RunOnlyIfNetworkAvailable>true<" "$C/windows/system32/tasks/uccx-trust/$t"'
done

# taskxml FILE: the facts of one task XML, one per line, from Python's parser.
taskxml() {
	python3 - "$1" <<'EOF'
import sys, xml.etree.ElementTree as ET
raw = open(sys.argv[1], 'rb').read()
print('bom', raw[:2].hex())
print('decl', raw[2:].decode('utf-16-le').split('?>')[0] + '?>')
print('crlf', raw.decode('utf-16').count('\r\n') == raw.decode('utf-16').count('\n'))
ns = {'t': 'http://schemas.microsoft.com/windows/2004/02/mit/task'}
root = ET.fromstring(raw)
print('task', root.tag, root.get('version'))
for trig in root.find('t:Triggers', ns):
    print('trigger', trig.tag.split('}')[1], ' '.join(
        '%s=%s' % (e.tag.split('}')[1], (e.text or '').strip()) for e in trig.iter() if e is not trig))
for e in root.find('t:Settings', ns):
    print('setting', e.tag.split('}')[1], e.text)
p = root.find('t:Principals/t:Principal', ns)
print('principal', p.get('id'), ' '.join('%s=%s' % (e.tag.split('}')[1], e.text) for e in p))
a = root.find('t:Actions', ns)
print('context', a.get('Context'))
print('command', a.find('t:Exec/t:Command', ns).text)
print('arguments', a.find('t:Exec/t:Arguments', ns).text)
EOF
}
M=$(taskxml "$PD/tasks/machine.xml" 2>&1 || true)
U=$(taskxml "$PD/tasks/user-logon.xml" 2>&1 || true)
has() { grep -qxF -- "$2" <<<"$1" || { echo "# missing: $2"; sed 's/^/#   /' <<<"$1"; return 1; }; }
for x in M U; do
	check "$x: UTF-16 LE with its byte order mark and an encoding=\"UTF-16\" declaration" \
		eval 'has "${!x}" "bom fffe" && has "${!x}" "decl <?xml version=\"1.0\" encoding=\"UTF-16\"?>"'
	check "$x: CRLF line ends, a Task of schema version 1.2" \
		eval 'has "${!x}" "crlf True" &&
		      has "${!x}" "task {http://schemas.microsoft.com/windows/2004/02/mit/task}Task 1.2"'
	check "$x: run when missed, only with a network, one at a time, at most 30 minutes" \
		eval 'has "${!x}" "setting StartWhenAvailable true" &&
		      has "${!x}" "setting RunOnlyIfNetworkAvailable true" &&
		      has "${!x}" "setting MultipleInstancesPolicy IgnoreNew" &&
		      has "${!x}" "setting ExecutionTimeLimit PT30M"'
	check "$x: also on battery" eval 'has "${!x}" "setting DisallowStartIfOnBatteries false"'
done
check "machine: at start-up (2 min later) and daily at 09:00" \
	eval 'has "$M" "trigger BootTrigger Enabled=true Delay=PT2M" &&
	      has "$M" "trigger CalendarTrigger StartBoundary=2024-01-01T09:00:00 Enabled=true RandomDelay=PT30M ScheduleByDay= DaysInterval=1" &&
	      [ "$(grep -c ^trigger <<<"$M")" -eq 2 ]'
check "machine: as SYSTEM, highest run level" \
	eval 'has "$M" "principal Author UserId=S-1-5-18 RunLevel=HighestAvailable" && has "$M" "context Author"'
check "machine: the agent, quoted (spaces), '&' escaped in the file, install --quiet" \
	eval 'has "$M" "command \"$WDIR\\uccx-trust.exe\"" && has "$M" "arguments install --quiet" &&
	      iconv -f UTF-16 -t UTF-8 "$PD/tasks/machine.xml" | grep -qF "uccx trust &amp; co"'
check "user-logon: at each user's logon (30 s later), for any user" \
	eval 'has "$U" "trigger LogonTrigger Enabled=true Delay=PT30S" && [ "$(grep -c ^trigger <<<"$U")" -eq 1 ]'
check "user-logon: as the user who logs on (Users group), least privilege" \
	eval 'has "$U" "principal Author GroupId=S-1-5-32-545 RunLevel=LeastPrivilege"'
check "user-logon: the windowless helper, quoted; the agent's arguments with --scope user" \
	eval 'has "$U" "command \"$WDIR\\uccx-trust-setup.exe\"" &&
	      has "$U" "arguments user-run install --quiet --browser firefox --scope user"'

# ---- the logon task's command line, run as written: user scope ------------------------
# A Firefox profile of the (administrator) Wine user, and the lab's
# CA:TRUE self-signed certificates, which Firefox takes only as exceptions:
# lines appear only when the run takes user scope.
lab=$T_WORK/lab
lab_start "$lab" selfsigned-ca
printf '[network]\r\nconnect_timeout = 3\r\ntimeout = 8\r\nconnect_to = %s\r\n' \
	"$(grep '^uccx1\.' "$lab/connect-to.txt" | paste -sd, | sed 's/,/, /g')" >>"$PD/agent.ini"
appdata=$(w cmd /c 'echo %APPDATA%' | tail -n1)
ffroot=$(winepath -u "$appdata\\Mozilla\\Firefox" 2>/dev/null)
P=$ffroot/Profiles/abcd1234.default-release
mkdir -p "$P"
printf '%s\r\n' '[Profile0]' 'Name=default-release' 'IsRelative=1' \
	'Path=Profiles/abcd1234.default-release' 'Default=1' '' '[General]' 'Version=2' >"$ffroot/profiles.ini"
cmd=$(sed -n 's/^command "\(.*\)"$/\1/p' <<<"$U")
read -r -a args <<<"$(sed -n 's/^arguments //p' <<<"$U")"
w "$cmd" "${args[@]}" >/dev/null || true
check "the logon task's command line: the user's Firefox profile gets the 5 exception lines of uccx1" \
	[ "$(grep -c '^uccx1\.lab\.example:[0-9]*:' "$P/cert_override.txt" 2>/dev/null)" = 5 ]
rm -f "$P/cert_override.txt"
w "$DIR/uccx-trust-setup.exe" user-run >/dev/null || true
check "user-run without arguments (an older logon entry) takes user scope too" \
	[ "$(grep -c '^uccx1\.lab\.example:[0-9]*:' "$P/cert_override.txt" 2>/dev/null)" = 5 ]
lab_stop "$lab"

# ---- uninstall: both tasks and their files go ------------------------------------------
w "$DIR/uccx-trust-setup.exe" uninstall --keep-certs=1 >/dev/null || true
log=$(tr -d '\r' <"$PD/setup.log" 2>/dev/null || true)
check "uninstall deletes both tasks with schtasks /Delete (exit code 0)" \
	eval 'grep -q "schtasks /Delete uccx-trust.machine: exit code 0" <<<"$log" &&
	      grep -q "schtasks /Delete uccx-trust.user-logon: exit code 0" <<<"$log"'
check "Wine's task service no longer holds them" \
	eval '[ ! -e "$C/windows/system32/tasks/uccx-trust/machine" ] && [ ! -e "$C/windows/system32/tasks/uccx-trust/user-logon" ]'
check "the task XML files are gone" [ ! -e "$PD/tasks" ]
finish
