#!/usr/bin/env bash
# test_browsers.sh: the browser acceptance suite (ctest browser/test_browsers):
# real Chromium and Firefox ESR against the lab on its real ports, before and
# after uccx-trust install and after remove; see browser_matrix.py.
set -euo pipefail

# All in one function: bash reads it whole before running it, so editing
# this file during a run cannot derail the run.
main() {
	here=$(cd "$(dirname "$0")" && pwd)
	. "$here/browser_lib.sh"
	# The lab binds port 443 and /etc/hosts is replaced in a mount namespace.
	browser_root_only "the browser suite needs root"
	browser_start browser /usr/bin/python3 firefox-esr chromium certutil unshare

	# The lab's three hosts need three addresses (their ports are the same).
	# Chromium maps names with --host-resolver-rules, but Firefox's
	# network.dns.forceResolve sends every name to one address, which would
	# take three Firefox runs per phase: one /etc/hosts serves both.
	browser_with_hosts "127.0.0.11 uccx1.lab.example
127.0.0.12 uccx2.lab.example
127.0.0.13 socialminer.lab.example" \
		"$here/browser_matrix.py" --build "$BUILD" --work "$work" \
		--matrix "${UCT_BROWSER_MATRIX:-$BUILD/browser-matrix.md}" "$@"
}

main "$@"
exit $?
