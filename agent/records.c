/*
 * records.c: helpers for the agent's tab-separated record files
 * (records.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "records.h"
#include "uct.h"

int uct_rec_append(char **buf, size_t *len, size_t *cap, const char *text)
{
	size_t add = strlen(text);
	char *grown;

	if (*len + add + 1 > *cap) {
		*cap = (*len + add + 1) * 2;
		grown = realloc(*buf, *cap);
		if (grown == NULL)
			return -1;
		*buf = grown;
	}
	memcpy(*buf + *len, text, add + 1);
	*len += add;
	return 0;
}

char *uct_rec_clean(const char *s)
{
	char *copy = uct_strdup(s != NULL ? s : ""), *p, *out;

	/* One-line text (a summary, a verifier's message) reads better with
	 * its breaks as spaces; every other control is escaped. */
	for (p = copy; p != NULL && *p != '\0'; p++)
		if (*p == '\t' || *p == '\n' || *p == '\r')
			*p = ' ';
	out = uct_text_escape(copy);
	free(copy);
	return out;
}

char *uct_rec_path(const char *s)
{
	const unsigned char *p;
	char *out, *o;

	s = s != NULL ? s : "";
	out = malloc(strlen(s) * 4 + 1);
	if (out == NULL)
		return NULL;
	for (p = (const unsigned char *)s, o = out; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			o += sprintf(o, "\\x%02X", *p);
		else
			*o++ = (char)*p;
	}
	*o = '\0';
	return out;
}

int uct_rec_field_ok(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

static unsigned hex_digit(char c)
{
	return isdigit((unsigned char)c) ? (unsigned)(c - '0')
					 : (unsigned)(tolower((unsigned char)c) - 'a' + 10);
}

int uct_rec_parse_sha256(const char *s, unsigned char out[32])
{
	size_t i;

	if (strlen(s) != 64 || strspn(s, "0123456789abcdefABCDEF") != 64)
		return -1;
	for (i = 0; i < 32; i++)
		out[i] = (unsigned char)(hex_digit(s[2 * i]) << 4 | hex_digit(s[2 * i + 1]));
	return 0;
}

int uct_rec_hostport_ok(const char *s)
{
	const char *colon = strrchr(s, ':');
	char host[256];
	int64_t port;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host) ||
	    uct_rec_parse_i64(colon + 1, &port) < 0 || port < 1 || port > 65535 ||
	    !isdigit((unsigned char)colon[1]))
		return 0;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	return uct_is_fqdn(host);
}

size_t uct_rec_split(char *line, char **fields, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (n < max) {
		fields[n++] = p;
		p = strchr(p, '\t');
		if (p == NULL)
			break;
		*p++ = '\0';
	}
	return n;
}

int uct_rec_parse_i64(const char *s, int64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return (errno != 0 || end == s || *end != '\0') ? -1 : 0;
}

void uct_rec_hex(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

int uct_rec_parse_trust(const char *s, enum uct_trust *out)
{
	static const enum uct_trust all[] = {UCT_TRUST_PEER, UCT_TRUST_PEER_ONLY, UCT_TRUST_ROOT,
					     UCT_TRUST_OVERRIDE};
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(s, uct_trust_name(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	}
	return -1;
}

int uct_rec_list_has(const char *list, const char *item, int nocase)
{
	size_t len = strlen(item);
	const char *p = list;

	while (p != NULL && *p != '\0') {
		if ((nocase ? strncasecmp(p, item, len) : strncmp(p, item, len)) == 0 &&
		    (p[len] == ',' || p[len] == '\0'))
			return 1;
		p = strchr(p, ',');
		if (p != NULL)
			p++;
	}
	return 0;
}
