/*
 * test_store_ffpolicy.c: Firefox's policies.json store on a temporary file:
 * merge with an administrator's policies, removal back to the original,
 * a file that does not parse is never rewritten, CA:TRUE refused, and a
 * remove stopped between the policy and the file leaves nothing for good.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "platform.h"
#include "store_mem.h"
#include "testcert.h"

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

static int count_cb(const struct uct_store_entry *e, void *ctx, struct uct_err *err)
{
	(void)e;
	(void)err;
	(void)err;
	(*(int *)ctx)++;
	return 0;
}

static struct uct_cert *make_named(int is_ca, const char *name)
{
	const char *const sans[] = {name, NULL};
	struct uct_testcert_spec spec = {.cn = name, .sans = sans, .is_ca = is_ca};
	struct uct_testcert *tc = uct_testcert_make(&spec);
	struct uct_cert *cert;

	ck_assert_ptr_nonnull(tc);
	cert = uct_testcert_to_uct(tc);
	uct_testcert_free(tc);
	ck_assert_ptr_nonnull(cert);
	return cert;
}

static struct uct_cert *make(int is_ca)
{
	return make_named(is_ca, "uccx1.example.com");
}

START_TEST(test_merge_and_remove)
{
	char *file = uct_asprintf("%s/policies.json", uct_check_tmpdir()),
	     *certs = uct_asprintf("%s/certs", uct_check_tmpdir());
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
	/* A collector that fails fails the listing. */
	ck_assert_int_eq(store->ops->list(store, uct_test_entry_nomem, NULL, &err), -1);
	ck_assert_str_eq(err.msg, "collector out of memory");
	uct_err_clear(&err);
	text = slurp(file);
	ck_assert_ptr_nonnull(strstr(text, "DisableTelemetry"));
	ck_assert_ptr_nonnull(strstr(text, "ImportEnterpriseRoots"));
	ck_assert_ptr_nonnull(strstr(text, "/certs/uccx-trust-"));
	free(text);
	ck_assert_int_eq(uct_chain_push(&chain, cert), 0);
	ck_assert_int_eq(store->ops->verify(store, &chain, "uccx1.example.com", 8445, &vr, &err),
			 0);
	ck_assert_int_eq(vr.trusted, 1);
	ck_assert_int_eq(store->ops->verify(store, &chain, "other.example.com", 8445, &vr, &err),
			 0);
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
	char *file = uct_asprintf("%s/bad.json", uct_check_tmpdir()),
	     *certs = uct_asprintf("%s/certs2", uct_check_tmpdir());
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

/* Entries of path, dot files included (0 when it does not exist). */
static int n_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void open_close(struct uct_store *store)
{
	struct uct_err err = {0};

	ck_assert_int_eq(store->ops->open(store, 0, &err), 0);
	store->ops->close(store);
}

/*
 * A remove takes the entry out of the policy, then the file: killed in
 * between, it leaves what this test rebuilds (the policy as remove wrote
 * it, the file as add wrote it). The next run takes that file out, and
 * only it: not a listed file of ours, not a file of another name, not
 * what a link of our name points at.
 */
START_TEST(test_remove_interrupted)
{
	char *file = uct_asprintf("%s/policies-int.json", uct_check_tmpdir());
	char *certs = uct_asprintf("%s/certs-int", uct_check_tmpdir());
	char *outside = uct_asprintf("%s/outside.pem", uct_check_tmpdir());
	char *other = uct_asprintf("%s/not-ours.pem", certs);
	char *link = uct_asprintf("%s/uccx-trust-%064d.pem", certs, 0);
	struct uct_cert *a = make_named(0, "uccx1.example.com");
	struct uct_cert *b = make_named(0, "uccx2.example.com");
	struct uct_anchor anchor_a = {.cert = a, .trust = UCT_TRUST_PEER};
	struct uct_anchor anchor_b = {.cert = b, .trust = UCT_TRUST_PEER};
	struct uct_err err = {0};
	struct uct_store *store = uct_store_ffpolicy_new(file, certs, &err);
	char *pem_a, *pem_b, *path_a, *path_b, *policy;
	size_t len;
	int n = 0;

	ck_assert_ptr_nonnull(store);
	ck_assert_int_eq(store->ops->add(store, &anchor_a, &err), 0);
	ck_assert_int_eq(store->ops->add(store, &anchor_b, &err), 0);
	/* Every listed file exists as soon as it is listed. */
	ck_assert_int_eq(store->ops->list(store, count_cb, &n, &err), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(n_entries(certs), 2);
	{
		/* The two files add wrote, by their tagged names. */
		DIR *d = opendir(certs);
		struct dirent *de;

		path_a = path_b = NULL;
		while ((de = readdir(d)) != NULL) {
			char *p = uct_asprintf("%s/%s", certs, de->d_name);
			char *text = slurp(p);

			if (de->d_name[0] != '.' && text != NULL && path_a == NULL)
				path_a = p;
			else if (de->d_name[0] != '.' && text != NULL)
				path_b = p;
			else
				free(p);
			free(text);
		}
		closedir(d);
	}
	ck_assert_ptr_nonnull(path_a);
	ck_assert_ptr_nonnull(path_b);
	pem_a = slurp(path_a);
	pem_b = slurp(path_b);
	ck_assert_ptr_nonnull(pem_a);
	ck_assert_ptr_nonnull(pem_b);
	/* Which is whose does not matter: remove the one in path_a. */
	{
		struct uct_chain chain = {0};

		ck_assert_int_eq(uct_cert_read_file(path_a, &chain, &err), 0);
		if (memcmp(chain.certs[0]->sha256, a->sha256, UCT_SHA256_LEN) != 0) {
			struct uct_anchor t = anchor_a;
			anchor_a = anchor_b;
			anchor_b = t;
		}
		uct_chain_clear(&chain);
	}
	ck_assert_int_eq(store->ops->remove(store, &anchor_a, &err), 0);
	ck_assert_int_ne(access(path_a, F_OK), 0);
	put(path_a, pem_a);
	/* Others' files, and a link of our name to a file elsewhere. */
	put(other, "not ours\n");
	put(outside, "outside\n");
	ck_assert_int_eq(symlink(outside, link), 0);
	policy = slurp(file);
	len = strlen(policy);
	store->ops->destroy(store);

	store = uct_store_ffpolicy_new(file, certs, &err);
	ck_assert_ptr_nonnull(store);
	open_close(store);
	ck_assert_msg(access(path_a, F_OK) != 0, "the unlisted file of ours is still there");
	ck_assert_int_eq(access(path_b, F_OK), 0);
	ck_assert_int_eq(access(other, F_OK), 0);
	ck_assert_msg(access(link, F_OK) != 0 && errno == ENOENT, "the link of our name stays");
	ck_assert_int_eq(access(outside, F_OK), 0);
	{
		char *now = slurp(file);

		ck_assert_uint_eq(strlen(now), len);
		ck_assert_str_eq(now, policy);
		free(now);
	}
	/* Nothing left to clean: opening again changes nothing. */
	open_close(store);
	ck_assert_int_eq(n_entries(certs), 2);
	/* The last one out, then the directory goes. */
	unlink(other);
	ck_assert_int_eq(store->ops->remove(store, &anchor_b, &err), 0);
	ck_assert_int_ne(access(certs, F_OK), 0);
	store->ops->destroy(store);
	free(policy);
	free(pem_a);
	free(pem_b);
	free(path_a);
	free(path_b);
	uct_cert_free(a);
	uct_cert_free(b);
	unlink(outside);
	free(file);
	free(certs);
	free(outside);
	free(other);
	free(link);
}
END_TEST

/* A policy that does not parse: not even our own files are touched, since
 * what it lists cannot be known. */
START_TEST(test_clean_needs_policy)
{
	char *file = uct_asprintf("%s/policies-bad.json", uct_check_tmpdir());
	char *certs = uct_asprintf("%s/certs-bad", uct_check_tmpdir());
	char *ours = uct_asprintf("%s/uccx-trust-%064d.pem", certs, 1);
	struct uct_err err = {0};
	struct uct_store *store = uct_store_ffpolicy_new(file, certs, &err);

	ck_assert_ptr_nonnull(store);
	ck_assert_int_eq(mkdir(certs, 0755), 0);
	put(ours, "x\n");
	put(file, "{\"policies\": ");
	open_close(store);
	ck_assert_int_eq(access(ours, F_OK), 0);
	/* Once it parses and does not list it, the file goes. */
	put(file, "{\"policies\": {}}");
	open_close(store);
	ck_assert_int_ne(access(ours, F_OK), 0);
	store->ops->destroy(store);
	unlink(file);
	rmdir(certs);
	free(file);
	free(certs);
	free(ours);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("store_ffpolicy");
	TCase *tc = uct_check_tcase(s, "ffpolicy", 1);
	int rc;

	tcase_add_test(tc, test_merge_and_remove);
	tcase_add_test(tc, test_bad_json_untouched);
	tcase_add_test(tc, test_remove_interrupted);
	tcase_add_test(tc, test_clean_needs_policy);
	rc = uct_check_run(s);
	uct_testcert_cleanup();
	return rc;
}
