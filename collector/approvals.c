/*
 * approvals.c: the administrator's approvals: the POST body read and
 * checked (fingerprints, host names, CA certificates through OpenSSL), and
 * the store's approvals, audit log and trust serial, written once for both
 * backends over their admin connection (db_backend.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "db_backend.h"

void col_approval_free(struct col_approval *a)
{
	if (a == NULL)
		return;
	free(a->ca_pem);
	free(a->hosts);
	free(a->note);
	free(a);
}

/*
 * A server's name as the agent reaches it: a DNS name of at least two
 * labels (letters, digits, '-'; not all digits at the end, which would be
 * an IP address), written into out in lower case. -1 otherwise.
 */
static int approval_host(const char *s, size_t n, char out[COL_HOST_MAX + 1])
{
	size_t i, label = 0, dots = 0;
	int alpha_last = 0;

	if (n == 0 || n > COL_HOST_MAX || s[0] == '.' || s[n - 1] == '.')
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return -1;
			dots++;
			label = 0;
			out[i] = '.';
			alpha_last = 0;
			continue;
		}
		if (!isalnum(c) && c != '-')
			return -1;
		if ((label == 0 && c == '-') || ++label > 63)
			return -1;
		alpha_last |= isalpha(c) || c == '-';
		out[i] = (char)tolower(c);
	}
	out[n] = '\0';
	return dots > 0 && alpha_last && s[n - 1] != '-' ? 0 : -1;
}

/* "HOST:PORT" into a. */
static int approval_endpoint(const char *s, struct col_approval *a)
{
	const char *colon = strrchr(s, ':');
	char *end;
	unsigned long port;

	if (colon == NULL || approval_host(s, (size_t)(colon - s), a->host) < 0)
		return -1;
	port = strtoul(colon + 1, &end, 10);
	if (!isdigit((unsigned char)colon[1]) || *end != '\0' || port == 0 || port > 65535)
		return -1;
	a->port = (unsigned)port;
	return 0;
}

/* 64 hex digits, bare or as 32 colon-separated pairs, into "AB:CD:...". */
static int approval_sha256(const char *s, char out[COL_FP_LEN + 1])
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = strlen(s), i, o = 0, step;

	if (len != 64 && len != COL_FP_LEN)
		return -1;
	step = len == 64 ? 2 : 3;
	for (i = 0; i < len; i += step) {
		if (!isxdigit((unsigned char)s[i]) || !isxdigit((unsigned char)s[i + 1]) ||
		    (step == 3 && i + 2 < len && s[i + 2] != ':'))
			return -1;
		if (o > 0)
			out[o++] = ':';
		out[o++] = hex[strchr(hex, toupper((unsigned char)s[i])) - hex];
		out[o++] = hex[strchr(hex, toupper((unsigned char)s[i + 1])) - hex];
	}
	out[o] = '\0';
	return 0;
}

/*
 * The uploaded CA certificate: one PEM certificate whose basicConstraints
 * say CA:TRUE explicitly (a certificate without them is not taken for a
 * CA, whatever it can sign). Keeps it as OpenSSL writes it, and its SHA-256.
 */
static int approval_ca(const char *pem, struct col_approval *a, struct col_err *err)
{
	BIO *in = BIO_new_mem_buf(pem, -1), *out = BIO_new(BIO_s_mem());
	X509 *x = in != NULL ? PEM_read_bio_X509(in, NULL, NULL, NULL) : NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0, i;
	char *text = NULL;
	long len;
	int rc = -1;

	if (x == NULL)
		col_err_set(err, COL_REJ_INVALID_REPORT,
			    "ca_pem: not a PEM certificate (-----BEGIN CERTIFICATE-----)");
	else if (!(X509_get_extension_flags(x) & EXFLAG_BCONS) ||
		 !(X509_get_extension_flags(x) & EXFLAG_CA))
		col_err_set(err, COL_REJ_INVALID_REPORT,
			    "ca_pem: not a CA certificate (basicConstraints CA:TRUE); approve a "
			    "server certificate by its sha256 instead");
	else if (out == NULL || PEM_write_bio_X509(out, x) != 1 ||
		 (len = BIO_get_mem_data(out, &text)) <= 0 ||
		 (a->ca_pem = strndup(text, (size_t)len)) == NULL ||
		 X509_digest(x, EVP_sha256(), md, &md_len) != 1)
		col_err_set(err, COL_REJ_STORAGE, "out of memory reading ca_pem");
	else
		rc = 0;
	for (i = 0; rc == 0 && i < md_len; i++)
		snprintf(a->sha256 + 3 * i, 4, i + 1 < md_len ? "%02X:" : "%02X", md[i]);
	X509_free(x);
	BIO_free(in);
	BIO_free(out);
	return rc;
}

/* The CA's hosts: "host" (one) or "hosts" (a list), as a compact JSON array. */
static int approval_ca_hosts(json_t *body, struct col_approval *a, struct col_err *err)
{
	json_t *given = json_object_get(body, "hosts"), *one = json_object_get(body, "host");
	json_t *list = json_array(), *h;
	char name[COL_HOST_MAX + 1];
	size_t i;

	if (one != NULL && given == NULL)
		given = json_pack("[O]", one);
	else
		json_incref(given);
	if (!json_is_array(given) || json_array_size(given) == 0 ||
	    json_array_size(given) > COL_CA_HOSTS_MAX) {
		json_decref(given);
		json_decref(list);
		col_err_set(
			err, COL_REJ_INVALID_REPORT,
			"hosts: a CA is approved for a list of 1 to " COL_STR(
				COL_CA_HOSTS_MAX) " host names (\"hosts\": [\"uccx1.example.com\"])");
		return -1;
	}
	json_array_foreach(given, i, h)
	{
		const char *s = json_string_value(h);
		if (s == NULL || approval_host(s, strlen(s), name) < 0) {
			json_decref(given);
			json_decref(list);
			col_err_set(err, COL_REJ_INVALID_REPORT,
				    "hosts[%zu]: not a server's DNS name "
				    "(an FQDN such as uccx1.example.com; no IP address)",
				    i);
			return -1;
		}
		json_array_append_new(list, json_string(name));
	}
	a->hosts = json_dumps(list, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(given);
	json_decref(list);
	return a->hosts != NULL ? 0 : -1;
}

/* The members a body may have; anything else is refused by name. */
static int approval_known_members(json_t *body, struct col_err *err)
{
	static const char *const known[] = {"endpoint", "host", "hosts", "sha256",
					    "ca_pem",   "note", "force"};
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(body, key, v)
	{
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strcmp(key, known[i]) == 0)
				break;
		if (i == sizeof(known) / sizeof(known[0])) {
			col_err_set(err, COL_REJ_INVALID_REPORT,
				    "unknown member \"%.40s\"; an approval "
				    "has endpoint or host, sha256 or ca_pem, note and force",
				    key);
			return -1;
		}
	}
	return 0;
}

/* note (optional): text without control characters, up to COL_NOTE_MAX bytes. */
static int approval_note(json_t *body, struct col_approval *a, struct col_err *err)
{
	json_t *note = json_object_get(body, "note");
	const char *s = note != NULL ? json_string_value(note) : "";
	size_t i;

	for (i = 0; s != NULL && s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s = NULL;
	if (s == NULL || strlen(s) > COL_NOTE_MAX) {
		col_err_set(err, COL_REJ_INVALID_REPORT,
			    "note: text of at most " COL_STR(COL_NOTE_MAX) " bytes on one line");
		return -1;
	}
	if ((a->note = strdup(s)) == NULL) {
		col_err_set(err, COL_REJ_STORAGE, "out of memory");
		return -1;
	}
	return 0;
}

/* A fingerprint approval: sha256 for endpoint or host. */
static int approval_fingerprint(json_t *body, struct col_approval *a, struct col_err *err)
{
	const char *fp = json_string_value(json_object_get(body, "sha256"));
	const char *ep = json_string_value(json_object_get(body, "endpoint"));
	const char *host = json_string_value(json_object_get(body, "host"));

	if (fp == NULL || approval_sha256(fp, a->sha256) < 0) {
		col_err_set(err, COL_REJ_INVALID_REPORT,
			    "sha256: the certificate's SHA-256 as 64 "
			    "hex digits, bare or in colon-separated pairs");
		return -1;
	}
	if (json_object_get(body, "hosts") != NULL || (ep != NULL) == (host != NULL)) {
		col_err_set(err, COL_REJ_INVALID_REPORT,
			    "give either \"endpoint\" (HOST:PORT) or "
			    "\"host\" (every port of it) with a sha256");
		return -1;
	}
	a->kind = ep != NULL ? COL_APPROVAL_ENDPOINT : COL_APPROVAL_HOST;
	if (ep != NULL && approval_endpoint(ep, a) < 0) {
		col_err_set(err, COL_REJ_INVALID_REPORT,
			    "endpoint: HOST:PORT with the server's "
			    "DNS name (an FQDN, no IP address) and a port from 1 to 65535");
		return -1;
	}
	if (host != NULL && approval_host(host, strlen(host), a->host) < 0) {
		col_err_set(err, COL_REJ_INVALID_REPORT,
			    "host: the server's DNS name (an FQDN "
			    "such as uccx1.example.com; no IP address, no port)");
		return -1;
	}
	return 0;
}

/* The members' types and combinations, then each member's own rule. */
static int approval_read(json_t *body, struct col_approval *a, struct col_err *err)
{
	json_t *force = json_object_get(body, "force");
	json_t *ca = json_object_get(body, "ca_pem");

	if (approval_known_members(body, err) < 0 || approval_note(body, a, err) < 0)
		return -1;
	if (force != NULL && !json_is_boolean(force)) {
		col_err_set(err, COL_REJ_INVALID_REPORT, "force: true or false");
		return -1;
	}
	a->force = json_is_true(force);
	if (ca != NULL && json_object_get(body, "sha256") != NULL) {
		col_err_set(err, COL_REJ_INVALID_REPORT,
			    "give sha256 (a server certificate) or "
			    "ca_pem (a CA certificate), not both");
		return -1;
	}
	if (ca == NULL)
		return approval_fingerprint(body, a, err);
	a->kind = COL_APPROVAL_CA;
	if (!json_is_string(ca) || json_object_get(body, "endpoint") != NULL) {
		col_err_set(err, COL_REJ_INVALID_REPORT,
			    "ca_pem: a PEM certificate (text), approved "
			    "for \"hosts\" (or one \"host\"), not for an endpoint");
		return -1;
	}
	return approval_ca(json_string_value(ca), a, err) < 0 ? -1
							      : approval_ca_hosts(body, a, err);
}

int col_approval_parse(const char *body, size_t len, struct col_approval **out, struct col_err *err)
{
	json_error_t jerr;
	json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	struct col_approval *a;

	*out = NULL;
	if (!json_is_object(doc)) {
		col_err_set(err, COL_REJ_MALFORMED_JSON, "the body must be a JSON object: %s",
			    doc == NULL ? jerr.text : "another JSON value");
		json_decref(doc);
		return -1;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		json_decref(doc);
		col_err_set(err, COL_REJ_STORAGE, "out of memory");
		return -1;
	}
	if (approval_read(doc, a, err) < 0) {
		json_decref(doc);
		col_approval_free(a);
		return -1;
	}
	json_decref(doc);
	*out = a;
	return 0;
}

int col_url_host_port(const char *url, char host[COL_HOST_MAX + 1], unsigned *port)
{
	const char *h, *end;
	size_t n;
	unsigned long p = 443;
	char *num_end;

	if (strncmp(url, "https://", 8) != 0)
		return -1;
	h = url + 8;
	n = strcspn(h, ":/?#");
	if (n == 0 || n > COL_HOST_MAX)
		return -1;
	end = h + n;
	if (*end == ':') {
		p = strtoul(end + 1, &num_end, 10);
		if (num_end == end + 1 || (*num_end != '\0' && *num_end != '/') || p == 0 ||
		    p > 65535)
			return -1;
	}
	for (n = 0; h + n < end; n++)
		host[n] = (char)tolower((unsigned char)h[n]);
	host[n] = '\0';
	*port = (unsigned)p;
	return 0;
}
