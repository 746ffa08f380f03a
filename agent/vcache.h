/*
 * vcache.h: what each browser database answered in an earlier run, kept in
 * the state directory and used again while the database is byte for byte
 * the same, so that a login run with nothing to change opens no database.
 */
#ifndef UCT_VCACHE_H
#define UCT_VCACHE_H

#include "platform.h"
#include "uct.h"

/* A stored answer is used for at most this long (seconds), whatever else. */
#define UCT_VCACHE_MAX_AGE (24 * 3600)

/* One verification: a host name and a chain (leaf first), and the answer,
 * which holds while the clock stays in [valid_from, valid_until): no
 * certificate of the chain starts or ends its validity inside it. */
struct uct_vcache_answer {
	char *host;
	unsigned char (*chain)[UCT_SHA256_LEN];
	size_t chain_n;
	int64_t valid_from;
	int64_t valid_until;
	struct uct_verify_result result;
};

/* Everything one store showed at checked_at while its content had digest. */
struct uct_vcache_store {
	char *store_id;
	unsigned char digest[UCT_SHA256_LEN];
	int64_t checked_at;
	struct uct_store_entry *owned; /* the store's list: our objects (label NULL) */
	size_t n_owned;
	struct uct_vcache_answer *answers;
	size_t n_answers;
};

struct uct_vcache {
	struct uct_vcache_store *stores;
	size_t n;
	int dirty; /* changed since loaded: save it */
};

/* Load path into c (cleared on entry). A missing, unreadable or damaged
 * file is an empty cache: it only ever saves work. -1 only when out of
 * memory. */
int uct_vcache_load(const char *path, struct uct_vcache *c);
/* Write c to path atomically (mode 0600). */
int uct_vcache_save(const char *path, const struct uct_vcache *c, struct uct_err *err);
void uct_vcache_free(struct uct_vcache *c); /* NULL-safe; leaves c empty */

/* The record of store_id when it was taken from the same content (digest),
 * not more than UCT_VCACHE_MAX_AGE ago and not in the future; else NULL.
 * Borrowed from c. */
const struct uct_vcache_store *uct_vcache_find(const struct uct_vcache *c, const char *store_id,
					       const unsigned char digest[UCT_SHA256_LEN],
					       int64_t now);
/* The answer the record holds for chain and host, still valid at now, or
 * NULL. Borrowed from rec. */
const struct uct_verify_result *uct_vcache_answer(const struct uct_vcache_store *rec,
						  const struct uct_chain *chain, const char *host,
						  int64_t now);

/* Start a new record of store_id (replacing any older one) with a copy of
 * the n_owned entries of owned; add its answers with uct_vcache_add_answer. NULL when out of
 * memory. Borrowed from c. */
struct uct_vcache_store *uct_vcache_put(struct uct_vcache *c, const char *store_id,
					const unsigned char digest[UCT_SHA256_LEN],
					int64_t checked_at, const struct uct_store_entry *owned,
					size_t n_owned);
/* Record what the store answered at rec->checked_at for chain and host (a
 * question already there is kept). -1 when out of memory. */
int uct_vcache_add_answer(struct uct_vcache *c, struct uct_vcache_store *rec,
			  const struct uct_chain *chain, const char *host,
			  const struct uct_verify_result *result);
/* Forget the record of store_id (its content changed in this run). */
void uct_vcache_drop(struct uct_vcache *c, const char *store_id);
/* Forget the records too old to be used at now (a profile deleted since,
 * a store no longer managed), so that the file stays small. */
void uct_vcache_prune(struct uct_vcache *c, int64_t now);

#endif
