/*
 * http_winhttp.c: the Windows side of talking to the collector: one POST
 * (a report) or GET (the trust document) with WinHTTP (verification on,
 * through the Windows stores), random report ids from BCrypt, and the
 * directory helpers of the report spool.
 */
#include <windows.h>
#include <bcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <winhttp.h>

#include "log.h"
#include "win.h"

int uct_random_bytes(void *buf, size_t n, struct uct_err *err)
{
	NTSTATUS st = BCryptGenRandom(NULL, buf, (ULONG)n, BCRYPT_USE_SYSTEM_PREFERRED_RNG);

	if (!BCRYPT_SUCCESS(st))
		return uct_err_set(err, UCT_E_SYSTEM, (long)st, "BCryptGenRandom failed");
	return 0;
}

/* The --connect-to line for host:port, as curl reads it, or 0. */
static int http_connect_to(const struct uct_strv *lines, const wchar_t *host, int port,
			   char *to_host, size_t to_len, int *to_port)
{
	char *h = uct_win_utf8(host), want[300];
	size_t i, n;
	int found = 0;

	if (h == NULL || lines == NULL) {
		free(h);
		return 0;
	}
	n = (size_t)snprintf(want, sizeof(want), "%s:%d:", h, port);
	for (i = 0; i < lines->n && !found; i++) {
		const char *rest, *colon;

		if (strncasecmp(lines->v[i], want, n) != 0)
			continue;
		rest = lines->v[i] + n;
		colon = strrchr(rest, ':');
		if (colon == NULL || (size_t)(colon - rest) >= to_len)
			continue;
		memcpy(to_host, rest, (size_t)(colon - rest));
		to_host[colon - rest] = '\0';
		*to_port = atoi(colon + 1);
		found = *to_port > 0;
	}
	free(h);
	return found;
}

/* A WinHTTP session with the system's proxy (automatic where it can be,
 * else the default), NULL with err set. */
static HINTERNET http_session(DWORD timeout_ms, struct uct_err *err)
{
	HINTERNET session;

	session = WinHttpOpen(L"uccx-trust/" UCT_VERSION, WINHTTP_ACCESS_TYPE_AUTOMATIC_PROXY,
			      WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
	if (session == NULL)
		session = WinHttpOpen(L"uccx-trust/" UCT_VERSION, WINHTTP_ACCESS_TYPE_DEFAULT_PROXY,
				      WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
	if (session == NULL) {
		uct_win_err(err, UCT_E_NET, GetLastError(), "cannot start WinHTTP");
		return NULL;
	}
	WinHttpSetTimeouts(session, (int)timeout_ms, (int)timeout_ms, (int)timeout_ms,
			   (int)timeout_ms);
	return session;
}

/* The request (verb "POST" or "GET") for u; as with the fetch, a mapped
 * name is reached at its mapped address. NULL when it cannot be made
 * (GetLastError tells). */
static HINTERNET http_open(HINTERNET session, const wchar_t *verb, const struct uct_win_url *u,
			   const struct uct_strv *connect_to, HINTERNET *conn)
{
	char to_host[256];
	wchar_t *wto = NULL;
	int to_port = 0;

	if (http_connect_to(connect_to, u->host, u->port, to_host, sizeof(to_host), &to_port))
		wto = uct_win_wide(to_host);
	*conn = WinHttpConnect(session, wto != NULL ? wto : u->host,
			       (INTERNET_PORT)(wto != NULL ? to_port : u->port), 0);
	free(wto);
	if (*conn == NULL)
		return NULL;
	return WinHttpOpenRequest(*conn, verb, u->path, NULL, WINHTTP_NO_REFERER,
				  WINHTTP_DEFAULT_ACCEPT_TYPES,
				  u->secure ? WINHTTP_FLAG_SECURE : 0);
}

/* Send one request with its headers (first, then the token's) and body,
 * and read the answer's status into *status; -1 with err. */
static int http_exchange(HINTERNET hreq, const char *url, const char *first, const char *token,
			 const void *body, size_t len, long *status, struct uct_err *err)
{
	DWORD code = 0, size = sizeof(code);
	wchar_t *headers;
	char *hdr;
	int rc = -1;

	hdr = uct_asprintf("%s\r\n%s%s%s", first, token ? "Authorization: Bearer " : "",
			   token ? token : "", token ? "\r\n" : "");
	headers = uct_win_wide(hdr);
	if (headers != NULL &&
	    WinHttpSendRequest(hreq, headers, (DWORD)-1L,
			       len > 0 ? (LPVOID)body : WINHTTP_NO_REQUEST_DATA, (DWORD)len,
			       (DWORD)len, 0) &&
	    WinHttpReceiveResponse(hreq, NULL) &&
	    WinHttpQueryHeaders(hreq, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
				WINHTTP_HEADER_NAME_BY_INDEX, &code, &size,
				WINHTTP_NO_HEADER_INDEX)) {
		*status = (long)code;
		rc = 0;
	} else {
		uct_win_err(err, UCT_E_NET, GetLastError(), "%s", url);
	}
	free(headers);
	free(hdr);
	return rc;
}

/* The collector's trust settings WinHTTP can honour: a pin cannot be (the
 * request would go unpinned, defeating it: -1), a CA file is not needed
 * (the Windows stores decide; said once in the log). */
static int http_tls_settings(const char *url, const char *pin, const char *ca_file,
			     struct uct_err *err)
{
	if (pin != NULL)
		return uct_err_set(err, UCT_E_NET, 0,
				   "%s: [report] pin is not supported on Windows yet", url);
	if (ca_file != NULL)
		uct_log(UCT_LOG_WARN, "report_ca is not used on Windows: the collector's "
				      "certificate must chain to the Windows certificate store");
	return 0;
}

int uct_http_post(const struct uct_http_post *req, long *status, struct uct_err *err)
{
	HINTERNET session = NULL, conn = NULL, hreq = NULL;
	struct uct_win_url u;
	int rc = -1;

	*status = 0;
	if (uct_win_crack_url(req->url, &u, err) < 0 ||
	    http_tls_settings(req->url, req->pin, req->ca_file, err) < 0)
		return -1;
	session = http_session((DWORD)req->timeout_ms, err);
	if (session == NULL)
		return -1;
	hreq = http_open(session, L"POST", &u, req->connect_to, &conn);
	if (hreq == NULL)
		uct_win_err(err, UCT_E_NET, GetLastError(), "%s", req->url);
	else
		rc = http_exchange(hreq, req->url, "Content-Type: application/json", req->token,
				   req->body, req->len, status, err);
	uct_win_http_close(hreq, conn, session);
	return rc;
}

/* Read the whole answer of hreq, at most max bytes, into a new buffer. */
static int http_read_body(HINTERNET hreq, const struct uct_http_get *req, char **body, size_t *len,
			  struct uct_err *err)
{
	char *buf = NULL, *grown;
	size_t used = 0, cap = 0;
	DWORD avail, got;

	for (;;) {
		avail = 0;
		if (!WinHttpQueryDataAvailable(hreq, &avail))
			goto net;
		if (avail == 0)
			break;
		if (avail > req->max_len - used) {
			free(buf);
			return uct_err_set(err, UCT_E_NET, 0,
					   "%s: the answer is larger than %zu bytes", req->url,
					   req->max_len);
		}
		if (used + avail + 1 > cap) {
			cap = (used + avail + 1) * 2;
			grown = realloc(buf, cap);
			if (grown == NULL) {
				free(buf);
				return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
			}
			buf = grown;
		}
		got = 0;
		if (!WinHttpReadData(hreq, buf + used, avail, &got))
			goto net;
		used += got;
	}
	if (buf == NULL && (buf = malloc(1)) == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	buf[used] = '\0';
	*body = buf;
	*len = used;
	return 0;
net:
	free(buf);
	return uct_win_err(err, UCT_E_NET, GetLastError(), "%s", req->url);
}

int uct_http_get(const struct uct_http_get *req, long *status, char **body, size_t *len,
		 struct uct_err *err)
{
	HINTERNET session = NULL, conn = NULL, hreq = NULL;
	struct uct_win_url u;
	int rc = -1;

	*status = 0;
	*body = NULL;
	*len = 0;
	if (uct_win_crack_url(req->url, &u, err) < 0 ||
	    http_tls_settings(req->url, req->pin, req->ca_file, err) < 0)
		return -1;
	session = http_session((DWORD)req->timeout_ms, err);
	if (session == NULL)
		return -1;
	if (req->connect_timeout_ms > 0 && req->connect_timeout_ms < req->timeout_ms)
		WinHttpSetTimeouts(session, (int)req->timeout_ms, (int)req->connect_timeout_ms,
				   (int)req->timeout_ms, (int)req->timeout_ms);
	hreq = http_open(session, L"GET", &u, req->connect_to, &conn);
	if (hreq == NULL)
		uct_win_err(err, UCT_E_NET, GetLastError(), "%s", req->url);
	else
		rc = http_exchange(hreq, req->url, "Accept: application/json", req->token, NULL, 0,
				   status, err) < 0
			     ? -1
			     : http_read_body(hreq, req, body, len, err);
	uct_win_http_close(hreq, conn, session);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int uct_dir_list(const char *dir, struct uct_strv *names, struct uct_err *err)
{
	char *pattern = uct_asprintf("%s\\*", dir), *name;
	wchar_t *wpattern = uct_win_wide(pattern);
	WIN32_FIND_DATAW fd;
	HANDLE h;
	DWORD e;

	free(pattern);
	if (wpattern == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	h = FindFirstFileW(wpattern, &fd);
	free(wpattern);
	if (h == INVALID_HANDLE_VALUE) {
		e = GetLastError();
		if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND)
			return 0;
		return uct_win_err(err, UCT_E_IO, e, "cannot read %s", dir);
	}
	do {
		if (fd.dwFileAttributes & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT))
			continue;
		name = uct_win_utf8(fd.cFileName);
		if (name == NULL || (name[0] != '.' && uct_strv_push(names, name) < 0)) {
			free(name);
			FindClose(h);
			return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
		}
		free(name);
	} while (FindNextFileW(h, &fd));
	FindClose(h);
	qsort(names->v, names->n, sizeof(*names->v), cmp_names);
	return 0;
}

int uct_file_remove(const char *path, struct uct_err *err)
{
	wchar_t *wpath = uct_win_wide(path);
	DWORD e;

	if (wpath == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	if (!DeleteFileW(wpath)) {
		e = GetLastError();
		free(wpath);
		if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND)
			return 0;
		return uct_win_err(err, UCT_E_IO, e, "cannot remove %s", path);
	}
	free(wpath);
	return 0;
}

/* WinHTTP is part of Windows and always loaded: nothing to release. */
void uct_net_release(void)
{
}
