/*
 * test_run.c: whole runs of the agent (configuration, fetch, analysis,
 * plan, apply, verification, state) against stores that live in memory
 * (tests/support/store_mem.c), with chains the tests make. What a user
 * depends on: install trusts, a second run writes nothing, one store that
 * fails leaves the others done and says why, and a listing cut short by a
 * failure never drives a plan.
 */
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"
#include "store_mem.h"
#include "testcert.h"

#define HOST1 "uccx1.example.com"
#define HOST2 "uccx2.example.com"

/* Two browser profiles (Chromium's database, one Firefox profile) and two
 * servers, each with its own self-signed CA:FALSE certificate. */
struct fixture {
	char dir[64];
	struct uct_store *stores[2];
	struct uct_cert *certs[2];
	struct uct_config cfg;
	struct uct_run run;
	int loaded, ran;
};

static struct fixture fx;

/* The fetch step: every target gets the certificate made for its host. */
static int fill_chains(struct uct_fetch_target *targets, size_t n, void *ctx, struct uct_err *err)
{
	struct uct_cert **certs = ctx;
	size_t i;

	(void)err;
	for (i = 0; i < n; i++) {
		struct uct_cert *cert = certs[strcmp(targets[i].host, HOST1) == 0 ? 0 : 1];

		targets[i].status = UCT_FETCH_OK;
		ck_assert_int_eq(uct_chain_push(&targets[i].chain, uct_cert_dup(cert)), 0);
	}
	return 0;
}

static struct uct_cert *make_cert(const char *host)
{
	struct uct_testcert *tc = uct_testcert_make(&(struct uct_testcert_spec){.cn = host});
	struct uct_cert *cert;

	ck_assert_ptr_nonnull(tc);
	cert = uct_testcert_to_uct(tc);
	ck_assert_ptr_nonnull(cert);
	uct_testcert_free(tc);
	return cert;
}

static void setup(void)
{
	memset(&fx, 0, sizeof(fx));
	snprintf(fx.dir, sizeof(fx.dir), "/tmp/uct-test-run.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx.dir));
	fx.stores[0] = uct_store_mem_new("mem:chromium", "chromium", UCT_BROWSER_CHROMIUM, 0);
	fx.stores[1] = uct_store_mem_new("mem:firefox", "firefox:default", UCT_BROWSER_FIREFOX, 0);
	ck_assert_ptr_nonnull(fx.stores[0]);
	ck_assert_ptr_nonnull(fx.stores[1]);
	fx.certs[0] = make_cert(HOST1);
	fx.certs[1] = make_cert(HOST2);
}

static void finish_run(void)
{
	if (fx.ran)
		uct_run_free(&fx.run);
	if (fx.loaded)
		uct_config_free(&fx.cfg);
	fx.ran = fx.loaded = 0;
}

static void teardown(void)
{
	char cmd[128];

	finish_run();
	fx.stores[0]->ops->destroy(fx.stores[0]);
	fx.stores[1]->ops->destroy(fx.stores[1]);
	uct_cert_free(fx.certs[0]);
	uct_cert_free(fx.certs[1]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx.dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* One run of command over both servers and both stores, as the command
 * line would start it; the previous run's result is freed first. Returns
 * what uct_run_execute_with returns, with its error in err. */
static int run_cmd(const char *command, struct uct_err *err)
{
	char state[96];
	char *argv[] = {"uccx-trust",  (char *)command,
			"--config",    "/dev/null",
			"--url",       "https://" HOST1 ":8445/",
			"--url",       "https://" HOST2 ":8445/",
			"--scope",     "user",
			"--home",      fx.dir,
			"--state-dir", state,
			"--quiet",     NULL};
	struct uct_run_inputs in = {
		.stores = fx.stores,
		.n_stores = 2,
		.fetch = fill_chains,
		.fetch_ctx = fx.certs,
	};
	struct uct_err cerr = {0};

	finish_run();
	snprintf(state, sizeof(state), "%s/state", fx.dir);
	uct_config_init(&fx.cfg);
	fx.loaded = 1;
	ck_assert_msg(uct_config_load(&fx.cfg, (int)(sizeof(argv) / sizeof(argv[0])) - 1, argv,
				      &cerr) == 0,
		      "config: %s", cerr.msg);
	uct_err_clear(err);
	fx.ran = 1;
	return uct_run_execute_with(&fx.run, &fx.cfg, &in, err);
}

static int has_problem(const char *text)
{
	size_t i;

	for (i = 0; i < fx.run.outcome.problems.n; i++)
		if (strcmp(fx.run.outcome.problems.v[i], text) == 0)
			return 1;
	return 0;
}

START_TEST(test_install_trusts_in_every_store)
{
	struct uct_err err;
	size_t s;

	ck_assert_msg(run_cmd("install", &err) == 0, "run: %s", err.msg);
	ck_assert_int_eq(fx.run.outcome.exit_code, 0);
	ck_assert_uint_eq(fx.run.plan.n_changes, 4);
	for (s = 0; s < 2; s++) {
		ck_assert_uint_eq(uct_store_mem_counts(fx.stores[s]).entries, 2);
		ck_assert_int_eq(uct_store_mem_trust(fx.stores[s], fx.certs[0]->sha256),
				 UCT_TRUST_PEER);
		ck_assert_int_eq(uct_store_mem_trust(fx.stores[s], fx.certs[1]->sha256),
				 UCT_TRUST_PEER);
	}
	ck_assert_int_eq(fx.run.read.res[0].verdict, UCT_V_TRUSTED);
	ck_assert_int_eq(fx.run.read.res[1].verdict, UCT_V_TRUSTED);
	ck_assert_uint_eq(fx.run.outcome.problems.n, 0);
}
END_TEST

START_TEST(test_rerun_writes_nothing)
{
	struct uct_mem_counts before[2], after;
	struct uct_err err;
	size_t s;

	ck_assert_msg(run_cmd("install", &err) == 0, "run: %s", err.msg);
	for (s = 0; s < 2; s++)
		before[s] = uct_store_mem_counts(fx.stores[s]);
	ck_assert_msg(run_cmd("install", &err) == 0, "rerun: %s", err.msg);
	ck_assert_int_eq(fx.run.outcome.exit_code, 0);
	ck_assert_uint_eq(fx.run.plan.n_changes, 0);
	for (s = 0; s < 2; s++) {
		after = uct_store_mem_counts(fx.stores[s]);
		ck_assert_uint_eq(after.rw_opens, before[s].rw_opens);
		ck_assert_uint_eq(after.adds, before[s].adds);
		ck_assert_uint_eq(after.removes, 0);
	}
	/* check agrees: nothing to do. */
	ck_assert_msg(run_cmd("check", &err) == 0, "check: %s", err.msg);
	ck_assert_int_eq(fx.run.outcome.exit_code, 0);
	ck_assert_uint_eq(fx.run.plan.n_changes, 0);
}
END_TEST

START_TEST(test_store_that_fails_to_open)
{
	struct uct_err err;

	uct_store_mem_faults(fx.stores[0])->fail_open = 1;
	ck_assert_msg(run_cmd("install", &err) == 0, "run: %s", err.msg);
	/* Chromium is left untrusted: exit 1, and the problem names the store
	 * and what went wrong. */
	ck_assert_int_eq(fx.run.outcome.exit_code, 1);
	ck_assert_msg(has_problem("mem:chromium: cannot open mem:chromium: injected failure"),
		      "problems: %zu, first %s", fx.run.outcome.problems.n,
		      fx.run.outcome.problems.n ? fx.run.outcome.problems.v[0] : "-");
	ck_assert_uint_eq(uct_store_mem_counts(fx.stores[0]).entries, 0);
	/* Firefox's profile is done all the same. */
	ck_assert_uint_eq(uct_store_mem_counts(fx.stores[1]).entries, 2);
	ck_assert_int_eq(fx.run.read.res[0].verdict, UCT_V_NOT_TRUSTED);

	/* Once it opens again, the next run completes the work. */
	uct_store_mem_faults(fx.stores[0])->fail_open = 0;
	ck_assert_msg(run_cmd("install", &err) == 0, "rerun: %s", err.msg);
	ck_assert_int_eq(fx.run.outcome.exit_code, 0);
	ck_assert_uint_eq(uct_store_mem_counts(fx.stores[0]).entries, 2);
	ck_assert_uint_eq(uct_store_mem_counts(fx.stores[1]).adds, 2);
}
END_TEST

START_TEST(test_listing_out_of_memory_plans_nothing)
{
	struct uct_err err;

	ck_assert_msg(run_cmd("install", &err) == 0, "run: %s", err.msg);
	/* The listing of Chromium's store fails after one of its two
	 * certificates: removing on that half would leave the other behind,
	 * and installing on it would re-add what is there. */
	uct_store_mem_faults(fx.stores[0])->oom_after = 1;
	ck_assert_int_eq(run_cmd("remove", &err), -1);
	ck_assert_int_eq(err.code, UCT_E_NOMEM);
	ck_assert_str_eq(err.msg, "out of memory listing mem:chromium");
	ck_assert_uint_eq(uct_store_mem_counts(fx.stores[0]).entries, 2);
	ck_assert_uint_eq(uct_store_mem_counts(fx.stores[0]).removes, 0);
	ck_assert_int_eq(run_cmd("install", &err), -1);
	ck_assert_int_eq(err.code, UCT_E_NOMEM);
	ck_assert_uint_eq(uct_store_mem_counts(fx.stores[0]).adds, 2);

	/* The records of what was installed survived: remove, once the store
	 * lists again, takes out both certificates from both stores. */
	uct_store_mem_faults(fx.stores[0])->oom_after = 0;
	ck_assert_msg(run_cmd("remove", &err) == 0, "remove: %s", err.msg);
	ck_assert_int_eq(fx.run.outcome.exit_code, 0);
	ck_assert_uint_eq(uct_store_mem_counts(fx.stores[0]).entries, 0);
	ck_assert_uint_eq(uct_store_mem_counts(fx.stores[1]).entries, 0);
}
END_TEST

START_TEST(test_add_that_fails)
{
	struct uct_err err;
	size_t i, failed = 0;

	uct_store_mem_faults(fx.stores[1])->fail_add = 1;
	ck_assert_msg(run_cmd("install", &err) == 0, "run: %s", err.msg);
	ck_assert_int_eq(fx.run.outcome.exit_code, 1);
	for (i = 0; i < fx.run.plan.n_changes; i++)
		if (fx.run.plan.changes[i].store == fx.stores[1]) {
			ck_assert_int_eq(fx.run.plan.changes[i].status, UCT_CS_FAILED);
			ck_assert_str_eq(fx.run.plan.changes[i].error,
					 "cannot write mem:firefox: injected failure");
			failed++;
		}
	ck_assert_uint_eq(failed, 2);
	ck_assert(has_problem("mem:firefox: cannot write mem:firefox: injected failure"));
	ck_assert_uint_eq(uct_store_mem_counts(fx.stores[0]).entries, 2);
	ck_assert_uint_eq(uct_store_mem_counts(fx.stores[1]).entries, 0);

	/* Nothing was recorded for the failed additions: the next run adds them. */
	uct_store_mem_faults(fx.stores[1])->fail_add = 0;
	ck_assert_msg(run_cmd("install", &err) == 0, "rerun: %s", err.msg);
	ck_assert_int_eq(fx.run.outcome.exit_code, 0);
	ck_assert_uint_eq(uct_store_mem_counts(fx.stores[1]).entries, 2);
	ck_assert_uint_eq(uct_store_mem_counts(fx.stores[0]).adds, 2);
}
END_TEST

static Suite *run_suite(void)
{
	Suite *s = suite_create("run");
	TCase *tc = tcase_create("whole runs");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_install_trusts_in_every_store);
	tcase_add_test(tc, test_rerun_writes_nothing);
	tcase_add_test(tc, test_store_that_fails_to_open);
	tcase_add_test(tc, test_listing_out_of_memory_plans_nothing);
	tcase_add_test(tc, test_add_that_fails);
	suite_add_tcase(s, tc);
	return s;
}

UCT_CHECK_MAIN(run_suite)
