/*
 * run_fixture.c: a run put together by hand for the tests of the steps of
 * one store (see run_fixture.h).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "run_fixture.h"

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
