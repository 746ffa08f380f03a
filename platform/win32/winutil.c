/*
 * winutil.c: string conversion and error text for the Windows platform
 * code (see win.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "win.h"

wchar_t *uct_win_wide(const char *utf8)
{
	wchar_t *out;
	int n;

	if (utf8 == NULL)
		return NULL;
	n = MultiByteToWideChar(CP_UTF8, 0, utf8, -1, NULL, 0);
	if (n <= 0)
		return NULL;
	out = malloc((size_t)n * sizeof(*out));
	if (out != NULL && MultiByteToWideChar(CP_UTF8, 0, utf8, -1, out, n) <= 0) {
		free(out);
		out = NULL;
	}
	return out;
}

char *uct_win_utf8(const wchar_t *wide)
{
	char *out;
	int n;

	if (wide == NULL)
		return NULL;
	n = WideCharToMultiByte(CP_UTF8, 0, wide, -1, NULL, 0, NULL, NULL);
	if (n <= 0)
		return NULL;
	out = malloc((size_t)n);
	if (out != NULL && WideCharToMultiByte(CP_UTF8, 0, wide, -1, out, n, NULL, NULL) <= 0) {
		free(out);
		out = NULL;
	}
	return out;
}

int uct_win_err(struct uct_err *err, int code, DWORD e, const char *fmt, ...)
{
	char what[384], why[256];
	wchar_t wwhy[256];
	va_list ap;
	DWORD n;
	HMODULE mod;

	if (err == NULL || err->code != UCT_E_NONE)
		return -1;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	/* WinHTTP's codes (12000-12999) have their text in winhttp.dll. */
	mod = (e >= 12000 && e < 13000) ? GetModuleHandleW(L"winhttp.dll") : NULL;
	n = FormatMessageW((mod ? FORMAT_MESSAGE_FROM_HMODULE : FORMAT_MESSAGE_FROM_SYSTEM) |
				   FORMAT_MESSAGE_IGNORE_INSERTS,
			   mod, e, 0, wwhy, sizeof(wwhy) / sizeof(wwhy[0]), NULL);
	while (n > 0 && (wwhy[n - 1] == L'\n' || wwhy[n - 1] == L'\r' || wwhy[n - 1] == L'.'))
		wwhy[--n] = L'\0';
	if (n == 0 || WideCharToMultiByte(CP_UTF8, 0, wwhy, -1, why, sizeof(why), NULL, NULL) <= 0)
		snprintf(why, sizeof(why), "Windows error %lu", (unsigned long)e);
	return uct_err_set(err, code, (long)e, "%s: %s", what, why);
}

char *uct_win_getenv(const char *name)
{
	wchar_t *wname = uct_win_wide(name), *buf = NULL;
	char *out = NULL;
	DWORD n;

	if (wname == NULL)
		return NULL;
	n = GetEnvironmentVariableW(wname, NULL, 0);
	if (n > 0 && (buf = malloc(n * sizeof(*buf))) != NULL &&
	    GetEnvironmentVariableW(wname, buf, n) > 0)
		out = uct_win_utf8(buf);
	free(buf);
	free(wname);
	return out;
}

int uct_win_crack_url(const char *url, struct uct_win_url *out, struct uct_err *err)
{
	wchar_t *wurl = uct_win_wide(url);
	URL_COMPONENTS uc;
	BOOL ok;

	if (wurl == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	memset(out, 0, sizeof(*out));
	memset(&uc, 0, sizeof(uc));
	uc.dwStructSize = sizeof(uc);
	uc.lpszHostName = out->host;
	uc.dwHostNameLength = sizeof(out->host) / sizeof(out->host[0]);
	uc.lpszUrlPath = out->path;
	uc.dwUrlPathLength = sizeof(out->path) / sizeof(out->path[0]);
	ok = WinHttpCrackUrl(wurl, 0, 0, &uc);
	free(wurl);
	if (!ok || (uc.nScheme != INTERNET_SCHEME_HTTP && uc.nScheme != INTERNET_SCHEME_HTTPS))
		return uct_err_set(err, UCT_E_NET, 0, "%s: not an http or https URL", url);
	out->port = uc.nPort;
	out->secure = uc.nScheme == INTERNET_SCHEME_HTTPS;
	return 0;
}

void uct_win_http_close(HINTERNET req, HINTERNET conn, HINTERNET session)
{
	if (req != NULL)
		WinHttpCloseHandle(req);
	if (conn != NULL)
		WinHttpCloseHandle(conn);
	if (session != NULL)
		WinHttpCloseHandle(session);
}
