/*
 * recall.c: a run's use of the verification cache (vcache.h): the digest
 * of a store, the answers recalled for it instead of opening it, and what
 * is kept after a run read it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "plan.h"
#include "recall.h"

static char *vcache_path(const struct uct_run_record *record)
{
	return uct_asprintf("%s/verify-cache", record->state_dir);
}

int uct_recall_load(struct uct_run_record *record)
{
	char *path = vcache_path(record);
	int rc = path != NULL ? uct_vcache_load(path, &record->vcache) : -1;

	free(path);
	return rc;
}

/* The cache only ever saves work: failing to write it is worth a line in
 * the log, not a failed run. */
void uct_recall_save(struct uct_run_record *record, int64_t started)
{
	struct uct_err err = {0};
	char *path;

	if (!record->vcache.dirty || (path = vcache_path(record)) == NULL)
		return;
	uct_vcache_prune(&record->vcache, started);
	if (uct_vcache_save(path, &record->vcache, &err) < 0)
		uct_log(UCT_LOG_INFO, "verification cache not saved: %s", err.msg);
	free(path);
}

/* The store's digest now, or 0 when it has none (not cached, a write in
 * progress: then it is simply opened). */
int uct_recall_digest(const struct uct_run_record *record, struct uct_store *store,
		      unsigned char digest[UCT_SHA256_LEN])
{
	struct uct_err err = {0};

	if (!record->vcache_on || store->ops->digest == NULL || store->created)
		return 0;
	if (store->ops->digest(store, digest, &err) < 0) {
		uct_log(UCT_LOG_DEBUG, "%s: verifying again: %s", store->path, err.msg);
		return 0;
	}
	return 1;
}

/*
 * What the store showed in an earlier run when its content was the same:
 * our objects and, for every endpoint reached now, the answer for its
 * chain and name. 1 when everything is there (owned and before filled).
 */
int uct_recall_store(const struct uct_recall_ctx *ctx, size_t s,
		     const unsigned char digest[UCT_SHA256_LEN], struct uct_owned *owned)
{
	const struct uct_store *store = ctx->stores->v[s];
	struct uct_verify_result *before = uct_run_stores_answers(ctx->stores, s)->before;
	const struct uct_vcache_store *rec =
		uct_vcache_find(&ctx->record->vcache, store->id, digest, ctx->started);
	const struct uct_verify_result *known;
	const struct uct_chain *chain;
	size_t i;

	if (rec == NULL)
		return 0;
	for (i = 0; i < ctx->read->eps.n; i++) {
		memset(&before[i], 0, sizeof(before[i]));
		if ((chain = uct_run_read_chain(ctx->read, i)) == NULL)
			continue;
		known = uct_vcache_answer(rec, chain, ctx->read->eps.v[i].host, ctx->started);
		if (known == NULL)
			return 0;
		before[i] = *known;
	}
	for (i = 0; i < rec->n_owned; i++)
		if (uct_owned_collect(&rec->owned[i], owned, NULL) < 0)
			return 0;
	uct_log(UCT_LOG_DEBUG,
		"%s: unchanged since it was verified %" PRId64 " s ago; "
		"those answers are used (--recheck verifies again)",
		store->path, ctx->started - rec->checked_at);
	uct_run_stores_answers(ctx->stores, s)->checked_at = rec->checked_at;
	return 1;
}

/*
 * Keep what the store showed, under the digest taken before it was
 * opened, only if the content is still the same after it was closed (a
 * browser could have written in between).
 */
void uct_remember_store(const struct uct_recall_ctx *ctx, size_t s,
			const unsigned char digest[UCT_SHA256_LEN], const struct uct_owned *owned,
			const struct uct_verify_result *results)
{
	struct uct_store *store = ctx->stores->v[s];
	unsigned char now[UCT_SHA256_LEN];
	const struct uct_chain *chain;
	struct uct_vcache_store *rec;
	size_t i;

	if (!uct_recall_digest(ctx->record, store, now) || memcmp(now, digest, sizeof(now)) != 0)
		return;
	rec = uct_vcache_put(&ctx->record->vcache, store->id, digest, ctx->started, owned->v,
			     owned->n);
	for (i = 0; rec != NULL && i < ctx->read->eps.n; i++) {
		if ((chain = uct_run_read_chain(ctx->read, i)) == NULL)
			continue;
		/* A failure of the verification itself is not the store's answer. */
		if (strcmp(results[i].code, "VERIFY_FAILED") == 0 ||
		    uct_vcache_add_answer(&ctx->record->vcache, rec, chain,
					  ctx->read->eps.v[i].host, &results[i]) < 0) {
			uct_vcache_drop(&ctx->record->vcache, store->id);
			return;
		}
	}
}
