/*
 * test_cert_ossl.c: the OpenSSL certificate parser (platform/linux/cert_ossl.c)
 * against a table of certificates generated at run time: every field of
 * struct uct_cert, signature checks, and reading PEM bundles and DER files.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "check_main.h"
#include "linux/cert_ossl.h"
#include "platform.h"
#include "testcert.h"

#define T_2040 INT64_C(2208988800) /* 2040-01-01T00:00:00Z */
#define T_2050 INT64_C(2537654400) /* 2050-06-01T00:00:00Z: GeneralizedTime */
#define T_1960 INT64_C(-315619200) /* 1960-01-01T00:00:00Z: negative epoch */
#define T_2020 INT64_C(1577836800) /* 2020-01-01T00:00:00Z */
#define T_2030 INT64_C(1893456000) /* 2030-01-01T00:00:00Z */

static const char *const sans_mixed[] = {"uccx1.lab.example", "uccx1", "10.0.0.5", "fe80::1", NULL};
static const char *const sans_one[] = {"cuic.lab.example", NULL};

struct cert_case {
	const char *name;
	struct uct_testcert_spec spec;
	int issued; /* sign with the table's CA */
	/* expectations */
	const char *subject;
	const char *cn;
	int key_type, key_bits;
	const char *sig_alg;
	int has_bc, is_ca, has_ku;
	unsigned ku;
	int has_eku, eku_server;
	int self_issued, self_signed, unknown_critical;
	const char *san0, *ip0;
	size_t n_dns, n_ip;
	const char *aia;
	int64_t not_before, not_after; /* checked when not_after != 0 */
};

#define KU_LEAF (UCT_KU_DIGITAL_SIGNATURE | UCT_KU_KEY_ENCIPHERMENT)
#define KU_CA (UCT_KU_KEY_CERT_SIGN | 0x40u)

/* One case to a paragraph, fields in the struct's order: clang-format would
 * give every field a line of its own. */
/* clang-format off */
static const struct cert_case cases[] = {
	{"rsa2048 self-signed leaf, dns and ip SANs",
	 {.cn = "uccx1.lab.example", .org = "Lab", .sans = sans_mixed, .serial = 0xABCDEF0123},
	 0, "CN=uccx1.lab.example,O=Lab", "uccx1.lab.example", UCT_KEY_RSA, 2048,
	 "sha256WithRSAEncryption", 1, 0, 1, KU_LEAF, 1, 1, 1, 1, 0, "uccx1.lab.example",
	 "10.0.0.5", 2, 2, NULL, 0, 0},
	{"rsa1024 weak key",
	 {.cn = "old.lab.example", .key_bits = 1024},
	 0, "CN=old.lab.example", "old.lab.example", UCT_KEY_RSA, 1024, "sha256WithRSAEncryption",
	 1, 0, 1, KU_LEAF, 1, 1, 1, 1, 0, "old.lab.example", NULL, 1, 0, NULL, 0, 0},
	{"ec p-256",
	 {.cn = "ec.lab.example", .key_type = UCT_TESTCERT_EC},
	 0, "CN=ec.lab.example", "ec.lab.example", UCT_KEY_EC, 256, "ecdsa-with-SHA256", 1, 0, 1,
	 UCT_KU_DIGITAL_SIGNATURE, 1, 1, 1, 1, 0, "ec.lab.example", NULL, 1, 0, NULL, 0, 0},
	{"ed25519",
	 {.cn = "ed.lab.example", .key_type = UCT_TESTCERT_ED25519},
	 0, "CN=ed.lab.example", "ed.lab.example", UCT_KEY_ED, 256, "ED25519", 1, 0, 1,
	 UCT_KU_DIGITAL_SIGNATURE, 1, 1, 1, 1, 0, "ed.lab.example", NULL, 1, 0, NULL, 0, 0},
	{"self-signed CA (appliance style)",
	 {.cn = "Lab Root CA", .is_ca = 1, .no_san = 1},
	 0, "CN=Lab Root CA", "Lab Root CA", UCT_KEY_RSA, 2048, "sha256WithRSAEncryption", 1, 1,
	 1, KU_CA, 0, 0, 1, 1, 0, NULL, NULL, 0, 0, NULL, 0, 0},
	{"CA-issued leaf with AIA",
	 {.cn = "finesse.lab.example", .sans = sans_one, .key_slot = 1,
	  .aia_url = "http://pki.lab.example/ca.crt"},
	 1, "CN=finesse.lab.example", "finesse.lab.example", UCT_KEY_RSA, 2048,
	 "sha256WithRSAEncryption", 1, 0, 1, KU_LEAF, 1, 1, 0, 0, 0, "cuic.lab.example", NULL, 1,
	 0, "http://pki.lab.example/ca.crt", 0, 0},
	{"self-issued, signed by another key",
	 {.cn = "fake.lab.example", .wrong_self_key = 1},
	 0, "CN=fake.lab.example", "fake.lab.example", UCT_KEY_RSA, 2048,
	 "sha256WithRSAEncryption", 1, 0, 1, KU_LEAF, 1, 1, 1, 0, 0, "fake.lab.example", NULL, 1,
	 0, NULL, 0, 0},
	{"no SAN, CN only",
	 {.cn = "nosan.lab.example", .no_san = 1},
	 0, "CN=nosan.lab.example", "nosan.lab.example", UCT_KEY_RSA, 2048,
	 "sha256WithRSAEncryption", 1, 0, 1, KU_LEAF, 1, 1, 1, 1, 0, NULL, NULL, 0, 0, NULL, 0,
	 0},
	{"EKU clientAuth only",
	 {.cn = "client.lab.example", .eku = UCT_TESTCERT_EKU_CLIENT},
	 0, "CN=client.lab.example", "client.lab.example", UCT_KEY_RSA, 2048,
	 "sha256WithRSAEncryption", 1, 0, 1, KU_LEAF, 1, 0, 1, 1, 0, "client.lab.example", NULL,
	 1, 0, NULL, 0, 0},
	{"no basicConstraints, keyUsage or EKU; sha1",
	 {.cn = "bare.lab.example", .no_basic_constraints = 1, .no_key_usage = 1,
	  .eku = UCT_TESTCERT_EKU_NONE, .digest = "sha1"},
	 0, "CN=bare.lab.example", "bare.lab.example", UCT_KEY_RSA, 2048,
	 "sha1WithRSAEncryption", 0, 0, 0, 0, 0, 0, 1, 1, 0, "bare.lab.example", NULL, 1, 0, NULL,
	 0, 0},
	{"unknown critical extension",
	 {.cn = "crit.lab.example", .critical_unknown = 1},
	 0, "CN=crit.lab.example", "crit.lab.example", UCT_KEY_RSA, 2048,
	 "sha256WithRSAEncryption", 1, 0, 1, KU_LEAF, 1, 1, 1, 1, 1, "crit.lab.example", NULL, 1,
	 0, NULL, 0, 0},
	{"valid until 2050 (GeneralizedTime)",
	 {.cn = "far.lab.example", .not_before = T_2040, .not_after = T_2050},
	 0, "CN=far.lab.example", "far.lab.example", UCT_KEY_RSA, 2048, "sha256WithRSAEncryption",
	 1, 0, 1, KU_LEAF, 1, 1, 1, 1, 0, "far.lab.example", NULL, 1, 0, NULL, T_2040, T_2050},
	{"from 1960, GeneralizedTime",
	 {.cn = "old1960.lab.example", .not_before = T_1960, .not_after = T_2030,
	  .generalized_time = 1},
	 0, "CN=old1960.lab.example", "old1960.lab.example", UCT_KEY_RSA, 2048,
	 "sha256WithRSAEncryption", 1, 0, 1, KU_LEAF, 1, 1, 1, 1, 0, "old1960.lab.example", NULL,
	 1, 0, NULL, T_1960, T_2030},
	{"from 1960, UTCTime",
	 {.cn = "utc1960.lab.example", .not_before = T_1960, .not_after = T_2020},
	 0, "CN=utc1960.lab.example", "utc1960.lab.example", UCT_KEY_RSA, 2048,
	 "sha256WithRSAEncryption", 1, 0, 1, KU_LEAF, 1, 1, 1, 1, 0, "utc1960.lab.example", NULL,
	 1, 0, NULL, T_1960, T_2020},
	{"X.509 v1: no extensions at all",
	 {.cn = "v1.lab.example", .version = 1},
	 0, "CN=v1.lab.example", "v1.lab.example", UCT_KEY_RSA, 2048, "sha256WithRSAEncryption",
	 0, 0, 0, 0, 0, 0, 1, 1, 0, NULL, NULL, 0, 0, NULL, 0, 0},
	{"CA:TRUE pathlen 0, not critical, name constraints",
	 {.cn = "Constrained CA", .is_ca = 1, .with_pathlen = 1, .bc_not_critical = 1,
	  .no_san = 1, .name_constraints = "critical,permitted;DNS:.lab.example"},
	 0, "CN=Constrained CA", "Constrained CA", UCT_KEY_RSA, 2048, "sha256WithRSAEncryption",
	 1, 1, 1, KU_CA, 0, 0, 1, 1, 0, NULL, NULL, 0, 0, NULL, 0, 0},
	{"keyCertSign without basicConstraints, anyExtendedKeyUsage",
	 {.cn = "kcs.lab.example", .no_basic_constraints = 1,
	  .key_usage = UCT_KU_KEY_CERT_SIGN | UCT_KU_DIGITAL_SIGNATURE, .eku = UCT_TESTCERT_EKU_ANY},
	 0, "CN=kcs.lab.example", "kcs.lab.example", UCT_KEY_RSA, 2048, "sha256WithRSAEncryption",
	 0, 0, 1, UCT_KU_KEY_CERT_SIGN | UCT_KU_DIGITAL_SIGNATURE, 1, 0, 1, 1, 0, "kcs.lab.example",
	 NULL, 1, 0, NULL, 0, 0},
	{"no CN, UTF-8 organisation",
	 {.org = "\xe5\x8c\x97\xe4\xba\xac Contact, Ltd", .sans = sans_one},
	 0, "O=\xe5\x8c\x97\xe4\xba\xac Contact\\, Ltd", NULL, UCT_KEY_RSA, 2048,
	 "sha256WithRSAEncryption", 1, 0, 1, KU_LEAF, 1, 1, 1, 1, 0, "cuic.lab.example", NULL, 1,
	 0, NULL, 0, 0},
};
/* clang-format on */

START_TEST(test_fields)
{
	const struct cert_case *c = &cases[_i];
	struct uct_testcert_spec spec = c->spec;
	struct uct_testcert *ca = NULL, *tc;
	struct uct_cert *cert;
	unsigned char sha[UCT_SHA256_LEN];
	unsigned int sha_len;

	if (c->issued) {
		ca = uct_testcert_make(&(struct uct_testcert_spec){
			.cn = "Lab Issuing CA", .is_ca = 1, .no_san = 1});
		ck_assert_ptr_nonnull(ca);
		spec.issuer = ca;
	}
	tc = uct_testcert_make(&spec);
	ck_assert_msg(tc != NULL, "%s: cannot make", c->name);
	cert = uct_testcert_to_uct(tc);
	ck_assert_msg(cert != NULL, "%s: cannot parse", c->name);

	ck_assert_uint_eq(cert->der_len, tc->der_len);
	ck_assert_mem_eq(cert->der, tc->der, tc->der_len);
	X509_digest(tc->x509, EVP_sha256(), sha, &sha_len);
	ck_assert_mem_eq(cert->sha256, sha, UCT_SHA256_LEN);
	ck_assert_str_eq(cert->subject, c->subject);
	ck_assert_str_eq(cert->issuer, c->issued ? "CN=Lab Issuing CA" : c->subject);
	ck_assert_pstr_eq(cert->subject_cn, c->cn);
	ck_assert_int_eq(cert->key_type, c->key_type);
	ck_assert_int_eq(cert->key_bits, c->key_bits);
	ck_assert_str_eq(cert->sig_alg, c->sig_alg);
	ck_assert_int_eq(cert->version, spec.version ? spec.version : 3);
	ck_assert_int_eq(cert->has_basic_constraints, c->has_bc);
	ck_assert_int_eq(cert->is_ca, c->is_ca);
	ck_assert_int_eq(cert->has_key_usage, c->has_ku);
	ck_assert_uint_eq(cert->key_usage, c->ku);
	ck_assert_int_eq(cert->has_eku, c->has_eku);
	ck_assert_int_eq(cert->eku_server_auth, c->eku_server);
	ck_assert_int_eq(cert->self_issued, c->self_issued);
	ck_assert_int_eq(cert->self_signed, c->self_signed);
	ck_assert_int_eq(cert->unknown_critical, c->unknown_critical);
	ck_assert_uint_eq(cert->san_dns.n, c->n_dns);
	ck_assert_uint_eq(cert->san_ip.n, c->n_ip);
	if (c->san0 != NULL)
		ck_assert_str_eq(cert->san_dns.v[0], c->san0);
	if (c->ip0 != NULL)
		ck_assert_str_eq(cert->san_ip.v[0], c->ip0);
	ck_assert_pstr_eq(cert->aia_ca_issuers, c->aia);
	if (c->not_after != 0) {
		ck_assert_int_eq(cert->not_before, c->not_before);
		ck_assert_int_eq(cert->not_after, c->not_after);
	} else {
		/* The factory's default: yesterday .. a year from now. */
		ck_assert_int_lt(cert->not_before, (int64_t)time(NULL));
		ck_assert_int_gt(cert->not_after, (int64_t)time(NULL) + 300 * 86400);
	}
	ck_assert_int_eq(uct_cert_signed_by(cert, cert), c->self_signed);
	uct_cert_free(cert);
	uct_testcert_free(tc);
	uct_testcert_free(ca);
}
END_TEST

START_TEST(test_serial_and_ip6)
{
	struct uct_testcert *tc = uct_testcert_make(&(struct uct_testcert_spec){
		.cn = "x.lab.example", .sans = sans_mixed, .serial = 0xABCDEF0123});
	struct uct_cert *cert = uct_testcert_to_uct(tc);

	ck_assert_ptr_nonnull(cert);
	ck_assert_str_eq(cert->serial_hex, "ABCDEF0123");
	ck_assert_str_eq(cert->san_dns.v[1], "uccx1");
	ck_assert_str_eq(cert->san_ip.v[1], "fe80::1");
	uct_cert_free(cert);
	uct_testcert_free(tc);
}
END_TEST

START_TEST(test_signed_by)
{
	struct uct_testcert *ca = uct_testcert_make(&(struct uct_testcert_spec){
		.cn = "Lab CA", .is_ca = 1, .no_san = 1});
	/* Same name, another key: what an impostor CA looks like. */
	struct uct_testcert *twin = uct_testcert_make(&(struct uct_testcert_spec){
		.cn = "Lab CA", .is_ca = 1, .no_san = 1, .key_slot = 2});
	/* Same key, another name: the issuer name must match too. */
	struct uct_testcert *renamed = uct_testcert_make(&(struct uct_testcert_spec){
		.cn = "Other CA", .is_ca = 1, .no_san = 1});
	struct uct_testcert *leaf = uct_testcert_make(&(struct uct_testcert_spec){
		.cn = "a.lab.example", .issuer = ca, .key_type = UCT_TESTCERT_EC});
	struct uct_cert *c_ca = uct_testcert_to_uct(ca), *c_twin = uct_testcert_to_uct(twin);
	struct uct_cert *c_ren = uct_testcert_to_uct(renamed), *c_leaf = uct_testcert_to_uct(leaf);

	ck_assert_ptr_nonnull(c_ca);
	ck_assert_ptr_nonnull(c_twin);
	ck_assert_ptr_nonnull(c_ren);
	ck_assert_ptr_nonnull(c_leaf);
	ck_assert_int_eq(uct_cert_signed_by(c_leaf, c_ca), 1);
	ck_assert_int_eq(uct_cert_signed_by(c_ca, c_leaf), 0);
	ck_assert_int_eq(uct_cert_signed_by(c_leaf, c_twin), 0);
	ck_assert_int_eq(uct_cert_signed_by(c_leaf, c_ren), 0);
	ck_assert_int_eq(uct_cert_signed_by(c_ca, c_ca), 1);
	ck_assert_int_eq(uct_cert_signed_by(NULL, c_ca), 0);
	uct_cert_free(c_ca);
	uct_cert_free(c_twin);
	uct_cert_free(c_ren);
	uct_cert_free(c_leaf);
	uct_testcert_free(ca);
	uct_testcert_free(twin);
	uct_testcert_free(renamed);
	uct_testcert_free(leaf);
}
END_TEST

/* Any certificate can sign, whatever it says about itself: the factory must
 * make the attack a test checks for (a v1 or no-basicConstraints key
 * signing for another name). */
START_TEST(test_signed_by_non_ca)
{
	static const struct uct_testcert_spec issuers[] = {
		{.cn = "v1.lab.example", .version = 1},
		{.cn = "v2.lab.example", .version = 2, .key_slot = 1},
		{.cn = "nobc.lab.example", .no_basic_constraints = 1, .key_slot = 2},
		{.cn = "leaf.lab.example", .key_slot = 3},
	};
	size_t i;

	for (i = 0; i < sizeof(issuers) / sizeof(issuers[0]); i++) {
		struct uct_testcert *issuer = uct_testcert_make(&issuers[i]);
		struct uct_testcert *victim = uct_testcert_make(&(struct uct_testcert_spec){
			.cn = "www.victimbank.example",
			.issuer = issuer,
			.key_type = UCT_TESTCERT_EC});
		struct uct_cert *c_issuer = uct_testcert_to_uct(issuer);
		struct uct_cert *c_victim = uct_testcert_to_uct(victim);

		ck_assert_msg(c_issuer != NULL && c_victim != NULL, "%s", issuers[i].cn);
		ck_assert_int_eq(X509_get_version(issuer->x509),
				 issuers[i].version ? issuers[i].version - 1 : X509_VERSION_3);
		ck_assert_str_eq(c_victim->issuer, c_issuer->subject);
		ck_assert_int_eq(uct_cert_signed_by(c_victim, c_issuer), 1);
		uct_cert_free(c_issuer);
		uct_cert_free(c_victim);
		uct_testcert_free(issuer);
		uct_testcert_free(victim);
	}
}
END_TEST

/* ---- hostile names ---- */

static void push_dns(GENERAL_NAMES *gens, const char *bytes, int len)
{
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();

	ck_assert(gn != NULL && ia5 != NULL && ASN1_STRING_set(ia5, bytes, len) == 1);
	GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
	ck_assert(sk_GENERAL_NAME_push(gens, gn) > 0);
}

/*
 * A certificate as a hostile server would make it: dNSNames holding a NUL,
 * a line break with a forged record, bytes that are not UTF-8; a CN with a
 * terminal escape and a bidi override; an AIA URL with a space. Built from
 * a test certificate with OpenSSL directly, re-signed with its key.
 */
static struct uct_cert *hostile_cert(const char *const *names, const int *lens, size_t n,
				     const char *aia)
{
	struct uct_testcert *tc =
		uct_testcert_make(&(struct uct_testcert_spec){.cn = "uccx1.lab.example"});
	X509 *x = X509_dup(tc->x509);
	X509_NAME *subject = X509_NAME_new();
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	AUTHORITY_INFO_ACCESS *info = sk_ACCESS_DESCRIPTION_new_null();
	ACCESS_DESCRIPTION *ad = ACCESS_DESCRIPTION_new();
	static const char cn[] = "uccx1\x1b[2J\xe2\x80\xae"
				 "elpmaxe";
	struct uct_cert *cert = NULL;
	struct uct_err err = {0};
	unsigned char *der = NULL;
	int len;
	size_t i;

	ck_assert(x != NULL && subject != NULL && gens != NULL && info != NULL && ad != NULL);
	for (i = 0; i < n; i++)
		push_dns(gens, names[i], lens[i]);
	ck_assert_int_eq(X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_REPLACE),
			 1);
	ad->method = OBJ_nid2obj(NID_ad_ca_issuers);
	GENERAL_NAME_free(ad->location);
	ad->location = GENERAL_NAME_new();
	ad->location->type = GEN_URI;
	ad->location->d.uniformResourceIdentifier = ASN1_IA5STRING_new();
	ck_assert_int_eq(ASN1_STRING_set(ad->location->d.uniformResourceIdentifier, aia, -1), 1);
	ck_assert(sk_ACCESS_DESCRIPTION_push(info, ad) > 0);
	ck_assert_int_eq(X509_add1_ext_i2d(x, NID_info_access, info, 0, X509V3_ADD_REPLACE), 1);
	ck_assert_int_eq(X509_NAME_add_entry_by_NID(subject, NID_commonName, V_ASN1_UTF8STRING,
						    (const unsigned char *)cn, (int)strlen(cn), -1,
						    0),
			 1);
	ck_assert_int_eq(X509_set_subject_name(x, subject), 1);
	ck_assert_int_gt(X509_sign(x, tc->key, EVP_sha256()), 0);
	len = i2d_X509(x, &der);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(uct_cert_parse(der, (size_t)len, &cert, &err), 0);
	OPENSSL_free(der);
	GENERAL_NAMES_free(gens);
	AUTHORITY_INFO_ACCESS_free(info);
	X509_NAME_free(subject);
	X509_free(x);
	uct_testcert_free(tc);
	return cert;
}

START_TEST(test_hostile_names)
{
	static const char *const names[] = {
		"uccx1.lab.example",
		"uccx2.lab.example\0.evil",
		"x\nseen\tuccx2.lab.example:8445",
		"bad\xff\xfe.lab.example",
	};
	static const int lens[] = {17, 23, 29, 17};
	struct uct_cert *cert = hostile_cert(names, lens, 4, "http://ca.example/a b.crt");
	size_t i;

	ck_assert_uint_eq(cert->san_dns.n, 4);
	ck_assert_str_eq(cert->san_dns.v[0], "uccx1.lab.example");
	ck_assert_str_eq(cert->san_dns.v[1], "uccx2.lab.example\\x00.evil");
	ck_assert_str_eq(cert->san_dns.v[2], "x\\x0Aseen\\x09uccx2.lab.example:8445");
	ck_assert_str_eq(cert->san_dns.v[3], "bad\\xFF\\xFE.lab.example");
	ck_assert_str_eq(cert->subject_cn, "uccx1\\x1B[2J\\u{202E}elpmaxe");
	ck_assert_msg(uct_text_is_safe(cert->subject), "%s", cert->subject);
	ck_assert_msg(uct_text_is_safe(cert->issuer), "%s", cert->issuer);
	for (i = 0; i < cert->san_dns.n; i++)
		ck_assert(uct_text_is_safe(cert->san_dns.v[i]));
	/* The marked names match nothing; the plain one still does. */
	ck_assert(uct_cert_matches_host(cert, "uccx1.lab.example"));
	ck_assert(!uct_cert_matches_host(cert, "uccx2.lab.example"));
	/* A URL with a space is never fetched. */
	ck_assert_ptr_null(cert->aia_ca_issuers);
	uct_cert_free(cert);

	cert = hostile_cert(names + 1, lens + 1, 1, "http://ca.example/ca.crt");
	ck_assert(!uct_cert_matches_host(cert, "uccx2.lab.example"));
	ck_assert_str_eq(cert->aia_ca_issuers, "http://ca.example/ca.crt");
	uct_cert_free(cert);
}
END_TEST

START_TEST(test_parse_errors)
{
	struct uct_testcert *tc =
		uct_testcert_make(&(struct uct_testcert_spec){.cn = "e.lab.example"});
	struct uct_err err = {0};
	struct uct_cert *cert = (struct uct_cert *)1;
	unsigned char *longer;

	ck_assert_int_eq(uct_cert_parse((const unsigned char *)"hello", 5, &cert, &err), -1);
	ck_assert_ptr_null(cert);
	ck_assert_int_eq(err.code, UCT_E_PARSE);
	ck_assert_msg(strstr(err.msg, "not a DER certificate: ") != NULL, "%s", err.msg);
	ck_assert_uint_gt(strlen(err.msg), strlen("not a DER certificate: ") + 3);

	/* Truncated by one byte. */
	uct_err_clear(&err);
	ck_assert_int_eq(uct_cert_parse(tc->der, tc->der_len - 1, &cert, &err), -1);
	ck_assert_int_eq(err.code, UCT_E_PARSE);

	/* Trailing data is refused: the DER we keep must be the certificate. */
	uct_err_clear(&err);
	longer = malloc(tc->der_len + 1);
	memcpy(longer, tc->der, tc->der_len);
	longer[tc->der_len] = 0;
	ck_assert_int_eq(uct_cert_parse(longer, tc->der_len + 1, &cert, &err), -1);
	ck_assert_msg(strstr(err.msg, "trailing") != NULL, "%s", err.msg);
	free(longer);

	uct_err_clear(&err);
	ck_assert_int_eq(uct_cert_parse(NULL, 0, &cert, &err), -1);
	ck_assert_int_eq(err.code, UCT_E_PARSE);
	uct_testcert_free(tc);
}
END_TEST

static void write_text(const char *path, const char *text, const char *mode)
{
	FILE *fp = fopen(path, mode);

	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
}

static void append_file(const char *dst, const char *src)
{
	char buf[8192];
	FILE *in = fopen(src, "r"), *out = fopen(dst, "a");
	size_t n;

	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
	fclose(out);
}

START_TEST(test_read_bundle)
{
	struct uct_testcert *root = uct_testcert_make(&(struct uct_testcert_spec){
		.cn = "Root", .is_ca = 1, .no_san = 1});
	struct uct_testcert *mid = uct_testcert_make(&(struct uct_testcert_spec){
		.cn = "Intermediate", .is_ca = 1, .no_san = 1, .issuer = root, .key_slot = 1});
	struct uct_testcert *leaf = uct_testcert_make(&(struct uct_testcert_spec){
		.cn = "uccx1.lab.example", .issuer = mid, .key_type = UCT_TESTCERT_EC});
	struct uct_chain chain = {0};
	struct uct_err err = {0};
	const char *bundle = uct_check_path("bundle.pem"), *part = uct_check_path("part.pem");

	write_text(bundle, "Leaf, then a key block to skip, then the CAs\n", "w");
	ck_assert_int_eq(uct_testcert_write_pem(leaf, part), 0);
	append_file(bundle, part);
	ck_assert_int_eq(uct_testcert_write_key_pem(leaf, part), 0);
	append_file(bundle, part);
	ck_assert_int_eq(uct_testcert_write_pem(mid, part), 0);
	append_file(bundle, part);
	ck_assert_int_eq(uct_testcert_write_pem(root, part), 0);
	append_file(bundle, part);

	ck_assert_int_eq(uct_cert_read_file(bundle, &chain, &err), 0);
	ck_assert_uint_eq(chain.n, 3);
	ck_assert_str_eq(chain.certs[0]->subject_cn, "uccx1.lab.example");
	ck_assert_str_eq(chain.certs[1]->subject_cn, "Intermediate");
	ck_assert_str_eq(chain.certs[2]->subject_cn, "Root");
	ck_assert_mem_eq(chain.certs[1]->der, mid->der, mid->der_len);
	ck_assert_int_eq(uct_cert_signed_by(chain.certs[0], chain.certs[1]), 1);
	ck_assert_int_eq(uct_cert_signed_by(chain.certs[1], chain.certs[2]), 1);

	/* A DER file appends one more. */
	ck_assert_int_eq(uct_testcert_write_der(root, part), 0);
	ck_assert_int_eq(uct_cert_read_file(part, &chain, &err), 0);
	ck_assert_uint_eq(chain.n, 4);
	ck_assert_str_eq(chain.certs[3]->subject, "CN=Root");
	ck_assert_int_eq(chain.certs[3]->self_signed, 1);

	uct_chain_clear(&chain);
	uct_testcert_free(leaf);
	uct_testcert_free(mid);
	uct_testcert_free(root);
}
END_TEST

START_TEST(test_read_errors)
{
	struct uct_testcert *tc =
		uct_testcert_make(&(struct uct_testcert_spec){.cn = "k.lab.example"});
	struct uct_chain chain = {0};
	struct uct_err err = {0};
	char path[128], expect[256];

	/* Garbage: the message names the file and says what was expected. */
	snprintf(path, sizeof(path), "%s", uct_check_path("garbage.txt"));
	write_text(path, "this is not a certificate\n", "w");
	ck_assert_int_eq(uct_cert_read_file(path, &chain, &err), -1);
	ck_assert_int_eq(err.code, UCT_E_PARSE);
	snprintf(expect, sizeof(expect),
		 "%s: no certificate found (expected PEM 'BEGIN CERTIFICATE' or DER)", path);
	ck_assert_str_eq(err.msg, expect);
	ck_assert_uint_eq(chain.n, 0);

	/* A key alone is PEM but holds no certificate. */
	uct_err_clear(&err);
	ck_assert_int_eq(uct_testcert_write_key_pem(tc, path), 0);
	ck_assert_int_eq(uct_cert_read_file(path, &chain, &err), -1);
	ck_assert_str_eq(err.msg, expect);

	/* A damaged certificate block fails, and appends nothing. */
	uct_err_clear(&err);
	ck_assert_int_eq(uct_testcert_write_pem(tc, path), 0);
	write_text(path, "-----BEGIN CERTIFICATE-----\nMIIBbroken!!\n-----END CERTIFICATE-----\n",
		   "a");
	ck_assert_int_eq(uct_cert_read_file(path, &chain, &err), -1);
	ck_assert_int_eq(err.code, UCT_E_PARSE);
	ck_assert_uint_eq(chain.n, 0);

	uct_err_clear(&err);
	snprintf(path, sizeof(path), "%s", uct_check_path("missing.pem"));
	ck_assert_int_eq(uct_cert_read_file(path, &chain, &err), -1);
	ck_assert_int_eq(err.code, UCT_E_IO);
	ck_assert_ptr_nonnull(strstr(err.msg, "missing.pem"));
	uct_testcert_free(tc);
}
END_TEST

/* A copy of cert without the parser's X509: what a cert made elsewhere
 * (a test, a cache) looks like to uct_cert_signed_by. */
static struct uct_cert *without_handle(const struct uct_cert *cert)
{
	struct uct_cert *copy = uct_cert_dup(cert);

	ck_assert_ptr_nonnull(copy);
	uct_cert_native_free(copy->native);
	copy->native = NULL;
	return copy;
}

/* A copy holds its own reference to the X509: it outlives the original. */
START_TEST(test_dup_keeps_handle)
{
	struct uct_testcert *ca = uct_testcert_make(&(struct uct_testcert_spec){
		.cn = "Lab CA", .is_ca = 1, .no_san = 1});
	struct uct_testcert *leaf = uct_testcert_make(&(struct uct_testcert_spec){
		.cn = "a.lab.example", .issuer = ca, .aia_url = "http://pki.lab.example/ca.crt"});
	struct uct_cert *c_ca = uct_testcert_to_uct(ca), *c_leaf = uct_testcert_to_uct(leaf);
	struct uct_cert *copy;

	ck_assert_ptr_nonnull(c_ca);
	ck_assert_ptr_nonnull(c_leaf);
	ck_assert_ptr_nonnull(c_leaf->native);
	copy = uct_cert_dup(c_leaf);
	ck_assert_ptr_nonnull(copy);
	/* The same decoded certificate, one more reference to it. */
	ck_assert_ptr_eq(copy->native, c_leaf->native);
	ck_assert_ptr_ne(copy->der, c_leaf->der);
	uct_cert_free(c_leaf);

	ck_assert_str_eq(copy->subject, "CN=a.lab.example");
	ck_assert_str_eq(copy->aia_ca_issuers, "http://pki.lab.example/ca.crt");
	ck_assert_mem_eq(copy->der, leaf->der, leaf->der_len);
	uct_ossl_signed_forget();
	ck_assert_int_eq(uct_cert_signed_by(copy, c_ca), 1);
	uct_cert_free(copy);
	uct_cert_free(c_ca);
	uct_testcert_free(leaf);
	uct_testcert_free(ca);
}
END_TEST

/*
 * A private CA as a UCCX deployment has one: a root, an issuing CA, five
 * server leaves, and the impostors of test_signed_by. Every pair is asked
 * with the parser's X509s, with certs decoded from DER, and mixed: the
 * answers must be the same, and right.
 */
enum { H_ROOT, H_MID, H_TWIN, H_SELF, H_LEAF0, H_N = H_LEAF0 + 5 };

START_TEST(test_signed_by_handles)
{
	struct uct_testcert *tc[H_N];
	struct uct_cert *with[H_N], *without[H_N];
	char cn[64];
	int c, i, expect, k;

	tc[H_ROOT] = uct_testcert_make(&(struct uct_testcert_spec){
		.cn = "Lab Root CA", .is_ca = 1, .no_san = 1});
	tc[H_MID] = uct_testcert_make(&(struct uct_testcert_spec){.cn = "Lab Issuing CA",
								  .is_ca = 1,
								  .no_san = 1,
								  .issuer = tc[H_ROOT],
								  .key_slot = 1});
	/* The issuing CA's name on another key, also signed by the root. */
	tc[H_TWIN] = uct_testcert_make(&(struct uct_testcert_spec){.cn = "Lab Issuing CA",
								   .is_ca = 1,
								   .no_san = 1,
								   .issuer = tc[H_ROOT],
								   .key_slot = 2});
	tc[H_SELF] = uct_testcert_make(&(struct uct_testcert_spec){.cn = "socialminer.lab.example",
								   .key_type = UCT_TESTCERT_EC});
	for (k = 0; k < 5; k++) {
		snprintf(cn, sizeof(cn), "uccx%d.lab.example", k + 1);
		tc[H_LEAF0 + k] = uct_testcert_make(&(struct uct_testcert_spec){
			.cn = cn, .issuer = tc[H_MID], .key_slot = 3});
	}
	for (k = 0; k < H_N; k++) {
		ck_assert_ptr_nonnull(tc[k]);
		with[k] = uct_testcert_to_uct(tc[k]);
		ck_assert_ptr_nonnull(with[k]);
		ck_assert_ptr_nonnull(with[k]->native);
		without[k] = without_handle(with[k]);
	}
	for (c = 0; c < H_N; c++) {
		for (i = 0; i < H_N; i++) {
			expect = (c == H_ROOT && i == H_ROOT) || (c == H_SELF && i == H_SELF) ||
				 ((c == H_MID || c == H_TWIN) && i == H_ROOT) ||
				 (c >= H_LEAF0 && i == H_MID);
			uct_ossl_signed_forget();
			ck_assert_msg(uct_cert_signed_by(with[c], with[i]) == expect,
				      "%d by %d with handles", c, i);
			uct_ossl_signed_forget();
			ck_assert_msg(uct_cert_signed_by(without[c], without[i]) == expect,
				      "%d by %d decoded", c, i);
			uct_ossl_signed_forget();
			ck_assert_msg(uct_cert_signed_by(with[c], without[i]) == expect,
				      "%d by %d, issuer decoded", c, i);
			uct_ossl_signed_forget();
			ck_assert_msg(uct_cert_signed_by(without[c], with[i]) == expect,
				      "%d by %d, child decoded", c, i);
		}
	}
	/* With its X509 the DER is not decoded again: damaged bytes do not
	 * change the answer. Without it, they do. */
	with[H_LEAF0]->der[with[H_LEAF0]->der_len / 2] ^= 0xFF;
	without[H_LEAF0]->der[without[H_LEAF0]->der_len / 2] ^= 0xFF;
	uct_ossl_signed_forget();
	ck_assert_int_eq(uct_cert_signed_by(with[H_LEAF0], with[H_MID]), 1);
	uct_ossl_signed_forget();
	ck_assert_int_eq(uct_cert_signed_by(without[H_LEAF0], without[H_MID]), 0);
	for (k = 0; k < H_N; k++) {
		uct_cert_free(with[k]);
		uct_cert_free(without[k]);
		uct_testcert_free(tc[k]);
	}
}
END_TEST

/* Every way in keeps the X509: DER, a PEM bundle. */
START_TEST(test_parsers_keep_handle)
{
	struct uct_testcert *tc =
		uct_testcert_make(&(struct uct_testcert_spec){.cn = "k.lab.example"});
	struct uct_chain chain = {0};
	struct uct_err err = {0};
	struct uct_cert *cert;
	char pem[] = "/tmp/uct-handle-XXXXXX";
	int fd = mkstemp(pem);

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(uct_cert_parse(tc->der, tc->der_len, &cert, &err), 0);
	ck_assert_ptr_nonnull(cert->native);
	uct_cert_free(cert);
	ck_assert_int_eq(uct_testcert_write_pem(tc, pem), 0);
	ck_assert_int_eq(uct_cert_read_file(pem, &chain, &err), 0);
	ck_assert_uint_eq(chain.n, 1);
	ck_assert_ptr_nonnull(chain.certs[0]->native);
	uct_chain_clear(&chain);
	unlink(pem);
	uct_testcert_free(tc);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cert_ossl");
	TCase *tc = tcase_create("parse");
	TCase *files = uct_check_tcase(s, "files", 1);
	int rc;

	tcase_set_timeout(tc, 60);
	tcase_set_timeout(files, 60);
	tcase_add_loop_test(tc, test_fields, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_serial_and_ip6);
	tcase_add_test(tc, test_signed_by);
	tcase_add_test(tc, test_signed_by_non_ca);
	tcase_add_test(tc, test_hostile_names);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(files, test_read_bundle);
	tcase_add_test(files, test_read_errors);
	tcase_add_test(tc, test_dup_keeps_handle);
	tcase_add_test(tc, test_signed_by_handles);
	tcase_add_test(tc, test_parsers_keep_handle);
	suite_add_tcase(s, tc);
	rc = uct_check_run(s);
	uct_testcert_cleanup();
	return rc;
}
