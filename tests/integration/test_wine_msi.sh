#!/usr/bin/env bash
# test_wine_msi.sh: the MSI (wixl) under Wine: a silent install with the
# documented properties writes agent.ini and the detection value, registers
# the scheduled tasks from XML (no Run value), runs the agent once;
# uninstall takes out the agent's trust, its files and tasks, or keeps the
# trust with KEEP_CERTS=1; a bad property fails the install.
. "$(dirname "$0")/lib.sh"

W_TIMEOUT=300
. "$(dirname "$0")/wine_lib.sh"
MSI=$WIN/installer/win32/uccx-trust.msi
wine_require "$MSI"
msi() { # msi ARGS...: sets RC
	set +e
	w msiexec "$@" /qn /l*v "C:\\msi.log" >/dev/null
	RC=$?
	set -e
}
C=$WINEPREFIX/drive_c
PF="$C/Program Files/uccx-trust"
PD=$C/ProgramData/uccx-trust
listed() { w "$WIN/uct-wincheck.exe" list; }
regq() { w reg query "$@" 2>/dev/null; }

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
cp "$MSI" "$C/uccx-trust.msi"
lab=$T_WORK/lab
lab_start "$lab" selfsigned
A=(--connect-timeout 3 --timeout 8)
while read -r line; do A+=(--connect-to "$line"); done <"$lab/connect-to.txt"

# ---- silent install with the properties ----------------------------------------
msi /i 'C:\uccx-trust.msi' NODES="uccx1.lab.example uccx2.lab.example" \
	SOCIALMINER=socialminer.lab.example COLLECTOR_URL=https://collector.lab.example/api/v1/reports
check "msiexec /i /qn exits 0" [ "$RC" -eq 0 ]
check "the agent and the helper are in Program Files\\uccx-trust" \
	[ -f "$PF/uccx-trust.exe" ] && [ -f "$PF/uccx-trust-setup.exe" ] && [ -f "$PF/agent.ini.example" ]
ini=$(tr -d '\r' <"$PD/agent.ini" 2>/dev/null || true)
check "agent.ini: nodes from NODES, comma-separated" grep -qx 'nodes = uccx1.lab.example, uccx2.lab.example' <<<"$ini"
check "agent.ini: socialminer from SOCIALMINER" grep -qx 'socialminer = socialminer.lab.example' <<<"$ini"
check "agent.ini: [report] url from COLLECTOR_URL" \
	eval 'sed -n "/^\[report\]/,\$p" <<<"$ini" | grep -qx "url = https://collector.lab.example/api/v1/reports"'
check "agent.ini: keep_on_uninstall = no without KEEP_CERTS" grep -qx 'keep_on_uninstall = no' <<<"$ini"
check "the agent reads the written agent.ini (check exits 1: the lab names do not resolve, not 2)" \
	eval 'w "$PF/uccx-trust.exe" check --connect-timeout 2 --timeout 4 >/dev/null; [ $? -eq 1 ]'
check "the detection value HKLM\\Software\\uccx-trust Version is set" \
	eval 'regq "HKLM\\Software\\uccx-trust" /v Version | grep -q "REG_SZ.*0\.[0-9]"'
check "each user's logon run is a task, not an HKLM Run value" \
	eval '! regq "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run" /v uccx-trust >/dev/null'
log=$(tr -d '\r' <"$PD/setup.log" 2>/dev/null || true)
check "the install ran the agent once (machine stores, --quiet)" grep -q 'uccx-trust.exe install --quiet: exit code [0-9]' <<<"$log"
# The XML's content is test_wine_setup.sh's; docs/windows.md has the check
# for a real PC.
check "the install registered the machine and logon tasks from XML (schtasks exit 0)" \
	eval 'grep -q "schtasks /Create uccx-trust.machine: exit code 0" <<<"$log" &&
	      grep -q "schtasks /Create uccx-trust.user-logon: exit code 0" <<<"$log" &&
	      [ -f "$PD/tasks/machine.xml" ] && [ -f "$PD/tasks/user-logon.xml" ]'

# The installed agent, pointed at the lab, installs into LocalMachine\Root with
# the default (machine) state: what uninstall must take out.
set +e
w "$PF/uccx-trust.exe" install "${A[@]}" >"$T_WORK/install.out"
rc=$?
set -e
check "the installed agent installs the lab's certificates (exit $rc)" [ "$rc" -eq 0 ]
check "5 certificates of ours in Root before uninstall" [ "$(listed | grep -c '^Root')" -eq 5 ]

# ---- uninstall: trust, files, registry, tasks --------------------------------------
msi /x 'C:\uccx-trust.msi'
check "msiexec /x /qn exits 0" [ "$RC" -eq 0 ]
check "uninstall took out every certificate of ours" [ -z "$(listed)" ]
check "the program files are gone" [ ! -e "$PF/uccx-trust.exe" ]
check "%ProgramData%\\uccx-trust (agent.ini, state) is gone" [ ! -e "$PD" ]
check "the detection value is gone" eval '! regq "HKLM\\Software\\uccx-trust" /v Version >/dev/null'
check "the scheduled tasks are gone" \
	eval '[ ! -e "$C/windows/system32/tasks/uccx-trust/machine" ] && [ ! -e "$C/windows/system32/tasks/uccx-trust/user-logon" ]'

# ---- KEEP_CERTS=1: the trust stays -----------------------------------------------
msi /i 'C:\uccx-trust.msi' NODES=uccx1.lab.example KEEP_CERTS=1
check "install with KEEP_CERTS=1 exits 0" [ "$RC" -eq 0 ]
check "agent.ini: keep_on_uninstall = yes" grep -qx 'keep_on_uninstall = yes' <(tr -d '\r' <"$PD/agent.ini")
w "$PF/uccx-trust.exe" install "${A[@]}" --node uccx2.lab.example --socialminer socialminer.lab.example >/dev/null || true
n=$(listed | grep -c '^Root' || true)
msi /x 'C:\uccx-trust.msi'
check "uninstall exits 0" [ "$RC" -eq 0 ]
check "KEEP_CERTS=1: the $n certificates stay after uninstall" eval '[ "$n" -gt 0 ] && [ "$(listed | grep -c "^Root")" -eq "$n" ]'
check "KEEP_CERTS=1: the program files are gone all the same" [ ! -e "$PF/uccx-trust.exe" ]
check "KEEP_CERTS=1: the record of what was installed stays" [ -d "$PD" ]
w "$WIN/uccx-trust.exe" remove --quiet >/dev/null || true
check "the agent (from the build) can still take the kept trust out" [ -z "$(listed)" ]

# ---- TRUST_URL and TRUST_KEY: the collector trust mode --------------------------
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl ec -pubout -out "$C/trust.pub" 2>/dev/null
msi /i 'C:\uccx-trust.msi' NODES=uccx1.lab.example TRUST_URL=https://collector.lab.example/api/v1/trust \
	'TRUST_KEY=C:\trust.pub'
check "install with TRUST_URL and TRUST_KEY exits 0" [ "$RC" -eq 0 ]
ini=$(tr -d '\r' <"$PD/agent.ini" 2>/dev/null || true)
check "agent.ini: [trust] mode = collector with url from TRUST_URL" \
	eval 'sed -n "/^\[trust\]/,/^\[/p" <<<"$ini" | grep -qx "mode = collector" &&
		sed -n "/^\[trust\]/,/^\[/p" <<<"$ini" | grep -qx "url = https://collector.lab.example/api/v1/trust"'
check "agent.ini: key_file is TRUST_KEY's copy next to it, the same key" \
	eval 'grep -qx "key_file = C:\\\\ProgramData\\\\uccx-trust\\\\trust.pub" <<<"$ini" &&
		cmp -s "$C/trust.pub" "$PD/trust.pub"'
check "the agent reads it in collector mode (check exits 1, not 2)" \
	eval 'w "$PF/uccx-trust.exe" check --connect-timeout 2 --timeout 4 >/dev/null; [ $? -eq 1 ]'
msi /x 'C:\uccx-trust.msi'
check "uninstall after the collector trust mode exits 0" [ "$RC" -eq 0 ]
rm -rf "$PD"
openssl ecparam -name secp384r1 -genkey -noout 2>/dev/null | openssl ec -pubout -out "$C/p384.pub" 2>/dev/null
msi /i 'C:\uccx-trust.msi' NODES=uccx1.lab.example TRUST_URL=https://collector.lab.example/api/v1/trust \
	'TRUST_KEY=C:\p384.pub'
check "TRUST_KEY not a P-256 key: msiexec fails (exit $RC), no agent.ini, the reason logged" \
	eval '[ "$RC" -ne 0 ] && [ ! -e "$PD/agent.ini" ] &&
		grep -q "is not an ECDSA P-256 public key" <(tr -d "\r" <"$PD/setup.log")'
rm -rf "$PD"

# ---- a bad property fails the install and leaves nothing --------------------------
rm -rf "$PD"
msi /i 'C:\uccx-trust.msi' NODES="uccx1.lab.example bad;host!"
# Windows answers 1603; Wine's msiexec 1627 (seen as 91, its low byte),
# and logs the failed deferred action as "Return value 0".
check "NODES with a bad name: msiexec fails (exit $RC)" [ "$RC" -ne 0 ]
check "NODES with a bad name: the custom action failed the install" \
	grep -aq 'UctSetupInstall. Return value 0' "$C/msi.log"
check "NODES with a bad name: no program files left" [ ! -e "$PF/uccx-trust.exe" ]
check "NODES with a bad name: no agent.ini written" [ ! -e "$PD/agent.ini" ]
lab_stop "$lab"
finish
