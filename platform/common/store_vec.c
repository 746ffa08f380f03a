/*
 * store_vec.c: appending to the list of discovered stores (store_vec.h).
 */
#include <stdlib.h>

#include "store_vec.h"

int uct_store_vec_push(struct uct_store_vec *vec, struct uct_store *store, struct uct_err *err)
{
	struct uct_store **grown;
	size_t cap;

	if (vec->n == vec->cap) {
		cap = vec->cap ? vec->cap * 2 : 8;
		grown = realloc(vec->v, cap * sizeof(*grown));
		if (grown == NULL) {
			store->ops->destroy(store);
			return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
		}
		vec->v = grown;
		vec->cap = cap;
	}
	vec->v[vec->n++] = store;
	return 0;
}

void uct_store_free_base(struct uct_store *store)
{
	free(store->impl);
	free(store->id);
	free(store->path);
	free(store->group);
	free(store);
}
