/*
 * testsig.h: ECDSA keys and signed trust documents made by the tests
 * themselves (OpenSSL), as the collector makes them: for the agent's
 * configuration and its trust source.
 */
#ifndef UCT_TESTSIG_H
#define UCT_TESTSIG_H

#include <stdint.h>

/* A new EC key on curve ("P-256", "P-384"); its public key is written as
 * PEM to pub_path. The key is returned (an EVP_PKEY *, free with
 * uct_testsig_free_key); the test fails when it cannot be made. */
void *uct_testsig_key(const char *curve, const char *pub_path);
void uct_testsig_free_key(void *key); /* NULL-safe */

/*
 * A trust document (docs/report-schema.md) with serial, issued at issued,
 * expiring at expires, approving sha256 ("AB:CD:...") at every port of
 * host, signed by key over its canonical bytes: a new string the caller
 * frees. The test fails when it cannot be made.
 */
char *uct_testsig_doc(void *key, int64_t serial, int64_t issued, int64_t expires, const char *host,
		      const char *sha256);

#endif
