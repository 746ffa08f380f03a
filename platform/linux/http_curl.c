/*
 * http_curl.c: the Linux side of talking to the collector: one HTTPS POST
 * (a report) or GET (the trust document) with libcurl (verification on,
 * unlike the chain fetch), the random report ids, and the small directory
 * helpers the report spool needs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "curl_dl.h"
#include "platform.h"
#include "safepath.h"

int uct_random_bytes(void *buf, size_t n, struct uct_err *err)
{
	size_t got = 0;
	ssize_t r;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return uct_err_set(err, UCT_E_SYSTEM, errno, "cannot open /dev/urandom: %s",
				   strerror(errno));
	while (got < n) {
		r = read(fd, (char *)buf + got, n - got);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			close(fd);
			return uct_err_set(err, UCT_E_SYSTEM, errno, "cannot read /dev/urandom");
		}
		got += (size_t)r;
	}
	close(fd);
	return 0;
}

/* The collector's answer body is not needed: discard it, bounded. */
static size_t http_discard(char *ptr, size_t size, size_t nmemb, void *ctx)
{
	(void)ptr;
	(void)ctx;
	return size * nmemb;
}

/* The request's headers: first (the JSON body's type, or the type asked
 * for), and the collector's token when there is one. *auth is the token
 * header's text, which the list borrows; NULL and an error when memory
 * runs out. */
static struct curl_slist *http_headers(const struct uct_curl_api *cu, const char *first,
				       const char *token, char **auth, struct uct_err *err)
{
	struct curl_slist *headers = cu->slist_append(NULL, first);
	struct curl_slist *grown;

	*auth = NULL;
	if (headers != NULL && token != NULL) {
		*auth = uct_asprintf("Authorization: Bearer %s", token);
		grown = *auth != NULL ? cu->slist_append(headers, *auth) : NULL;
		if (grown == NULL) {
			cu->slist_free_all(headers);
			headers = NULL;
		}
	}
	if (headers == NULL)
		uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	return headers;
}

/* What a POST and a GET share: the address, the collector's trust (CA,
 * pin) and the routing (--connect-to, proxy), from req (body unused). */
static void http_setopts(const struct uct_curl_api *cu, CURL *curl, const struct uct_http_post *req,
			 struct curl_slist *headers, struct curl_slist *connect_to, char *errbuf)
{
	cu->easy_setopt(curl, CURLOPT_URL, req->url);
	cu->easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https,http");
	cu->easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	cu->easy_setopt(curl, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	cu->easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, req->timeout_ms);
	cu->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	cu->easy_setopt(curl, CURLOPT_WRITEFUNCTION, http_discard);
	cu->easy_setopt(curl, CURLOPT_USERAGENT, "uccx-trust/" UCT_VERSION);
	if (req->ca_file != NULL)
		cu->easy_setopt(curl, CURLOPT_CAINFO, req->ca_file);
	if (req->pin != NULL)
		cu->easy_setopt(curl, CURLOPT_PINNEDPUBLICKEY, req->pin);
	if (connect_to != NULL)
		cu->easy_setopt(curl, CURLOPT_CONNECT_TO, connect_to);
	if (req->proxy != NULL)
		cu->easy_setopt(curl, CURLOPT_PROXY, req->proxy);
}

static int http_perform(const struct uct_curl_api *cu, CURL *curl, const struct uct_http_post *req,
			const char *errbuf, long *status, struct uct_err *err)
{
	CURLcode rc = cu->easy_perform(curl);

	if (rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH)
		/* Not a transient failure: say plainly what to compare. */
		return uct_err_set(err, UCT_E_NET, rc,
				   "%s: pin mismatch: the collector's public key is not the one "
				   "[report] pin names",
				   req->url);
	if (rc != CURLE_OK)
		return uct_err_set(err, UCT_E_NET, rc, "%s: %s", req->url,
				   errbuf[0] ? errbuf : cu->easy_strerror(rc));
	cu->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
	return 0;
}

/* One request to the collector: the handle and its header lists. */
struct http_call {
	const struct uct_curl_api *cu;
	CURL *curl;
	struct curl_slist *headers, *connect_to;
	char *auth;
};

/* Load libcurl and set up c with the headers (first, then the token's) and
 * the --connect-to list; -1 with err (c then holds nothing). */
static int http_call_open(struct http_call *c, const char *first, const char *token,
			  const struct uct_strv *connect_to, struct uct_err *err)
{
	int failed;

	memset(c, 0, sizeof(*c));
	if ((c->cu = uct_curl_load(err)) == NULL)
		return -1;
	if ((c->curl = c->cu->easy_init()) == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "cannot start an HTTP request");
	c->headers = http_headers(c->cu, first, token, &c->auth, err);
	if (c->headers != NULL) {
		c->connect_to = uct_curl_list(c->cu, connect_to, &failed);
		if (!failed)
			return 0;
		uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	}
	c->cu->easy_cleanup(c->curl);
	c->cu->slist_free_all(c->headers);
	free(c->auth);
	return -1;
}

static void http_call_close(struct http_call *c)
{
	c->cu->slist_free_all(c->headers);
	c->cu->slist_free_all(c->connect_to);
	free(c->auth);
	c->cu->easy_cleanup(c->curl);
}

int uct_http_post(const struct uct_http_post *req, long *status, struct uct_err *err)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct http_call c;
	int ret;

	*status = 0;
	if (http_call_open(&c, "Content-Type: application/json", req->token, req->connect_to, err) <
	    0)
		return -1;
	http_setopts(c.cu, c.curl, req, c.headers, c.connect_to, errbuf);
	c.cu->easy_setopt(c.curl, CURLOPT_POSTFIELDS, req->body);
	c.cu->easy_setopt(c.curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->len);
	ret = http_perform(c.cu, c.curl, req, errbuf, status, err);
	http_call_close(&c);
	return ret;
}

/* Where a GET's body goes: grown as it comes, at most max bytes. */
struct http_sink {
	char *buf;
	size_t len, cap, max;
	int too_big, nomem;
};

static size_t http_collect(char *ptr, size_t size, size_t nmemb, void *ctx)
{
	struct http_sink *sink = ctx;
	size_t n = size * nmemb, cap;
	char *grown;

	if (n > sink->max - sink->len) {
		sink->too_big = 1;
		return 0; /* fails the transfer with CURLE_WRITE_ERROR */
	}
	if (sink->len + n + 1 > sink->cap) {
		for (cap = sink->cap != 0 ? sink->cap : 4096; cap < sink->len + n + 1; cap *= 2)
			;
		grown = realloc(sink->buf, cap);
		if (grown == NULL) {
			sink->nomem = 1;
			return 0;
		}
		sink->buf = grown;
		sink->cap = cap;
	}
	memcpy(sink->buf + sink->len, ptr, n);
	sink->len += n;
	sink->buf[sink->len] = '\0';
	return n;
}

/* The GET's transfer, once its handle and lists are set up. */
static int get_perform(const struct uct_curl_api *cu, CURL *curl, const struct uct_http_get *req,
		       struct curl_slist *headers, struct curl_slist *connect_to,
		       struct http_sink *sink, long *status, struct uct_err *err)
{
	const struct uct_http_post shared = {
		.url = req->url,
		.ca_file = req->ca_file,
		.pin = req->pin,
		.timeout_ms = req->timeout_ms,
		.connect_to = req->connect_to,
		.proxy = req->proxy,
	};
	char errbuf[CURL_ERROR_SIZE] = "";
	struct uct_err why = {0};

	http_setopts(cu, curl, &shared, headers, connect_to, errbuf);
	cu->easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	if (req->connect_timeout_ms > 0 && req->connect_timeout_ms < req->timeout_ms)
		cu->easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms);
	cu->easy_setopt(curl, CURLOPT_WRITEFUNCTION, http_collect);
	cu->easy_setopt(curl, CURLOPT_WRITEDATA, sink);
	if (http_perform(cu, curl, &shared, errbuf, status, &why) == 0)
		return 0;
	if (sink->too_big)
		return uct_err_set(err, UCT_E_NET, 0, "%s: the answer is larger than %zu bytes",
				   req->url, req->max_len);
	if (sink->nomem)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	return uct_err_set(err, why.code, why.native, "%s", why.msg);
}

int uct_http_get(const struct uct_http_get *req, long *status, char **body, size_t *len,
		 struct uct_err *err)
{
	struct http_sink sink = {.max = req->max_len};
	struct http_call c;
	int ret;

	*status = 0;
	*body = NULL;
	*len = 0;
	if (http_call_open(&c, "Accept: application/json", req->token, req->connect_to, err) < 0)
		return -1;
	ret = get_perform(c.cu, c.curl, req, c.headers, c.connect_to, &sink, status, err);
	if (ret == 0 && sink.buf == NULL && (sink.buf = calloc(1, 1)) == NULL)
		ret = uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	http_call_close(&c);
	if (ret == 0) {
		*body = sink.buf;
		*len = sink.len;
	} else {
		free(sink.buf);
	}
	return ret;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The spool is walked to as any directory the agent writes into: a spool
 * that is a link to, or lies under, another user's directory is refused,
 * never read (its files would go to the collector) nor trimmed. */
int uct_dir_list(const char *dir, struct uct_strv *names, struct uct_err *err)
{
	struct uct_err e = {0};
	struct dirent *de;
	DIR *d;
	int fd = uct_safe_dir_open(dir, 0, &e);

	if (fd < 0) {
		if (e.code == UCT_E_IO && e.native == ENOENT)
			return 0;
		return uct_err_set(err, e.code, e.native, "%s", e.msg);
	}
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return uct_err_set(err, UCT_E_IO, errno, "cannot read %s: %s", dir,
				   strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_REG || de->d_name[0] == '.')
			continue;
		if (uct_strv_push(names, de->d_name) < 0) {
			closedir(d);
			return uct_err_set(err, UCT_E_NOMEM, ENOMEM, "out of memory");
		}
	}
	closedir(d);
	qsort(names->v, names->n, sizeof(*names->v), cmp_names);
	return 0;
}

int uct_file_remove(const char *path, struct uct_err *err)
{
	char *dir = uct_path_dir(path);
	struct uct_err e = {0};
	int fd, rc = 0;

	if (dir == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	fd = uct_safe_dir_open(dir, 0, &e);
	free(dir);
	if (fd < 0)
		return e.code == UCT_E_IO && e.native == ENOENT
			       ? 0
			       : uct_err_set(err, e.code, e.native, "%s", e.msg);
	if (unlinkat(fd, uct_path_base(path), 0) != 0 && errno != ENOENT)
		rc = uct_err_set(err, UCT_E_IO, errno, "cannot remove %s: %s", path,
				 strerror(errno));
	close(fd);
	return rc;
}
