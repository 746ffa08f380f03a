/*
 * store_mem.h: a trust store that lives in memory, for tests that drive
 * whole runs (tests/unit/test_run.c) without a browser's database. It
 * implements every store op, verifies as its own trust says, and fails
 * on request the way a real store can fail.
 */
#ifndef UCT_STORE_MEM_H
#define UCT_STORE_MEM_H

#include "platform.h"

/* Failures a test asks for; all off when zero. */
struct uct_mem_faults {
	int fail_open;    /* open fails (UCT_E_IO), as an unreadable database */
	size_t oom_after; /* list runs out of memory after this many entries
				   (0: never) and fails with UCT_E_NOMEM */
	int fail_add;     /* add fails (UCT_E_IO) and writes nothing */
};

/* What a test reads back after a run. */
struct uct_mem_counts {
	size_t entries;  /* objects held now */
	size_t adds;     /* successful add calls */
	size_t removes;  /* successful remove calls that took something out */
	size_t rw_opens; /* opens for writing */
};

/* A new empty store with this id (also its path) and group, for browser,
 * with caps (UCT_STORE_ bits) on top of none of its kind. NULL when out of
 * memory. Free with store->ops->destroy. */
struct uct_store *uct_store_mem_new(const char *id, const char *group, enum uct_browser browser,
				    unsigned int caps);
/* The faults of store, for the test to set (borrowed from store). */
struct uct_mem_faults *uct_store_mem_faults(struct uct_store *store);
/* What happened to store so far. */
struct uct_mem_counts uct_store_mem_counts(const struct uct_store *store);
/* The trust store holds for sha256 (UCT_TRUST_NONE when absent). */
enum uct_trust uct_store_mem_trust(const struct uct_store *store,
				   const unsigned char sha256[UCT_SHA256_LEN]);

/* A uct_entry_cb that fails at once, as a collector out of memory does
 * (UCT_E_NOMEM, "collector out of memory"): a store's list op must then
 * fail with that error. */
int uct_test_entry_nomem(const struct uct_store_entry *entry, void *ctx, struct uct_err *err);

#endif
