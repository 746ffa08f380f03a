/*
 * text.c: escaping and quoting of text that came from outside (a server, a
 * file) before it reaches a person, a record or JSON (uct.h says the rule).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uct.h"

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
