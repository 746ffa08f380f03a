/*
 * test_store_ffpolicy.c: Firefox's policies.json store on a temporary file:
 * merge with an administrator's policies, removal back to the original,
 * a file that does not parse is never rewritten, CA:TRUE refused.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform.h"
#include "testcert.h"

static char dir[] = "/tmp/uct-ffp.XXXXXX";

static char *slurp(const char *path)
{
	char *text = NULL;
	struct uct_err err = {0};

	if (uct_file_read(path, 1 << 20, &text, NULL, &err) < 0)
		return NULL;
	return text;
}

static void put(const char *path, const char *text)
{
	struct uct_err err = {0};

	ck_assert_int_eq(uct_file_write_atomic(path, text, strlen(text), 0644, &err), 0);
}

static int count_cb(const struct uct_store_entry *e, void *ctx)
{
	(void)e;
	(*(int *)ctx)++;
	return 0;
}

static struct uct_cert *make(int is_ca)
{
	static const char *const sans[] = {"uccx1.example.com", NULL};
	struct uct_testcert_spec spec = {.cn = "uccx1.example.com", .sans = sans, .is_ca = is_ca};
	struct uct_testcert *tc = uct_testcert_make(&spec);
	struct uct_cert *cert;

	ck_assert_ptr_nonnull(tc);
	cert = uct_testcert_to_uct(tc);
	uct_testcert_free(tc);
	ck_assert_ptr_nonnull(cert);
	return cert;
}

START_TEST(test_merge_and_remove)
{
	char *file = uct_asprintf("%s/policies.json", dir), *certs = uct_asprintf("%s/certs", dir);
	struct uct_err err = {0};
	struct uct_cert *cert = make(0);
	struct uct_anchor anchor = {.cert = cert, .trust = UCT_TRUST_PEER};
	struct uct_store *store;
	struct uct_chain chain = {0};
	struct uct_verify_result vr;
	char *text;
	int n = 0;

	put(file, "{\"policies\": {\"DisableTelemetry\": true, \"Certificates\": "
		  "{\"ImportEnterpriseRoots\": true}}}");
	store = uct_store_ffpolicy_new(file, certs, &err);
	ck_assert_ptr_nonnull(store);
	ck_assert_int_eq(store->ops->add(store, &anchor, &err), 0);
	/* Twice: one entry. */
	ck_assert_int_eq(store->ops->add(store, &anchor, &err), 0);
	ck_assert_int_eq(store->ops->list(store, count_cb, &n, &err), 0);
	ck_assert_int_eq(n, 1);
	text = slurp(file);
	ck_assert_ptr_nonnull(strstr(text, "DisableTelemetry"));
	ck_assert_ptr_nonnull(strstr(text, "ImportEnterpriseRoots"));
	ck_assert_ptr_nonnull(strstr(text, "/certs/uccx-trust-"));
	free(text);
	ck_assert_int_eq(uct_chain_push(&chain, cert), 0);
	ck_assert_int_eq(store->ops->verify(store, &chain, "uccx1.example.com", 8445, &vr, &err), 0);
	ck_assert_int_eq(vr.trusted, 1);
	ck_assert_int_eq(store->ops->verify(store, &chain, "other.example.com", 8445, &vr, &err), 0);
	ck_assert_int_eq(vr.trusted, 0);
	ck_assert_int_eq(store->ops->remove(store, &anchor, &err), 0);
	text = slurp(file);
	ck_assert_ptr_null(strstr(text, "Install"));
	ck_assert_ptr_nonnull(strstr(text, "ImportEnterpriseRoots"));
	free(text);
	ck_assert_int_ne(access(certs, F_OK), 0);
	uct_chain_clear(&chain);
	store->ops->destroy(store);
	unlink(file);
	free(file);
	free(certs);
}
END_TEST

START_TEST(test_bad_json_untouched)
{
	char *file = uct_asprintf("%s/bad.json", dir), *certs = uct_asprintf("%s/certs2", dir);
	struct uct_err err = {0};
	struct uct_cert *cert = make(0), *ca = make(1);
	struct uct_anchor anchor = {.cert = cert, .trust = UCT_TRUST_PEER};
	struct uct_store *store;
	char *text;

	put(file, "{\"policies\": {\"DisableTelemetry\": true,,}");
	store = uct_store_ffpolicy_new(file, certs, &err);
	ck_assert_int_eq(store->ops->add(store, &anchor, &err), -1);
	ck_assert_int_eq(err.code, UCT_E_PARSE);
	text = slurp(file);
	ck_assert_str_eq(text, "{\"policies\": {\"DisableTelemetry\": true,,}");
	free(text);
	ck_assert_int_ne(access(certs, F_OK), 0);
	/* A CA:TRUE certificate without approval is never a policy CA. */
	uct_err_clear(&err);
	unlink(file);
	anchor.cert = ca;
	ck_assert_int_eq(store->ops->add(store, &anchor, &err), -1);
	ck_assert_int_ne(access(file, F_OK), 0);
	store->ops->destroy(store);
	uct_cert_free(cert);
	uct_cert_free(ca);
	free(file);
	free(certs);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("store_ffpolicy");
	TCase *tc = tcase_create("ffpolicy");
	SRunner *sr;
	int failed;

	if (mkdtemp(dir) == NULL)
		return EXIT_FAILURE;
	tcase_add_test(tc, test_merge_and_remove);
	tcase_add_test(tc, test_bad_json_untouched);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rmdir(dir);
	uct_testcert_cleanup();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
