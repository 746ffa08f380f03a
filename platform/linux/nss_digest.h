/*
 * nss_digest.h: the content digest of an NSS database (nss_digest.c), the
 * NSS store's digest operation.
 */
#ifndef UCT_NSS_DIGEST_H
#define UCT_NSS_DIGEST_H

#include "platform.h"

/* SHA-256 over the NSS libraries' identity, the agent's version, the
 * browser's name and the database files of dir that certificates and trust
 * live in. -1 with err set when a file
 * cannot be read or a write is in progress (cert9.db-journal exists). */
int uct_nss_db_digest(const char *dir, enum uct_browser browser, unsigned char out[UCT_SHA256_LEN],
		      struct uct_err *err);

#endif
