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

/* What store should hold for endpoint i of run (want->cert NULL: nothing). */
void uct_plan_want(const struct uct_run *run, const struct uct_store *store, size_t i,
		   struct uct_want *want);
/* "host:port" of an endpoint, newly allocated (NULL when out of memory). */
char *uct_endpoint_hostport(const struct uct_endpoint *ep);
/* 1 when the comma-separated list holds item as a whole element. */
int uct_hostports_have(const char *list, const char *item);

/* Append to run->plan.changes what store s needs (check and install): additions
 * and trust updates. owned is what the store's list op reported; the
 * verification before the run (uct_run_answers) tells what it already
 * trusts by other means. Returns -1 only when out of memory. */
int uct_plan_adds(struct uct_run *run, size_t s, const struct uct_owned *owned);
/* Append the removals: for `remove` every object of ours; otherwise only
 * those the state says served endpoints that were reached and now need
 * another certificate (a renewal replaced them). */
int uct_plan_removals(struct uct_run *run, size_t s, const struct uct_owned *owned);

#endif
