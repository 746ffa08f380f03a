/*
 * testcert.c: the test suite's certificate factory (see testcert.h). Builds
 * X.509 certificates (v3, or v1/v2 without extensions) with OpenSSL from a small spec, with cached keys so
 * that a table of fifty certificates costs two RSA key generations.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "platform.h"
#include "testcert.h"

#define TC_SLOTS 4
#define TC_CACHE 32

static struct {
	enum uct_testcert_key type;
	int bits;
	int slot;
	EVP_PKEY *key;
} tc_cache[TC_CACHE];

/* A cached key (a new reference) of the kind asked; NULL on failure. */
static EVP_PKEY *tc_key(enum uct_testcert_key type, int bits, int slot)
{
	EVP_PKEY *key = NULL;
	size_t i;

	if (type != UCT_TESTCERT_RSA)
		bits = 0;
	else if (bits == 0)
		bits = 2048;
	slot = ((slot % TC_SLOTS) + TC_SLOTS) % TC_SLOTS;
	for (i = 0; i < TC_CACHE && tc_cache[i].key != NULL; i++) {
		if (tc_cache[i].type == type && tc_cache[i].bits == bits &&
		    tc_cache[i].slot == slot) {
			EVP_PKEY_up_ref(tc_cache[i].key);
			return tc_cache[i].key;
		}
	}
	if (type == UCT_TESTCERT_RSA)
		key = EVP_RSA_gen((unsigned)bits);
	else if (type == UCT_TESTCERT_EC)
		key = EVP_EC_gen("P-256");
	else
		key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (key == NULL)
		return NULL;
	if (i < TC_CACHE) {
		tc_cache[i].type = type;
		tc_cache[i].bits = bits;
		tc_cache[i].slot = slot;
		tc_cache[i].key = key;
		EVP_PKEY_up_ref(key);
	}
	return key;
}

void uct_testcert_cleanup(void)
{
	size_t i;

	for (i = 0; i < TC_CACHE; i++) {
		EVP_PKEY_free(tc_cache[i].key);
		tc_cache[i].key = NULL;
	}
}

static int tc_set_time(X509 *x, int64_t t, int generalized, int before)
{
	ASN1_TIME *at;
	int ok;

	if (generalized)
		at = ASN1_GENERALIZEDTIME_set(NULL, (time_t)t);
	else
		at = ASN1_TIME_set(NULL, (time_t)t); /* UTCTime for 1950..2049 */
	if (at == NULL)
		return -1;
	ok = before ? X509_set1_notBefore(x, at) : X509_set1_notAfter(x, at);
	ASN1_STRING_free(at);
	return ok ? 0 : -1;
}

/* Add one extension given in openssl.cnf syntax ("critical,CA:TRUE"). */
static int tc_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok;

	if (ext == NULL)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

static int tc_san(X509 *x, X509V3_CTX *ctx, const struct uct_testcert_spec *spec)
{
	const char *const *san = spec->sans;
	const char *one[2] = {spec->cn, NULL};
	unsigned char addr[16];
	char buf[2048] = "";
	size_t used = 0;

	if (spec->no_san || (san == NULL && spec->cn == NULL))
		return 0;
	if (san == NULL)
		san = one;
	for (; *san != NULL; san++) {
		int ip =
			inet_pton(AF_INET, *san, addr) == 1 || inet_pton(AF_INET6, *san, addr) == 1;

		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s:%s", used ? "," : "",
					 ip ? "IP" : "DNS", *san);
		if (used >= sizeof(buf))
			return -1;
	}
	return used == 0 ? 0 : tc_ext(x, ctx, NID_subject_alt_name, buf);
}

static int tc_key_usage(X509 *x, X509V3_CTX *ctx, const struct uct_testcert_spec *spec)
{
	static const char *const names[] = {
		"digitalSignature", "nonRepudiation", "keyEncipherment",
		"dataEncipherment", "keyAgreement",   "keyCertSign",
		"cRLSign",          "encipherOnly",   "decipherOnly",
	};
	unsigned ku = spec->key_usage;
	char buf[256] = "critical";
	size_t i;

	if (spec->no_key_usage)
		return 0;
	if (ku == 0 && spec->is_ca)
		ku = UCT_KU_KEY_CERT_SIGN | 0x40u;
	else if (ku == 0)
		ku = UCT_KU_DIGITAL_SIGNATURE |
		     (spec->key_type == UCT_TESTCERT_RSA ? UCT_KU_KEY_ENCIPHERMENT : 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (ku & (1u << i)) {
			strcat(buf, ",");
			strcat(buf, names[i]);
		}
	}
	return tc_ext(x, ctx, NID_key_usage, buf);
}

static int tc_unknown_critical(X509 *x)
{
	static const unsigned char null_der[] = {0x05, 0x00};
	ASN1_OBJECT *obj = OBJ_txt2obj("1.3.6.1.4.1.55555.1", 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL;
	int rc = -1;

	if (obj == NULL || os == NULL || !ASN1_OCTET_STRING_set(os, null_der, sizeof(null_der)))
		goto out;
	ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 1, os);
	if (ext != NULL && X509_add_ext(x, ext, -1))
		rc = 0;
out:
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
	return rc;
}

static int tc_basic_constraints(X509 *x, X509V3_CTX *ctx, const struct uct_testcert_spec *spec)
{
	const char *crit = spec->bc_not_critical ? "" : "critical,";
	char buf[128];

	if (spec->no_basic_constraints)
		return 0;
	if (spec->is_ca && (spec->pathlen > 0 || spec->with_pathlen))
		snprintf(buf, sizeof(buf), "%sCA:TRUE,pathlen:%d", crit, spec->pathlen);
	else
		snprintf(buf, sizeof(buf), "%sCA:%s", crit, spec->is_ca ? "TRUE" : "FALSE");
	return tc_ext(x, ctx, NID_basic_constraints, buf);
}

static int tc_extensions(X509 *x, X509 *issuer_x, const struct uct_testcert_spec *spec)
{
	static const char *const eku[] = {
		[UCT_TESTCERT_EKU_DEFAULT] = "serverAuth,clientAuth",
		[UCT_TESTCERT_EKU_NONE] = NULL,
		[UCT_TESTCERT_EKU_SERVER] = "serverAuth",
		[UCT_TESTCERT_EKU_CLIENT] = "clientAuth",
		[UCT_TESTCERT_EKU_ANY] = "anyExtendedKeyUsage",
	};
	X509V3_CTX ctx;
	char buf[512];

	X509V3_set_ctx(&ctx, issuer_x, x, NULL, NULL, 0);
	if (tc_basic_constraints(x, &ctx, spec) < 0 || tc_key_usage(x, &ctx, spec) < 0)
		return -1;
	if (!(spec->eku == UCT_TESTCERT_EKU_DEFAULT && spec->is_ca) && eku[spec->eku] != NULL &&
	    tc_ext(x, &ctx, NID_ext_key_usage, eku[spec->eku]) < 0)
		return -1;
	if (tc_san(x, &ctx, spec) < 0 || tc_ext(x, &ctx, NID_subject_key_identifier, "hash") < 0)
		return -1;
	if (spec->name_constraints != NULL &&
	    tc_ext(x, &ctx, NID_name_constraints, spec->name_constraints) < 0)
		return -1;
	/* A v1 issuer (or one built without it) has no key identifier to
	 * point at; the chain is then found by name alone. */
	if (spec->issuer != NULL &&
	    X509_get_ext_by_NID(issuer_x, NID_subject_key_identifier, -1) >= 0 &&
	    tc_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") < 0)
		return -1;
	if (spec->aia_url != NULL) {
		snprintf(buf, sizeof(buf), "caIssuers;URI:%s", spec->aia_url);
		if (tc_ext(x, &ctx, NID_info_access, buf) < 0)
			return -1;
	}
	if (spec->critical_unknown && tc_unknown_critical(x) < 0)
		return -1;
	return 0;
}

static int tc_names(X509 *x, const struct uct_testcert_spec *spec)
{
	X509_NAME *name = X509_get_subject_name(x);

	if (spec->org != NULL &&
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)spec->org,
					-1, -1, 0))
		return -1;
	if (spec->cn != NULL &&
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)spec->cn,
					-1, -1, 0))
		return -1;
	if (spec->issuer != NULL)
		return X509_set_issuer_name(x, X509_get_subject_name(spec->issuer->x509)) ? 0 : -1;
	return X509_set_issuer_name(x, name) ? 0 : -1;
}

/* The X509_VERSION_* value of the spec (which counts from 1). */
static long tc_version(const struct uct_testcert_spec *spec)
{
	if (spec->version == 1)
		return X509_VERSION_1;
	if (spec->version == 2)
		return X509_VERSION_2;
	return X509_VERSION_3;
}

static int tc_fill(X509 *x, EVP_PKEY *key, const struct uct_testcert_spec *spec)
{
	int64_t now = (int64_t)time(NULL);
	int64_t nb = spec->not_before, na = spec->not_after;
	uint64_t serial = spec->serial;

	if (nb == 0 && na == 0) {
		nb = now - 86400;
		na = now + 365 * 86400;
	}
	if (serial == 0) {
		if (RAND_bytes((unsigned char *)&serial, sizeof(serial)) != 1)
			return -1;
		serial = (serial >> 1) | 1; /* positive, never zero */
	}
	if (!X509_set_version(x, tc_version(spec)) ||
	    !ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial) || !X509_set_pubkey(x, key))
		return -1;
	if (tc_set_time(x, nb, spec->generalized_time, 1) < 0 ||
	    tc_set_time(x, na, spec->generalized_time, 0) < 0 || tc_names(x, spec) < 0)
		return -1;
	return 0;
}

struct uct_testcert *uct_testcert_make(const struct uct_testcert_spec *spec)
{
	struct uct_testcert *tc = calloc(1, sizeof(*tc));
	EVP_PKEY *sign_key = NULL;
	const EVP_MD *md = NULL;
	unsigned char *der = NULL;
	int len;

	if (tc == NULL)
		return NULL;
	tc->key = tc_key(spec->key_type, spec->key_bits, spec->key_slot);
	tc->x509 = X509_new();
	if (tc->key == NULL || tc->x509 == NULL || tc_fill(tc->x509, tc->key, spec) < 0)
		goto err;
	if (tc_version(spec) == X509_VERSION_3 &&
	    tc_extensions(tc->x509, spec->issuer ? spec->issuer->x509 : tc->x509, spec) < 0)
		goto err;
	if (spec->issuer != NULL) {
		sign_key = spec->issuer->key;
		EVP_PKEY_up_ref(sign_key);
	} else if (spec->wrong_self_key) {
		sign_key = tc_key(spec->key_type, spec->key_bits, spec->key_slot + 1);
	} else {
		sign_key = tc->key;
		EVP_PKEY_up_ref(sign_key);
	}
	/* Ed25519 signs the message itself: no separate digest. */
	if (sign_key == NULL)
		goto err;
	if (EVP_PKEY_get_base_id(sign_key) != EVP_PKEY_ED25519) {
		md = EVP_get_digestbyname(spec->digest ? spec->digest : "sha256");
		if (md == NULL)
			goto err;
	}
	if (X509_sign(tc->x509, sign_key, md) <= 0)
		goto err;
	len = i2d_X509(tc->x509, &der);
	if (len <= 0 || (tc->der = malloc((size_t)len)) == NULL)
		goto err;
	memcpy(tc->der, der, (size_t)len);
	tc->der_len = (size_t)len;
	OPENSSL_free(der);
	EVP_PKEY_free(sign_key);
	return tc;
err:
	ERR_print_errors_fp(stderr);
	OPENSSL_free(der);
	EVP_PKEY_free(sign_key);
	uct_testcert_free(tc);
	return NULL;
}

void uct_testcert_free(struct uct_testcert *cert)
{
	if (cert == NULL)
		return;
	EVP_PKEY_free(cert->key);
	X509_free(cert->x509);
	free(cert->der);
	free(cert);
}

int uct_testcert_write_pem(const struct uct_testcert *cert, const char *path)
{
	FILE *fp = fopen(path, "w");
	int ok;

	if (fp == NULL)
		return -1;
	ok = PEM_write_X509(fp, cert->x509);
	return (fclose(fp) == 0 && ok) ? 0 : -1;
}

int uct_testcert_write_key_pem(const struct uct_testcert *cert, const char *path)
{
	FILE *fp;
	int fd, ok;

	/* Created 0600 from the start: a key is never world-readable. */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	fp = fdopen(fd, "w");
	if (fp == NULL) {
		close(fd);
		return -1;
	}
	ok = PEM_write_PrivateKey(fp, cert->key, NULL, NULL, 0, NULL, NULL);
	return (fclose(fp) == 0 && ok) ? 0 : -1;
}

int uct_testcert_write_der(const struct uct_testcert *cert, const char *path)
{
	FILE *fp = fopen(path, "wb");
	size_t n;

	if (fp == NULL)
		return -1;
	n = fwrite(cert->der, 1, cert->der_len, fp);
	return (fclose(fp) == 0 && n == cert->der_len) ? 0 : -1;
}

struct uct_cert *uct_testcert_to_uct(const struct uct_testcert *cert)
{
	struct uct_err err = {0};
	struct uct_cert *out = NULL;

	if (cert == NULL || uct_cert_parse(cert->der, cert->der_len, &out, &err) < 0) {
		fprintf(stderr, "uct_testcert_to_uct: %s\n", err.msg);
		return NULL;
	}
	return out;
}
