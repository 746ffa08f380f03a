/*
 * store_nss.h: what discovery tells an NSS store (store_nss.c) beyond
 * uct_store_nss_new. Private to platform/linux; platform.h is the interface.
 */
#ifndef UCT_STORE_NSS_H
#define UCT_STORE_NSS_H

#include "platform.h"

/*
 * The home the database of store lies in (copied; NULL: none). Every
 * directory from it down to the database must then be writable by its
 * owner only, a sticky bit not excepted (safepath.h,
 * uct_safe_db_dir_open). 0, or -1 with err set when out of memory.
 */
int uct_store_nss_set_home(struct uct_store *store, const char *home, struct uct_err *err);

#endif
