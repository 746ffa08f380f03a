/*
 * db_sqlite.c: the collector's SQLite store: one file in WAL mode, a write
 * connection owned by the writer thread and a read connection shared by the
 * HTTP threads under a mutex. Every statement binds its values.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "db_backend.h"

#define DB_SCHEMA_VERSION 4

struct sqlite_db {
	struct col_db base; /* first: db.c dispatches through it */
	sqlite3 *wr, *rd, *adm;
	pthread_mutex_t rd_lock, adm_lock;
	sqlite3_stmt *ins_report, *upsert_host, *del_eps, *ins_ep;
};

/* Version 1. hosts holds the latest report's summary per host name, and
 * host_endpoints that report's endpoints, so that the fleet views never
 * parse stored documents. */
static const char db_schema_v1[] =
	"CREATE TABLE reports ("
	"  id TEXT NOT NULL UNIQUE,"
	"  host TEXT NOT NULL,"
	"  received_at INTEGER NOT NULL,"
	"  report_time INTEGER NOT NULL,"
	"  body TEXT NOT NULL);"
	"CREATE INDEX reports_host ON reports(host, report_time);"
	"CREATE TABLE hosts ("
	"  name TEXT PRIMARY KEY,"
	"  report_id TEXT NOT NULL,"
	"  report_time INTEGER NOT NULL,"
	"  received_at INTEGER NOT NULL,"
	"  agent_version TEXT NOT NULL,"
	"  state TEXT NOT NULL CHECK (state IN ('trusted', 'problem')),"
	"  endpoints INTEGER NOT NULL,"
	"  problem_endpoints INTEGER NOT NULL,"
	"  next_expiry INTEGER);"
	"CREATE INDEX hosts_state ON hosts(state, name);"
	"CREATE INDEX hosts_expiry ON hosts(next_expiry);"
	"CREATE TABLE host_endpoints ("
	"  host TEXT NOT NULL,"
	"  url TEXT NOT NULL,"
	"  sha256 TEXT,"
	"  not_after INTEGER,"
	"  verdict TEXT NOT NULL,"
	"  PRIMARY KEY (host, url)) WITHOUT ROWID;"
	"CREATE INDEX host_endpoints_url ON host_endpoints(url, sha256, not_after);";

/*
 * Version 2: report times are clamped to the receive time plus
 * COL_TIME_SKEW. Rows stored before carry whatever time a report claimed
 * (a host frozen by a report dated 9999 among them): clamped here, so that
 * the host's next report wins again.
 */
static const char db_schema_v2[] =
	"UPDATE reports SET report_time = received_at + " COL_STR(COL_TIME_SKEW) "  WHERE report_time > received_at + " COL_STR(
		COL_TIME_SKEW) ";"
			       "UPDATE hosts SET report_time = received_at + " COL_STR(
				       COL_TIME_SKEW) "  WHERE report_time > received_at + " COL_STR(COL_TIME_SKEW) ";";

/*
 * Version 3: fleet-approved trust. approvals are revoked, never deleted;
 * audit is append-only (the triggers refuse any change or removal, whatever
 * asks); trust_serial holds the trust document's serial, one row. Written
 * to run again over its own tables: a database whose user_version was set
 * back (by hand, or a restore of the file without its version) keeps them.
 */
static const char db_schema_v3[] =
	"CREATE TABLE IF NOT EXISTS approvals ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  kind TEXT NOT NULL CHECK (kind IN ('endpoint', 'host', 'ca')),"
	"  host TEXT,"
	"  port INTEGER,"
	"  sha256 TEXT NOT NULL,"
	"  ca_pem TEXT,"
	"  hosts TEXT,"
	"  note TEXT NOT NULL,"
	"  approved_by TEXT NOT NULL,"
	"  approved_at INTEGER NOT NULL,"
	"  revoked_at INTEGER,"
	"  revoked_by TEXT);"
	"CREATE TABLE IF NOT EXISTS audit ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  at INTEGER NOT NULL,"
	"  action TEXT NOT NULL CHECK (action IN ('approve', 'revoke', 'auto-approve')),"
	"  approval_id INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  detail TEXT NOT NULL);"
	"CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit"
	"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	"CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit"
	"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	"CREATE TABLE IF NOT EXISTS trust_serial (serial INTEGER NOT NULL);"
	"INSERT INTO trust_serial (serial) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM trust_serial);";

/*
 * Version 4: the collector's own view. probe_seen holds each leaf the probe
 * has seen at a URL (and its HOST:PORT), with when it was first and last
 * seen; probe_approvals names the approvals the probe made itself, the only
 * ones it may revoke. Written to run again, as version 3.
 */
static const char db_schema_v4[] =
	"CREATE TABLE IF NOT EXISTS probe_seen ("
	"  url TEXT NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  host TEXT NOT NULL,"
	"  port INTEGER NOT NULL,"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  PRIMARY KEY (url, sha256));"
	"CREATE INDEX IF NOT EXISTS probe_seen_sha256 ON probe_seen (sha256);"
	"CREATE TABLE IF NOT EXISTS probe_approvals ("
	"  approval_id INTEGER PRIMARY KEY REFERENCES approvals (id),"
	"  host TEXT NOT NULL,"
	"  port INTEGER NOT NULL);";

/* Each migration, index i taking version i to i + 1. */
static const char *const db_migrations[DB_SCHEMA_VERSION] = {db_schema_v1, db_schema_v2,
							     db_schema_v3, db_schema_v4};

static int db_fail(sqlite3 *h, const char *what, struct col_err *err)
{
	col_err_set(err, COL_REJ_STORAGE, "%s: %s", what, h ? sqlite3_errmsg(h) : "out of memory");
	return -1;
}

static int db_exec(sqlite3 *h, const char *sql, struct col_err *err)
{
	char *msg = NULL;

	if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		col_err_set(err, COL_REJ_STORAGE, "%s", msg ? msg : "sqlite error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int db_user_version(sqlite3 *h, int *out, struct col_err *err)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return db_fail(h, "user_version", err);
	*out = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	return 0;
}

/* Migrations run in one transaction each, so a crash leaves the old version. */
static int db_migrate(sqlite3 *h, struct col_err *err)
{
	char sql[64];
	int version;

	if (db_user_version(h, &version, err) < 0)
		return -1;
	if (version > DB_SCHEMA_VERSION) {
		col_err_set(err, COL_REJ_STORAGE,
			    "database schema version %d is newer than this collector's (%d)",
			    version, DB_SCHEMA_VERSION);
		return -1;
	}
	for (; version < DB_SCHEMA_VERSION; version++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version + 1);
		if (db_exec(h, "BEGIN IMMEDIATE", err) < 0)
			return -1;
		if (db_exec(h, db_migrations[version], err) < 0 || db_exec(h, sql, err) < 0) {
			sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		if (db_exec(h, "COMMIT", err) < 0)
			return -1;
	}
	return 0;
}

static int db_connect(const char *path, sqlite3 **out, struct col_err *err)
{
	sqlite3 *h = NULL;

	if (sqlite3_open_v2(path, &h,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		db_fail(h, path, err);
		sqlite3_close(h);
		return -1;
	}
	sqlite3_busy_timeout(h, 10000);
	*out = h;
	return 0;
}

/*
 * The read connection (the fleet views, read only) and the admin one
 * (approvals: rare writes, each its own transaction) beside the writer's.
 */
static int db_connect_others(struct sqlite_db *db, const char *path, const char *sync_mode,
			     struct col_err *err)
{
	if (db_connect(path, &db->rd, err) < 0 ||
	    db_exec(db->rd, "PRAGMA query_only = ON", err) < 0 ||
	    db_connect(path, &db->adm, err) < 0 || db_exec(db->adm, sync_mode, err) < 0)
		return -1;
	return 0;
}

static void sqlite_close(struct col_db *base);

static int sqlite_open(const char *path, enum col_sync sync, struct col_db **out,
		       struct col_err *err)
{
	struct sqlite_db *db;
	const char *mode;

	*out = NULL;
	db = col_db_zalloc(sizeof(*db), err);
	if (db == NULL)
		return -1;
	pthread_mutex_init(&db->rd_lock, NULL);
	pthread_mutex_init(&db->adm_lock, NULL);
	if (db_connect(path, &db->wr, err) < 0)
		goto err;
	/*
	 * WAL: readers never block the writer. With synchronous=FULL each
	 * commit is fsync'ed before it returns, so a 202 survives power loss;
	 * NORMAL survives a killed process but not power loss. Group commit
	 * keeps FULL affordable: one fsync per batch.
	 */
	mode = sync == COL_SYNC_FULL ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL";
	if (db_exec(db->wr, "PRAGMA journal_mode = WAL", err) < 0 ||
	    db_exec(db->wr, mode, err) < 0 ||
	    db_exec(db->wr, "PRAGMA foreign_keys = ON", err) < 0 || db_migrate(db->wr, err) < 0)
		goto err;
	if (sqlite3_prepare_v2(
		    db->wr,
		    "INSERT OR IGNORE INTO reports (id, host, received_at, report_time, body)"
		    " VALUES (?1, ?2, ?3, ?4, ?5)",
		    -1, &db->ins_report, NULL) != SQLITE_OK ||
	    /* The report received last is the host's state, unless it says it
	     * is older than the shown one by more than the allowed skew: one
	     * spooled while offline and delivered late must not replace a newer
	     * one. Times are clamped on the way in (col_db_insert_batch), so no
	     * report holds its host past the skew by claiming a future time. */
	    sqlite3_prepare_v2(
		    db->wr,
		    "INSERT INTO hosts (name, report_id, report_time, received_at,"
		    " agent_version, state, endpoints, problem_endpoints, next_expiry)"
		    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
		    " ON CONFLICT(name) DO UPDATE SET report_id = excluded.report_id,"
		    " report_time = excluded.report_time, received_at = excluded.received_at,"
		    " agent_version = excluded.agent_version, state = excluded.state,"
		    " endpoints = excluded.endpoints,"
		    " problem_endpoints = excluded.problem_endpoints,"
		    " next_expiry = excluded.next_expiry"
		    " WHERE excluded.report_time >= hosts.report_time - " COL_STR(COL_TIME_SKEW),
		    -1, &db->upsert_host, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db->wr, "DELETE FROM host_endpoints WHERE host = ?1", -1,
			       &db->del_eps, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(
		    db->wr,
		    "INSERT OR REPLACE INTO host_endpoints (host, url, sha256, not_after, verdict)"
		    " VALUES (?1, ?2, ?3, ?4, ?5)",
		    -1, &db->ins_ep, NULL) != SQLITE_OK) {
		db_fail(db->wr, "prepare", err);
		goto err;
	}
	if (db_connect_others(db, path, mode, err) < 0)
		goto err;
	*out = &db->base;
	return 0;
err:
	sqlite_close(&db->base);
	return -1;
}

static void sqlite_close(struct col_db *base)
{
	struct sqlite_db *db = (struct sqlite_db *)base;

	if (db == NULL)
		return;
	sqlite3_finalize(db->ins_report);
	sqlite3_finalize(db->upsert_host);
	sqlite3_finalize(db->del_eps);
	sqlite3_finalize(db->ins_ep);
	sqlite3_close(db->adm);
	sqlite3_close(db->rd);
	sqlite3_close(db->wr);
	pthread_mutex_destroy(&db->adm_lock);
	pthread_mutex_destroy(&db->rd_lock);
	free(db);
}

static int db_step_done(sqlite3 *h, sqlite3_stmt *st, const char *what, struct col_err *err)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return db_fail(h, what, err);
	return 0;
}

static int db_insert_one(struct sqlite_db *db, const struct col_report *r, int *dup, int64_t now,
			 struct col_err *err)
{
	sqlite3_stmt *st = db->ins_report;
	size_t i;

	sqlite3_bind_text(st, 1, r->report_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->host_name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, r->time);
	sqlite3_bind_text(st, 5, r->body, (int)r->body_len, SQLITE_STATIC);
	if (db_step_done(db->wr, st, "insert report", err) < 0)
		return -1;
	*dup = sqlite3_changes(db->wr) == 0;
	if (*dup || r->state_only)
		return 0;

	st = db->upsert_host;
	sqlite3_bind_text(st, 1, r->host_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->report_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, r->time);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_text(st, 5, r->agent_version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, r->problem ? "problem" : "trusted", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, (int64_t)r->n_endpoints);
	sqlite3_bind_int64(st, 8, (int64_t)r->n_problem_endpoints);
	if (r->next_expiry > 0)
		sqlite3_bind_int64(st, 9, r->next_expiry);
	else
		sqlite3_bind_null(st, 9);
	if (db_step_done(db->wr, st, "update host", err) < 0)
		return -1;
	if (sqlite3_changes(db->wr) == 0)
		return 0; /* an older report: kept, but not the host's state */

	sqlite3_bind_text(db->del_eps, 1, r->host_name, -1, SQLITE_STATIC);
	if (db_step_done(db->wr, db->del_eps, "delete endpoints", err) < 0)
		return -1;
	for (i = 0; i < r->n_endpoints; i++) {
		const struct col_endpoint *ep = &r->endpoints[i];
		st = db->ins_ep;
		sqlite3_bind_text(st, 1, r->host_name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, ep->url, -1, SQLITE_STATIC);
		if (ep->sha256[0] != '\0') {
			sqlite3_bind_text(st, 3, ep->sha256, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 4, ep->not_after);
		} else {
			sqlite3_bind_null(st, 3);
			sqlite3_bind_null(st, 4);
		}
		sqlite3_bind_text(st, 5, ep->verdict, -1, SQLITE_STATIC);
		if (db_step_done(db->wr, st, "insert endpoint", err) < 0)
			return -1;
	}
	return 0;
}

static int sqlite_insert_batch(struct col_db *base, struct col_report *const *reports, size_t n,
			       int *dup, int64_t received_at, struct col_err *err)
{
	struct sqlite_db *db = (struct sqlite_db *)base;
	size_t i;

	if (db_exec(db->wr, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (db_insert_one(db, reports[i], &dup[i], received_at, err) < 0)
			goto err;
	/* Two reports of one batch with the same id: the second is a duplicate,
	 * which INSERT OR IGNORE already reported through changes(). */
	if (db_exec(db->wr, "COMMIT", err) < 0)
		goto err;
	return 0;
err:
	sqlite3_exec(db->wr, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* ---- queries ---- */

#define DB_HOST_COLUMNS                                                               \
	"name, state, report_id, report_time, received_at, agent_version, endpoints," \
	" problem_endpoints, next_expiry"

static json_t *db_host_row(sqlite3_stmt *st)
{
	struct col_db_host_row h = {
		.name = (const char *)sqlite3_column_text(st, 0),
		.state = (const char *)sqlite3_column_text(st, 1),
		.report_id = (const char *)sqlite3_column_text(st, 2),
		.report_time = sqlite3_column_int64(st, 3),
		.received_at = sqlite3_column_int64(st, 4),
		.agent_version = (const char *)sqlite3_column_text(st, 5),
		.endpoints = sqlite3_column_int64(st, 6),
		.problem_endpoints = sqlite3_column_int64(st, 7),
		.next_expiry = sqlite3_column_int64(st, 8), /* NULL reads as 0 */
	};

	return col_db_host_row_json(&h);
}

/* The WHERE clause for a host query; binds follow in db_bind_where. */
static void db_where(const struct col_host_query *q, char *buf, size_t len)
{
	snprintf(buf, len, " WHERE 1 = 1%s%s%s", q->state ? " AND state = :state" : "",
		 q->expiring_before ? " AND next_expiry <= :before" : "",
		 q->endpoint ? " AND name IN (SELECT host FROM host_endpoints WHERE url = :url)"
			     : "");
}

static void db_bind_where(sqlite3_stmt *st, const struct col_host_query *q)
{
	int i;

	if ((i = sqlite3_bind_parameter_index(st, ":state")) > 0)
		sqlite3_bind_text(st, i, q->state, -1, SQLITE_STATIC);
	if ((i = sqlite3_bind_parameter_index(st, ":before")) > 0)
		sqlite3_bind_int64(st, i, q->expiring_before);
	if ((i = sqlite3_bind_parameter_index(st, ":url")) > 0)
		sqlite3_bind_text(st, i, q->endpoint, -1, SQLITE_STATIC);
	if ((i = sqlite3_bind_parameter_index(st, ":after")) > 0)
		sqlite3_bind_text(st, i, q->after, -1, SQLITE_STATIC);
	if ((i = sqlite3_bind_parameter_index(st, ":limit")) > 0)
		sqlite3_bind_int64(st, i, (int64_t)q->limit + 1);
	if ((i = sqlite3_bind_parameter_index(st, ":offset")) > 0)
		sqlite3_bind_int64(st, i, (int64_t)q->offset);
}

static int sqlite_hosts_json(struct col_db *base, const struct col_host_query *q, int64_t now,
			     char **out, struct col_err *err)
{
	struct sqlite_db *db = (struct sqlite_db *)base;
	char where[256], sql[768];
	sqlite3_stmt *st = NULL;
	json_t *hosts = json_array();
	int64_t total;
	size_t n = 0;
	int rc;

	(void)now;
	*out = NULL;
	db_where(q, where, sizeof(where));
	pthread_mutex_lock(&db->rd_lock);
	/* One read transaction: the count and the page see the same snapshot. */
	sqlite3_exec(db->rd, "BEGIN", NULL, NULL, NULL);
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM hosts%s", where);
	if (sqlite3_prepare_v2(db->rd, sql, -1, &st, NULL) != SQLITE_OK)
		goto err;
	db_bind_where(st, q);
	if (sqlite3_step(st) != SQLITE_ROW)
		goto err;
	total = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;

	if (q->problems_first)
		snprintf(sql, sizeof(sql),
			 "SELECT " DB_HOST_COLUMNS " FROM hosts%s"
			 " ORDER BY state, name LIMIT :limit OFFSET :offset",
			 where);
	else
		snprintf(sql, sizeof(sql),
			 "SELECT " DB_HOST_COLUMNS " FROM hosts%s%s ORDER BY name LIMIT :limit",
			 where, q->after ? " AND name > :after" : "");
	if (sqlite3_prepare_v2(db->rd, sql, -1, &st, NULL) != SQLITE_OK)
		goto err;
	db_bind_where(st, q);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < q->limit) {
		json_array_append_new(hosts, db_host_row(st));
		n++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto err;
	sqlite3_finalize(st);
	sqlite3_exec(db->rd, "COMMIT", NULL, NULL, NULL);
	pthread_mutex_unlock(&db->rd_lock);
	return col_db_hosts_page_json(total, hosts, rc == SQLITE_ROW, q, out, err);
err:
	db_fail(db->rd, "hosts query", err);
	sqlite3_finalize(st);
	sqlite3_exec(db->rd, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_unlock(&db->rd_lock);
	json_decref(hosts);
	return -1;
}

static int sqlite_host_json(struct col_db *base, const char *name, char **out, struct col_err *err)
{
	struct sqlite_db *db = (struct sqlite_db *)base;
	sqlite3_stmt *st = NULL;
	json_t *root = NULL, *report;
	int rc;

	*out = NULL;
	pthread_mutex_lock(&db->rd_lock);
	if (sqlite3_prepare_v2(db->rd,
			       "SELECT " DB_HOST_COLUMNS
			       ", (SELECT body FROM reports WHERE id = report_id)"
			       " FROM hosts WHERE name = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		goto err;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(st);
		pthread_mutex_unlock(&db->rd_lock);
		return 0;
	}
	if (rc != SQLITE_ROW)
		goto err;
	root = json_object();
	json_object_set_new(root, "host", db_host_row(st));
	report = json_loads((const char *)sqlite3_column_text(st, 9), 0, NULL);
	json_object_set_new(root, "report", report ? report : json_null());
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db->rd_lock);
	return col_db_dump(root, out, err);
err:
	db_fail(db->rd, "host query", err);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db->rd_lock);
	return -1;
}

static int db_count(sqlite3 *h, const char *sql, int64_t *out)
{
	sqlite3_stmt *st;
	int rc = -1;

	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

static int sqlite_endpoints_json(struct col_db *base, const struct col_endpoint_query *q,
				 char **out, struct col_err *err)
{
	struct sqlite_db *db = (struct sqlite_db *)base;
	sqlite3_stmt *st = NULL;
	json_t *list = json_array();
	const char *url, *last = NULL;
	int64_t total = 0;
	size_t urls = 0;
	int rc, more = 0;

	*out = NULL;
	pthread_mutex_lock(&db->rd_lock);
	/* One read transaction: the count and the page see the same snapshot. */
	sqlite3_exec(db->rd, "BEGIN", NULL, NULL, NULL);
	if (db_count(db->rd, COL_DB_ENDPOINTS_COUNT_SQL, &total) < 0 ||
	    sqlite3_prepare_v2(db->rd, COL_DB_ENDPOINTS_SQL("?1", "?2"), -1, &st, NULL) !=
		    SQLITE_OK)
		goto err;
	sqlite3_bind_text(st, 1, q->after != NULL ? q->after : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)q->limit + 1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		url = (const char *)sqlite3_column_text(st, 0);
		if (last == NULL || strcmp(last, url) != 0) {
			if (urls == q->limit) {
				more = 1; /* the first row of the URL past the page */
				break;
			}
			urls++;
		}
		if (col_db_endpoints_add(list, url, (const char *)sqlite3_column_text(st, 1),
					 sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3),
					 sqlite3_column_int64(st, 4), sqlite3_column_int64(st, 5),
					 sqlite3_column_int64(st, 6)) < 0) {
			col_err_set(err, COL_REJ_STORAGE, "out of memory");
			goto fail;
		}
		/* Borrowed from the list: the column's text changes with the next step. */
		last = json_string_value(json_object_get(json_array_get(list,
									json_array_size(list) - 1),
							 "url"));
	}
	if (!more && rc != SQLITE_DONE)
		goto err;
	sqlite3_finalize(st);
	sqlite3_exec(db->rd, "COMMIT", NULL, NULL, NULL);
	pthread_mutex_unlock(&db->rd_lock);
	return col_db_endpoints_finish(list, total, more, q, out, err);
err:
	db_fail(db->rd, "endpoints query", err);
fail:
	sqlite3_finalize(st);
	sqlite3_exec(db->rd, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_unlock(&db->rd_lock);
	json_decref(list);
	return -1;
}

static int sqlite_stats(struct col_db *base, struct col_db_stats *s, struct col_err *err)
{
	struct sqlite_db *db = (struct sqlite_db *)base;
	int rc;

	memset(s, 0, sizeof(*s));
	pthread_mutex_lock(&db->rd_lock);
	sqlite3_exec(db->rd, "BEGIN", NULL, NULL, NULL);
	rc = db_count(db->rd, "SELECT COUNT(*) FROM reports", &s->reports) |
	     db_count(db->rd, "SELECT COUNT(*) FROM hosts", &s->hosts) |
	     db_count(db->rd, "SELECT COUNT(*) FROM hosts WHERE state = 'problem'",
		      &s->problem_hosts) |
	     db_count(db->rd, "SELECT COUNT(DISTINCT url) FROM host_endpoints", &s->endpoints) |
	     db_count(
		     db->rd,
		     "SELECT COUNT(*) FROM (SELECT url FROM host_endpoints WHERE sha256 IS NOT NULL"
		     " GROUP BY url HAVING COUNT(DISTINCT sha256) > 1)",
		     &s->multi_fp_endpoints);
	if (rc != 0)
		db_fail(db->rd, "statistics", err);
	sqlite3_exec(db->rd, "COMMIT", NULL, NULL, NULL);
	pthread_mutex_unlock(&db->rd_lock);
	return rc != 0 ? -1 : 0;
}

/* ---- the admin connection ---- */

static int sqlite_adm_begin(struct col_db *base, int write, struct col_err *err)
{
	struct sqlite_db *db = (struct sqlite_db *)base;

	pthread_mutex_lock(&db->adm_lock);
	if (db_exec(db->adm, write ? "BEGIN IMMEDIATE" : "BEGIN", err) < 0) {
		pthread_mutex_unlock(&db->adm_lock);
		return -1;
	}
	return 0;
}

static int sqlite_adm_end(struct col_db *base, int commit, struct col_err *err)
{
	struct sqlite_db *db = (struct sqlite_db *)base;
	int rc = 0;

	if (commit && db_exec(db->adm, "COMMIT", err) < 0)
		rc = -1;
	if (!commit || rc < 0)
		sqlite3_exec(db->adm, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_unlock(&db->adm_lock);
	return rc;
}

/* Parameters are named $1, $2 ... in the shared SQL: bound by name. */
static void sqlite_bind_values(sqlite3_stmt *st, const struct col_db_value *params, int n)
{
	char name[16];
	int i, at;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "$%d", i + 1);
		if ((at = sqlite3_bind_parameter_index(st, name)) == 0)
			continue;
		if (params[i].is_int)
			sqlite3_bind_int64(st, at, params[i].i);
		else if (params[i].s != NULL)
			sqlite3_bind_text(st, at, params[i].s, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, at);
	}
}

static int sqlite_adm_query(struct col_db *base, const char *sql, const struct col_db_value *params,
			    int n, col_db_row_cb cb, void *arg, struct col_err *err)
{
	struct sqlite_db *db = (struct sqlite_db *)base;
	const char *cols[16];
	sqlite3_stmt *st = NULL;
	int rc, i, ncols;

	if (sqlite3_prepare_v2(db->adm, sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(db->adm, "admin query", err);
	sqlite_bind_values(st, params, n);
	ncols = sqlite3_column_count(st);
	if (ncols > 16)
		ncols = 16;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < ncols; i++)
			cols[i] = (const char *)sqlite3_column_text(st, i);
		if (cb != NULL && cb(arg, ncols, cols) != 0) {
			col_err_set(err, COL_REJ_STORAGE, "out of memory reading approvals");
			sqlite3_finalize(st);
			return -1;
		}
	}
	if (rc != SQLITE_DONE) {
		db_fail(db->adm, "admin query", err);
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

const struct col_db_ops col_db_sqlite_ops = {
	.name = "sqlite",
	.open = sqlite_open,
	.close = sqlite_close,
	.insert_batch = sqlite_insert_batch,
	.hosts_json = sqlite_hosts_json,
	.host_json = sqlite_host_json,
	.endpoints_json = sqlite_endpoints_json,
	.stats = sqlite_stats,
	.adm_begin = sqlite_adm_begin,
	.adm_end = sqlite_adm_end,
	.adm_query = sqlite_adm_query,
};
