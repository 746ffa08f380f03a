/*
 * approvals_db.c: approvals, the audit log and the trust serial in the
 * store, written once over the backends' admin connection (db_backend.h)
 * so that SQLite and PostgreSQL keep and answer them alike.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_backend.h"

static const char *const approval_kind_names[] = {"endpoint", "host", "ca"};

static int64_t adb_int(const char *s)
{
	return s != NULL ? strtoll(s, NULL, 10) : 0;
}

static json_t *adb_time(const char *s)
{
	char buf[32];

	if (s == NULL)
		return json_null();
	col_format_time(adb_int(s), buf);
	return json_string(buf);
}

/* Columns as in COL_DB_APPROVAL_COLUMNS. */
json_t *col_db_approval_row_json(const char *const *c, int full)
{
	json_t *o = json_object();
	char endpoint[COL_HOST_MAX + 8];

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "id", json_integer(adb_int(c[0])));
	json_object_set_new(o, "kind", json_string(c[1]));
	if (strcmp(c[1], "endpoint") == 0) {
		snprintf(endpoint, sizeof(endpoint), "%s:%s", c[2], c[3]);
		json_object_set_new(o, "endpoint", json_string(endpoint));
	} else if (strcmp(c[1], "host") == 0) {
		json_object_set_new(o, "host", json_string(c[2]));
	} else {
		json_object_set_new(o, "hosts", json_loads(c[6] ? c[6] : "[]", 0, NULL));
		json_object_set_new(o, "ca_pem", json_string(c[5]));
	}
	json_object_set_new(o, "sha256", json_string(c[4]));
	json_object_set_new(o, "approved_at", adb_time(c[9]));
	if (!full)
		return o;
	json_object_set_new(o, "note", json_string(c[7]));
	json_object_set_new(o, "approved_by", json_string(c[8]));
	json_object_set_new(o, "active", json_boolean(c[10] == NULL));
	json_object_set_new(o, "revoked_at", adb_time(c[10]));
	json_object_set_new(o, "revoked_by", c[11] ? json_string(c[11]) : json_null());
	return o;
}

/* Row callbacks: one integer, a flag, or rows appended as JSON. */
static int adb_take_int(void *arg, int ncols, const char *const *cols)
{
	*(int64_t *)arg = ncols > 0 ? adb_int(cols[0]) : 0;
	return 0;
}

struct adb_list {
	json_t *array;
	int full;
};

static int adb_take_approval(void *arg, int ncols, const char *const *cols)
{
	struct adb_list *l = arg;

	(void)ncols;
	return json_array_append_new(l->array, col_db_approval_row_json(cols, l->full));
}

static int adb_take_audit(void *arg, int ncols, const char *const *c)
{
	json_t *o = json_object(), *detail;

	(void)ncols;
	if (o == NULL)
		return -1;
	json_object_set_new(o, "id", json_integer(adb_int(c[0])));
	json_object_set_new(o, "at", adb_time(c[1]));
	json_object_set_new(o, "action", json_string(c[2]));
	json_object_set_new(o, "approval_id", json_integer(adb_int(c[3])));
	json_object_set_new(o, "actor", json_string(c[4]));
	detail = json_loads(c[5], 0, NULL);
	json_object_set_new(o, "approval", detail ? detail : json_null());
	return json_array_append_new(arg, o);
}

/* A stored report or the probe saw fp at a's endpoint (any port of a's host for HOST). */
struct adb_seen {
	const struct col_approval *a;
	int seen;
};

static int adb_take_url(void *arg, int ncols, const char *const *cols)
{
	struct adb_seen *s = arg;
	char host[COL_HOST_MAX + 1];
	unsigned port;

	(void)ncols;
	if (col_url_host_port(cols[0], host, &port) == 0 && strcmp(host, s->a->host) == 0 &&
	    (s->a->kind == COL_APPROVAL_HOST || port == s->a->port))
		s->seen = 1;
	return 0;
}

static int adb_seen(struct col_db *db, const struct col_approval *a, int *seen, struct col_err *err)
{
	struct adb_seen s = {.a = a};
	struct col_db_value v[] = {COL_DB_TEXT(a->sha256)};

	/* A CA is uploaded by the administrator, not reported by agents. */
	if (a->kind == COL_APPROVAL_CA || a->force) {
		*seen = 1;
		return 0;
	}
	/* Seen by an agent, or by the collector's own probe. */
	if (db->ops->adm_query(db,
			       "SELECT url FROM host_endpoints WHERE sha256 = $1"
			       " UNION SELECT url FROM probe_seen WHERE sha256 = $1",
			       v, 1, adb_take_url, &s, err) < 0)
		return -1;
	*seen = s.seen;
	return 0;
}

/* The audit entry (its approval as stored) and the serial's step, in the open transaction. */
int col_db_audit_append(struct col_db *db, const char *action, int64_t approval_id, const char *who,
			int64_t now, struct col_err *err)
{
	struct adb_list l = {.array = json_array(), .full = 1};
	struct col_db_value id[] = {COL_DB_INT(approval_id)};
	char *detail = NULL;
	int rc = -1;

	if (db->ops->adm_query(db,
			       "SELECT " COL_DB_APPROVAL_COLUMNS " FROM approvals WHERE id = $1",
			       id, 1, adb_take_approval, &l, err) < 0)
		goto out;
	detail = json_dumps(json_array_get(l.array, 0), JSON_COMPACT | JSON_ENSURE_ASCII);
	if (detail == NULL) {
		col_err_set(err, COL_REJ_STORAGE, "out of memory writing the audit log");
		goto out;
	}
	{
		struct col_db_value v[] = {COL_DB_INT(now), COL_DB_TEXT(action),
					   COL_DB_INT(approval_id), COL_DB_TEXT(who),
					   COL_DB_TEXT(detail)};
		if (db->ops->adm_query(db,
				       "INSERT INTO audit (at, action, approval_id, actor, detail)"
				       " VALUES ($1, $2, $3, $4, $5)",
				       v, 5, NULL, NULL, err) < 0 ||
		    db->ops->adm_query(db, "UPDATE trust_serial SET serial = serial + 1", NULL, 0,
				       NULL, NULL, err) < 0)
			goto out;
	}
	rc = 0;
out:
	free(detail);
	json_decref(l.array);
	return rc;
}

/* An active approval saying the same as a: its id in *id, else 0. */
static int adb_duplicate(struct col_db *db, const struct col_approval *a, int64_t *id,
			 struct col_err *err)
{
	struct col_db_value v[] = {
		COL_DB_TEXT(approval_kind_names[a->kind]),
		COL_DB_TEXT(a->kind != COL_APPROVAL_CA ? a->host : ""),
		COL_DB_INT(a->port),
		COL_DB_TEXT(a->sha256),
		COL_DB_TEXT(a->hosts ? a->hosts : ""),
	};

	*id = 0;
	return db->ops->adm_query(db,
				  "SELECT MIN(id) FROM approvals WHERE revoked_at IS NULL"
				  " AND kind = $1 AND COALESCE(host, '') = $2"
				  " AND COALESCE(port, 0) = $3 AND sha256 = $4"
				  " AND COALESCE(hosts, '') = $5",
				  v, 5, adb_take_int, id, err);
}

int col_db_approval_add(struct col_db *db, const struct col_approval *a, const char *who,
			int64_t now, enum col_approve *how, int64_t *id, struct col_err *err)
{
	struct col_db_value v[] = {
		COL_DB_TEXT(approval_kind_names[a->kind]),
		COL_DB_TEXT(a->kind != COL_APPROVAL_CA ? a->host : NULL),
		a->kind == COL_APPROVAL_ENDPOINT ? COL_DB_INT(a->port) : COL_DB_TEXT(NULL),
		COL_DB_TEXT(a->sha256),
		COL_DB_TEXT(a->ca_pem),
		COL_DB_TEXT(a->hosts),
		COL_DB_TEXT(a->note),
		COL_DB_TEXT(who),
		COL_DB_INT(now),
	};
	int seen = 0;

	*id = 0;
	if (db->ops->adm_begin(db, 1, err) < 0)
		return -1;
	if (adb_seen(db, a, &seen, err) < 0 || adb_duplicate(db, a, id, err) < 0)
		goto err;
	*how = !seen ? COL_APPROVE_UNSEEN : *id != 0 ? COL_APPROVE_DUPLICATE : COL_APPROVED;
	if (*how != COL_APPROVED)
		return db->ops->adm_end(db, 0, err);
	if (db->ops->adm_query(
		    db,
		    "INSERT INTO approvals (kind, host, port, sha256, ca_pem, hosts,"
		    " note, approved_by, approved_at) VALUES ($1, $2, $3, $4, $5, $6, $7,"
		    " $8, $9) RETURNING id",
		    v, 9, adb_take_int, id, err) < 0 ||
	    col_db_audit_append(db, "approve", *id, who, now, err) < 0)
		goto err;
	return db->ops->adm_end(db, 1, err);
err:
	db->ops->adm_end(db, 0, err);
	return -1;
}

int col_db_approval_revoke(struct col_db *db, int64_t id, const char *who, int64_t now,
			   enum col_revoke *how, struct col_err *err)
{
	struct col_db_value v[] = {COL_DB_INT(now), COL_DB_TEXT(who), COL_DB_INT(id)};
	int64_t got = 0, exists = 0;

	*how = COL_REVOKE_UNKNOWN;
	if (db->ops->adm_begin(db, 1, err) < 0)
		return -1;
	if (db->ops->adm_query(db,
			       "UPDATE approvals SET revoked_at = $1, revoked_by = $2"
			       " WHERE id = $3 AND revoked_at IS NULL RETURNING id",
			       v, 3, adb_take_int, &got, err) < 0)
		goto err;
	if (got == 0) {
		if (db->ops->adm_query(db, "SELECT COUNT(*) FROM approvals WHERE id = $1", v + 2, 1,
				       adb_take_int, &exists, err) < 0)
			goto err;
		*how = exists ? COL_REVOKE_ALREADY : COL_REVOKE_UNKNOWN;
		return db->ops->adm_end(db, 0, err);
	}
	if (col_db_audit_append(db, "revoke", id, who, now, err) < 0)
		goto err;
	*how = COL_REVOKED;
	return db->ops->adm_end(db, 1, err);
err:
	db->ops->adm_end(db, 0, err);
	return -1;
}

/* The serial and the approvals (all, newest first; or the active ones, oldest first). */
static int adb_state(struct col_db *db, int full, int64_t *serial, json_t **list,
		     struct col_err *err)
{
	struct adb_list l = {.array = json_array(), .full = full};
	const char *sql = full ? "SELECT " COL_DB_APPROVAL_COLUMNS
				 " FROM approvals ORDER BY id DESC"
			       : "SELECT " COL_DB_APPROVAL_COLUMNS " FROM approvals"
				 " WHERE revoked_at IS NULL ORDER BY id";

	*list = NULL;
	if (l.array == NULL) {
		col_err_set(err, COL_REJ_STORAGE, "out of memory");
		return -1;
	}
	if (db->ops->adm_begin(db, 0, err) < 0)
		goto err;
	if (db->ops->adm_query(db, "SELECT serial FROM trust_serial", NULL, 0, adb_take_int, serial,
			       err) < 0 ||
	    db->ops->adm_query(db, sql, NULL, 0, adb_take_approval, &l, err) < 0) {
		db->ops->adm_end(db, 0, err);
		goto err;
	}
	if (db->ops->adm_end(db, 1, err) < 0)
		goto err;
	*list = l.array;
	return 0;
err:
	json_decref(l.array);
	return -1;
}

int col_db_approvals_json(struct col_db *db, char **out, struct col_err *err)
{
	json_t *list;
	int64_t serial = 0;

	*out = NULL;
	if (adb_state(db, 1, &serial, &list, err) < 0)
		return -1;
	return col_db_dump(json_pack("{s:I,s:o}", "serial", (json_int_t)serial, "approvals", list),
			   out, err);
}

int col_db_trust_state(struct col_db *db, int64_t *serial, json_t **approvals, struct col_err *err)
{
	return adb_state(db, 0, serial, approvals, err);
}

int col_db_audit_json(struct col_db *db, int64_t after, size_t limit, char **out,
		      struct col_err *err)
{
	struct col_db_value v[] = {COL_DB_INT(after), COL_DB_INT((int64_t)limit + 1)};
	json_t *list = json_array(), *root;
	size_t n;

	*out = NULL;
	if (list == NULL || db->ops->adm_begin(db, 0, err) < 0)
		goto err;
	if (db->ops->adm_query(db,
			       "SELECT id, at, action, approval_id, actor, detail FROM audit"
			       " WHERE id > $1 ORDER BY id LIMIT $2",
			       v, 2, adb_take_audit, list, err) < 0) {
		db->ops->adm_end(db, 0, err);
		goto err;
	}
	if (db->ops->adm_end(db, 1, err) < 0)
		goto err;
	root = json_object();
	/* One row past the page says there is another. */
	if ((n = json_array_size(list)) > limit) {
		json_array_remove(list, n - 1);
		json_object_set(root, "next_after",
				json_object_get(json_array_get(list, limit - 1), "id"));
	}
	json_object_set_new(root, "audit", list);
	return col_db_dump(root, out, err);
err:
	if (err->msg[0] == '\0')
		col_err_set(err, COL_REJ_STORAGE, "out of memory");
	json_decref(list);
	return -1;
}
