/*
 * run_fixture.c: a run put together by hand for the tests of the steps of
 * one store (see run_fixture.h).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "run_fixture.h"
#include "store_mem.h"
#include "testsig.h"

static const struct uct_store_ops nss_ops = {.name = "nss"};

void uct_test_run_init(struct uct_test_run *t, const struct uct_endpoint *eps, size_t n,
		       const struct uct_cert *leaf)
{
	size_t i;

	ck_assert_uint_le(n, UCT_TEST_RUN_MAX);
	memset(t, 0, sizeof(*t));
	t->cfg.command = UCT_CMD_INSTALL;
	for (i = 0; i < n; i++) {
		t->eps[i] = eps[i];
		t->targets[eps[i].target].status = UCT_FETCH_OK;
		if ((size_t)eps[i].target + 1 > t->run.read.eps.n_targets)
			t->run.read.eps.n_targets = (size_t)eps[i].target + 1;
		t->res[i].ep = &t->eps[i];
		t->res[i].target = &t->targets[eps[i].target];
		t->res[i].an.leaf = leaf;
		t->res[i].an.approval = UCT_AP_FIRST_USE;
		t->res[i].an.chromium = (struct uct_want){leaf, UCT_TRUST_PEER};
		t->res[i].an.firefox_override = 1;
	}
	t->store = (struct uct_store){.ops = &nss_ops,
				      .id = "nss:/home/u/.pki/nssdb",
				      .path = "/home/u/.pki/nssdb",
				      .group = "chromium",
				      .browser = UCT_BROWSER_CHROMIUM};
	t->stores[0] = &t->store;
	t->run.cfg = &t->cfg;
	t->run.read.eps.v = t->eps;
	t->run.read.eps.n = n;
	t->run.read.targets = t->targets;
	t->run.read.res = t->res;
	t->run.stores.v = t->stores;
	t->run.stores.n = 1;
	t->answers.before = t->before;
	t->run.stores.answers = &t->answers;
	t->ctx = (struct uct_plan_ctx){.cfg = t->run.cfg,
				       .read = &t->run.read,
				       .stores = &t->run.stores,
				       .state = &t->run.record.state};
}

void uct_test_run_own(struct uct_test_run *t, const struct uct_cert *c, enum uct_trust trust,
		      const char *host, int port)
{
	struct uct_store_entry e = {.trust = trust, .host = host, .port = port};

	memcpy(e.sha256, c->sha256, UCT_SHA256_LEN);
	ck_assert_int_eq(uct_owned_collect(&e, &t->owned, NULL), 0);
}

void uct_test_run_free(struct uct_test_run *t)
{
	size_t i;

	for (i = 0; i < t->run.plan.n_changes; i++) {
		free(t->run.plan.changes[i].subject);
		free(t->run.plan.changes[i].hostports);
	}
	free(t->run.plan.changes);
	t->run.plan.changes = NULL;
	t->run.plan.n_changes = 0;
	uct_owned_free(&t->owned);
	memset(&t->owned, 0, sizeof(t->owned));
	uct_state_free(&t->run.record.state);
	memset(&t->run.record.state, 0, sizeof(t->run.record.state));
}

/* ---- whole runs in the collector trust mode ---- */

static char *cert_pem(const struct uct_cert *cert)
{
	size_t b64_len = 4 * ((cert->der_len + 2) / 3);
	char *b64 = malloc(b64_len + 1), *pem;

	ck_assert_ptr_nonnull(b64);
	EVP_EncodeBlock((unsigned char *)b64, cert->der, (int)cert->der_len);
	pem = uct_asprintf("-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n", b64);
	free(b64);
	ck_assert_ptr_nonnull(pem);
	return pem;
}

void uct_test_doc_approve(struct uct_test_doc *d, enum uct_trust_kind kind, const char *host,
			  int port, const struct uct_cert *cert)
{
	struct uct_trust_approval *a;

	d->doc.approvals = realloc(d->doc.approvals, (d->doc.n + 1) * sizeof(*a));
	ck_assert_ptr_nonnull(d->doc.approvals);
	a = &d->doc.approvals[d->doc.n++];
	memset(a, 0, sizeof(*a));
	a->id = ++d->next_id;
	a->kind = kind;
	uct_fp_format(cert->sha256, a->sha256);
	if (kind == UCT_TRUST_KIND_CA) {
		ck_assert_int_eq(uct_strv_push(&a->hosts, host), 0);
		a->ca_pem = cert_pem(cert);
	} else {
		a->host = uct_strdup(host);
		a->port = kind == UCT_TRUST_KIND_ENDPOINT ? (unsigned)port : 0;
	}
	d->doc.serial++;
}

static void approval_clear(struct uct_trust_approval *a)
{
	free(a->host);
	free(a->ca_pem);
	uct_strv_clear(&a->hosts);
}

void uct_test_doc_revoke(struct uct_test_doc *d, const struct uct_cert *cert)
{
	char fp[UCT_FP_STRLEN];
	size_t i = 0;

	uct_fp_format(cert->sha256, fp);
	while (i < d->doc.n) {
		if (strcmp(d->doc.approvals[i].sha256, fp) != 0) {
			i++;
			continue;
		}
		approval_clear(&d->doc.approvals[i]);
		memmove(&d->doc.approvals[i], &d->doc.approvals[i + 1],
			(d->doc.n - i - 1) * sizeof(d->doc.approvals[0]));
		d->doc.n--;
	}
	d->doc.serial++;
}

int uct_test_doc_has(const struct uct_test_doc *d, enum uct_trust_kind kind, const char *host,
		     int port, const struct uct_cert *cert)
{
	char fp[UCT_FP_STRLEN];
	size_t i;

	uct_fp_format(cert->sha256, fp);
	for (i = 0; i < d->doc.n; i++) {
		const struct uct_trust_approval *a = &d->doc.approvals[i];

		if (a->kind != kind || strcmp(a->sha256, fp) != 0)
			continue;
		if (kind == UCT_TRUST_KIND_CA
			    ? uct_strv_contains(&a->hosts, host)
			    : strcmp(a->host, host) == 0 &&
				      (kind == UCT_TRUST_KIND_HOST || (int)a->port == port))
			return 1;
	}
	return 0;
}

void uct_test_doc_free(struct uct_test_doc *d)
{
	size_t i;

	for (i = 0; i < d->doc.n; i++)
		approval_clear(&d->doc.approvals[i]);
	free(d->doc.approvals);
	memset(d, 0, sizeof(*d));
}

int uct_test_doc_give(void *ctx, const struct uct_trustdoc **doc, struct uct_err *err)
{
	struct uct_test_doc *d = ctx;

	*doc = NULL;
	if (d->missing)
		return uct_err_set(err, UCT_E_CRYPTO, 0, "%s", d->problem);
	*doc = &d->doc;
	return 0;
}

/* The fetch step: each target gets the chain its host presents. */
static int whole_fetch(struct uct_fetch_target *targets, size_t n, void *ctx, struct uct_err *err)
{
	struct uct_test_whole *w = ctx;
	size_t i, c;

	(void)err;
	for (i = 0; i < n; i++) {
		const struct uct_cert *const *chain =
			w->present[strcmp(targets[i].host, UCT_TEST_HOST1) == 0 ? 0 : 1];

		targets[i].status = UCT_FETCH_OK;
		for (c = 0; c < UCT_TEST_CHAIN_MAX && chain[c] != NULL; c++)
			ck_assert_int_eq(uct_chain_push(&targets[i].chain, uct_cert_dup(chain[c])),
					 0);
	}
	return 0;
}

void uct_test_whole_init(struct uct_test_whole *w)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->dir, sizeof(w->dir), "/tmp/uct-test-whole.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(w->dir));
	w->stores[0] = uct_store_mem_new("mem:chromium", "chromium", UCT_BROWSER_CHROMIUM, 0);
	w->stores[1] = uct_store_mem_new("mem:firefox", "firefox:default", UCT_BROWSER_FIREFOX, 0);
	ck_assert_ptr_nonnull(w->stores[0]);
	ck_assert_ptr_nonnull(w->stores[1]);
}

static void whole_finish(struct uct_test_whole *w)
{
	if (w->ran)
		uct_run_free(&w->run);
	if (w->loaded)
		uct_config_free(&w->cfg);
	w->ran = w->loaded = 0;
}

void uct_test_whole_free(struct uct_test_whole *w)
{
	char cmd[128];

	whole_finish(w);
	w->stores[0]->ops->destroy(w->stores[0]);
	w->stores[1]->ops->destroy(w->stores[1]);
	uct_test_doc_free(&w->doc);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", w->dir);
	ck_assert_int_eq(system(cmd), 0);
}

int uct_test_whole_run(struct uct_test_whole *w, const char *command, const char *mode,
		       struct uct_err *err)
{
	char state[96], key[96];
	/* Collector mode needs where its document comes from and its key (the
	 * document itself is given by inputs.trust below). */
	int collector = strcmp(mode, "collector") == 0;
	char *argv[] = {"uccx-trust",
			(char *)command,
			"--config",
			"/dev/null",
			"--url",
			"https://" UCT_TEST_HOST1 ":8445/",
			"--url",
			"https://" UCT_TEST_HOST1 ":443/",
			"--url",
			"https://" UCT_TEST_HOST2 ":8445/",
			"--trust",
			(char *)mode,
			"--scope",
			"user",
			"--home",
			w->dir,
			"--state-dir",
			state,
			"--quiet",
			collector ? "--trust-url" : NULL,
			"http://127.0.0.1:9/api/v1/trust",
			"--trust-key",
			key,
			NULL};
	struct uct_run_inputs in = {
		.stores = w->stores,
		.n_stores = 2,
		.fetch = whole_fetch,
		.fetch_ctx = w,
		.trust = uct_test_doc_give,
		.trust_ctx = &w->doc,
	};
	struct uct_err cerr = {0};

	whole_finish(w);
	snprintf(state, sizeof(state), "%s/state", w->dir);
	snprintf(key, sizeof(key), "%s/trust.pub", w->dir);
	if (collector)
		uct_testsig_free_key(uct_testsig_key("prime256v1", key));
	uct_config_init(&w->cfg);
	w->loaded = 1;
	ck_assert_msg(uct_config_load(&w->cfg,
				      (int)(sizeof(argv) / sizeof(argv[0])) - (collector ? 1 : 5),
				      argv, &cerr) == 0,
		      "config: %s", cerr.msg);
	uct_err_clear(err);
	w->ran = 1;
	return uct_run_execute_with(&w->run, &w->cfg, &in, err);
}
