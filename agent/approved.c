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

/* The certificate of one CA approval, or NULL when its PEM does not start
 * with a certificate that has the approved fingerprint. */
static struct uct_cert *approval_cert(const struct uct_trust_approval *a)
{
	struct uct_chain found = {0};
	struct uct_err perr = {0};
	struct uct_cert *cert = NULL;

	if (a->ca_pem != NULL &&
	    uct_cert_read_mem(a->ca_pem, strlen(a->ca_pem), "a CA approval", &found, &perr) == 0 &&
	    found.n > 0 && approval_is(a, found.certs[0]->sha256))
		cert = uct_cert_dup(found.certs[0]);
	uct_chain_clear(&found);
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
