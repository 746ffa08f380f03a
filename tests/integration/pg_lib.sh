# tests/integration/pg_lib.sh: a throwaway PostgreSQL cluster for the
# collector's tests: initdb into a temporary directory as an unprivileged
# user, served on 127.0.0.1 at a free port with password authentication.
# Sourced after lib.sh, not run. Exits 77 (skipped) when PostgreSQL's server
# binaries are not installed.

PG_BIN=
PG_DIR=
PG_USER=$(id -un)
PG_PORT=
PG_PASSWORD=

pg_find() {
	local d
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) \
		 "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")"; do
		if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
			PG_BIN=$d
			return 0
		fi
	done
	return 1
}

# The server refuses to run as root: root runs it as postgres (the Debian
# package's account) or, failing that, nobody.
pg_as() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi
}

pg_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# pg_start: initdb and start; sets PG_PORT, PG_PASSWORD. Bounded: pg_ctl -t.
pg_start() {
	local try
	if ! pg_find; then
		echo "# PostgreSQL server binaries not found: skipped"
		exit 77
	fi
	if [ "$(id -u)" -eq 0 ]; then
		PG_USER=nobody
		id -u postgres >/dev/null 2>&1 && PG_USER=postgres
	fi
	PG_DIR=$(mktemp -d /tmp/uct-pg.XXXXXX)
	chmod 700 "$PG_DIR"
	PG_PASSWORD=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
	printf '%s\n' "$PG_PASSWORD" >"$PG_DIR/pw"
	[ "$(id -u)" -eq 0 ] && chown -R "$PG_USER" "$PG_DIR"
	pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U uct --pwfile="$PG_DIR/pw" -E UTF8 \
		--locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 >"$PG_DIR/initdb.log" 2>&1 || {
		cat "$PG_DIR/initdb.log" >&2
		return 1
	}
	rm -f "$PG_DIR/pw"
	# A free port can be taken between the probe and the start: a few tries.
	for try in 1 2 3 4 5; do
		PG_PORT=$(pg_free_port)
		if pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
			-o "-k $PG_DIR -c listen_addresses=127.0.0.1 -p $PG_PORT" start >/dev/null 2>&1; then
			return 0
		fi
	done
	cat "$PG_DIR/server.log" >&2
	return 1
}

pg_stop() {
	[ -n "$PG_DIR" ] || return 0
	if [ -f "$PG_DIR/data/postmaster.pid" ]; then
		pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 20 stop >/dev/null 2>&1 ||
			pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
	fi
	rm -rf "$PG_DIR"
	PG_DIR=
}

# pg_sql DB SQL: runs SQL over the socket (trust for local connections).
pg_sql() {
	pg_as "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$PG_PORT" -U uct -d "$1" -c "$2"
}

# pg_url DB: the URL a collector is given, over TCP with the password.
pg_url() { echo "postgresql://uct:$PG_PASSWORD@127.0.0.1:$PG_PORT/$1"; }
