/*
 * trust_api.c: the administrator's approvals routes and the signed trust
 * document, free of the HTTP library so that tests call them directly:
 * each answers an HTTP status and a JSON document.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_backend.h"
#include "trustdoc.h"

#define API_AUDIT_LIMIT 500

static unsigned api_error(unsigned status, const char *msg, char **out)
{
	json_t *doc = json_pack("{s:s}", "error", msg);

	*out = doc != NULL ? json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(doc);
	return status;
}

/* A store failure is the collector's: 503, try again. */
static unsigned api_storage(const struct col_err *err, char **out)
{
	col_log("error", "approvals: %s", err->msg);
	return api_error(503, err->msg, out);
}

unsigned col_api_approval_post(struct col_db *db, const char *body, size_t len, const char *who,
			       int64_t now, char **out)
{
	struct col_approval *a = NULL;
	struct col_err err = {0};
	char msg[COL_HOST_MAX + COL_FP_LEN + 240], where[COL_HOST_MAX + 16];
	enum col_approve how = COL_APPROVED;
	int64_t id = 0;

	if (col_approval_parse(body, len, &a, &err) < 0)
		return err.reason == COL_REJ_STORAGE ? api_storage(&err, out)
						     : api_error(400, err.msg, out);
	if (col_db_approval_add(db, a, who, now, &how, &id, &err) < 0) {
		col_approval_free(a);
		return api_storage(&err, out);
	}
	if (how == COL_APPROVE_DUPLICATE) {
		col_approval_free(a);
		snprintf(msg, sizeof(msg),
			 "approval %lld already says this; revoke it first to "
			 "change its note",
			 (long long)id);
		return api_error(409, msg, out);
	}
	if (how == COL_APPROVE_UNSEEN) {
		if (a->kind == COL_APPROVAL_ENDPOINT)
			snprintf(where, sizeof(where), "%s:%u", a->host, a->port);
		else
			snprintf(where, sizeof(where), "%s (any port)", a->host);
		snprintf(msg, sizeof(msg),
			 "no agent has reported the certificate %s at %s, nor has the "
			 "probe seen it there; check "
			 "the fingerprint, or send \"force\": true to approve it all the same",
			 a->sha256, where);
		col_approval_free(a);
		return api_error(409, msg, out);
	}
	col_log("info", "approval %lld (%s) by %s", (long long)id, a->sha256, who);
	col_approval_free(a);
	if (col_db_dump(json_pack("{s:I}", "id", (json_int_t)id), out, &err) < 0)
		return api_storage(&err, out);
	return 201;
}

/* A decimal id from 1 up; 0 when id is anything else. */
static int64_t api_id(const char *id)
{
	char *end;
	long long v;

	if (id == NULL || id[0] < '1' || id[0] > '9' || strlen(id) > 18)
		return 0;
	v = strtoll(id, &end, 10);
	return *end == '\0' ? (int64_t)v : 0;
}

unsigned col_api_approval_delete(struct col_db *db, const char *id, const char *who, int64_t now,
				 char **out)
{
	struct col_err err = {0};
	enum col_revoke how;
	int64_t n = api_id(id);
	json_t *doc;

	if (n == 0)
		return api_error(404,
				 "no such approval: the id is a number from GET /api/v1/approvals",
				 out);
	if (col_db_approval_revoke(db, n, who, now, &how, &err) < 0)
		return api_storage(&err, out);
	if (how == COL_REVOKE_UNKNOWN)
		return api_error(404, "no such approval", out);
	if (how == COL_REVOKE_ALREADY)
		return api_error(409, "this approval is already revoked", out);
	col_log("info", "approval %lld revoked by %s", (long long)n, who);
	doc = json_pack("{s:I,s:b}", "id", (json_int_t)n, "revoked", 1);
	return col_db_dump(doc, out, &err) < 0 ? api_storage(&err, out) : 200;
}

unsigned col_api_audit(struct col_db *db, const char *after, const char *limit, char **out)
{
	struct col_err err = {0};
	int64_t from = 0, lim = API_AUDIT_LIMIT;

	if (after != NULL && strcmp(after, "0") != 0 && (from = api_id(after)) == 0)
		return api_error(400, "after: the id of an audit entry (next_after)", out);
	if (limit != NULL && ((lim = api_id(limit)) == 0 || lim > API_AUDIT_LIMIT))
		return api_error(400, "limit: 1 to " COL_STR(API_AUDIT_LIMIT), out);
	if (col_db_audit_json(db, from, (size_t)lim, out, &err) < 0)
		return api_storage(&err, out);
	return 200;
}

static json_t *api_time(int64_t t)
{
	char buf[32];

	col_format_time(t, buf);
	return json_string(buf);
}

unsigned col_api_trust(struct col_db *db, const struct col_trust_key *key, unsigned validity_days,
		       int64_t now, char **out)
{
	struct col_trust_err terr = {{0}};
	struct col_err err = {0};
	json_t *approvals, *doc;
	int64_t serial = 0;

	if (key == NULL)
		return api_error(503,
				 "this collector has no signing key; start it with "
				 "--signing-key FILE",
				 out);
	if (col_db_trust_state(db, &serial, &approvals, &err) < 0)
		return api_storage(&err, out);
	doc = json_pack("{s:i,s:I,s:o,s:o,s:o}", "version", 1, "serial", (json_int_t)serial,
			"issued_at", api_time(now), "expires_at",
			api_time(now + (int64_t)validity_days * 86400), "approvals", approvals);
	if (doc == NULL || col_trust_sign(key, doc, &terr) < 0) {
		json_decref(doc);
		col_log("error", "trust document: %s", terr.msg[0] ? terr.msg : "out of memory");
		return api_error(503, "the trust document could not be signed", out);
	}
	/* Compact, keys sorted: the body is then its canonical form plus the signature. */
	*out = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	json_decref(doc);
	return *out != NULL ? 200 : api_error(503, "out of memory", out);
}
