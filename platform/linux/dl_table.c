/*
 * dl_table.c: loads a shared library and a table of its functions for the
 * libraries the agent opens only when it needs them (libcurl, NSS).
 */
#include <dlfcn.h>
#include <string.h>

#include "dl_table.h"

void *uct_dl_open_table(const char *soname, const char *package, const char *what,
			const struct uct_dl_symbol *symbols, size_t n, void *api,
			struct uct_err *err)
{
	const char *why;
	void *handle, *fn;
	size_t i;

	handle = dlopen(soname, RTLD_LAZY | RTLD_LOCAL);
	if (handle == NULL) {
		why = dlerror();
		uct_err_set(err, UCT_E_SYSTEM, 0, "cannot load %s (install the %s package): %s",
			    soname, package, why != NULL ? why : "unknown reason");
		return NULL;
	}
	/* The handle's lookups cover its dependencies (NSS: NSPR, nssutil). */
	for (i = 0; i < n; i++) {
		fn = dlsym(handle, symbols[i].name);
		if (fn == NULL) {
			dlclose(handle);
			uct_err_set(err, UCT_E_SYSTEM, 0, "%s has no %s: %s is too old", soname,
				    symbols[i].name, what);
			return NULL;
		}
		/* POSIX guarantees a data pointer can hold a function address. */
		memcpy((char *)api + symbols[i].offset, &fn, sizeof(fn));
	}
	return handle;
}
