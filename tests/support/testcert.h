/*
 * testcert.h: the certificate factory of the test suite. Every test that
 * needs a certificate (parser, analysis, stores, lab) makes it here at run
 * time with OpenSSL, so that no private key is ever committed.
 *
 * Typical use:
 *
 *	struct uct_testcert *ca = uct_testcert_make(&(struct uct_testcert_spec){
 *		.cn = "Lab Root CA", .is_ca = 1 });
 *	struct uct_testcert *leaf = uct_testcert_make(&(struct uct_testcert_spec){
 *		.cn = "uccx1.lab.example",
 *		.sans = (const char *const[]){"uccx1.lab.example", "10.0.0.5", NULL},
 *		.issuer = ca });
 *	struct uct_cert *parsed = uct_testcert_to_uct(leaf);
 *	...
 *	uct_cert_free(parsed);
 *	uct_testcert_free(leaf);
 *	uct_testcert_free(ca);
 *
 * Every field of the spec has a sensible zero value, so a test states only
 * what it is about. Keys are cached per process (RSA generation is slow):
 * two certificates with the same key type, size and key_slot share a key.
 */
#ifndef UCT_TESTCERT_H
#define UCT_TESTCERT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "platform.h" /* struct uct_cert and its lifetime */
#include "uct.h"

/* Extended key usage choices (spec.eku). */
enum uct_testcert_eku {
	UCT_TESTCERT_EKU_DEFAULT = 0, /* leaf: serverAuth + clientAuth; CA: none */
	UCT_TESTCERT_EKU_NONE,        /* no extension */
	UCT_TESTCERT_EKU_SERVER,      /* serverAuth only */
	UCT_TESTCERT_EKU_CLIENT,      /* clientAuth only: not usable for a web server */
	UCT_TESTCERT_EKU_ANY,         /* anyExtendedKeyUsage only */
};

/* Key algorithms (spec.key_type). */
enum uct_testcert_key {
	UCT_TESTCERT_RSA = 0, /* key_bits bits, 2048 when 0 */
	UCT_TESTCERT_EC,      /* P-256 */
	UCT_TESTCERT_ED25519,
};

struct uct_testcert;

struct uct_testcert_spec {
	/* Subject CN; NULL: no CN at all. */
	const char *cn;
	/* Optional subject O. */
	const char *org;
	/* NULL-terminated subjectAltName list. An entry that parses as an
	 * IPv4/IPv6 address becomes an iPAddress, the rest dNSName.
	 * NULL: one dNSName equal to cn (like a modern server certificate);
	 * set no_san to omit the extension entirely. */
	const char *const *sans;
	int no_san;
	/* basicConstraints cA:TRUE (critical); pathLenConstraint when
	 * pathlen > 0, or when with_pathlen is set (then 0 is encoded too).
	 * Without is_ca the extension says cA:FALSE explicitly. */
	int is_ca;
	int pathlen;
	int with_pathlen;
	/* Mark basicConstraints not critical (common in the wild). */
	int bc_not_critical;
	/* Omit basicConstraints (an old-style v3 certificate: it says nothing
	 * about being a CA). Combine with key_usage = UCT_KU_KEY_CERT_SIGN
	 * for "keyCertSign without CA". */
	int no_basic_constraints;
	/* X.509 version 1, 2 or 3; 0 means 3. Versions 1 and 2 have no
	 * extensions at all (the encoding has no room for them), so every
	 * extension field of this spec is ignored for them. */
	int version;
	/* nameConstraints in openssl.cnf syntax, NULL for none, e.g.
	 * "critical,permitted;DNS:.lab.example". */
	const char *name_constraints;
	enum uct_testcert_key key_type;
	int key_bits;
	/* Pick another cached key of the same kind (0..3): distinct keys
	 * without paying for generation in every test. */
	int key_slot;
	/* Validity in epoch seconds; both 0: now - 1 day .. now + 365 days.
	 * Dates outside 1950..2049 are GeneralizedTime by necessity. */
	int64_t not_before, not_after;
	/* Encode both dates as GeneralizedTime even within 1950..2049 (not
	 * what RFC 5280 asks, but seen in the wild). */
	int generalized_time;
	/* Key usage as UCT_KU_* bits (RFC 5280 bit n = 1 << n; cRLSign is
	 * 0x40). 0: leaf digitalSignature|keyEncipherment (digitalSignature
	 * only for EC), CA keyCertSign|cRLSign. no_key_usage omits it. */
	unsigned key_usage;
	int no_key_usage;
	enum uct_testcert_eku eku;
	/* AIA caIssuers URI, NULL for none. */
	const char *aia_url;
	/* The signer; NULL: self-signed. Any certificate may sign, whatever
	 * it says about itself (v1, no basicConstraints, CA:FALSE): that is
	 * how a test makes the attack of a key that signs for other names.
	 * An issuer without a subjectKeyIdentifier gives no
	 * authorityKeyIdentifier. */
	const struct uct_testcert *issuer;
	/* Self-issued (issuer name = subject) but signed with a different key:
	 * self_issued without self_signed. Ignored when issuer is set. */
	int wrong_self_key;
	/* Add a critical extension nobody knows (OID 1.3.6.1.4.1.55555.1). */
	int critical_unknown;
	/* Signature digest: "sha256" when NULL; "sha1", "sha384"... */
	const char *digest;
	/* Serial number; 0: a random 64-bit one. */
	uint64_t serial;
};

struct uct_testcert {
	EVP_PKEY *key; /* the certificate's private key (owned; shared cache ref) */
	X509 *x509;    /* owned */
	unsigned char *der;
	size_t der_len;
};

/* Make a certificate as spec says. Returns NULL only when OpenSSL fails
 * (the test should then fail: ck_assert_ptr_nonnull). Free with
 * uct_testcert_free. */
struct uct_testcert *uct_testcert_make(const struct uct_testcert_spec *spec);
void uct_testcert_free(struct uct_testcert *cert); /* NULL-safe */

/* Write the certificate (PEM) or its private key (PEM, unencrypted,
 * mode 0600) to path. Return 0, or -1 when the file cannot be written. */
int uct_testcert_write_pem(const struct uct_testcert *cert, const char *path);
int uct_testcert_write_key_pem(const struct uct_testcert *cert, const char *path);
/* Write the DER encoding to path. */
int uct_testcert_write_der(const struct uct_testcert *cert, const char *path);

/* Parse the certificate with the product's parser (uct_cert_parse). A new
 * struct owned by the caller (uct_cert_free), NULL when parsing fails. */
struct uct_cert *uct_testcert_to_uct(const struct uct_testcert *cert);

/* Release the cached keys (for leak checkers; optional). */
void uct_testcert_cleanup(void);

#endif
