/*
 * cert_ossl.h: helpers of the OpenSSL certificate parser shared inside
 * platform/linux only (the fetch decodes PEM with them). Not part of the
 * portable interface: platform.h is.
 */
#ifndef UCT_CERT_OSSL_H
#define UCT_CERT_OSSL_H

#include <stddef.h>

#include <openssl/x509.h>

#include "uct.h"

/*
 * Parse every certificate of buf: a PEM text with one or more CERTIFICATE
 * blocks (other blocks, such as keys, are skipped) or a single DER
 * certificate. The certificates are appended to chain in file order. On
 * failure nothing is appended and err says why (UCT_E_PARSE); what names the
 * input in messages (a path, a URL).
 */
int uct_ossl_parse_any(const unsigned char *buf, size_t len, const char *what,
		       struct uct_chain *chain, struct uct_err *err);

/*
 * Certificates already filled, by their DER encoding: a node's intermediate
 * and root arrive on each of its ports, and filling a uct_cert (names,
 * SANs, extensions, a self-signature check) costs far more than copying
 * one. Zero-initialise; uct_ossl_seen_clear frees the copies it holds.
 */
struct uct_ossl_seen {
	struct uct_cert **certs; /* owned */
	size_t n;
};
void uct_ossl_seen_clear(struct uct_ossl_seen *seen); /* NULL-safe */

/*
 * Append x (borrowed: the caller still frees it) to chain as a new
 * uct_cert, filled from x itself and its DER encoding, holding a reference
 * to x. With seen, a certificate seen before is copied instead of filled,
 * and a new one is remembered there; seen may be NULL. On failure nothing
 * is appended and err says why.
 */
int uct_ossl_push_x509(X509 *x, struct uct_chain *chain, struct uct_ossl_seen *seen,
		       struct uct_err *err);

/* Forget the remembered uct_cert_signed_by answers (tests compare the
 * answers with and without decoded certificates). */
void uct_ossl_signed_forget(void);

#endif
