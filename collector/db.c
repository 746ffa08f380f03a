/*
 * db.c: picks the store from the --db target (a postgresql:// URL or a
 * SQLite file path), dispatches the col_db_* calls to it, and builds the
 * API's JSON documents from rows so both stores answer byte for byte alike.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_backend.h"

/* libpq accepts both URI schemes. Anything else is a SQLite file path, as
 * before PostgreSQL support, so existing configurations keep working. */
static const struct {
	const char *prefix;
	const struct col_db_ops *ops;
} db_schemes[] = {
	{.prefix = "postgresql://", .ops = &col_db_pg_ops},
	{.prefix = "postgres://", .ops = &col_db_pg_ops},
};

static const struct col_db_ops *db_pick(const char *target)
{
	size_t i;

	for (i = 0; i < sizeof(db_schemes) / sizeof(db_schemes[0]); i++)
		if (strncmp(target, db_schemes[i].prefix, strlen(db_schemes[i].prefix)) == 0)
			return db_schemes[i].ops;
	return &col_db_sqlite_ops;
}

int col_db_open(const char *target, enum col_sync sync, struct col_db **out, struct col_err *err)
{
	const struct col_db_ops *ops = db_pick(target);
	int rc;

	*out = NULL;
	rc = ops->open(target, sync, out, err);
	if (rc == 0)
		(*out)->ops = ops;
	return rc;
}

void col_db_close(struct col_db *db)
{
	if (db != NULL)
		db->ops->close(db);
}

const char *col_db_backend_name(const struct col_db *db)
{
	return db->ops->name;
}

int col_db_insert_batch(struct col_db *db, struct col_report *const *reports, size_t n, int *dup,
			int64_t received_at, struct col_err *err)
{
	size_t i;

	/* A time far in the future would otherwise outrank every later genuine
	 * report of that host (the stores compare times): only the receive
	 * time is the collector's own. */
	for (i = 0; i < n; i++)
		if (reports[i]->time > received_at + COL_TIME_SKEW)
			reports[i]->time = received_at + COL_TIME_SKEW;
	return db->ops->insert_batch(db, reports, n, dup, received_at, err);
}

int col_db_hosts_json(struct col_db *db, const struct col_host_query *q, int64_t now, char **out,
		      struct col_err *err)
{
	return db->ops->hosts_json(db, q, now, out, err);
}

int col_db_host_json(struct col_db *db, const char *name, char **out, struct col_err *err)
{
	return db->ops->host_json(db, name, out, err);
}

int col_db_endpoints_json(struct col_db *db, const struct col_endpoint_query *q, char **out,
			  struct col_err *err)
{
	return db->ops->endpoints_json(db, q, out, err);
}

int col_url_append_escaped(char *buf, size_t len, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = strlen(buf), start = o;

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;
		int plain = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
			    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' ||
			    ch == '~';
		if (o + (plain ? 1 : 3) >= len) {
			buf[start] = '\0';
			return -1;
		}
		if (plain) {
			buf[o++] = (char)ch;
		} else {
			buf[o++] = '%';
			buf[o++] = hex[ch >> 4];
			buf[o++] = hex[ch & 15];
		}
	}
	buf[o] = '\0';
	return 0;
}

/* link + "&KEY=" + the escaped value, as a new JSON string (NULL: no link). */
static json_t *db_next_link(const char *link, const char *key, const char *value)
{
	size_t len = strlen(link) + strlen(key) + 3 * strlen(value) + 8;
	char *buf = malloc(len);
	json_t *j = NULL;

	if (buf == NULL)
		return NULL;
	snprintf(buf, len, "%s%s%s=", link, strchr(link, '?') ? "&" : "?", key);
	if (col_url_append_escaped(buf, len, value) == 0)
		j = json_string(buf);
	free(buf);
	return j;
}

int col_db_stats(struct col_db *db, struct col_db_stats *st, struct col_err *err)
{
	return db->ops->stats(db, st, err);
}

/*
 * A URL may carry a password (user:secret@host, or password=secret in the
 * query string). Logs and error messages show the target with both replaced,
 * since start-up logs end up in the journal, readable by more people.
 */
void col_db_target_display(const char *target, char *buf, size_t len)
{
	const char *auth, *end, *at = NULL, *colon = NULL, *p;
	size_t o = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (db_pick(target) == &col_db_sqlite_ops || (auth = strstr(target, "://")) == NULL) {
		snprintf(buf, len, "%s", target);
		return;
	}
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	for (p = auth; at != NULL && p < at; p++)
		if (*p == ':') {
			colon = p;
			break;
		}
#define DB_PUT(s, n)                      \
	do {                              \
		size_t n_ = (n);          \
		if (o + n_ >= len)        \
			n_ = len - 1 - o; \
		memcpy(buf + o, (s), n_); \
		o += n_;                  \
		buf[o] = '\0';            \
	} while (0)
	if (colon != NULL) {
		DB_PUT(target, (size_t)(colon + 1 - target));
		DB_PUT("***", 3);
		p = at;
	} else {
		p = target;
	}
	/* The query string: password=VALUE up to the next '&'. */
	while (*p != '\0') {
		const char *kw = strstr(p, "password=");
		if (kw == NULL || (kw != target && kw[-1] != '?' && kw[-1] != '&')) {
			if (kw == NULL) {
				DB_PUT(p, strlen(p));
				break;
			}
			DB_PUT(p, (size_t)(kw + 9 - p));
			p = kw + 9;
			continue;
		}
		DB_PUT(p, (size_t)(kw + 9 - p));
		DB_PUT("***", 3);
		p = kw + 9 + strcspn(kw + 9, "&#");
	}
#undef DB_PUT
}

/* ---- the JSON documents, shared by the backends ---- */

int col_db_dump(json_t *root, char **out, struct col_err *err)
{
	/* Every character past ASCII as \uXXXX: the answers carry text from
	 * the reports (a stored report in full), and a bidirectional override
	 * or a line separator must stay an escape in a terminal or a log that
	 * shows the answer, not act on it. */
	*out = root != NULL ? json_dumps(root, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(root);
	if (*out == NULL) {
		col_err_set(err, COL_REJ_STORAGE, "out of memory");
		return -1;
	}
	return 0;
}

static json_t *db_time_json(int64_t t)
{
	char buf[32];

	col_format_time(t, buf);
	return json_string(buf);
}

json_t *col_db_host_row_json(const struct col_db_host_row *h)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "name", json_string(h->name));
	json_object_set_new(o, "state", json_string(h->state));
	json_object_set_new(o, "report_id", json_string(h->report_id));
	json_object_set_new(o, "report_time", db_time_json(h->report_time));
	json_object_set_new(o, "received_at", db_time_json(h->received_at));
	json_object_set_new(o, "agent_version", json_string(h->agent_version));
	json_object_set_new(o, "endpoints", json_integer(h->endpoints));
	json_object_set_new(o, "problem_endpoints", json_integer(h->problem_endpoints));
	json_object_set_new(o, "next_expiry",
			    h->next_expiry ? db_time_json(h->next_expiry) : json_null());
	json_object_set_new(o, "next_expiry_epoch",
			    h->next_expiry ? json_integer(h->next_expiry) : json_null());
	return o;
}

int col_db_hosts_page_json(int64_t total, json_t *hosts, int more, const struct col_host_query *q,
			   char **out, struct col_err *err)
{
	json_t *root = json_object();
	size_t n = json_array_size(hosts);

	*out = NULL;
	if (root == NULL || hosts == NULL) {
		json_decref(root);
		json_decref(hosts);
		col_err_set(err, COL_REJ_STORAGE, "out of memory");
		return -1;
	}
	json_object_set_new(root, "total", json_integer(total));
	/* The stores ask for limit + 1 rows: a row left over means another page. */
	if (more && n > 0) {
		char off[24];
		const char *last =
			json_string_value(json_object_get(json_array_get(hosts, n - 1), "name"));
		if (q->problems_first) {
			json_object_set_new(root, "next_offset",
					    json_integer((json_int_t)(q->offset + n)));
			snprintf(off, sizeof(off), "%zu", q->offset + n);
			if (q->link != NULL)
				json_object_set_new(root, "next",
						    db_next_link(q->link, "offset", off));
		} else {
			json_object_set_new(root, "next_after", json_string(last));
			if (q->link != NULL)
				json_object_set_new(root, "next",
						    db_next_link(q->link, "after", last));
		}
	}
	json_object_set_new(root, "limit", json_integer((json_int_t)q->limit));
	json_object_set_new(root, "hosts", hosts);
	return col_db_dump(root, out, err);
}

int col_db_endpoints_add(json_t *list, const char *url, const char *sha256, int64_t hosts,
			 int64_t not_after, int64_t url_hosts, int64_t url_fps, int64_t probe)
{
	size_t n = json_array_size(list);
	json_t *cur = n > 0 ? json_array_get(list, n - 1) : NULL, *fp;

	if (cur == NULL || strcmp(json_string_value(json_object_get(cur, "url")), url) != 0) {
		if ((cur = json_object()) == NULL || json_array_append_new(list, cur) < 0)
			return -1;
		json_object_set_new(cur, "url", json_string(url));
		json_object_set_new(cur, "hosts", json_integer(url_hosts));
		json_object_set_new(cur, "hosts_without_certificate", json_integer(0));
		json_object_set_new(cur, "fingerprints", json_array());
		json_object_set_new(cur, "fingerprints_total", json_integer(url_fps));
	}
	if (sha256 == NULL) {
		json_object_set_new(cur, "hosts_without_certificate", json_integer(hosts));
		return 0;
	}
	if ((fp = json_object()) == NULL)
		return -1;
	json_object_set_new(fp, "sha256", json_string(sha256));
	json_object_set_new(fp, "hosts", json_integer(hosts));
	/* A fingerprint only the probe has seen has no reported expiry. */
	json_object_set_new(fp, "not_after", hosts > 0 ? db_time_json(not_after) : json_null());
	json_object_set_new(fp, "probe_seen", json_boolean(probe != 0));
	return json_array_append_new(json_object_get(cur, "fingerprints"), fp);
}

/*
 * The fingerprints of a URL that hosts see: those only the probe has seen
 * (the server's certificate before a renewal) are not a disagreement
 * between PCs. The list is ordered by hosts, so the first 50 hold every
 * fingerprint a host sees unless there are more than 50 of those.
 */
static size_t db_host_fingerprints(json_t *ep)
{
	json_t *fp;
	size_t i, n = 0;

	json_array_foreach(json_object_get(ep, "fingerprints"), i, fp)
	{
		if (json_integer_value(json_object_get(fp, "hosts")) > 0)
			n++;
	}
	return n;
}

int col_db_endpoints_finish(json_t *list, int64_t total, int more,
			    const struct col_endpoint_query *q, char **out, struct col_err *err)
{
	json_t *root = json_object(), *ep;
	size_t i, n = json_array_size(list);

	if (root == NULL || list == NULL) {
		json_decref(root);
		json_decref(list);
		col_err_set(err, COL_REJ_STORAGE, "out of memory");
		return -1;
	}
	json_array_foreach(list, i, ep)
	{
		int several = db_host_fingerprints(ep) > 1;
		json_object_set_new(ep, "several_fingerprints", json_boolean(several));
		/* Hosts that see different certificates for one URL: either a
		 * renewal on its way through the fleet or an interception. */
		json_object_set_new(ep, "flag",
				    several ? json_string("rotation or man in the middle")
					    : json_null());
	}
	json_object_set_new(root, "total", json_integer(total));
	if (more && n > 0) {
		const char *last =
			json_string_value(json_object_get(json_array_get(list, n - 1), "url"));
		json_object_set_new(root, "next_after", json_string(last));
		if (q->link != NULL)
			json_object_set_new(root, "next", db_next_link(q->link, "after", last));
	}
	json_object_set_new(root, "limit", json_integer((json_int_t)q->limit));
	json_object_set_new(root, "endpoints", list);
	return col_db_dump(root, out, err);
}

void *col_db_zalloc(size_t size, struct col_err *err)
{
	void *p = calloc(1, size);

	if (p == NULL)
		col_err_set(err, COL_REJ_STORAGE, "out of memory");
	return p;
}
