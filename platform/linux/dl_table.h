/*
 * dl_table.h: loading a shared library with dlopen and a table of its
 * functions into a struct of pointers (curl_dl.c, nss_dl.c).
 */
#ifndef UCT_DL_TABLE_H
#define UCT_DL_TABLE_H

#include <stddef.h>

#include "platform.h"

/* A function of the library and where its address goes in the struct. */
struct uct_dl_symbol {
	const char *name;
	size_t offset;
};

/*
 * dlopen soname (RTLD_LAZY | RTLD_LOCAL) and store each of the n symbols'
 * addresses in api at its offset. Returns the handle (the caller's to
 * dlclose), or NULL with err naming the Debian package to install when the
 * library cannot be loaded, or the missing function ("<what> is too old");
 * api may then hold some addresses, which the caller must not use.
 */
void *uct_dl_open_table(const char *soname, const char *package, const char *what,
			const struct uct_dl_symbol *symbols, size_t n, void *api,
			struct uct_err *err);

#endif
