/*
 * trustdoc.c: the agent's check of the collector's signed trust document
 * (docs/report-schema.md, "The trust document"): strict parse, canonical
 * bytes without "signature", the platform's ECDSA P-256 check, validity
 * dates, the serial, and the approvals as C structures. It lives in
 * platform/common, not core/, because it calls uct_sig_verify_p256 (OpenSSL
 * on Linux, BCrypt on Windows) and the base layer may not call the platform.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "uct_json.h"

/* A DER ECDSA P-256 signature is at most 72 bytes; room for more is
 * refused later by the check itself. */
#define TD_SIG_MAX 128

struct td_ctx {
	enum uct_trustdoc_fault *fault;
	struct uct_err *err;
};

static int td_fail(struct td_ctx *c, enum uct_trustdoc_fault fault, int code, const char *fmt, ...)
	__attribute__((format(UCT_PRINTF_FORMAT, 4, 5)));

static int td_fail(struct td_ctx *c, enum uct_trustdoc_fault fault, int code, const char *fmt, ...)
{
	char msg[sizeof(c->err->msg)];
	va_list ap;

	if (*c->fault == UCT_TRUSTDOC_OK)
		*c->fault = fault;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return uct_err_set(c->err, code, 0, "%s", msg);
}

static int td_malformed(struct td_ctx *c, const char *what)
{
	return td_fail(c, UCT_TRUSTDOC_MALFORMED, UCT_E_PARSE,
		       "the trust document is malformed: %s; check that --trust-url is the "
		       "collector's /api/v1/trust",
		       what);
}

static int td_b64_value(unsigned char ch)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *hit = ch != '\0' ? strchr(alphabet, ch) : NULL;

	return hit != NULL ? (int)(hit - alphabet) : -1;
}

/* Standard base64 with padding, nothing else, into at most cap bytes. */
static int td_base64(const char *s, size_t n, unsigned char *out, size_t cap, size_t *len)
{
	size_t i, pad = 0, o = 0;

	if (n == 0 || n % 4 != 0 || n / 4 * 3 > cap)
		return -1;
	if (s[n - 1] == '=')
		pad = s[n - 2] == '=' ? 2 : 1;
	for (i = 0; i < n; i += 4) {
		int v[4], k;
		unsigned long q = 0;

		for (k = 0; k < 4; k++) {
			int padded = i + (size_t)k >= n - pad;

			v[k] = padded ? (s[i + (size_t)k] == '=' ? 0 : -1)
				      : td_b64_value((unsigned char)s[i + (size_t)k]);
			if (v[k] < 0)
				return -1;
			q = q << 6 | (unsigned long)v[k];
		}
		out[o++] = (unsigned char)(q >> 16);
		out[o++] = (unsigned char)(q >> 8);
		out[o++] = (unsigned char)q;
	}
	/* The bits that padding leaves over must be zero: one text per value. */
	if ((pad == 2 && (out[o - 2] != 0 || out[o - 1] != 0)) || (pad == 1 && out[o - 1] != 0))
		return -1;
	*len = o - pad;
	return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t td_days(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* The decimal number of the n digits at s; -1 when one is not a digit. */
static int td_digits(const char *s, size_t n)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* 1 when y-mo-d is a day of the Gregorian calendar. */
static int td_date_valid(int y, int mo, int d)
{
	static const unsigned char mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);

	return y >= 0 && mo >= 1 && mo <= 12 && d >= 1 && d <= mdays[mo - 1] &&
	       !(mo == 2 && d == 29 && !leap);
}

/* "YYYY-MM-DDTHH:MM:SSZ" exactly (UTC), as the collector writes it. */
static int td_time(const struct uct_json *v, int64_t *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	const char *s;
	int y, mo, d, h, mi, sec;
	size_t i;

	if (v == NULL || v->type != UCT_JSON_STRING || v->len != sizeof(shape) - 1)
		return -1;
	s = v->str;
	for (i = 0; i < v->len; i++)
		if (shape[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != shape[i])
			return -1;
	y = td_digits(s, 4), mo = td_digits(s + 5, 2), d = td_digits(s + 8, 2);
	h = td_digits(s + 11, 2), mi = td_digits(s + 14, 2), sec = td_digits(s + 17, 2);
	if (!td_date_valid(y, mo, d) || h > 23 || mi > 59 || sec > 59)
		return -1;
	*t = td_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	return 0;
}

static int td_int(const struct uct_json *v, int64_t min, int64_t *out)
{
	if (v == NULL || v->type != UCT_JSON_INT || v->num < min)
		return -1;
	*out = v->num;
	return 0;
}

static int td_string(const struct uct_json *v, char **out)
{
	if (v == NULL || v->type != UCT_JSON_STRING || !uct_text_is_safe(v->str))
		return -1;
	return (*out = uct_strdup(v->str)) != NULL ? 0 : -1;
}

/* Lower-case FQDN, as the collector stores it. */
static int td_host(const char *s)
{
	return uct_is_fqdn(s) && strpbrk(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == NULL;
}

/* "HOST:PORT" of an endpoint approval. */
static int td_endpoint(const struct uct_json *v, struct uct_trust_approval *a)
{
	const char *colon;
	int port;

	if (v == NULL || v->type != UCT_JSON_STRING || (colon = strrchr(v->str, ':')) == NULL ||
	    strlen(colon + 1) < 1 || strlen(colon + 1) > 5 ||
	    (port = td_digits(colon + 1, strlen(colon + 1))) < 1 || port > 65535 || colon[1] == '0')
		return -1;
	if ((a->host = malloc((size_t)(colon - v->str) + 1)) == NULL)
		return -1;
	memcpy(a->host, v->str, (size_t)(colon - v->str));
	a->host[colon - v->str] = '\0';
	a->port = (unsigned int)port;
	return td_host(a->host) ? 0 : -1;
}

/* The hosts of a CA approval: a non-empty array of host names. */
static int td_hosts(const struct uct_json *v, struct uct_trust_approval *a)
{
	size_t i;

	if (v == NULL || v->type != UCT_JSON_ARRAY || v->n == 0)
		return -1;
	for (i = 0; i < v->n; i++)
		if (v->kids[i].type != UCT_JSON_STRING || !td_host(v->kids[i].str) ||
		    uct_strv_push(&a->hosts, v->kids[i].str) < 0)
			return -1;
	return 0;
}

/* What each kind names: its host(s), and the CA's certificate. */
static int td_approval_target(const struct uct_json *v, struct uct_trust_approval *a)
{
	const struct uct_json *kind = uct_json_get(v, "kind"), *pem;

	if (kind == NULL || kind->type != UCT_JSON_STRING)
		return -1;
	if (strcmp(kind->str, "endpoint") == 0) {
		a->kind = UCT_TRUST_KIND_ENDPOINT;
		return td_endpoint(uct_json_get(v, "endpoint"), a);
	}
	if (strcmp(kind->str, "host") == 0) {
		a->kind = UCT_TRUST_KIND_HOST;
		return td_string(uct_json_get(v, "host"), &a->host) < 0 || !td_host(a->host) ? -1
											     : 0;
	}
	if (strcmp(kind->str, "ca") == 0) {
		a->kind = UCT_TRUST_KIND_CA;
		if (td_hosts(uct_json_get(v, "hosts"), a) < 0 ||
		    (pem = uct_json_get(v, "ca_pem")) == NULL || pem->type != UCT_JSON_STRING ||
		    strncmp(pem->str, "-----BEGIN CERTIFICATE-----", 27) != 0)
			return -1;
		/* Line feeds and base64: the certificate parser reads it later. */
		return (a->ca_pem = uct_strdup(pem->str)) != NULL ? 0 : -1;
	}
	return -1;
}

static int td_approval(const struct uct_json *v, struct uct_trust_approval *a)
{
	const struct uct_json *sha = uct_json_get(v, "sha256");
	unsigned char fp[UCT_SHA256_LEN];

	if (v->type != UCT_JSON_OBJECT || td_int(uct_json_get(v, "id"), 1, &a->id) < 0 ||
	    td_time(uct_json_get(v, "approved_at"), &a->approved_at) < 0 || sha == NULL ||
	    sha->type != UCT_JSON_STRING || uct_fp_parse(sha->str, fp) < 0)
		return -1;
	uct_fp_format(fp, a->sha256);
	return td_approval_target(v, a);
}

static void td_approval_clear(struct uct_trust_approval *a)
{
	free(a->host);
	free(a->ca_pem);
	uct_strv_clear(&a->hosts);
}

void uct_trustdoc_free(struct uct_trustdoc *doc)
{
	size_t i;

	if (doc == NULL)
		return;
	for (i = 0; i < doc->n; i++)
		td_approval_clear(&doc->approvals[i]);
	free(doc->approvals);
	free(doc);
}

/* 1 when v is a key id as the collector writes it: 64 lower-case hex
 * digits. Only such an id is quoted back: the document is not yet
 * trusted, and its bytes must not reach a message otherwise. */
static int td_key_id_shaped(const struct uct_json *v)
{
	size_t i;

	if (v == NULL || v->type != UCT_JSON_STRING || v->len != 2 * UCT_SHA256_LEN)
		return 0;
	for (i = 0; i < v->len; i++)
		if (!((v->str[i] >= '0' && v->str[i] <= '9') ||
		      (v->str[i] >= 'a' && v->str[i] <= 'f')))
			return 0;
	return 1;
}

/*
 * Why a signature did not verify. The document names the key it was signed
 * with ("key_id"); another id than the configured key's means another
 * collector key (a new key, or another collector); the same id, none, or
 * one not shaped as an id means a document changed after it was signed.
 * Either way it is refused: the id only chooses the message.
 */
static void td_refused(struct td_ctx *c, const struct uct_json *root, const char *key_pem)
{
	const struct uct_json *named = uct_json_get(root, "key_id");
	unsigned char id[UCT_SHA256_LEN];
	char mine[2 * UCT_SHA256_LEN + 1];
	struct uct_err id_err = {0};
	size_t i;

	if (td_key_id_shaped(named) && uct_sig_key_id(key_pem, id, &id_err) == 0) {
		for (i = 0; i < UCT_SHA256_LEN; i++)
			snprintf(mine + 2 * i, 3, "%02x", id[i]);
		if (memcmp(named->str, mine, named->len) != 0) {
			td_fail(c, UCT_TRUSTDOC_OTHER_KEY, UCT_E_CRYPTO,
				"the trust document is signed by another collector key (key id "
				"%.16s..., this PC's --trust-key is %.16s...); give this PC the "
				"output of 'uccx-trust-collector --print-trust-key'",
				named->str, mine);
			return;
		}
	}
	td_fail(c, UCT_TRUSTDOC_BAD_SIGNATURE, UCT_E_CRYPTO,
		"the trust document was changed after the collector signed it: its "
		"signature does not verify (tampered on the way, or by a proxy); nothing "
		"in it is used");
}

/* The signature over the canonical bytes without "signature". */
static int td_verify(struct td_ctx *c, const struct uct_json *root, const char *key_pem)
{
	const struct uct_json *sig = uct_json_get(root, "signature");
	unsigned char der[TD_SIG_MAX];
	size_t der_len = 0, canon_len = 0;
	struct uct_err sig_err = {0};
	char *canon = NULL;
	int rc = -1;

	if (sig == NULL || sig->type != UCT_JSON_STRING ||
	    td_base64(sig->str, sig->len, der, sizeof(der), &der_len) < 0)
		return td_malformed(c, "no \"signature\" in base64");
	if (uct_json_canonical(root, "signature", &canon, &canon_len, c->err) < 0)
		return td_fail(c, UCT_TRUSTDOC_NOMEM, UCT_E_NOMEM, "out of memory");
	if (uct_sig_verify_p256(key_pem, canon, canon_len, der, der_len, &sig_err) == 0)
		rc = 0;
	else if (sig_err.code == UCT_E_CONFIG)
		td_fail(c, UCT_TRUSTDOC_BAD_KEY, UCT_E_CONFIG, "%s", sig_err.msg);
	else
		td_refused(c, root, key_pem);
	free(canon);
	return rc;
}

/* version, serial and the two dates, then the approvals. */
static int td_read(struct td_ctx *c, const struct uct_json *root, struct uct_trustdoc *doc)
{
	const struct uct_json *version = uct_json_get(root, "version");
	const struct uct_json *list = uct_json_get(root, "approvals");
	size_t i;

	if (version == NULL || version->type != UCT_JSON_INT || version->num != 1)
		return td_malformed(c,
				    "\"version\" is not 1 (a newer collector? update the agent)");
	if (td_int(uct_json_get(root, "serial"), 0, &doc->serial) < 0)
		return td_malformed(c, "no \"serial\" (an integer of 0 or more)");
	if (td_time(uct_json_get(root, "issued_at"), &doc->issued_at) < 0 ||
	    td_time(uct_json_get(root, "expires_at"), &doc->expires_at) < 0)
		return td_malformed(c, "\"issued_at\" or \"expires_at\" is not a UTC time "
				       "YYYY-MM-DDTHH:MM:SSZ");
	if (list == NULL || list->type != UCT_JSON_ARRAY)
		return td_malformed(c, "no \"approvals\" array");
	if (list->n > 0 && (doc->approvals = calloc(list->n, sizeof(*doc->approvals))) == NULL)
		return td_fail(c, UCT_TRUSTDOC_NOMEM, UCT_E_NOMEM, "out of memory");
	for (i = 0; i < list->n; i++) {
		doc->n++;
		if (td_approval(&list->kids[i], &doc->approvals[i]) < 0) {
			char what[96];

			snprintf(what, sizeof(what),
				 "approval %zu (at byte %zu) is not a valid "
				 "approval",
				 i + 1, list->kids[i].at);
			return td_malformed(c, what);
		}
	}
	return 0;
}

/* The dates against now, the serial against the last one accepted. */
static int td_current(struct td_ctx *c, const struct uct_trustdoc *doc, int64_t last_serial,
		      int64_t now)
{
	if (now >= doc->expires_at)
		return td_fail(
			c, UCT_TRUSTDOC_EXPIRED, UCT_E_PARSE,
			"the trust document expired %lld s ago (serial %lld); the collector "
			"must be reachable to hand out a fresh one, and this PC's clock right",
			(long long)(now - doc->expires_at), (long long)doc->serial);
	if (now < doc->issued_at - UCT_TRUSTDOC_SKEW)
		return td_fail(c, UCT_TRUSTDOC_NOT_YET, UCT_E_PARSE,
			       "the trust document is issued %lld s in the future; check this PC's "
			       "clock and the collector's",
			       (long long)(doc->issued_at - now));
	if (doc->serial < last_serial)
		return td_fail(c, UCT_TRUSTDOC_SERIAL_BACK, UCT_E_PARSE,
			       "the trust document's serial went back (%lld, after %lld was "
			       "accepted): an old document replayed, or a collector restored from "
			       "an old backup",
			       (long long)doc->serial, (long long)last_serial);
	return 0;
}

int uct_trustdoc_check(const char *body, size_t len, const char *key_pem, int64_t last_serial,
		       int64_t now, struct uct_trustdoc **out, enum uct_trustdoc_fault *fault,
		       struct uct_err *err)
{
	struct td_ctx c = {.fault = fault, .err = err};
	struct uct_err parse_err = {0};
	struct uct_json *root = NULL;
	struct uct_trustdoc *doc = NULL;
	int rc = -1;

	*out = NULL;
	*fault = UCT_TRUSTDOC_OK;
	if (uct_json_parse(body, len, &root, &parse_err) < 0) {
		td_fail(&c,
			parse_err.code == UCT_E_NOMEM ? UCT_TRUSTDOC_NOMEM : UCT_TRUSTDOC_MALFORMED,
			parse_err.code, "the trust document is malformed: %s", parse_err.msg);
		goto out;
	}
	if (root->type != UCT_JSON_OBJECT) {
		td_malformed(&c, "not a JSON object");
		goto out;
	}
	if (td_verify(&c, root, key_pem) < 0)
		goto out;
	if ((doc = calloc(1, sizeof(*doc))) == NULL) {
		td_fail(&c, UCT_TRUSTDOC_NOMEM, UCT_E_NOMEM, "out of memory");
		goto out;
	}
	if (td_read(&c, root, doc) < 0 || td_current(&c, doc, last_serial, now) < 0)
		goto out;
	*out = doc;
	doc = NULL;
	rc = 0;
out:
	uct_trustdoc_free(doc);
	uct_json_free(root);
	return rc;
}

const char *uct_trustdoc_fault_name(enum uct_trustdoc_fault fault)
{
	static const char *const names[] = {
		[UCT_TRUSTDOC_OK] = "ok",
		[UCT_TRUSTDOC_MALFORMED] = "malformed",
		[UCT_TRUSTDOC_BAD_SIGNATURE] = "bad-signature",
		[UCT_TRUSTDOC_BAD_KEY] = "bad-key",
		[UCT_TRUSTDOC_EXPIRED] = "expired",
		[UCT_TRUSTDOC_NOT_YET] = "not-yet-valid",
		[UCT_TRUSTDOC_SERIAL_BACK] = "serial-back",
		[UCT_TRUSTDOC_NOMEM] = "nomem",
		[UCT_TRUSTDOC_NONE] = "none",
		[UCT_TRUSTDOC_OTHER_KEY] = "other-key",
	};

	if ((size_t)fault >= sizeof(names) / sizeof(names[0]) || names[fault] == NULL)
		return "unknown";
	return names[fault];
}
