/*
 * run.c: the agent's pipeline for one command. Stores are handled one at
 * a time (open, list, verify, plan, apply, verify, close), because NSS
 * contexts must never overlap in one process (DESIGN.md, NSS facts).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "approved.h"
#include "log.h"
#include "machine.h"
#include "plan.h"
#include "recall.h"
#include "reconcile.h"
#include "run.h"

const char *uct_verdict_name(enum uct_verdict v)
{
	switch (v) {
	case UCT_V_UNKNOWN: return "unknown";
	case UCT_V_TRUSTED: return "trusted";
	case UCT_V_NOT_TRUSTED: return "not-trusted";
	case UCT_V_CANNOT_FIX: return "cannot-fix-on-pc";
	case UCT_V_DEFERRED: return "deferred";
	case UCT_V_UNREACHABLE: return "unreachable";
	case UCT_V_REFUSED: return "refused";
	case UCT_V_PENDING: return "pending";
	}
	return "unknown";
}

const char *uct_change_action_name(enum uct_change_action a)
{
	switch (a) {
	case UCT_CH_ADD: return "add";
	case UCT_CH_UPDATE: return "update";
	case UCT_CH_REMOVE: return "remove";
	}
	return "add";
}

const char *uct_change_status_name(enum uct_change_status s)
{
	switch (s) {
	case UCT_CS_PLANNED: return "planned";
	case UCT_CS_DONE: return "done";
	case UCT_CS_FAILED: return "failed";
	case UCT_CS_DEFERRED: return "deferred";
	}
	return "planned";
}

/* ---- loading inputs ---- */

static int load_ca_files(struct uct_run *run, struct uct_err *err)
{
	size_t i;

	for (i = 0; i < run->cfg->ca_files.n; i++)
		if (uct_cert_read_file(run->cfg->ca_files.v[i], &run->read.ca_certs, err) < 0)
			return -1;
	return 0;
}

static int fetch_all(struct uct_run *run, struct uct_err *err)
{
	struct uct_net_opts net = {
		.connect_timeout_ms = run->cfg->connect_timeout_ms,
		.total_timeout_ms = run->cfg->total_timeout_ms,
		.connect_to = &run->cfg->connect_to,
		.proxy = run->cfg->proxy,
	};
	struct uct_cert *issuer;
	struct uct_err aerr;
	size_t i;

	run->read.targets = calloc(run->read.eps.n_targets, sizeof(*run->read.targets));
	if (run->read.targets == NULL)
		return uct_err_set(err, UCT_E_NOMEM, ENOMEM, "out of memory");
	for (i = 0; i < run->read.eps.n_targets; i++) {
		run->read.targets[i].host = run->read.eps.targets[i].host;
		run->read.targets[i].port = run->read.eps.targets[i].port;
		run->read.targets[i].path = run->read.eps.targets[i].path;
	}
	if (run->inputs.fetch != NULL) {
		if (run->inputs.fetch(run->read.targets, run->read.eps.n_targets,
				      run->inputs.fetch_ctx, err) < 0)
			return -1;
	} else if (uct_fetch_chains(run->read.targets, run->read.eps.n_targets, &net, err) < 0) {
		return -1;
	}
	if (run->cfg->n_pins == 0 && run->read.ca_certs.n == 0)
		return 0;
	/*
	 * With pins or CA files the root may matter, and a server often does
	 * not send it: follow the AIA caIssuers URL of the top certificate once.
	 * What it brings is only used if its signature links up.
	 */
	for (i = 0; i < run->read.eps.n_targets; i++) {
		struct uct_chain *chain = &run->read.targets[i].chain;
		struct uct_cert *top;

		if (chain->n == 0)
			continue;
		top = chain->certs[chain->n - 1];
		if (top->self_signed || top->aia_ca_issuers == NULL)
			continue;
		uct_err_clear(&aerr);
		if (uct_fetch_issuer(top->aia_ca_issuers, &net, &issuer, &aerr) < 0) {
			uct_log(UCT_LOG_INFO, "AIA %s: %s", top->aia_ca_issuers, aerr.msg);
			continue;
		}
		if (uct_cert_signed_by(top, issuer))
			uct_chain_push(chain, issuer);
		else
			uct_cert_free(issuer);
	}
	return 0;
}

/*
 * Collector mode: the trust document, asked for once the servers were
 * fetched, and the CA certificates it approves. No valid document is an
 * outcome, not an error: the run goes on with every endpoint waiting, so
 * nothing is installed or removed, and says why. -1 only when out of
 * memory.
 */
static int read_trust(struct uct_run *run, struct uct_err *err)
{
	struct uct_err terr = {0};
	char *line;

	if (run->cfg->mode != UCT_MODE_COLLECTOR)
		return 0;
	if (run->inputs.trust == NULL)
		uct_err_set(&terr, UCT_E_CONFIG, 0, "no trust document source is configured");
	else if (run->inputs.trust(run->inputs.trust_ctx, &run->read.trustdoc, &terr) < 0)
		run->read.trustdoc = NULL;
	/* What this run installs is the document's to take back. */
	run->record.state.mark_collector = run->read.trustdoc != NULL;
	if (run->read.trustdoc != NULL)
		return uct_approved_ca_certs(run->read.trustdoc, &run->read.ca_certs,
					     &run->outcome.problems, err);
	run->read.trust_problem =
		uct_strdup(terr.msg[0] != '\0' ? terr.msg : "the trust document is not valid");
	line = uct_asprintf("no valid trust document: %s", terr.msg);
	if (run->read.trust_problem == NULL || line == NULL) {
		free(line);
		return uct_err_set(err, UCT_E_NOMEM, ENOMEM, "out of memory");
	}
	uct_strv_push(&run->outcome.problems, line);
	free(line);
	return 0;
}

/* ---- per store ---- */

/* Find the certificate with this fingerprint among the fetched chains. */
static const struct uct_cert *cert_by_sha(const struct uct_run *run, const unsigned char *sha)
{
	size_t t, c;

	for (t = 0; t < run->read.eps.n_targets; t++)
		for (c = 0; c < run->read.targets[t].chain.n; c++)
			if (memcmp(run->read.targets[t].chain.certs[c]->sha256, sha,
				   UCT_SHA256_LEN) == 0)
				return run->read.targets[t].chain.certs[c];
	for (c = 0; c < run->read.ca_certs.n; c++)
		if (memcmp(run->read.ca_certs.certs[c]->sha256, sha, UCT_SHA256_LEN) == 0)
			return run->read.ca_certs.certs[c];
	return NULL;
}

/* A stand-in certificate carrying only a fingerprint, for removing an
 * object whose certificate was not fetched this run. */
static void fake_cert(struct uct_cert *fake, const unsigned char *sha)
{
	memset(fake, 0, sizeof(*fake));
	memcpy(fake->sha256, sha, UCT_SHA256_LEN);
}

static void apply_one(struct uct_run *run, struct uct_store *store, struct uct_change *ch)
{
	struct uct_anchor anchor = {.trust = ch->trust};
	struct uct_cert fake;
	struct uct_err err = {0};
	char *host = NULL, *colon;
	int rc;

	anchor.cert = cert_by_sha(run, ch->sha256);
	if (anchor.cert == NULL) {
		fake_cert(&fake, ch->sha256);
		anchor.cert = &fake;
	}
	if (uct_store_supports(store, UCT_STORE_BY_HOST)) {
		host = uct_strdup(ch->hostports);
		colon = host != NULL ? strrchr(host, ':') : NULL;
		if (colon != NULL) {
			*colon = '\0';
			anchor.host = host;
			anchor.port = atoi(colon + 1);
		}
	}
	rc = ch->action == UCT_CH_REMOVE ? store->ops->remove(store, &anchor, &err)
					 : store->ops->add(store, &anchor, &err);
	free(host);
	if (rc == 0) {
		ch->status = UCT_CS_DONE;
		if (ch->action == UCT_CH_REMOVE) {
			uct_state_drop_installed(&run->record.state, store->id, ch->sha256);
		} else {
			uct_state_add_installed(&run->record.state, store->id, ch->sha256,
						ch->trust, ch->hostports);
		}
		return;
	}
	ch->status = err.code == UCT_E_LOCKED && uct_store_supports(store, UCT_STORE_DEFER_BUSY)
			     ? UCT_CS_DEFERRED
			     : UCT_CS_FAILED;
	snprintf(ch->error, sizeof(ch->error), "%s", err.msg);
}

static int store_has_work(const struct uct_run *run, const struct uct_store *store)
{
	size_t i;

	for (i = 0; i < run->plan.n_changes; i++)
		if (run->plan.changes[i].store == store)
			return 1;
	return 0;
}

struct uct_store_answers *uct_run_stores_answers(const struct uct_run_stores *stores, size_t s)
{
	return stores->answers != NULL && s < stores->n ? &stores->answers[s] : NULL;
}

struct uct_store_answers *uct_run_answers(const struct uct_run *run, size_t s)
{
	return uct_run_stores_answers(&run->stores, s);
}

int uct_run_store_failed(const struct uct_run *run, size_t s)
{
	const struct uct_store_answers *a = uct_run_answers(run, s);

	return a != NULL && a->failed;
}

int64_t uct_run_store_checked_at(const struct uct_run *run, size_t s)
{
	const struct uct_store_answers *a = uct_run_answers(run, s);

	return a != NULL ? a->checked_at : 0;
}

const struct uct_chain *uct_run_read_chain(const struct uct_run_read *read, size_t i)
{
	const struct uct_fetch_target *t = read->res[i].target;

	return t->status == UCT_FETCH_OK && t->chain.n > 0 ? &t->chain : NULL;
}

const struct uct_chain *uct_run_chain(const struct uct_run *run, size_t i)
{
	return uct_run_read_chain(&run->read, i);
}

/* The parts of run that planning a store reads. */
static struct uct_plan_ctx plan_ctx(const struct uct_run *run)
{
	struct uct_plan_ctx ctx = {.cfg = run->cfg,
				   .read = &run->read,
				   .stores = &run->stores,
				   .state = &run->record.state};

	return ctx;
}

/* The parts of run that the verification cache is used with. */
static struct uct_recall_ctx recall_ctx(struct uct_run *run)
{
	struct uct_recall_ctx ctx = {.read = &run->read,
				     .stores = &run->stores,
				     .record = &run->record,
				     .started = run->outcome.started};

	return ctx;
}

static void verify_all(struct uct_run *run, size_t s, struct uct_verify_result *out)
{
	struct uct_store *store = run->stores.v[s];
	const struct uct_chain *chain;
	struct uct_err err;
	size_t i;

	for (i = 0; i < run->read.eps.n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		if ((chain = uct_run_chain(run, i)) == NULL)
			continue;
		uct_err_clear(&err);
		if (store->ops->verify(store, chain, run->read.eps.v[i].host,
				       run->read.eps.v[i].port, &out[i], &err) < 0) {
			out[i].trusted = 0;
			snprintf(out[i].code, sizeof(out[i].code), "VERIFY_FAILED");
			snprintf(out[i].detail, sizeof(out[i].detail), "%.255s", err.msg);
		}
	}
}

static void store_problem(struct uct_run *run, const struct uct_store *store,
			  const struct uct_err *err)
{
	char *line = uct_asprintf("%s: %s", store->path, err->msg);

	if (line != NULL)
		uct_strv_push(&run->outcome.problems, line);
	free(line);
}

/*
 * After a run changed a store: verify it as the next run will read it,
 * opened afresh read-only, and keep what it shows, so that the login run
 * that follows (often a `check`, which never writes the cache) finds it
 * unchanged and need not open it. 1 when after was filled; 0 (no digest,
 * not readable now) leaves the verification to the caller.
 */
static int reread_store(struct uct_run *run, size_t s, struct uct_verify_result *after)
{
	struct uct_store *store = run->stores.v[s];
	struct uct_recall_ctx rctx = recall_ctx(run);
	unsigned char digest[UCT_SHA256_LEN];
	struct uct_owned owned = {0};
	struct uct_err err = {0};
	int done = 0;

	store->ops->close(store);
	if (!uct_recall_digest(&run->record, store, digest))
		return 0;
	if (store->ops->open(store, 0, &err) < 0 ||
	    store->ops->list(store, uct_owned_collect, &owned, &err) < 0) {
		uct_log(UCT_LOG_DEBUG, "%s: not read again: %s", store->path, err.msg);
		goto out;
	}
	verify_all(run, s, after);
	done = 1;
	store->ops->close(store);
	uct_remember_store(&rctx, s, digest, &owned, after);
out:
	store->ops->close(store);
	uct_owned_free(&owned);
	return done;
}

/* One store's pass through the run: what it showed, where its answers go. */
struct store_pass {
	size_t s;
	struct uct_store *store;
	struct uct_verify_result *before, *after; /* eps.n each, in the run's tables */
	struct uct_owned owned;                   /* its objects of ours */
	unsigned char digest[UCT_SHA256_LEN];
	int digested; /* digest holds what it was before the run */
	int read_now; /* read from the store itself, not from the cache */
};

/* Set the status (and error, when msg is not NULL) of every change of
 * store that is still only planned. */
static void settle_planned(struct uct_run *run, const struct uct_store *store,
			   enum uct_change_status status, const char *msg)
{
	size_t i;

	for (i = 0; i < run->plan.n_changes; i++) {
		struct uct_change *ch = &run->plan.changes[i];

		if (ch->store != store || ch->status != UCT_CS_PLANNED)
			continue;
		ch->status = status;
		if (msg != NULL)
			snprintf(ch->error, sizeof(ch->error), "%s", msg);
	}
}

/* What the store holds of ours and trusts before the run: from the cache
 * when the store is unchanged, else read now. -1 with err. */
static int read_store(struct uct_run *run, struct store_pass *p, struct uct_err *err)
{
	struct uct_recall_ctx rctx = recall_ctx(run);
	size_t i;

	if (p->store->created) {
		/* Nothing to read yet: every endpoint is untrusted there. */
		for (i = 0; i < run->read.eps.n; i++)
			snprintf(p->before[i].code, sizeof(p->before[i].code), "NO_DATABASE");
		return 0;
	}
	if (p->digested && uct_recall_store(&rctx, p->s, p->digest, &p->owned))
		return 0;
	uct_owned_free(&p->owned);
	memset(&p->owned, 0, sizeof(p->owned));
	if (p->store->ops->open(p->store, 0, err) < 0 ||
	    p->store->ops->list(p->store, uct_owned_collect, &p->owned, err) < 0)
		return -1;
	verify_all(run, p->s, p->before);
	p->read_now = 1;
	uct_run_answers(run, p->s)->checked_at = run->outcome.started;
	return 0;
}

/* The changes the command needs in the store. -1 (out of memory) with err. */
static int plan_store(struct uct_run *run, struct store_pass *p, struct uct_err *err)
{
	enum uct_command cmd = run->cfg->command;
	struct uct_plan_ctx ctx = plan_ctx(run);

	if (uct_reconcile_store(&ctx, p->s, &p->owned, &run->record.state) < 0 ||
	    /* check plans exactly what install would do, and applies nothing. */
	    ((cmd == UCT_CMD_INSTALL || cmd == UCT_CMD_CHECK) &&
	     uct_plan_adds(&ctx, p->s, &p->owned, &run->plan) < 0) ||
	    (cmd != UCT_CMD_STATUS && uct_plan_removals(&ctx, p->s, &p->owned, &run->plan) < 0))
		return uct_err_set(err, UCT_E_NOMEM, ENOMEM, "out of memory");
	return 0;
}

/* Write the planned changes into the store and verify it again. A store
 * its browser holds (UCT_STORE_DEFER_BUSY) defers them. -1 with err. */
static int apply_store(struct uct_run *run, struct store_pass *p, struct uct_err *err)
{
	struct uct_store *store = p->store;
	size_t i;

	/* This run changes the store: what it showed before no longer holds. */
	uct_vcache_drop(&run->record.vcache, store->id);
	if (store->ops->open(store, 1, err) < 0) {
		if (err->code != UCT_E_LOCKED || !uct_store_supports(store, UCT_STORE_DEFER_BUSY))
			return -1;
		settle_planned(run, store, UCT_CS_DEFERRED, NULL);
		return 0;
	}
	store->created = 0;
	if (uct_intent_save(&run->plan, &run->record, store, err) < 0)
		return -1;
	for (i = 0; i < run->plan.n_changes; i++)
		if (run->plan.changes[i].store == store)
			apply_one(run, store, &run->plan.changes[i]);
	uct_intent_settle(&run->plan, &run->record.state, store);
	if (store->ops->update_browser_policy != NULL)
		store->ops->update_browser_policy(store);
	if (!reread_store(run, p->s, p->after))
		verify_all(run, p->s, p->after);
	uct_run_answers(run, p->s)->checked_at = run->outcome.started;
	return 0;
}

/*
 * A store that could not be read or written: report it, mark its verdicts
 * and its planned changes failed. 0 to go on with the other stores; -1
 * with run_err for what would fail every store (out of memory, a system
 * library missing).
 */
static int fail_store(struct uct_run *run, struct store_pass *p, const struct uct_err *err,
		      struct uct_err *run_err)
{
	size_t i;

	uct_run_answers(run, p->s)->failed = 1;
	store_problem(run, p->store, err);
	/* Its verdicts say why, rather than another store's code. */
	for (i = 0; i < run->read.eps.n; i++) {
		if (!p->before[i].trusted && p->before[i].code[0] == '\0')
			snprintf(p->before[i].code, sizeof(p->before[i].code), "STORE_FAILED");
		if (!p->after[i].trusted && p->after[i].code[0] == '\0')
			snprintf(p->after[i].code, sizeof(p->after[i].code), "STORE_FAILED");
	}
	settle_planned(run, p->store, UCT_CS_FAILED, err->msg);
	if (err->code == UCT_E_NOMEM || err->code == UCT_E_SYSTEM)
		return uct_err_set(run_err, err->code, err->native, "%s", err->msg);
	return 0;
}

/*
 * Everything for one store, opened once and closed before the next. A store
 * that cannot be read or written is a problem of that store: it is reported
 * and the run goes on with the others. Only what would fail every store
 * (out of memory, a system library missing) ends the run: -1 with run_err.
 */
static int process_store(struct uct_run *run, size_t s, struct uct_err *run_err)
{
	struct store_pass p = {.s = s, .store = run->stores.v[s]};
	struct uct_recall_ctx rctx = recall_ctx(run);
	struct uct_err err = {0};
	enum uct_command cmd = run->cfg->command;
	int rc = 0;

	p.before = uct_run_answers(run, s)->before;
	p.after = uct_run_answers(run, s)->after;
	p.digested = uct_recall_digest(&run->record, p.store, p.digest);
	if (read_store(run, &p, &err) < 0 || plan_store(run, &p, &err) < 0) {
		rc = fail_store(run, &p, &err, run_err);
	} else {
		memcpy(p.after, p.before, run->read.eps.n * sizeof(*p.after));
		if (cmd != UCT_CMD_CHECK && store_has_work(run, p.store)) {
			if (apply_store(run, &p, &err) < 0)
				rc = fail_store(run, &p, &err, run_err);
		} else if (p.read_now && p.digested && cmd != UCT_CMD_CHECK) {
			/* check changes nothing, not even the cache. */
			p.store->ops->close(p.store);
			uct_remember_store(&rctx, s, p.digest, &p.owned, p.before);
		}
	}
	p.store->ops->close(p.store);
	uct_owned_free(&p.owned);
	return rc;
}

/* ---- verdicts ---- */

static int change_deferred_for(const struct uct_run *run, const struct uct_store *store,
			       const struct uct_endpoint *ep)
{
	char hp[300];
	size_t i;

	snprintf(hp, sizeof(hp), "%s:%d", ep->host, ep->port);
	for (i = 0; i < run->plan.n_changes; i++)
		if (run->plan.changes[i].store == store &&
		    run->plan.changes[i].status == UCT_CS_DEFERRED &&
		    uct_hostports_have(run->plan.changes[i].hostports, hp))
			return 1;
	return 0;
}

/* The error Firefox shows when its database trusts the certificate but
 * Firefox still refuses it (measured with Firefox ESR 153, DESIGN.md). */
/*
 * 1 when the analysis can only offer the group the CA-issued leaf itself
 * (no approved CA above it) and a store of the group cannot make the
 * browser trust such a leaf (Windows: Chrome and Edge take a leaf only
 * when it is self-signed): nothing on this PC fixes it but approving the CA.
 */
static int leaf_needs_ca(const struct uct_run *run, size_t i, const char *group)
{
	const struct uct_analysis *an = &run->read.res[i].an;
	size_t s;

	if (an->leaf == NULL || an->leaf->self_signed || an->chromium.cert != an->leaf)
		return 0;
	for (s = 0; s < run->stores.n; s++)
		if (strcmp(run->stores.v[s]->group, group) == 0 &&
		    run->stores.v[s]->browser != UCT_BROWSER_FIREFOX &&
		    uct_store_supports(run->stores.v[s], UCT_STORE_NO_CA_ISSUED_LEAF))
			return 1;
	return 0;
}

/* What one store's verification means for its browser: NULL when it makes
 * the browser load the page, else the error ("" when unknown). A store that
 * reports only its trust (UCT_STORE_TRUST_ONLY) leaves the browser's own
 * refusals to the analysis. */
static const char *store_refusal(const struct uct_store *st, const struct uct_analysis *an,
				 const struct uct_verify_result *v)
{
	if (!v->trusted)
		return v->code;
	if (!uct_store_supports(st, UCT_STORE_TRUST_ONLY))
		return NULL;
	return uct_browser_refuses(an, st->browser);
}

/* What the stores of one group said for one endpoint. */
struct group_scan {
	enum uct_browser browser;
	int nss_ok;      /* a certificate database of the group makes it load */
	int override_ok; /* an exception of the group makes it load */
	int deferred;    /* a change for it waits for the browser to close */
};

/* Read the answers (before or after the run's changes) of the stores of
 * group for endpoint i into g; the first refusal's code goes to code. */
static void scan_group(const struct uct_run *run, size_t i, const char *group, int after,
		       char *code, size_t code_len, struct group_scan *g)
{
	const struct uct_analysis *an = &run->read.res[i].an;
	const struct uct_store_answers *a;
	const char *refusal;
	size_t s;

	memset(g, 0, sizeof(*g));
	g->browser = UCT_BROWSER_CHROMIUM;
	for (s = 0; s < run->stores.n; s++) {
		const struct uct_store *st = run->stores.v[s];
		if (strcmp(st->group, group) != 0)
			continue;
		g->browser = st->browser;
		a = uct_run_answers(run, s);
		refusal = store_refusal(st, an, after ? &a->after[i] : &a->before[i]);
		if (refusal == NULL && uct_store_supports(st, UCT_STORE_BY_HOST)) {
			g->override_ok = 1;
			continue;
		}
		if (refusal == NULL) {
			g->nss_ok = 1;
			continue;
		}
		if (code[0] == '\0' && refusal[0] != '\0')
			snprintf(code, code_len, "%s", refusal);
		if (uct_store_supports(st, UCT_STORE_DEFER_BUSY) &&
		    change_deferred_for(run, st, run->read.res[i].ep))
			g->deferred = 1;
	}
}

/* Firefox's verdict: its database's trust, unless the analysis says
 * Firefox refuses what its own database trusts, where only an exception
 * stands in for it. */
static enum uct_verdict firefox_verdict(const struct uct_analysis *an, const struct group_scan *g,
					char *code, size_t code_len)
{
	const char *refusal;

	if (!an->firefox_fixable) {
		snprintf(code, code_len, "%s", an->firefox_code);
		return UCT_V_CANNOT_FIX;
	}
	refusal = uct_firefox_db_refusal(an);
	if (g->override_ok || (g->nss_ok && refusal == NULL))
		return UCT_V_TRUSTED;
	if (g->nss_ok && code[0] == '\0')
		snprintf(code, code_len, "%s", refusal);
	return g->deferred ? UCT_V_DEFERRED : UCT_V_NOT_TRUSTED;
}

/*
 * The verdict of one browser profile for one endpoint, from the stores of
 * the group. A store's own verification is necessary but not sufficient:
 * the browser rules of DESIGN.md decide (Firefox never accepts a CA:TRUE
 * leaf, a SAN-less certificate or one that does not say CA:FALSE from NSS
 * trust, only from an override).
 */
static enum uct_verdict group_verdict(const struct uct_run *run, size_t i, const char *group,
				      int after, char *code, size_t code_len)
{
	const struct uct_ep_result *r = &run->read.res[i];
	const struct uct_analysis *an = &r->an;
	struct group_scan g;

	scan_group(run, i, group, after, code, code_len, &g);
	if (r->target->status != UCT_FETCH_OK)
		return UCT_V_UNREACHABLE;
	if (an->approval == UCT_AP_REFUSED_CHANGED || an->approval == UCT_AP_REFUSED_UNPINNED)
		return UCT_V_REFUSED;
	/* Waiting, even where what this PC trusted before still makes the page
	 * load: the administrator has a certificate to approve. */
	if (an->approval == UCT_AP_PENDING)
		return UCT_V_PENDING;
	if (g.browser == UCT_BROWSER_FIREFOX)
		return firefox_verdict(an, &g, code, code_len);
	if (!an->chromium_fixable) {
		snprintf(code, code_len, "%s", an->chromium_code);
		return UCT_V_CANNOT_FIX;
	}
	if (!g.nss_ok && leaf_needs_ca(run, i, group)) {
		snprintf(code, code_len, "ERR_CERT_AUTHORITY_INVALID");
		return UCT_V_CANNOT_FIX;
	}
	return g.nss_ok ? UCT_V_TRUSTED : UCT_V_NOT_TRUSTED;
}

/* Order of badness for the endpoint's overall verdict. */
static int verdict_rank(enum uct_verdict v)
{
	switch (v) {
	case UCT_V_TRUSTED: return 0;
	case UCT_V_DEFERRED: return 1;
	case UCT_V_NOT_TRUSTED: return 2;
	case UCT_V_REFUSED:
	case UCT_V_PENDING: return 3;
	case UCT_V_CANNOT_FIX: return 4;
	case UCT_V_UNREACHABLE: return 5;
	case UCT_V_UNKNOWN: return 6;
	}
	return 6;
}

/* Every endpoint's verdict per group of stores and overall. -1 with err
 * when out of memory. */
static int compute_verdicts(struct uct_run *run, struct uct_err *err)
{
	struct uct_strv groups = {0};
	size_t i, g, s;

	for (s = 0; s < run->stores.n; s++)
		if (!uct_strv_contains(&groups, run->stores.v[s]->group) &&
		    uct_strv_push(&groups, run->stores.v[s]->group) < 0)
			goto nomem;
	for (i = 0; i < run->read.eps.n; i++) {
		struct uct_ep_result *r = &run->read.res[i];

		r->gv = calloc(groups.n ? groups.n : 1, sizeof(*r->gv));
		if (r->gv == NULL)
			goto nomem;
		r->n_gv = groups.n;
		r->verdict = UCT_V_TRUSTED;
		if (groups.n == 0)
			r->verdict = r->target->status == UCT_FETCH_OK ? UCT_V_NOT_TRUSTED
								       : UCT_V_UNREACHABLE;
		for (g = 0; g < groups.n; g++) {
			struct uct_group_verdict *gv = &r->gv[g];
			char scratch[64] = "";

			for (s = 0; s < run->stores.n; s++)
				if (strcmp(run->stores.v[s]->group, groups.v[g]) == 0) {
					gv->group = run->stores.v[s]->group;
					gv->browser = run->stores.v[s]->browser;
				}
			gv->before = group_verdict(run, i, gv->group, 0, scratch, sizeof(scratch));
			gv->after = group_verdict(run, i, gv->group, 1, gv->code, sizeof(gv->code));
			if (gv->after == UCT_V_TRUSTED)
				gv->code[0] = '\0';
			if (verdict_rank(gv->after) > verdict_rank(r->verdict))
				r->verdict = gv->after;
		}
	}
	uct_strv_clear(&groups);
	return 0;
nomem:
	uct_strv_clear(&groups);
	return uct_err_set(err, UCT_E_NOMEM, ENOMEM, "out of memory");
}

/* ---- notices, state, exit code ---- */

/* 1 when a group's verdict for endpoint i is "cannot fix" because its
 * stores need an approved CA (leaf_needs_ca). */
static int ca_needed(const struct uct_run *run, size_t i)
{
	const struct uct_ep_result *r = &run->read.res[i];
	size_t g;

	for (g = 0; g < r->n_gv; g++)
		if (r->gv[g].after == UCT_V_CANNOT_FIX && leaf_needs_ca(run, i, r->gv[g].group))
			return 1;
	return 0;
}

static void notice(struct uct_run *run, const char *text)
{
	if (!uct_strv_contains(&run->outcome.notices, text))
		uct_strv_push(&run->outcome.notices, text);
}

/* The profile directory of a store, for people: the override store's own
 * path is the file inside it, so take the profile's NSS database when the
 * group has one. Borrowed from the store. */
static const char *profile_path(const struct uct_run *run, const struct uct_store *store)
{
	size_t s;

	for (s = 0; s < run->stores.n; s++)
		if (!uct_store_supports(run->stores.v[s], UCT_STORE_BY_HOST) &&
		    strcmp(run->stores.v[s]->group, store->group) == 0)
			return run->stores.v[s]->path;
	return store->path;
}

/* notice() for a line made with uct_asprintf, which it frees; NULL (out
 * of memory) is left out. */
static void notice_made(struct uct_run *run, char *line)
{
	if (line != NULL)
		notice(run, line);
	free(line);
}

/* The problems and notices of the changes; 1 when something was added. */
static int change_notices(struct uct_run *run)
{
	char *line;
	size_t i;
	int done = 0;

	for (i = 0; i < run->plan.n_changes; i++) {
		const struct uct_change *ch = &run->plan.changes[i];
		if (ch->status == UCT_CS_DONE && ch->action != UCT_CH_REMOVE)
			done = 1;
		if (ch->status == UCT_CS_FAILED && ch->error[0] != '\0') {
			/* Once per store and cause (a Primary Password fails every
			 * change of that profile the same way), so the summary names
			 * the profile that was left alone. */
			line = uct_asprintf("%s: %s", ch->store->path, ch->error);
			if (line != NULL && !uct_strv_contains(&run->outcome.problems, line))
				uct_strv_push(&run->outcome.problems, line);
			free(line);
		}
		if (ch->status == UCT_CS_DEFERRED)
			notice_made(run, uct_asprintf("Firefox is running with the profile in %s: "
						      "close Firefox and run 'uccx-trust install' "
						      "again (it also happens at the next login)",
						      profile_path(run, ch->store)));
	}
	return done;
}

/* What the user must do about endpoint i, from its verdict. */
static void endpoint_notices(struct uct_run *run, size_t i)
{
	const struct uct_ep_result *r = &run->read.res[i];

	if (r->verdict == UCT_V_CANNOT_FIX && r->an.server_advice[0] != '\0')
		notice_made(run,
			    uct_asprintf("On the server %s: %s", r->ep->host, r->an.server_advice));
	else if (r->verdict == UCT_V_REFUSED)
		notice_made(run, uct_asprintf("%s:%d was not installed: %s", r->ep->host,
					      r->ep->port, r->an.reason));
	else if (r->verdict == UCT_V_NOT_TRUSTED && run->cfg->scope == UCT_SCOPE_MACHINE &&
		 uct_machine_advice(&r->an) != NULL)
		notice_made(run, uct_asprintf("%s: %s", r->ep->host, uct_machine_advice(&r->an)));
	if (ca_needed(run, i))
		notice_made(run,
			    uct_asprintf("%s:%d: Chrome and Edge cannot be made to trust it on "
					 "this PC: its certificate is issued by a CA that is "
					 "not approved, and Windows lets them trust a server "
					 "certificate on its own only when it is self-signed. "
					 "Approve the CA: give its root certificate with "
					 "--ca-file, or pin the CA's fingerprint (Firefox "
					 "keeps its exception)",
					 r->ep->host, r->ep->port));
}

static void collect_notices(struct uct_run *run)
{
	size_t i, pending = 0;

	if (change_notices(run))
		notice(run, "A browser window that already showed a certificate warning for one of "
			    "these pages needs a new window or a browser restart");
	for (i = 0; i < run->read.eps.n; i++) {
		endpoint_notices(run, i);
		pending += run->read.res[i].verdict == UCT_V_PENDING;
	}
	/* One line for them all: each is listed above with its certificate.
	 * Without a document the problem already says why. */
	if (pending > 0 && run->read.trustdoc != NULL)
		notice_made(run, uct_asprintf("%zu of %zu endpoints are waiting for approval at "
					      "the collector: an administrator approves their "
					      "certificates (listed above) in its dashboard, and "
					      "the next run installs them",
					      pending, run->read.eps.n));
	if (run->record.state_damaged)
		notice(run, "The state file was damaged and has been set aside (state.damaged); "
			    "certificates approved before will be treated as first seen");
}

static void update_state(struct uct_run *run)
{
	size_t i;
	char *hp;

	for (i = 0; i < run->read.eps.n && run->cfg->command == UCT_CMD_INSTALL; i++) {
		const struct uct_ep_result *r = &run->read.res[i];
		if (r->target->status != UCT_FETCH_OK || r->an.leaf == NULL ||
		    !uct_approval_ok(r->an.approval))
			continue;
		hp = uct_endpoint_hostport(r->ep);
		if (hp != NULL)
			uct_state_set_seen(&run->record.state, hp, r->an.leaf,
					   run->outcome.started);
		free(hp);
	}
}

static int compute_exit(const struct uct_run *run)
{
	size_t i;

	/* Without a valid trust document the run changed nothing on purpose. */
	if (run->cfg->mode == UCT_MODE_COLLECTOR && run->read.trustdoc == NULL &&
	    run->cfg->command != UCT_CMD_REMOVE)
		return 1;
	if (run->cfg->command == UCT_CMD_REMOVE) {
		for (i = 0; i < run->plan.n_changes; i++)
			if (run->plan.changes[i].status != UCT_CS_DONE)
				return 1;
		return run->outcome.problems.n > 0 ? 1 : 0;
	}
	for (i = 0; i < run->read.eps.n; i++)
		if (run->read.res[i].verdict != UCT_V_TRUSTED)
			return 1;
	return 0;
}

static char *summary_line(const struct uct_run *run)
{
	size_t i, trusted = 0;

	for (i = 0; i < run->read.eps.n; i++)
		if (run->read.res[i].verdict == UCT_V_TRUSTED)
			trusted++;
	return uct_asprintf("%zu/%zu endpoints trusted, %zu changes", trusted, run->read.eps.n,
			    run->plan.n_changes);
}

static int save_state(struct uct_run *run, struct uct_err *err)
{
	char *path = uct_asprintf("%s/state", run->record.state_dir);
	int rc;

	if (path == NULL)
		return uct_err_set(err, UCT_E_NOMEM, ENOMEM, "out of memory");
	free(run->record.state.last_command);
	free(run->record.state.last_summary);
	run->record.state.last_command =
		uct_strdup(run->cfg->command == UCT_CMD_REMOVE ? "remove" : "install");
	run->record.state.last_summary = summary_line(run);
	run->record.state.last_run = run->outcome.started;
	run->record.state.last_exit = run->outcome.exit_code;
	rc = uct_state_save(path, &run->record.state, err);
	free(path);
	return rc;
}

static int load_state(struct uct_run *run, struct uct_err *err)
{
	char *path = uct_asprintf("%s/state", run->record.state_dir);
	int rc;

	if (path == NULL)
		return uct_err_set(err, UCT_E_NOMEM, ENOMEM, "out of memory");
	rc = uct_state_load(path, &run->record.state, &run->record.state_damaged, err);
	free(path);
	return rc;
}

static int analyse_all(struct uct_run *run, struct uct_err *err)
{
	struct uct_analyse_ctx actx = {
		.cfg = run->cfg,
		.ca_certs = &run->read.ca_certs,
		.state = &run->record.state,
		.now = run->outcome.started,
		.trustdoc = run->read.trustdoc,
		.trust_problem = run->read.trust_problem,
	};
	size_t i;

	run->read.res = calloc(run->read.eps.n + 1, sizeof(*run->read.res));
	if (run->read.res == NULL)
		return uct_err_set(err, UCT_E_NOMEM, ENOMEM, "out of memory");
	for (i = 0; i < run->read.eps.n; i++) {
		run->read.res[i].ep = &run->read.eps.v[i];
		run->read.res[i].target = &run->read.targets[run->read.eps.v[i].target];
		uct_analyse(&actx, run->read.eps.v[i].host, run->read.eps.v[i].port,
			    &run->read.res[i].target->chain, &run->read.res[i].an);
	}
	return 0;
}

static int discover(struct uct_run *run, struct uct_err *err)
{
	struct uct_discover_opts dopts = {
		.scope =
			run->cfg->scope == UCT_SCOPE_MACHINE ? UCT_STORES_MACHINE : UCT_STORES_USER,
		.home = run->cfg->home,
		.nss_dbs = &run->cfg->nss_dbs,
		.browsers = run->cfg->browsers,
		.create_chromium_db =
			run->cfg->command == UCT_CMD_INSTALL || run->cfg->command == UCT_CMD_CHECK,
		.quiet = run->cfg->quiet,
		.problems = &run->outcome.problems,
	};
	size_t s;

	if (run->inputs.stores != NULL) {
		run->stores.v = run->inputs.stores;
		run->stores.n = run->inputs.n_stores;
	} else if (uct_stores_discover(&dopts, &run->stores.v, &run->stores.n, err) < 0) {
		return -1;
	}
	run->stores.answers = calloc(run->stores.n + 1, sizeof(*run->stores.answers));
	if (run->stores.answers == NULL)
		return uct_err_set(err, UCT_E_NOMEM, ENOMEM, "out of memory");
	for (s = 0; s < run->stores.n; s++) {
		run->stores.answers[s].before =
			calloc(run->read.eps.n + 1, sizeof(*run->stores.answers[s].before));
		run->stores.answers[s].after =
			calloc(run->read.eps.n + 1, sizeof(*run->stores.answers[s].after));
		if (run->stores.answers[s].before == NULL || run->stores.answers[s].after == NULL)
			return uct_err_set(err, UCT_E_NOMEM, ENOMEM, "out of memory");
	}
	return 0;
}

/*
 * How long a writer waits for another run's lock: 60 s, long enough for a
 * run stuck on a slow server; UCCX_TRUST_LOCK_WAIT (seconds, 0 to 3600)
 * changes it, for a login script that would rather not wait at all.
 */
static long lock_wait_ms(void)
{
	const char *env = getenv("UCCX_TRUST_LOCK_WAIT");
	char *end;
	double s;

	if (env == NULL || env[0] == '\0')
		return 60000;
	s = strtod(env, &end);
	if (*end != '\0' || !(s >= 0 && s <= 3600)) {
		uct_log(UCT_LOG_WARN,
			"UCCX_TRUST_LOCK_WAIT='%s' is not 0 to 3600 seconds; waiting 60 s", env);
		return 60000;
	}
	return (long)(s * 1000);
}

/* Every store in turn; remove also tidies each, so that it leaves nothing
 * of ours, not even what a killed run left beside a store. */
static int process_stores(struct uct_run *run, struct uct_err *err)
{
	size_t s;

	for (s = 0; s < run->stores.n; s++) {
		if (process_store(run, s, err) < 0)
			return -1;
		if (run->cfg->command == UCT_CMD_REMOVE && run->stores.v[s]->ops->tidy != NULL)
			run->stores.v[s]->ops->tidy(run->stores.v[s]);
	}
	return 0;
}

int uct_run_execute(struct uct_run *run, const struct uct_config *cfg, struct uct_err *err)
{
	return uct_run_execute_with(run, cfg, NULL, err);
}

/*
 * Before anything is read: the state directory (checked), the writers'
 * lock for install and remove (*lock, released by the caller), the state
 * and the verification cache. -1 with err.
 */
static int run_prepare(struct uct_run *run, struct uct_lock **lock, struct uct_err *err)
{
	const struct uct_config *cfg = run->cfg;
	char *lock_path;
	int rc;

	run->record.state_dir = uct_config_state_dir(cfg);
	if (run->record.state_dir == NULL)
		return uct_err_set(err, UCT_E_NOMEM, ENOMEM, "out of memory");
	/* The state decides what is approved: never read from, or written
	 * into, a directory another user controls (a foreign --home). */
	if (uct_dir_check(run->record.state_dir, err) < 0)
		return -1;
	if (cfg->command == UCT_CMD_INSTALL || cfg->command == UCT_CMD_REMOVE) {
		/* One writer at a time: a second run waits, then gives up cleanly. */
		if ((lock_path = uct_asprintf("%s/lock", run->record.state_dir)) == NULL)
			return uct_err_set(err, UCT_E_NOMEM, ENOMEM, "out of memory");
		rc = uct_lock_acquire(lock_path, lock_wait_ms(), lock, err);
		free(lock_path);
		if (rc < 0)
			return -1;
		/* A killed run's temporary files (a run writes the state or its
		 * outcome and the cache, not always all). */
		uct_dir_tidy(run->record.state_dir);
	}
	if (load_state(run, err) < 0)
		return -1;
	run->record.vcache_on = !cfg->recheck && cfg->command != UCT_CMD_REMOVE;
	if (run->record.vcache_on && uct_recall_load(&run->record) < 0)
		return uct_err_set(err, UCT_E_NOMEM, ENOMEM, "out of memory");
	return 0;
}

/*
 * The reading step: approved CA files, endpoints, stores, the servers'
 * chains (not for remove) and their analysis. The network phase ends here,
 * explicitly: its library is unloaded before a store loads its own (NSS),
 * where the run's memory peaks. -1 with err.
 */
static int run_read(struct uct_run *run, struct uct_err *err)
{
	const struct uct_config *cfg = run->cfg;
	enum uct_command cmd = cfg->command;

	if (load_ca_files(run, err) < 0)
		return -1;
	if ((cmd != UCT_CMD_REMOVE || cfg->nodes.n > 0 || cfg->urls.n > 0 ||
	     cfg->socialminer != NULL) &&
	    uct_endpoints_build(cfg, &run->read.eps, err) < 0)
		return -1;
	/* The stores first: one that cannot be used fails the run before any
	 * server is asked. */
	if (discover(run, err) < 0)
		return -1;
	if (cmd != UCT_CMD_REMOVE && (fetch_all(run, err) < 0 || read_trust(run, err) < 0))
		return -1;
	if (cmd == UCT_CMD_REMOVE &&
	    (run->read.targets = calloc(run->read.eps.n_targets + 1, sizeof(*run->read.targets))) ==
		    NULL)
		return uct_err_set(err, UCT_E_NOMEM, ENOMEM, "out of memory");
	uct_net_release();
	return analyse_all(run, err);
}

/* After the stores: verdicts, notices, the exit code and, for install and
 * remove, the state and the cache. -1 with err. */
static int run_conclude(struct uct_run *run, struct uct_err *err)
{
	enum uct_command cmd = run->cfg->command;

	if (compute_verdicts(run, err) < 0)
		return -1;
	collect_notices(run);
	run->outcome.exit_code = compute_exit(run);
	if (cmd == UCT_CMD_INSTALL || cmd == UCT_CMD_REMOVE) {
		update_state(run);
		if (save_state(run, err) < 0)
			return -1;
		uct_recall_save(&run->record, run->outcome.started);
	}
	return 0;
}

int uct_run_execute_with(struct uct_run *run, const struct uct_config *cfg,
			 const struct uct_run_inputs *in, struct uct_err *err)
{
	struct uct_lock *lock = NULL;
	int64_t t0 = uct_monotonic_ms();
	int rc = -1;

	memset(run, 0, sizeof(*run));
	run->cfg = cfg;
	if (in != NULL)
		run->inputs = *in;
	run->outcome.started = uct_now();
	if (run_prepare(run, &lock, err) < 0)
		goto out;
	if (cfg->command == UCT_CMD_STATUS) {
		rc = 0;
		goto out;
	}
	if (run_read(run, err) < 0 || process_stores(run, err) < 0 || run_conclude(run, err) < 0)
		goto out;
	rc = 0;
out:
	run->outcome.elapsed_ms = uct_monotonic_ms() - t0;
	uct_lock_release(lock);
	return rc;
}

void uct_run_free(struct uct_run *run)
{
	size_t i;

	if (run == NULL)
		return;
	for (i = 0; run->read.res != NULL && i < run->read.eps.n; i++)
		free(run->read.res[i].gv);
	free(run->read.res);
	for (i = 0; run->read.targets != NULL && i < run->read.eps.n_targets; i++)
		uct_chain_clear(&run->read.targets[i].chain);
	free(run->read.targets);
	for (i = 0; i < run->plan.n_changes; i++) {
		free(run->plan.changes[i].subject);
		free(run->plan.changes[i].hostports);
	}
	free(run->plan.changes);
	if (run->stores.v != run->inputs.stores)
		uct_stores_free(run->stores.v, run->stores.n);
	for (i = 0; run->stores.answers != NULL && i < run->stores.n; i++) {
		free(run->stores.answers[i].before);
		free(run->stores.answers[i].after);
	}
	free(run->stores.answers);
	uct_chain_clear(&run->read.ca_certs);
	free(run->read.trust_problem);
	uct_endpoints_free(&run->read.eps);
	uct_state_free(&run->record.state);
	uct_vcache_free(&run->record.vcache);
	uct_strv_clear(&run->outcome.notices);
	uct_strv_clear(&run->outcome.problems);
	free(run->record.state_dir);
	memset(run, 0, sizeof(*run));
}
