#!/usr/bin/env bash
# bench/baseline.sh: what a helpdesk or login script does without the agent:
# fetch each of the 13 UCCX URLs with `openssl s_client`, one after the other,
# then check each browser database with `certutil` that the leaf is trusted.
#   baseline.sh LABDIR HOME   exit 0: every URL trusted in every database
# LABDIR is a running uccx-lab's --out directory (its connect-to.txt maps
# host:port to the loopback port); HOME holds ~/.pki/nssdb and the Firefox
# profiles listed in ~/.mozilla/firefox/profiles.ini.
set -uo pipefail

lab=${1:?usage: baseline.sh LABDIR HOME}
home=${2:?usage: baseline.sh LABDIR HOME}
nodes=(uccx1.lab.example uccx2.lab.example)
socialminer=socialminer.lab.example

# The URLs of the seed document, per node, then SocialMiner.
urls=()
for n in "${nodes[@]}"; do
	urls+=("$n:443/appadmin/main" "$n:7443/" "$n:8445/" "$n:8445/cfadmin" "$n:8444/" "$n:12015/")
done
urls+=("$socialminer:443/")

# 1. Fetch every URL's leaf certificate, sequentially, as a script would.
declare -A fp_of # host:port -> SHA-256 fingerprint of the leaf
for u in "${urls[@]}"; do
	hostport=${u%%/*}
	host=${hostport%%:*}
	port=${hostport##*:}
	labport=$(awk -F: -v h="$host" -v p="$port" '$1 == h && $2 == p { print $4 }' "$lab/connect-to.txt")
	fp=$(openssl s_client -connect "127.0.0.1:$labport" -servername "$host" </dev/null 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256 2>/dev/null)
	fp=${fp#*=}
	if [ -z "$fp" ]; then
		echo "baseline: no certificate from https://$u" >&2
		exit 1
	fi
	fp_of[$hostport]=$fp
done

# 2. The browser databases: Chromium's and every Firefox profile's.
dbs=("$home/.pki/nssdb")
ini=$home/.mozilla/firefox/profiles.ini
while IFS= read -r p; do
	case $p in /*) dbs+=("$p") ;; *) dbs+=("$home/.mozilla/firefox/$p") ;; esac
done < <(sed -n 's/^Path=//p' "$ini" 2>/dev/null)

# 3. Each distinct leaf must be trusted in each database: listed under the
# agent's nickname ("uccx-trust HOST <first 8 hex of the SHA-256>") and
# valid for an SSL server (certutil -V), or carrying P (Chromium's trusted
# leaf, also for a CA:TRUE one that certutil -V refuses); in a Firefox
# profile, a CA:TRUE leaf is trusted by its cert_override.txt line instead.
bad=0
for db in "${dbs[@]}"; do
	listing=$(certutil -L -d "sql:$db" 2>/dev/null) || { echo "baseline: cannot read $db" >&2; bad=1; continue; }
	declare -A done_fp=()
	for hostport in "${!fp_of[@]}"; do
		fp=${fp_of[$hostport]}
		host=${hostport%%:*}
		[ -n "${done_fp[$fp]:-}" ] && continue
		done_fp[$fp]=1
		short=$(tr -d ':' <<<"${fp:0:11}" | tr 'A-F' 'a-f')
		nick="uccx-trust $host $short"
		flags=$(awk -v n="$nick" 'index($0, n) == 1 { print $NF }' <<<"$listing")
		if [ -n "$flags" ]; then
			if certutil -V -u V -n "$nick" -d "sql:$db" >/dev/null 2>&1; then
				continue
			fi
			case ${flags%%,*} in *P*) continue ;; esac
		fi
		if grep -q "^$hostport:.*$fp" "$db/cert_override.txt" 2>/dev/null; then
			continue
		fi
		echo "baseline: $hostport ($fp) is not trusted in $db" >&2
		bad=1
	done
	unset done_fp
done
exit $bad
