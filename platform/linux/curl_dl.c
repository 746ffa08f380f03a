/*
 * curl_dl.c: loads libcurl with dlopen when the network phase starts and
 * unloads it when uct_net_release says the phase is over.
 *
 * Why: Debian's libcurl4 (OpenSSL flavour) still pulls in GnuTLS, nettle,
 * gmp, p11-kit, krb5, LDAP, libssh2, librtmp and more: about 30 libraries
 * and 4 MiB of mapped pages. Linked, they stay resident for the whole run,
 * including its peak, which comes later while an NSS database is open with
 * softokn, freebl and SQLite loaded on top. Opened RTLD_LOCAL and closed
 * after curl_global_cleanup, the whole tree leaves the address space before
 * the first database is opened. libssl and libcrypto stay: we link them.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "curl_dl.h"
#include "dl_table.h"
#include "platform.h"

/* The soname of libcurl 7.x and 8.x; the runtime package is libcurl4. */
#define CURL_DL_SONAME "libcurl.so.4"

static const struct uct_dl_symbol curl_dl_symbols[] = {
	{"curl_global_init", offsetof(struct uct_curl_api, global_init)},
	{"curl_global_cleanup", offsetof(struct uct_curl_api, global_cleanup)},
	{"curl_easy_init", offsetof(struct uct_curl_api, easy_init)},
	{"curl_easy_setopt", offsetof(struct uct_curl_api, easy_setopt)},
	{"curl_easy_getinfo", offsetof(struct uct_curl_api, easy_getinfo)},
	{"curl_easy_perform", offsetof(struct uct_curl_api, easy_perform)},
	{"curl_easy_cleanup", offsetof(struct uct_curl_api, easy_cleanup)},
	{"curl_easy_strerror", offsetof(struct uct_curl_api, easy_strerror)},
	{"curl_slist_append", offsetof(struct uct_curl_api, slist_append)},
	{"curl_slist_free_all", offsetof(struct uct_curl_api, slist_free_all)},
	{"curl_multi_init", offsetof(struct uct_curl_api, multi_init)},
	{"curl_multi_add_handle", offsetof(struct uct_curl_api, multi_add_handle)},
	{"curl_multi_remove_handle", offsetof(struct uct_curl_api, multi_remove_handle)},
	{"curl_multi_perform", offsetof(struct uct_curl_api, multi_perform)},
	{"curl_multi_poll", offsetof(struct uct_curl_api, multi_poll)},
	{"curl_multi_info_read", offsetof(struct uct_curl_api, multi_info_read)},
	{"curl_multi_cleanup", offsetof(struct uct_curl_api, multi_cleanup)},
};

/* Guards the handle and the table: tests fetch from several threads. */
static pthread_mutex_t curl_dl_lock = PTHREAD_MUTEX_INITIALIZER;
static void *curl_dl_handle;
static struct uct_curl_api curl_dl_api;

static int curl_dl_open(struct uct_err *err)
{
	CURLcode rc;

	curl_dl_handle = uct_dl_open_table(CURL_DL_SONAME, "libcurl4", "libcurl", curl_dl_symbols,
					   sizeof(curl_dl_symbols) / sizeof(curl_dl_symbols[0]),
					   &curl_dl_api, err);
	if (curl_dl_handle == NULL) {
		memset(&curl_dl_api, 0, sizeof(curl_dl_api));
		return -1;
	}
	rc = curl_dl_api.global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK) {
		uct_err_set(err, UCT_E_SYSTEM, rc, "cannot initialise libcurl: %s",
			    curl_dl_api.easy_strerror(rc));
		goto err;
	}
	return 0;
err:
	dlclose(curl_dl_handle);
	curl_dl_handle = NULL;
	memset(&curl_dl_api, 0, sizeof(curl_dl_api));
	return -1;
}

const struct uct_curl_api *uct_curl_load(struct uct_err *err)
{
	int rc = 0;

	pthread_mutex_lock(&curl_dl_lock);
	if (curl_dl_handle == NULL)
		rc = curl_dl_open(err);
	pthread_mutex_unlock(&curl_dl_lock);
	return rc == 0 ? &curl_dl_api : NULL;
}

void uct_net_release(void)
{
	pthread_mutex_lock(&curl_dl_lock);
	if (curl_dl_handle != NULL) {
		curl_dl_api.global_cleanup();
		dlclose(curl_dl_handle);
		curl_dl_handle = NULL;
		memset(&curl_dl_api, 0, sizeof(curl_dl_api));
	}
	pthread_mutex_unlock(&curl_dl_lock);
}

struct curl_slist *uct_curl_list(const struct uct_curl_api *cu, const struct uct_strv *lines,
				 int *failed)
{
	struct curl_slist *list = NULL, *grown;
	size_t i;

	*failed = 0;
	for (i = 0; lines != NULL && i < lines->n; i++) {
		grown = cu->slist_append(list, lines->v[i]);
		if (grown == NULL) {
			cu->slist_free_all(list);
			*failed = 1;
			return NULL;
		}
		list = grown;
	}
	return list;
}
