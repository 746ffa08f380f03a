/*
 * plan.h: planning the changes of one store (internal to the agent; the
 * unit tests call it directly). See plan.c.
 */
#ifndef UCT_PLAN_H
#define UCT_PLAN_H

#include "run.h"

/* The objects of one store that the agent installed, as its list op
 * reported them (strings copied). */
struct uct_owned {
	struct uct_store_entry *v;
	size_t n;
};
/* A uct_entry_cb that appends to a struct uct_owned (ctx): 0, or -1 with
 * err (NULL allowed) when out of memory, which fails the listing. */
int uct_owned_collect(const struct uct_store_entry *entry, void *ctx, struct uct_err *err);
void uct_owned_free(struct uct_owned *owned); /* frees the members, not owned itself */

/* What planning reads of a run, borrowed from it: the command, what was
 * read and analysed, the stores with their answers, and the records of
 * what the agent installed. */
struct uct_plan_ctx {
	const struct uct_config *cfg;
	const struct uct_run_read *read;
	const struct uct_run_stores *stores;
	const struct uct_state *state;
};

/* What store should hold for endpoint i (want->cert NULL: nothing). */
void uct_plan_want(const struct uct_plan_ctx *ctx, const struct uct_store *store, size_t i,
		   struct uct_want *want);
/* "host:port" of an endpoint, newly allocated (NULL when out of memory). */
char *uct_endpoint_hostport(const struct uct_endpoint *ep);
/* 1 when the comma-separated list holds item as a whole element. */
int uct_hostports_have(const char *list, const char *item);

/* Append to plan what store s needs (check and install): additions and
 * trust updates. owned is what the store's list op reported; the
 * verification before the run (uct_run_stores_answers) tells what it
 * already trusts by other means. Returns -1 only when out of memory. */
int uct_plan_adds(const struct uct_plan_ctx *ctx, size_t s, const struct uct_owned *owned,
		  struct uct_run_plan *plan);
/* Append the removals: for `remove` every object of ours; otherwise only
 * those the state says served endpoints that were reached and now need
 * another certificate (a renewal replaced them). */
int uct_plan_removals(const struct uct_plan_ctx *ctx, size_t s, const struct uct_owned *owned,
		      struct uct_run_plan *plan);

#endif
