/*
 * send.c: the report spool and its delivery to the collector. The spool
 * holds one JSON file per run, named so that names sort oldest first; a
 * report leaves it when the collector answers 2xx (a resend of the same
 * report id is harmless: the collector ignores duplicates) or refuses it
 * as malformed, which no resend would change: it is then set aside in
 * spool.rejected (bounded), never deleted unseen, so that a report a
 * collector could not take stays visible to the helpdesk.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "report.h"
#include "send.h"

#define SEND_MAX_BODY (1u << 20)

int uct_uuid(char buf[37], struct uct_err *err)
{
	unsigned char b[16];

	if (uct_random_bytes(b, sizeof(b), err) < 0)
		return -1;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
	return 0;
}

/* The JSON document of run, in memory (tmpfile keeps this portable). */
static char *render(const struct uct_run *run, int exit_code, const char *report_id, long dropped,
		    size_t *len)
{
	FILE *f = tmpfile();
	char *buf = NULL;
	long size;

	if (f == NULL)
		return NULL;
	uct_report_json_ex(f, run, NULL, exit_code, report_id, dropped);
	size = ftell(f);
	if (size > 0 && fflush(f) == 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)size + 1);
		if (buf != NULL && fread(buf, 1, (size_t)size, f) == (size_t)size) {
			buf[size] = '\0';
			*len = (size_t)size;
		} else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

static char *read_token(const char *path, struct uct_err *err)
{
	char *text = NULL, *end;
	size_t len;

	if (uct_file_read(path, 4096, &text, &len, err) < 0)
		return NULL;
	end = strpbrk(text, "\r\n");
	if (end != NULL)
		*end = '\0';
	return text;
}

/* The dropped counter lives beside the spool, as one decimal number. */
static long read_dropped(const char *path)
{
	struct uct_err err = {0};
	char *text = NULL;
	size_t len;
	long n = 0;

	if (uct_file_read(path, 64, &text, &len, &err) == 0)
		n = strtol(text, NULL, 10);
	free(text);
	return n > 0 ? n : 0;
}

static void write_dropped(const char *path, long n)
{
	struct uct_err err = {0};
	char text[32];
	int len = snprintf(text, sizeof(text), "%ld\n", n);

	if (uct_file_write_atomic(path, text, (size_t)len, 0600, &err) < 0)
		uct_log(UCT_LOG_WARN, "report spool: %s", err.msg);
}

/* Keep at most UCT_SPOOL_MAX - 1 waiting reports, dropping the oldest. */
static int trim_spool(const char *dir, struct uct_send_result *out)
{
	struct uct_strv names = {0};
	struct uct_err err = {0};
	char *path;
	size_t i;
	int dropped = 0;

	if (uct_dir_list(dir, &names, &err) < 0)
		return 0;
	for (i = 0; names.n >= UCT_SPOOL_MAX && i + UCT_SPOOL_MAX <= names.n; i++) {
		path = uct_asprintf("%s/%s", dir, names.v[i]);
		if (path != NULL && uct_file_remove(path, &err) == 0)
			dropped++;
		free(path);
	}
	uct_strv_clear(&names);
	out->dropped += dropped;
	return dropped;
}

static void problem(struct uct_send_result *out, const char *msg)
{
	snprintf(out->problem, sizeof(out->problem), "%s", msg);
	uct_log(UCT_LOG_WARN, "report: %s", msg);
}

/*
 * A report the collector refused: moved to DIR.rejected (at most
 * UCT_REJECTED_MAX, the oldest dropped), so that it neither blocks the
 * reports after it nor disappears. Returns the file it was kept in (newly
 * allocated), or NULL when it could not be kept (it is then removed).
 */
static char *set_aside(const char *dir, const char *name, const char *body, size_t len)
{
	struct uct_strv kept = {0};
	struct uct_err err = {0};
	char *rdir = uct_asprintf("%s.rejected", dir), *old, *dest = NULL;
	size_t i;

	if (rdir == NULL)
		return NULL;
	if (uct_dir_list(rdir, &kept, &err) == 0) {
		for (i = 0; kept.n >= UCT_REJECTED_MAX && i + UCT_REJECTED_MAX <= kept.n; i++) {
			old = uct_asprintf("%s/%s", rdir, kept.v[i]);
			if (old != NULL)
				uct_file_remove(old, &err);
			free(old);
		}
	}
	uct_strv_clear(&kept);
	dest = uct_asprintf("%s/%s", rdir, name);
	if (dest != NULL && uct_file_write_atomic(dest, body, len, 0600, &err) < 0) {
		uct_log(UCT_LOG_WARN, "report: cannot keep a refused report: %s", err.msg);
		free(dest);
		dest = NULL;
	}
	free(rdir);
	return dest;
}

/*
 * A report the collector refused as malformed (HTTP status): it will never
 * accept this document. Left in the spool it would block every later
 * report, deleted it would hide whatever made it fail: it is set aside
 * under dir, and counted.
 */
static void refused(const char *dir, const char *name, const struct uct_http_post *req, long status,
		    struct uct_send_result *out)
{
	char *kept, *msg;

	out->rejected++;
	kept = set_aside(dir, name, req->body, req->len);
	msg = uct_asprintf("the collector refused a report as malformed (HTTP %ld%s); %s%s; "
			   "later reports go on",
			   status, status == 413 ? ": too large" : "",
			   kept != NULL ? "it is kept in " : "it could not be kept",
			   kept != NULL ? kept : "");
	problem(out, msg != NULL ? msg : "report refused");
	free(msg);
	free(kept);
}

/* Post one spooled file. Returns 1 to go on with the next, 0 to stop. */
static int deliver_one(const struct uct_config *cfg, const char *dir, const char *name,
		       const char *token, long budget_ms, struct uct_send_result *out)
{
	struct uct_http_post req = {
		.url = cfg->report_url,
		.token = token,
		.ca_file = cfg->report_ca,
		.pin = cfg->report_pin,
		.timeout_ms = budget_ms,
		.connect_to = &cfg->connect_to,
		.proxy = cfg->proxy,
	};
	struct uct_err err = {0};
	char *path = uct_asprintf("%s/%s", dir, name), *body = NULL, *msg;
	size_t len;
	long status;
	int go_on = 0;

	if (path == NULL)
		return 0;
	if (uct_file_read(path, SEND_MAX_BODY, &body, &len, &err) < 0) {
		problem(out, err.msg);
		uct_file_remove(path, &err);
		free(path);
		return 1;
	}
	req.body = body;
	req.len = len;
	if (uct_http_post(&req, &status, &err) < 0) {
		msg = uct_asprintf("the collector could not be reached (%s); the report waits for "
				   "the next run",
				   err.msg);
		problem(out, msg != NULL ? msg : err.msg);
		free(msg);
	} else if (status >= 200 && status < 300) {
		out->sent++;
		uct_file_remove(path, &err);
		go_on = 1;
	} else if (status == 400 || status == 413) {
		refused(dir, name, &req, status, out);
		uct_file_remove(path, &err);
		go_on = 1;
	} else {
		msg = uct_asprintf("the collector answered HTTP %ld%s; the report waits for the "
				   "next run",
				   status, status == 401 ? " (check the token file)" : "");
		problem(out, msg != NULL ? msg : "collector error");
		free(msg);
	}
	free(body);
	free(path);
	return go_on;
}

static void deliver(const struct uct_config *cfg, const char *dir, struct uct_send_result *out)
{
	struct uct_strv names = {0};
	struct uct_err err = {0};
	int64_t t0 = uct_monotonic_ms(), left;
	char *token = NULL;
	size_t i;

	if (cfg->report_token_file != NULL) {
		token = read_token(cfg->report_token_file, &err);
		if (token == NULL) {
			problem(out, err.msg);
			return;
		}
	}
	if (uct_dir_list(dir, &names, &err) < 0)
		problem(out, err.msg);
	for (i = 0; i < names.n; i++) {
		left = UCT_REPORT_BUDGET_MS - (uct_monotonic_ms() - t0);
		if (left <= 0)
			break;
		if (!deliver_one(cfg, dir, names.v[i], token, (long)left, out))
			break;
	}
	uct_strv_clear(&names);
	names = (struct uct_strv){0};
	if (uct_dir_list(dir, &names, &err) == 0)
		out->waiting = (int)names.n;
	uct_strv_clear(&names);
	free(token);
}

static int spooled(const char *path)
{
	struct uct_err err = {0};
	char *text = NULL;
	size_t len;
	int there = uct_file_read(path, SEND_MAX_BODY, &text, &len, &err) == 0;

	free(text);
	return there;
}

void uct_send_report(const struct uct_config *cfg, const struct uct_run *run, int exit_code,
		     struct uct_send_result *out)
{
	struct uct_err err = {0};
	char id[37], *dir = NULL, *path = NULL, *counter = NULL, *body = NULL;
	size_t len = 0;
	long dropped;

	memset(out, 0, sizeof(*out));
	if (cfg->report_url == NULL || *cfg->report_url == '\0' || run->record.state_dir == NULL)
		return;
	out->enabled = 1;
	dir = uct_asprintf("%s/spool", run->record.state_dir);
	counter = uct_asprintf("%s/spool.dropped", run->record.state_dir);
	if (dir == NULL || counter == NULL || uct_uuid(id, &err) < 0) {
		problem(out, err.msg[0] ? err.msg : "out of memory");
		goto out;
	}
	dropped = read_dropped(counter) + trim_spool(dir, out);
	body = render(run, exit_code, id, dropped, &len);
	/* Names sort by time, then id: the oldest report goes first. */
	path = uct_asprintf("%s/%lld-%s.json", dir, (long long)run->outcome.started, id);
	if (body == NULL || path == NULL) {
		problem(out, "cannot render the report");
		goto out;
	}
	if (uct_file_write_atomic(path, body, len, 0600, &err) < 0) {
		problem(out, err.msg);
		goto out;
	}
	if (out->dropped > 0 || dropped > 0)
		write_dropped(counter, dropped);
	deliver(cfg, dir, out);
	/* Once this report, which carries the count, is delivered: start again. */
	if (dropped > 0 && !spooled(path))
		write_dropped(counter, 0);
out:
	free(body);
	free(path);
	free(dir);
	free(counter);
}
