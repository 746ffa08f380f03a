/*
 * db_pg_schema.c: the PostgreSQL store's schema, one migration per version
 * (db_pg.c runs them under an advisory lock), the twin of db_sqlite.c's.
 */
#include "db_backend.h"

/*
 * Version 1, the SQLite schema's twin. The text keys use the "C" collation so
 * that ORDER BY name and the keyset "name > $after" follow bytes, as in
 * SQLite, whatever the database's locale: pages then match between stores.
 */
static const char pg_schema_v1[] =
	"CREATE TABLE reports ("
	"  id TEXT COLLATE \"C\" PRIMARY KEY,"
	"  host TEXT COLLATE \"C\" NOT NULL,"
	"  received_at BIGINT NOT NULL,"
	"  report_time BIGINT NOT NULL,"
	"  body TEXT NOT NULL);"
	"CREATE INDEX reports_host ON reports(host, report_time);"
	"CREATE TABLE hosts ("
	"  name TEXT COLLATE \"C\" PRIMARY KEY,"
	"  report_id TEXT COLLATE \"C\" NOT NULL,"
	"  report_time BIGINT NOT NULL,"
	"  received_at BIGINT NOT NULL,"
	"  agent_version TEXT NOT NULL,"
	"  state TEXT COLLATE \"C\" NOT NULL CHECK (state IN ('trusted', 'problem')),"
	"  endpoints INTEGER NOT NULL,"
	"  problem_endpoints INTEGER NOT NULL,"
	"  next_expiry BIGINT);"
	"CREATE INDEX hosts_state ON hosts(state, name);"
	"CREATE INDEX hosts_expiry ON hosts(next_expiry);"
	"CREATE TABLE host_endpoints ("
	"  host TEXT COLLATE \"C\" NOT NULL,"
	"  url TEXT COLLATE \"C\" NOT NULL,"
	"  sha256 TEXT COLLATE \"C\","
	"  not_after BIGINT,"
	"  verdict TEXT NOT NULL,"
	"  PRIMARY KEY (host, url));"
	"CREATE INDEX host_endpoints_url ON host_endpoints(url, sha256, not_after);"
	"INSERT INTO schema_version (version) VALUES (1);";

/* Version 2, as in SQLite: report times clamped to the receive time plus
 * COL_TIME_SKEW, so that a host frozen by a report from the future follows
 * its next report again. schema_version keeps one row. */
static const char pg_schema_v2[] =
	"UPDATE reports SET report_time = received_at + " COL_STR(COL_TIME_SKEW) "  WHERE report_time > received_at + " COL_STR(
		COL_TIME_SKEW) ";"
			       "UPDATE hosts SET report_time = received_at + " COL_STR(COL_TIME_SKEW) "  WHERE report_time > received_at + " COL_STR(
				       COL_TIME_SKEW) ";"
						      "UPDATE schema_version SET version = 2;";

/*
 * Version 3, as in SQLite: approvals (revoked, never deleted), the audit log
 * (append-only: the trigger refuses any change, removal or TRUNCATE,
 * whatever asks) and the trust serial that every instance sharing the
 * database increases under its row lock.
 */
static const char pg_schema_v3[] =
	"CREATE TABLE approvals ("
	"  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	"  kind TEXT NOT NULL CHECK (kind IN ('endpoint', 'host', 'ca')),"
	"  host TEXT COLLATE \"C\","
	"  port INTEGER,"
	"  sha256 TEXT COLLATE \"C\" NOT NULL,"
	"  ca_pem TEXT,"
	"  hosts TEXT,"
	"  note TEXT NOT NULL,"
	"  approved_by TEXT NOT NULL,"
	"  approved_at BIGINT NOT NULL,"
	"  revoked_at BIGINT,"
	"  revoked_by TEXT);"
	"CREATE TABLE audit ("
	"  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	"  at BIGINT NOT NULL,"
	"  action TEXT NOT NULL CHECK (action IN ('approve', 'revoke', 'auto-approve')),"
	"  approval_id BIGINT NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  detail TEXT NOT NULL);"
	"CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS"
	"  'BEGIN RAISE EXCEPTION ''the audit log is append-only''; END';"
	"CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit"
	"  FOR EACH ROW EXECUTE FUNCTION audit_append_only();"
	"CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit"
	"  FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();"
	"CREATE TABLE trust_serial (serial BIGINT NOT NULL);"
	"INSERT INTO trust_serial (serial) VALUES (0);"
	"UPDATE schema_version SET version = 3;";

/* Version 4, the SQLite schema's twin: what the collector's probe has seen,
 * and the approvals it made itself (the only ones it may revoke). */
static const char pg_schema_v4[] = "CREATE TABLE probe_seen ("
				   "  url TEXT COLLATE \"C\" NOT NULL,"
				   "  sha256 TEXT COLLATE \"C\" NOT NULL,"
				   "  host TEXT COLLATE \"C\" NOT NULL,"
				   "  port INTEGER NOT NULL,"
				   "  first_seen BIGINT NOT NULL,"
				   "  last_seen BIGINT NOT NULL,"
				   "  PRIMARY KEY (url, sha256));"
				   "CREATE INDEX probe_seen_sha256 ON probe_seen (sha256);"
				   "CREATE TABLE probe_approvals ("
				   "  approval_id BIGINT PRIMARY KEY REFERENCES approvals (id),"
				   "  host TEXT COLLATE \"C\" NOT NULL,"
				   "  port INTEGER NOT NULL);"
				   "UPDATE schema_version SET version = 4;";

/* Each migration, index i taking version i to i + 1. */
const char *const col_pg_migrations[COL_PG_SCHEMA_VERSION] = {pg_schema_v1, pg_schema_v2,
							      pg_schema_v3, pg_schema_v4};
