# collector-common.sh: shell functions for the collector package's
# maintainer scripts (inlined into each by CMake, so a script stays one file).
UCC_CONF=/etc/uccx-trust/collector.ini
UCC_USER=uccx-trust-collector
UCC_STATE=/var/lib/uccx-trust-collector

ucc_systemd() {
	[ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1
}

# The value of KEY in collector.ini's [collector] section (last one wins, as
# in the collector; values never hold ';' or '#').
ucc_ini() {
	[ -r "$UCC_CONF" ] || return 0
	sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\([^;#[:space:]]*\).*/\1/p" "$UCC_CONF" | tail -n 1
}

# Configured: both token files the configuration names exist and hold
# something. Until then the service is enabled but not started.
ucc_configured() {
	a=$(ucc_ini agent_token_file)
	b=$(ucc_ini admin_token_file)
	[ -n "$a" ] && [ -n "$b" ] && [ -s "$a" ] && [ -s "$b" ]
}
