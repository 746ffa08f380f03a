#!/usr/bin/env bash
# test_lab.sh: checks the UCCX lab itself (tests/lab): every scenario serves the
# chain it promises, listeners answer with the marker page, --stall/--down/--no-http,
# --keep-keys/--renew/--days-left, SIGTERM and --stop. Loopback only, bounded.
. "$(dirname "$0")/lib.sh"

[ -x "$LAB" ] || { echo "not ok - $LAB not built"; echo "0 passed, 1 failed"; exit 1; }
TMP=$T_WORK
# The labs started here are stopped at exit (lib.sh's cleanup).

# start_lab DIR ARGS...: a daemon lab; DIR gets the files. Bounded by timeout.
start_lab() {
	local dir="$1"
	shift
	T_LABS+=("$dir")
	timeout 30 "$LAB" --out "$dir" --daemon "$@" >"$dir.out" 2>"$dir.err"
}
stop_lab() { timeout 20 "$LAB" --stop --out "$1" >/dev/null 2>&1; }

# labport DIR HOST PORT: the loopback port the lab uses for HOST:PORT.
labport() { awk -F: -v h="$2" -v p="$3" '$1 == h && $2 == p { print $4 }' "$1/connect-to.txt"; }
# fetch DIR HOST PORT PATH [curl args]: the page, through --connect-to.
fetch() {
	local dir="$1" host="$2" port="$3" path="$4"
	shift 4
	curl -sS --max-time 10 --connect-to "$host:$port:127.0.0.1:$(labport "$dir" "$host" "$port")" \
		"$@" "https://$host:$port$path"
}
# chain DIR HOST PORT OUTFILE: the chain as served, as PEM.
chain() {
	timeout 10 openssl s_client -connect "127.0.0.1:$(labport "$1" "$2" "$3")" -servername "$2" \
		-showcerts </dev/null 2>/dev/null |
		sed -n '/-BEGIN CERTIFICATE-/,/-END CERTIFICATE-/p' >"$4"
}
ncerts() { grep -c -- '-BEGIN CERTIFICATE-' "$1"; }
leaftext() { openssl x509 -noout -text -in "$1"; }
fp() { openssl x509 -noout -fingerprint -sha256 -in "$1" | sed 's/.*=//'; }
pubkey() { openssl x509 -noout -pubkey -in "$1"; }
# alive PID: a running process (a zombie awaiting its reaper does not count).
alive() { [ -r "/proc/$1/stat" ] && ! awk '{ exit ($3 == "Z") ? 0 : 1 }' "/proc/$1/stat"; }
has() { grep -q -- "$2" <<<"$1"; }
hasnot() { ! grep -q -- "$2" <<<"$1"; }

U1=uccx1.lab.example
U2=uccx2.lab.example
SM=socialminer.lab.example

# ---- selfsigned: the listeners, the page, the files ----------------------
D="$TMP/ss"
check "selfsigned lab starts as a daemon" start_lab "$D" --scenario selfsigned
ms=$(sed -n 's/.*started in \([0-9]*\) ms.*/\1/p' "$D.out")
echo "# start-up of the selfsigned scenario: ${ms:-?} ms"
check "start-up under 5 s (${ms:-?} ms)" test "${ms:-99999}" -lt 5000
check "ready and lab.pid written" test -f "$D/ready" -a -f "$D/lab.pid"
check "lab.pid is a live process" alive "$(cat "$D/lab.pid")"
check "11 connect-to lines printed and written" \
	test "$(grep -c ':127.0.0.1:' "$D.out")" -eq 11 -a "$(wc -l <"$D/connect-to.txt")" -eq 11
check "hosts.txt maps the three hosts" test "$(grep -c '^127.0.0.1 ' "$D/hosts.txt")" -eq 3
all_pages=0
while IFS=: read -r host port _ _; do
	page=$(fetch "$D" "$host" "$port" "/cfadmin" -k || true)
	has "$page" "UCCX-LAB-OK host=$host port=$port " && has "$page" "path=/cfadmin" &&
		has "$page" "<title>uccx-lab</title>" && all_pages=$((all_pages + 1))
done <"$D/connect-to.txt"
check "all 11 listeners answer with the marker page ($all_pages)" test "$all_pages" -eq 11
check "HEAD gets a 200" test "$(fetch "$D" $U1 8445 / -k -I -o /dev/null -w '%{http_code}')" = 200
check "path is HTML-escaped" has "$(fetch "$D" $U1 443 '/appadmin/main?a=<b>' -k)" "path=/appadmin/main?a=&lt;b&gt;"
chain "$D" $U1 8445 "$TMP/c8445"
chain "$D" $U1 443 "$TMP/c443"
chain "$D" $U1 7443 "$TMP/c7443"
t=$(leaftext "$TMP/c8445")
check "selfsigned: one certificate sent" test "$(ncerts "$TMP/c8445")" -eq 1
check "selfsigned: SAN and CN are the host" eval 'has "$t" "DNS:$U1" && has "$t" "Subject: O = UCCX Lab, OU = tomcat, CN = $U1"'
check "selfsigned: CA:FALSE, serverAuth, issuer = subject" eval 'has "$t" "CA:FALSE" && has "$t" "TLS Web Server Authentication" && has "$t" "Issuer: O = UCCX Lab, OU = tomcat, CN = $U1"'
check "selfsigned: RSA 2048" has "$t" "Public-Key: (2048 bit)"
check "443 and 8445 share the Tomcat certificate" test "$(fp "$TMP/c443")" = "$(fp "$TMP/c8445")"
check "7443 has its own key" test "$(pubkey "$TMP/c7443")" != "$(pubkey "$TMP/c8445")"
check "fingerprints.txt matches the served leaf" grep -qx "$U1:8445 $(fp "$TMP/c8445")" "$D/fingerprints.txt"
check "HOST-PORT.pem is the chain as sent" cmp -s "$TMP/c8445" "$D/$U1-8445.pem"
check "curl trusts the served certificate by name (--cacert)" fetch "$D" $U1 8445 / --cacert "$D/$U1-8445.pem"
check "TLS 1.2 handshake" eval 'timeout 10 openssl s_client -tls1_2 -connect 127.0.0.1:$(labport "$D" $U2 8444) </dev/null 2>&1 | grep -q "Protocol *: TLSv1.2"'
check "TLS 1.3 handshake" eval 'timeout 10 openssl s_client -tls1_3 -connect 127.0.0.1:$(labport "$D" $U2 8444) </dev/null 2>&1 | grep -q "TLSv1.3"'
check "keys are 0600 in DIR/keys" test "$(stat -c %a "$D/keys/$U1-tomcat.key")" = 600
check "a second lab on the same DIR is refused" eval '! timeout 30 "$LAB" --out "$D" --daemon >/dev/null 2>&1'
# Garbage, plain HTTP and abrupt closes must not hurt the lab.
p=$(labport "$D" $U1 8445)
head -c 3000 /dev/urandom | timeout 5 bash -c "cat >/dev/tcp/127.0.0.1/$p" 2>/dev/null || true
printf 'GET / HTTP/1.0\r\n\r\n' | timeout 5 bash -c "cat >/dev/tcp/127.0.0.1/$p" 2>/dev/null || true
timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$p; exec 3>&-" 2>/dev/null || true
check "still serving after garbage and abrupt closes" fetch "$D" $U1 8445 / -k
pids=()
for i in $(seq 1 40); do
	fetch "$D" $U2 8445 "/finesse/$i" -k -o "$TMP/par.$i" &
	pids+=($!)
done
par_ok=0
for i in "${!pids[@]}"; do
	wait "${pids[$i]}" && grep -q "path=/finesse/$((i + 1))" "$TMP/par.$((i + 1))" && par_ok=$((par_ok + 1))
done
check "40 parallel requests all answered ($par_ok)" test "$par_ok" -eq 40
pid=$(cat "$D/lab.pid")
check "--stop stops the daemon" stop_lab "$D"
check "stopped: process gone, ready removed" eval '! alive '"$pid"' && test ! -e "$D/ready"'

# ---- --keep-keys, --renew, --days-left ------------------------------------
cp "$D/fingerprints.txt" "$TMP/fp.first"
check "restart with --keep-keys" start_lab "$D" --keep-keys
check "--keep-keys serves the same certificates" cmp -s "$TMP/fp.first" "$D/fingerprints.txt"
chain "$D" $U1 8445 "$TMP/kept"
check "--keep-keys: served leaf unchanged" test "$(fp "$TMP/kept")" = "$(fp "$TMP/c8445")"
stop_lab "$D"
check "restart with --keep-keys --days-left 5" start_lab "$D" --keep-keys --days-left 5
chain "$D" $U1 8445 "$TMP/short"
check "--days-left 5: same key, new certificate" eval 'test "$(pubkey "$TMP/short")" = "$(pubkey "$TMP/c8445")" && test "$(fp "$TMP/short")" != "$(fp "$TMP/c8445")"'
check "--days-left 5: valid for 4 more days" openssl x509 -checkend $((4 * 86400)) -noout -in "$TMP/short"
check "--days-left 5: expired within 6 days" eval '! openssl x509 -checkend $((6 * 86400)) -noout -in "$TMP/short"'
stop_lab "$D"
check "restart with --renew" start_lab "$D" --renew
chain "$D" $U1 8445 "$TMP/renewed"
check "--renew: same key and name" eval 'test "$(pubkey "$TMP/renewed")" = "$(pubkey "$TMP/c8445")" && has "$(leaftext "$TMP/renewed")" "DNS:$U1"'
check "--renew: new serial" test "$(openssl x509 -noout -serial -in "$TMP/renewed")" != "$(openssl x509 -noout -serial -in "$TMP/short")"
check "--renew: valid for a year again" openssl x509 -checkend $((300 * 86400)) -noout -in "$TMP/renewed"
stop_lab "$D"

# ---- SIGTERM on a foreground lab ------------------------------------------
F="$TMP/fg"
mkdir -p "$F"
"$LAB" --out "$F" --scenario ecdsa >"$F.out" 2>&1 &
fgpid=$!
T_LABS+=("$F")
for _ in $(seq 1 200); do [ -e "$F/ready" ] && break; sleep 0.05; done
check "foreground lab becomes ready" test -e "$F/ready"
check "ecdsa: P-256 key" has "$(leaftext "$F/$SM-443.pem")" "prime256v1"
kill -TERM "$fgpid"
rc=0
timeout 10 tail --pid="$fgpid" -f /dev/null || rc=1
wait "$fgpid" || rc=$?
check "SIGTERM: exit status 0" test "$rc" -eq 0
check "SIGTERM: ready and lab.pid removed" test ! -e "$F/ready" -a ! -e "$F/lab.pid"
check "SIGTERM: listener closed" eval '! curl -s --max-time 3 -k --connect-to $U1:8445:127.0.0.1:$(labport "$F" $U1 8445) https://$U1:8445/'

# ---- --stall and --down -----------------------------------------------------
S="$TMP/stall"
check "lab with --stall uccx2 --down socialminer" start_lab "$S" --stall uccx2 --down $SM
rc=0
fetch "$S" $U2 8445 / -k --connect-timeout 2 -o /dev/null || rc=$?
check "--stall: curl --connect-timeout 2 times out (rc $rc)" test "$rc" -eq 28
rc=0
fetch "$S" $SM 443 / -k -o /dev/null || rc=$?
check "--down: connection refused (rc $rc)" test "$rc" -eq 7
check "--down: connect-to line still written" grep -q "^$SM:443:127.0.0.1:" "$S/connect-to.txt"
check "--down/--stall: no chain file for them" test ! -e "$S/$SM-443.pem" -a ! -e "$S/$U2-8445.pem"
check "other hosts unaffected" fetch "$S" $U1 12015 / -k
stop_lab "$S"

# ---- --no-http: the handshake completes, no HTTP answer ever comes ----------
N="$TMP/nohttp"
check "lab with --no-http uccx1" start_lab "$N" --no-http uccx1
rc=0
out=$(fetch "$N" $U1 8445 / -k --max-time 2 -o /dev/null -w '%{time_appconnect}' 2>/dev/null) || rc=$?
check "--no-http: curl completes TLS ($out s), then times out waiting for HTTP (rc $rc)" \
	eval '[ "$rc" -eq 28 ] && awk -v t="$out" "BEGIN { exit !(t > 0) }"'
check "--no-http: the chain file is written (the certificate is served)" test -s "$N/$U1-8445.pem"
check "--no-http: other hosts answer HTTP" fetch "$N" $U2 8445 / -k --max-time 5
stop_lab "$N"

# ---- the certificate scenarios ------------------------------------------------
C="$TMP/scen"
scenario() { stop_lab "$C" || true; start_lab "$C" --scenario "$1"; }

check "selfsigned-ca starts" scenario selfsigned-ca
chain "$C" $U1 8445 "$TMP/x"
t=$(leaftext "$TMP/x")
check "selfsigned-ca: self-signed CA:TRUE with SAN" eval 'has "$t" "CA:TRUE" && has "$t" "DNS:$U1" && test "$(ncerts "$TMP/x")" -eq 1'
check "selfsigned-ca: no ca.pem" test ! -e "$C/ca.pem"

check "private-ca starts" scenario private-ca
chain "$C" $U2 8445 "$TMP/x"
check "private-ca: leaf + issuing + root sent" test "$(ncerts "$TMP/x")" -eq 3
check "private-ca: ca.pem is UCCX Lab Root CA" has "$(leaftext "$C/ca.pem")" "Subject: O = UCCX Lab, CN = UCCX Lab Root CA"
t=$(leaftext "$TMP/x")
check "private-ca: leaf CA:FALSE issued by UCCX Lab Issuing CA" eval 'has "$t" "CA:FALSE" && has "$t" "Issuer: O = UCCX Lab, CN = UCCX Lab Issuing CA"'
check "private-ca: curl verifies with ca.pem only" fetch "$C" $U2 8445 / --cacert "$C/ca.pem"
check "private-ca: openssl verify leaf" openssl verify -CAfile "$C/ca.pem" -untrusted "$C/issuing-ca.pem" "$C/$U1-7443.pem"
cp "$C/ca.pem" "$TMP/root.first"
stop_lab "$C"
check "private-ca --renew starts" start_lab "$C" --scenario private-ca --renew
check "private-ca --renew keeps the root" cmp -s "$TMP/root.first" "$C/ca.pem"
check "private-ca --renew: new leaf verifies with the old root" fetch "$C" $U1 443 / --cacert "$TMP/root.first"

check "private-ca-noroot starts" scenario private-ca-noroot
chain "$C" $U1 443 "$TMP/x"
check "private-ca-noroot: leaf + issuing sent" test "$(ncerts "$TMP/x")" -eq 2
check "private-ca-noroot: curl verifies with ca.pem" fetch "$C" $U1 443 / --cacert "$C/ca.pem"

check "nosan starts" scenario nosan
t=$(leaftext "$C/$U1-8445.pem")
check "nosan: CN = host, no SAN" eval 'has "$t" "CN = $U1" && hasnot "$t" "Subject Alternative Name"'

check "expired starts" scenario expired
check "expired: notAfter in the past" eval '! openssl x509 -checkend 0 -noout -in "$C/$U1-8445.pem"'
rc=0
fetch "$C" $U1 8445 / --cacert "$C/$U1-8445.pem" -o /dev/null || rc=$?
check "expired: curl refuses it (rc $rc)" test "$rc" -eq 60

check "wrongname starts" scenario wrongname
check "wrongname: SAN wrong.lab.example" has "$(leaftext "$C/$U1-8445.pem")" "DNS:wrong.lab.example"
rc=0
fetch "$C" $U1 8445 / --cacert "$C/$U1-8445.pem" -o /dev/null || rc=$?
check "wrongname: curl refuses the name (rc $rc)" test "$rc" -eq 60

check "rsa1024 starts" scenario rsa1024
chain "$C" $U1 8445 "$TMP/x"
check "rsa1024: a 1024-bit key is served" has "$(leaftext "$TMP/x")" "Public-Key: (1024 bit)"

check "mixed starts" scenario mixed
chain "$C" $U1 8445 "$TMP/m1"
chain "$C" $U2 8445 "$TMP/m2"
chain "$C" $SM 443 "$TMP/m3"
check "mixed: uccx1 self-signed CA:FALSE" eval 'test "$(ncerts "$TMP/m1")" -eq 1 && has "$(leaftext "$TMP/m1")" "CA:FALSE"'
check "mixed: uccx2 private CA chain" eval 'test "$(ncerts "$TMP/m2")" -eq 3 && test -e "$C/ca.pem"'
check "mixed: socialminer CA:TRUE" has "$(leaftext "$TMP/m3")" "CA:TRUE"
stop_lab "$C"

check "--domain renames the hosts" start_lab "$TMP/dom" --domain corp.test
check "--domain: page and SAN use it" eval 'has "$(fetch "$TMP/dom" uccx1.corp.test 8445 / -k)" "host=uccx1.corp.test port=8445" && has "$(leaftext "$TMP/dom/uccx1.corp.test-8445.pem")" "DNS:uccx1.corp.test"'
stop_lab "$TMP/dom"

# ---- SIGUSR1: uccx1's certificate regenerated ---------------------------------
G="$TMP/regen"
check "regenerate: the lab starts" start_lab "$G"
old_fp=$(awk -v hp="$U1:8445" '$1 == hp { print $2 }' "$G/fingerprints.txt")
old_7443=$(awk -v hp="$U1:7443" '$1 == hp { print $2 }' "$G/fingerprints.txt")
old_u2=$(awk -v hp="$U2:8445" '$1 == hp { print $2 }' "$G/fingerprints.txt")
old_key=$(pubkey "$G/$U1-8445.pem")
kill -USR1 "$(cat "$G/lab.pid")"
for _ in $(seq 100); do [ -s "$G/regenerated" ] && break; sleep 0.1; done
check "regenerate: SIGUSR1 writes DIR/regenerated = 1" test "$(cat "$G/regenerated" 2>/dev/null)" = 1
new_fp=$(awk -v hp="$U1:8445" '$1 == hp { print $2 }' "$G/fingerprints.txt")
chain "$G" $U1 8445 "$TMP/g1"
chain "$G" $U1 443 "$TMP/g2"
check "regenerate: uccx1's Tomcat ports serve the new certificate of fingerprints.txt" \
	eval 'test -n "$new_fp" -a "$new_fp" != "$old_fp" -a "$(fp "$TMP/g1")" = "$new_fp" -a "$(fp "$TMP/g2")" = "$new_fp"'
check "regenerate: a new key, self-signed" \
	eval 'test "$(pubkey "$TMP/g1")" != "$old_key" && openssl verify -CAfile "$TMP/g1" "$TMP/g1" >/dev/null 2>&1'
check "regenerate: the chain file follows" test "$(fp "$G/$U1-8445.pem")" = "$new_fp"
check "regenerate: 7443 and uccx2 unchanged" eval 'test "$(awk -v hp="$U1:7443" '"'"'$1 == hp { print $2 }'"'"' "$G/fingerprints.txt")" = "$old_7443" -a "$(awk -v hp="$U2:8445" '"'"'$1 == hp { print $2 }'"'"' "$G/fingerprints.txt")" = "$old_u2"'
check "regenerate: pages are still served" eval 'has "$(fetch "$G" $U1 8445 / -k)" "UCCX-LAB-OK host=$U1 port=8445"'
kill -USR1 "$(cat "$G/lab.pid")"
for _ in $(seq 100); do [ "$(cat "$G/regenerated")" = 2 ] && break; sleep 0.1; done
check "regenerate: a second SIGUSR1 counts 2 and changes it again" \
	eval 'test "$(cat "$G/regenerated")" = 2 -a "$(awk -v hp="$U1:8445" '"'"'$1 == hp { print $2 }'"'"' "$G/fingerprints.txt")" != "$new_fp"'
check "regenerate: SIGTERM still stops the lab" stop_lab "$G"

# ---- usage --------------------------------------------------------------------
check "--help documents the options" eval '"$LAB" --help | grep -q -- "--keep-keys" && "$LAB" --help | grep -q -- "--real-ports"'
check "unknown scenario is refused" eval '! "$LAB" --out "$TMP/bad" --scenario nosuch 2>/dev/null'
check "--out is required" eval '! "$LAB" 2>/dev/null'

# ---- --real-ports (needs root for 443; skipped otherwise) ---------------------
if [ "$(id -u)" -eq 0 ] && ! (exec 3<>/dev/tcp/127.0.0.11/443) 2>/dev/null; then
	R="$TMP/real"
	check "--real-ports starts" start_lab "$R" --real-ports
	check "--real-ports: uccx1 on 127.0.0.11:8445" eval 'curl -s --max-time 10 -k --resolve $U1:8445:127.0.0.11 https://$U1:8445/ | grep -q "UCCX-LAB-OK host=$U1 port=8445"'
	check "--real-ports: socialminer on 127.0.0.13:443" eval 'curl -s --max-time 10 -k --resolve $SM:443:127.0.0.13 https://$SM/ | grep -q "host=$SM port=443"'
	check "--real-ports: hosts.txt" grep -qx "127.0.0.12 $U2" "$R/hosts.txt"
	stop_lab "$R"
else
	echo "ok - --real-ports # skip: needs root and free 127.0.0.11:443"
fi

finish
