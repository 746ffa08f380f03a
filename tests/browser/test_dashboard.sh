#!/usr/bin/env bash
# test_dashboard.sh: the collector's dashboard in headless Chromium. A lab
# fleet (the agent's own --json reports from several PCs: trusted ones, one
# never installed, one behind a different certificate on one port) is posted
# to a real collector; the page is opened, given the admin token through its
# form, and must show the fleet. Then, by mouse clicks: the certificate most
# PCs see at that port is approved with a note, the one a single PC sees
# brings the man-in-the-middle warning (dismissed, then accepted) and is
# revoked; the API, the approvals table and the audit log must agree, the
# collector's probe (looking at the real servers, lab A) marks the
# certificate it sees, and an agent's token is refused with the reason
# shown. Saves build/artifacts/dashboard.png.
set -euo pipefail

main() {
	local here
	here=$(cd "$(dirname "$0")" && pwd)
	if [ "$(id -u)" -ne 0 ]; then
		echo "skipped: the browser suite runs as root (as CI does)"
		exit 77
	fi
	source "$here/../integration/lib.sh"
	for tool in /usr/bin/python3 chromium; do
		if ! command -v "$tool" >/dev/null; then
			not_ok "$tool is missing (tools/dev.sh deps installs it)"
			finish
			return 1
		fi
	done
	local W=$T_WORK COL=$BUILD/uccx-trust-collector port= i
	# Global: the EXIT trap runs after main has returned.
	COL_PID=
	trap 'if [ -n "${COL_PID:-}" ]; then kill "$COL_PID" 2>/dev/null || true; wait "$COL_PID" 2>/dev/null || true; fi; cleanup' EXIT
	head -c 24 /dev/urandom | base64 >"$W/agent.tok"
	head -c 24 /dev/urandom | base64 >"$W/admin.tok"

	# ---- the fleet: real agent runs against the lab ----
	lab_start "$W/labA" mixed
	# Lab B: another key for uccx1:8445 only (a proxy in the middle, or a
	# renewal half rolled out), expiring in 20 days.
	lab_start "$W/labB" selfsigned --days-left 20
	run() { # run NAME CMD HOME [labB-for-8445]: the agent's --json into NAME.json
		local name=$1 cmd=$2 home=$3 line args
		args=(--node uccx1.lab.example --node uccx2.lab.example --socialminer socialminer.lab.example
			--home "$home" --state-dir "$home/state" --connect-timeout 2 --timeout 5)
		mkdir -p "$home"
		if [ -n "${4:-}" ]; then
			args+=(--connect-to "$(grep '^uccx1.lab.example:8445:' "$W/labB/connect-to.txt")")
		fi
		while read -r line; do args+=(--connect-to "$line"); done <"$W/labA/connect-to.txt"
		"$AGENT" "$cmd" --json "${args[@]}" >"$W/$name.json" 2>/dev/null || true
	}
	new_home "$W/h-ok"
	run install install "$W/h-ok"
	run ok check "$W/h-ok"
	new_home "$W/h-new"
	run never check "$W/h-new"
	run mitm check "$W/h-ok" labB
	check "the agent wrote JSON reports" python3 -c "
import json, sys
for n in ('ok', 'never', 'mitm'):
    json.load(open('$W/' + n + '.json'))"

	# report_id as the spool adds it; one host name per PC.
	# A host name that is markup (the collector refuses control and
	# bidirectional characters in names, not markup).
	local hostile='<img src=x onerror="document.title=1">evil-pc.corp.example'
	python3 - "$W" "$hostile" <<'PY'
import json, sys, uuid
w = sys.argv[1]
HOSTILE = sys.argv[2]
fleet = [("ok", "agent-pc-01.corp.example"), ("ok", "agent-pc-02.corp.example"),
         ("ok", "supervisor-pc-01.corp.example"), ("ok", "agent-pc-03.corp.example"),
         ("never", "agent-pc-17.corp.example"), ("mitm", "branch-pc-04.corp.example"),
         ("ok", HOSTILE)]
for i, (src, host) in enumerate(fleet):
    d = json.load(open("%s/%s.json" % (w, src)))
    d["report_id"] = str(uuid.uuid4())
    d["host_name"] = host
    if host == HOSTILE:
        # What a hostile server can put in the text of a report: markup, a
        # right-to-left override, a terminal escape, a line separator.
        d["endpoints"][0]["reason"] = "CN=\u202eevil\u001b[31m\u2028<script>document.title='pwned'</script>"
    json.dump(d, open("%s/post-%d.json" % (w, i), "w"), ensure_ascii=False)
PY

	# ---- the collector ----
	# Its probe looks at lab A, as the servers really are.
	local probe=(--probe-node uccx1.lab.example --probe-node uccx2.lab.example
		     --probe-socialminer socialminer.lab.example --probe-interval-seconds 1)
	while read -r i; do probe+=(--probe-connect-to "$i"); done <"$W/labA/connect-to.txt"
	"$COL" --listen 127.0.0.1:0 --db "$W/col.db" --agent-token-file "$W/agent.tok" \
		--admin-token-file "$W/admin.tok" "${probe[@]}" 2>"$W/col.log" &
	COL_PID=$!
	for i in $(seq 100); do
		port=$(sed -n 's/.*listening on http:\/\/[^ ]*:\([0-9]*\),.*/\1/p' "$W/col.log")
		[ -n "$port" ] && break
		sleep 0.05
	done
	check "the collector listens" test -n "$port"
	local url=http://127.0.0.1:$port posted=0
	for i in 0 1 2 3 4 5 6; do
		code=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' \
			-H "Authorization: Bearer $(cat "$W/agent.tok")" -H 'Content-Type: application/json' \
			--data-binary @"$W/post-$i.json" "$url/api/v1/reports" 2>/dev/null || true)
		[ "$code" = 202 ] && posted=$((posted + 1))
	done
	check "seven reports accepted" test "$posted" -eq 7

	# The two certificates of uccx1:8445 as the API counts them: six PCs
	# see lab A's, one (behind lab B) another.
	local ep=https://uccx1.lab.example:8445/ fps major minor
	fps=$(curl -sS --max-time 20 -H "Authorization: Bearer $(cat "$W/admin.tok")" \
		"$url/api/v1/endpoints?limit=500" | python3 -c '
import json, sys
e = [e for e in json.load(sys.stdin)["endpoints"] if e["url"] == sys.argv[1]][0]
f = sorted(e["fingerprints"], key=lambda f: -f["hosts"])
print(f[0]["sha256"], f[1]["sha256"], f[0]["hosts"], f[1]["hosts"])' "$ep")
	read -r major minor n_major n_minor <<<"$fps"
	# The probe's first round: what it sees at that endpoint is marked.
	for i in $(seq 100); do
		curl -sS --max-time 20 -H "Authorization: Bearer $(cat "$W/admin.tok")" \
			"$url/api/v1/endpoints?limit=500" | python3 -c '
import json, sys
e = [e for e in json.load(sys.stdin)["endpoints"] if e["url"] == sys.argv[1]][0]
sys.exit(0 if any(f.get("probe_seen") for f in e["fingerprints"]) else 1)' "$ep" && break
		sleep 0.1
	done
	check "the API: uccx1:8445 seen by 6 PCs with one certificate, 1 with another" \
		test "$n_major:$n_minor" = 6:1
	# A note as hostile as a person can type: markup and an override.
	local note=$'<img src=x onerror="document.title=\'note\'"> change 4711 \u202e'

	# ---- the browser ----
	mkdir -p "$BUILD/artifacts"
	local png=$BUILD/artifacts/dashboard.png
	rm -f "$png"
	timeout 180 python3 "$here/dashboard_check.py" --url "$url/" --token-file "$W/admin.tok" \
		--work "$W/browser" --png "$png" --open-host "$hostile" --approve-url "$ep" \
		--majority "$major" --minority "$minor" --note "$note" --agent-token-file "$W/agent.tok" \
		>"$W/page.json" 2>"$W/page.err" || true
	py() { HOSTILE=$hostile MAJ=$major MIN=$minor EP=$ep NOTE=$note python3 -c "import json,os,sys; r=json.load(open('$W/page.json')); p=r.get('page') or {}; d=r.get('detail') or {}; fl=r.get('flow') or {}; H=os.environ['HOSTILE']; MAJ=os.environ['MAJ']; MIN=os.environ['MIN']; EP=os.environ['EP']; NOTE=os.environ['NOTE']; ESC=NOTE.replace(chr(0x202e), chr(92) + 'u202e'); HP='uccx1.lab.example:8445'; sys.exit(0 if ($1) else 1)" 2>/dev/null; }
	check "Chromium ran the page without a driver error" py "'error' not in r and r.get('browser')"
	check "the page asks for the admin token first" py "r.get('asked_for_token')"
	check "after typing the token the fleet loads" py "r.get('loaded') and p['app_visible'] and not p['login_visible']"
	check "the token is kept in sessionStorage" py "p['token_in_storage']"
	check "the cards count 7 hosts, 2 with problems, 13 endpoints, 2 with several fingerprints, 15 certificates not approved" \
		py "p['cards'] == ['7', '2', '13', '2', '15']"
	check "every host is listed, the markup one as text" py "sorted(h[0] for h in p['hosts']) == sorted(['agent-pc-01.corp.example', 'agent-pc-02.corp.example', 'supervisor-pc-01.corp.example', 'agent-pc-03.corp.example', 'agent-pc-17.corp.example', 'branch-pc-04.corp.example', H])"
	check "no markup from a report became an element or ran" \
		py "p['injected'] == 0 and d.get('injected') == 0 and p['title'] == d.get('page_title') == 'uccx-trust collector'"
	check "the drill-down shows the name as text and the reason's override and escapes as \\uXXXX" \
		py "d['title'].startswith(H) and any(r[2] == 'CN=\\\\u202eevil\\\\u001b[31m\\\\u2028<script>document.title=\\'pwned\\'</script>' for r in d['rows'])"
	check "no override, escape or line separator reaches the page's text" \
		py "not any(c in json.dumps([p, d], ensure_ascii=False) for c in '\\u202e\\u001b\\u2028')"
	check "the problem hosts come first, marked problem" \
		py "{h[0] for h in p['hosts'][:2]} == {'agent-pc-17.corp.example', 'branch-pc-04.corp.example'} and all(h[1] == 'problem' for h in p['hosts'][:2]) and all(h[1] == 'trusted' for h in p['hosts'][2:])"
	check "the never-installed host shows 13 of 13 endpoints not trusted" \
		py "any(h[0] == 'agent-pc-17.corp.example' and h[2] == '13 / 13' for h in p['hosts'])"
	check "the endpoints seen with two certificates are flagged, first, a row per certificate" \
		py "[e[0] for e in p['endpoints'][:2]] == [EP, EP + 'cfadmin'] and all('man in the middle' in e[1] and e[2] == 2 for e in p['endpoints'][:2])"
	check "no other endpoint is flagged" py "all(e[1] == '' for e in p['endpoints'][2:]) and len(p['endpoints']) == 13"
	check "each certificate: how many of the PCs see it, not approved, an Approve button" \
		py "[(f['sha256'], f['pcs'], f['pcs_warn'], f['status'], f['buttons']) for f in p['fps'] if f['url'] == EP] == [(MAJ, '6 of 7 PCs', False, 'not approved', ['Approve']), (MIN, '1 of 7 PCs', True, 'not approved', ['Approve'])]"
	check "the probe's view: it sees the certificate most PCs see, not the one a single PC sees" \
		py "[(f['sha256'], f['probe']) for f in p['fps'] if f['url'] == EP] == [(MAJ, 'probe sees it'), (MIN, 'probe does not')]"
	check "nothing approved yet: the approvals table and the audit log say so" \
		py "p['approvals_active'] == 0 and 'Nothing approved yet.' in p['approvals'][0] and 'No approval given or revoked yet.' in p['audit'][0]"

	# ---- approving and revoking, by clicks ----
	check "Approve on the certificate most PCs see asks, without a warning" \
		py "fl['major_modal']['visible'] and fl['major_modal']['warning'] == '' and fl['major_modal']['ok'] == 'Approve' and MAJ in fl['major_modal']['body'] and '6 of 7 PCs' in fl['major_modal']['body']"
	check "the approval is in the table: HOST:PORT, the certificate, the note as text, who, active" \
		py "fl['major_done'] and [c[1:5] + [c[6]] for c in fl['after_major']['approvals']] == [[HP, MAJ, ESC, 'token 1', 'active']]"
	check "and in the audit log" \
		py "[c[1:] for c in fl['after_major']['audit']] == [['approve', fl['after_major']['approvals'][0][0], 'token 1', HP, ESC]]"
	check "the certificate shows approved at both paths of the port, with a Revoke button" \
		py "[(f['url'], f['status'].startswith('approved: #'), f['buttons'][1:]) for f in fl['after_major']['fps'] if f['sha256'] == MAJ and f['url'].startswith(EP)] == [(EP, True, ['Revoke ' + fl['after_major']['approvals'][0][0]]), (EP + 'cfadmin', True, ['Revoke ' + fl['after_major']['approvals'][0][0]])]"
	check "the other certificate stays not approved, its endpoint first" \
		py "[f['status'] for f in fl['after_major']['fps'] if f['sha256'] == MIN] == ['not approved'] * 2 and fl['after_major']['endpoints'][0][0] == EP"
	check "approving the same again shows the collector's refusal in the dialog" \
		py "'already says this' in fl['again_modal']['error']"
	check "Approve on the certificate one PC sees warns of a man in the middle first" \
		py "'Possible man in the middle' in fl['minor_modal']['warning'] and 'Only 1 of the 7 PCs at ' + HP in fl['minor_modal']['warning'] and fl['minor_modal']['ok'] == 'Approve anyway'"
	check "dismissing the warning approves nothing" \
		py "not fl['after_dismiss']['modal_visible'] and fl['after_dismiss']['approvals_active'] == 1 and len(fl['after_dismiss']['audit']) == 1"
	check "Enter in the note does not get past the warning" py "fl['enter_past_warning'] == [1, True]"
	check "accepting it approves the certificate for every port of the host" \
		py "fl['minor_done'] and fl['after_minor']['approvals'][0][1:4] == ['every port of uccx1.lab.example', MIN, 'renewal rolled out to one PC first']"
	check "Revoke asks, then the table shows it revoked and the log has approve, approve, revoke" \
		py "fl['revoke_done'] and fl['revoke_modal']['title'] == 'Revoke approval ' + fl['after_minor']['approvals'][0][0] and fl['after_revoke']['approvals'][0][6].startswith('revoked by token 1 at ') and [c[1] for c in fl['after_revoke']['audit']] == ['revoke', 'approve', 'approve']"
	check "after the revocation the certificate is not approved again, and the page says what it did" \
		py "[f['status'] for f in fl['after_revoke']['fps'] if f['sha256'] == MIN] == ['not approved'] * 2 and 'revoked' in fl['after_revoke']['msg']"
	check "no markup from a note became an element or ran" \
		py "fl['after_revoke']['injected'] == 0 and fl['after_revoke']['title'] == 'uccx-trust collector'"
	local approvals
	approvals=$(curl -sS --max-time 20 -H "Authorization: Bearer $(cat "$W/admin.tok")" "$url/api/v1/approvals")
	check "the API has what was clicked: the endpoint approval with its note, the host one revoked" \
		env NOTE="$note" MAJ="$major" MIN="$minor" python3 -c '
import json, os, sys
a = json.loads(sys.argv[1])["approvals"]
got = [(x["kind"], x.get("endpoint") or x.get("host"), x["sha256"], x["note"], x["active"]) for x in a]
assert got == [("host", "uccx1.lab.example", os.environ["MIN"], "renewal rolled out to one PC first", False),
               ("endpoint", "uccx1.lab.example:8445", os.environ["MAJ"], os.environ["NOTE"], True)], got' "$approvals"
	check "the probe's view is shown when the API has it: sees it, does not, nothing" \
		py "[(f['sha256'][:2], f['probe']) for f in r['synthetic']['fps']] == [('AA', 'probe sees it'), ('BB', 'probe does not'), ('CC', '')]"
	check "while no probe has seen anything, the probe column is left empty" \
		py "[f['probe'] for f in r['synthetic_noprobe']['fps']] == ['', '', '']"
	check "a markup endpoint URL is shown as text" \
		py "r['synthetic']['endpoints'][1][0].startswith('https://<img src=x') and r['synthetic']['injected'] == 0 and r['synthetic']['title'] == 'uccx-trust collector'"
	check "an agent token is refused with the collector's reason shown, and not kept" \
		py "'not an admin token' in fl['agent']['error'] and 'needs an admin token' in fl['agent']['error'] and fl['agent']['login_visible'] and not fl['agent']['app_visible'] and not fl['agent']['token_in_storage']"
	check "the expiry chart has a bar per certificate, the 20-day one first in orange" \
		py "p['chart_bars'] >= 4 and p['chart_colours'][0] == '#d97a00' and 'uccx1.lab.example:8445' in p['chart_labels'][0]"
	check "nothing overflows sideways at 1280 px" py "not p['overflow_x']"
	check "a PNG screenshot was saved in the build tree" \
		bash -c "test -s '$png' && head -c 8 '$png' | od -An -c | grep -q 'P   N   G'"
	if [ "$T_FAIL" -ne 0 ]; then
		cat "$W/page.json" "$W/page.err" >&2 || true
	fi
	finish
}

main "$@"
exit $?
