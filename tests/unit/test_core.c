/*
 * test_core.c: the base layer's helpers (core/): host-name rules (FQDN, IP
 * literal, RFC 6125 matching), fingerprint parsing and formatting, the
 * first-error-wins error, text escaping, and certificate copies.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "platform.h" /* uct_cert_free */
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
	/* Names the parser marked (escaped) never match, whatever they hold. */
	{"uccx1.example.com\\x00.evil", "uccx1.example.com", 0},
	{"uccx1\\x0Aseen.example.com", "uccx1.example.com", 0},
	{"uccx1.example.com ", "uccx1.example.com", 0},
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
	{"uccx1.example.com", 1, 0},
	{"uccx1", 0, 0},
	{"10.1.2.3", 0, 1},
	{"::1", 0, 1},
	{"[2001:db8::5]", 0, 1},
	{"uccx1.example.com.", 1, 0},
	{"-bad.example.com", 0, 0},
	{"bad-.example.com", 0, 0},
	{"a..b.com", 0, 0},
	{"uccx_1.example.com", 0, 0},
	{"1.2.3", 0, 0},
	{"", 0, 0},
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
	ck_assert_int_eq(
		uct_fp_parse("aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899", b),
		0);
	ck_assert_mem_eq(a, b, UCT_SHA256_LEN);
	ck_assert_int_eq(
		uct_fp_parse(
			"sha256:AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899",
			b),
		0);
	ck_assert_mem_eq(a, b, UCT_SHA256_LEN);
	uct_fp_format(a, text);
	ck_assert_str_eq(text, colon);
	/* Too short, too long, not hex: refused. */
	ck_assert_int_eq(uct_fp_parse("AA:BB", b), -1);
	ck_assert_int_eq(
		uct_fp_parse("aabbccddeeff00112233445566778899aabbccddeeff0011223344556677889900",
			     b),
		-1);
	ck_assert_int_eq(
		uct_fp_parse("zzbbccddeeff00112233445566778899aabbccddeeff00112233445566778899", b),
		-1);
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

/* Valid UTF-8 with no character escaping would change: what every
 * escaped string must be. */
static void assert_safe_text(const char *s)
{
	char *again = uct_text_escape(s);

	ck_assert_ptr_nonnull(again);
	ck_assert_msg(uct_text_is_safe(s), "not safe: %s", s);
	/* Idempotent: escaping escaped text changes nothing. */
	ck_assert_str_eq(again, s);
	free(again);
}

static const struct {
	const char *in, *out;
} escape_cases[] = {
	{"uccx1.example.com", "uccx1.example.com"},
	{"a\nseen\tb\r", "a\\x0Aseen\\x09b\\x0D"},
	{"\x1b[2Jclear", "\\x1B[2Jclear"},
	{"del\x7f", "del\\x7F"},
	{"caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87", "caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87"},
	{"c1\xc2\x85", "c1\\u{0085}"},
	{"ab\xe2\x80\xae"
	 "cd",
	 "ab\\u{202E}cd"},
	{"line\xe2\x80\xa8sep\xe2\x80\xa9", "line\\u{2028}sep\\u{2029}"},
	{"\xe2\x81\xa6iso\xe2\x81\xa9", "\\u{2066}iso\\u{2069}"},
	{"\xe2\x80\x8emark\xe2\x80\x8f", "\\u{200E}mark\\u{200F}"},
	{"bad\xff", "bad\\xFF"},
	{"overlong\xc0\xaf", "overlong\\xC0\\xAF"},
	{"surrogate\xed\xa0\x80", "surrogate\\xED\\xA0\\x80"},
	{"cut\xe4\xb8", "cut\\xE4\\xB8"},
	{"big\xf4\x90\x80\x80", "big\\xF4\\x90\\x80\\x80"},
	{"emoji\xf0\x9f\x94\x92", "emoji\xf0\x9f\x94\x92"},
	{"back\\slash", "back\\slash"},
};

START_TEST(test_text_escape_cases)
{
	char *out = uct_text_escape(escape_cases[_i].in);

	ck_assert_ptr_nonnull(out);
	ck_assert_str_eq(out, escape_cases[_i].out);
	assert_safe_text(out);
	free(out);
}
END_TEST

/* Every byte alone, every pair, and random strings (fixed seed): the
 * escaped text is always safe, and a NUL is shown, not a cut. */
START_TEST(test_text_escape_property)
{
	unsigned char buf[48];
	unsigned seed = 4242;
	char *out;
	int a, b, k, i, len;

	for (a = 0; a < 256; a++) {
		for (b = 0; b < 256; b++) {
			buf[0] = (unsigned char)a;
			buf[1] = (unsigned char)b;
			out = uct_text_escape_n((const char *)buf, 2);
			ck_assert_ptr_nonnull(out);
			assert_safe_text(out);
			if (a == 0)
				ck_assert(strncmp(out, "\\x00", 4) == 0);
			free(out);
		}
	}
	for (k = 0; k < 20000; k++) {
		len = (int)(rand_r(&seed) % sizeof(buf));
		for (i = 0; i < len; i++)
			buf[i] = (unsigned char)rand_r(&seed);
		out = uct_text_escape_n((const char *)buf, (size_t)len);
		ck_assert_ptr_nonnull(out);
		assert_safe_text(out);
		/* Text that was already safe is kept byte for byte. */
		if (uct_text_is_safe_n((const char *)buf, (size_t)len))
			ck_assert(strlen(out) == (size_t)len && memcmp(out, buf, (size_t)len) == 0);
		free(out);
	}
}
END_TEST

/* A 200,000-byte value is quoted short, with its length; a short one whole. */
START_TEST(test_text_quote)
{
	char *big = malloc(200001), q[UCT_QUOTE_BUF], small[20];

	ck_assert_ptr_nonnull(big);
	memset(big, 'u', 200000);
	big[0] = '\x1b';
	big[200000] = '\0';
	uct_text_quote(big, q, sizeof(q));
	ck_assert_uint_lt(strlen(q), UCT_QUOTE_MAX + 40);
	ck_assert_msg(strstr(q, "... (200000 bytes)") != NULL, "%s", q);
	ck_assert(strncmp(q, "\\x1B", 4) == 0);
	assert_safe_text(q);
	/* Never cut inside a character, even when every byte needs escaping. */
	memset(big, 'a', 200000);
	memcpy(big + UCT_QUOTE_MAX - 1, "\xe4\xb8\xad", 3);
	assert_safe_text(uct_text_quote(big, q, sizeof(q)));
	memset(big, '\n', 200000);
	assert_safe_text(uct_text_quote(big, q, sizeof(q)));
	ck_assert_msg(strstr(q, "... (200000 bytes)") != NULL, "%s", q);
	uct_text_quote(big, small, sizeof(small));
	ck_assert_uint_lt(strlen(small), sizeof(small));
	ck_assert_str_eq(uct_text_quote("short", q, sizeof(q)), "short");
	ck_assert_str_eq(uct_text_quote(NULL, q, sizeof(q)), "");
	free(big);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("core");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_name_matches, 0,
			    (int)(sizeof(name_cases) / sizeof(name_cases[0])));
	tcase_add_loop_test(tc, test_fqdn, 0, (int)(sizeof(fqdn_cases) / sizeof(fqdn_cases[0])));
	tcase_add_test(tc, test_fingerprints);
	tcase_add_loop_test(tc, test_text_escape_cases, 0,
			    (int)(sizeof(escape_cases) / sizeof(escape_cases[0])));
	tcase_add_test(tc, test_text_escape_property);
	tcase_add_test(tc, test_text_quote);
	tcase_add_test(tc, test_first_error_wins);
	tcase_add_test(tc, test_cert_dup);
	tcase_add_test(tc, test_cert_dup_sparse);
	suite_add_tcase(s, tc);
	return uct_check_run(s);
}
