#!/usr/bin/env bash
# test_trailing_dot.sh (ctest browser/test_trailing_dot): real Firefox ESR
# and Chromium load a UCCX page typed with a trailing dot in its host
# (https://uccx1.lab.example.:8445/) after install, and Firefox refuses it
# after remove; see trailing_dot.py. Root only: the lab binds its real
# ports and /etc/hosts is replaced in a private mount namespace.
set -euo pipefail

main() {
	here=$(cd "$(dirname "$0")" && pwd)
	BUILD=${UCT_BUILD_DIR:?UCT_BUILD_DIR must point at the build directory}
	if [ "$(id -u)" -ne 0 ]; then
		echo "skipped: needs root (real ports, a private /etc/hosts)"
		exit 77
	fi
	for tool in /usr/bin/python3 firefox-esr chromium certutil unshare; do
		if ! command -v "$tool" >/dev/null; then
			echo "not ok - $tool is missing (tools/dev.sh deps installs it)"
			exit 1
		fi
	done
	work=$(mktemp -d /tmp/uct-dot.XXXXXX)
	trap 'rm -rf "$work"' EXIT
	# glibc's files lookup does not strip the final dot of an absolute
	# name, as DNS does: both spellings are listed.
	{
		cat /etc/hosts
		echo "127.0.0.11 uccx1.lab.example uccx1.lab.example."
	} >"$work/hosts"
	unshare --mount --propagation private -- bash -c '
		mount --bind "$1" /etc/hosts || { echo "not ok - cannot bind /etc/hosts"; exit 1; }
		shift
		exec /usr/bin/python3 "$@"' _ "$work/hosts" "$here/trailing_dot.py" \
		--build "$BUILD" --work "$work"
}

main "$@"
exit $?
