/*
 * store_vec.h: the growing list of stores that discovery builds on each
 * platform (a count of profiles is not known in advance).
 */
#ifndef UCT_STORE_VEC_H
#define UCT_STORE_VEC_H

#include "platform.h"

struct uct_store_vec {
	struct uct_store **v;
	size_t n;
	size_t cap;
};

/* Append store, taking it: when memory runs out it is destroyed and err
 * says so (-1). */
int uct_store_vec_push(struct uct_store_vec *vec, struct uct_store *store, struct uct_err *err);

/* The last step of every store's destroy, once its impl's own members are
 * freed: frees impl itself, the strings every store has, and the store. */
void uct_store_free_base(struct uct_store *store);

#endif
