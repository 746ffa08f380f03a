/*
 * db_pg.c: the collector's PostgreSQL store (libpq), for several collector
 * instances behind a load balancer sharing one database. A write connection
 * owned by the writer thread, a read connection shared by the HTTP threads
 * under a mutex; every value travels as a PQexecParams parameter.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db_backend.h"

/* pg_advisory_xact_lock key serialising schema migrations of instances that
 * start together ("uct-col" in ASCII). */
#define PG_MIGRATE_LOCK "8463118278192492"
#define PG_BATCH_TRIES 3

struct pg_db {
	struct col_db base; /* first: db.c dispatches through it */
	PGconn *wr, *rd, *adm;
	pthread_mutex_t rd_lock, adm_lock;
	enum col_sync sync;
};

/* The SQLSTATE of this thread's last failure, for the writer's retries. */
static _Thread_local char pg_last_state[6];

/* libpq's messages end with a newline; the first error wins as usual. */
static int pg_fail(PGconn *conn, const PGresult *res, const char *what, struct col_err *err)
{
	const char *msg = res != NULL ? PQresultErrorMessage(res) : "";
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	snprintf(pg_last_state, sizeof(pg_last_state), "%s", state ? state : "");

	if (msg[0] == '\0')
		msg = conn != NULL ? PQerrorMessage(conn) : "out of memory";
	col_err_set(err, COL_REJ_STORAGE, "%s: %.*s", what, (int)strcspn(msg, "\n"), msg);
	return -1;
}

/* Runs a statement without parameters (constant SQL only). */
static int pg_exec(PGconn *conn, const char *sql, struct col_err *err)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);
	int rc = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = pg_fail(conn, res, sql, err);
	PQclear(res);
	return rc;
}

/* Leaves a failed transaction; errors are moot, the connection may be gone. */
static void pg_rollback(PGconn *conn)
{
	PQclear(PQexec(conn, "ROLLBACK"));
}

/* Text parameters: ints are printed into slots owned by the list. */
#define PG_PARAMS_MAX 12
struct pg_params {
	int n;
	const char *v[PG_PARAMS_MAX];
	char num[PG_PARAMS_MAX][24];
	char ref[PG_PARAMS_MAX][16]; /* "$1" ... */
};

static const char *pg_param_text(struct pg_params *p, const char *v)
{
	p->v[p->n] = v;
	snprintf(p->ref[p->n], sizeof(p->ref[0]), "$%d", p->n + 1);
	return p->ref[p->n++];
}

static const char *pg_param_int(struct pg_params *p, int64_t v)
{
	snprintf(p->num[p->n], sizeof(p->num[0]), "%lld", (long long)v);
	return pg_param_text(p, p->num[p->n]);
}

static PGresult *pg_query(PGconn *conn, const char *sql, const struct pg_params *p)
{
	return PQexecParams(conn, sql, p->n, NULL, p->v, NULL, NULL, 0);
}

static int64_t pg_int(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static const char *pg_text(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/*
 * Migrations run in one transaction under an advisory lock, so that two
 * instances starting against an empty database do not both create the
 * tables, and a crash leaves the previous version (DDL is transactional).
 */
static int pg_migrate(PGconn *conn, struct col_err *err)
{
	PGresult *res = NULL;
	int version;

	if (pg_exec(conn, "BEGIN", err) < 0)
		return -1;
	if (pg_exec(conn, "SELECT pg_advisory_xact_lock(" PG_MIGRATE_LOCK ")", err) < 0 ||
	    pg_exec(conn, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
		    err) < 0)
		goto err;
	res = PQexec(conn, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pg_fail(conn, res, "schema version", err);
		goto err;
	}
	version = (int)pg_int(res, 0, 0);
	PQclear(res);
	res = NULL;
	if (version > COL_PG_SCHEMA_VERSION) {
		col_err_set(err, COL_REJ_STORAGE,
			    "database schema version %d is newer than this collector's (%d)",
			    version, COL_PG_SCHEMA_VERSION);
		goto err;
	}
	for (; version < COL_PG_SCHEMA_VERSION; version++)
		if (pg_exec(conn, col_pg_migrations[version], err) < 0)
			goto err;
	return pg_exec(conn, "COMMIT", err);
err:
	PQclear(res);
	pg_rollback(conn);
	return -1;
}

/*
 * The URL's own settings win over the defaults placed before it; the
 * client encoding comes after it because reports are UTF-8 text (jansson
 * has checked them) and must be stored unchanged.
 */
static int pg_connect(const char *url, PGconn **out, struct col_err *err)
{
	static const char *const keys[] = {"connect_timeout", "application_name", "dbname",
					   "client_encoding", NULL};
	const char *values[] = {"10", "uccx-trust-collector", url, "UTF8", NULL};
	PGconn *conn = PQconnectdbParams(keys, values, 1);

	*out = NULL;
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		pg_fail(conn, NULL, "cannot connect", err);
		PQfinish(conn);
		return -1;
	}
	*out = conn;
	return 0;
}

/* A connection lost to a server restart or a failover is tried once more. */
static int pg_ready(PGconn *conn, struct col_err *err)
{
	if (PQstatus(conn) == CONNECTION_OK)
		return 0;
	PQreset(conn);
	if (PQstatus(conn) != CONNECTION_OK)
		return pg_fail(conn, NULL, "reconnect", err);
	return 0;
}

/*
 * The first statement of a read: an idle connection whose server restarted
 * still looks fine until used, so a failure that leaves it dead is retried
 * once on a new connection (reads can be repeated safely).
 */
static PGresult *pg_first(PGconn *conn, const char *sql, const struct pg_params *p)
{
	PGresult *res = PQexecParams(conn, sql, p ? p->n : 0, NULL, p ? p->v : NULL, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK || PQstatus(conn) == CONNECTION_OK)
		return res;
	PQclear(res);
	PQreset(conn);
	return PQexecParams(conn, sql, p ? p->n : 0, NULL, p ? p->v : NULL, NULL, NULL, 0);
}

static void pg_close(struct col_db *base)
{
	struct pg_db *db = (struct pg_db *)base;

	if (db == NULL)
		return;
	PQfinish(db->adm);
	PQfinish(db->rd);
	PQfinish(db->wr);
	pthread_mutex_destroy(&db->adm_lock);
	pthread_mutex_destroy(&db->rd_lock);
	free(db);
}

static int pg_open(const char *url, enum col_sync sync, struct col_db **out, struct col_err *err)
{
	struct pg_db *db;

	*out = NULL;
	db = col_db_zalloc(sizeof(*db), err);
	if (db == NULL)
		return -1;
	pthread_mutex_init(&db->rd_lock, NULL);
	pthread_mutex_init(&db->adm_lock, NULL);
	db->sync = sync;
	if (pg_connect(url, &db->wr, err) < 0 || pg_migrate(db->wr, err) < 0 ||
	    pg_connect(url, &db->rd, err) < 0 || pg_connect(url, &db->adm, err) < 0)
		goto err;
	*out = &db->base;
	return 0;
err:
	pg_close(&db->base);
	return -1;
}

/* ---- writes ---- */

/* Runs a parameterised write; *rows is the number of rows it touched. */
static int pg_write(PGconn *conn, const char *sql, const struct pg_params *p, int *rows,
		    const char *what, struct col_err *err)
{
	PGresult *res = pg_query(conn, sql, p);
	int rc = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = pg_fail(conn, res, what, err);
	else if (rows != NULL)
		*rows = atoi(PQcmdTuples(res));
	PQclear(res);
	return rc;
}

static int pg_insert_endpoints(PGconn *conn, const struct col_report *r, struct col_err *err)
{
	struct pg_params p = {0};
	size_t i;

	pg_param_text(&p, r->host_name);
	if (pg_write(conn, "DELETE FROM host_endpoints WHERE host = $1", &p, NULL,
		     "delete endpoints", err) < 0)
		return -1;
	for (i = 0; i < r->n_endpoints; i++) {
		const struct col_endpoint *ep = &r->endpoints[i];
		int has_cert = ep->sha256[0] != '\0';

		memset(&p, 0, sizeof(p));
		pg_param_text(&p, r->host_name);
		pg_param_text(&p, ep->url);
		pg_param_text(&p, has_cert ? ep->sha256 : NULL);
		if (has_cert)
			pg_param_int(&p, ep->not_after);
		else
			pg_param_text(&p, NULL);
		pg_param_text(&p, ep->verdict);
		/* A URL listed twice in one report: the last wins, as in SQLite. */
		if (pg_write(conn,
			     "INSERT INTO host_endpoints (host, url, sha256, not_after, verdict)"
			     " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (host, url) DO UPDATE SET"
			     " sha256 = excluded.sha256, not_after = excluded.not_after,"
			     " verdict = excluded.verdict",
			     &p, NULL, "insert endpoint", err) < 0)
			return -1;
	}
	return 0;
}

static int pg_insert_one(PGconn *conn, const struct col_report *r, int *dup, int64_t now,
			 struct col_err *err)
{
	struct pg_params p = {0};
	int rows;

	pg_param_text(&p, r->report_id);
	pg_param_text(&p, r->host_name);
	pg_param_int(&p, now);
	pg_param_int(&p, r->time);
	pg_param_text(&p, r->body);
	/* Another instance may hold the same id in an open transaction: the
	 * insert then waits for it and finds the conflict after its COMMIT. */
	if (pg_write(conn,
		     "INSERT INTO reports (id, host, received_at, report_time, body)"
		     " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
		     &p, &rows, "insert report", err) < 0)
		return -1;
	*dup = rows == 0;
	if (*dup || r->state_only)
		return 0;

	memset(&p, 0, sizeof(p));
	pg_param_text(&p, r->host_name);
	pg_param_text(&p, r->report_id);
	pg_param_int(&p, r->time);
	pg_param_int(&p, now);
	pg_param_text(&p, r->agent_version);
	pg_param_text(&p, r->problem ? "problem" : "trusted");
	pg_param_int(&p, (int64_t)r->n_endpoints);
	pg_param_int(&p, (int64_t)r->n_problem_endpoints);
	if (r->next_expiry > 0)
		pg_param_int(&p, r->next_expiry);
	else
		pg_param_text(&p, NULL);
	/*
	 * The report received last is the host's state, unless it says it is
	 * older than the shown one by more than the allowed skew (spooled while
	 * offline, delivered late). Times were clamped on the way in, so a
	 * report from the future holds its host for the skew at most. When two
	 * instances race on one host, the second upsert waits on the row lock
	 * and then evaluates the WHERE against the committed row.
	 */
	if (pg_write(
		    conn,
		    "INSERT INTO hosts (name, report_id, report_time, received_at, agent_version,"
		    " state, endpoints, problem_endpoints, next_expiry)"
		    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
		    " ON CONFLICT (name) DO UPDATE SET report_id = excluded.report_id,"
		    " report_time = excluded.report_time, received_at = excluded.received_at,"
		    " agent_version = excluded.agent_version, state = excluded.state,"
		    " endpoints = excluded.endpoints, problem_endpoints = excluded.problem_endpoints,"
		    " next_expiry = excluded.next_expiry"
		    " WHERE excluded.report_time >= hosts.report_time - " COL_STR(COL_TIME_SKEW),
		    &p, &rows, "update host", err) < 0)
		return -1;
	if (rows == 0)
		return 0; /* an older report: kept, but not the host's state */
	/* The host row stays locked until COMMIT, so no other instance writes
	 * this host's endpoints in between. */
	return pg_insert_endpoints(conn, r, err);
}

struct pg_order {
	const struct col_report *r;
	size_t i;
};

static int pg_order_cmp(const void *a, const void *b)
{
	const struct pg_order *x = a, *y = b;
	int c = strcmp(x->r->host_name, y->r->host_name);

	if (c == 0)
		c = strcmp(x->r->report_id, y->r->report_id);
	if (c == 0)
		c = x->i < y->i ? -1 : x->i > y->i;
	return c;
}

/*
 * Worth another try: a deadlock or serialisation failure (the server rolled
 * the transaction back), or a connection found dead at BEGIN (nothing was
 * sent; the server restarted or failed over while we were idle). A
 * connection lost later, at COMMIT above all, leaves the outcome unknown:
 * that batch fails with 503, and the agents' retries are answered
 * "duplicate" for what had been stored after all.
 */
static int pg_retryable(PGconn *conn, int begun)
{
	if (PQstatus(conn) != CONNECTION_OK)
		return !begun;
	pg_rollback(conn);
	return strcmp(pg_last_state, "40P01") == 0 || strcmp(pg_last_state, "40001") == 0;
}

static int pg_insert_batch(struct col_db *base, struct col_report *const *reports, size_t n,
			   int *dup, int64_t received_at, struct col_err *err)
{
	struct pg_db *db = (struct pg_db *)base;
	struct pg_order *order;
	struct col_err try_err = {0};
	size_t i;
	int tries, begun;

	order = calloc(n ? n : 1, sizeof(*order));
	if (order == NULL) {
		col_err_set(err, COL_REJ_STORAGE, "out of memory");
		return -1;
	}
	/*
	 * Rows are locked in (host, report id) order, the same in every
	 * instance, so two batches sharing hosts wait for each other instead
	 * of deadlocking. Two reports with one id in a batch: the first in
	 * arrival order is stored, the second is the duplicate.
	 */
	for (i = 0; i < n; i++)
		order[i] = (struct pg_order){.r = reports[i], .i = i};
	qsort(order, n, sizeof(*order), pg_order_cmp);
	for (tries = 0; tries < PG_BATCH_TRIES; tries++) {
		memset(&try_err, 0, sizeof(try_err));
		begun = 0;
		if (pg_ready(db->wr, &try_err) < 0)
			break;
		if (pg_exec(db->wr, "BEGIN", &try_err) < 0)
			goto retry;
		begun = 1;
		/*
		 * full keeps the server's synchronous_commit (on by default:
		 * COMMIT returns once the WAL is flushed, on replicas too if so
		 * configured); normal turns it off for these transactions: a
		 * crash of the database server may lose the last commits, a
		 * killed collector never.
		 */
		if (db->sync == COL_SYNC_NORMAL &&
		    pg_exec(db->wr, "SET LOCAL synchronous_commit = off", &try_err) < 0)
			goto retry;
		for (i = 0; i < n; i++)
			if (pg_insert_one(db->wr, order[i].r, &dup[order[i].i], received_at,
					  &try_err) < 0)
				goto retry;
		/* Only a returned COMMIT lets the writer answer 202. */
		if (pg_exec(db->wr, "COMMIT", &try_err) == 0) {
			free(order);
			return 0;
		}
	retry:
		if (!pg_retryable(db->wr, begun))
			break;
	}
	free(order);
	col_err_set(err, COL_REJ_STORAGE, "%s", try_err.msg);
	return -1;
}

/* ---- queries ---- */

#define PG_HOST_COLUMNS                                                               \
	"name, state, report_id, report_time, received_at, agent_version, endpoints," \
	" problem_endpoints, next_expiry"

static json_t *pg_host_row(const PGresult *res, int row)
{
	struct col_db_host_row h = {
		.name = pg_text(res, row, 0),
		.state = pg_text(res, row, 1),
		.report_id = pg_text(res, row, 2),
		.report_time = pg_int(res, row, 3),
		.received_at = pg_int(res, row, 4),
		.agent_version = pg_text(res, row, 5),
		.endpoints = pg_int(res, row, 6),
		.problem_endpoints = pg_int(res, row, 7),
		.next_expiry = pg_int(res, row, 8), /* NULL reads as 0 */
	};

	return col_db_host_row_json(&h);
}

/* The WHERE clause of a host query, its parameters appended to p. */
static void pg_where(const struct col_host_query *q, struct pg_params *p, char *buf, size_t len)
{
	size_t o = (size_t)snprintf(buf, len, " WHERE TRUE");

	if (q->state && o < len)
		o += (size_t)snprintf(buf + o, len - o, " AND state = %s",
				      pg_param_text(p, q->state));
	if (q->expiring_before && o < len)
		o += (size_t)snprintf(buf + o, len - o, " AND next_expiry <= %s",
				      pg_param_int(p, q->expiring_before));
	if (q->endpoint && o < len)
		snprintf(buf + o, len - o,
			 " AND name IN (SELECT host FROM host_endpoints WHERE url = %s)",
			 pg_param_text(p, q->endpoint));
}

static int pg_hosts_json(struct col_db *base, const struct col_host_query *q, int64_t now,
			 char **out, struct col_err *err)
{
	struct pg_db *db = (struct pg_db *)base;
	struct pg_params p = {0};
	char where[256], sql[768];
	PGresult *res = NULL;
	json_t *hosts = json_array();
	int64_t total;
	int i, rows;

	(void)now;
	*out = NULL;
	pg_where(q, &p, where, sizeof(where));
	pthread_mutex_lock(&db->rd_lock);
	/* One snapshot for the count and the page, as in SQLite. */
	if (pg_ready(db->rd, err) < 0)
		goto fail;
	res = pg_first(db->rd, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		pg_fail(db->rd, res, "hosts query", err);
		PQclear(res);
		goto fail;
	}
	PQclear(res);
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM hosts%s", where);
	res = pg_query(db->rd, sql, &p);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		goto err;
	total = pg_int(res, 0, 0);
	PQclear(res);

	if (q->problems_first) {
		const char *lim = pg_param_int(&p, (int64_t)q->limit + 1);
		const char *off = pg_param_int(&p, (int64_t)q->offset);
		snprintf(sql, sizeof(sql),
			 "SELECT " PG_HOST_COLUMNS
			 " FROM hosts%s ORDER BY state, name LIMIT %s OFFSET %s",
			 where, lim, off);
	} else {
		char after[32] = "";
		const char *lim;
		if (q->after)
			snprintf(after, sizeof(after), " AND name > %s",
				 pg_param_text(&p, q->after));
		lim = pg_param_int(&p, (int64_t)q->limit + 1);
		snprintf(sql, sizeof(sql),
			 "SELECT " PG_HOST_COLUMNS " FROM hosts%s%s ORDER BY name LIMIT %s", where,
			 after, lim);
	}
	res = pg_query(db->rd, sql, &p);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		goto err;
	rows = PQntuples(res);
	for (i = 0; i < rows && (size_t)i < q->limit; i++)
		json_array_append_new(hosts, pg_host_row(res, i));
	PQclear(res);
	pg_exec(db->rd, "COMMIT", err);
	pthread_mutex_unlock(&db->rd_lock);
	return col_db_hosts_page_json(total, hosts, (size_t)rows > q->limit, q, out, err);
err:
	pg_fail(db->rd, res, "hosts query", err);
	PQclear(res);
	pg_rollback(db->rd);
fail:
	pthread_mutex_unlock(&db->rd_lock);
	json_decref(hosts);
	return -1;
}

static int pg_host_json(struct col_db *base, const char *name, char **out, struct col_err *err)
{
	struct pg_db *db = (struct pg_db *)base;
	struct pg_params p = {0};
	PGresult *res = NULL;
	json_t *root, *report;
	const char *body;

	*out = NULL;
	pg_param_text(&p, name);
	pthread_mutex_lock(&db->rd_lock);
	if (pg_ready(db->rd, err) < 0)
		goto fail;
	res = pg_first(db->rd,
		       "SELECT " PG_HOST_COLUMNS ", (SELECT body FROM reports WHERE id = report_id)"
		       " FROM hosts WHERE name = $1",
		       &p);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pg_fail(db->rd, res, "host query", err);
		PQclear(res);
		goto fail;
	}
	pthread_mutex_unlock(&db->rd_lock);
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	root = json_object();
	json_object_set_new(root, "host", pg_host_row(res, 0));
	body = pg_text(res, 0, 9);
	report = body != NULL ? json_loads(body, 0, NULL) : NULL;
	json_object_set_new(root, "report", report ? report : json_null());
	PQclear(res);
	return col_db_dump(root, out, err);
fail:
	pthread_mutex_unlock(&db->rd_lock);
	return -1;
}

static int pg_endpoints_json(struct col_db *base, const struct col_endpoint_query *q, char **out,
			     struct col_err *err)
{
	struct pg_db *db = (struct pg_db *)base;
	struct pg_params p = {0};
	PGresult *res = NULL;
	json_t *list = json_array();
	const char *url, *last = NULL;
	int64_t total;
	size_t urls = 0;
	int i, more = 0;

	*out = NULL;
	pg_param_text(&p, q->after != NULL ? q->after : "");
	pg_param_int(&p, (int64_t)q->limit + 1);
	pthread_mutex_lock(&db->rd_lock);
	/* One snapshot for the count and the page, as in SQLite. */
	if (pg_ready(db->rd, err) < 0)
		goto fail;
	res = pg_first(db->rd, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		goto err;
	PQclear(res);
	res = PQexec(db->rd, COL_DB_ENDPOINTS_COUNT_SQL);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		goto err;
	total = pg_int(res, 0, 0);
	PQclear(res);
	/* The page is cut in SQL: the result holds limit + 1 URLs at most. */
	res = pg_query(db->rd, COL_DB_ENDPOINTS_SQL("$1", "$2"), &p);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		goto err;
	pg_exec(db->rd, "COMMIT", err);
	pthread_mutex_unlock(&db->rd_lock);
	for (i = 0; i < PQntuples(res); i++) {
		url = pg_text(res, i, 0);
		if (last == NULL || strcmp(last, url) != 0) {
			if (urls == q->limit) {
				more = 1;
				break;
			}
			urls++;
		}
		last = url;
		if (col_db_endpoints_add(list, url, pg_text(res, i, 1), pg_int(res, i, 2),
					 pg_int(res, i, 3), pg_int(res, i, 4), pg_int(res, i, 5),
					 pg_int(res, i, 6)) < 0) {
			col_err_set(err, COL_REJ_STORAGE, "out of memory");
			PQclear(res);
			json_decref(list);
			return -1;
		}
	}
	PQclear(res);
	return col_db_endpoints_finish(list, total, more, q, out, err);
err:
	pg_fail(db->rd, res, "endpoints query", err);
	PQclear(res);
	pg_rollback(db->rd);
fail:
	pthread_mutex_unlock(&db->rd_lock);
	json_decref(list);
	return -1;
}

static int pg_stats(struct col_db *base, struct col_db_stats *s, struct col_err *err)
{
	struct pg_db *db = (struct pg_db *)base;
	PGresult *res;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	pthread_mutex_lock(&db->rd_lock);
	if (pg_ready(db->rd, err) < 0) {
		pthread_mutex_unlock(&db->rd_lock);
		return -1;
	}
	/* One statement: one snapshot for the five gauges. */
	res = pg_first(
		db->rd,
		"SELECT (SELECT COUNT(*) FROM reports), (SELECT COUNT(*) FROM hosts),"
		" (SELECT COUNT(*) FROM hosts WHERE state = 'problem'),"
		" (SELECT COUNT(DISTINCT url) FROM host_endpoints),"
		" (SELECT COUNT(*) FROM (SELECT url FROM host_endpoints WHERE sha256 IS NOT NULL"
		"  GROUP BY url HAVING COUNT(DISTINCT sha256) > 1) AS several)",
		NULL);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		rc = pg_fail(db->rd, res, "statistics", err);
	} else {
		s->reports = pg_int(res, 0, 0);
		s->hosts = pg_int(res, 0, 1);
		s->problem_hosts = pg_int(res, 0, 2);
		s->endpoints = pg_int(res, 0, 3);
		s->multi_fp_endpoints = pg_int(res, 0, 4);
	}
	pthread_mutex_unlock(&db->rd_lock);
	PQclear(res);
	return rc;
}

/* ---- the admin connection ---- */

static int pg_adm_begin(struct col_db *base, int write, struct col_err *err)
{
	struct pg_db *db = (struct pg_db *)base;
	PGresult *res;

	pthread_mutex_lock(&db->adm_lock);
	if (pg_ready(db->adm, err) < 0)
		goto fail;
	/* A read sees one snapshot: the serial and the approvals agree. */
	res = pg_first(db->adm, write ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
		       NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		pg_fail(db->adm, res, "admin query", err);
		PQclear(res);
		goto fail;
	}
	PQclear(res);
	return 0;
fail:
	pthread_mutex_unlock(&db->adm_lock);
	return -1;
}

static int pg_adm_end(struct col_db *base, int commit, struct col_err *err)
{
	struct pg_db *db = (struct pg_db *)base;
	int rc = 0;

	if (commit)
		rc = pg_exec(db->adm, "COMMIT", err);
	else
		pg_rollback(db->adm);
	pthread_mutex_unlock(&db->adm_lock);
	return rc;
}

static int pg_adm_query(struct col_db *base, const char *sql, const struct col_db_value *params,
			int n, col_db_row_cb cb, void *arg, struct col_err *err)
{
	struct pg_db *db = (struct pg_db *)base;
	struct pg_params p = {0};
	const char *cols[16];
	PGresult *res;
	int i, row, ncols, rc = 0;

	for (i = 0; i < n && i < PG_PARAMS_MAX; i++) {
		if (params[i].is_int)
			pg_param_int(&p, params[i].i);
		else
			pg_param_text(&p, params[i].s);
	}
	res = pg_query(db->adm, sql, &p);
	if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = pg_fail(db->adm, res, "admin query", err);
		PQclear(res);
		return rc;
	}
	ncols = PQnfields(res) < 16 ? PQnfields(res) : 16;
	for (row = 0; row < PQntuples(res) && rc == 0; row++) {
		for (i = 0; i < ncols; i++)
			cols[i] = pg_text(res, row, i);
		if (cb != NULL && cb(arg, ncols, cols) != 0) {
			col_err_set(err, COL_REJ_STORAGE, "out of memory reading approvals");
			rc = -1;
		}
	}
	PQclear(res);
	return rc;
}

const struct col_db_ops col_db_pg_ops = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.insert_batch = pg_insert_batch,
	.hosts_json = pg_hosts_json,
	.host_json = pg_host_json,
	.endpoints_json = pg_endpoints_json,
	.stats = pg_stats,
	.adm_begin = pg_adm_begin,
	.adm_end = pg_adm_end,
	.adm_query = pg_adm_query,
};
