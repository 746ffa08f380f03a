/*
 * util.c: owned-string arrays, certificates, fingerprints and
 * host-name rules shared by every module. Portable C99; the only platform
 * calls are the reference counting of a certificate's native handle.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "uct.h"

char *uct_strdup(const char *s)
{
	char *copy;
	size_t len;

	if (s == NULL)
		return NULL;
	len = strlen(s) + 1;
	copy = malloc(len);
	if (copy != NULL)
		memcpy(copy, s, len);
	return copy;
}

char *uct_asprintf(const char *fmt, ...)
{
	va_list ap;
	int len;
	char *buf;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		return NULL;
	buf = malloc((size_t)len + 1);
	if (buf == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(buf, (size_t)len + 1, fmt, ap);
	va_end(ap);
	return buf;
}

int uct_strv_push(struct uct_strv *sv, const char *s)
{
	char **grown;
	char *copy;

	copy = uct_strdup(s);
	if (copy == NULL)
		return -1;
	grown = realloc(sv->v, (sv->n + 1) * sizeof(*grown));
	if (grown == NULL) {
		free(copy);
		return -1;
	}
	sv->v = grown;
	sv->v[sv->n++] = copy;
	return 0;
}

int uct_strv_contains(const struct uct_strv *sv, const char *s)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return 1;
	return 0;
}

void uct_strv_clear(struct uct_strv *sv)
{
	size_t i;

	if (sv == NULL)
		return;
	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

/* ---- text from outside ---- */

/* The code point of the UTF-8 sequence at s (at most left bytes) and its
 * length in *n; -1 when the bytes are not valid, shortest-form UTF-8
 * (overlong forms, surrogates and values past U+10FFFF are not). */
static long utf8_decode(const unsigned char *s, size_t left, size_t *n)
{
	static const long min[] = {0, 0, 0x80, 0x800, 0x10000};
	long cp;
	size_t len, i;

	if (s[0] < 0x80) {
		*n = 1;
		return s[0];
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return -1;
	if (len > left)
		return -1;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*n = len;
	return cp;
}

/* Characters that must not reach a person as they are: controls, and those
 * that move or reorder text (a name could otherwise print as another). */
static int text_forbidden(long cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
	       cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

/* Walk the len bytes at s; write the escaped text to out when it is not
 * NULL. Returns the length of the escaped text. */
static size_t text_escape_into(const unsigned char *s, size_t len, char *out)
{
	size_t i = 0, o = 0, n;
	long cp;
	char tmp[16];
	int w;

	while (i < len) {
		cp = utf8_decode(s + i, len - i, &n);
		if (cp >= 0 && !text_forbidden(cp)) {
			if (out != NULL)
				memcpy(out + o, s + i, n);
			o += n;
			i += n;
			continue;
		}
		if (cp < 0 || cp < 0x80)
			w = snprintf(tmp, sizeof(tmp), "\\x%02X", s[i]), n = 1;
		else
			w = snprintf(tmp, sizeof(tmp), "\\u{%04lX}", cp);
		if (out != NULL)
			memcpy(out + o, tmp, (size_t)w);
		o += (size_t)w;
		i += n;
	}
	return o;
}

char *uct_text_escape_n(const char *s, size_t len)
{
	size_t out_len = text_escape_into((const unsigned char *)s, len, NULL);
	char *out = malloc(out_len + 1);

	if (out == NULL)
		return NULL;
	text_escape_into((const unsigned char *)s, len, out);
	out[out_len] = '\0';
	return out;
}

char *uct_text_escape(const char *s)
{
	return s != NULL ? uct_text_escape_n(s, strlen(s)) : NULL;
}

int uct_text_is_safe_n(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;
	long cp;

	while (i < len) {
		cp = utf8_decode(p + i, len - i, &n);
		if (cp < 0 || text_forbidden(cp))
			return 0;
		i += n;
	}
	return 1;
}

int uct_text_is_safe(const char *s)
{
	return s == NULL || uct_text_is_safe_n(s, strlen(s));
}

const char *uct_text_keep(struct uct_strv *keep, const char *s)
{
	char *e = uct_text_escape(s != NULL ? s : "");
	char **grown;

	if (e == NULL)
		return "(out of memory)";
	grown = realloc(keep->v, (keep->n + 1) * sizeof(*grown));
	if (grown == NULL) {
		free(e);
		return "(out of memory)";
	}
	keep->v = grown;
	keep->v[keep->n++] = e;
	return e;
}

const char *uct_text_quote(const char *s, char *buf, size_t size)
{
	size_t len = s != NULL ? strlen(s) : 0, cut = len, n;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (s == NULL)
		return buf;
	/* Cut before a UTF-8 continuation byte, never inside a character. */
	if (len > UCT_QUOTE_MAX)
		for (cut = UCT_QUOTE_MAX; cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80; cut--)
			;
	/* An escape is at most 4 bytes a byte: cut shorter when buf is small. */
	while (cut > 0 && text_escape_into((const unsigned char *)s, cut, NULL) + 32 > size)
		cut--;
	n = text_escape_into((const unsigned char *)s, cut, buf);
	buf[n] = '\0';
	if (cut < len)
		snprintf(buf + n, size - n, "... (%zu bytes)", len);
	return buf;
}

void uct_cert_free(struct uct_cert *cert)
{
	if (cert == NULL)
		return;
	free(cert->der);
	free(cert->subject);
	free(cert->issuer);
	free(cert->subject_cn);
	free(cert->serial_hex);
	uct_strv_clear(&cert->san_dns);
	uct_strv_clear(&cert->san_ip);
	free(cert->aia_ca_issuers);
	uct_cert_native_free(cert->native);
	free(cert);
}

static int cert_strv_copy(struct uct_strv *dst, const struct uct_strv *src)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		if (uct_strv_push(dst, src->v[i]) < 0)
			return -1;
	return 0;
}

/* A copy a failing strdup could miss: a NULL that was not NULL in src. */
#define CERT_DUP_LOST(field) (src->field != NULL && cert->field == NULL)

enum uct_ca_claim uct_cert_ca_claim(const struct uct_cert *cert)
{
	/* Extensions exist only from version 3 on (RFC 5280 4.1.2.9); a v1 or
	 * v2 encoding that carries some anyway says nothing a verifier must
	 * honour, so it is read as saying nothing. */
	if (cert == NULL || cert->version != 3 || !cert->has_basic_constraints)
		return UCT_CLAIM_NONE;
	return cert->is_ca ? UCT_CLAIM_CA : UCT_CLAIM_END_ENTITY;
}

int uct_cert_may_be_issuer(const struct uct_cert *cert, int ca_approved)
{
	switch (uct_cert_ca_claim(cert)) {
	case UCT_CLAIM_END_ENTITY: return 1;
	case UCT_CLAIM_CA: return ca_approved != 0;
	case UCT_CLAIM_NONE: return 0;
	}
	return 0;
}

struct uct_cert *uct_cert_dup(const struct uct_cert *src)
{
	struct uct_cert *cert;

	if (src == NULL || (cert = malloc(sizeof(*cert))) == NULL)
		return NULL;
	/* Scalars and the fingerprint by value; every pointer is replaced
	 * below before anything can fail, so a failure frees only copies. */
	*cert = *src;
	cert->der = NULL;
	cert->subject = uct_strdup(src->subject);
	cert->issuer = uct_strdup(src->issuer);
	cert->subject_cn = uct_strdup(src->subject_cn);
	cert->serial_hex = uct_strdup(src->serial_hex);
	cert->aia_ca_issuers = uct_strdup(src->aia_ca_issuers);
	memset(&cert->san_dns, 0, sizeof(cert->san_dns));
	memset(&cert->san_ip, 0, sizeof(cert->san_ip));
	cert->native = uct_cert_native_ref(src->native);
	if (src->der != NULL && (cert->der = malloc(src->der_len)) != NULL)
		memcpy(cert->der, src->der, src->der_len);
	if (CERT_DUP_LOST(der) || CERT_DUP_LOST(subject) || CERT_DUP_LOST(issuer) ||
	    CERT_DUP_LOST(subject_cn) || CERT_DUP_LOST(serial_hex) ||
	    CERT_DUP_LOST(aia_ca_issuers) || cert_strv_copy(&cert->san_dns, &src->san_dns) < 0 ||
	    cert_strv_copy(&cert->san_ip, &src->san_ip) < 0) {
		uct_cert_free(cert);
		return NULL;
	}
	return cert;
}

void uct_fp_format(const unsigned char sha256[UCT_SHA256_LEN], char *buf)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < UCT_SHA256_LEN; i++) {
		buf[i * 3] = hex[sha256[i] >> 4];
		buf[i * 3 + 1] = hex[sha256[i] & 0xf];
		buf[i * 3 + 2] = (i + 1 < UCT_SHA256_LEN) ? ':' : '\0';
	}
}

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int uct_fp_parse(const char *text, unsigned char out[UCT_SHA256_LEN])
{
	size_t digits = 0;
	const char *p;
	int v;

	/* Accept "sha256/" or "sha256:" prefixes as printed by some tools. */
	if (strncmp(text, "sha256:", 7) == 0 || strncmp(text, "SHA256:", 7) == 0 ||
	    strncmp(text, "sha256/", 7) == 0)
		text += 7;
	for (p = text; *p != '\0'; p++) {
		if (*p == ':' || *p == ' ')
			continue;
		v = hex_value((unsigned char)*p);
		if (v < 0 || digits >= UCT_SHA256_LEN * 2)
			return -1;
		if (digits % 2 == 0)
			out[digits / 2] = (unsigned char)(v << 4);
		else
			out[digits / 2] |= (unsigned char)v;
		digits++;
	}
	return digits == UCT_SHA256_LEN * 2 ? 0 : -1;
}

int uct_chain_push(struct uct_chain *chain, struct uct_cert *cert)
{
	struct uct_cert **grown;

	grown = realloc(chain->certs, (chain->n + 1) * sizeof(*grown));
	if (grown == NULL) {
		uct_cert_free(cert);
		return -1;
	}
	chain->certs = grown;
	chain->certs[chain->n++] = cert;
	return 0;
}

void uct_chain_clear(struct uct_chain *chain)
{
	size_t i;

	if (chain == NULL)
		return;
	for (i = 0; i < chain->n; i++)
		uct_cert_free(chain->certs[i]);
	free(chain->certs);
	chain->certs = NULL;
	chain->n = 0;
}

static int is_ipv4(const char *s)
{
	int parts = 0, digits = 0;
	long value = 0;

	for (;; s++) {
		if (isdigit((unsigned char)*s)) {
			value = value * 10 + (*s - '0');
			if (++digits > 3 || value > 255)
				return 0;
		} else if (*s == '.' || *s == '\0') {
			if (digits == 0)
				return 0;
			parts++;
			digits = 0;
			value = 0;
			if (*s == '\0')
				break;
		} else {
			return 0;
		}
	}
	return parts == 4;
}

int uct_is_ip_literal(const char *s)
{
	const char *p;
	int colons = 0;

	if (is_ipv4(s))
		return 1;
	if (*s == '[')
		s++;
	for (p = s; *p != '\0' && *p != ']'; p++) {
		if (*p == ':')
			colons++;
		else if (!isxdigit((unsigned char)*p) && *p != '.')
			return 0;
	}
	return colons >= 2;
}

int uct_is_fqdn(const char *s)
{
	size_t label = 0, labels = 0, total = 0;
	int all_digits_label = 1, last_all_digits = 1;
	const char *p;

	if (s == NULL || *s == '\0' || uct_is_ip_literal(s))
		return 0;
	for (p = s;; p++) {
		if (*p == '.' || *p == '\0') {
			/* An empty label is only allowed as the trailing root dot. */
			if (label == 0 && !(*p == '\0' && labels > 0 && p[-1] == '.'))
				return 0;
			if (label > 0) {
				if (p[-1] == '-')
					return 0;
				labels++;
				last_all_digits = all_digits_label;
			}
			if (*p == '\0')
				break;
			label = 0;
			all_digits_label = 1;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-')
			return 0;
		if (*p == '-' && label == 0)
			return 0;
		if (!isdigit((unsigned char)*p))
			all_digits_label = 0;
		if (++label > 63 || ++total > 253)
			return 0;
	}
	/* The top-level label of a real name is never all digits. */
	return labels >= 2 && !last_all_digits;
}

int uct_name_matches(const char *pattern, const char *host)
{
	const char *dot;
	size_t plen = strlen(pattern), hlen = strlen(host);

	/* A name the parser marked (escaped: a NUL, a control, bytes that are
	 * not UTF-8) or any other byte outside DNS syntax never matches. */
	if (strspn(pattern, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.*") !=
	    plen)
		return 0;
	/* Trailing root dots do not change the name. */
	if (plen > 0 && pattern[plen - 1] == '.')
		plen--;
	if (hlen > 0 && host[hlen - 1] == '.')
		hlen--;
	if (plen >= 2 && pattern[0] == '*' && pattern[1] == '.') {
		/*
		 * RFC 6125 6.4.3 as the browsers apply it: a wildcard stands for
		 * exactly one whole leftmost label, and the rest of the pattern
		 * needs at least two labels so "*.com" never matches.
		 */
		if (memchr(pattern + 2, '.', plen - 2) == NULL)
			return 0;
		dot = memchr(host, '.', hlen);
		if (dot == NULL || dot == host)
			return 0;
		hlen -= (size_t)(dot - host);
		host = dot;
		pattern++;
		plen--;
	}
	if (memchr(pattern, '*', plen) != NULL)
		return 0;
	return plen == hlen && strncasecmp(pattern, host, plen) == 0;
}

int uct_cert_matches_host(const struct uct_cert *cert, const char *host)
{
	size_t i;

	for (i = 0; i < cert->san_dns.n; i++)
		if (uct_name_matches(cert->san_dns.v[i], host))
			return 1;
	return 0;
}

/* Names used in reports and JSON: stable, lower-case. */
const char *uct_fetch_status_name(enum uct_fetch_status s)
{
	switch (s) {
	case UCT_FETCH_NOT_RUN: return "not-run";
	case UCT_FETCH_OK: return "ok";
	case UCT_FETCH_DNS: return "dns";
	case UCT_FETCH_REFUSED: return "refused";
	case UCT_FETCH_TIMEOUT: return "timeout";
	case UCT_FETCH_TLS: return "tls";
	case UCT_FETCH_PROXY: return "proxy";
	case UCT_FETCH_ERROR: return "error";
	}
	return "error";
}

const char *uct_trust_name(enum uct_trust t)
{
	switch (t) {
	case UCT_TRUST_NONE: return "none";
	case UCT_TRUST_PEER: return "peer";
	case UCT_TRUST_PEER_ONLY: return "peer-only";
	case UCT_TRUST_ROOT: return "root";
	case UCT_TRUST_OVERRIDE: return "override";
	}
	return "none";
}

const char *uct_browser_name(enum uct_browser b)
{
	switch (b) {
	case UCT_BROWSER_CHROMIUM: return "chromium";
	case UCT_BROWSER_FIREFOX: return "firefox";
	case UCT_BROWSER_SYSTEM: return "system";
	}
	return "unknown";
}
