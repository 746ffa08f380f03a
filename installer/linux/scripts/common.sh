# common.sh: shell functions for the .deb and .rpm maintainer scripts
# (inlined into each by CMake, so a script stays one file).
UCT_CONF=/etc/uccx-trust/agent.ini

# True when the configuration lists at least one node, SocialMiner or URL.
uct_has_nodes() {
	[ -r "$UCT_CONF" ] && grep -Eq '^[[:space:]]*(nodes|socialminer|urls)[[:space:]]*=[[:space:]]*[^[:space:];#]' "$UCT_CONF"
}

# True when the administrator asked to keep the trust on uninstall.
uct_keep() {
	[ -r "$UCT_CONF" ] && grep -Eiq '^[[:space:]]*keep_on_uninstall[[:space:]]*=[[:space:]]*(yes|true|on|1)' "$UCT_CONF"
}

uct_systemd() {
	[ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1
}

# Take out what the machine scope installed (never user homes: each user's
# own run does that), unless the configuration says to keep it.
uct_remove_machine() {
	if uct_keep; then
		echo "uccx-trust: keep_on_uninstall = yes: machine-wide trust left in place" >&2
		return 0
	fi
	/usr/bin/uccx-trust remove --quiet --scope machine || \
		echo "uccx-trust: 'uccx-trust remove' failed; see 'uccx-trust status'" >&2
	return 0
}
