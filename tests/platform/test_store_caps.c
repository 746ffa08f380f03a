/*
 * test_store_caps.c: every Linux store declares what it is
 * (platform/common/store_caps.c), and the run's decisions follow from
 * those declarations alone: only Firefox's override file takes exceptions
 * by host and port, keeps no tag and defers its writes while Firefox runs;
 * only the machine's stores (system anchors, policies.json, /etc/pki/nssdb)
 * take the machine's narrower rule, never a user's NSS database; only the
 * NSS databases leave the browsers' refusals to the analysis.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check_main.h"
#include "machine.h"
#include "platform.h"

static char *sub_anchor, *sub_policy, *sub_certs;

static void setup(void)
{
	sub_anchor = uct_asprintf("%s/anchors", uct_check_tmpdir());
	sub_policy = uct_asprintf("%s/policies.json", uct_check_tmpdir());
	sub_certs = uct_asprintf("%s/certs", uct_check_tmpdir());
}

static void teardown(void)
{
	free(sub_anchor);
	free(sub_policy);
	free(sub_certs);
}

struct want_caps {
	unsigned caps;     /* exactly these of UCT_STORE_ bits */
	int machine;       /* uct_store_is_machine */
	const char *label; /* what doctor calls its group; NULL: the group */
};

static void check_store(struct uct_store *store, const struct want_caps *w)
{
	static const unsigned all[] = {UCT_STORE_NO_CA_ISSUED_LEAF, UCT_STORE_BY_HOST,
				       UCT_STORE_UNTAGGED,          UCT_STORE_DEFER_BUSY,
				       UCT_STORE_MACHINE,           UCT_STORE_TRUST_ONLY};
	size_t k;

	ck_assert_ptr_nonnull(store);
	for (k = 0; k < sizeof(all) / sizeof(all[0]); k++)
		ck_assert_msg(uct_store_supports(store, all[k]) == !!(w->caps & all[k]),
			      "%s: capability 0x%x", store->id, all[k]);
	ck_assert_int_eq(uct_store_supports(store, w->caps), 1);
	ck_assert_int_eq(uct_store_is_machine(store), w->machine);
	if (w->label == NULL)
		ck_assert_ptr_null(store->label);
	else
		ck_assert_str_eq(store->label, w->label);
	store->ops->destroy(store);
}

START_TEST(test_user_nss_databases_are_plain)
{
	struct uct_err err = {0};
	const struct want_caps plain = {UCT_STORE_TRUST_ONLY, 0, NULL};

	check_store(uct_store_nss_new(uct_check_tmpdir(), "chromium", UCT_BROWSER_CHROMIUM, &err),
		    &plain);
	check_store(uct_store_nss_new(uct_check_tmpdir(), "firefox:p", UCT_BROWSER_FIREFOX, &err),
		    &plain);
}
END_TEST

START_TEST(test_machine_nss_database_is_machine_scope)
{
	struct uct_err err = {0};
	const struct want_caps machine = {UCT_STORE_MACHINE | UCT_STORE_TRUST_ONLY, 1,
					  "/etc/pki/nssdb"};

	check_store(uct_store_nss_new(uct_check_tmpdir(), "system-nss", UCT_BROWSER_SYSTEM, &err),
		    &machine);
}
END_TEST

START_TEST(test_override_file_is_by_host_untagged_deferred)
{
	struct uct_err err = {0};
	const struct want_caps ov = {UCT_STORE_BY_HOST | UCT_STORE_UNTAGGED | UCT_STORE_DEFER_BUSY,
				     0, NULL};

	check_store(uct_store_override_new(uct_check_tmpdir(), "firefox:p", &err), &ov);
}
END_TEST

START_TEST(test_system_and_policy_are_machine_scope)
{
	static const char *const argv[] = {"true", NULL};
	struct uct_err err = {0};
	const struct want_caps anchors = {UCT_STORE_MACHINE, 1,
					  "the system's trusted certificates"};
	const struct want_caps policy = {UCT_STORE_MACHINE, 1, "Firefox's machine policy"};

	check_store(uct_store_system_new(sub_anchor, NULL, argv, &err), &anchors);
	check_store(uct_store_ffpolicy_new(sub_policy, sub_certs, &err), &policy);
}
END_TEST

/* No capability asked is always had; two asked at once need both. */
START_TEST(test_query_needs_every_bit)
{
	struct uct_err err = {0};
	struct uct_store *ov = uct_store_override_new(uct_check_tmpdir(), "firefox:p", &err);

	ck_assert_ptr_nonnull(ov);
	ck_assert_int_eq(uct_store_supports(ov, 0), 1);
	ck_assert_int_eq(uct_store_supports(ov, UCT_STORE_BY_HOST | UCT_STORE_MACHINE), 0);
	ck_assert_int_eq(uct_store_supports(ov, UCT_STORE_BY_HOST | UCT_STORE_DEFER_BUSY), 1);
	ov->ops->destroy(ov);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("store_caps");
	TCase *tc = uct_check_tcase(s, "caps", 1);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_user_nss_databases_are_plain);
	tcase_add_test(tc, test_machine_nss_database_is_machine_scope);
	tcase_add_test(tc, test_override_file_is_by_host_untagged_deferred);
	tcase_add_test(tc, test_system_and_policy_are_machine_scope);
	tcase_add_test(tc, test_query_needs_every_bit);
	return uct_check_run(s);
}
