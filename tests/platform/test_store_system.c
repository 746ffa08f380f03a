/*
 * test_store_system.c: the machine-scope stores (platform/linux/
 * store_system.c, store_ffpolicy.c) refuse, on their own, to make a
 * certificate that does not say CA:FALSE an anchor: every file there is an
 * issuer for every program of the machine (or every Firefox profile).
 * And a run killed, or whose update command failed, after it changed an
 * anchor file leaves the update owed: the next run runs it, and a run with
 * nothing owed never does.
 */
#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"
#include "platform.h"
#include "store_mem.h"
#include "testcert.h"

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

static int count_entries(const struct uct_store_entry *e, void *ctx, struct uct_err *err)
{
	(void)e;
	(void)err;
	(void)err;
	(*(int *)ctx)++;
	return 0;
}

static const struct uct_testcert_spec shapes[] = {
	{.cn = "uccx1.example.com", .no_basic_constraints = 1},
	{.cn = "uccx1.example.com", .version = 1, .key_slot = 1},
	{.cn = "uccx1.example.com",
	 .no_basic_constraints = 1,
	 .key_usage = UCT_KU_KEY_CERT_SIGN | UCT_KU_DIGITAL_SIGNATURE,
	 .key_slot = 2},
};

/* Neither peer nor root trust is taken for cert: its key could sign for
 * any site, and the store says so. */
static void refuses_any_site(struct uct_store *store, struct uct_cert *cert)
{
	enum uct_trust trusts[] = {UCT_TRUST_PEER, UCT_TRUST_ROOT};
	struct uct_err err = {0};
	size_t t;

	for (t = 0; t < 2; t++) {
		struct uct_anchor anchor = {.cert = cert, .trust = trusts[t]};

		uct_err_clear(&err);
		ck_assert_int_eq(store->ops->add(store, &anchor, &err), -1);
		ck_assert_int_eq(err.code, UCT_E_USAGE);
		ck_assert_msg(strstr(err.msg, "sign certificates for any site") != NULL, "%s",
			      err.msg);
	}
}

START_TEST(test_system_refuses)
{
	static const char *const argv[] = {"true", NULL};
	char *anchors = uct_asprintf("%s/anchors-%d", uct_check_tmpdir(), _i);
	struct uct_cert *cert = make(&shapes[_i]);
	struct uct_err err = {0};
	struct uct_store *store = uct_store_system_new(anchors, NULL, argv, &err);

	ck_assert_msg(store != NULL, "%s", err.msg);
	ck_assert_int_eq(store->ops->open(store, 1, &err), 0);
	refuses_any_site(store, cert);
	ck_assert_int_eq(n_files(anchors), 0);
	store->ops->destroy(store);
	uct_cert_free(cert);
	free(anchors);
}
END_TEST

START_TEST(test_ffpolicy_refuses)
{
	char *file = uct_asprintf("%s/policies-%d.json", uct_check_tmpdir(), _i);
	char *certs = uct_asprintf("%s/certs-%d", uct_check_tmpdir(), _i);
	struct uct_cert *cert = make(&shapes[_i]);
	struct uct_err err = {0};
	struct uct_store *store = uct_store_ffpolicy_new(file, certs, &err);

	ck_assert_msg(store != NULL, "%s", err.msg);
	refuses_any_site(store, cert);
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
	char *anchors = uct_asprintf("%s/anchors-ok", uct_check_tmpdir());
	struct uct_cert *cert = make(&(struct uct_testcert_spec){.cn = "uccx1.example.com"});
	struct uct_err err = {0};
	struct uct_store *store = uct_store_system_new(anchors, NULL, argv, &err);
	struct uct_anchor anchor = {.cert = cert, .trust = UCT_TRUST_PEER};

	ck_assert_msg(store != NULL, "%s", err.msg);
	ck_assert_int_eq(store->ops->open(store, 1, &err), 0);
	ck_assert_msg(store->ops->add(store, &anchor, &err) == 0, "%s", err.msg);
	/* The certificate, and the note that the update command is owed until
	 * it has run (at close). */
	ck_assert_int_eq(n_files(anchors), 2);
	store->ops->close(store);
	ck_assert_int_eq(n_files(anchors), 1);
	ck_assert_int_eq(store->ops->remove(store, &anchor, &err), 0);
	store->ops->destroy(store);
	uct_cert_free(cert);
	free(anchors);
}
END_TEST

/* ---- an update command that did not finish ------------------------------------ */

/*
 * The update command of these tests, as update-ca-certificates does it: the
 * bundle is every *.crt of the anchor directory, and every anchor gets a
 * link NAME.pem in links that is never taken out. Each call is a line in
 * calls; a file "fail" makes it fail, a file "kill" makes it kill -9 the
 * process that runs the store (its parent), as a power cut or an
 * administrator would, before it rebuilt anything.
 */
struct upd {
	char *root, *anchors, *links, *bundle, *calls, *script;
};

static void upd_make(struct upd *u, const char *name)
{
	FILE *f;

	u->root = uct_asprintf("%s/%s", uct_check_tmpdir(), name);
	u->anchors = uct_asprintf("%s/anchors/uccx-trust", u->root);
	u->links = uct_asprintf("%s/links", u->root);
	u->bundle = uct_asprintf("%s/bundle.pem", u->root);
	u->calls = uct_asprintf("%s/calls", u->root);
	u->script = uct_asprintf("%s/update", u->root);
	ck_assert_int_eq(mkdir(u->root, 0755), 0);
	ck_assert_int_eq(mkdir(u->links, 0755), 0);
	f = fopen(u->script, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f,
		"#!/bin/sh\n"
		"cd '%s' || exit 2\n"
		"echo update >>calls\n"
		"[ -e kill ] && kill -KILL $PPID && sleep 5\n"
		"[ -e fail ] && { echo 'update: failing as asked' >&2; exit 1; }\n"
		": >bundle.pem\n"
		"for c in anchors/uccx-trust/*.crt; do\n"
		"  [ -f \"$c\" ] || continue\n"
		"  cat \"$c\" >>bundle.pem\n"
		"  b=${c##*/}\n"
		"  ln -sfn \"$PWD/$c\" \"links/${b%%.crt}.pem\"\n"
		"done\n",
		u->root);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(u->script, 0755), 0);
}

static void upd_free(struct upd *u)
{
	free(u->root);
	free(u->anchors);
	free(u->links);
	free(u->bundle);
	free(u->calls);
	free(u->script);
}

static void upd_flag(const struct upd *u, const char *flag, int on)
{
	char *path = uct_asprintf("%s/%s", u->root, flag);
	FILE *f;

	if (on) {
		f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fclose(f);
	} else {
		unlink(path);
	}
	free(path);
}

/* Lines in path: how many times the update command ran. */
static int n_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	int c, n = 0;

	if (f == NULL)
		return 0;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static int bundle_has(const struct upd *u, const struct uct_cert *cert)
{
	struct uct_chain chain = {0};
	struct uct_err err = {0};
	int found = 0;

	if (uct_cert_read_file(u->bundle, &chain, &err) == 0)
		for (size_t i = 0; i < chain.n; i++)
			found |= memcmp(chain.certs[i]->sha256, cert->sha256, UCT_SHA256_LEN) == 0;
	uct_chain_clear(&chain);
	return found;
}

static struct uct_store *upd_store(const struct upd *u)
{
	const char *const argv[] = {u->script, NULL};
	struct uct_err err = {0};
	struct uct_store *store = uct_store_system_new(u->anchors, u->links, argv, &err);

	ck_assert_msg(store != NULL, "%s", err.msg);
	return store;
}

/* One run that adds (add) or removes cert, in a child process: 1 when it
 * was killed by SIGKILL, 0 when it ended. */
static int upd_run_child(const struct upd *u, const struct uct_cert *cert, int add)
{
	pid_t pid = fork();
	int status;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct uct_store *store = upd_store(u);
		struct uct_anchor anchor = {.cert = (struct uct_cert *)cert,
					    .trust = UCT_TRUST_PEER};
		struct uct_err err = {0};

		if (store->ops->open(store, 1, &err) < 0 ||
		    (add ? store->ops->add(store, &anchor, &err)
			 : store->ops->remove(store, &anchor, &err)) < 0)
			_exit(3);
		store->ops->destroy(store);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		return 1;
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the run failed: %d", status);
	return 0;
}

/* The next run, which has nothing to change: open, list, close. */
static int upd_next_run(const struct upd *u)
{
	struct uct_store *store = upd_store(u);
	struct uct_err err = {0};
	int n = 0;

	ck_assert_int_eq(store->ops->open(store, 0, &err), 0);
	ck_assert_int_eq(store->ops->list(store, count_entries, &n, &err), 0);
	/* A collector that fails fails the listing, when there is an entry. */
	ck_assert_int_eq(store->ops->list(store, uct_test_entry_nomem, NULL, &err), n > 0 ? -1 : 0);
	store->ops->destroy(store);
	return n;
}

static const char *const upd_how[] = {"killed", "failed"};

/* Killed (or the command failed) after the anchor file was written, before
 * the bundle was rebuilt: the next run, which plans nothing (the file lists
 * as ours), still rebuilds it. */
START_TEST(test_add_interrupted)
{
	struct uct_cert *cert = make(&(struct uct_testcert_spec){.cn = "uccx1.example.com"});
	struct upd u;
	char *name = uct_asprintf("add-%s", upd_how[_i]);

	upd_make(&u, name);
	upd_flag(&u, _i == 0 ? "kill" : "fail", 1);
	ck_assert_int_eq(upd_run_child(&u, cert, 1), _i == 0);
	ck_assert_int_eq(n_lines(u.calls), 1);
	ck_assert_int_eq(bundle_has(&u, cert), 0);
	upd_flag(&u, _i == 0 ? "kill" : "fail", 0);
	ck_assert_int_eq(upd_next_run(&u), 1);
	ck_assert_msg(n_lines(u.calls) == 2, "the next run did not run the owed update (%d calls)",
		      n_lines(u.calls));
	ck_assert_msg(bundle_has(&u, cert), "the bundle still lacks the certificate");
	/* Owed no more: the run after that only reads. */
	ck_assert_int_eq(upd_next_run(&u), 1);
	ck_assert_int_eq(n_lines(u.calls), 2);
	upd_free(&u);
	free(name);
	uct_cert_free(cert);
}
END_TEST

/* The same during remove: the anchor file is gone, so the next run lists
 * nothing and plans nothing, and the certificate would stay in the bundle
 * (and its link in links) for good. */
START_TEST(test_remove_interrupted)
{
	struct uct_cert *cert = make(&(struct uct_testcert_spec){.cn = "uccx1.example.com"});
	struct upd u;
	char *name = uct_asprintf("remove-%s", upd_how[_i]);
	int files;

	upd_make(&u, name);
	ck_assert_int_eq(upd_run_child(&u, cert, 1), 0);
	ck_assert_int_eq(n_lines(u.calls), 1);
	ck_assert_int_eq(bundle_has(&u, cert), 1);
	ck_assert_int_eq(n_files(u.links), 1);
	upd_flag(&u, _i == 0 ? "kill" : "fail", 1);
	ck_assert_int_eq(upd_run_child(&u, cert, 0), _i == 0);
	ck_assert_int_eq(n_lines(u.calls), 2);
	ck_assert_int_eq(bundle_has(&u, cert), 1);
	upd_flag(&u, _i == 0 ? "kill" : "fail", 0);
	ck_assert_int_eq(upd_next_run(&u), 0);
	ck_assert_msg(n_lines(u.calls) == 3, "the next run did not run the owed update (%d calls)",
		      n_lines(u.calls));
	ck_assert_msg(!bundle_has(&u, cert), "the bundle still holds the removed certificate");
	ck_assert_int_eq(n_files(u.links), 0);
	files = n_files(u.anchors);
	ck_assert_msg(files == 0 && access(u.anchors, F_OK) != 0,
		      "%d files left in our anchor directory", files);
	upd_free(&u);
	free(name);
	uct_cert_free(cert);
}
END_TEST

/* A run that changes nothing and finds nothing owed never runs the
 * command (a login run must not write). */
START_TEST(test_nothing_owed)
{
	struct uct_cert *cert = make(&(struct uct_testcert_spec){.cn = "uccx1.example.com"});
	struct upd u;

	upd_make(&u, "quiet");
	ck_assert_int_eq(upd_next_run(&u), 0);
	ck_assert_int_eq(n_lines(u.calls), 0);
	ck_assert_int_eq(upd_run_child(&u, cert, 1), 0);
	ck_assert_int_eq(n_lines(u.calls), 1);
	ck_assert_int_eq(upd_next_run(&u), 1);
	ck_assert_int_eq(n_lines(u.calls), 1);
	ck_assert_int_eq(n_files(u.anchors), 1);
	upd_free(&u);
	uct_cert_free(cert);
}
END_TEST

/* A remove killed between the anchor file and its links leaves the update
 * owed and links of ours that lead nowhere (update-ca-certificates never
 * removes them): the owed update takes those out, and only those. */
START_TEST(test_dangling_links)
{
	struct uct_cert *cert = make(&(struct uct_testcert_spec){.cn = "uccx1.example.com"});
	struct upd u;
	char *gone_crt, *gone_pem, *hash, *note, *kept;

	upd_make(&u, "dangling");
	ck_assert_int_eq(upd_run_child(&u, cert, 1), 0);
	ck_assert_int_eq(n_files(u.links), 1);
	gone_crt = uct_asprintf("%s/uccx-trust-%064d.crt", u.anchors, 7);
	gone_pem = uct_asprintf("%s/uccx-trust-%064d.pem", u.links, 7);
	hash = uct_asprintf("%s/0123abcd.0", u.links);
	kept = uct_asprintf("%s/someone-else.pem", u.links);
	note = uct_asprintf("%s/uccx-trust-update-owed", u.anchors);
	ck_assert_int_eq(symlink(gone_crt, gone_pem), 0);
	ck_assert_int_eq(symlink(gone_pem, hash), 0);
	ck_assert_int_eq(symlink("/nonexistent/other.crt", kept), 0);
	{
		FILE *f = fopen(note, "w");

		ck_assert_ptr_nonnull(f);
		fclose(f);
	}
	ck_assert_int_eq(upd_next_run(&u), 1);
	ck_assert_int_eq(n_lines(u.calls), 2);
	ck_assert_msg(access(gone_pem, F_OK) != 0 && access(hash, F_OK) != 0,
		      "links of ours to a removed anchor are still there");
	ck_assert_int_eq(n_files(u.links), 2);
	ck_assert_int_ne(access(note, F_OK), 0);
	free(gone_crt);
	free(gone_pem);
	free(hash);
	free(kept);
	free(note);
	upd_free(&u);
	uct_cert_free(cert);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("store_system");
	TCase *tc = uct_check_tcase(s, "issuer", 1);
	int n = (int)(sizeof(shapes) / sizeof(shapes[0])), rc;

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_system_refuses, 0, n);
	tcase_add_loop_test(tc, test_ffpolicy_refuses, 0, n);
	tcase_add_test(tc, test_system_takes_ca_false);
	tc = uct_check_tcase(s, "owed", 1);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_add_interrupted, 0, 2);
	tcase_add_loop_test(tc, test_remove_interrupted, 0, 2);
	tcase_add_test(tc, test_nothing_owed);
	tcase_add_test(tc, test_dangling_links);
	rc = uct_check_run(s);
	uct_testcert_cleanup();
	return rc;
}
