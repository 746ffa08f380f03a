#!/usr/bin/env bash
# tools/dev.sh: set up a Debian 12 machine, build, and either run the demo
# (the agent against the built-in lab) or the whole test suite.
#   tools/dev.sh demo    build, start the lab, run uccx-trust check/install/check
#   tools/dev.sh test    check the formatting, build with -Werror and run every test (ctest)
#   tools/dev.sh format  format every C file with clang-format (.clang-format)
#   tools/dev.sh format-check  list the C files clang-format would change
#   tools/dev.sh win     cross-compile the Windows agent into build-win
#   tools/dev.sh deps    only install the Debian packages
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${UCT_BUILD:-$top/build}

packages=(build-essential cmake pkg-config libnss3-dev libnss3-tools libcurl4-openssl-dev
	  libssl-dev check openssl curl ca-certificates
	  libmicrohttpd-dev libjansson-dev libsqlite3-dev libpq-dev postgresql time python3
	  dpkg-dev rpm file chromium firefox-esr util-linux groff-base passwd strace
	  gcc-mingw-w64-x86-64 wine wine64 wixl clang libclang-rt-14-dev pmccabe clang-format)

deps() {
	local missing=()
	for p in "${packages[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "Installing Debian packages: ${missing[*]}"
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

build() {
	cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUCT_WERROR=ON >/dev/null
	cmake --build "$build" -j"$(nproc)"
}

# The Windows agent, cross-compiled next to the Linux build ("$build-win"),
# where tests/integration/test_wine.sh finds it.
build_win() {
	cmake -S "$top" -B "$build-win" -DCMAKE_TOOLCHAIN_FILE="$top/cmake/mingw-w64.cmake" \
	      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUCT_WERROR=ON >/dev/null
	cmake --build "$build-win" -j"$(nproc)"
}

demo() {
	local work home prof port="" i
	work=$(mktemp -d /tmp/uccx-demo.XXXXXX)
	demo_lab=$work/lab
	home=$work/home
	# A PC user's home with one Firefox profile, as Firefox leaves it.
	prof=$home/.mozilla/firefox/demo.default-release
	mkdir -p "$prof"
	certutil -N -d "sql:$prof" --empty-password
	printf '[Profile0]\nName=default-release\nIsRelative=1\nPath=demo.default-release\nDefault=1\n' \
		>"$home/.mozilla/firefox/profiles.ini"
	trap '"$build/tests/uccx-lab" --stop --out "$demo_lab" >/dev/null 2>&1 || true
	      [ -n "${demo_col:-}" ] && kill "$demo_col" 2>/dev/null; true' EXIT

	# The collector, plain HTTP on loopback, with its two tokens.
	head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/agent.token"
	head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/admin.token"
	"$build/uccx-trust-collector" --listen 127.0.0.1:0 --db "$work/fleet.db" \
		--agent-token-file "$work/agent.token" --admin-token-file "$work/admin.token" \
		2>"$work/collector.log" &
	demo_col=$!
	for i in $(seq 50); do
		port=$(sed -n 's/.*listening on [a-z]*:\/\/[^ ]*:\([0-9]*\),.*/\1/p' "$work/collector.log")
		[ -n "$port" ] && break
		sleep 0.1
	done
	[ -n "$port" ] || { cat "$work/collector.log"; echo "the collector did not start" >&2; exit 3; }

	"$build/tests/uccx-lab" --scenario "${UCT_SCENARIO:-mixed}" --out "$demo_lab" --daemon
	local args=(--node uccx1.lab.example --node uccx2.lab.example
		    --socialminer socialminer.lab.example --home "$home"
		    --state-dir "$work/state"
		    --report-url "http://127.0.0.1:$port/api/v1/reports"
		    --report-token-file "$work/agent.token")
	while read -r line; do args+=(--connect-to "$line"); done <"$demo_lab/connect-to.txt"
	echo
	echo "== uccx-trust check (a fresh PC: nothing trusted yet)"
	"$build/uccx-trust" check "${args[@]}" || echo "(exit code $?: work to do)"
	echo
	echo "== uccx-trust install"
	"$build/uccx-trust" install "${args[@]}" || echo "(exit code $?)"
	echo
	echo "== uccx-trust check (again: a login-script run)"
	"$build/uccx-trust" check "${args[@]}" || echo "(exit code $?)"
	echo
	echo "== the collector's view of the fleet (GET /api/v1/hosts)"
	curl -s -H "Authorization: Bearer $(cat "$work/admin.token")" \
		"http://127.0.0.1:$port/api/v1/hosts" | python3 -m json.tool
	# The dashboard as IT sees it, rendered by headless Chromium.
	if command -v chromium >/dev/null 2>&1; then
		if timeout 120 python3 "$top/tests/browser/dashboard_check.py" \
			--url "http://127.0.0.1:$port/" --token-file "$work/admin.token" \
			--work "$work/browser" --png "$work/dashboard.png" >"$work/dashboard.json" 2>/dev/null &&
			grep -q '"loaded": true' "$work/dashboard.json"; then
			echo
			echo "== the collector's dashboard: $work/dashboard.png"
		fi
	fi
	echo
	echo "The demo home is $home: certutil -L -d sql:$home/.pki/nssdb shows what was"
	echo "installed for Chromium, $prof holds the Firefox profile."
	echo "The fleet database is $work/fleet.db. To browse the dashboard, keep the demo"
	echo "running with UCT_DEMO_WAIT=1 and open http://127.0.0.1:$port/ (admin token in"
	echo "$work/admin.token)."
	if [ -n "${UCT_DEMO_WAIT:-}" ]; then
		echo "Press Enter to stop the lab and the collector."
		read -r _
	fi
}

# Every C source and header the repository tracks: there are no generated or
# third-party C files to leave out. Outside a git checkout (a source
# tarball), every *.c and *.h under the top directory but the builds.
c_files() {
	if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$top" ls-files -z -- '*.c' '*.h'
	else
		(cd "$top" && find . -path './build*' -prune -o -type f \( -name '*.c' -o -name '*.h' \) \
			-printf '%P\0')
	fi
}

format() {
	(cd "$top" && c_files | xargs -0 -r clang-format -i --style=file)
}

# Fails, naming each file and the command that fixes them all, when any
# tracked C file differs from what clang-format makes of it.
format_check() {
	local f bad=()
	while IFS= read -r -d '' f; do
		clang-format --style=file "$top/$f" | cmp -s - "$top/$f" || bad+=("$f")
	done < <(c_files)
	[ ${#bad[@]} -eq 0 ] && return 0
	echo "These files are not formatted as .clang-format says (${#bad[@]}):" >&2
	printf '  %s\n' "${bad[@]}" >&2
	echo "Fix: tools/dev.sh format (then review and commit the change)" >&2
	return 1
}

tests() {
	(cd "$build" && ctest --output-on-failure -j2 "$@")
}

case "${1:-}" in
deps) deps ;;
demo) deps; build; demo ;;
test) deps; format_check; build; build_win; shift; tests "$@" ;;
format) deps; format ;;
format-check) deps; format_check ;;
win) deps; build_win ;;
*) echo "usage: tools/dev.sh demo|test|win|deps|format|format-check" >&2; exit 2 ;;
esac
