/*
 * nss_dl.c: loads NSS on first use (nss_dl.h). Linked at start, NSS and
 * NSPR cost every run about half a millisecond of relocation and slow the
 * later dlopen of libcurl; most login runs no longer open a database.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "nss_dl.h"

#define NSS_DL_SONAME "libnss3.so"

struct uct_nss_api uct_nss_api;

#define UCT_NSS_ENTRY(name) {#name, offsetof(struct uct_nss_api, name)},
static const struct {
	const char *name;
	size_t offset;
} nss_dl_symbols[] = {UCT_NSS_FUNCTIONS(UCT_NSS_ENTRY)};
#undef UCT_NSS_ENTRY

static pthread_mutex_t nss_dl_lock = PTHREAD_MUTEX_INITIALIZER;
static void *nss_dl_handle;

static int nss_dl_open(struct uct_err *err)
{
	struct uct_nss_api api;
	const char *why;
	void *handle, *fn;
	size_t i;

	handle = dlopen(NSS_DL_SONAME, RTLD_LAZY | RTLD_LOCAL);
	if (handle == NULL) {
		why = dlerror();
		return uct_err_set(err, UCT_E_SYSTEM, 0,
				   "cannot load %s (install the libnss3 package): %s", NSS_DL_SONAME,
				   why != NULL ? why : "unknown reason");
	}
	/* The handle's lookups cover its dependencies: NSPR, nssutil. */
	for (i = 0; i < sizeof(nss_dl_symbols) / sizeof(nss_dl_symbols[0]); i++) {
		fn = dlsym(handle, nss_dl_symbols[i].name);
		if (fn == NULL) {
			dlclose(handle);
			return uct_err_set(err, UCT_E_SYSTEM, 0, "%s has no %s: NSS is too old",
					   NSS_DL_SONAME, nss_dl_symbols[i].name);
		}
		/* POSIX guarantees a data pointer can hold a function address. */
		memcpy((char *)&api + nss_dl_symbols[i].offset, &fn, sizeof(fn));
	}
	uct_nss_api = api;
	/* Never unloaded: NSS keeps global state across its contexts. */
	nss_dl_handle = handle;
	return 0;
}

int uct_nss_load(struct uct_err *err)
{
	int rc = 0;

	pthread_mutex_lock(&nss_dl_lock);
	if (nss_dl_handle == NULL)
		rc = nss_dl_open(err);
	pthread_mutex_unlock(&nss_dl_lock);
	return rc;
}

/* The directory part of the file that holds addr, into buf. */
static int nss_dl_dir_of(const void *addr, char *buf, size_t size)
{
	Dl_info info;
	const char *slash;

	if (dladdr(addr, &info) == 0 || info.dli_fname == NULL ||
	    (slash = strrchr(info.dli_fname, '/')) == NULL ||
	    (size_t)(slash - info.dli_fname) + 1 > size)
		return -1;
	memcpy(buf, info.dli_fname, (size_t)(slash - info.dli_fname));
	buf[slash - info.dli_fname] = '\0';
	return 0;
}

int uct_nss_library_path(char *buf, size_t size)
{
	char dir[4096];
	int n;

	/* Loaded: where it really came from. */
	pthread_mutex_lock(&nss_dl_lock);
	n = nss_dl_handle != NULL ? nss_dl_dir_of((const void *)uct_nss_api.NSS_InitContext, dir,
						   sizeof(dir))
				  : 1;
	pthread_mutex_unlock(&nss_dl_lock);
	if (n == 1)
		n = nss_dl_dir_of((const void *)OpenSSL_version, dir, sizeof(dir));
	if (n < 0)
		return -1;
	n = snprintf(buf, size, "%s/%s", dir, NSS_DL_SONAME);
	return n > 0 && (size_t)n < size ? 0 : -1;
}
