# browser_lib.sh: what the browser test scripts share, sourced inside their
# main(): the build directory, the tools they need, a work directory
# removed at exit, and a private /etc/hosts for the browsers.

# browser_root_only WHY: skipped (77), saying WHY, unless run as root.
browser_root_only() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "skipped: $1"
		exit 77
	fi
}

# browser_start NAME TOOL...: BUILD from UCT_BUILD_DIR; every TOOL present,
# or the test fails naming the one missing and what installs it; work, a
# new directory /tmp/uct-NAME.XXXXXX removed when the script exits.
browser_start() {
	local name=$1 tool
	shift
	BUILD=${UCT_BUILD_DIR:?UCT_BUILD_DIR must point at the build directory}
	for tool in "$@"; do
		if ! command -v "$tool" >/dev/null; then
			echo "not ok - $tool is missing (tools/dev.sh deps installs it)"
			echo "0 passed, 1 failed"
			exit 1
		fi
	done
	work=$(mktemp -d "/tmp/uct-$name.XXXXXX")
	trap 'rm -rf "$work"' EXIT
}

# browser_with_hosts LINES SCRIPT ARG...: runs the Python SCRIPT with ARGs
# in a private mount namespace whose /etc/hosts is this machine's plus
# LINES (one "address names" entry a line). Browsers cannot be sent to
# another port, only to another address; this way they, and the agent,
# resolve the lab's names as on a real PC, with no test-only option, and
# nothing outside the test sees the change.
browser_with_hosts() {
	local lines=$1
	shift
	{
		cat /etc/hosts
		printf '%s\n' "$lines"
	} >"$work/hosts"
	unshare --mount --propagation private -- bash -c '
		if ! mount --bind "$1" /etc/hosts; then
			echo "not ok - cannot give the browsers their own /etc/hosts (unshare/mount)"
			echo "0 passed, 1 failed"
			exit 1
		fi
		shift
		exec /usr/bin/python3 "$@"' _ "$work/hosts" "$@"
}
