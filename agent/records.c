/*
 * records.c: helpers for the agent's tab-separated record files
 * (records.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
	char *copy = uct_strdup(s != NULL ? s : ""), *p;

	for (p = copy; p != NULL && *p != '\0'; p++)
		if (*p == '\t' || *p == '\n' || *p == '\r')
			*p = ' ';
	return copy;
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
