/*
 * test_run_collector_prop.c: a property of the collector trust mode over a
 * long random life of a fleet: approvals given and revoked, server
 * certificates rotated, runs without a valid trust document. After every
 * run the stores hold only what the document approves, every approved
 * certificate a server presents is installed, nothing is installed that
 * was neither approved for what a server presents nor held before, and a
 * run without a document changes nothing. UCT_TEST_SEED picks the
 * sequence; the seed is printed with any failure.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check_main.h"
#include "run_fixture.h"
#include "store_mem.h"
#include "testcert.h"

#define STEPS 80
#define POOL 4 /* certificates per host; on host 2 the last is CA-issued */

static struct uct_test_whole w;
static struct uct_cert *pool[2][POOL], *ca;
static const char *hosts[2] = {UCT_TEST_HOST1, UCT_TEST_HOST2};
static unsigned long long seed, rng;

static unsigned pick(unsigned n)
{
	/* xorshift64*: the same sequence for the same seed everywhere. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (unsigned)((rng * 2685821657736338717ULL) >> 33) % n;
}

static struct uct_cert *make(const struct uct_testcert_spec *spec, struct uct_testcert **keep)
{
	struct uct_testcert *tc = uct_testcert_make(spec);
	struct uct_cert *cert;

	ck_assert_ptr_nonnull(tc);
	ck_assert_ptr_nonnull(cert = uct_testcert_to_uct(tc));
	if (keep != NULL)
		*keep = tc;
	else
		uct_testcert_free(tc);
	return cert;
}

static void setup(void)
{
	struct uct_testcert *ca_tc;
	const char *env = getenv("UCT_TEST_SEED");
	size_t h, c;

	seed = env != NULL && *env != '\0' ? strtoull(env, NULL, 0)
					   : (unsigned long long)time(NULL);
	rng = seed != 0 ? seed : 1;
	uct_test_whole_init(&w);
	ca = make(&(struct uct_testcert_spec){.cn = "Lab Root CA", .is_ca = 1}, &ca_tc);
	for (h = 0; h < 2; h++)
		for (c = 0; c < POOL; c++)
			pool[h][c] =
				make(&(struct uct_testcert_spec){.cn = hosts[h],
								 .issuer = h == 1 && c == POOL - 1
										   ? ca_tc
										   : NULL},
				     NULL);
	uct_testcert_free(ca_tc);
}

static void teardown(void)
{
	size_t h, c;

	uct_test_whole_free(&w);
	for (h = 0; h < 2; h++)
		for (c = 0; c < POOL; c++)
			uct_cert_free(pool[h][c]);
	uct_cert_free(ca);
}

/* Every certificate of the test: the pools, then the CA. */
#define ALL (2 * POOL + 1)
static const struct uct_cert *cert_at(size_t k)
{
	return k < 2 * POOL ? pool[k / POOL][k % POOL] : ca;
}

static void present(size_t h, size_t c)
{
	memset(w.present[h], 0, sizeof(w.present[h]));
	w.present[h][0] = pool[h][c];
	if (h == 1 && c == POOL - 1)
		w.present[h][1] = ca;
}

/* What the document approves for what host h presents now: the CA when it
 * is approved for h, else the leaf when approved for port (0: any port). */
static const struct uct_cert *expected_for(size_t h, int port)
{
	const struct uct_cert *leaf = w.present[h][0];

	if (w.present[h][1] != NULL && uct_test_doc_has(&w.doc, UCT_TRUST_KIND_CA, hosts[h], 0, ca))
		return ca;
	if (uct_test_doc_has(&w.doc, UCT_TRUST_KIND_HOST, hosts[h], 0, leaf) ||
	    uct_test_doc_has(&w.doc, UCT_TRUST_KIND_ENDPOINT, hosts[h], port, leaf))
		return leaf;
	return NULL;
}

/* 1 when the document approves cert in any way for any host. */
static int approved_anywhere(const struct uct_cert *cert)
{
	char fp[UCT_FP_STRLEN];
	size_t i;

	uct_fp_format(cert->sha256, fp);
	for (i = 0; i < w.doc.doc.n; i++)
		if (strcmp(w.doc.doc.approvals[i].sha256, fp) == 0)
			return 1;
	return 0;
}

static void snapshot(enum uct_trust out[2][ALL])
{
	size_t s, k;

	for (s = 0; s < 2; s++)
		for (k = 0; k < ALL; k++)
			out[s][k] = uct_store_mem_trust(w.stores[s], cert_at(k)->sha256);
}

/* The step's change to the document or the servers; 1 for a run without
 * a document. */
static int mutate(char *what, size_t size)
{
	static const int ports[2] = {8445, 443};
	size_t h = pick(2), c = pick(POOL);
	unsigned op = pick(10);

	w.doc.missing = 0;
	if (op < 4) {
		unsigned kind = pick(h == 1 ? 3 : 2);
		int port = h == 0 ? ports[pick(2)] : 8445;

		if (kind == 2)
			uct_test_doc_approve(&w.doc, UCT_TRUST_KIND_CA, hosts[h], 0, ca);
		else
			uct_test_doc_approve(&w.doc,
					     kind ? UCT_TRUST_KIND_HOST : UCT_TRUST_KIND_ENDPOINT,
					     hosts[h], port, pool[h][c]);
		snprintf(what, size, "approve kind %u host %zu port %d cert %zu", kind, h, port, c);
	} else if (op < 6) {
		uct_test_doc_revoke(&w.doc, pick(4) == 0 ? ca : pool[h][c]);
		snprintf(what, size, "revoke host %zu cert %zu (or the CA)", h, c);
	} else if (op < 8) {
		present(h, c);
		snprintf(what, size, "rotate host %zu to cert %zu", h, c);
	} else {
		w.doc.missing = 1;
		snprintf(w.doc.problem, sizeof(w.doc.problem), "the trust document has expired");
		snprintf(what, size, "no document");
		return 1;
	}
	return 0;
}

static void check_step(int step, const char *what, int nodoc, enum uct_trust before[2][ALL])
{
	enum uct_trust after[2][ALL];
	const struct uct_cert *want[3] = {expected_for(0, 8445), expected_for(0, 443),
					  expected_for(1, 8445)};
	size_t s, k, e;

	snapshot(after);
	for (s = 0; s < 2; s++)
		for (k = 0; k < ALL; k++) {
			int wanted = 0;

			if (nodoc) {
				ck_assert_msg(after[s][k] == before[s][k],
					      "seed %llu step %d (%s): store %zu cert %zu changed "
					      "without a document",
					      seed, step, what, s, k);
				continue;
			}
			if (after[s][k] == UCT_TRUST_NONE)
				continue;
			ck_assert_msg(
				approved_anywhere(cert_at(k)),
				"seed %llu step %d (%s): store %zu holds cert %zu, not approved",
				seed, step, what, s, k);
			for (e = 0; e < 3; e++)
				wanted |= want[e] == cert_at(k);
			ck_assert_msg(wanted || before[s][k] != UCT_TRUST_NONE,
				      "seed %llu step %d (%s): store %zu gained cert %zu, which no "
				      "server presents approved",
				      seed, step, what, s, k);
		}
	for (e = 0; e < 3 && !nodoc; e++)
		ck_assert_msg(want[e] == NULL ||
				      uct_store_mem_trust(w.stores[0], want[e]->sha256) !=
					      UCT_TRUST_NONE,
			      "seed %llu step %d (%s): endpoint %zu's approved certificate is not "
			      "installed",
			      seed, step, what, e);
}

START_TEST(test_random_fleet_life)
{
	enum uct_trust before[2][ALL];
	struct uct_err err;
	char what[96];
	int step, nodoc;

	present(0, 0);
	present(1, 0);
	for (step = 0; step < STEPS; step++) {
		nodoc = mutate(what, sizeof(what));
		snapshot(before);
		ck_assert_msg(uct_test_whole_run(&w, "install", "collector", &err) == 0,
			      "seed %llu step %d (%s): run: %s", seed, step, what, err.msg);
		check_step(step, what, nodoc, before);
	}
}
END_TEST

static Suite *prop_suite(void)
{
	Suite *s = suite_create("run_collector_prop");
	TCase *tc = tcase_create("random fleet life");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 110);
	tcase_add_test(tc, test_random_fleet_life);
	suite_add_tcase(s, tc);
	return s;
}

UCT_CHECK_MAIN(prop_suite)
