/*
 * approved.c: the questions the collector trust mode asks of a checked
 * trust document (see approved.h). The document has been verified by
 * platform/common/trustdoc.c; its strings are still treated as input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "approved.h"

#define PEM_BEGIN "-----BEGIN CERTIFICATE-----"
#define PEM_END "-----END CERTIFICATE-----"

/* 1 when the approval names the certificate with sha256. */
static int approval_is(const struct uct_trust_approval *a, const unsigned char *sha256)
{
	char fp[UCT_FP_STRLEN];

	uct_fp_format(sha256, fp);
	return strcasecmp(a->sha256, fp) == 0;
}

int uct_approved_leaf(const struct uct_trustdoc *doc, const unsigned char sha256[UCT_SHA256_LEN],
		      const char *host, int port)
{
	size_t i;

	for (i = 0; doc != NULL && i < doc->n; i++) {
		const struct uct_trust_approval *a = &doc->approvals[i];

		if (a->kind == UCT_TRUST_KIND_CA || a->host == NULL || !approval_is(a, sha256) ||
		    strcasecmp(a->host, host) != 0)
			continue;
		if (a->kind == UCT_TRUST_KIND_HOST || (int)a->port == port)
			return 1;
	}
	return 0;
}

int uct_approved_ca(const struct uct_trustdoc *doc, const unsigned char sha256[UCT_SHA256_LEN],
		    const char *host)
{
	size_t i, h;

	for (i = 0; doc != NULL && i < doc->n; i++) {
		const struct uct_trust_approval *a = &doc->approvals[i];

		if (a->kind != UCT_TRUST_KIND_CA || !approval_is(a, sha256))
			continue;
		for (h = 0; h < a->hosts.n; h++)
			if (strcasecmp(a->hosts.v[h], host) == 0)
				return 1;
	}
	return 0;
}

int uct_approved_for_any(const struct uct_trustdoc *doc, const unsigned char sha256[UCT_SHA256_LEN],
			 const char *hostports)
{
	const char *p = hostports, *comma, *colon;
	char hp[300];
	size_t len;

	while (doc != NULL && p != NULL && *p != '\0') {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (len < sizeof(hp)) {
			memcpy(hp, p, len);
			hp[len] = '\0';
			colon = strrchr(hp, ':');
			if (colon != NULL) {
				hp[colon - hp] = '\0';
				if (uct_approved_leaf(doc, sha256, hp, atoi(colon + 1)) ||
				    uct_approved_ca(doc, sha256, hp))
					return 1;
			}
		}
		p = comma != NULL ? comma + 1 : NULL;
	}
	return 0;
}

static int b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * The DER of the first certificate in pem, into *der (owned by the
 * caller) and *len. -1 when there is none, the base64 is damaged, or
 * memory runs out (*der NULL). Line breaks and spaces are skipped; "="
 * ends the data.
 */
static int pem_der(const char *pem, unsigned char **der, size_t *len)
{
	const char *begin = strstr(pem, PEM_BEGIN), *end, *p;
	unsigned int acc = 0;
	int bits = 0, v;

	*der = NULL;
	*len = 0;
	if (begin == NULL)
		return -1;
	begin += strlen(PEM_BEGIN);
	if ((end = strstr(begin, PEM_END)) == NULL)
		return -1;
	if ((*der = malloc((size_t)(end - begin) / 4 * 3 + 3)) == NULL)
		return -1;
	for (p = begin; p < end && *p != '='; p++) {
		if (*p == '\r' || *p == '\n' || *p == ' ' || *p == '\t')
			continue;
		if ((v = b64_value((unsigned char)*p)) < 0)
			goto bad;
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			(*der)[(*len)++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (*len > 0)
		return 0;
bad:
	free(*der);
	*der = NULL;
	return -1;
}

/* The certificate of one CA approval, or NULL when its PEM holds none
 * with the approved fingerprint. */
static struct uct_cert *approval_cert(const struct uct_trust_approval *a)
{
	struct uct_cert *cert = NULL;
	struct uct_err perr = {0};
	unsigned char *der;
	size_t len;

	if (a->ca_pem == NULL || pem_der(a->ca_pem, &der, &len) < 0)
		return NULL;
	if (uct_cert_parse(der, len, &cert, &perr) == 0 && !approval_is(a, cert->sha256)) {
		uct_cert_free(cert);
		cert = NULL;
	}
	free(der);
	return cert;
}

int uct_approved_ca_certs(const struct uct_trustdoc *doc, struct uct_chain *chain,
			  struct uct_strv *skipped, struct uct_err *err)
{
	struct uct_cert *cert;
	char *line;
	size_t i;

	for (i = 0; doc != NULL && i < doc->n; i++) {
		if (doc->approvals[i].kind != UCT_TRUST_KIND_CA)
			continue;
		if ((cert = approval_cert(&doc->approvals[i])) != NULL) {
			if (uct_chain_push(chain, cert) < 0)
				return uct_err_set(err, UCT_E_NOMEM, ENOMEM, "out of memory");
			continue;
		}
		line = uct_asprintf("the trust document's CA approval %lld holds no certificate "
				    "with its fingerprint %s: left out",
				    (long long)doc->approvals[i].id, doc->approvals[i].sha256);
		if (skipped != NULL && line != NULL)
			uct_strv_push(skipped, line);
		free(line);
	}
	return 0;
}
