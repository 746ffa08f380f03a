/*
 * db_backend.h: the contract between db.c, which picks a store from the
 * --db target, and the store backends (db_sqlite.c, db_pg.c), plus the JSON
 * builders they share so that every backend answers the API identically.
 */
#ifndef COL_DB_BACKEND_H
#define COL_DB_BACKEND_H

#include <jansson.h>

#include "col.h"

/* A statement parameter of the admin connection: an integer or a text (NULL: SQL NULL). */
struct col_db_value {
	int is_int;
	int64_t i;
	const char *s;
};
#define COL_DB_INT(v) ((struct col_db_value){.is_int = 1, .i = (v)})
#define COL_DB_TEXT(v) ((struct col_db_value){.s = (v)})

/*
 * Called for each row of an admin query with the columns as text (NULL for
 * SQL NULL, borrowed until it returns); non-zero stops with an error.
 */
typedef int (*col_db_row_cb)(void *arg, int ncols, const char *const *cols);

/*
 * One store implementation. Each function has the contract of the col_db_*
 * function of the same name in col.h; open receives the --db target as
 * given (a file path or a URL) and returns a struct that begins with
 * struct col_db.
 */
struct col_db_ops {
	const char *name; /* "sqlite", "postgresql" */
	int (*open)(const char *target, enum col_sync sync, struct col_db **out,
		    struct col_err *err);
	void (*close)(struct col_db *db); /* NULL-safe */
	int (*insert_batch)(struct col_db *db, struct col_report *const *reports, size_t n,
			    int *dup, int64_t received_at, struct col_err *err);
	int (*hosts_json)(struct col_db *db, const struct col_host_query *q, int64_t now,
			  char **out, struct col_err *err);
	int (*host_json)(struct col_db *db, const char *name, char **out, struct col_err *err);
	int (*endpoints_json)(struct col_db *db, const struct col_endpoint_query *q, char **out,
			      struct col_err *err);
	int (*stats)(struct col_db *db, struct col_db_stats *st, struct col_err *err);
	/*
	 * The admin connection (approvals, audit, the trust document): begin
	 * takes its lock and opens a transaction (write: one that takes the
	 * write lock at once; read: one snapshot), end commits (commit != 0,
	 * failing when the COMMIT does) or rolls back, and always unlocks.
	 * query runs one statement whose parameters are written $1, $2 ...
	 */
	int (*adm_begin)(struct col_db *db, int write, struct col_err *err);
	int (*adm_end)(struct col_db *db, int commit, struct col_err *err);
	int (*adm_query)(struct col_db *db, const char *sql, const struct col_db_value *params,
			 int n, col_db_row_cb cb, void *arg, struct col_err *err);
};

/* Every backend's handle starts with this, so db.c can dispatch. */
struct col_db {
	const struct col_db_ops *ops;
};

extern const struct col_db_ops col_db_sqlite_ops;
/* PostgreSQL's schema: col_pg_migrations[i] takes version i to i + 1 (db_pg_schema.c). */
#define COL_PG_SCHEMA_VERSION 4
extern const char *const col_pg_migrations[COL_PG_SCHEMA_VERSION];
extern const struct col_db_ops col_db_pg_ops;

/* A hosts row as both backends read it; next_expiry 0 means none (null). */
struct col_db_host_row {
	const char *name, *state, *report_id, *agent_version;
	int64_t report_time, received_at, endpoints, problem_endpoints, next_expiry;
};

/* The host object of the API (a new reference; NULL when out of memory). */
json_t *col_db_host_row_json(const struct col_db_host_row *h);

/*
 * Builds {"total", "next_after"|"next_offset", "limit", "hosts"} from the
 * page's host objects (hosts is stolen); more says a row past the page was
 * seen. *out is the caller's; -1 only when out of memory.
 */
int col_db_hosts_page_json(int64_t total, json_t *hosts, int more, const struct col_host_query *q,
			   char **out, struct col_err *err);

/*
 * The endpoints view is built from the rows of COL_DB_ENDPOINTS_SQL (one
 * per URL and fingerprint: the hosts without a certificate first, as
 * sha256 NULL, then at most COL_ENDPOINT_FPS_SHOWN fingerprints by hosts;
 * url_hosts and url_fps count all of the URL's hosts and fingerprints;
 * probe is 1 when the collector's probe has seen that fingerprint there),
 * fed one by one, then finished into the page document (list is stolen;
 * *out is the caller's). more says a URL past the page was seen.
 */
int col_db_endpoints_add(json_t *list, const char *url, const char *sha256, int64_t hosts,
			 int64_t not_after, int64_t url_hosts, int64_t url_fps, int64_t probe);
int col_db_endpoints_finish(json_t *list, int64_t total, int more,
			    const struct col_endpoint_query *q, char **out, struct col_err *err);

/* The URLs of the view: those the agents report and those only the probe has seen. */
#define COL_DB_ENDPOINTS_COUNT_SQL \
	"SELECT COUNT(*) FROM (SELECT url FROM host_endpoints UNION SELECT url FROM probe_seen) AS u"

/*
 * The page's rows, for both stores: AFTER and LIMIT are the placeholders
 * of each dialect ("?1", "$1"). LIMIT is the page size plus one, so that a
 * row of one more URL tells there is another page. The fingerprints are
 * cut per URL in SQL so that neither store holds more than the page: a URL
 * seen with a different certificate by each of 10,000 hosts lists 50. The
 * probe's sightings join the hosts' rows counting no host (h = 0), so a
 * fingerprint only the probe has seen is listed with 0 hosts.
 */
#define COL_DB_ENDPOINTS_SQL(AFTER, LIMIT)                                                       \
	"SELECT url, sha256, hosts, not_after, url_hosts, url_fps, probe FROM ("                 \
	" SELECT url, sha256, SUM(h) AS hosts, MIN(not_after) AS not_after,"                     \
	"  ROW_NUMBER() OVER (PARTITION BY url ORDER BY (sha256 IS NULL) DESC, SUM(h) DESC,"     \
	"   sha256) AS rn,"                                                                      \
	"  SUM(SUM(h)) OVER (PARTITION BY url) AS url_hosts,"                                    \
	"  COUNT(sha256) OVER (PARTITION BY url) AS url_fps, MAX(p) AS probe"                    \
	" FROM (SELECT url, sha256, not_after, 1 AS h, 0 AS p FROM host_endpoints"               \
	"  UNION ALL SELECT url, sha256, NULL, 0, 1 FROM probe_seen) AS e"                       \
	" WHERE url IN (SELECT url FROM host_endpoints WHERE url > " AFTER                       \
	"  UNION SELECT url FROM probe_seen WHERE url > " AFTER " ORDER BY url LIMIT " LIMIT ")" \
	" GROUP BY url, sha256) AS g"                                                            \
	" WHERE rn <= " COL_STR(COL_ENDPOINT_FPS_SHOWN) " + 1 ORDER BY url, rn"

/* An approvals row, as both stores read it (SELECT COL_DB_APPROVAL_COLUMNS). */
#define COL_DB_APPROVAL_COLUMNS                                                        \
	"id, kind, host, port, sha256, ca_pem, hosts, note, approved_by, approved_at," \
	" revoked_at, revoked_by"

/* The approval object of the API from such a row (full: with who, when,
 * note and revocation; else as the trust document lists it). NULL when out of memory. */
/* A zeroed backend handle of size bytes; NULL with err set when out of memory. */
void *col_db_zalloc(size_t size, struct col_err *err);

json_t *col_db_approval_row_json(const char *const *cols, int full);

/*
 * Appends one audit entry (action, by who, with the approval as stored now)
 * and increases the trust serial, inside the admin transaction the caller
 * holds (approvals_db.c).
 */
int col_db_audit_append(struct col_db *db, const char *action, int64_t approval_id, const char *who,
			int64_t now, struct col_err *err);

/* Dumps root compactly into *out (root is stolen); -1 when out of memory. */
int col_db_dump(json_t *root, char **out, struct col_err *err);

#endif
