/*
 * col.h: the collector's internal interfaces: report validation, the store
 * (SQLite or PostgreSQL), the group-commit writer, configuration and the
 * HTTP front end.
 * Everything here is linked into the static core that the unit tests use.
 */
#ifndef COL_H
#define COL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "uct.h"

#define COL_VERSION "0.1.0"
#define COL_REPORT_SCHEMA 1
#define COL_MAX_ENDPOINTS 512
#define COL_FP_LEN 95 /* "AB:CD:..." for 32 bytes */
/*
 * How far ahead of the collector's clock a report's time may be (seconds).
 * Any PC can read the agent token, so a report's "time" is the sender's
 * word: it is clamped to the receive time plus this, and a report only
 * loses to the host's shown one when it claims to be older by more than
 * this. A report dated in the future can then hold a host's state for five
 * minutes at most, and a real clock skew between a PC and the collector is
 * still taken as it is.
 */
#define COL_TIME_SKEW 300
#define COL_STR_(x) #x
#define COL_STR(x) COL_STR_(x)

/* Why a request was turned away; each has a counter in /metrics. */
enum col_reject {
	COL_REJ_NONE = 0,
	COL_REJ_UNAUTHORIZED,
	COL_REJ_TOO_LARGE,
	COL_REJ_MALFORMED_JSON,
	COL_REJ_INVALID_REPORT,
	COL_REJ_STORAGE,
	COL_REJ_CONFIG, /* not a request outcome: start-up errors */
	COL_REJ_COUNT
};
const char *col_reject_name(enum col_reject r);

/* The first error wins; msg is for a person (and for 400 answers). */
struct col_err {
	enum col_reject reason;
	char msg[256];
};
void col_err_set(struct col_err *err, enum col_reject reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- report.c: one validated agent report ---- */

struct col_endpoint {
	char *url;
	char *verdict;               /* the agent's verdict name, "trusted" or another */
	char sha256[COL_FP_LEN + 1]; /* "" when no certificate was fetched */
	int64_t not_after;           /* 0 when no certificate */
};

struct col_report {
	char report_id[37]; /* lower-case UUID text */
	char *host_name;
	char *agent_version;
	int64_t time; /* the agent's report time, seconds since 1970 */
	int problem;  /* 1 when an endpoint is not trusted or problems[] is not empty */
	size_t n_problem_endpoints;
	int64_t next_expiry; /* earliest certificate not_after, 0 when none */
	size_t n_endpoints;
	struct col_endpoint *endpoints;
	int state_only; /* "command": "status" (status --report): the agent's
				   record, not a run: stored, but the host's fleet
				   view keeps following its runs */
	char *body;     /* the document as received, NUL-terminated */
	size_t body_len;
};

/*
 * Parses and validates a report body (schema in docs/report-schema.md).
 * On success *out is the caller's (col_report_free); on failure returns -1
 * with err->reason COL_REJ_MALFORMED_JSON or COL_REJ_INVALID_REPORT and a
 * message naming the offending field.
 */
int col_report_parse(const char *body, size_t len, struct col_report **out, struct col_err *err);
void col_report_free(struct col_report *r); /* NULL-safe */

/* Parses "YYYY-MM-DDTHH:MM:SSZ"; -1 when it is not exactly that. */
int col_parse_time(const char *s, int64_t *out);
void col_format_time(int64_t t, char buf[32]);

/* ---- db.c: the store, SQLite (db_sqlite.c) or PostgreSQL (db_pg.c) ---- */

struct col_db;

enum col_sync { COL_SYNC_FULL, COL_SYNC_NORMAL };

/*
 * Opens the store named by target: a postgresql:// (or postgres://) URL as
 * libpq reads it, otherwise a SQLite file path. The schema is created or
 * migrated on open. *out is the caller's; -1 with err (COL_REJ_STORAGE) when
 * the database cannot be reached or its schema is newer than ours.
 */
int col_db_open(const char *target, enum col_sync sync, struct col_db **out, struct col_err *err);
void col_db_close(struct col_db *db); /* NULL-safe */
/* "sqlite" or "postgresql" (static). */
const char *col_db_backend_name(const struct col_db *db);
/* target for logs: a password in a URL is replaced by "***"; buf is truncated to len. */
void col_db_target_display(const char *target, char *buf, size_t len);

/*
 * Stores a batch of reports in one transaction. dup[i] is set to 1 for a
 * report whose report_id is already stored. Each report's time is first
 * clamped, in place, to received_at + COL_TIME_SKEW. A host's state becomes
 * the report received last, unless that report's time is more than
 * COL_TIME_SKEW older than the shown one's (a report spooled while offline,
 * delivered late). Returns 0 only after COMMIT returned; -1 (nothing
 * stored) otherwise.
 */
int col_db_insert_batch(struct col_db *db, struct col_report *const *reports, size_t n, int *dup,
			int64_t received_at, struct col_err *err);

struct col_host_query {
	const char *state;       /* "trusted", "problem" or NULL */
	const char *endpoint;    /* URL or NULL */
	int64_t expiring_before; /* 0: no filter */
	const char *after;       /* keyset pagination: names > after */
	int problems_first;      /* order problem hosts before the others */
	size_t offset;           /* with problems_first, plain offset paging */
	size_t limit;
	const char *link; /* the request's path and filters, escaped ("/api/v1/hosts?..."):
				     the answer's "next" is this plus the cursor; NULL: no link */
};

/* GET /api/v1/endpoints: URLs in byte order, a page at a time. */
#define COL_ENDPOINTS_LIMIT 100 /* default page */
#define COL_ENDPOINTS_LIMIT_MAX 500
#define COL_ENDPOINT_FPS_SHOWN 50 /* fingerprints listed per URL, most hosts first */
struct col_endpoint_query {
	const char *after; /* keyset pagination: URLs > after; NULL: from the first */
	size_t limit;
	const char *link; /* as in col_host_query */
};

/*
 * Appends s to buf (of size len, NUL-terminated) percent-encoded for a
 * query string: everything but unreserved characters. Returns 0, or -1
 * when it does not fit (buf is then left as it was).
 */
int col_url_append_escaped(char *buf, size_t len, const char *s);

/*
 * The three queries answer JSON text (malloc'd, the caller's) so the HTTP
 * layer never sees the database; both stores answer the same documents. -1 with err on a database error.
 */
int col_db_hosts_json(struct col_db *db, const struct col_host_query *q, int64_t now, char **out,
		      struct col_err *err);
/* 0 and *out NULL when the host is unknown. */
int col_db_host_json(struct col_db *db, const char *name, char **out, struct col_err *err);
int col_db_endpoints_json(struct col_db *db, const struct col_endpoint_query *q, char **out,
			  struct col_err *err);

struct col_db_stats {
	int64_t reports, hosts, problem_hosts, endpoints, multi_fp_endpoints;
};
int col_db_stats(struct col_db *db, struct col_db_stats *st, struct col_err *err);

/* ---- approvals (approvals.c, stored by both backends) ---- */

enum col_approval_kind {
	COL_APPROVAL_ENDPOINT, /* a fingerprint for HOST:PORT */
	COL_APPROVAL_HOST,     /* a fingerprint for every port of HOST */
	COL_APPROVAL_CA,       /* a CA certificate for a list of hosts */
};
#define COL_HOST_MAX 253
#define COL_CA_HOSTS_MAX 64
#define COL_NOTE_MAX 1000

/* An approval as the admin API receives it, validated (col_approval_parse). */
struct col_approval {
	enum col_approval_kind kind;
	char host[COL_HOST_MAX + 1]; /* ENDPOINT, HOST: lower case */
	unsigned port;               /* ENDPOINT only, else 0 */
	char sha256[COL_FP_LEN + 1]; /* "AB:CD:..."; of the CA certificate for CA */
	char *ca_pem;                /* CA: the certificate, PEM as OpenSSL writes it */
	char *hosts;                 /* CA: a JSON array of host names, compact */
	char *note;                  /* "" when none */
	int force;
};

/*
 * Reads a POST /api/v1/approvals body. *out is the caller's
 * (col_approval_free); -1 with err->msg naming the field and the fix.
 */
int col_approval_parse(const char *body, size_t len, struct col_approval **out,
		       struct col_err *err);
void col_approval_free(struct col_approval *a); /* NULL-safe */

/*
 * Splits an https URL as reports carry it into its host (lower case) and
 * port (443 when none). -1 when it is not such a URL.
 */
int col_url_host_port(const char *url, char host[COL_HOST_MAX + 1], unsigned *port);

/* How col_db_approval_revoke ended. */
enum col_revoke { COL_REVOKED, COL_REVOKE_UNKNOWN, COL_REVOKE_ALREADY };

/* How col_db_approval_add ended. */
enum col_approve {
	COL_APPROVED,       /* stored, audited, the serial increased */
	COL_APPROVE_UNSEEN, /* no report nor the probe saw it there, and no force: nothing stored */
	COL_APPROVE_DUPLICATE, /* an active approval says the same: nothing stored */
};

/*
 * Stores a, appends "approve" to the audit log and increases the trust
 * serial, in one transaction; who is the admin token's label. Nothing is
 * stored when a->force is 0 and neither a stored report nor the probe saw a->sha256 at that
 * endpoint (any port of the host for HOST), nor when an active approval
 * has the same kind, host, port, fingerprint and hosts. *id is the new
 * approval's id, or for a duplicate the existing one's.
 */
int col_db_approval_add(struct col_db *db, const struct col_approval *a, const char *who,
			int64_t now, enum col_approve *how, int64_t *id, struct col_err *err);
/* Marks approval id revoked, audited, the serial increased; *how says what happened. */
int col_db_approval_revoke(struct col_db *db, int64_t id, const char *who, int64_t now,
			   enum col_revoke *how, struct col_err *err);
/* {"serial", "approvals": [...]}, revoked ones included, newest first. */
int col_db_approvals_json(struct col_db *db, char **out, struct col_err *err);
/* {"audit": [...], "next_after"}: entries with id > after, oldest first, limit at most. */
int col_db_audit_json(struct col_db *db, int64_t after, size_t limit, char **out,
		      struct col_err *err);
/*
 * The trust serial and the active approvals as the trust document lists
 * them (*approvals a new JSON array, the caller's), from one snapshot.
 */
struct json_t;
int col_db_trust_state(struct col_db *db, int64_t *serial, struct json_t **approvals,
		       struct col_err *err);

/* ---- probe_db.c: what the collector's own probe saw (both stores) ---- */

enum col_auto_approve {
	COL_AUTO_NEVER = 0, /* the probe only records what it sees */
	COL_AUTO_PROBE,     /* and approves it for that HOST:PORT */
};

/* One HOST:PORT as the probe saw it; every member borrowed. */
struct col_probe_sight {
	const char *host; /* lower case */
	unsigned port;
	const char *sha256;      /* the leaf, "AB:CD:..." */
	const char *const *urls; /* the derived URLs served there */
	size_t n_urls;
	const char *const *chain_sha256; /* the chain as sent, leaf first */
	size_t n_chain;
};

/* What col_db_probe_record changed in the approvals. */
struct col_probe_change {
	int64_t approved_id; /* the probe's new approval, 0: none */
	size_t revoked;      /* the probe's own approvals of other leaves revoked there */
};

/*
 * Records, in one transaction, that the probe saw s->sha256 at each of
 * s's URLs (so that approving it needs no force). With COL_AUTO_PROBE, a
 * leaf that no active approval covers (for the endpoint, the host, or a CA
 * of the chain approved for the host) is approved for HOST:PORT by "probe"
 * (audited "auto-approve"), and the approvals the probe made itself there
 * for another leaf are revoked (audited); an administrator's never are.
 * Each change increases the trust serial.
 */
int col_db_probe_record(struct col_db *db, const struct col_probe_sight *s,
			enum col_auto_approve policy, int64_t now, struct col_probe_change *change,
			struct col_err *err);

/* ---- probe.c: the thread that fetches the UCCX servers every interval ---- */

struct col_probe;
struct col_probe_config;
/*
 * Derives the URLs of cfg (borrowed, as db; both outlive the probe) and
 * starts the thread, which fetches at once and then every cfg->interval_s
 * seconds. -1 with err when the URLs cannot be derived or no thread starts.
 */
int col_probe_start(const struct col_probe_config *cfg, struct col_db *db, struct col_probe **out,
		    struct col_err *err);
/* Stops the thread (waiting for a round in progress) and frees p. NULL-safe. */
void col_probe_stop(struct col_probe *p);
/* The number of distinct HOST:PORT the probe fetches. */
size_t col_probe_targets(const struct col_probe *p);

/* ---- trust_api.c: the approvals and trust routes, answered as (status, JSON) ---- */

struct col_trust_key;
#define COL_TRUST_VALIDITY_DAYS 7

/* Each returns the HTTP status and sets *out to the JSON answer (the caller's). */
unsigned col_api_approval_post(struct col_db *db, const char *body, size_t len, const char *who,
			       int64_t now, char **out);
unsigned col_api_approval_delete(struct col_db *db, const char *id, const char *who, int64_t now,
				 char **out);
unsigned col_api_audit(struct col_db *db, const char *after, const char *limit, char **out);
/* key NULL: 503 naming --signing-key. */
unsigned col_api_trust(struct col_db *db, const struct col_trust_key *key, unsigned validity_days,
		       int64_t now, char **out);

/* ---- writer.c: one thread owns the write connection, committing in groups ---- */

struct col_writer;

/* Starts the writer thread over db (borrowed, must outlive the writer). */
int col_writer_start(struct col_db *db, struct col_writer **out, struct col_err *err);
/*
 * Queues the report and waits for its transaction to commit. Returns 0 with
 * *dup set, or -1 when the commit failed. r stays the caller's.
 */
int col_writer_submit(struct col_writer *w, struct col_report *r, int *dup, struct col_err *err);
/* Finishes queued work, stops the thread and frees w. NULL-safe. */
void col_writer_stop(struct col_writer *w);
uint64_t col_writer_batches(const struct col_writer *w);

/* ---- config.c, probe_config.c ---- */

/* The [probe] section and the --probe-* flags (probe_config.c). */
#define COL_PROBE_NKEYS 6
struct col_probe_config {
	int enabled;           /* nodes or socialminer given */
	struct uct_strv nodes; /* UCCX node FQDNs */
	char *socialminer;     /* FQDN or NULL */
	unsigned interval_min; /* interval (minutes); 0: not given */
	unsigned interval_s;   /* interval_seconds, or after the check the interval in seconds */
	enum col_auto_approve auto_approve;
	struct uct_strv connect_to; /* HOST:PORT:ADDR:PORT, as the agent's --connect-to */
	int lines[COL_PROBE_NKEYS]; /* where each key was given in the file, 0: not */
	unsigned flag_lists;        /* keys given by a flag (bit per key) */
};
/* One pair of the file's [probe] section; -1 with err naming file, line, key and fix. */
int col_probe_config_pair(struct col_probe_config *p, const char *path, int line, const char *key,
			  const char *value, struct col_err *err);
/* One --probe-NAME flag (NAME without the prefix); a list flag replaces the
 * file's list on its first use and adds on the next. */
int col_probe_config_flag(struct col_probe_config *p, const char *name, const char *value,
			  struct col_err *err);
/* After the file and the flags: enabled, the interval in seconds (default
 * 10 minutes); -1 when probe settings are given without anything to fetch. */
int col_probe_config_check(struct col_probe_config *p, struct col_err *err);
void col_probe_config_free(struct col_probe_config *p); /* NULL-safe members */

struct col_config {
	char *listen; /* ADDR:PORT */
	char *db_path;
	char *tls_cert, *tls_key;
	char *agent_token_file, *admin_token_file;
	char *signing_key; /* the trust document's key file; NULL: no /api/v1/trust */
	unsigned trust_validity_days;
	int print_trust_key; /* print the public key of signing_key and exit */
	enum col_sync sync;
	unsigned max_connections;
	unsigned max_per_address;  /* connections from one client address; 0: no limit */
	unsigned timeout_s;        /* idle: restarted by every byte */
	unsigned header_timeout_s; /* the whole of a request's headers */
	unsigned body_timeout_s;   /* the whole of a report's body */
	size_t max_body;
	struct col_probe_config probe;
	int help, version;
};

/*
 * Fills cfg from argv, reading --config FILE (section [collector]) first so
 * that flags win. -1 with err->msg on a bad flag or file.
 */
int col_config_load(int argc, char **argv, struct col_config *cfg, struct col_err *err);
void col_config_free(struct col_config *cfg);
void col_config_usage(FILE *out);

/*
 * Reads one token per line (blank lines and #comments skipped): the token,
 * then optionally blanks and its label, which names who used it in the
 * audit log ("token N", its place in the file, when none is given).
 */
#define COL_TOKEN_LABEL_MAX 64
struct col_tokens {
	size_t n;
	char *v[16];
	char label[16][COL_TOKEN_LABEL_MAX + 1];
};
int col_tokens_load(const char *path, struct col_tokens *t, struct col_err *err);
void col_tokens_free(struct col_tokens *t);
/* Compares in time that depends only on the stored tokens' lengths. */
int col_tokens_match(const struct col_tokens *t, const char *given);
/* As col_tokens_match; the matching token's label (borrowed from t), or NULL. */
const char *col_tokens_label(const struct col_tokens *t, const char *given);

/* Splits "127.0.0.1:8443" or "[::1]:8443"; fills a sockaddr. */
struct sockaddr_storage;
int col_parse_listen(const char *s, struct sockaddr_storage *ss, unsigned *len, int *loopback,
		     struct col_err *err);

/* ---- http.c: the HTTP front end over libmicrohttpd ---- */

struct col_server;

struct col_server_opts {
	const struct col_config *cfg;
	struct col_db *db;                     /* borrowed */
	struct col_writer *writer;             /* borrowed */
	const struct col_tokens *agent;        /* borrowed */
	const struct col_tokens *admin;        /* borrowed */
	const struct col_trust_key *trust_key; /* borrowed; NULL: no signing key */
	const char *tls_cert_pem;              /* NULL: plain HTTP */
	const char *tls_key_pem;
};

/* Starts listening; *port is the bound port (useful with port 0). */
int col_server_start(const struct col_server_opts *o, struct col_server **out, unsigned *port,
		     struct col_err *err);
/* Stops accepting and waits up to timeout_ms for requests in progress. */
void col_server_drain(struct col_server *s, unsigned timeout_ms);
void col_server_stop(struct col_server *s); /* NULL-safe */

/* The dashboard page, generated at build time from collector/dashboard.html. */
extern const unsigned char col_dashboard_html[];
extern const size_t col_dashboard_html_len;

/* ---- log (config.c) ---- */
void col_log(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
