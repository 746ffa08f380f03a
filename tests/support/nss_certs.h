/*
 * nss_certs.h: certificates generated at run time for the NSS store tests
 * (and any test that needs a small PKI), filled as the real parser would.
 */
#ifndef TNSS_CERTS_H
#define TNSS_CERTS_H

#include <openssl/x509.h>

#include "uct.h"

struct tnss_cert {
	X509 *x509;
	EVP_PKEY *key;
	struct uct_cert *cert; /* der, der_len, sha256, subject, subject_cn, is_ca, san_dns */
};

/* A certificate for cn (with one SAN dNSName when san is set), CA:TRUE or
 * CA:FALSE, signed by issuer or self-signed when issuer is NULL. EC P-256,
 * valid from an hour ago for 30 days, random serial. Fails the test on
 * error. Free with tnss_cert_free(). */
struct tnss_cert tnss_cert_make(const char *cn, const char *san, int ca,
				const struct tnss_cert *issuer);
void tnss_cert_free(struct tnss_cert *t);
/* Write the certificate (never the key) as PEM to path. */
void tnss_write_pem(const struct tnss_cert *t, const char *path);

#endif
