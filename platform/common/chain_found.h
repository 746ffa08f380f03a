/*
 * chain_found.h: the last step of reading certificates from a file or a
 * download, shared by the OpenSSL and the crypt32 readers.
 */
#ifndef UCT_CHAIN_FOUND_H
#define UCT_CHAIN_FOUND_H

#include "platform.h"

/*
 * Move every certificate of found to the end of chain. found is empty
 * afterwards; on failure its certificates are freed. -1 with err when found
 * has none ("WHAT: no certificate found ...", UCT_E_PARSE) or memory runs
 * out; chain is then unchanged.
 */
int uct_chain_append_found(struct uct_chain *chain, struct uct_chain *found, const char *what,
			   struct uct_err *err);

#endif
