/*
 * win.h: helpers shared by the Windows implementation of platform.h:
 * UTF-8 <-> UTF-16 conversion (the agent speaks UTF-8, Windows' W calls
 * UTF-16, platform_win.h) and errors carrying GetLastError()'s text.
 * Private to win32/.
 */
#ifndef UCT_WIN_H
#define UCT_WIN_H

#include <windows.h>
#include <winhttp.h>

#include "platform.h"
#include "platform_win.h" /* uct_win_wide, uct_win_utf8, uct_win_getenv */

/* Set err with code, the Windows error e as native value, and the message
 * followed by Windows' own words for e. Returns -1. */
int uct_win_err(struct uct_err *err, int code, DWORD e, const char *fmt, ...)
	__attribute__((format(UCT_PRINTF_FORMAT, 4, 5)));

/* Remove from dir the temporary files "BASE.tmp.PID.N" that writes of
 * dir\BASE killed before their rename left (base NULL: of any BASE, for a
 * directory that is the agent's own), when process PID no longer runs or
 * the file is older than an hour (stale_win.c). Plain files only: a
 * reparse point, a directory, a file held open and any other name stay.
 * Failures are only logged. */
void uct_win_stale_clean(const char *dir, const char *base);
/* The same for path's own temporary files, in its directory. */
void uct_win_stale_beside(const char *path);

/* An http or https URL split the way WinHTTP takes it. */
struct uct_win_url {
	wchar_t host[256];
	wchar_t path[2048];
	INTERNET_PORT port;
	int secure; /* https */
};
/* Split url into out; UCT_E_NET when it is not an http or https URL,
 * UCT_E_NOMEM when out of memory. */
int uct_win_crack_url(const char *url, struct uct_win_url *out, struct uct_err *err);
/* Close a request, its connection and its session; NULL handles are skipped. */
void uct_win_http_close(HINTERNET req, HINTERNET conn, HINTERNET session);

/* Append every certificate of a PEM text or one DER certificate in buf to
 * chain (cert_capi.c); what names the source in errors. */
int uct_capi_parse_any(const char *buf, size_t len, const char *what, struct uct_chain *chain,
		       struct uct_err *err);

/* SHA-256 of data with BCrypt. 0, or -1 when BCrypt fails. */
int uct_capi_sha256(const unsigned char *data, size_t len, unsigned char out[UCT_SHA256_LEN]);

/* The Windows certificate stores (Root, TrustedPeople, CA) of the machine
 * (machine = 1) or of the current user, as one store (store_capi.c). */
struct uct_store *uct_store_capi_new(int machine, struct uct_err *err);

/* What a browser on Windows would make of a chain (uct_capi_chain_check). */
enum uct_capi_chain {
	UCT_CAPI_UNTRUSTED = 0,    /* code names why */
	UCT_CAPI_ROOTED,           /* SSL policy passed with the name, no chain error
				      bit, and the top is a self-signed certificate in
				      Root */
	UCT_CAPI_SELF_SIGNED_LEAF, /* a lone self-signed leaf whose only fault is that
				      Root lacks it: trusted by Chrome and Edge only
				      from LocalMachine\TrustedPeople, which the
				      caller checks (with the name and dates) */
};

/* Build and check chain for host as a browser on Windows would, with the
 * machine's chain engine and stores (machine = 1) or the current user's
 * (which see the machine's too). Wine's SSL policy alone is not believed:
 * the chain's error bits and its top are checked too (store_capi.c).
 * *result as above; when not UCT_CAPI_ROOTED, code names the CERT_E_ or
 * CERT_TRUST_ reason. -1 with err set only when the check cannot run. */
int uct_capi_chain_check(const struct uct_chain *chain, const char *host, int machine,
			 enum uct_capi_chain *result, char *code, size_t code_len,
			 struct uct_err *err);

/* The Firefox policy ImportEnterpriseRoots (ffpolicy_win.c), machine-wide:
 * wanted = 1 sets it to 1 when absent and records that the agent did;
 * wanted = 0 removes it only when the agent set it and it is still 1. An
 * administrator's value is never changed. Failures are logged (warning):
 * Firefox 120+ imports the roots without it. */
void uct_win_ffpolicy_apply(int wanted);

/* 1 when an administrator's policy CAPlatformIntegrationEnabled = 0 makes
 * Chrome or Edge ignore the Windows stores, with where set to the browser
 * and the key ("Chrome (HKLM\SOFTWARE\Policies\Google\Chrome)"); 0 when
 * none does (doctor_win.c). */
int uct_win_ca_policy_off(char *where, size_t len);

#endif
