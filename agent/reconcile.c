/*
 * reconcile.c: the state's records of installed objects kept in step with
 * the stores when a run is killed between writing a store and saving the
 * state (see reconcile.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "reconcile.h"
#include "records.h"

/* 1 when owned holds the object of rec (an override line: for one of the
 * endpoints the record names). */
static int owned_holds(const struct uct_owned *owned, const struct uct_installed *rec, int override)
{
	char hp[300];
	size_t i;

	for (i = 0; i < owned->n; i++) {
		if (memcmp(owned->v[i].sha256, rec->sha256, UCT_SHA256_LEN) != 0)
			continue;
		if (!override || owned->v[i].host == NULL)
			return 1;
		snprintf(hp, sizeof(hp), "%s:%d", owned->v[i].host, owned->v[i].port);
		/* The override file holds host names lowercased. */
		if (uct_rec_list_has(rec->hostports, hp, 1))
			return 1;
	}
	return 0;
}

static void drop_missing(struct uct_state *state, const struct uct_store *store,
			 const struct uct_owned *owned)
{
	size_t k = state->n_installed;
	struct uct_installed *rec;

	/* Backwards: dropping moves the records after it. */
	while (k-- > 0) {
		rec = &state->installed[k];
		if (strcmp(rec->store_id, store->id) != 0 ||
		    owned_holds(owned, rec, uct_store_supports(store, UCT_STORE_BY_HOST)))
			continue;
		uct_log(UCT_LOG_INFO,
			"%s does not hold the certificate the state recorded for %s: "
			"record dropped",
			store->path, rec->hostports);
		uct_state_drop_installed(state, store->id, rec->sha256);
	}
}

/* 1 when endpoint i wants, in store, an object of ours the store holds and
 * the state has no record of; its want in *want. */
static int unrecorded_for(const struct uct_plan_ctx *ctx, const struct uct_store *store, size_t i,
			  const struct uct_owned *owned, struct uct_want *want)
{
	const struct uct_ep_result *r = &ctx->read->res[i];
	size_t k;

	if (r->target->status != UCT_FETCH_OK || !uct_approval_ok(r->an.approval))
		return 0;
	uct_plan_want(ctx, store, i, want);
	if (want->cert == NULL ||
	    uct_state_find_installed(ctx->state, store->id, want->cert->sha256) != NULL)
		return 0;
	for (k = 0; k < owned->n; k++)
		if (memcmp(owned->v[k].sha256, want->cert->sha256, UCT_SHA256_LEN) == 0 &&
		    owned->v[k].trust == want->trust)
			return 1;
	return 0;
}

/* Record the objects ours by their tag that this run wants and the state
 * does not know of, with every endpoint each serves: found first, then
 * recorded, so that the first endpoint's record does not hide the rest. */
static int adopt(const struct uct_plan_ctx *ctx, struct uct_state *state,
		 const struct uct_store *store, const struct uct_owned *owned)
{
	unsigned char *found = calloc(ctx->read->eps.n + 1, 1);
	struct uct_want want;
	char *hp;
	size_t i;
	int rc = 0;

	if (found == NULL)
		return -1;
	for (i = 0; i < ctx->read->eps.n; i++)
		found[i] = (unsigned char)unrecorded_for(ctx, store, i, owned, &want);
	for (i = 0; i < ctx->read->eps.n && rc == 0; i++) {
		if (!found[i])
			continue;
		uct_plan_want(ctx, store, i, &want);
		if ((hp = uct_endpoint_hostport(ctx->read->res[i].ep)) == NULL) {
			rc = -1;
			break;
		}
		uct_log(UCT_LOG_INFO, "%s holds our certificate for %s with no record: recorded",
			store->path, hp);
		rc = uct_state_add_installed(state, store->id, want.cert->sha256, want.trust, hp);
		free(hp);
	}
	free(found);
	return rc;
}

int uct_reconcile_store(const struct uct_plan_ctx *ctx, size_t s, const struct uct_owned *owned,
			struct uct_state *state)
{
	const struct uct_store *store = ctx->stores->v[s];

	drop_missing(state, store, owned);
	/* An override line has no tag: whether it is ours only its record says. */
	if (uct_store_supports(store, UCT_STORE_UNTAGGED))
		return 0;
	return adopt(ctx, state, store, owned);
}

/* 1 when a change of store for sha other than skip has flag set: status
 * DONE (done), or recorded ahead (!done). */
static int sibling(const struct uct_run_plan *plan, const struct uct_store *store,
		   const struct uct_change *skip, int done)
{
	size_t i;

	for (i = 0; i < plan->n_changes; i++) {
		const struct uct_change *ch = &plan->changes[i];

		if (ch == skip || ch->store != store ||
		    memcmp(ch->sha256, skip->sha256, UCT_SHA256_LEN) != 0)
			continue;
		if (done ? ch->status == UCT_CS_DONE : ch->recorded_ahead)
			return 1;
	}
	return 0;
}

int uct_intent_save(struct uct_run_plan *plan, struct uct_run_record *record,
		    const struct uct_store *store, struct uct_err *err)
{
	struct uct_state *state = &record->state;
	struct uct_change *ch;
	char *path;
	size_t i;
	int rc;

	for (i = 0; i < plan->n_changes; i++) {
		ch = &plan->changes[i];
		if (ch->store != store || ch->action == UCT_CH_REMOVE)
			continue;
		/* A record from before this run is left as it is; one made here
		 * gathers every endpoint of the certificate (one override line
		 * per port). */
		if (uct_state_find_installed(state, store->id, ch->sha256) != NULL &&
		    !sibling(plan, store, ch, 0))
			continue;
		if (uct_state_add_installed(state, store->id, ch->sha256, ch->trust,
					    ch->hostports) < 0)
			return uct_err_set(err, UCT_E_NOMEM, ENOMEM, "out of memory");
		ch->recorded_ahead = 1;
	}
	if ((path = uct_asprintf("%s/state", record->state_dir)) == NULL)
		return uct_err_set(err, UCT_E_NOMEM, ENOMEM, "out of memory");
	/* Written only when a record was added (the state compares). */
	rc = uct_state_save(path, state, err);
	free(path);
	if (rc < 0)
		uct_intent_settle(plan, state, store);
	return rc;
}

void uct_intent_settle(struct uct_run_plan *plan, struct uct_state *state,
		       const struct uct_store *store)
{
	size_t i;

	/* Decide first, clear after: siblings are looked at by their flags. */
	for (i = 0; i < plan->n_changes; i++) {
		struct uct_change *ch = &plan->changes[i];

		if (ch->store == store && ch->recorded_ahead && ch->status != UCT_CS_DONE &&
		    !sibling(plan, store, ch, 1))
			uct_state_drop_installed(state, store->id, ch->sha256);
	}
	for (i = 0; i < plan->n_changes; i++)
		if (plan->changes[i].store == store)
			plan->changes[i].recorded_ahead = 0;
}
