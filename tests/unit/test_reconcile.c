/*
 * test_reconcile.c: the state's records of installed objects against what
 * a store holds after a killed run: an object of ours with no record is
 * recorded (tagged stores only), a record of an object the store does not
 * hold is dropped, an addition is saved in the state before its store is
 * written and its record dropped again when it was not done.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "reconcile.h"
#include "run_fixture.h"

#define HOST "uccx1.lab.example"

static const struct uct_store_ops override_ops = {.name = "ff-override",
						  .caps = UCT_STORE_BY_HOST | UCT_STORE_UNTAGGED |
							  UCT_STORE_DEFER_BUSY};

/* Two endpoints on one host (443, 8445), both reached, one store. */
static struct uct_test_run fx;
static struct uct_cert cert, other;
static char dir[64];

static void setup(void)
{
	static char host[] = HOST, path[] = "/", n0[] = "appadmin", n1[] = "finesse";
	const struct uct_endpoint eps[2] = {
		{.name = n0, .host = host, .port = 443, .path = path, .target = 0},
		{.name = n1, .host = host, .port = 8445, .path = path, .target = 1},
	};

	memset(&cert, 0, sizeof(cert));
	memset(&other, 0, sizeof(other));
	memset(cert.sha256, 0xaa, UCT_SHA256_LEN);
	memset(other.sha256, 0x55, UCT_SHA256_LEN);
	uct_test_run_init(&fx, eps, 2, &cert);
	snprintf(dir, sizeof(dir), "%s", uct_check_tmpdir());
	fx.run.record.state_dir = dir;
}

static void teardown(void)
{
	uct_test_run_free(&fx);
}

static void own(const struct uct_cert *c, enum uct_trust trust, const char *host, int port)
{
	uct_test_run_own(&fx, c, trust, host, port);
}

static const struct uct_installed *record(const struct uct_cert *c)
{
	return uct_state_find_installed(&fx.run.record.state, fx.store.id, c->sha256);
}

static void use_override_store(void)
{
	fx.store.ops = &override_ops;
	fx.store.id = "ff-override:/home/u/p";
	fx.store.path = "/home/u/p/cert_override.txt";
	fx.store.group = "firefox:p";
	fx.store.browser = UCT_BROWSER_FIREFOX;
}

/* Added, then killed before the state was saved: recorded for the
 * endpoints it serves. */
START_TEST(test_ours_without_record_is_recorded)
{
	own(&cert, UCT_TRUST_PEER, NULL, 0);
	ck_assert_int_eq(uct_reconcile_store(&fx.ctx, 0, &fx.owned, &fx.run.record.state), 0);
	ck_assert_ptr_nonnull(record(&cert));
	ck_assert_str_eq(record(&cert)->hostports, HOST ":443," HOST ":8445");
	ck_assert_int_eq(record(&cert)->trust, UCT_TRUST_PEER);
}
END_TEST

/* Only what this run wants for an approved endpoint, with the trust it
 * wants: anything else stays unrecorded (and is not taken over). */
START_TEST(test_nothing_recorded_unless_wanted)
{
	own(&other, UCT_TRUST_PEER, NULL, 0);
	own(&cert, UCT_TRUST_PEER_ONLY, NULL, 0);
	ck_assert_int_eq(uct_reconcile_store(&fx.ctx, 0, &fx.owned, &fx.run.record.state), 0);
	ck_assert_uint_eq(fx.run.record.state.n_installed, 0);
	uct_owned_free(&fx.owned);
	memset(&fx.owned, 0, sizeof(fx.owned));
	own(&cert, UCT_TRUST_PEER, NULL, 0);
	fx.res[0].an.approval = fx.res[1].an.approval = UCT_AP_REFUSED_CHANGED;
	ck_assert_int_eq(uct_reconcile_store(&fx.ctx, 0, &fx.owned, &fx.run.record.state), 0);
	ck_assert_uint_eq(fx.run.record.state.n_installed, 0);
}
END_TEST

/* Recorded ahead, then killed before the store was written (or deleted by
 * someone): the record goes; another store's records stay. */
START_TEST(test_record_of_missing_object_dropped)
{
	unsigned char sha[UCT_SHA256_LEN];

	memset(sha, 0x11, sizeof(sha));
	ck_assert_int_eq(uct_state_add_installed(&fx.run.record.state, fx.store.id, other.sha256,
						 UCT_TRUST_PEER, HOST ":443"),
			 0);
	ck_assert_int_eq(uct_state_add_installed(&fx.run.record.state, "nss:/elsewhere", sha,
						 UCT_TRUST_PEER, HOST ":443"),
			 0);
	own(&cert, UCT_TRUST_PEER, NULL, 0);
	ck_assert_int_eq(uct_reconcile_store(&fx.ctx, 0, &fx.owned, &fx.run.record.state), 0);
	ck_assert_ptr_null(record(&other));
	ck_assert_ptr_nonnull(record(&cert));
	ck_assert_ptr_nonnull(uct_state_find_installed(&fx.run.record.state, "nss:/elsewhere",
						       sha));
}
END_TEST

/* An override line carries no tag: a line without a record may be the
 * user's and is never recorded; a record stays while a line for one of its
 * endpoints (host in any case) is there, and goes when none is. */
START_TEST(test_override_lines_by_record_only)
{
	use_override_store();
	own(&cert, UCT_TRUST_OVERRIDE, HOST, 443);
	ck_assert_int_eq(uct_reconcile_store(&fx.ctx, 0, &fx.owned, &fx.run.record.state), 0);
	ck_assert_uint_eq(fx.run.record.state.n_installed, 0);

	ck_assert_int_eq(uct_state_add_installed(&fx.run.record.state, fx.store.id, cert.sha256,
						 UCT_TRUST_OVERRIDE, HOST ":443," HOST ":8445"),
			 0);
	uct_owned_free(&fx.owned);
	memset(&fx.owned, 0, sizeof(fx.owned));
	own(&cert, UCT_TRUST_OVERRIDE, "UCCX1.lab.example", 8445);
	ck_assert_int_eq(uct_reconcile_store(&fx.ctx, 0, &fx.owned, &fx.run.record.state), 0);
	ck_assert_ptr_nonnull(record(&cert));

	uct_owned_free(&fx.owned);
	memset(&fx.owned, 0, sizeof(fx.owned));
	own(&cert, UCT_TRUST_OVERRIDE, HOST, 8444);
	ck_assert_int_eq(uct_reconcile_store(&fx.ctx, 0, &fx.owned, &fx.run.record.state), 0);
	ck_assert_ptr_null(record(&cert));
}
END_TEST

/* 1 when the state file on disk holds an installed record for sha. */
static int saved_has(const struct uct_cert *c)
{
	struct uct_state st;
	char path[128];
	int damaged, has;
	struct uct_err err = {0};

	snprintf(path, sizeof(path), "%s/state", dir);
	ck_assert_int_eq(uct_state_load(path, &st, &damaged, &err), 0);
	ck_assert_int_eq(damaged, 0);
	has = uct_state_find_installed(&st, fx.store.id, c->sha256) != NULL;
	uct_state_free(&st);
	return has;
}

/* The planned additions are on disk before the store is written; after
 * it, a failed one loses its record, a done one keeps it, and a record
 * that existed before is never dropped. */
START_TEST(test_intent_saved_then_settled)
{
	struct uct_err err = {0};

	use_override_store();
	ck_assert_int_eq(uct_plan_adds(&fx.ctx, 0, &fx.owned, &fx.run.plan), 0);
	ck_assert_uint_eq(fx.run.plan.n_changes, 2);
	ck_assert_int_eq(uct_intent_save(&fx.run.plan, &fx.run.record, &fx.store, &err), 0);
	ck_assert(saved_has(&cert));
	ck_assert_str_eq(record(&cert)->hostports, HOST ":443," HOST ":8445");
	/* One record per certificate: kept while one of its lines was done. */
	fx.run.plan.changes[0].status = UCT_CS_DONE;
	fx.run.plan.changes[1].status = UCT_CS_FAILED;
	uct_intent_settle(&fx.run.plan, &fx.run.record.state, &fx.store);
	ck_assert_ptr_nonnull(record(&cert));
	uct_state_drop_installed(&fx.run.record.state, fx.store.id, cert.sha256);
	fx.run.plan.changes[0].status = fx.run.plan.changes[1].status = UCT_CS_PLANNED;
	ck_assert_int_eq(uct_intent_save(&fx.run.plan, &fx.run.record, &fx.store, &err), 0);
	fx.run.plan.changes[0].status = UCT_CS_FAILED;
	fx.run.plan.changes[1].status = UCT_CS_DEFERRED;
	uct_intent_settle(&fx.run.plan, &fx.run.record.state, &fx.store);
	ck_assert_ptr_null(record(&cert));

	fx.run.plan.changes[0].status = fx.run.plan.changes[1].status = UCT_CS_PLANNED;
	ck_assert_int_eq(uct_state_add_installed(&fx.run.record.state, fx.store.id, cert.sha256,
						 UCT_TRUST_OVERRIDE, HOST ":443"),
			 0);
	ck_assert_int_eq(uct_intent_save(&fx.run.plan, &fx.run.record, &fx.store, &err), 0);
	fx.run.plan.changes[0].status = fx.run.plan.changes[1].status = UCT_CS_FAILED;
	uct_intent_settle(&fx.run.plan, &fx.run.record.state, &fx.store);
	ck_assert_ptr_nonnull(record(&cert));
}
END_TEST

static Suite *reconcile_suite(void)
{
	Suite *s = suite_create("reconcile");
	TCase *tc = uct_check_tcase(s, "core", 1);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_ours_without_record_is_recorded);
	tcase_add_test(tc, test_nothing_recorded_unless_wanted);
	tcase_add_test(tc, test_record_of_missing_object_dropped);
	tcase_add_test(tc, test_override_lines_by_record_only);
	tcase_add_test(tc, test_intent_saved_then_settled);
	return s;
}

UCT_CHECK_MAIN(reconcile_suite)
