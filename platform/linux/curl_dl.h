/*
 * curl_dl.h: libcurl, loaded at run time for the network phase only. The
 * agent does not link libcurl: see curl_dl.c for why and how.
 */
#ifndef UCT_CURL_DL_H
#define UCT_CURL_DL_H

#include <curl/curl.h>

#include "uct.h"

/* The libcurl functions the platform code calls, resolved with dlsym. */
struct uct_curl_api {
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *easy, CURLoption option, ...);
	CURLcode (*easy_getinfo)(CURL *easy, CURLINFO info, ...);
	CURLcode (*easy_perform)(CURL *easy);
	void (*easy_cleanup)(CURL *easy);
	const char *(*easy_strerror)(CURLcode rc);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
	void (*slist_free_all)(struct curl_slist *list);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_add_handle)(CURLM *multi, CURL *easy);
	CURLMcode (*multi_remove_handle)(CURLM *multi, CURL *easy);
	CURLMcode (*multi_perform)(CURLM *multi, int *running);
	CURLMcode (*multi_poll)(CURLM *multi, struct curl_waitfd extra[], unsigned int n_extra,
				int timeout_ms, int *numfds);
	CURLMsg *(*multi_info_read)(CURLM *multi, int *left);
	CURLMcode (*multi_cleanup)(CURLM *multi);
};

/*
 * Load libcurl.so.4 and run curl_global_init, unless that is done already.
 * Returns the function table (owned by this module, valid until
 * uct_net_release) or NULL with UCT_E_SYSTEM in err when the library is
 * missing, lacks a function or cannot start.
 */
const struct uct_curl_api *uct_curl_load(struct uct_err *err);

/* A curl_slist of the strings of lines (--connect-to), NULL for none. When
 * out of memory returns NULL and sets *failed. Free with slist_free_all. */
struct curl_slist *uct_curl_list(const struct uct_curl_api *cu, const struct uct_strv *lines,
				 int *failed);

#endif
