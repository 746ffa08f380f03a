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

#include "dl_table.h"
#include "nss_dl.h"

#define NSS_DL_SONAME "libnss3.so"

struct uct_nss_api uct_nss_api;

#define UCT_NSS_ENTRY(name) {#name, offsetof(struct uct_nss_api, name)},
static const struct uct_dl_symbol nss_dl_symbols[] = {UCT_NSS_FUNCTIONS(UCT_NSS_ENTRY)};
#undef UCT_NSS_ENTRY

static pthread_mutex_t nss_dl_lock = PTHREAD_MUTEX_INITIALIZER;
static void *nss_dl_handle;

static int nss_dl_open(struct uct_err *err)
{
	struct uct_nss_api api;
	void *handle;

	handle = uct_dl_open_table(NSS_DL_SONAME, "libnss3", "NSS", nss_dl_symbols,
				   sizeof(nss_dl_symbols) / sizeof(nss_dl_symbols[0]), &api, err);
	if (handle == NULL)
		return -1;
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
	n = nss_dl_handle != NULL
		    ? nss_dl_dir_of((const void *)uct_nss_api.NSS_InitContext, dir, sizeof(dir))
		    : 1;
	pthread_mutex_unlock(&nss_dl_lock);
	if (n == 1)
		n = nss_dl_dir_of((const void *)OpenSSL_version, dir, sizeof(dir));
	if (n < 0)
		return -1;
	n = snprintf(buf, size, "%s/%s", dir, NSS_DL_SONAME);
	return n > 0 && (size_t)n < size ? 0 : -1;
}
