/*
 * cert.c: what a parsed certificate says (its CA claim, whether it may hold
 * issuer trust) and SHA-256 fingerprints as people write them. Portable C:
 * the parsing and the native handle are the platform's.
 */
#include <ctype.h>
#include <string.h>

#include "uct.h"

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
