/*
 * reconcile.h: keeping the state's records of what the agent installed in
 * step with the stores across a run killed at any point: the records are
 * made to agree with what a store holds before it is planned, and an
 * addition is recorded, durably, before the store is written.
 */
#ifndef UCT_RECONCILE_H
#define UCT_RECONCILE_H

#include "plan.h"
#include "run.h"

/*
 * Make the state's records of store s agree with owned, what the store
 * holds of ours as its list op (or the verification cache) reported it: a
 * record of an object the store does not hold is dropped (its addition was
 * interrupted, or someone deleted it); an object the store tags as ours and
 * that this run wants for an approved endpoint, with no record, is
 * recorded (the state was not saved after it was added). Override lines
 * carry no tag: one is ours only by its record. state is the one ctx reads
 * (ctx->state), given again to be changed. -1 only when out of memory.
 */
int uct_reconcile_store(const struct uct_plan_ctx *ctx, size_t s, const struct uct_owned *owned,
			struct uct_state *state);

/*
 * Before the changes of store s are applied: record each planned addition
 * that has no record yet and save the state file durably, so that a run
 * killed after the store was written still knows the object is its own
 * (remove takes it out, a renewal replaces it). Those records are marked
 * in the change (recorded_ahead). 0, or -1 with err (nothing recorded may
 * then be written).
 */
int uct_intent_save(struct uct_run_plan *plan, struct uct_run_record *record,
		    const struct uct_store *store, struct uct_err *err);

/* After the changes of store were applied: drop the records made ahead for
 * additions that were not done (failed, deferred). */
void uct_intent_settle(struct uct_run_plan *plan, struct uct_state *state,
		       const struct uct_store *store);

#endif
