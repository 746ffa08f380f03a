/*
 * plan.c: what one store must gain or lose for this run: additions for
 * what each endpoint needs and the store does not already trust, and the
 * removal of objects the agent installed that were replaced (renewal) or,
 * for `remove`, all of them. Pure decisions over the parts of a run: nothing
 * here touches a store, so the planning is unit-tested with no database.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "approved.h"
#include "machine.h"
#include "plan.h"
#include "records.h"

/* What this store should hold for endpoint i, or want->cert == NULL. */
/* 1 when the store's browser profile has an NSS database of its own. */
static int group_has_nss(const struct uct_run_stores *stores, const struct uct_store *store)
{
	size_t s;

	for (s = 0; s < stores->n; s++)
		if (stores->v[s] != store && strcmp(stores->v[s]->group, store->group) == 0 &&
		    !uct_store_supports(stores->v[s], UCT_STORE_BY_HOST))
			return 1;
	return 0;
}

/*
 * A private CA's leaf trusted without approval is held as a leaf only (NSS
 * peer trust, Windows TrustedPeople). A Firefox profile with no database of
 * its own (Firefox on Windows, which reads only the Windows Root and CA
 * stores; a profile Firefox has not started yet) cannot see that: its
 * exception for the host and port is the one way, and as narrow as trust
 * gets.
 */
static int override_for_leaf(const struct uct_plan_ctx *ctx, const struct uct_store *store,
			     const struct uct_analysis *an)
{
	return an->leaf != NULL && !an->leaf->self_signed && an->chromium.cert == an->leaf &&
	       !group_has_nss(ctx->stores, store);
}

void uct_plan_want(const struct uct_plan_ctx *ctx, const struct uct_store *store, size_t i,
		   struct uct_want *want)
{
	const struct uct_analysis *an = &ctx->read->res[i].an;

	memset(want, 0, sizeof(*want));
	if (uct_store_is_machine(store)) {
		uct_machine_want(an, want);
	} else if (uct_store_supports(store, UCT_STORE_BY_HOST)) {
		if (an->firefox_override || override_for_leaf(ctx, store, an)) {
			want->cert = an->leaf;
			want->trust = UCT_TRUST_OVERRIDE;
		}
	} else if (store->browser == UCT_BROWSER_FIREFOX) {
		*want = an->firefox;
	} else {
		*want = an->chromium;
	}
	/* A store whose browsers take no CA-issued leaf (Windows: Chrome and
	 * Edge read TrustedPeople only for self-signed leaves) is given none:
	 * holding it would help no browser, and the run reports such an
	 * endpoint as needing its CA approved. */
	if (want->cert != NULL && want->cert == an->leaf && !an->leaf->self_signed &&
	    want->trust != UCT_TRUST_OVERRIDE &&
	    uct_store_supports(store, UCT_STORE_NO_CA_ISSUED_LEAF))
		memset(want, 0, sizeof(*want));
}

char *uct_endpoint_hostport(const struct uct_endpoint *ep)
{
	return uct_asprintf("%s:%d", ep->host, ep->port);
}

/* 1 when the comma-separated list holds item as a whole element: a plain
 * substring test would take "a.example.com:443" for "ca.example.com:443"
 * or "host:443" for "host:4431". */
int uct_hostports_have(const char *list, const char *item)
{
	return uct_rec_list_has(list, item, 0);
}

int uct_owned_collect(const struct uct_store_entry *entry, void *ctx, struct uct_err *err)
{
	struct uct_owned *w = ctx;
	struct uct_store_entry *grown = realloc(w->v, (w->n + 1) * sizeof(*grown));

	if (grown == NULL)
		return uct_err_set(err, UCT_E_NOMEM, ENOMEM,
				   "out of memory while listing the certificates of the agent");
	w->v = grown;
	w->v[w->n] = *entry;
	/* Strings are borrowed for the callback only. */
	w->v[w->n].label = NULL;
	w->v[w->n].host = entry->host != NULL ? uct_strdup(entry->host) : NULL;
	w->n++;
	return 0;
}

void uct_owned_free(struct uct_owned *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		free((char *)w->v[i].host);
	free(w->v);
}

/* An entry is ours when the store tags it (NSS) or, for the override
 * file, which has no room for a tag, when the state says we wrote it. */
static int entry_is_ours(const struct uct_state *state, const struct uct_store *store,
			 const struct uct_store_entry *e)
{
	if (!uct_store_supports(store, UCT_STORE_UNTAGGED))
		return 1;
	return uct_state_find_installed(state, store->id, e->sha256) != NULL;
}

static struct uct_change *add_change(struct uct_run_plan *plan, const struct uct_store *store,
				     enum uct_change_action action, const unsigned char *sha256,
				     enum uct_trust trust, const char *subject,
				     const char *hostport)
{
	struct uct_change *grown = realloc(plan->changes, (plan->n_changes + 1) * sizeof(*grown));
	struct uct_change *ch;

	if (grown == NULL)
		return NULL;
	plan->changes = grown;
	ch = &plan->changes[plan->n_changes++];
	memset(ch, 0, sizeof(*ch));
	ch->store = store;
	ch->action = action;
	ch->trust = trust;
	memcpy(ch->sha256, sha256, UCT_SHA256_LEN);
	ch->subject = uct_strdup(subject != NULL ? subject : "");
	ch->hostports = uct_strdup(hostport != NULL ? hostport : "");
	return ch;
}

static struct uct_change *find_change(struct uct_run_plan *plan, const struct uct_store *store,
				      const unsigned char *sha256, enum uct_change_action action)
{
	size_t i;

	for (i = 0; i < plan->n_changes; i++)
		if (plan->changes[i].store == store && plan->changes[i].action == action &&
		    memcmp(plan->changes[i].sha256, sha256, UCT_SHA256_LEN) == 0)
			return &plan->changes[i];
	return NULL;
}

static const struct uct_store_entry *owned_find(const struct uct_owned *w, const unsigned char *sha,
						const char *host, int port)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		if (memcmp(w->v[i].sha256, sha, UCT_SHA256_LEN) != 0)
			continue;
		if (host != NULL && w->v[i].host != NULL &&
		    (strcasecmp(w->v[i].host, host) != 0 || w->v[i].port != port))
			continue;
		return &w->v[i];
	}
	return NULL;
}

static int override_planned(const struct uct_run_plan *plan, const struct uct_store *store,
			    const unsigned char *sha256, const char *hostport)
{
	size_t i;

	for (i = 0; i < plan->n_changes; i++)
		if (plan->changes[i].store == store && plan->changes[i].action != UCT_CH_REMOVE &&
		    memcmp(plan->changes[i].sha256, sha256, UCT_SHA256_LEN) == 0 &&
		    strcmp(plan->changes[i].hostports, hostport) == 0)
			return 1;
	return 0;
}

/* 1 when the store holds, as ours, a certificate of the chain endpoint i
 * presents: its trust then comes from us, and goes when that object is
 * replaced or revoked. */
static int trusted_by_ours(const struct uct_plan_ctx *ctx, size_t i, const struct uct_owned *owned)
{
	const struct uct_chain *chain = uct_run_read_chain(ctx->read, i);
	size_t c;

	for (c = 0; chain != NULL && c < chain->n; c++)
		if (owned_find(owned, chain->certs[c]->sha256, NULL, 0) != NULL)
			return 1;
	return 0;
}

/* 1 when endpoint i needs want in store: neither held as ours with that
 * trust nor trusted already by something not ours (an enterprise root the
 * user installed), which is left alone. *have: what the store holds. */
static int add_needed(const struct uct_plan_ctx *ctx, size_t s, size_t i,
		      const struct uct_owned *owned, const struct uct_want *want,
		      const struct uct_store_entry **have)
{
	const struct uct_store *store = ctx->stores->v[s];
	const struct uct_store_answers *answers = uct_run_stores_answers(ctx->stores, s);
	int by_host = uct_store_supports(store, UCT_STORE_BY_HOST);

	*have = owned_find(owned, want->cert->sha256, by_host ? ctx->read->eps.v[i].host : NULL,
			   ctx->read->eps.v[i].port);
	if (*have != NULL)
		return (*have)->trust != want->trust || !entry_is_ours(ctx->state, store, *have);
	return by_host || answers == NULL || !answers->before[i].trusted ||
	       trusted_by_ours(ctx, i, owned);
}

/* Plan want for endpoint i (hostport hp): a new change, or hp added to the
 * change planned for the same certificate by another endpoint. -1 when
 * out of memory. */
static int add_one(struct uct_run_plan *plan, struct uct_store *store, const struct uct_want *want,
		   const struct uct_store_entry *have, const char *hp)
{
	int by_host = uct_store_supports(store, UCT_STORE_BY_HOST);
	struct uct_change *ch = NULL;
	char *merged;

	/* An override is one line per host and port, whatever the paths on it. */
	if (by_host && override_planned(plan, store, want->cert->sha256, hp))
		return 0;
	if (!by_host) {
		ch = find_change(plan, store, want->cert->sha256, UCT_CH_ADD);
		if (ch == NULL)
			ch = find_change(plan, store, want->cert->sha256, UCT_CH_UPDATE);
	}
	if (ch != NULL) {
		/* Two endpoints on one port (finesse and cfadmin) list it once. */
		if (uct_hostports_have(ch->hostports, hp))
			return 0;
		if ((merged = uct_asprintf("%s,%s", ch->hostports, hp)) == NULL)
			return -1;
		free(ch->hostports);
		ch->hostports = merged;
		return 0;
	}
	ch = add_change(plan, store, have != NULL ? UCT_CH_UPDATE : UCT_CH_ADD, want->cert->sha256,
			want->trust, want->cert->subject, hp);
	return ch != NULL ? 0 : -1;
}

/* Plan additions for install: what each endpoint needs that the store
 * neither holds as ours nor already trusts some other way. */
int uct_plan_adds(const struct uct_plan_ctx *ctx, size_t s, const struct uct_owned *owned,
		  struct uct_run_plan *plan)
{
	struct uct_store *store = ctx->stores->v[s];
	const struct uct_store_entry *have;
	struct uct_want want;
	char *hp;
	size_t i;
	int rc;

	for (i = 0; i < ctx->read->eps.n; i++) {
		uct_plan_want(ctx, store, i, &want);
		if (want.cert == NULL || !add_needed(ctx, s, i, owned, &want, &have))
			continue;
		if ((hp = uct_endpoint_hostport(&ctx->read->eps.v[i])) == NULL)
			return -1;
		rc = add_one(plan, store, &want, have, hp);
		free(hp);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* 1 when every endpoint the state says this object served was reached now
 * and wants something else in this store: the object was replaced. */
static int entry_replaced(const struct uct_plan_ctx *ctx, size_t s, const struct uct_installed *rec)
{
	struct uct_want want;
	char *hp;
	size_t i;
	int served = 0, still = 0;

	for (i = 0; i < ctx->read->eps.n; i++) {
		hp = uct_endpoint_hostport(&ctx->read->eps.v[i]);
		if (hp == NULL)
			return 0;
		if (uct_hostports_have(rec->hostports, hp)) {
			served++;
			uct_plan_want(ctx, ctx->stores->v[s], i, &want);
			if (ctx->read->res[i].target->status != UCT_FETCH_OK ||
			    !uct_approval_ok(ctx->read->res[i].an.approval))
				still++;
			else if (want.cert != NULL &&
				 memcmp(want.cert->sha256, rec->sha256, UCT_SHA256_LEN) == 0)
				still++;
		}
		free(hp);
	}
	return served > 0 && still == 0;
}

/*
 * Collector mode: 1 when rec was installed for an approval of the
 * collector's document and nothing approves it any more: the document
 * approves it for none of its endpoints, and none of them, reached now,
 * wants it for an approval (a leaf a Firefox exception holds under an
 * approved CA). An endpoint not reached leaves it in place, since what
 * it would want cannot be told; with no document nothing is revoked.
 */
static int entry_revoked(const struct uct_plan_ctx *ctx, size_t s, const struct uct_installed *rec)
{
	struct uct_want want;
	char *hp;
	size_t i;
	int keep = 0;

	if (ctx->cfg->mode != UCT_MODE_COLLECTOR || ctx->read->trustdoc == NULL ||
	    !rec->collector ||
	    uct_approved_for_any(ctx->read->trustdoc, rec->sha256, rec->hostports))
		return 0;
	for (i = 0; i < ctx->read->eps.n && !keep; i++) {
		if ((hp = uct_endpoint_hostport(&ctx->read->eps.v[i])) == NULL)
			return 0;
		if (uct_hostports_have(rec->hostports, hp)) {
			uct_plan_want(ctx, ctx->stores->v[s], i, &want);
			keep = ctx->read->res[i].target->status != UCT_FETCH_OK ||
			       (uct_approval_ok(ctx->read->res[i].an.approval) &&
				want.cert != NULL &&
				memcmp(want.cert->sha256, rec->sha256, UCT_SHA256_LEN) == 0);
		}
		free(hp);
	}
	return !keep;
}

int uct_plan_removals(const struct uct_plan_ctx *ctx, size_t s, const struct uct_owned *owned,
		      struct uct_run_plan *plan)
{
	struct uct_store *store = ctx->stores->v[s];
	const struct uct_installed *rec;
	char hp[300];
	size_t k;
	int revoked;

	for (k = 0; k < owned->n; k++) {
		const struct uct_store_entry *e = &owned->v[k];

		if (!entry_is_ours(ctx->state, store, e))
			continue;
		rec = uct_state_find_installed(ctx->state, store->id, e->sha256);
		if (ctx->cfg->command != UCT_CMD_REMOVE) {
			/* Without a record we cannot tell what it served: keep it. */
			if (rec == NULL)
				continue;
			revoked = entry_revoked(ctx, s, rec);
			if (!revoked && !entry_replaced(ctx, s, rec))
				continue;
			/* An override line is replaced in place by the add; a
			 * revoked one has no add to replace it. */
			if (!revoked && uct_store_supports(store, UCT_STORE_BY_HOST))
				continue;
		}
		if (e->host != NULL)
			snprintf(hp, sizeof(hp), "%s:%d", e->host, e->port);
		else
			snprintf(hp, sizeof(hp), "%s", rec != NULL ? rec->hostports : "");
		if (add_change(plan, store, UCT_CH_REMOVE, e->sha256, e->trust, NULL, hp) == NULL)
			return -1;
	}
	return 0;
}
