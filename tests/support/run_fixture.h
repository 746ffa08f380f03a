/*
 * run_fixture.h: a run put together by hand for the tests of the steps of
 * one store (test_plan.c, test_reconcile.c): endpoints already read and
 * analysed, one store, no database and no network.
 */
#ifndef UCT_RUN_FIXTURE_H
#define UCT_RUN_FIXTURE_H

#include "plan.h"
#include "platform.h"

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

/* ---- whole runs in the collector trust mode ---- */

/* A trust document a test builds, as the collector would sign it, and
 * whether the trust source has one at all. */
struct uct_test_doc {
	struct uct_trustdoc doc;
	int missing;       /* the source answers -1 with problem */
	char problem[128]; /* its message */
	int64_t next_id;
};

/* Approve cert in d: for host:port (UCT_TRUST_KIND_ENDPOINT), for host
 * (UCT_TRUST_KIND_HOST, port ignored), or as a CA for host (UCT_TRUST_KIND_CA,
 * with its PEM). The serial grows. */
void uct_test_doc_approve(struct uct_test_doc *d, enum uct_trust_kind kind, const char *host,
			  int port, const struct uct_cert *cert);
/* Revoke every approval of cert in d. */
void uct_test_doc_revoke(struct uct_test_doc *d, const struct uct_cert *cert);
/* 1 when d holds an approval of cert of that kind for host (and port). */
int uct_test_doc_has(const struct uct_test_doc *d, enum uct_trust_kind kind, const char *host,
		     int port, const struct uct_cert *cert);
void uct_test_doc_free(struct uct_test_doc *d);
/* The run's trust callback (ctx: a struct uct_test_doc). */
int uct_test_doc_give(void *ctx, const struct uct_trustdoc **doc, struct uct_err *err);

#define UCT_TEST_HOST1 "uccx1.example.com"
#define UCT_TEST_HOST2 "uccx2.example.com"
#define UCT_TEST_CHAIN_MAX 3

/*
 * Whole runs over three endpoints, UCT_TEST_HOST1 on ports 8445 and 443 and
 * UCT_TEST_HOST2 on 8445 (a host presents one chain on all its ports, as
 * Tomcat does), into two stores in memory (Chromium's database and one
 * Firefox profile), with a state directory of its own.
 */
struct uct_test_whole {
	char dir[64];
	struct uct_store *stores[2];
	const struct uct_cert *present[2][UCT_TEST_CHAIN_MAX]; /* per host, leaf first */
	struct uct_test_doc doc;
	struct uct_config cfg;
	struct uct_run run;
	int loaded, ran;
};

void uct_test_whole_init(struct uct_test_whole *w);
/* Free the last run, the stores, the document; remove the directory. */
void uct_test_whole_free(struct uct_test_whole *w);
/* One run of command ("install", "check", "remove") with --trust mode
 * ("collector", "tofu"); the previous run is freed first. What
 * uct_run_execute_with returns, its error in err. */
int uct_test_whole_run(struct uct_test_whole *w, const char *command, const char *mode,
		       struct uct_err *err);

#endif
