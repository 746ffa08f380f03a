/*
 * nss_certs.c: test certificates made at run time with OpenSSL (self-signed
 * leaves, CA:TRUE appliance certificates, a private root and its leaves),
 * each with the struct uct_cert a store sees. No key is ever written out.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "nss_certs.h"
#include "platform.h" /* uct_cert_free */

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	ck_assert_ptr_nonnull(ext);
	ck_assert_int_eq(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* Fill a struct uct_cert by hand, as the real parser would. */
static struct uct_cert *to_uct(X509 *x, int is_ca, const char *san)
{
	struct uct_cert *c = calloc(1, sizeof(*c));
	unsigned char *p;
	char cn[256];
	BIO *bio = BIO_new(BIO_s_mem());
	char *mem;
	long len;

	ck_assert_ptr_nonnull(c);
	c->der_len = (size_t)i2d_X509(x, NULL);
	c->der = malloc(c->der_len);
	p = c->der;
	i2d_X509(x, &p);
	SHA256(c->der, c->der_len, c->sha256);
	X509_NAME_print_ex(bio, X509_get_subject_name(x), 0, XN_FLAG_RFC2253);
	len = BIO_get_mem_data(bio, &mem);
	c->subject = strndup(mem, (size_t)len);
	BIO_free(bio);
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn)) > 0)
		c->subject_cn = strdup(cn);
	c->version = 3; /* tnss_cert_make writes v3 with basicConstraints */
	c->is_ca = is_ca;
	c->has_basic_constraints = 1;
	if (san != NULL)
		uct_strv_push(&c->san_dns, san);
	return c;
}

/* EC P-256 keeps generation fast enough to make certificates per test. */
struct tnss_cert tnss_cert_make(const char *cn, const char *san, int ca,
				const struct tnss_cert *issuer)
{
	struct tnss_cert t = {0};
	unsigned char serial[8];
	BIGNUM *bn;
	X509_NAME *name;
	X509 *signer_x;
	char buf[300];

	t.key = EVP_EC_gen("P-256");
	ck_assert_ptr_nonnull(t.key);
	t.x509 = X509_new();
	X509_set_version(t.x509, 2);
	/* NSS knows a certificate by issuer and serial: keep serials unique. */
	RAND_bytes(serial, sizeof(serial));
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(t.x509));
	BN_free(bn);
	X509_gmtime_adj(X509_getm_notBefore(t.x509), -3600);
	X509_gmtime_adj(X509_getm_notAfter(t.x509), 30L * 86400);
	name = X509_NAME_new();
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
				   (const unsigned char *)"uccx-trust test", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(t.x509, name);
	X509_set_issuer_name(t.x509, issuer ? X509_get_subject_name(issuer->x509) : name);
	X509_NAME_free(name);
	X509_set_pubkey(t.x509, t.key);
	signer_x = issuer ? issuer->x509 : NULL;
	add_ext(t.x509, signer_x, NID_basic_constraints,
		ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	add_ext(t.x509, signer_x, NID_key_usage,
		ca ? "critical,keyCertSign,cRLSign,digitalSignature" : "critical,digitalSignature");
	add_ext(t.x509, signer_x, NID_subject_key_identifier, "hash");
	if (issuer != NULL)
		add_ext(t.x509, signer_x, NID_authority_key_identifier, "keyid");
	if (!ca)
		add_ext(t.x509, signer_x, NID_ext_key_usage, "serverAuth");
	if (san != NULL) {
		snprintf(buf, sizeof(buf), "DNS:%s", san);
		add_ext(t.x509, signer_x, NID_subject_alt_name, buf);
	}
	ck_assert_int_gt(X509_sign(t.x509, issuer ? issuer->key : t.key, EVP_sha256()), 0);
	t.cert = to_uct(t.x509, ca, san);
	return t;
}

void tnss_cert_free(struct tnss_cert *t)
{
	X509_free(t->x509);
	EVP_PKEY_free(t->key);
	uct_cert_free(t->cert);
}

void tnss_write_pem(const struct tnss_cert *t, const char *path)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	PEM_write_X509(f, t->x509);
	fclose(f);
}
