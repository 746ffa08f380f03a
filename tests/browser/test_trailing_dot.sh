#!/usr/bin/env bash
# test_trailing_dot.sh (ctest browser/test_trailing_dot): real Firefox ESR
# and Chromium load a UCCX page typed with a trailing dot in its host
# (https://uccx1.lab.example.:8445/) after install, and Firefox refuses it
# after remove; see trailing_dot.py. Root only: the lab binds its real
# ports and /etc/hosts is replaced in a private mount namespace.
set -euo pipefail

main() {
	here=$(cd "$(dirname "$0")" && pwd)
	. "$here/browser_lib.sh"
	browser_root_only "needs root (real ports, a private /etc/hosts)"
	browser_start dot /usr/bin/python3 firefox-esr chromium certutil unshare
	# glibc's files lookup does not strip the final dot of an absolute
	# name, as DNS does: both spellings are listed.
	browser_with_hosts "127.0.0.11 uccx1.lab.example uccx1.lab.example." \
		"$here/trailing_dot.py" --build "$BUILD" --work "$work"
}

main "$@"
exit $?
