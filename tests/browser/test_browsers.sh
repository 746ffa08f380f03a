#!/usr/bin/env bash
# test_browsers.sh: the browser acceptance suite (ctest browser/test_browsers):
# real Chromium and Firefox ESR against the lab on its real ports, before and
# after uccx-trust install and after remove; see browser_matrix.py.
set -euo pipefail

# All in one function: bash reads it whole before running it, so editing
# this file during a run cannot derail the run.
main() {
	here=$(cd "$(dirname "$0")" && pwd)
	BUILD=${UCT_BUILD_DIR:?UCT_BUILD_DIR must point at the build directory}

	if [ "$(id -u)" -ne 0 ]; then
		# The lab binds port 443 and /etc/hosts is replaced in a mount namespace.
		echo "skipped: the browser suite needs root"
		exit 77
	fi
	for tool in /usr/bin/python3 firefox-esr chromium certutil unshare; do
		if ! command -v "$tool" >/dev/null; then
			echo "not ok - $tool is missing (tools/dev.sh deps installs it)"
			echo "0 passed, 1 failed"
			exit 1
		fi
	done

	work=$(mktemp -d /tmp/uct-browser.XXXXXX)
	trap 'rm -rf "$work"' EXIT

	# Browsers cannot be told to use another port, only another address, and the
	# lab's three hosts need three addresses (their ports are the same). Chromium
	# maps names with --host-resolver-rules, but Firefox's network.dns.forceResolve
	# sends every name to one address, which would take three Firefox runs per
	# phase. A private mount namespace with its own /etc/hosts serves both
	# browsers, and the agent too, with no test-only option at all: they resolve
	# the names as on a real PC, and nothing outside this test sees the change.
	{
		cat /etc/hosts
		echo "127.0.0.11 uccx1.lab.example"
		echo "127.0.0.12 uccx2.lab.example"
		echo "127.0.0.13 socialminer.lab.example"
	} >"$work/hosts"

	unshare --mount --propagation private -- bash -c '
		if ! mount --bind "$1" /etc/hosts; then
			echo "not ok - cannot give the browsers their own /etc/hosts (unshare/mount)"
			echo "0 passed, 1 failed"
			exit 1
		fi
		shift
		exec /usr/bin/python3 "$@"' _ "$work/hosts" "$here/browser_matrix.py" \
		--build "$BUILD" --work "$work" --matrix "${UCT_BROWSER_MATRIX:-$BUILD/browser-matrix.md}" "$@"
}

main "$@"
exit $?
