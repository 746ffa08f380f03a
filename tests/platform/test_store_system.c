/*
 * test_store_system.c: the machine-scope stores (platform/linux/
 * store_system.c, store_ffpolicy.c) refuse, on their own, to make a
 * certificate that does not say CA:FALSE an anchor: every file there is an
 * issuer for every program of the machine (or every Firefox profile).
 */
#include <check.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform.h"
#include "testcert.h"

static char dir[] = "/tmp/uct-sys.XXXXXX";

static struct uct_cert *make(const struct uct_testcert_spec *spec)
{
	struct uct_testcert *tc = uct_testcert_make(spec);
	struct uct_cert *cert;

	ck_assert_ptr_nonnull(tc);
	cert = uct_testcert_to_uct(tc);
	uct_testcert_free(tc);
	ck_assert_ptr_nonnull(cert);
	return cert;
}

/* Files in path (0 when it does not exist). */
static int n_files(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static const struct uct_testcert_spec shapes[] = {
	{.cn = "uccx1.example.com", .no_basic_constraints = 1},
	{.cn = "uccx1.example.com", .version = 1, .key_slot = 1},
	{.cn = "uccx1.example.com", .no_basic_constraints = 1,
	 .key_usage = UCT_KU_KEY_CERT_SIGN | UCT_KU_DIGITAL_SIGNATURE, .key_slot = 2},
};

START_TEST(test_system_refuses)
{
	static const char *const argv[] = {"true", NULL};
	char *anchors = uct_asprintf("%s/anchors-%d", dir, _i);
	struct uct_cert *cert = make(&shapes[_i]);
	struct uct_err err = {0};
	struct uct_store *store = uct_store_system_new(anchors, NULL, argv, &err);
	enum uct_trust trusts[] = {UCT_TRUST_PEER, UCT_TRUST_ROOT};
	size_t t;

	ck_assert_msg(store != NULL, "%s", err.msg);
	ck_assert_int_eq(store->ops->open(store, 1, &err), 0);
	for (t = 0; t < 2; t++) {
		struct uct_anchor anchor = {.cert = cert, .trust = trusts[t]};

		uct_err_clear(&err);
		ck_assert_int_eq(store->ops->add(store, &anchor, &err), -1);
		ck_assert_int_eq(err.code, UCT_E_USAGE);
		ck_assert_msg(strstr(err.msg, "sign certificates for any site") != NULL, "%s",
			      err.msg);
	}
	ck_assert_int_eq(n_files(anchors), 0);
	store->ops->destroy(store);
	uct_cert_free(cert);
	free(anchors);
}
END_TEST

START_TEST(test_ffpolicy_refuses)
{
	char *file = uct_asprintf("%s/policies-%d.json", dir, _i);
	char *certs = uct_asprintf("%s/certs-%d", dir, _i);
	struct uct_cert *cert = make(&shapes[_i]);
	struct uct_err err = {0};
	struct uct_store *store = uct_store_ffpolicy_new(file, certs, &err);
	enum uct_trust trusts[] = {UCT_TRUST_PEER, UCT_TRUST_ROOT};
	size_t t;

	ck_assert_msg(store != NULL, "%s", err.msg);
	for (t = 0; t < 2; t++) {
		struct uct_anchor anchor = {.cert = cert, .trust = trusts[t]};

		uct_err_clear(&err);
		ck_assert_int_eq(store->ops->add(store, &anchor, &err), -1);
		ck_assert_int_eq(err.code, UCT_E_USAGE);
		ck_assert_msg(strstr(err.msg, "sign certificates for any site") != NULL, "%s",
			      err.msg);
	}
	ck_assert_int_ne(access(file, F_OK), 0);
	ck_assert_int_eq(n_files(certs), 0);
	store->ops->destroy(store);
	uct_cert_free(cert);
	free(file);
	free(certs);
}
END_TEST

/* The control: a self-signed certificate that says CA:FALSE is taken. */
START_TEST(test_system_takes_ca_false)
{
	static const char *const argv[] = {"true", NULL};
	char *anchors = uct_asprintf("%s/anchors-ok", dir);
	struct uct_cert *cert = make(&(struct uct_testcert_spec){.cn = "uccx1.example.com"});
	struct uct_err err = {0};
	struct uct_store *store = uct_store_system_new(anchors, NULL, argv, &err);
	struct uct_anchor anchor = {.cert = cert, .trust = UCT_TRUST_PEER};

	ck_assert_msg(store != NULL, "%s", err.msg);
	ck_assert_int_eq(store->ops->open(store, 1, &err), 0);
	ck_assert_msg(store->ops->add(store, &anchor, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(n_files(anchors), 1);
	ck_assert_int_eq(store->ops->remove(store, &anchor, &err), 0);
	store->ops->destroy(store);
	uct_cert_free(cert);
	free(anchors);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("store_system");
	TCase *tc = tcase_create("issuer");
	SRunner *sr;
	int n = (int)(sizeof(shapes) / sizeof(shapes[0])), failed;

	if (mkdtemp(dir) == NULL)
		return EXIT_FAILURE;
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_system_refuses, 0, n);
	tcase_add_loop_test(tc, test_ffpolicy_refuses, 0, n);
	tcase_add_test(tc, test_system_takes_ca_false);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	uct_testcert_cleanup();
	if (failed == 0) {
		char *cmd = uct_asprintf("rm -rf '%s'", dir);
		if (cmd != NULL && system(cmd) != 0)
			failed = 1;
		free(cmd);
	}
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
