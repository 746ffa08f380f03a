/*
 * chain_found.c: appends the certificates a reader found to the caller's
 * chain, all or none, with the same message on every platform.
 */
#include <stdlib.h>

#include "chain_found.h"

int uct_chain_append_found(struct uct_chain *chain, struct uct_chain *found, const char *what,
			   struct uct_err *err)
{
	struct uct_cert **grown;
	size_t i;

	if (found->n == 0) {
		uct_chain_clear(found);
		return uct_err_set(err, UCT_E_PARSE, 0,
				   "%s: no certificate found (expected PEM 'BEGIN CERTIFICATE' or "
				   "DER)",
				   what);
	}
	grown = realloc(chain->certs, (chain->n + found->n) * sizeof(*grown));
	if (grown == NULL) {
		uct_chain_clear(found);
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	}
	chain->certs = grown;
	for (i = 0; i < found->n; i++)
		chain->certs[chain->n++] = found->certs[i];
	free(found->certs);
	found->certs = NULL;
	found->n = 0;
	return 0;
}
