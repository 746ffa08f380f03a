/*
 * trustsrc.c: the collector's signed trust document for the collector
 * trust mode: fetched on a thread beside the servers' handshakes, checked
 * against the configured key, the clock and the highest serial accepted,
 * and kept in the state directory for the runs that cannot reach the
 * collector (trustsrc.h says which document wins when).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "trustsrc.h"

struct uct_trustsrc {
	struct uct_thread *thread;
	/* The request, copied from the configuration. */
	char *url, *token, *ca_file, *pin, *proxy, *key_pem, *state_dir;
	struct uct_strv connect_to;
	long connect_timeout_ms, timeout_ms;
	/* The answer, written by the fetch's thread only until it is joined. */
	int answered;
	long status;
	char *body;
	size_t len;
	struct uct_err fetch_err;
	/* The outcome, decided by the first uct_trustsrc_wait. */
	int waited, rc, kept;
	enum uct_trustdoc_fault fault;
	struct uct_err err;
	struct uct_trustdoc *doc;
	char problem[768];
};

static void trustsrc_fetch(void *arg)
{
	struct uct_trustsrc *src = arg;
	struct uct_http_get req = {
		.url = src->url,
		.token = src->token,
		.ca_file = src->ca_file,
		.pin = src->pin,
		.max_len = UCT_TRUSTDOC_MAX,
		.connect_timeout_ms = src->connect_timeout_ms,
		.timeout_ms = src->timeout_ms,
		.connect_to = &src->connect_to,
		.proxy = src->proxy,
	};

	src->answered =
		uct_http_get(&req, &src->status, &src->body, &src->len, &src->fetch_err) == 0;
}

/* The agent token: the first line of the token file. */
static int trustsrc_read_token(struct uct_trustsrc *src, const char *path, struct uct_err *err)
{
	size_t len;

	if (uct_file_read(path, 4096, &src->token, &len, err) < 0)
		return -1;
	src->token[strcspn(src->token, "\r\n")] = '\0';
	return 0;
}

/* An optional string of the configuration; 0, or -1 when out of memory. */
static int trustsrc_copy(char **to, const char *from)
{
	*to = from != NULL ? uct_strdup(from) : NULL;
	return from != NULL && *to == NULL ? -1 : 0;
}

static int trustsrc_copy_config(struct uct_trustsrc *src, const struct uct_config *cfg)
{
	size_t i;

	if (trustsrc_copy(&src->url, cfg->trust_url) < 0 ||
	    trustsrc_copy(&src->ca_file, cfg->report_ca) < 0 ||
	    trustsrc_copy(&src->pin, cfg->report_pin) < 0 ||
	    trustsrc_copy(&src->proxy, cfg->proxy) < 0 ||
	    trustsrc_copy(&src->key_pem, cfg->trust_key_pem) < 0 ||
	    (src->state_dir = uct_config_state_dir(cfg)) == NULL)
		return -1;
	for (i = 0; i < cfg->connect_to.n; i++)
		if (uct_strv_push(&src->connect_to, cfg->connect_to.v[i]) < 0)
			return -1;
	src->connect_timeout_ms = cfg->connect_timeout_ms;
	src->timeout_ms = cfg->total_timeout_ms;
	return 0;
}

struct uct_trustsrc *uct_trustsrc_start(const struct uct_config *cfg, struct uct_err *err)
{
	struct uct_trustsrc *src;

	if (cfg->mode != UCT_MODE_COLLECTOR || cfg->trust_url == NULL ||
	    cfg->trust_key_pem == NULL) {
		uct_err_set(err, UCT_E_USAGE, 0,
			    "the trust document is fetched in collector mode only, with its URL "
			    "and key (--trust collector --trust-url URL --trust-key FILE)");
		return NULL;
	}
	src = calloc(1, sizeof(*src));
	if (src == NULL || trustsrc_copy_config(src, cfg) < 0) {
		uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
		goto err;
	}
	if (cfg->report_token_file != NULL &&
	    trustsrc_read_token(src, cfg->report_token_file, err) < 0)
		goto err;
	if (uct_thread_start(trustsrc_fetch, src, &src->thread, err) < 0)
		goto err;
	return src;
err:
	uct_trustsrc_free(src);
	return NULL;
}

/* The highest serial accepted before: 0 when none was. */
static int trustsrc_last_serial(struct uct_trustsrc *src, const char *path, int64_t *last)
{
	struct uct_err why = {0};
	char *text = NULL, *end;
	size_t len;
	long long v;

	*last = 0;
	if (uct_file_read(path, 64, &text, &len, &why) < 0)
		return why.code == UCT_E_IO && why.native == ENOENT
			       ? 0
			       : uct_err_set(&src->err, why.code, why.native, "%s", why.msg);
	errno = 0;
	v = strtoll(text, &end, 10);
	if (end == text || (*end != '\n' && *end != '\0') || errno != 0 || v < 0) {
		free(text);
		/* Taking it as 0 would let an old document back in. */
		return uct_err_set(&src->err, UCT_E_IO, 0,
				   "%s is damaged (not a serial); remove it together with %s "
				   "to accept the collector's next document",
				   path, UCT_TRUSTDOC_FILE);
	}
	free(text);
	*last = (int64_t)v;
	return 0;
}

/* How much sooner than the fetched one the kept document may expire
 * before it is written again. The collector signs a new document for
 * every request (its dates move), so writing each one would cost every
 * login run a synced write; this way it is about one a day, and a kept
 * copy is never more than a day short of the validity the collector
 * gives. */
#define TRUSTSRC_KEEP_SLACK (24 * 3600)

/* 1 when the kept copy at path is the same approvals (serial) as the
 * accepted document and expires at most TRUSTSRC_KEEP_SLACK before it. */
static int trustsrc_kept_current(const struct uct_trustsrc *src, const char *path)
{
	struct uct_trustdoc *kept = NULL;
	enum uct_trustdoc_fault fault;
	struct uct_err why = {0};
	char *body = NULL;
	size_t len = 0;
	int current = 0;

	if (uct_file_read(path, UCT_TRUSTDOC_MAX, &body, &len, &why) == 0 &&
	    uct_trustdoc_check(body, len, src->key_pem, 0, uct_now(), &kept, &fault, &why) == 0)
		current = kept->serial == src->doc->serial &&
			  kept->expires_at + TRUSTSRC_KEEP_SLACK >= src->doc->expires_at;
	uct_trustdoc_free(kept);
	free(body);
	return current;
}

/* Keep the accepted document: its bytes first, then its serial, so that
 * a run stopped between the two leaves a document no older than the
 * serial that guards it. Failures cost only the kept copy: logged. */
static void trustsrc_keep(struct uct_trustsrc *src, int64_t last)
{
	char *json = uct_asprintf("%s/%s", src->state_dir, UCT_TRUSTDOC_FILE);
	char *serial = uct_asprintf("%s/%s", src->state_dir, UCT_TRUSTDOC_SERIAL_FILE);
	struct uct_err why = {0};
	char text[32];
	int n = snprintf(text, sizeof(text), "%" PRId64 "\n", src->doc->serial);

	if (json == NULL || serial == NULL)
		uct_err_set(&why, UCT_E_NOMEM, 0, "out of memory");
	else if (src->doc->serial == last && trustsrc_kept_current(src, json))
		; /* the kept copy says the same for nearly as long */
	else if (uct_file_write_atomic(json, src->body, src->len, 0600, &why) == 0 &&
		 src->doc->serial > last)
		uct_file_write_atomic(serial, text, (size_t)n, 0600, &why);
	if (why.code != 0)
		uct_log(UCT_LOG_WARN, "the trust document is used but not kept: %s", why.msg);
	free(json);
	free(serial);
}

static int trustsrc_take_fetched(struct uct_trustsrc *src, int64_t last)
{
	struct uct_err why = {0};

	if (uct_trustdoc_check(src->body, src->len, src->key_pem, last, uct_now(), &src->doc,
			       &src->fault, &why) < 0)
		return uct_err_set(&src->err, why.code, why.native,
				   "the collector's trust document is refused: %s", why.msg);
	trustsrc_keep(src, last);
	return 0;
}

/* Why the collector's answer cannot be used, in src->problem. */
static void trustsrc_describe(struct uct_trustsrc *src)
{
	char *p = src->problem;
	size_t n = sizeof(src->problem);

	if (!src->answered)
		snprintf(p, n, "the collector cannot be reached (%s)", src->fetch_err.msg);
	else if (src->status == 401 || src->status == 403)
		snprintf(p, n,
			 "the collector refused the agent token (HTTP %ld from %s); check [report] "
			 "token_file",
			 src->status, src->url);
	else if (src->status == 404)
		snprintf(p, n,
			 "the collector has no trust document at %s (HTTP 404); check --trust-url",
			 src->url);
	else if (src->status == 503)
		snprintf(
			p, n,
			"the collector has no trust document yet (HTTP 503 from %s: it runs without "
			"--signing-key)",
			src->url);
	else
		snprintf(p, n, "the collector answered HTTP %ld for %s", src->status, src->url);
}

static int trustsrc_use_kept(struct uct_trustsrc *src, const char *path, int64_t last)
{
	struct uct_err why = {0};
	char *body = NULL;
	size_t len = 0;
	int rc;

	if (uct_file_read(path, UCT_TRUSTDOC_MAX, &body, &len, &why) < 0) {
		src->fault = UCT_TRUSTDOC_NONE;
		if (why.code == UCT_E_IO && why.native == ENOENT)
			return uct_err_set(&src->err, UCT_E_NET, 0,
					   "no trust document yet: %s, and none is kept from an "
					   "earlier run",
					   src->problem);
		return uct_err_set(&src->err, why.code, why.native, "no trust document: %s; %s",
				   src->problem, why.msg);
	}
	rc = uct_trustdoc_check(body, len, src->key_pem, last, uct_now(), &src->doc, &src->fault,
				&why);
	free(body);
	if (rc < 0)
		return uct_err_set(&src->err, why.code, why.native,
				   "%s, and the document kept from an earlier run is refused: %s",
				   src->problem, why.msg);
	src->kept = 1;
	uct_log(UCT_LOG_WARN,
		"%s; using the trust document kept from an earlier run (serial %" PRId64 ")",
		src->problem, src->doc->serial);
	return 0;
}

static int trustsrc_decide(struct uct_trustsrc *src)
{
	char *json = NULL, *serial = NULL;
	int64_t last;
	int rc = -1;

	src->fault = UCT_TRUSTDOC_NONE;
	if (uct_dir_check(src->state_dir, &src->err) < 0)
		return -1;
	json = uct_asprintf("%s/%s", src->state_dir, UCT_TRUSTDOC_FILE);
	serial = uct_asprintf("%s/%s", src->state_dir, UCT_TRUSTDOC_SERIAL_FILE);
	if (json == NULL || serial == NULL)
		uct_err_set(&src->err, UCT_E_NOMEM, 0, "out of memory");
	else if (trustsrc_last_serial(src, serial, &last) < 0)
		;
	else if (src->answered && src->status == 200)
		rc = trustsrc_take_fetched(src, last);
	else {
		trustsrc_describe(src);
		rc = trustsrc_use_kept(src, json, last);
	}
	free(json);
	free(serial);
	return rc;
}

int uct_trustsrc_wait(struct uct_trustsrc *src, const struct uct_trustdoc **doc, int *kept,
		      enum uct_trustdoc_fault *fault, struct uct_err *err)
{
	*doc = NULL;
	*kept = 0;
	if (!src->waited) {
		uct_thread_join(src->thread);
		src->thread = NULL;
		src->rc = trustsrc_decide(src);
		if (src->rc == 0)
			src->fault = UCT_TRUSTDOC_OK;
		src->waited = 1;
	}
	*fault = src->fault;
	if (src->rc < 0)
		return uct_err_set(err, src->err.code, src->err.native, "%s", src->err.msg);
	*doc = src->doc;
	*kept = src->kept;
	return 0;
}

const char *uct_trustsrc_problem(const struct uct_trustsrc *src)
{
	return src->kept ? src->problem : "";
}

void uct_trustsrc_free(struct uct_trustsrc *src)
{
	if (src == NULL)
		return;
	uct_thread_join(src->thread);
	free(src->url);
	free(src->token);
	free(src->ca_file);
	free(src->pin);
	free(src->proxy);
	free(src->key_pem);
	free(src->state_dir);
	uct_strv_clear(&src->connect_to);
	free(src->body);
	uct_trustdoc_free(src->doc);
	free(src);
}

/* The run's trust input: the document fetched beside the handshakes, or the
 * kept one (the source logs why the collector was not used). */
static int trustsrc_input(void *ctx, const struct uct_trustdoc **doc, struct uct_err *err)
{
	enum uct_trustdoc_fault fault;
	int kept = 0;

	return uct_trustsrc_wait(ctx, doc, &kept, &fault, err);
}

int uct_trustsrc_attach(const struct uct_config *cfg, struct uct_run_inputs *in,
			struct uct_err *err)
{
	struct uct_trustsrc *src;

	if (cfg->mode != UCT_MODE_COLLECTOR ||
	    (cfg->command != UCT_CMD_CHECK && cfg->command != UCT_CMD_INSTALL))
		return 0;
	if ((src = uct_trustsrc_start(cfg, err)) == NULL)
		return -1;
	in->trust = trustsrc_input;
	in->trust_ctx = src;
	return 0;
}
