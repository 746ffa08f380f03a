/*
 * fetch_curl.c: the Linux network side. libcurl's multi interface
 * handshakes with every endpoint at once and records the chain each server
 * sent; uct_fetch_issuer downloads one CA certificate from an AIA URL.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/ssl.h>

#include "cert_ossl.h"
#include "curl_dl.h"
#include "log.h"
#include "platform.h"

#define FETCH_DEFAULT_CONNECT_MS 10000L
#define FETCH_DEFAULT_TOTAL_MS 30000L
/* The multi loop ends this long after the total timeout whatever curl does. */
#define FETCH_MARGIN_MS 500L
#define FETCH_ISSUER_MAX (64L * 1024)

/* Used when the caller passes no options: libcurl's environment proxy. */
static const struct uct_net_opts fetch_default_opts = {
	.connect_timeout_ms = FETCH_DEFAULT_CONNECT_MS,
	.total_timeout_ms = FETCH_DEFAULT_TOTAL_MS,
};

/*
 * The libcurl table, set by fetch_ready at each public entry point before
 * any helper below runs (curl_dl.c loads the library on first use and
 * always hands back the same table).
 */
static const struct uct_curl_api *cu;

static int fetch_ready(struct uct_err *err)
{
	const struct uct_curl_api *api = uct_curl_load(err);

	if (api == NULL)
		return -1;
	cu = api;
	return 0;
}

static int64_t fetch_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One handshake: a distinct host:port. */
struct fetch_job {
	CURL *easy;
	struct uct_fetch_target *target;
	char errbuf[CURL_ERROR_SIZE];
	int done;
	struct uct_chain sent;      /* the server's chain, from fetch_on_chain */
	struct uct_err sent_err;    /* why a certificate of it cannot be read */
	struct uct_ossl_seen *seen; /* shared by the jobs of one fetch */
};

static CURLcode fetch_on_ssl_ctx(CURL *easy, void *ssl_ctx, void *job);

/* A numeric option and its value, for the tables below. */
struct fetch_long_opt {
	CURLoption opt;
	long value;
};

static CURLcode fetch_set_longs(CURL *easy, const struct fetch_long_opt *o, size_t n)
{
	CURLcode rc = CURLE_OK;
	size_t i;

	for (i = 0; i < n; i++)
		rc |= cu->easy_setopt(easy, o[i].opt, o[i].value);
	return rc;
}

/*
 * Only the handshake matters: CONNECT_ONLY stops after TLS, and
 * fetch_on_chain records the server's chain during it. Verification is off
 * because this only collects what the server sends; the analysis decides
 * what to trust. A resumed session would not send the chain again.
 */
static const struct fetch_long_opt fetch_chain_longs[] = {
	{CURLOPT_CONNECT_ONLY, 1L},
	{CURLOPT_SSL_VERIFYPEER, 0L},
	{CURLOPT_SSL_VERIFYHOST, 0L},
	{CURLOPT_SSL_SESSIONID_CACHE, 0L},
};

/* The AIA download: a few redirects, an HTTP error is a failure, and the
 * body is capped (a CA certificate is a few KiB). */
static const struct fetch_long_opt fetch_issuer_longs[] = {
	{CURLOPT_FOLLOWLOCATION, 1L},
	{CURLOPT_MAXREDIRS, 3L},
	{CURLOPT_FAILONERROR, 1L},
	{CURLOPT_MAXFILESIZE, FETCH_ISSUER_MAX},
};

/* Options shared by the chain fetch and the issuer download. */
static int fetch_common_opts(CURL *easy, const struct uct_net_opts *opts,
			     struct curl_slist *connect_to, char *errbuf)
{
	long connect_ms =
		opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : FETCH_DEFAULT_CONNECT_MS;
	long total_ms =
		opts->total_timeout_ms > 0 ? opts->total_timeout_ms : FETCH_DEFAULT_TOTAL_MS;
	CURLcode rc = CURLE_OK;

	errbuf[0] = '\0';
	/* No SIGALRM for DNS timeouts: the agent may run threads. */
	rc |= cu->easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	rc |= cu->easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
	/* The connect timeout covers TCP and the TLS handshake. */
	rc |= cu->easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	rc |= cu->easy_setopt(easy, CURLOPT_TIMEOUT_MS, total_ms);
	if (connect_to != NULL)
		rc |= cu->easy_setopt(easy, CURLOPT_CONNECT_TO, connect_to);
	/* Without an explicit proxy libcurl reads http(s)_proxy/no_proxy. */
	if (opts->proxy != NULL)
		rc |= cu->easy_setopt(easy, CURLOPT_PROXY, opts->proxy);
	return rc == CURLE_OK ? 0 : -1;
}

static CURL *fetch_job_easy(struct fetch_job *job, const struct uct_net_opts *opts,
			    struct curl_slist *connect_to)
{
	const struct uct_fetch_target *t = job->target;
	int v6 = strchr(t->host, ':') != NULL && t->host[0] != '[';
	CURLcode rc = CURLE_OK;
	char *url;
	CURL *easy;

	/*
	 * The path is left out: CONNECT_ONLY sends no request, and an
	 * unusual path (spaces, non-ASCII) would only make the URL invalid.
	 */
	url = uct_asprintf("https://%s%s%s:%d/", v6 ? "[" : "", t->host, v6 ? "]" : "", t->port);
	easy = cu->easy_init();
	if (url == NULL || easy == NULL)
		goto err;
	rc |= cu->easy_setopt(easy, CURLOPT_URL, url);
	rc |= cu->easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "https");
	/* SNI is the URL's host, which --connect-to does not change. */
	rc |= fetch_set_longs(easy, fetch_chain_longs,
			      sizeof(fetch_chain_longs) / sizeof(fetch_chain_longs[0]));
	rc |= cu->easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, fetch_on_ssl_ctx);
	rc |= cu->easy_setopt(easy, CURLOPT_SSL_CTX_DATA, job);
	rc |= cu->easy_setopt(easy, CURLOPT_PRIVATE, job);
	if (rc != CURLE_OK || fetch_common_opts(easy, opts, connect_to, job->errbuf) < 0)
		goto err;
	free(url);
	return easy;
err:
	free(url);
	cu->easy_cleanup(easy);
	return NULL;
}

/* Set a target's status and plain-language detail (truncated to fit). */
static void fetch_set(struct uct_fetch_target *t, enum uct_fetch_status status, const char *fmt,
		      ...) __attribute__((format(printf, 3, 4)));
static void fetch_set(struct uct_fetch_target *t, enum uct_fetch_status status, const char *fmt,
		      ...)
{
	va_list ap;

	t->status = status;
	va_start(ap, fmt);
	vsnprintf(t->detail, sizeof(t->detail), fmt, ap);
	va_end(ap);
}

/*
 * OpenSSL calls this with the chain the server sent (leaf first) as the
 * "untrusted" certificates to verify. It records them (a certificate that
 * another handshake of this fetch already sent is copied, not filled again:
 * libcurl runs every callback in this thread) and accepts: the
 * fetch only collects (VERIFYPEER is off, so libcurl ignores the verdict
 * anyway) and the analysis decides what to trust. Reading the chain here
 * replaces CERTINFO, for which libcurl prints every certificate as text
 * and PEM: a third of the fetch's CPU time. It cannot be read after the
 * transfer: a CONNECT_ONLY handle is detached from its connection then.
 */
static int fetch_on_chain(X509_STORE_CTX *store, void *arg)
{
	struct fetch_job *job = arg;
	STACK_OF(X509) *sent = X509_STORE_CTX_get0_untrusted(store);
	int i;

	uct_chain_clear(&job->sent);
	uct_err_clear(&job->sent_err);
	for (i = 0; sent != NULL && i < sk_X509_num(sent); i++) {
		if (uct_ossl_push_x509(sk_X509_value(sent, i), &job->sent, job->seen,
				       &job->sent_err) < 0) {
			uct_chain_clear(&job->sent);
			break;
		}
	}
	return 1;
}

/* libcurl hands over each connection's SSL_CTX before the handshake. */
static CURLcode fetch_on_ssl_ctx(CURL *easy, void *ssl_ctx, void *job)
{
	(void)easy;
	SSL_CTX_set_cert_verify_callback(ssl_ctx, fetch_on_chain, job);
	return CURLE_OK;
}

/* Hand the recorded chain to the target after a completed handshake. */
static int fetch_read_chain(struct fetch_job *job)
{
	struct uct_fetch_target *t = job->target;

	if (job->sent_err.code != UCT_E_NONE) {
		fetch_set(t, UCT_FETCH_ERROR, "%s:%d sent a certificate that cannot be read: %s",
			  t->host, t->port, job->sent_err.msg);
		return -1;
	}
	if (job->sent.n == 0) {
		fetch_set(t, UCT_FETCH_ERROR,
			  "%s:%d completed the handshake but no certificate was recorded", t->host,
			  t->port);
		return -1;
	}
	uct_chain_clear(&t->chain);
	t->chain = job->sent;
	memset(&job->sent, 0, sizeof(job->sent));
	t->status = UCT_FETCH_OK;
	return 0;
}

static int fetch_is_tls_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_USE_SSL_FAILED: return 1;
	default: return 0;
	}
}

/* Name resolution and the proxy; returns 1 when rc was one of theirs. */
static int fetch_classify_route(struct fetch_job *job, CURLcode rc, long connect_code,
				const struct uct_net_opts *opts)
{
	struct uct_fetch_target *t = job->target;

	if (rc == CURLE_COULDNT_RESOLVE_HOST)
		fetch_set(
			t, UCT_FETCH_DNS,
			"the name %s does not resolve: check DNS or the FQDN in the configuration",
			t->host);
	else if (rc == CURLE_COULDNT_RESOLVE_PROXY)
		fetch_set(t, UCT_FETCH_PROXY, "the proxy's name does not resolve: %s", job->errbuf);
	else if (connect_code >= 300)
		fetch_set(t, UCT_FETCH_PROXY, "the proxy refused to connect to %s:%d (HTTP %ld)",
			  t->host, t->port, connect_code);
	else if (rc == CURLE_PROXY || (rc == CURLE_COULDNT_CONNECT && opts->proxy != NULL))
		fetch_set(t, UCT_FETCH_PROXY, "the proxy failed: %s", job->errbuf);
	else
		return 0;
	return 1;
}

/* The connection itself: refused, unreachable or too slow; returns 1 when
 * rc was one of those. */
static int fetch_classify_connect(struct uct_fetch_target *t, CURLcode rc, long os_errno,
				  const char *peer_ip)
{
	if (rc == CURLE_COULDNT_CONNECT && (os_errno == ECONNREFUSED || os_errno == 0))
		fetch_set(
			t, UCT_FETCH_REFUSED,
			"connection refused by %s:%d: is the service running? is a firewall in the way?",
			t->host, t->port);
	else if (rc == CURLE_COULDNT_CONNECT)
		fetch_set(t, UCT_FETCH_REFUSED,
			  "cannot reach %s:%d (%s): check the network route and firewalls", t->host,
			  t->port, strerror((int)os_errno));
	else if (rc == CURLE_OPERATION_TIMEDOUT && (peer_ip == NULL || peer_ip[0] == '\0'))
		fetch_set(t, UCT_FETCH_TIMEOUT,
			  "no TCP connection to %s:%d in time: is a firewall dropping packets?",
			  t->host, t->port);
	else if (rc == CURLE_OPERATION_TIMEDOUT)
		fetch_set(
			t, UCT_FETCH_TIMEOUT,
			"%s:%d accepted the connection but the TLS handshake did not finish in time",
			t->host, t->port);
	else
		return 0;
	return 1;
}

/* Turn a finished transfer's CURLcode into a status and advice. */
static void fetch_classify(struct fetch_job *job, CURLcode rc, const struct uct_net_opts *opts)
{
	struct uct_fetch_target *t = job->target;
	long connect_code = 0, os_errno = 0;
	char *peer_ip = NULL;

	cu->easy_getinfo(job->easy, CURLINFO_HTTP_CONNECTCODE, &connect_code);
	cu->easy_getinfo(job->easy, CURLINFO_OS_ERRNO, &os_errno);
	/*
	 * libcurl 7.88 leaves CONNECT_TIME at 0 until TLS is done too, but it
	 * records the peer's address as soon as TCP is up: that tells a
	 * firewall dropping packets from a server that never answers TLS.
	 */
	cu->easy_getinfo(job->easy, CURLINFO_PRIMARY_IP, &peer_ip);
	if (rc == CURLE_OK)
		fetch_read_chain(job);
	else if (fetch_classify_route(job, rc, connect_code, opts) ||
		 fetch_classify_connect(t, rc, os_errno, peer_ip))
		return;
	else if (fetch_is_tls_error(rc))
		fetch_set(t, UCT_FETCH_TLS,
			  "TLS handshake with %s:%d failed (is this port serving HTTPS?): %s",
			  t->host, t->port, job->errbuf[0] ? job->errbuf : cu->easy_strerror(rc));
	else
		fetch_set(t, UCT_FETCH_ERROR, "%s:%d: %s%s%s", t->host, t->port,
			  cu->easy_strerror(rc), job->errbuf[0] ? ": " : "", job->errbuf);
}

/* Targets that share host and port share one handshake: the first one. */
static struct uct_fetch_target *fetch_primary(struct uct_fetch_target *targets, size_t i)
{
	size_t j;

	if (targets[i].host == NULL)
		return NULL;
	for (j = 0; j < i; j++)
		if (targets[j].port == targets[i].port && targets[j].host != NULL &&
		    strcasecmp(targets[j].host, targets[i].host) == 0)
			return &targets[j];
	return NULL;
}

/* Give a duplicate target the result of its primary (a copy of the chain). */
static void fetch_copy_result(struct uct_fetch_target *dst, const struct uct_fetch_target *src)
{
	struct uct_cert *cert;
	size_t i;

	dst->status = src->status;
	dst->elapsed_ms = src->elapsed_ms;
	memcpy(dst->detail, src->detail, sizeof(dst->detail));
	for (i = 0; i < src->chain.n; i++) {
		if ((cert = uct_cert_dup(src->chain.certs[i])) == NULL ||
		    uct_chain_push(&dst->chain, cert) < 0) {
			uct_chain_clear(&dst->chain);
			fetch_set(dst, UCT_FETCH_ERROR, "out of memory");
			return;
		}
	}
}

/* Drive every transfer until all are done or the deadline passes. */
static void fetch_run(CURLM *multi, size_t pending, int64_t start, int64_t deadline,
		      const struct uct_net_opts *opts)
{
	struct fetch_job *job;
	int running = 1, left;
	CURLMsg *msg;
	int64_t now;

	while (pending > 0 && (now = fetch_now_ms()) < deadline) {
		cu->multi_perform(multi, &running);
		while ((msg = cu->multi_info_read(multi, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			cu->easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&job);
			job->done = 1;
			job->target->elapsed_ms = (long)(fetch_now_ms() - start);
			fetch_classify(job, msg->data.result, opts);
			uct_log(UCT_LOG_DEBUG, "fetch %s:%d: %s in %ld ms", job->target->host,
				job->target->port, uct_fetch_status_name(job->target->status),
				job->target->elapsed_ms);
			pending--;
		}
		if (pending == 0)
			break;
		now = fetch_now_ms();
		if (now >= deadline)
			break;
		cu->multi_poll(multi, NULL, 0, (int)(deadline - now < 100 ? deadline - now : 100),
			       NULL);
	}
}

/* Forget every target's earlier result. */
static void fetch_reset(struct uct_fetch_target *targets, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		targets[i].status = UCT_FETCH_NOT_RUN;
		targets[i].detail[0] = '\0';
		targets[i].elapsed_ms = 0;
		uct_chain_clear(&targets[i].chain);
	}
}

/* The shared state of one uct_fetch_chains call. */
struct fetch_batch {
	struct uct_fetch_target *targets;
	size_t n, pending;
	struct fetch_job *jobs;
	CURLM *multi;
	struct curl_slist *connect_to;
	struct uct_ossl_seen seen;
};

/* One transfer per distinct host and port; a target that is no host and
 * port is done at once, with that as its result. */
static int fetch_add_jobs(struct fetch_batch *b, const struct uct_net_opts *opts,
			  struct uct_err *err)
{
	struct uct_fetch_target *t;
	size_t i;

	for (i = 0; i < b->n; i++) {
		t = &b->targets[i];
		if (fetch_primary(b->targets, i) != NULL)
			continue;
		if (t->host == NULL || t->host[0] == '\0' || t->port <= 0 || t->port > 65535) {
			fetch_set(t, UCT_FETCH_ERROR, "not a host and port: %s:%d",
				  t->host ? t->host : "(none)", t->port);
			b->jobs[i].done = 1;
			continue;
		}
		b->jobs[i].target = t;
		b->jobs[i].seen = &b->seen;
		b->jobs[i].easy = fetch_job_easy(&b->jobs[i], opts, b->connect_to);
		if (b->jobs[i].easy == NULL ||
		    cu->multi_add_handle(b->multi, b->jobs[i].easy) != CURLM_OK)
			return uct_err_set(err, UCT_E_NET, 0, "cannot set up the fetch of %s:%d",
					   t->host, t->port);
		b->pending++;
	}
	return 0;
}

/* Copy each shared handshake's result, and end what overran the deadline. */
static void fetch_finish(struct fetch_batch *b, int64_t start, int64_t total_ms)
{
	struct uct_fetch_target *primary;
	size_t i;

	for (i = 0; i < b->n; i++) {
		primary = fetch_primary(b->targets, i);
		if (primary != NULL) {
			fetch_copy_result(&b->targets[i], primary);
		} else if (!b->jobs[i].done) {
			/* libcurl overran its own timeout: end it here. */
			b->targets[i].elapsed_ms = (long)(fetch_now_ms() - start);
			fetch_set(&b->targets[i], UCT_FETCH_TIMEOUT,
				  "no result from %s:%d within %ld ms", b->targets[i].host,
				  b->targets[i].port, (long)total_ms);
		}
	}
}

static void fetch_batch_free(struct fetch_batch *b)
{
	size_t i;

	for (i = 0; b->jobs != NULL && i < b->n; i++) {
		uct_chain_clear(&b->jobs[i].sent); /* a handshake that did not complete */
		if (b->jobs[i].easy == NULL)
			continue;
		cu->multi_remove_handle(b->multi, b->jobs[i].easy);
		cu->easy_cleanup(b->jobs[i].easy);
	}
	cu->multi_cleanup(b->multi);
	cu->slist_free_all(b->connect_to);
	free(b->jobs);
	uct_ossl_seen_clear(&b->seen);
}

int uct_fetch_chains(struct uct_fetch_target *targets, size_t n, const struct uct_net_opts *opts,
		     struct uct_err *err)
{
	struct fetch_batch b;
	int64_t start, total_ms;
	int failed, rc = -1;

	fetch_reset(targets, n);
	if (n == 0)
		return 0;
	if (opts == NULL)
		opts = &fetch_default_opts;
	if (fetch_ready(err) < 0)
		return -1;
	memset(&b, 0, sizeof(b));
	b.targets = targets;
	b.n = n;
	b.connect_to = uct_curl_list(cu, opts->connect_to, &failed);
	b.jobs = calloc(n, sizeof(*b.jobs));
	b.multi = cu->multi_init();
	if (failed || b.jobs == NULL || b.multi == NULL) {
		uct_err_set(err, UCT_E_NOMEM, 0, "cannot set up the fetch");
		goto out;
	}
	if (fetch_add_jobs(&b, opts, err) < 0)
		goto out;
	total_ms = opts->total_timeout_ms > 0 ? opts->total_timeout_ms : FETCH_DEFAULT_TOTAL_MS;
	start = fetch_now_ms();
	fetch_run(b.multi, b.pending, start, start + total_ms + FETCH_MARGIN_MS, opts);
	fetch_finish(&b, start, total_ms);
	rc = 0;
out:
	fetch_batch_free(&b);
	return rc;
}

/* The AIA download's body, capped: a CA certificate is a few KiB. */
struct fetch_body {
	unsigned char buf[FETCH_ISSUER_MAX];
	size_t len;
	int overflow;
};

static size_t fetch_body_write(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct fetch_body *body = ctx;
	size_t len = size * nmemb;

	if (len > sizeof(body->buf) - body->len) {
		body->overflow = 1;
		return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
	}
	memcpy(body->buf + body->len, data, len);
	body->len += len;
	return len;
}

static CURL *fetch_issuer_easy(const char *url, const struct uct_net_opts *opts,
			       struct curl_slist *connect_to, struct fetch_body *body, char *errbuf)
{
	CURL *easy = cu->easy_init();
	CURLcode rc = CURLE_OK;

	if (easy == NULL)
		return NULL;
	rc |= cu->easy_setopt(easy, CURLOPT_URL, url);
	/*
	 * AIA URLs are usually plain http (the certificate is checked by its
	 * signature afterwards, so the transport need not be trusted); https
	 * keeps libcurl's normal verification.
	 */
	rc |= cu->easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	rc |= cu->easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	rc |= fetch_set_longs(easy, fetch_issuer_longs,
			      sizeof(fetch_issuer_longs) / sizeof(fetch_issuer_longs[0]));
	rc |= cu->easy_setopt(easy, CURLOPT_WRITEFUNCTION, fetch_body_write);
	rc |= cu->easy_setopt(easy, CURLOPT_WRITEDATA, body);
	if (rc != CURLE_OK || fetch_common_opts(easy, opts, connect_to, errbuf) < 0) {
		cu->easy_cleanup(easy);
		return NULL;
	}
	return easy;
}

int uct_fetch_issuer(const char *url, const struct uct_net_opts *opts, struct uct_cert **out,
		     struct uct_err *err)
{
	struct curl_slist *connect_to = NULL;
	struct uct_chain chain = {0};
	struct fetch_body *body = NULL;
	char errbuf[CURL_ERROR_SIZE];
	CURL *easy = NULL;
	CURLcode rc;
	int failed, ret = -1;

	*out = NULL;
	if (opts == NULL)
		opts = &fetch_default_opts;
	if (fetch_ready(err) < 0)
		return -1;
	connect_to = uct_curl_list(cu, opts->connect_to, &failed);
	body = calloc(1, sizeof(*body));
	if (failed || body == NULL ||
	    (easy = fetch_issuer_easy(url, opts, connect_to, body, errbuf)) == NULL) {
		uct_err_set(err, UCT_E_NOMEM, 0, "cannot set up the download of %s", url);
		goto out;
	}
	rc = cu->easy_perform(easy);
	if (body->overflow || rc == CURLE_FILESIZE_EXCEEDED) {
		uct_err_set(err, UCT_E_NET, rc, "%s: larger than %ld bytes: not a certificate", url,
			    FETCH_ISSUER_MAX);
		goto out;
	}
	if (rc != CURLE_OK) {
		uct_err_set(err, UCT_E_NET, rc, "%s: %s%s%s", url, cu->easy_strerror(rc),
			    errbuf[0] ? ": " : "", errbuf);
		goto out;
	}
	if (uct_ossl_parse_any(body->buf, body->len, url, &chain, err) < 0)
		goto out;
	/* The first certificate is the issuer; a bundle's others are unused. */
	*out = chain.certs[0];
	chain.certs[0] = NULL;
	ret = 0;
out:
	uct_chain_clear(&chain);
	cu->easy_cleanup(easy);
	cu->slist_free_all(connect_to);
	free(body);
	return ret;
}
