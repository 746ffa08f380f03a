/*
 * report.c: validation of the agent's report document (schema 1, see
 * docs/report-schema.md) into the few fields the collector indexes. The
 * document itself is kept as received.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "col.h"

const char *col_reject_name(enum col_reject r)
{
	switch (r) {
	case COL_REJ_UNAUTHORIZED: return "unauthorized";
	case COL_REJ_TOO_LARGE: return "too_large";
	case COL_REJ_MALFORMED_JSON: return "malformed_json";
	case COL_REJ_INVALID_REPORT: return "invalid_report";
	case COL_REJ_STORAGE: return "storage";
	case COL_REJ_CONFIG: return "config";
	case COL_REJ_NONE:
	case COL_REJ_COUNT: break;
	}
	return "none";
}

void col_err_set(struct col_err *err, enum col_reject reason, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err->reason != COL_REJ_NONE)
		return;
	err->reason = reason;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

int col_parse_time(const char *s, int64_t *out)
{
	struct tm tm = {0};
	const char *end;

	if (s == NULL || strlen(s) != 20)
		return -1;
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

void col_format_time(int64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 32, "1970-01-01T00:00:00Z");
}

/* 8-4-4-4-12 hexadecimal digits, as the agent's generator writes them. */
static int report_uuid_ok(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

/* Colon-separated upper-case hex of 32 bytes, as uct_fp_format writes it. */
static int report_fp_ok(const char *s)
{
	size_t i;

	if (strlen(s) != COL_FP_LEN)
		return 0;
	for (i = 0; i < COL_FP_LEN; i++) {
		if (i % 3 == 2) {
			if (s[i] != ':')
				return 0;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

/*
 * Code points that change how the text around them is shown rather than
 * showing themselves: C0 and C1 controls (terminal escapes), the line and
 * paragraph separators (U+2028 ends a line in a JavaScript string and in
 * some viewers), bidirectional embeddings, overrides and isolates (U+202E
 * shows "pc1<U+202E>moc.evil" as "pc1live.com"), invisible format
 * characters. A host name or a URL of the fleet views must show as it is.
 */
static int report_cp_hidden(unsigned long cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0xad || cp == 0x61c ||
	       (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb);
}

/*
 * A name of 1..max bytes that shows as what it is: UTF-8 (jansson has
 * checked it, but this does not rely on it) without the code points above.
 */
static int report_text_ok(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), len, i;
	unsigned long cp;

	if (n == 0 || n > max)
		return 0;
	while (*p != '\0') {
		if (*p < 0x80) {
			cp = *p;
			len = 1;
		} else if ((*p & 0xe0) == 0xc0) {
			cp = *p & 0x1f;
			len = 2;
		} else if ((*p & 0xf0) == 0xe0) {
			cp = *p & 0x0f;
			len = 3;
		} else if ((*p & 0xf8) == 0xf0) {
			cp = *p & 0x07;
			len = 4;
		} else {
			return 0;
		}
		for (i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if (report_cp_hidden(cp))
			return 0;
		p += len;
	}
	return 1;
}

static const char *report_string(json_t *obj, const char *key, size_t max, const char *where,
				 struct col_err *err)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || !json_is_string(v)) {
		col_err_set(err, COL_REJ_INVALID_REPORT, "%s%s: a string is required", where, key);
		return NULL;
	}
	if (!report_text_ok(json_string_value(v), max)) {
		col_err_set(err, COL_REJ_INVALID_REPORT,
			    "%s%s: must be 1 to %zu bytes of UTF-8 without control, bidirectional "
			    "or invisible formatting characters",
			    where, key, max);
		return NULL;
	}
	return json_string_value(v);
}

static int report_endpoint(json_t *ep, size_t i, struct col_endpoint *out, struct col_err *err)
{
	char where[48];
	const char *url, *verdict, *fetch;
	json_t *cert, *sha, *na;

	snprintf(where, sizeof(where), "endpoints[%zu].", i);
	if (!json_is_object(ep)) {
		col_err_set(err, COL_REJ_INVALID_REPORT, "endpoints[%zu]: an object is required",
			    i);
		return -1;
	}
	url = report_string(ep, "url", 2048, where, err);
	verdict = report_string(ep, "verdict", 64, where, err);
	if (url == NULL || verdict == NULL)
		return -1;
	if (strncmp(url, "https://", 8) != 0) {
		col_err_set(err, COL_REJ_INVALID_REPORT, "%surl: an https:// URL is required",
			    where);
		return -1;
	}
	fetch = json_string_value(json_object_get(ep, "fetch"));
	cert = json_object_get(ep, "certificate");
	if (cert != NULL && !json_is_null(cert)) {
		if (!json_is_object(cert)) {
			col_err_set(err, COL_REJ_INVALID_REPORT,
				    "%scertificate: an object or null is required", where);
			return -1;
		}
		sha = json_object_get(cert, "sha256");
		if (!json_is_string(sha) || !report_fp_ok(json_string_value(sha))) {
			col_err_set(
				err, COL_REJ_INVALID_REPORT,
				"%scertificate.sha256: 32 colon-separated hex bytes are required",
				where);
			return -1;
		}
		na = json_object_get(cert, "not_valid_after");
		if (!json_is_integer(na) || json_integer_value(na) <= 0) {
			col_err_set(err, COL_REJ_INVALID_REPORT,
				    "%scertificate.not_valid_after: a positive integer is required",
				    where);
			return -1;
		}
		snprintf(out->sha256, sizeof(out->sha256), "%s", json_string_value(sha));
		for (char *p = out->sha256; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		out->not_after = (int64_t)json_integer_value(na);
	} else if (fetch != NULL && strcmp(fetch, "ok") == 0) {
		/* A fetched chain always has a leaf; without it the report is damaged. */
		col_err_set(err, COL_REJ_INVALID_REPORT,
			    "%scertificate: required when fetch is \"ok\"", where);
		return -1;
	}
	out->url = strdup(url);
	out->verdict = strdup(verdict);
	if (out->url == NULL || out->verdict == NULL) {
		col_err_set(err, COL_REJ_STORAGE, "out of memory");
		return -1;
	}
	return 0;
}

static int report_fill(json_t *root, struct col_report *r, struct col_err *err)
{
	json_t *schema, *eps, *problems;
	const char *id, *host, *version, *when, *cmd;
	size_t i;

	if (!json_is_object(root)) {
		col_err_set(err, COL_REJ_INVALID_REPORT, "the report must be a JSON object");
		return -1;
	}
	schema = json_object_get(root, "schema");
	if (!json_is_integer(schema) || json_integer_value(schema) != COL_REPORT_SCHEMA) {
		col_err_set(err, COL_REJ_INVALID_REPORT, "schema: must be the integer %d",
			    COL_REPORT_SCHEMA);
		return -1;
	}
	if ((id = report_string(root, "report_id", 36, "", err)) == NULL)
		return -1;
	if (!report_uuid_ok(id)) {
		col_err_set(err, COL_REJ_INVALID_REPORT,
			    "report_id: a UUID (8-4-4-4-12 hex digits) is required");
		return -1;
	}
	if ((host = report_string(root, "host_name", 253, "", err)) == NULL ||
	    (version = report_string(root, "version", 64, "", err)) == NULL ||
	    (when = report_string(root, "time", 20, "", err)) == NULL)
		return -1;
	if (col_parse_time(when, &r->time) < 0) {
		col_err_set(err, COL_REJ_INVALID_REPORT, "time: YYYY-MM-DDTHH:MM:SSZ is required");
		return -1;
	}
	eps = json_object_get(root, "endpoints");
	if (!json_is_array(eps)) {
		col_err_set(err, COL_REJ_INVALID_REPORT, "endpoints: an array is required");
		return -1;
	}
	if (json_array_size(eps) > COL_MAX_ENDPOINTS) {
		col_err_set(err, COL_REJ_INVALID_REPORT, "endpoints: more than %d",
			    COL_MAX_ENDPOINTS);
		return -1;
	}
	problems = json_object_get(root, "problems");
	if (problems != NULL && !json_is_array(problems)) {
		col_err_set(err, COL_REJ_INVALID_REPORT, "problems: an array is required");
		return -1;
	}

	cmd = json_string_value(json_object_get(root, "command"));
	r->state_only = cmd != NULL && strcmp(cmd, "status") == 0;
	for (i = 0; id[i] != '\0'; i++)
		r->report_id[i] = (char)tolower((unsigned char)id[i]);
	r->report_id[i] = '\0';
	r->host_name = strdup(host);
	r->agent_version = strdup(version);
	r->endpoints = calloc(json_array_size(eps) + 1, sizeof(*r->endpoints));
	if (r->host_name == NULL || r->agent_version == NULL || r->endpoints == NULL) {
		col_err_set(err, COL_REJ_STORAGE, "out of memory");
		return -1;
	}
	for (i = 0; i < json_array_size(eps); i++) {
		struct col_endpoint *ep = &r->endpoints[i];
		/* Counted first so that col_report_free releases a half-filled entry. */
		r->n_endpoints++;
		if (report_endpoint(json_array_get(eps, i), i, ep, err) < 0)
			return -1;
		if (strcmp(ep->verdict, "trusted") != 0)
			r->n_problem_endpoints++;
		if (ep->not_after > 0 && (r->next_expiry == 0 || ep->not_after < r->next_expiry))
			r->next_expiry = ep->not_after;
	}
	r->problem = r->n_problem_endpoints > 0 || json_array_size(problems) > 0;
	return 0;
}

int col_report_parse(const char *body, size_t len, struct col_report **out, struct col_err *err)
{
	struct col_report *r = NULL;
	json_error_t jerr;
	json_t *root = NULL;

	*out = NULL;
	/* Duplicate keys would let two readers of the raw document disagree. */
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		col_err_set(err, COL_REJ_MALFORMED_JSON, "malformed JSON at line %d column %d: %s",
			    jerr.line, jerr.column, jerr.text);
		return -1;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		col_err_set(err, COL_REJ_STORAGE, "out of memory");
		goto err;
	}
	if (report_fill(root, r, err) < 0)
		goto err;
	r->body = malloc(len + 1);
	if (r->body == NULL) {
		col_err_set(err, COL_REJ_STORAGE, "out of memory");
		goto err;
	}
	memcpy(r->body, body, len);
	r->body[len] = '\0';
	r->body_len = len;
	json_decref(root);
	*out = r;
	return 0;
err:
	json_decref(root);
	col_report_free(r);
	return -1;
}

void col_report_free(struct col_report *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n_endpoints; i++) {
		free(r->endpoints[i].url);
		free(r->endpoints[i].verdict);
	}
	free(r->endpoints);
	free(r->host_name);
	free(r->agent_version);
	free(r->body);
	free(r);
}
