#!/usr/bin/env bash
# tools/dev.sh: set up a Debian 12 machine, build, and either run the demo
# (the agent against the built-in lab) or the whole test suite.
#   tools/dev.sh demo    build, start the lab, run uccx-trust check/install/check
#   tools/dev.sh test    build with -Werror and run every test (ctest)
#   tools/dev.sh win     cross-compile the Windows agent into build-win
#   tools/dev.sh deps    only install the Debian packages
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${UCT_BUILD:-$top/build}

packages=(build-essential cmake pkg-config libnss3-dev libnss3-tools libcurl4-openssl-dev
	  libssl-dev libinih-dev check openssl curl ca-certificates
	  gcc-mingw-w64-x86-64 wine wine64 wixl)

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
	local work home prof
	work=$(mktemp -d /tmp/uccx-demo.XXXXXX)
	demo_lab=$work/lab
	home=$work/home
	# A PC user's home with one Firefox profile, as Firefox leaves it.
	prof=$home/.mozilla/firefox/demo.default-release
	mkdir -p "$prof"
	certutil -N -d "sql:$prof" --empty-password
	printf '[Profile0]\nName=default-release\nIsRelative=1\nPath=demo.default-release\nDefault=1\n' \
		>"$home/.mozilla/firefox/profiles.ini"
	trap '"$build/tests/uccx-lab" --stop --out "$demo_lab" >/dev/null 2>&1 || true' EXIT
	local lab=$demo_lab
	"$build/tests/uccx-lab" --scenario "${UCT_SCENARIO:-mixed}" --out "$lab" --daemon
	local args=(--node uccx1.lab.example --node uccx2.lab.example
		    --socialminer socialminer.lab.example --home "$home"
		    --state-dir "$work/state")
	while read -r line; do args+=(--connect-to "$line"); done <"$lab/connect-to.txt"
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
	echo "The demo home is $home: certutil -L -d sql:$home/.pki/nssdb shows what was"
	echo "installed for Chromium, $prof holds the Firefox profile."
}

tests() {
	(cd "$build" && ctest --output-on-failure -j2 "$@")
}

case "${1:-}" in
deps) deps ;;
demo) deps; build; demo ;;
test) deps; build; build_win; shift; tests "$@" ;;
win) deps; build_win ;;
*) echo "usage: tools/dev.sh demo|test|win|deps" >&2; exit 2 ;;
esac
