/*
 * test_util.c: host-name rules (FQDN, IP literal, RFC 6125 matching),
 * fingerprint parsing and formatting, the first-error-wins error, and
 * certificate copies.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "uct.h"

static const struct {
	const char *pattern, *host;
	int match;
} name_cases[] = {
	{"uccx1.example.com", "uccx1.example.com", 1},
	{"UCCX1.Example.COM", "uccx1.example.com", 1},
	{"uccx1.example.com.", "uccx1.example.com", 1},
	{"*.example.com", "uccx1.example.com", 1},
	{"*.example.com", "a.b.example.com", 0},
	{"*.example.com", "example.com", 0},
	{"*.com", "example.com", 0},
	{"uc*.example.com", "uccx1.example.com", 0},
	{"*x1.example.com", "uccx1.example.com", 0},
	{"uccx2.example.com", "uccx1.example.com", 0},
	{"uccx1.example.co", "uccx1.example.com", 0},
};

START_TEST(test_name_matches)
{
	ck_assert_msg(uct_name_matches(name_cases[_i].pattern, name_cases[_i].host) ==
			      name_cases[_i].match,
		      "%s vs %s", name_cases[_i].pattern, name_cases[_i].host);
}
END_TEST

static const struct {
	const char *name;
	int fqdn, ip;
} fqdn_cases[] = {
	{"uccx1.example.com", 1, 0}, {"uccx1", 0, 0},		 {"10.1.2.3", 0, 1},
	{"::1", 0, 1},		     {"[2001:db8::5]", 0, 1},	 {"uccx1.example.com.", 1, 0},
	{"-bad.example.com", 0, 0},  {"bad-.example.com", 0, 0}, {"a..b.com", 0, 0},
	{"uccx_1.example.com", 0, 0}, {"1.2.3", 0, 0},		 {"", 0, 0},
	{"host.123", 0, 0},
};

START_TEST(test_fqdn)
{
	ck_assert_msg(uct_is_fqdn(fqdn_cases[_i].name) == fqdn_cases[_i].fqdn, "fqdn %s",
		      fqdn_cases[_i].name);
	ck_assert_msg(uct_is_ip_literal(fqdn_cases[_i].name) == fqdn_cases[_i].ip, "ip %s",
		      fqdn_cases[_i].name);
}
END_TEST

START_TEST(test_fingerprints)
{
	unsigned char a[UCT_SHA256_LEN], b[UCT_SHA256_LEN];
	char text[UCT_FP_STRLEN];
	const char *colon = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:"
			    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99";

	ck_assert_int_eq(uct_fp_parse(colon, a), 0);
	ck_assert_int_eq(uct_fp_parse("aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899", b), 0);
	ck_assert_mem_eq(a, b, UCT_SHA256_LEN);
	ck_assert_int_eq(uct_fp_parse("sha256:AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899", b), 0);
	ck_assert_mem_eq(a, b, UCT_SHA256_LEN);
	uct_fp_format(a, text);
	ck_assert_str_eq(text, colon);
	/* Too short, too long, not hex: refused. */
	ck_assert_int_eq(uct_fp_parse("AA:BB", b), -1);
	ck_assert_int_eq(uct_fp_parse("aabbccddeeff00112233445566778899aabbccddeeff0011223344556677889900", b), -1);
	ck_assert_int_eq(uct_fp_parse("zzbbccddeeff00112233445566778899aabbccddeeff00112233445566778899", b), -1);
}
END_TEST

START_TEST(test_first_error_wins)
{
	struct uct_err err = {0};

	ck_assert_int_eq(uct_err_set(&err, UCT_E_IO, 2, "first %d", 1), -1);
	ck_assert_int_eq(uct_err_set(&err, UCT_E_NSS, 3, "second"), -1);
	ck_assert_int_eq(err.code, UCT_E_IO);
	ck_assert_int_eq(err.native, 2);
	ck_assert_str_eq(err.msg, "first 1");
	ck_assert_str_eq(uct_err_name(UCT_E_LOCKED), "locked");
	ck_assert_int_eq(uct_err_set(NULL, UCT_E_IO, 0, "no target"), -1);
}
END_TEST

/* A certificate as a test would make one by hand: no native handle. */
static struct uct_cert *cert_by_hand(void)
{
	static const unsigned char der[] = {0x30, 0x03, 0x02, 0x01, 0x05};
	struct uct_cert *c = calloc(1, sizeof(*c));

	ck_assert_ptr_nonnull(c);
	c->der = malloc(sizeof(der));
	ck_assert_ptr_nonnull(c->der);
	memcpy(c->der, der, sizeof(der));
	c->der_len = sizeof(der);
	c->subject = uct_strdup("CN=uccx1.lab.example,O=Lab");
	c->issuer = uct_strdup("CN=Lab CA");
	c->subject_cn = uct_strdup("uccx1.lab.example");
	c->serial_hex = uct_strdup("0A");
	c->aia_ca_issuers = uct_strdup("http://pki.lab.example/ca.crt");
	ck_assert_int_eq(uct_strv_push(&c->san_dns, "uccx1.lab.example"), 0);
	ck_assert_int_eq(uct_strv_push(&c->san_dns, "finesse.lab.example"), 0);
	ck_assert_int_eq(uct_strv_push(&c->san_ip, "10.0.0.5"), 0);
	c->not_before = -315619200;
	c->not_after = 1893456000;
	c->key_type = UCT_KEY_EC;
	c->key_bits = 256;
	strcpy(c->sig_alg, "ecdsa-with-SHA256");
	c->has_eku = c->eku_server_auth = 1;
	memset(c->sha256, 0xAB, sizeof(c->sha256));
	return c;
}

/* A copy shares nothing with its original: freeing the original (and
 * scribbling over it first) leaves the copy whole. */
START_TEST(test_cert_dup)
{
	struct uct_cert *orig = cert_by_hand(), *copy = uct_cert_dup(orig);
	unsigned char sha[UCT_SHA256_LEN];

	ck_assert_ptr_nonnull(copy);
	ck_assert_ptr_ne(copy->der, orig->der);
	ck_assert_ptr_ne(copy->subject, orig->subject);
	ck_assert_ptr_ne(copy->san_dns.v, orig->san_dns.v);
	ck_assert_ptr_ne(copy->san_dns.v[0], orig->san_dns.v[0]);
	ck_assert_ptr_null(copy->native);
	memcpy(sha, orig->sha256, sizeof(sha));
	memset(orig->der, 0, orig->der_len);
	orig->subject[0] = 'X';
	orig->san_dns.v[1][0] = 'X';
	uct_cert_free(orig);

	ck_assert_uint_eq(copy->der_len, 5);
	ck_assert_int_eq(copy->der[0], 0x30);
	ck_assert_str_eq(copy->subject, "CN=uccx1.lab.example,O=Lab");
	ck_assert_str_eq(copy->issuer, "CN=Lab CA");
	ck_assert_str_eq(copy->subject_cn, "uccx1.lab.example");
	ck_assert_str_eq(copy->serial_hex, "0A");
	ck_assert_str_eq(copy->aia_ca_issuers, "http://pki.lab.example/ca.crt");
	ck_assert_uint_eq(copy->san_dns.n, 2);
	ck_assert_str_eq(copy->san_dns.v[1], "finesse.lab.example");
	ck_assert_uint_eq(copy->san_ip.n, 1);
	ck_assert_str_eq(copy->san_ip.v[0], "10.0.0.5");
	ck_assert_int_eq(copy->not_before, -315619200);
	ck_assert_int_eq(copy->not_after, 1893456000);
	ck_assert_int_eq(copy->key_type, UCT_KEY_EC);
	ck_assert_str_eq(copy->sig_alg, "ecdsa-with-SHA256");
	ck_assert_int_eq(copy->eku_server_auth, 1);
	ck_assert_mem_eq(copy->sha256, sha, UCT_SHA256_LEN);
	uct_cert_free(copy);
}
END_TEST

/* Absent optional fields stay absent; NULL copies to NULL. */
START_TEST(test_cert_dup_sparse)
{
	struct uct_cert *orig = calloc(1, sizeof(*orig)), *copy;

	ck_assert_ptr_nonnull(orig);
	copy = uct_cert_dup(orig);
	ck_assert_ptr_nonnull(copy);
	ck_assert_ptr_null(copy->der);
	ck_assert_ptr_null(copy->subject_cn);
	ck_assert_ptr_null(copy->aia_ca_issuers);
	ck_assert_uint_eq(copy->san_dns.n, 0);
	ck_assert_ptr_null(copy->san_dns.v);
	uct_cert_free(orig);
	uct_cert_free(copy);
	ck_assert_ptr_null(uct_cert_dup(NULL));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_name_matches, 0, (int)(sizeof(name_cases) / sizeof(name_cases[0])));
	tcase_add_loop_test(tc, test_fqdn, 0, (int)(sizeof(fqdn_cases) / sizeof(fqdn_cases[0])));
	tcase_add_test(tc, test_fingerprints);
	tcase_add_test(tc, test_first_error_wins);
	tcase_add_test(tc, test_cert_dup);
	tcase_add_test(tc, test_cert_dup_sparse);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
