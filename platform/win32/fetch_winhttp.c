/*
 * fetch_winhttp.c: the Windows chain fetch. WinHTTP performs each TLS
 * handshake with certificate checks switched off (the four
 * SECURITY_FLAG_IGNORE_* flags), then hands over the server's certificate
 * (WINHTTP_OPTION_SERVER_CERT_CONTEXT), whose store holds the chain the
 * server sent. One thread per target, so a dead host costs one timeout.
 *
 * The certificate is taken when the handshake completes, never after an
 * HTTP answer: a status callback for WINHTTP_CALLBACK_STATUS_SENDING_REQUEST
 * (which WinHTTP sends once the connection, TLS included, is up and before
 * the request goes out) reads it and signals the waiting caller. A server
 * that answers HTTP late or never (`openssl s_server -www` ignores HEAD)
 * is therefore read at once. The thread itself may still sit in
 * WinHttpSendRequest (Wine's synchronous send waits for the answer) until
 * WinHTTP's own timeout; the caller does not wait for it.
 *
 * connect-to: WinHTTP connects to the name it is given and has no option
 * to connect elsewhere while keeping that name. A mapped target is reached
 * at CONNECT-HOST:CONNECT-PORT with "Host: HOST:PORT"; the TLS server name
 * (SNI) is then CONNECT-HOST (none for an IP address), so a server that
 * picks its certificate by SNI answers with its default one. The mapping is
 * a test and diagnosis aid; real runs reach servers by their own names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "win.h" /* windows.h first: winhttp.h needs its types */

#include <wincrypt.h>
#include <winhttp.h>

#include "log.h"

#define FETCH_ISSUER_MAX (64 * 1024)
#define FETCH_UA L"uccx-trust/" UCT_WIDE(UCT_VERSION)
#define UCT_WIDE2(s) L##s
#define UCT_WIDE(s) UCT_WIDE2(s)

/* One handshake, run on its own thread; the thread writes only here. */
struct fetch_job {
	HINTERNET session;
	wchar_t *host; /* where to connect */
	int port;
	wchar_t *path;
	wchar_t *host_hdr; /* "Host: H:P" when connect-to mapped the target */
	long timeout_ms;
	enum uct_fetch_status status;
	char detail[256];
	struct uct_chain chain;
	long elapsed_ms;
	HANDLE thread;
	HANDLE taken; /* set once the certificate is read: the job's fields are final */
	int64_t t0;
};

/* ---- connect-to -------------------------------------------------------- */

/* Look host:port up in the "HOST:PORT:CONNECT-HOST:CONNECT-PORT" lines (an
 * empty field matches anything / keeps the original, as curl does). Returns
 * 1 and fills *chost (new) and *cport on a match. */
static int fetch_map(const struct uct_net_opts *opts, const char *host, int port, char **chost,
		     int *cport)
{
	size_t i, hlen;
	const char *line, *p, *rest, *colon;

	for (i = 0; opts->connect_to != NULL && i < opts->connect_to->n; i++) {
		line = opts->connect_to->v[i];
		p = strchr(line, ':');
		if (p == NULL)
			continue;
		hlen = (size_t)(p - line);
		if (hlen > 0 && (hlen != strlen(host) || _strnicmp(line, host, hlen) != 0))
			continue;
		rest = strchr(p + 1, ':');
		if (rest == NULL)
			continue;
		if (rest > p + 1 && atoi(p + 1) != port)
			continue;
		rest++;
		colon = strrchr(rest, ':');
		if (colon == NULL || (rest[0] == '[' && colon < strchr(rest, ']')))
			continue;
		if (colon == rest)
			*chost = uct_strdup(host);
		else if (rest[0] == '[')
			*chost = uct_asprintf("%.*s", (int)(colon - rest - 2), rest + 1);
		else
			*chost = uct_asprintf("%.*s", (int)(colon - rest), rest);
		*cport = colon[1] != '\0' ? atoi(colon + 1) : port;
		return *chost != NULL;
	}
	return 0;
}

/* ---- the handshake ----------------------------------------------------- */

static void fetch_status(struct fetch_job *job, DWORD e, const char *step)
{
	switch (e) {
	case ERROR_WINHTTP_NAME_NOT_RESOLVED: job->status = UCT_FETCH_DNS; break;
	case ERROR_WINHTTP_CANNOT_CONNECT:
	case ERROR_WINHTTP_CONNECTION_ERROR: job->status = UCT_FETCH_REFUSED; break;
	case ERROR_WINHTTP_TIMEOUT: job->status = UCT_FETCH_TIMEOUT; break;
	case ERROR_WINHTTP_SECURE_FAILURE:
	case ERROR_WINHTTP_SECURE_CHANNEL_ERROR:
	case ERROR_WINHTTP_SECURE_INVALID_CERT:
	case ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED: job->status = UCT_FETCH_TLS; break;
	case ERROR_WINHTTP_AUTO_PROXY_SERVICE_ERROR:
	case ERROR_WINHTTP_BAD_AUTO_PROXY_SCRIPT:
	case ERROR_WINHTTP_UNABLE_TO_DOWNLOAD_SCRIPT: job->status = UCT_FETCH_PROXY; break;
	default: job->status = UCT_FETCH_ERROR;
	}
	{
		struct uct_err err = {0};

		/* Name what failed: WinHttpSendRequest covers connect and handshake. */
		if (job->status == UCT_FETCH_REFUSED)
			step = "cannot connect";
		else if (job->status == UCT_FETCH_DNS)
			step = "the name does not resolve";
		else if (job->status == UCT_FETCH_TIMEOUT)
			step = "no answer in time";
		uct_win_err(&err, UCT_E_NET, e, "%s", step);
		snprintf(job->detail, sizeof(job->detail), "%s", err.msg);
	}
}

/* The certificates of the server's store, leaf first, each followed by its
 * issuer when the server sent it; the rest (sent but unlinked) after. */
static int fetch_collect(const CERT_CONTEXT *leaf, struct uct_chain *chain, struct uct_err *err)
{
	const CERT_CONTEXT *c = NULL, *cur = leaf;
	const CERT_CONTEXT *all[16];
	int used[16] = {0};
	size_t n = 0, i, k;
	struct uct_cert *cert;
	int rc = -1;

	all[n++] = CertDuplicateCertificateContext(leaf);
	used[0] = 1;
	while (leaf->hCertStore != NULL && n < 16 &&
	       (c = CertEnumCertificatesInStore(leaf->hCertStore, c)) != NULL) {
		if (CertCompareCertificate(X509_ASN_ENCODING, c->pCertInfo, leaf->pCertInfo))
			continue;
		all[n++] = CertDuplicateCertificateContext(c);
	}
	if (c != NULL)
		CertFreeCertificateContext(c);
	if (uct_cert_parse(leaf->pbCertEncoded, leaf->cbCertEncoded, &cert, err) < 0 ||
	    uct_chain_push(chain, cert) < 0)
		goto out;
	for (k = 1; k < n; k++) {
		for (i = 1; i < n; i++)
			if (!used[i] &&
			    !CertCompareCertificateName(X509_ASN_ENCODING, &cur->pCertInfo->Subject,
							&cur->pCertInfo->Issuer) &&
			    CertCompareCertificateName(X509_ASN_ENCODING, &cur->pCertInfo->Issuer,
						       &all[i]->pCertInfo->Subject))
				break;
		if (i == n)
			for (i = 1; i < n && used[i]; i++)
				;
		used[i] = 1;
		cur = all[i];
		if (uct_cert_parse(cur->pbCertEncoded, cur->cbCertEncoded, &cert, err) < 0 ||
		    uct_chain_push(chain, cert) < 0)
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		CertFreeCertificateContext(all[i]);
	return rc;
}

static void fetch_set_timeouts(HINTERNET h, long ms)
{
	int t = (int)(ms > 0 ? ms : 5000);

	WinHttpSetTimeouts(h, t, t, t, t);
}

/* Read the server's certificate and chain from a connected request into
 * the job, then mark the job done (taken). Called at most once with a
 * result: a job already taken is left alone. */
static void fetch_take(struct fetch_job *job, HINTERNET req)
{
	const CERT_CONTEXT *leaf = NULL;
	DWORD size = sizeof(leaf);
	struct uct_err err = {0};

	if (WaitForSingleObject(job->taken, 0) == WAIT_OBJECT_0)
		return;
	if (!WinHttpQueryOption(req, WINHTTP_OPTION_SERVER_CERT_CONTEXT, &leaf, &size) ||
	    leaf == NULL) {
		fetch_status(job, GetLastError(), "the server's certificate is not available");
	} else if (fetch_collect(leaf, &job->chain, &err) < 0) {
		job->status = UCT_FETCH_TLS;
		snprintf(job->detail, sizeof(job->detail), "the server's certificate: %s", err.msg);
	} else {
		job->status = UCT_FETCH_OK;
	}
	if (leaf != NULL)
		CertFreeCertificateContext(leaf);
	job->elapsed_ms = (long)(uct_monotonic_ms() - job->t0);
	SetEvent(job->taken);
}

/* WinHTTP's status callback, on the fetch thread: the handshake is done
 * when the request is about to be sent. */
static void CALLBACK fetch_on_status(HINTERNET req, DWORD_PTR context, DWORD status, void *info,
				     DWORD info_len)
{
	(void)info;
	(void)info_len;
	if (status == WINHTTP_CALLBACK_STATUS_SENDING_REQUEST && context != 0)
		fetch_take((struct fetch_job *)context, req);
}

/* Switch certificate checks off, watch for the handshake's end, and set
 * the Host header of a mapped target. 0 or -1 (the job's status set). */
static int fetch_prepare(struct fetch_job *job, HINTERNET req)
{
	DWORD flags;
	DWORD_PTR context = (DWORD_PTR)job;

	fetch_set_timeouts(req, job->timeout_ms);
	/* Verification is the agent's job, not the fetch's: take any chain. */
	flags = SECURITY_FLAG_IGNORE_UNKNOWN_CA | SECURITY_FLAG_IGNORE_CERT_DATE_INVALID |
		SECURITY_FLAG_IGNORE_CERT_CN_INVALID | SECURITY_FLAG_IGNORE_CERT_WRONG_USAGE;
	if (!WinHttpSetOption(req, WINHTTP_OPTION_SECURITY_FLAGS, &flags, sizeof(flags))) {
		fetch_status(job, GetLastError(), "cannot switch certificate checks off");
		return -1;
	}
	if (!WinHttpSetOption(req, WINHTTP_OPTION_CONTEXT_VALUE, &context, sizeof(context)) ||
	    WinHttpSetStatusCallback(req, fetch_on_status, WINHTTP_CALLBACK_FLAG_SEND_REQUEST, 0) ==
		    WINHTTP_INVALID_STATUS_CALLBACK) {
		fetch_status(job, GetLastError(), "cannot watch the TLS handshake");
		return -1;
	}
	if (job->host_hdr != NULL)
		WinHttpAddRequestHeaders(req, job->host_hdr, (DWORD)-1L,
					 WINHTTP_ADDREQ_FLAG_ADD | WINHTTP_ADDREQ_FLAG_REPLACE);
	return 0;
}

/* The job's thread. Once the callback has taken the certificate, the job
 * belongs to the caller and this thread only releases its own handles. */
static DWORD WINAPI fetch_thread(void *arg)
{
	struct fetch_job *job = arg;
	HINTERNET conn = NULL, req = NULL;
	struct fetch_job scratch = {0};
	struct fetch_job *res = job;

	job->t0 = uct_monotonic_ms();
	conn = WinHttpConnect(job->session, job->host, (INTERNET_PORT)job->port, 0);
	if (conn == NULL) {
		fetch_status(job, GetLastError(), "cannot prepare the connection");
		goto out;
	}
	req = WinHttpOpenRequest(conn, L"HEAD", job->path, NULL, WINHTTP_NO_REFERER,
				 WINHTTP_DEFAULT_ACCEPT_TYPES, WINHTTP_FLAG_SECURE);
	if (req == NULL) {
		fetch_status(job, GetLastError(), "cannot prepare the request");
		goto out;
	}
	if (fetch_prepare(job, req) < 0)
		goto out;
	if (!WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0,
				0, 0)) {
		/* A failure after the handshake (the server closed, or did not
		 * answer in time) does not undo a certificate already taken. */
		if (WaitForSingleObject(job->taken, 0) == WAIT_OBJECT_0)
			res = &scratch;
		fetch_status(res, GetLastError(), "TLS handshake failed");
		goto out;
	}
	/* Windows' synchronous send returns once the request is out: the
	 * callback has run, or (no callback seen) the certificate is read here. */
	fetch_take(job, req);
out:
	if (req != NULL) {
		WinHttpSetStatusCallback(req, NULL, 0, 0);
		WinHttpCloseHandle(req);
	}
	if (conn != NULL)
		WinHttpCloseHandle(conn);
	if (WaitForSingleObject(job->taken, 0) != WAIT_OBJECT_0) {
		job->elapsed_ms = (long)(uct_monotonic_ms() - job->t0);
		SetEvent(job->taken);
	}
	return 0;
}

/* ---- sessions ---------------------------------------------------------- */

/* A session that uses the system's proxy settings (Windows 8.1's automatic
 * proxy, falling back to the WinHTTP default on older systems), or the
 * configured proxy. Loopback and local names always go direct. */
static HINTERNET fetch_session(const struct uct_net_opts *opts, struct uct_err *err)
{
	wchar_t *proxy = NULL;
	HINTERNET s;

	if (opts->proxy != NULL && opts->proxy[0] != '\0') {
		proxy = uct_win_wide(opts->proxy);
		if (proxy == NULL) {
			uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
			return NULL;
		}
		s = WinHttpOpen(FETCH_UA, WINHTTP_ACCESS_TYPE_NAMED_PROXY, proxy,
				L"<local>;127.*;localhost", 0);
		free(proxy);
	} else {
		s = WinHttpOpen(FETCH_UA, WINHTTP_ACCESS_TYPE_AUTOMATIC_PROXY,
				WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
		if (s == NULL)
			s = WinHttpOpen(FETCH_UA, WINHTTP_ACCESS_TYPE_DEFAULT_PROXY,
					WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
	}
	if (s == NULL) {
		uct_win_err(err, UCT_E_NET, GetLastError(), "cannot start WinHTTP");
		return NULL;
	}
	fetch_set_timeouts(s, opts->connect_timeout_ms);
	return s;
}

static void fetch_job_free(struct fetch_job *job)
{
	if (job == NULL)
		return;
	free(job->host);
	free(job->path);
	free(job->host_hdr);
	uct_chain_clear(&job->chain);
	if (job->thread != NULL)
		CloseHandle(job->thread);
	if (job->taken != NULL)
		CloseHandle(job->taken);
	free(job);
}

static struct fetch_job *fetch_job_new(HINTERNET session, const struct uct_fetch_target *t,
				       const struct uct_net_opts *opts)
{
	struct fetch_job *job = calloc(1, sizeof(*job));
	char *chost = NULL, *hdr = NULL;
	int cport = t->port;

	if (job == NULL)
		return NULL;
	job->session = session;
	job->taken = CreateEventW(NULL, TRUE, FALSE, NULL);
	job->timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 5000;
	if (opts->total_timeout_ms > 0 && opts->total_timeout_ms < job->timeout_ms)
		job->timeout_ms = opts->total_timeout_ms;
	if (fetch_map(opts, t->host, t->port, &chost, &cport)) {
		hdr = uct_asprintf("Host: %s:%d", t->host, t->port);
		job->host_hdr = uct_win_wide(hdr);
		job->host = uct_win_wide(chost);
		job->port = cport;
	} else {
		job->host = uct_win_wide(t->host);
		job->port = t->port;
	}
	job->path = uct_win_wide(t->path != NULL && t->path[0] == '/' ? t->path : "/");
	free(chost);
	free(hdr);
	if (job->host == NULL || job->path == NULL || job->taken == NULL) {
		fetch_job_free(job);
		return NULL;
	}
	return job;
}

/* A job and a thread for each target; a thread that cannot start leaves
 * its target with that as its result. */
static int fetch_start_jobs(HINTERNET session, struct uct_fetch_target *targets, size_t n,
			    struct fetch_job **jobs, const struct uct_net_opts *opts,
			    struct uct_err *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		targets[i].status = UCT_FETCH_NOT_RUN;
		targets[i].detail[0] = '\0';
		jobs[i] = fetch_job_new(session, &targets[i], opts);
		if (jobs[i] == NULL)
			return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
		jobs[i]->thread = CreateThread(NULL, 0, fetch_thread, jobs[i], 0, NULL);
		if (jobs[i]->thread == NULL) {
			fetch_status(jobs[i], GetLastError(), "cannot start a thread");
			targets[i].status = jobs[i]->status;
		}
	}
	return 0;
}

/* Take the job's result into its target (the chain moves). */
static void fetch_take_result(struct uct_fetch_target *t, struct fetch_job *job)
{
	t->status = job->status;
	memcpy(t->detail, job->detail, sizeof(t->detail));
	t->chain = job->chain;
	memset(&job->chain, 0, sizeof(job->chain));
	t->elapsed_ms = job->elapsed_ms;
	uct_log(UCT_LOG_DEBUG, "%s:%d: %s in %ld ms%s%s", t->host, t->port,
		uct_fetch_status_name(t->status), t->elapsed_ms, t->detail[0] ? ": " : "",
		t->detail);
}

/* Every wait is bounded and ends when the certificate is taken, not when
 * the thread does: a thread still in WinHTTP (waiting for an HTTP answer,
 * or a handshake WinHTTP fails to time out) is abandoned, its job leaked,
 * not freed under it. */
static void fetch_wait_all(struct uct_fetch_target *targets, size_t n, struct fetch_job **jobs,
			   const struct uct_net_opts *opts)
{
	long total = opts->total_timeout_ms > 0 ? opts->total_timeout_ms : 15000;
	int64_t deadline = uct_monotonic_ms() + total + 2000, left;
	size_t i;

	for (i = 0; i < n; i++) {
		if (jobs[i]->thread == NULL)
			continue;
		left = deadline - uct_monotonic_ms();
		if (WaitForSingleObject(jobs[i]->taken, left > 0 ? (DWORD)left : 0) !=
		    WAIT_OBJECT_0) {
			targets[i].status = UCT_FETCH_TIMEOUT;
			snprintf(targets[i].detail, sizeof(targets[i].detail),
				 "no answer within %ld ms", total);
			jobs[i] = NULL;
			continue;
		}
		fetch_take_result(&targets[i], jobs[i]);
	}
}

int uct_fetch_chains(struct uct_fetch_target *targets, size_t n, const struct uct_net_opts *opts,
		     struct uct_err *err)
{
	struct fetch_job **jobs = NULL;
	HINTERNET session;
	size_t i;
	int rc = -1;

	session = fetch_session(opts, err);
	if (session == NULL)
		return -1;
	jobs = calloc(n + 1, sizeof(*jobs));
	if (jobs == NULL) {
		uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
		goto out;
	}
	if (fetch_start_jobs(session, targets, n, jobs, opts, err) < 0)
		goto out;
	fetch_wait_all(targets, n, jobs, opts);
	rc = 0;
out:
	for (i = 0; jobs != NULL && i < n; i++)
		if (jobs[i] != NULL && (jobs[i]->thread == NULL ||
					WaitForSingleObject(jobs[i]->thread, 0) == WAIT_OBJECT_0))
			fetch_job_free(jobs[i]);
	free(jobs);
	WinHttpCloseHandle(session);
	return rc;
}

/* ---- AIA issuer download ---------------------------------------------- */

/* Send the GET for u and wait for the answer's headers. */
static int fetch_issuer_send(HINTERNET session, const struct uct_win_url *u, const char *url,
			     HINTERNET *conn, HINTERNET *req, struct uct_err *err)
{
	DWORD flags;

	*conn = WinHttpConnect(session, u->host, u->port, 0);
	*req = *conn ? WinHttpOpenRequest(*conn, L"GET", u->path, NULL, WINHTTP_NO_REFERER,
					  WINHTTP_DEFAULT_ACCEPT_TYPES,
					  u->secure ? WINHTTP_FLAG_SECURE : 0)
		     : NULL;
	if (*req == NULL)
		return uct_win_err(err, UCT_E_NET, GetLastError(), "%s", url);
	/* What the download brings is only used if its signature links up. */
	flags = SECURITY_FLAG_IGNORE_UNKNOWN_CA | SECURITY_FLAG_IGNORE_CERT_DATE_INVALID |
		SECURITY_FLAG_IGNORE_CERT_CN_INVALID | SECURITY_FLAG_IGNORE_CERT_WRONG_USAGE;
	if (u->secure)
		WinHttpSetOption(*req, WINHTTP_OPTION_SECURITY_FLAGS, &flags, sizeof(flags));
	if (!WinHttpSendRequest(*req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0,
				0, 0) ||
	    !WinHttpReceiveResponse(*req, NULL))
		return uct_win_err(err, UCT_E_NET, GetLastError(), "%s", url);
	return 0;
}

/* The answer's body, at most FETCH_ISSUER_MAX bytes, into buf (one byte
 * more than that, to tell a larger one). */
static int fetch_issuer_read(HINTERNET req, const char *url, char *buf, size_t *used,
			     struct uct_err *err)
{
	DWORD got;

	*used = 0;
	for (;;) {
		if (!WinHttpReadData(req, buf + *used, (DWORD)(FETCH_ISSUER_MAX + 1 - *used), &got))
			return uct_win_err(err, UCT_E_NET, GetLastError(), "%s", url);
		if (got == 0)
			return 0;
		*used += got;
		if (*used > FETCH_ISSUER_MAX)
			return uct_err_set(err, UCT_E_NET, 0, "%s: larger than %d bytes", url,
					   FETCH_ISSUER_MAX);
	}
}

int uct_fetch_issuer(const char *url, const struct uct_net_opts *opts, struct uct_cert **out,
		     struct uct_err *err)
{
	struct uct_win_url u;
	HINTERNET session = NULL, conn = NULL, req = NULL;
	struct uct_chain chain = {0};
	char *buf = NULL;
	size_t used = 0;
	int rc = -1;

	*out = NULL;
	if (uct_win_crack_url(url, &u, err) < 0)
		return -1;
	session = fetch_session(opts, err);
	if (session == NULL)
		goto out;
	fetch_set_timeouts(session, opts->total_timeout_ms);
	if (fetch_issuer_send(session, &u, url, &conn, &req, err) < 0)
		goto out;
	buf = malloc(FETCH_ISSUER_MAX + 1);
	if (buf == NULL) {
		uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
		goto out;
	}
	if (fetch_issuer_read(req, url, buf, &used, err) < 0 ||
	    uct_capi_parse_any(buf, used, url, &chain, err) < 0)
		goto out;
	*out = chain.certs[0];
	chain.certs[0] = NULL;
	rc = 0;
out:
	if (chain.n > 0 && chain.certs[0] == NULL)
		chain.n = 0; /* the first one now belongs to the caller */
	uct_chain_clear(&chain);
	free(buf);
	uct_win_http_close(req, conn, session);
	return rc;
}
