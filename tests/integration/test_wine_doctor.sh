#!/usr/bin/env bash
# test_wine_doctor.sh: `uccx-trust doctor` on Windows, under Wine, sees what
# an administrator's policy or an old browser does to the installed trust:
# Chrome's and Edge's CAPlatformIntegrationEnabled = 0 (HKLM and HKCU),
# Firefox's ImportEnterpriseRoots forced off (registry and policies.json),
# a Firefox older than the exception format the agent writes, and a server
# name under a top-level domain preloaded as HTTPS-only. Each is one
# sentence with its fix; without them doctor says none of it. No server is
# contacted: every name is mapped to a closed port on loopback.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/wine_lib.sh"
wine_require "$EXE"

check "a fresh Wine prefix starts (wineboot -i)" eval 'timeout 180 wine wineboot -i >/dev/null 2>&1'

# doctor NODE [FLAG...]: OUT holds its output. Every endpoint of NODE goes to port 1 on
# loopback, refused at once.
doctor() {
	local node=$1 port args=()
	shift
	args=(--node "$node" --state-dir 'C:\uct-state' --connect-timeout 2 --timeout 4 "$@")
	for port in 443 7443 8445 8444 12015; do
		args+=(--connect-to "$node:$port:127.0.0.1:1")
	done
	set +e
	OUT=$(w "$EXE" doctor "${args[@]}")
	RC=$?
	set -e
}
has() { echo "$OUT" | grep -qF -- "$1"; }
notes() { echo "$OUT" | grep -c '^Note: ' || true; }

CHROME='HKLM\SOFTWARE\Policies\Google\Chrome'
EDGE='HKCU\SOFTWARE\Policies\Microsoft\Edge'
FFPOL='HKLM\SOFTWARE\Policies\Mozilla\Firefox\Certificates'
FF='HKLM\SOFTWARE\Mozilla\Mozilla Firefox'

# ---- a clean PC: nothing to say ---------------------------------------------------
doctor uccx1.corp.example
check "clean: doctor runs (exit 1: nothing reachable)" [ "$RC" -eq 1 ] || echo "$OUT"
check "clean: no Windows note" eval '! has "ignores the" && ! has "too old" && ! has "HSTS"' ||
	echo "$OUT"

# ---- Chrome (HKLM) and Edge (HKCU) ignore the Windows stores --------------------------
w reg add "$CHROME" /v CAPlatformIntegrationEnabled /t REG_DWORD /d 0 /f >/dev/null
w reg add "$EDGE" /v CAPlatformIntegrationEnabled /t REG_DWORD /d 0 /f >/dev/null
doctor uccx1.corp.example
check "policy: Chrome's CAPlatformIntegrationEnabled = 0 in HKLM is named with its fix" \
	eval 'has "Chrome ignores the certificates added to the Windows stores" &&
	      has "CAPlatformIntegrationEnabled is 0 in HKLM\\SOFTWARE\\Policies\\Google\\Chrome" &&
	      has "remove that policy or set it to 1"' || echo "$OUT"
check "policy: Edge's in HKCU is named too" \
	eval 'has "Edge ignores the certificates" &&
	      has "is 0 in HKCU\\SOFTWARE\\Policies\\Microsoft\\Edge"' || echo "$OUT"
doctor uccx1.corp.example --json
check "policy: doctor --json lists it among the actions" \
	eval 'echo "$OUT" | sed -n "/^{/,\$p" | python3 -c "
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if any(\"CAPlatformIntegrationEnabled is 0\" in a for a in d[\"actions\"]) else 1)"' ||
	echo "$OUT"
w reg add "$CHROME" /v CAPlatformIntegrationEnabled /t REG_DWORD /d 1 /f >/dev/null
w reg delete "$EDGE" /v CAPlatformIntegrationEnabled /f >/dev/null
doctor uccx1.corp.example
check "policy: set to 1 or gone, nothing is said" eval '! has "ignores the certificates"' ||
	echo "$OUT"

# ---- Firefox: enterprise roots forced off, by registry and by policies.json --------
w reg add "$FFPOL" /v ImportEnterpriseRoots /t REG_DWORD /d 0 /f >/dev/null
mkdir -p "$WINEPREFIX/drive_c/ff/distribution"
printf '{\n  "policies": {\n    "Certificates": {\n      "ImportEnterpriseRoots" :\tfalse\n    }\n  }\n}\n' \
	>"$WINEPREFIX/drive_c/ff/distribution/policies.json"
w reg add "$FF" /v CurrentVersion /t REG_SZ /d '102.0 (x64 en-US)' /f >/dev/null
w reg add "$FF\\102.0 (x64 en-US)\\Main" /v 'Install Directory' /t REG_SZ /d 'C:\ff' /f >/dev/null
doctor uccx1.corp.example
check "firefox: ImportEnterpriseRoots = 0 in the registry is named with its fix" \
	eval 'has "Firefox ignores the Windows Root store" &&
	      has "ImportEnterpriseRoots is 0 in HKLM\\SOFTWARE\\Policies\\Mozilla\\Firefox\\Certificates" &&
	      has "set it to 1 or remove it"' || echo "$OUT"
check "firefox: policies.json forcing it off is named with its path" \
	eval 'has "distribution\\policies.json sets Certificates.ImportEnterpriseRoots to false"' ||
	echo "$OUT"
check "firefox: 102 is too old for the exception lines, and the fix is said" \
	eval 'has "Firefox 102.0 (x64 en-US) is too old for the exceptions uccx-trust writes" &&
	      has "update Firefox"' || echo "$OUT"
w reg delete "$FFPOL" /v ImportEnterpriseRoots /f >/dev/null
printf '{"policies": {"Certificates": {"ImportEnterpriseRoots": true}}}\n' \
	>"$WINEPREFIX/drive_c/ff/distribution/policies.json"
w reg add "$FF" /v CurrentVersion /t REG_SZ /d '128.5.0 (x64 en-US)' /f >/dev/null
w reg add "$FF\\128.5.0 (x64 en-US)\\Main" /v 'Install Directory' /t REG_SZ /d 'C:\ff' /f >/dev/null
doctor uccx1.corp.example
check "firefox: roots on and Firefox 128: nothing is said" \
	eval '! has "Firefox ignores" && ! has "too old"' || echo "$OUT"

# ---- a server name where Firefox takes no exception --------------------------------
doctor uccx1.corp.dev
check "hsts: a name under .dev is named, with the way out" \
	eval 'has "uccx1.corp.dev is under .dev, which browsers preload as HTTPS-only (HSTS)" &&
	      has "Approve the CA (--ca-file or a pin)"' || echo "$OUT"
check "hsts: said once, not once per endpoint" \
	[ "$(echo "$OUT" | grep -c 'is under .dev')" -eq 1 ]

# ---- the verdict follows the policy: trusted by the stores, not by Chrome --------
lab=$T_WORK/lab
lab_start "$lab" selfsigned
A=(--node uccx1.lab.example --node uccx2.lab.example --socialminer socialminer.lab.example
   --state-dir 'C:\uct-state-lab' --connect-timeout 3 --timeout 8)
while read -r line; do A+=(--connect-to "$line"); done <"$lab/connect-to.txt"
lrun() { set +e; OUT=$(w "$EXE" "$@" "${A[@]}"); RC=$?; set -e; }
verdicts() {
	sed -n '/^{/,$p' | python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
for e in d["endpoints"]:
    for g in e.get("browsers") or e.get("groups") or e.get("profiles") or []:
        if g.get("browser") == "system":
            print(g.get("verdict"), g.get("code") or "-")
'
}
lrun install
check "verdict: install on the self-signed lab exits 0" [ "$RC" -eq 0 ] || echo "$OUT"
w reg add "$CHROME" /v CAPlatformIntegrationEnabled /t REG_DWORD /d 0 /f >/dev/null
lrun check --json
V=$(echo "$OUT" | verdicts)
check "verdict: with Chrome's policy at 0, no endpoint is reported trusted for Windows" \
	eval '[ -n "$V" ] && ! (echo "$V" | grep -q "^trusted")' || echo "$V"
check "verdict: the code names the policy" \
	eval '[ "$(echo "$V" | grep -vc "CA_PLATFORM_INTEGRATION_DISABLED")" -eq 0 ]' || echo "$V"
check "verdict: check says work is needed (exit 1)" [ "$RC" -eq 1 ]
w reg add "$CHROME" /v CAPlatformIntegrationEnabled /t REG_DWORD /d 1 /f >/dev/null
lrun check --json
V=$(echo "$OUT" | verdicts)
check "verdict: with the policy at 1, every endpoint is trusted again (exit 0)" \
	eval '[ "$RC" -eq 0 ] && [ -n "$V" ] && [ "$(echo "$V" | grep -vc "^trusted")" -eq 0 ]' ||
	echo "$V"
lrun remove
lab_stop "$lab"

finish
