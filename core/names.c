/*
 * names.c: host-name rules: IP literals, FQDN syntax and the RFC 6125
 * matching of a certificate's dNSNames against a host, as browsers apply it.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "uct.h"

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

/* 1 when the len bytes at p are one label in LDH syntax: 1 to 63 letters,
 * digits or hyphens, neither the first nor the last a hyphen. *all_digits
 * says whether it holds digits only. */
static int fqdn_label(const char *p, size_t len, int *all_digits)
{
	size_t i;

	if (len == 0 || len > 63 || p[0] == '-' || p[len - 1] == '-')
		return 0;
	*all_digits = 1;
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)p[i]) && p[i] != '-')
			return 0;
		if (!isdigit((unsigned char)p[i]))
			*all_digits = 0;
	}
	return 1;
}

int uct_is_fqdn(const char *s)
{
	const char *p, *dot, *end;
	size_t labels = 0, total = 0;
	int all_digits = 1;

	if (s == NULL || *s == '\0' || uct_is_ip_literal(s))
		return 0;
	end = s + strlen(s);
	/* An empty label is only allowed as the trailing root dot. */
	if (end[-1] == '.')
		end--;
	for (p = s;; p = dot + 1) {
		dot = memchr(p, '.', (size_t)(end - p));
		if (dot == NULL)
			dot = end;
		if (!fqdn_label(p, (size_t)(dot - p), &all_digits))
			return 0;
		labels++;
		total += (size_t)(dot - p);
		if (dot == end)
			break;
	}
	/* The top-level label of a real name is never all digits; the
	 * letters of all labels together are at most 253. */
	return labels >= 2 && total <= 253 && !all_digits;
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
