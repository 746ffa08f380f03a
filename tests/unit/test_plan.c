/*
 * test_plan.c: what a store is asked to gain or lose, decided from the
 * analysis, the store's own objects, what it already trusts and the state:
 * additions merged per certificate, nothing for what is already there,
 * replacement on renewal only when every endpoint served moved on, and
 * one Firefox exception per host and port. No database is involved.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "plan.h"
#include "run_fixture.h"

#define HOST "uccx1.lab.example"

static const struct uct_store_ops override_ops = {.name = "ff-override",
						  .caps = UCT_STORE_BY_HOST | UCT_STORE_UNTAGGED |
							  UCT_STORE_DEFER_BUSY};

/* A run of three endpoints on one host: 443, 8445 (finesse) and 8445
 * (cfadmin), all reached, against one store. */
static struct uct_test_run fx;
static struct uct_cert cert_new, cert_old;

static void cert_init(struct uct_cert *c, unsigned char fill, const char *subject)
{
	memset(c, 0, sizeof(*c));
	memset(c->sha256, fill, UCT_SHA256_LEN);
	c->subject = (char *)subject;
}

static void setup(void)
{
	static char host[] = HOST, p1[] = "/", p2[] = "/cfadmin";
	static char n0[] = "appadmin", n1[] = "finesse", n2[] = "cfadmin";
	const struct uct_endpoint eps[3] = {
		{.name = n0, .host = host, .port = 443, .path = p1, .target = 0},
		{.name = n1, .host = host, .port = 8445, .path = p1, .target = 1},
		{.name = n2, .host = host, .port = 8445, .path = p2, .target = 1},
	};

	cert_init(&cert_new, 0xaa, "CN=" HOST " (new)");
	cert_init(&cert_old, 0x55, "CN=" HOST " (old)");
	uct_test_run_init(&fx, eps, 3, &cert_new);
}

static void teardown(void)
{
	uct_test_run_free(&fx);
}

static void own(const struct uct_cert *c, enum uct_trust trust, const char *host, int port)
{
	uct_test_run_own(&fx, c, trust, host, port);
}

static void plan(void)
{
	if (fx.cfg.command != UCT_CMD_REMOVE)
		ck_assert_int_eq(uct_plan_adds(&fx.ctx, 0, &fx.owned, &fx.run.plan), 0);
	ck_assert_int_eq(uct_plan_removals(&fx.ctx, 0, &fx.owned, &fx.run.plan), 0);
}

static const struct uct_change *change(size_t i)
{
	ck_assert_uint_gt(fx.run.plan.n_changes, i);
	return &fx.run.plan.changes[i];
}

START_TEST(test_fresh_store_one_add_per_certificate)
{
	plan();
	ck_assert_uint_eq(fx.run.plan.n_changes, 1);
	ck_assert_int_eq(change(0)->action, UCT_CH_ADD);
	ck_assert_int_eq(change(0)->trust, UCT_TRUST_PEER);
	ck_assert_mem_eq(change(0)->sha256, cert_new.sha256, UCT_SHA256_LEN);
	/* Two paths on one port are one endpoint of the store's object. */
	ck_assert_str_eq(change(0)->hostports, HOST ":443," HOST ":8445");
}
END_TEST

START_TEST(test_already_ours_changes_nothing)
{
	own(&cert_new, UCT_TRUST_PEER, NULL, 0);
	plan();
	ck_assert_uint_eq(fx.run.plan.n_changes, 0);
}
END_TEST

START_TEST(test_other_trust_is_an_update)
{
	own(&cert_new, UCT_TRUST_PEER_ONLY, NULL, 0);
	plan();
	ck_assert_uint_eq(fx.run.plan.n_changes, 1);
	ck_assert_int_eq(change(0)->action, UCT_CH_UPDATE);
	ck_assert_int_eq(change(0)->trust, UCT_TRUST_PEER);
}
END_TEST

START_TEST(test_trusted_by_something_else_is_left_alone)
{
	size_t i;

	for (i = 0; i < 3; i++)
		fx.before[i].trusted = 1;
	plan();
	ck_assert_uint_eq(fx.run.plan.n_changes, 0);
}
END_TEST

START_TEST(test_renewal_replaces_the_old_object)
{
	own(&cert_old, UCT_TRUST_PEER, NULL, 0);
	ck_assert_int_eq(uct_state_add_installed(&fx.run.record.state, fx.store.id, cert_old.sha256,
						 UCT_TRUST_PEER, HOST ":443," HOST ":8445"),
			 0);
	plan();
	ck_assert_uint_eq(fx.run.plan.n_changes, 2);
	ck_assert_int_eq(change(0)->action, UCT_CH_ADD);
	ck_assert_int_eq(change(1)->action, UCT_CH_REMOVE);
	ck_assert_mem_eq(change(1)->sha256, cert_old.sha256, UCT_SHA256_LEN);
}
END_TEST

START_TEST(test_old_object_kept_while_an_endpoint_is_unreachable)
{
	own(&cert_old, UCT_TRUST_PEER, NULL, 0);
	ck_assert_int_eq(uct_state_add_installed(&fx.run.record.state, fx.store.id, cert_old.sha256,
						 UCT_TRUST_PEER, HOST ":443," HOST ":8445"),
			 0);
	/* 8445 did not answer: it may still present the old certificate. */
	fx.targets[1].status = UCT_FETCH_TIMEOUT;
	fx.res[1].an.chromium.cert = fx.res[2].an.chromium.cert = NULL;
	plan();
	ck_assert_uint_eq(fx.run.plan.n_changes, 1);
	ck_assert_int_eq(change(0)->action, UCT_CH_ADD);
}
END_TEST

START_TEST(test_old_object_kept_when_the_change_is_refused)
{
	size_t i;

	own(&cert_old, UCT_TRUST_PEER, NULL, 0);
	ck_assert_int_eq(uct_state_add_installed(&fx.run.record.state, fx.store.id, cert_old.sha256,
						 UCT_TRUST_PEER, HOST ":443," HOST ":8445"),
			 0);
	for (i = 0; i < 3; i++) {
		fx.res[i].an.approval = UCT_AP_REFUSED_CHANGED;
		fx.res[i].an.chromium.cert = NULL;
	}
	plan();
	ck_assert_uint_eq(fx.run.plan.n_changes, 0);
}
END_TEST

START_TEST(test_unrecorded_object_is_kept)
{
	/* Tagged but not in the state (a lost state file): what it served is
	 * unknown, so install keeps it. */
	own(&cert_old, UCT_TRUST_PEER, NULL, 0);
	plan();
	ck_assert_uint_eq(fx.run.plan.n_changes, 1);
	ck_assert_int_eq(change(0)->action, UCT_CH_ADD);
}
END_TEST

START_TEST(test_remove_takes_everything_of_ours)
{
	fx.cfg.command = UCT_CMD_REMOVE;
	own(&cert_old, UCT_TRUST_PEER, NULL, 0);
	own(&cert_new, UCT_TRUST_ROOT, NULL, 0);
	plan();
	ck_assert_uint_eq(fx.run.plan.n_changes, 2);
	ck_assert_int_eq(change(0)->action, UCT_CH_REMOVE);
	ck_assert_int_eq(change(1)->action, UCT_CH_REMOVE);
}
END_TEST

START_TEST(test_one_override_per_host_and_port)
{
	fx.store.ops = &override_ops;
	fx.store.id = "ff-override:/home/u/.mozilla/firefox/p";
	fx.store.browser = UCT_BROWSER_FIREFOX;
	plan();
	ck_assert_uint_eq(fx.run.plan.n_changes, 2);
	ck_assert_str_eq(change(0)->hostports, HOST ":443");
	ck_assert_str_eq(change(1)->hostports, HOST ":8445");
	ck_assert_int_eq(change(0)->trust, UCT_TRUST_OVERRIDE);
}
END_TEST

START_TEST(test_override_lines_not_ours_are_never_removed)
{
	/* The override file cannot carry a tag: without a state record the
	 * line is the user's, even on `remove`. */
	fx.store.ops = &override_ops;
	fx.store.id = "ff-override:/home/u/.mozilla/firefox/p";
	fx.store.browser = UCT_BROWSER_FIREFOX;
	fx.cfg.command = UCT_CMD_REMOVE;
	own(&cert_old, UCT_TRUST_OVERRIDE, HOST, 443);
	plan();
	ck_assert_uint_eq(fx.run.plan.n_changes, 0);
	ck_assert_int_eq(uct_state_add_installed(&fx.run.record.state, fx.store.id, cert_old.sha256,
						 UCT_TRUST_OVERRIDE, HOST ":443"),
			 0);
	plan();
	ck_assert_uint_eq(fx.run.plan.n_changes, 1);
	ck_assert_str_eq(change(0)->hostports, HOST ":443");
}
END_TEST

/* A private CA's leaf held as a leaf only: a Firefox profile without a
 * database of its own (Windows) needs its exception; one with a database
 * gets the NSS peer trust instead. */
START_TEST(test_leaf_only_trust_and_firefox_without_database)
{
	static const struct uct_store_ops nss = {.name = "nss"};
	struct uct_store nssdb = {
		.ops = &nss, .id = "nss:/p", .group = "firefox:p", .browser = UCT_BROWSER_FIREFOX};
	struct uct_store *both[2] = {&fx.store, &nssdb};
	size_t i;

	fx.store.ops = &override_ops;
	fx.store.id = "ff-override:/p";
	fx.store.group = "firefox:p";
	fx.store.browser = UCT_BROWSER_FIREFOX;
	for (i = 0; i < 3; i++)
		fx.res[i].an.firefox_override = 0;
	plan();
	ck_assert_uint_eq(fx.run.plan.n_changes, 2);
	ck_assert_int_eq(change(0)->trust, UCT_TRUST_OVERRIDE);

	/* The same profile with its NSS database: no exception. */
	teardown();
	fx.run.stores.v = both;
	fx.run.stores.n = 2;
	plan();
	ck_assert_uint_eq(fx.run.plan.n_changes, 0);

	/* A self-signed leaf goes to Root on Windows, which Firefox reads. */
	fx.run.stores.n = 1;
	cert_new.self_signed = 1;
	plan();
	ck_assert_uint_eq(fx.run.plan.n_changes, 0);
}
END_TEST

/* A store whose browsers take no CA-issued leaf (Windows: Chrome and Edge
 * read TrustedPeople only for self-signed leaves) is given none, and the
 * copy an earlier version put there is taken out; a self-signed leaf is
 * still given. */
START_TEST(test_no_ca_issued_leaf_store)
{
	static const struct uct_store_ops leafless = {.name = "capi",
						      .caps = UCT_STORE_NO_CA_ISSUED_LEAF};

	fx.store.ops = &leafless;
	fx.store.id = "capi:LocalMachine";
	fx.store.group = "windows";
	fx.store.browser = UCT_BROWSER_SYSTEM;
	own(&cert_new, UCT_TRUST_PEER, NULL, 0);
	ck_assert_int_eq(uct_state_add_installed(&fx.run.record.state, fx.store.id, cert_new.sha256,
						 UCT_TRUST_PEER, HOST ":443," HOST ":8445"),
			 0);
	plan();
	ck_assert_uint_eq(fx.run.plan.n_changes, 1);
	ck_assert_int_eq(change(0)->action, UCT_CH_REMOVE);
	ck_assert_mem_eq(change(0)->sha256, cert_new.sha256, UCT_SHA256_LEN);

	/* The same leaf self-signed: kept, nothing to do. */
	teardown();
	cert_new.self_signed = 1;
	own(&cert_new, UCT_TRUST_PEER, NULL, 0);
	plan();
	ck_assert_uint_eq(fx.run.plan.n_changes, 0);
}
END_TEST

START_TEST(test_hostports_whole_elements)
{
	ck_assert(uct_hostports_have("a.example.com:443,b.example.com:8445", "b.example.com:8445"));
	ck_assert(!uct_hostports_have("ca.example.com:443", "a.example.com:443"));
	ck_assert(!uct_hostports_have("host.example.com:4431", "host.example.com:443"));
	ck_assert(!uct_hostports_have("", "host.example.com:443"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("plan");
	TCase *tc = tcase_create("store");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fresh_store_one_add_per_certificate);
	tcase_add_test(tc, test_already_ours_changes_nothing);
	tcase_add_test(tc, test_other_trust_is_an_update);
	tcase_add_test(tc, test_trusted_by_something_else_is_left_alone);
	tcase_add_test(tc, test_renewal_replaces_the_old_object);
	tcase_add_test(tc, test_old_object_kept_while_an_endpoint_is_unreachable);
	tcase_add_test(tc, test_old_object_kept_when_the_change_is_refused);
	tcase_add_test(tc, test_unrecorded_object_is_kept);
	tcase_add_test(tc, test_remove_takes_everything_of_ours);
	tcase_add_test(tc, test_one_override_per_host_and_port);
	tcase_add_test(tc, test_override_lines_not_ours_are_never_removed);
	tcase_add_test(tc, test_leaf_only_trust_and_firefox_without_database);
	tcase_add_test(tc, test_no_ca_issued_leaf_store);
	tcase_add_test(tc, test_hostports_whole_elements);
	suite_add_tcase(s, tc);
	return uct_check_run(s);
}
