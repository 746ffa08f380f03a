/*
 * run_fixture.h: a run put together by hand for the tests of the steps of
 * one store (test_plan.c, test_reconcile.c): endpoints already read and
 * analysed, one store, no database and no network.
 */
#ifndef UCT_RUN_FIXTURE_H
#define UCT_RUN_FIXTURE_H

#include "plan.h"

#define UCT_TEST_RUN_MAX 4 /* endpoints */

/* Every pointer in run and ctx points into the fixture itself. */
struct uct_test_run {
	struct uct_config cfg; /* command: install */
	struct uct_run run;
	struct uct_plan_ctx ctx; /* the parts of run that planning reads */
	struct uct_endpoint eps[UCT_TEST_RUN_MAX];
	struct uct_fetch_target targets[UCT_TEST_RUN_MAX];
	struct uct_ep_result res[UCT_TEST_RUN_MAX];
	struct uct_store store; /* an NSS database of Chromium's */
	struct uct_store *stores[1];
	struct uct_verify_result before[UCT_TEST_RUN_MAX]; /* the store trusts nothing */
	struct uct_store_answers answers;
	struct uct_owned owned; /* what the store holds of ours (empty) */
};

/*
 * Fill t with the n endpoints of eps (copied; at most UCT_TEST_RUN_MAX, the
 * strings borrowed), whose target indexes say which share a server. Every
 * server was reached; every endpoint is approved on first use and has leaf
 * as its certificate, which Chromium wants as a peer and Firefox as an
 * exception for the host and port.
 */
void uct_test_run_init(struct uct_test_run *t, const struct uct_endpoint *eps, size_t n,
		       const struct uct_cert *leaf);
/* Add to t->owned an object of ours with cert c (host NULL: not an
 * override line), as the store's list op reports it. */
void uct_test_run_own(struct uct_test_run *t, const struct uct_cert *c, enum uct_trust trust,
		      const char *host, int port);
/* Free what the steps allocated: the changes, t->owned, the state; all
 * three are left empty for another round. */
void uct_test_run_free(struct uct_test_run *t);

#endif
