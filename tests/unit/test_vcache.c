/*
 * test_vcache.c: the verification cache gives an earlier answer back only
 * for the same store content, chain and name, within the time that answer
 * holds, and a damaged file costs nothing but a new verification.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "vcache.h"

#define T0 1800000000 /* the time of the first verification */
#define DAY 86400

static char path[128];
static unsigned char digest_a[UCT_SHA256_LEN], digest_b[UCT_SHA256_LEN];

/* Certificates carry only what the cache looks at: fingerprint, dates. */
static struct uct_cert certs[3];
static struct uct_cert *leaf_root[2] = {&certs[0], &certs[2]};
static struct uct_cert *leaf_ca_root[3] = {&certs[0], &certs[1], &certs[2]};

static void setup(void)
{
	size_t i;

	snprintf(path, sizeof(path), "%s", uct_check_path("verify-cache"));
	memset(digest_a, 0xa1, sizeof(digest_a));
	memset(digest_b, 0xb2, sizeof(digest_b));
	memset(certs, 0, sizeof(certs));
	for (i = 0; i < 3; i++) {
		memset(certs[i].sha256, 0x10 + (int)i, UCT_SHA256_LEN);
		certs[i].not_before = T0 - 30 * DAY;
		certs[i].not_after = T0 + 365 * DAY;
	}
}

static struct uct_chain chain_of(struct uct_cert **v, size_t n)
{
	return (struct uct_chain){.certs = v, .n = n};
}

/* A cache with one record for "nss:/db": two objects, two answers. */
static void fill(struct uct_vcache *c)
{
	struct uct_store_entry owned[2] = {
		{.trust = UCT_TRUST_PEER},
		{.trust = UCT_TRUST_ROOT, .host = "uccx2.lab.example", .port = 8445},
	};
	struct uct_verify_result yes = {.trusted = 1};
	struct uct_verify_result no = {
		.trusted = 0, .code = "SEC_ERROR_UNKNOWN_ISSUER", .detail = "not\ttrusted\nhere"};
	struct uct_chain c1 = chain_of(leaf_root, 2), c2 = chain_of(leaf_ca_root, 3);
	struct uct_vcache_store *rec;

	memset(owned[0].sha256, 0x21, UCT_SHA256_LEN);
	memset(owned[1].sha256, 0x22, UCT_SHA256_LEN);
	memset(c, 0, sizeof(*c));
	rec = uct_vcache_put(c, "nss:/db", digest_a, T0, owned, 2);
	ck_assert_ptr_nonnull(rec);
	ck_assert_int_eq(uct_vcache_add_answer(c, rec, &c1, "uccx1.lab.example", &yes), 0);
	ck_assert_int_eq(uct_vcache_add_answer(c, rec, &c2, "uccx2.lab.example", &no), 0);
	/* The same question again keeps the first answer. */
	ck_assert_int_eq(uct_vcache_add_answer(c, rec, &c2, "uccx2.lab.example", &yes), 0);
	ck_assert_int_eq(rec->n_answers, 2);
}

START_TEST(test_round_trip)
{
	struct uct_vcache c, back;
	struct uct_err err = {0};
	struct uct_chain c1 = chain_of(leaf_root, 2), c2 = chain_of(leaf_ca_root, 3);
	const struct uct_vcache_store *rec;
	const struct uct_verify_result *r;

	fill(&c);
	ck_assert_int_eq(c.dirty, 1);
	ck_assert_int_eq(uct_vcache_save(path, &c, &err), 0);
	uct_vcache_free(&c);
	ck_assert_int_eq(uct_vcache_load(path, &back), 0);
	ck_assert_int_eq(back.dirty, 0);
	rec = uct_vcache_find(&back, "nss:/db", digest_a, T0 + 60);
	ck_assert_ptr_nonnull(rec);
	ck_assert_int_eq(rec->n_owned, 2);
	ck_assert_int_eq(rec->owned[0].trust, UCT_TRUST_PEER);
	ck_assert_ptr_null(rec->owned[0].host);
	ck_assert_int_eq(rec->owned[1].sha256[31], 0x22);
	ck_assert_str_eq(rec->owned[1].host, "uccx2.lab.example");
	ck_assert_int_eq(rec->owned[1].port, 8445);
	r = uct_vcache_answer(rec, &c1, "uccx1.lab.example", T0 + 60);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->trusted, 1);
	r = uct_vcache_answer(rec, &c2, "uccx2.lab.example", T0 + 60);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->trusted, 0);
	ck_assert_str_eq(r->code, "SEC_ERROR_UNKNOWN_ISSUER");
	ck_assert_str_eq(r->detail, "not trusted here");
	uct_vcache_free(&back);
}
END_TEST

START_TEST(test_other_content_or_store)
{
	struct uct_vcache c;

	fill(&c);
	ck_assert_ptr_nonnull(uct_vcache_find(&c, "nss:/db", digest_a, T0));
	ck_assert_ptr_null(uct_vcache_find(&c, "nss:/db", digest_b, T0));
	ck_assert_ptr_null(uct_vcache_find(&c, "nss:/other", digest_a, T0));
	uct_vcache_free(&c);
}
END_TEST

START_TEST(test_age_and_clock)
{
	struct uct_vcache c;

	fill(&c);
	ck_assert_ptr_nonnull(uct_vcache_find(&c, "nss:/db", digest_a, T0 + UCT_VCACHE_MAX_AGE));
	ck_assert_ptr_null(uct_vcache_find(&c, "nss:/db", digest_a, T0 + UCT_VCACHE_MAX_AGE + 1));
	/* A clock set back before the verification. */
	ck_assert_ptr_null(uct_vcache_find(&c, "nss:/db", digest_a, T0 - 1));
	uct_vcache_free(&c);
}
END_TEST

START_TEST(test_other_question)
{
	struct uct_vcache c;
	struct uct_chain c1 = chain_of(leaf_root, 2), leaf_only = chain_of(leaf_root, 1);
	struct uct_cert *swapped[2] = {&certs[2], &certs[0]};
	struct uct_chain c_swapped = chain_of(swapped, 2);
	const struct uct_vcache_store *rec;

	fill(&c);
	rec = uct_vcache_find(&c, "nss:/db", digest_a, T0);
	ck_assert_ptr_nonnull(uct_vcache_answer(rec, &c1, "uccx1.lab.example", T0));
	ck_assert_ptr_null(uct_vcache_answer(rec, &c1, "uccx2.lab.example", T0));
	ck_assert_ptr_null(uct_vcache_answer(rec, &leaf_only, "uccx1.lab.example", T0));
	ck_assert_ptr_null(uct_vcache_answer(rec, &c_swapped, "uccx1.lab.example", T0));
	uct_vcache_free(&c);
}
END_TEST

/* An answer holds only until a certificate of its chain starts or stops
 * being valid. */
START_TEST(test_validity_edges)
{
	struct uct_vcache c = {0};
	struct uct_verify_result yes = {.trusted = 1};
	struct uct_chain c1 = chain_of(leaf_root, 2);
	struct uct_vcache_store *rec;

	certs[0].not_after = T0 + 100; /* the leaf expires soon */
	certs[2].not_before = T0 - 50; /* the root became valid just before */
	rec = uct_vcache_put(&c, "nss:/db", digest_a, T0, NULL, 0);
	ck_assert_ptr_nonnull(rec);
	ck_assert_int_eq(uct_vcache_add_answer(&c, rec, &c1, "uccx1.lab.example", &yes), 0);
	ck_assert_ptr_nonnull(uct_vcache_answer(rec, &c1, "uccx1.lab.example", T0 + 99));
	ck_assert_ptr_null(uct_vcache_answer(rec, &c1, "uccx1.lab.example", T0 + 100));
	ck_assert_ptr_nonnull(uct_vcache_answer(rec, &c1, "uccx1.lab.example", T0 - 50));
	ck_assert_ptr_null(uct_vcache_answer(rec, &c1, "uccx1.lab.example", T0 - 51));
	uct_vcache_free(&c);
}
END_TEST

START_TEST(test_put_replaces_and_drop_forgets)
{
	struct uct_vcache c;

	fill(&c);
	ck_assert_ptr_nonnull(uct_vcache_put(&c, "nss:/db", digest_b, T0 + 5, NULL, 0));
	ck_assert_int_eq(c.n, 1);
	ck_assert_ptr_null(uct_vcache_find(&c, "nss:/db", digest_a, T0 + 5));
	ck_assert_ptr_nonnull(uct_vcache_find(&c, "nss:/db", digest_b, T0 + 5));
	c.dirty = 0;
	uct_vcache_drop(&c, "nss:/db");
	ck_assert_int_eq(c.dirty, 1);
	ck_assert_ptr_null(uct_vcache_find(&c, "nss:/db", digest_b, T0 + 5));
	uct_vcache_free(&c);
}
END_TEST

START_TEST(test_prune_forgets_what_is_too_old)
{
	struct uct_vcache c;

	fill(&c);
	ck_assert_ptr_nonnull(uct_vcache_put(&c, "nss:/new", digest_b, T0 + 2 * DAY, NULL, 0));
	c.dirty = 0;
	uct_vcache_prune(&c, T0 + UCT_VCACHE_MAX_AGE);
	ck_assert_int_eq(c.n, 2);
	ck_assert_int_eq(c.dirty, 0);
	uct_vcache_prune(&c, T0 + UCT_VCACHE_MAX_AGE + 1);
	ck_assert_int_eq(c.n, 1);
	ck_assert_int_eq(c.dirty, 1);
	ck_assert_str_eq(c.stores[0].store_id, "nss:/new");
	uct_vcache_free(&c);
}
END_TEST

#define FP11 "1111111111111111111111111111111111111111111111111111111111111111"
#define VC_HEAD "uccx-trust-verify-cache\t1\n"
#define VC_STORE "store\tnss:/db\t" FP11 "\t1\n"
#define VC_ANSWER(host, code, detail) "answer\t" host "\t0\t9\t1\t" FP11 "\t" code "\t" detail "\n"
#define VC_GOOD                                                \
	"uccx-trust-verify-cache\t1\n" VC_STORE "owned\t" FP11 \
	"\tpeer\t8445\tuccx1.lab.example\n" VC_ANSWER("uccx1.lab.example", "SEC_ERROR_X", "d")

static const char *const damaged_texts[] = {
	"",
	"something else\n",
	"uccx-trust-verify-cache\t2\n",
	/* an answer with no store line above it */
	"uccx-trust-verify-cache\t1\nanswer\th\t0\t9\t1\t"
	"1111111111111111111111111111111111111111111111111111111111111111\t\t\n",
	/* a truncated store line */
	"uccx-trust-verify-cache\t1\nstore\tnss:/db\ta1a1\n",
	/* a chain that is not a fingerprint */
	"uccx-trust-verify-cache\t1\nstore\tnss:/db\t"
	"a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1\t1\n"
	"answer\th\t0\t9\t1\tzz\t\t\n",
	/* trusted must be 0 or 1 */
	"uccx-trust-verify-cache\t1\nstore\tnss:/db\t"
	"a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1\t1\n"
	"answer\th\t0\t9\t7\t"
	"1111111111111111111111111111111111111111111111111111111111111111\t\t\n",
	/* an unknown trust name */
	"uccx-trust-verify-cache\t1\nstore\tnss:/db\t"
	"a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1\t1\n"
	"owned\t2121212121212121212121212121212121212121212121212121212121212121\tall\t0\t\n",
	/* Forged or hostile records (VC_GOOD alone loads: test_good_loads). */
	VC_GOOD VC_STORE,
	VC_GOOD VC_ANSWER("uccx1.lab.example", "SEC_ERROR_X", "d"),
	VC_HEAD VC_STORE VC_ANSWER("uccx1.lab.example\x1b[2J", "SEC_ERROR_X", "d"),
	VC_HEAD VC_STORE VC_ANSWER("uccx1.lab.example", "SEC_ERROR_X", "d\r"),
	VC_HEAD VC_STORE VC_ANSWER("uccx1.lab.example", "SEC_ERROR_X",
				   "d\xe2\x80\xae"
				   "e"),
	VC_HEAD VC_STORE VC_ANSWER("not a host", "SEC_ERROR_X", "d"),
	VC_HEAD VC_STORE VC_ANSWER("uccx1.lab.example", "SEC_ERROR_X", "d\textra"),
	VC_HEAD VC_STORE "answer\tuccx1.lab.example\t0\t9\t1\tsha256:" FP11 "\tc\td\n",
	VC_HEAD VC_STORE "owned\t" FP11 "\tpeer\t8445\tevil host\n",
	"uccx-trust-verify-cache\t1\nstore\tnss:/db\x01\t" FP11 "\t1\n",
};

START_TEST(test_good_loads)
{
	struct uct_vcache c;
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(VC_GOOD, f);
	fclose(f);
	ck_assert_int_eq(uct_vcache_load(path, &c), 0);
	ck_assert_int_eq(c.n, 1);
	ck_assert_int_eq(c.stores[0].n_answers, 1);
	ck_assert_int_eq(c.stores[0].n_owned, 1);
	uct_vcache_free(&c);
}
END_TEST

START_TEST(test_damaged_is_ignored)
{
	const char *text = damaged_texts[_i];
	struct uct_vcache c;
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(uct_vcache_load(path, &c), 0);
	ck_assert_int_eq(c.n, 0);
	uct_vcache_free(&c);
}
END_TEST

START_TEST(test_missing_is_empty)
{
	struct uct_vcache c;

	ck_assert_int_eq(uct_vcache_load(path, &c), 0);
	ck_assert_int_eq(c.n, 0);
	ck_assert_ptr_null(uct_vcache_find(&c, "nss:/db", digest_a, T0));
	uct_vcache_free(&c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vcache");
	TCase *tc = uct_check_tcase(s, "cache", 1);

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_other_content_or_store);
	tcase_add_test(tc, test_age_and_clock);
	tcase_add_test(tc, test_other_question);
	tcase_add_test(tc, test_validity_edges);
	tcase_add_test(tc, test_put_replaces_and_drop_forgets);
	tcase_add_test(tc, test_prune_forgets_what_is_too_old);
	tcase_add_test(tc, test_good_loads);
	tcase_add_loop_test(tc, test_damaged_is_ignored, 0,
			    (int)(sizeof(damaged_texts) / sizeof(damaged_texts[0])));
	tcase_add_test(tc, test_missing_is_empty);
	return uct_check_run(s);
}
