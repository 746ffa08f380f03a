/*
 * cert_life.c: the lifetime of a parsed certificate and of a chain (free,
 * copy), which hold the platform's native handle (uct_cert_native_ref and
 * _free), so they live with the parsers rather than in core/.
 */
#include <stdlib.h>
#include <string.h>

#include "platform.h"

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
