#!/usr/bin/env bash
# test_cli.sh: the command-line contract scripts rely on: --help, --version,
# one JSON document (schema 1) for check/install/remove/status, --quiet,
# status after install, remove without any node configured, and the exit
# codes (0 all trusted, 1 some not, 2 usage or configuration, 3 system).
. "$(dirname "$0")/lib.sh"

# cli ARGS...: runs the agent as given; sets RC, STDOUT and STDERR.
cli() {
	set +e
	STDOUT=$("$AGENT" "$@" 2>"$T_WORK/cli.err")
	RC=$?
	set -e
	STDERR=$(cat "$T_WORK/cli.err")
}
# one_json TEXT: TEXT is exactly one JSON document (nothing before or after).
one_json() { python3 -m json.tool <<<"$1" >/dev/null 2>&1; }

# ---- --help, --version, usage ----
for h in --help -h; do
	cli "$h"
	check "$h: exit 0, nothing on stderr" eval '[ "$RC" -eq 0 ] && [ -z "$STDERR" ]'
	for word in "  check " "  install " "  remove " "  status " "Exit codes:" \
		"  0  every endpoint is trusted" "  1  some endpoint is not trusted" \
		"  2  usage or configuration error" "  3  system error"; do
		check "$h mentions '$word'" grep -qF -- "$word" <<<"$STDOUT"
	done
done
for v in --version -V; do
	cli "$v"
	check "$v: exit 0, 'uccx-trust X.Y.Z (JSON schema 1)'" \
		eval '[ "$RC" -eq 0 ] && grep -qE "^uccx-trust [0-9]+\.[0-9]+\.[0-9]+ \(JSON schema 1\)$" <<<"$STDOUT"'
done
cli
check "no command: exit 2, says so, points at --help" \
	eval '[ "$RC" -eq 2 ] && grep -q "no command given" <<<"$STDERR" && grep -qF -- "--help" <<<"$STDERR"'
cli frobnicate
check "unknown command: exit 2, names it" eval '[ "$RC" -eq 2 ] && grep -q "unknown command '"'"'frobnicate'"'"'" <<<"$STDERR"'
cli check --home "$T_WORK/nohome" --state-dir "$T_WORK/nostate"
check "check without any node: exit 2, says what to give" \
	eval '[ "$RC" -eq 2 ] && grep -qF -- "--node FQDN" <<<"$STDERR"'

# ---- check, install, status, remove with --json on a fresh PC ----
lab=$T_WORK/lab
home=$T_WORK/home
state=$T_WORK/state
lab_start "$lab" selfsigned
new_home "$home"
prof=$(ff_profile "$home")
agent_args "$home" "$lab" "$state"

run_agent_json check
check "check --json: exit 1 on a fresh PC" [ "$RC" -eq 1 ]
check "check --json: one valid JSON document on stdout" one_json "$JSON"
check "check --json: nothing on stderr" [ -z "$ERR" ]
check "check --json: schema 1, agent, command, exit_code, no error" \
	[ "$(jq_py "$JSON" '[d["schema"], d["agent"], d["command"], d["exit_code"], d["error"], d["trust_mode"]]')" = "[1, 'uccx-trust', 'check', 1, None, 'tofu']" ]
check "check --json: the documented top-level fields" \
	[ "$(jq_py "$JSON" 'sorted(d)')" = "['actions', 'agent', 'changes', 'command', 'elapsed_ms', 'endpoints', 'error', 'exit_code', 'host_name', 'os', 'problems', 'schema', 'scope', 'stores', 'time', 'trust_mode', 'user', 'version']" ]
check "check --json: 13 endpoints" [ "$(jq_py "$JSON" 'len(d["endpoints"])')" -eq 13 ]
check "check --json: the endpoint names of a UCCX deployment" \
	[ "$(jq_py "$JSON" 'sorted(set(e["name"] for e in d["endpoints"]))')" = "['appadmin', 'cfadmin', 'cuic', 'finesse', 'livedata', 'notification', 'socialminer']" ]
check "check --json: every endpoint fetched, not-trusted, first-use" \
	[ "$(jq_py "$JSON" 'set((e["fetch"], e["verdict"], e["approval"]) for e in d["endpoints"])')" = "{('ok', 'not-trusted', 'first-use')}" ]
check "check --json: the leaf fingerprint of uccx1:8445 is the lab's" \
	[ "$(jq_py "$JSON" '[e["certificate"]["sha256"] for e in d["endpoints"] if e["url"] == "https://uccx1.lab.example:8445/"][0]')" = "$(lab_fp "$lab" uccx1.lab.example:8445)" ]
check "check --json: certificate fields (CN, SAN, key, CA flag)" \
	[ "$(jq_py "$JSON" '[d["endpoints"][0]["certificate"][k] for k in ("common_name", "san_dns", "key_algorithm", "key_strength", "ca", "self_signed")]')" = "['uccx1.lab.example', ['uccx1.lab.example'], 'rsa', 2048, False, True]" ]
check "check --json: 3 stores (Chromium, Firefox NSS, Firefox overrides)" \
	[ "$(jq_py "$JSON" 'sorted((s["browser"], s["kind"]) for s in d["stores"])')" = "[('chromium', 'nss'), ('firefox', 'ff-override'), ('firefox', 'nss')]" ]
check "check --json: 10 planned additions, trust 'peer'" \
	[ "$(jq_py "$JSON" 'set((c["action"], c["status"], c["trust"]) for c in d["changes"]), len(d["changes"])')" = "({('add', 'planned', 'peer')}, 10)" ]
check "check --json: nothing written (no Chromium db, no state)" \
	eval '[ ! -e "$home/.pki/nssdb" ] && [ ! -e "$state" ]'
run_agent check
check "check (text): lists what it would change" grep -q "^Would change:" <<<"$OUT"

run_agent_json install
check "install --json: exit 0" [ "$RC" -eq 0 ]
check "install --json: one valid JSON document" one_json "$JSON"
check "install --json: command install, exit_code 0" \
	[ "$(jq_py "$JSON" '[d["command"], d["exit_code"]]')" = "['install', 0]" ]
check "install --json: 13 endpoints trusted" \
	[ "$(jq_py "$JSON" 'sum(e["verdict"] == "trusted" for e in d["endpoints"])')" -eq 13 ]
check "install --json: per browser, before not-trusted, after trusted" \
	[ "$(jq_py "$JSON" 'set((b["before"], b["verdict"]) for e in d["endpoints"] for b in e["browsers"])')" = "{('not-trusted', 'trusted')}" ]
check "install --json: 10 additions done" \
	[ "$(jq_py "$JSON" 'set((c["action"], c["status"]) for c in d["changes"]), len(d["changes"])')" = "({('add', 'done')}, 10)" ]
check "install --json: the change for uccx1:8445 lists its 4 endpoints once each" \
	[ "$(jq_py "$JSON" 'sorted(set(c["endpoints"] for c in d["changes"] if c["subject"].startswith("CN=uccx1.lab.example,OU=tomcat")))')" = "['uccx1.lab.example:443,uccx1.lab.example:8445,uccx1.lab.example:8444,uccx1.lab.example:12015']" ]
check "install --json: an action tells about open browser windows" \
	eval 'jq_py "$JSON" "d[\"actions\"][0]" | grep -q "new window"'

run_agent install --quiet
check "install --quiet with nothing to do: exit 0, no output at all" eval '[ "$RC" -eq 0 ] && [ -z "$OUT" ]'
run_agent check -q
check "check -q when all is trusted: exit 0, no output" eval '[ "$RC" -eq 0 ] && [ -z "$OUT" ]'
run_agent_json check
check "check --json when all is trusted: exit 0, no changes" \
	eval '[ "$RC" -eq 0 ] && [ "$(jq_py "$JSON" "len(d[\"changes\"])")" -eq 0 ]'

cli status --home "$home" --state-dir "$state"
check "status: exit 0" [ "$RC" -eq 0 ]
check "status: the last install, exit 0" grep -qE "^  last install: [0-9T:-]+Z, exit 0: 13/13 endpoints trusted" <<<"$STDOUT"
check "status: 10 installed objects" grep -q "^Installed by uccx-trust (10):" <<<"$STDOUT"
check "status: the Firefox profile's database is listed" grep -qF "nss:$prof" <<<"$STDOUT"
check "status: 11 approved server certificates" grep -q "^Approved server certificates (11):" <<<"$STDOUT"
cli status --home "$home" --state-dir "$state" --json
check "status --json: one valid document, command status" \
	eval 'one_json "$STDOUT" && [ "$(jq_py "$STDOUT" "d[\"command\"]")" = status ]'
check "status --json: state with 10 installed, 11 approved, last install" \
	[ "$(jq_py "$STDOUT" '[len(d["state"]["installed"]), len(d["state"]["approved"]), d["state"]["last_command"], d["state"]["last_exit"]]')" = "[10, 11, 'install', 0]" ]
cli status --home "$home" --state-dir "$T_WORK/state-none"
check "status with no state: exit 0, says nothing was installed, creates nothing" \
	eval '[ "$RC" -eq 0 ] && grep -q "no run has installed anything yet" <<<"$STDOUT" && [ ! -e "$T_WORK/state-none" ]'

run_agent_json remove
check "remove --json: exit 0, 10 removals done" \
	eval '[ "$RC" -eq 0 ] && [ "$(jq_py "$JSON" "set((c[\"action\"], c[\"status\"]) for c in d[\"changes\"]), len(d[\"changes\"])")" = "({('"'"'remove'"'"', '"'"'done'"'"')}, 10)" ]'
check "remove: nothing of ours left" \
	eval '[ "$(nss_count_ours "$home/.pki/nssdb")" -eq 0 ] && [ "$(nss_count_ours "$prof")" -eq 0 ]'
lab_stop "$lab"

# ---- remove with no node configured takes out everything ours, only ours ----
lab_start "$lab" mixed
home=$T_WORK/home-mixed
state=$T_WORK/state-mixed
new_home "$home"
prof=$(ff_profile "$home")
agent_args "$home" "$lab" "$state"
run_agent install
check "mixed: install exits 0" [ "$RC" -eq 0 ] || echo "$OUT"
n_chrome=$(nss_count_ours "$home/.pki/nssdb")
n_ff=$(nss_count_ours "$prof")
n_ovr=$(override_lines "$prof")
check "mixed: certificates in both databases and override lines ($n_chrome, $n_ff, $n_ovr)" \
	eval '[ "$n_chrome" -gt 0 ] && [ "$n_ff" -gt 0 ] && [ "$n_ovr" -eq 1 ]'
# Someone else's certificate and override line, which remove must keep.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
	-subj "/CN=Corporate Proxy CA" -keyout "$T_WORK/foreign.key" -out "$T_WORK/foreign.pem" 2>/dev/null
certutil -A -d "sql:$home/.pki/nssdb" -n "Corporate proxy" -t "C,," -i "$T_WORK/foreign.pem"
printf 'other.example.com:443:\tOID.2.16.840.1.101.3.4.2.1\t%s\t\n' \
	"$(lab_fp "$lab" uccx1.lab.example:443)" >>"$prof/cert_override.txt"
cli remove --home "$home" --state-dir "$state"
check "remove without nodes: exit 0" [ "$RC" -eq 0 ] || echo "$STDOUT$STDERR"
check "remove without nodes: counts what it removed" \
	grep -q "^$((n_chrome + n_ff + n_ovr)) objects removed.$" <<<"$STDOUT"
check "remove without nodes: nothing of ours in Chromium or Firefox" \
	eval '[ "$(nss_count_ours "$home/.pki/nssdb")" -eq 0 ] && [ "$(nss_count_ours "$prof")" -eq 0 ]'
check "remove without nodes: our override line is gone" \
	eval '! grep -q "^socialminer.lab.example:443:" "$prof/cert_override.txt"'
check "remove without nodes: someone else's certificate stays" \
	eval 'certutil -L -d "sql:$home/.pki/nssdb" | grep -q "^Corporate proxy "'
check "remove without nodes: someone else's override line stays" \
	grep -q "^other.example.com:443:" "$prof/cert_override.txt"
cli status --home "$home" --state-dir "$state" --json
check "remove without nodes: the state records nothing installed" \
	[ "$(jq_py "$STDOUT" '[len(d["state"]["installed"]), d["state"]["last_command"]]')" = "[0, 'remove']" ]

# ---- a relative --home is under the working directory, never $HOME ----
mkdir -p "$T_WORK/cwd" "$T_WORK/real-home"
new_home "$T_WORK/cwd/rel-home"
agent_args rel-home "$lab" "$T_WORK/state-rel"
set +e
OUT=$(cd "$T_WORK/cwd" && HOME=$T_WORK/real-home "$AGENT" install "${A[@]}" 2>&1)
RC=$?
set -e
check "relative --home: install exits 0" [ "$RC" -eq 0 ] || echo "$OUT"
check "relative --home: the certificates are in that home" \
	eval '[ "$(nss_count_ours "$T_WORK/cwd/rel-home/.pki/nssdb")" -gt 0 ] && [ "$(nss_count_ours "$(ff_profile "$T_WORK/cwd/rel-home")")" -gt 0 ]'
check "relative --home: nothing written to \$HOME" [ ! -e "$T_WORK/real-home/.pki" ]

# ---- the exit code contract ----
home=$T_WORK/home-exit
new_home "$home"
agent_args "$home" "$lab" "$T_WORK/state-exit"
run_agent install
check "exit 0: every endpoint trusted" [ "$RC" -eq 0 ]
lab_stop "$lab"
lab_start "$lab" nosan
agent_args "$home" "$lab" "$T_WORK/state-exit-nosan"
run_agent install
check "exit 1: some endpoint cannot be trusted (no SAN)" [ "$RC" -eq 1 ]
run_agent check --node bad_name
check "exit 2: a configuration error" [ "$RC" -eq 2 ]
touch "$T_WORK/a-file"
A=(--node uccx1.lab.example --home "$home" --state-dir "$T_WORK/a-file/state")
run_agent_json install
check "exit 3: a system error (state directory under a file)" [ "$RC" -eq 3 ]
check "exit 3 --json: one document with the error and exit_code 3" \
	eval 'one_json "$JSON" && [ "$(jq_py "$JSON" "[d[\"error\"][\"code\"], d[\"exit_code\"]]")" = "['"'"'io'"'"', 3]" ]'
check "exit 3: the message names the path" grep -qF "$T_WORK/a-file" <<<"$ERR"

# libcurl is loaded only when the network phase starts: without it the run
# stops with a system error that names the package to install.
agent_args "$home" "$lab" "$T_WORK/state-nocurl"
if run_agent_without libcurl.so.4 check; then
	check "exit 3 without libcurl.so.4" [ "$RC" -eq 3 ]
	check "without libcurl: the message says to install libcurl4" \
		grep -qF "install the libcurl4 package" <<<"$OUT"
	run_agent check
	check "with libcurl again: the same run works (exit 0 or 1)" eval '[ "$RC" -le 1 ]'
else
	ok "# SKIP libcurl missing: needs root for a mount namespace"
fi
lab_stop "$lab"

finish
