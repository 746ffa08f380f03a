#!/usr/bin/env bash
# test_fleet_trust.sh (ctest browser/test_fleet_trust): fleet-approved trust
# end to end with the lab on its real ports, the collector with its probe,
# the agent in `collector` mode, real Chromium and Firefox ESR; see
# fleet_trust.py. Root only: the lab binds its real ports and /etc/hosts is
# replaced in a private mount namespace.
set -euo pipefail

main() {
	here=$(cd "$(dirname "$0")" && pwd)
	. "$here/browser_lib.sh"
	browser_root_only "needs root (real ports, a private /etc/hosts)"
	browser_start fleet /usr/bin/python3 firefox-esr chromium certutil openssl unshare
	browser_with_hosts "127.0.0.11 uccx1.lab.example
127.0.0.12 uccx2.lab.example
127.0.0.13 socialminer.lab.example" \
		"$here/fleet_trust.py" --build "$BUILD" --work "$work"
}

main "$@"
exit $?
