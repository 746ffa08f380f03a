#!/usr/bin/env bash
# test_issuer_trust.sh (ctest browser/test_issuer_trust): real Chromium and
# Firefox ESR against server certificates that do not say CA:FALSE, trusted
# each way the agent could, and after the agent's own install: the server
# loads, a certificate its key signs for another name does not. Free
# loopback ports only; see issuer_trust.py.
set -euo pipefail

main() {
	here=$(cd "$(dirname "$0")" && pwd)
	. "$here/browser_lib.sh"
	browser_start issuer /usr/bin/python3 firefox-esr chromium certutil openssl
	/usr/bin/python3 "$here/issuer_trust.py" --build "$BUILD" --work "$work" \
		--table "${UCT_ISSUER_TABLE:-$BUILD/issuer-trust.md}" "$@"
}

main "$@"
exit $?
