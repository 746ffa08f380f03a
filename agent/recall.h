/*
 * recall.h: how a run uses the verification cache (vcache.h): a store
 * byte for byte unchanged since an earlier run is not opened; the answers
 * it gave then are used.
 */
#ifndef UCT_RECALL_H
#define UCT_RECALL_H

#include "plan.h"
#include "run.h"

/* What the cache is used with, borrowed from a run: the chains and names
 * its answers are for, the stores whose answers it fills, the cache
 * itself, and when the run started (the age of what is kept). */
struct uct_recall_ctx {
	const struct uct_run_read *read;
	const struct uct_run_stores *stores;
	struct uct_run_record *record;
	int64_t started;
};

/* Load the cache of record->state_dir into record->vcache. -1 only when
 * out of memory (a missing or damaged file is an empty cache). */
int uct_recall_load(struct uct_run_record *record);
/* Write record->vcache back when it changed, without what is too old at
 * started; a failure is only logged. */
void uct_recall_save(struct uct_run_record *record, int64_t started);
/* 1 with the store's digest in digest, 0 when the store has none now
 * (not cached, not created yet, a write in progress, caching off). */
int uct_recall_digest(const struct uct_run_record *record, struct uct_store *store,
		      unsigned char digest[UCT_SHA256_LEN]);
/* 1 when the cache holds what store s showed with this digest: its
 * objects appended to owned, the answers of store s (before, checked_at)
 * filled for every endpoint reached. 0: open the store. */
int uct_recall_store(const struct uct_recall_ctx *ctx, size_t s,
		     const unsigned char digest[UCT_SHA256_LEN], struct uct_owned *owned);
/* Keep what store s showed (owned, and results: one per endpoint) under
 * digest, taken before it was opened, if it is still the same now that it
 * is closed. */
void uct_remember_store(const struct uct_recall_ctx *ctx, size_t s,
			const unsigned char digest[UCT_SHA256_LEN], const struct uct_owned *owned,
			const struct uct_verify_result *results);

#endif
