/*
 * test_trustsrc.c: the collector trust mode's source (agent/trustsrc.c)
 * against a real HTTP server on 127.0.0.1 and documents signed here: a
 * good document is returned and kept (bytes and serial), the kept one is
 * used when the collector cannot be reached or answers an error, a bad
 * fetched document is refused and never replaced by the kept one, and
 * each fault has its own reason.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "platform.h"
#include "testhttp.h"
#include "testsig.h"
#include "trustsrc.h"

#define FP \
	"A3:DC:C7:94:01:F6:79:53:C4:98:F2:03:A1:59:F0:C2:D2:AA:71:66:D3:C9:1A:B5:01:34:62:BF:39:AB:84:3B"
#define HOUR 3600
#define DAY 86400

static void *key, *other_key;
static struct uct_config cfg;
static struct uct_testhttp *srv;

static void setup(void)
{
	char *pem = NULL;
	size_t len;
	struct uct_err err = {0};
	FILE *f;

	key = uct_testsig_key("P-256", uct_check_path("trust.pub"));
	other_key = uct_testsig_key("P-256", uct_check_path("other.pub"));
	ck_assert_int_eq(uct_file_read(uct_check_path("trust.pub"), 4096, &pem, &len, &err), 0);
	f = fopen(uct_check_path("agent.tok"), "w");
	ck_assert_ptr_nonnull(f);
	fputs("tok-123\n", f);
	ck_assert_int_eq(fclose(f), 0);
	uct_config_init(&cfg);
	cfg.mode = UCT_MODE_COLLECTOR;
	cfg.trust_key_pem = pem;
	cfg.state_dir = uct_strdup(uct_check_path("state"));
	cfg.report_token_file = uct_strdup(uct_check_path("agent.tok"));
	cfg.connect_timeout_ms = 2000;
	cfg.total_timeout_ms = 5000;
	/* Port 1 of loopback: nothing listens there. */
	cfg.trust_url = uct_strdup("http://127.0.0.1:1/api/v1/trust");
	srv = NULL;
}

static void teardown(void)
{
	uct_testhttp_stop(srv);
	uct_config_free(&cfg);
	uct_testsig_free_key(key);
	uct_testsig_free_key(other_key);
}

/* Serve status and body at cfg.trust_url. */
static void serve(int status, const char *body)
{
	char *resp = uct_testhttp_response(status, body), url[128];

	srv = uct_testhttp_start(resp, strlen(resp));
	free(resp);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/trust", uct_testhttp_port(srv));
	free(cfg.trust_url);
	cfg.trust_url = uct_strdup(url);
}

/* A document signed by k with serial, valid from now + from to now + to. */
static char *doc_at(void *k, int64_t serial, int64_t from, int64_t to)
{
	int64_t now = uct_now();

	return uct_testsig_doc(k, serial, now + from, now + to, "uccx1.example.com", FP);
}

static void put(const char *name, const char *text)
{
	struct uct_err err = {0};
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", cfg.state_dir, name);
	ck_assert_msg(uct_file_write_atomic(path, text, strlen(text), 0600, &err) == 0, "%s",
		      err.msg);
}

/* The text of a state file, "" when missing (static buffer). */
static const char *kept(const char *name)
{
	static char *text;
	struct uct_err err = {0};
	char path[600];
	size_t len;

	free(text);
	text = NULL;
	snprintf(path, sizeof(path), "%s/%s", cfg.state_dir, name);
	return uct_file_read(path, UCT_TRUSTDOC_MAX, &text, &len, &err) == 0 ? text : "";
}

struct outcome {
	int rc, kept;
	int64_t serial;
	enum uct_trustdoc_fault fault;
	struct uct_err err;
	char problem[768];
};

static struct outcome run_source(void)
{
	struct outcome o = {.serial = -1};
	const struct uct_trustdoc *doc = NULL;
	struct uct_trustsrc *src;

	src = uct_trustsrc_start(&cfg, &o.err);
	ck_assert_msg(src != NULL, "%s", o.err.msg);
	o.rc = uct_trustsrc_wait(src, &doc, &o.kept, &o.fault, &o.err);
	ck_assert_int_eq(o.rc == 0, doc != NULL);
	if (doc != NULL)
		o.serial = doc->serial;
	snprintf(o.problem, sizeof(o.problem), "%s", uct_trustsrc_problem(src));
	uct_trustsrc_free(src);
	return o;
}

START_TEST(fetched_document_is_returned_and_kept)
{
	char *doc = doc_at(key, 5, -60, DAY);
	struct outcome o;

	serve(200, doc);
	o = run_source();
	ck_assert_msg(o.rc == 0, "%s", o.err.msg);
	ck_assert_int_eq(o.kept, 0);
	ck_assert_int_eq(o.serial, 5);
	ck_assert_int_eq(o.fault, UCT_TRUSTDOC_OK);
	ck_assert_str_eq(o.problem, "");
	ck_assert_str_eq(kept(UCT_TRUSTDOC_FILE), doc);
	ck_assert_str_eq(kept(UCT_TRUSTDOC_SERIAL_FILE), "5\n");
	ck_assert_ptr_nonnull(strstr(uct_testhttp_request(srv),
				     "Authorization: Bearer tok-123\r\n"));
	free(doc);
}
END_TEST

/* The same serial again is the same document: accepted. */
START_TEST(same_serial_again_is_accepted)
{
	char *doc = doc_at(key, 5, -60, DAY);
	struct outcome o;

	put(UCT_TRUSTDOC_SERIAL_FILE, "5\n");
	serve(200, doc);
	o = run_source();
	ck_assert_msg(o.rc == 0, "%s", o.err.msg);
	ck_assert_str_eq(kept(UCT_TRUSTDOC_SERIAL_FILE), "5\n");
	free(doc);
}
END_TEST

/* The collector signs anew for every request: the kept copy is written
 * again for other approvals (serial) or a validity a day longer, not for
 * every login's document. */
START_TEST(kept_copy_is_written_again_only_when_it_matters)
{
	static const struct {
		int64_t serial, to;
		int written; /* 1: this one is kept; 0: the one before stays */
	} steps[] = {
		{5, 7 * DAY, 1},
		{5, 7 * DAY + 600, 0},
		{5, 8 * DAY + 60, 1},
		{6, 8 * DAY + 60, 1},
	};
	char *doc, *before = NULL;
	struct outcome o;
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		doc = doc_at(key, steps[i].serial, -60, steps[i].to);
		uct_testhttp_stop(srv);
		serve(200, doc);
		o = run_source();
		ck_assert_msg(o.rc == 0 && o.kept == 0, "step %zu: %s", i, o.err.msg);
		ck_assert_int_eq(o.serial, steps[i].serial);
		ck_assert_msg(strcmp(kept(UCT_TRUSTDOC_FILE), steps[i].written ? doc : before) == 0,
			      "step %zu: the kept copy is not the expected one", i);
		if (steps[i].written) {
			free(before);
			before = doc;
		} else {
			free(doc);
		}
	}
	free(before);
}
END_TEST

START_TEST(unreachable_collector_uses_the_kept_document)
{
	char *doc = doc_at(key, 3, -HOUR, DAY);
	struct outcome o;

	put(UCT_TRUSTDOC_FILE, doc);
	put(UCT_TRUSTDOC_SERIAL_FILE, "3\n");
	o = run_source();
	ck_assert_msg(o.rc == 0, "%s", o.err.msg);
	ck_assert_int_eq(o.kept, 1);
	ck_assert_int_eq(o.serial, 3);
	ck_assert_msg(strncmp(o.problem, "the collector cannot be reached (", 33) == 0, "%s",
		      o.problem);
	free(doc);
}
END_TEST

START_TEST(http_error_uses_the_kept_document)
{
	char *doc = doc_at(key, 3, -HOUR, DAY);
	struct outcome o;

	put(UCT_TRUSTDOC_FILE, doc);
	serve(503, "{\"error\":\"no signing key\"}");
	o = run_source();
	ck_assert_msg(o.rc == 0, "%s", o.err.msg);
	ck_assert_int_eq(o.kept, 1);
	ck_assert_msg(strstr(o.problem, "HTTP 503") != NULL, "%s", o.problem);
	free(doc);
}
END_TEST

/* A bad fetched document is refused even with a good one kept: it is
 * never silently replaced. */
enum bad_kind { BAD_TAMPERED, BAD_OTHER_KEY, BAD_EXPIRED, BAD_SERIAL_BACK, BAD_NOT_JSON };
static const struct {
	enum bad_kind kind;
	enum uct_trustdoc_fault fault;
	const char *says;
} bad_fetched[] = {
	{BAD_TAMPERED, UCT_TRUSTDOC_BAD_SIGNATURE,
	 "the collector's trust document is refused: the trust document was changed after the "
	 "collector signed it"},
	{BAD_OTHER_KEY, UCT_TRUSTDOC_OTHER_KEY,
	 "the collector's trust document is refused: the trust document is signed by another "
	 "collector key"},
	{BAD_EXPIRED, UCT_TRUSTDOC_EXPIRED,
	 "the collector's trust document is refused: the trust document expired "},
	{BAD_SERIAL_BACK, UCT_TRUSTDOC_SERIAL_BACK,
	 "the collector's trust document is refused: the trust document's serial went back (4, "
	 "after 7 was accepted)"},
	{BAD_NOT_JSON, UCT_TRUSTDOC_MALFORMED,
	 "the collector's trust document is refused: the trust document is malformed"},
};

static char *bad_doc(enum bad_kind kind)
{
	char *doc, *at;

	switch (kind) {
	case BAD_TAMPERED:
		doc = doc_at(key, 8, -60, DAY);
		at = strstr(doc, "uccx1.example.com");
		at[4] = '9';
		return doc;
	case BAD_OTHER_KEY: return doc_at(other_key, 8, -60, DAY);
	case BAD_EXPIRED: return doc_at(key, 8, -8 * DAY, -DAY);
	case BAD_SERIAL_BACK: return doc_at(key, 4, -60, DAY);
	case BAD_NOT_JSON: return uct_strdup("<html>login</html>");
	}
	return NULL;
}

START_TEST(bad_fetched_document_is_refused)
{
	char *good = doc_at(key, 7, -HOUR, DAY), *bad = bad_doc(bad_fetched[_i].kind);
	struct outcome o;

	put(UCT_TRUSTDOC_FILE, good);
	put(UCT_TRUSTDOC_SERIAL_FILE, "7\n");
	serve(200, bad);
	o = run_source();
	ck_assert_int_eq(o.rc, -1);
	ck_assert_int_eq(o.kept, 0);
	ck_assert_int_eq(o.fault, bad_fetched[_i].fault);
	ck_assert_msg(strncmp(o.err.msg, bad_fetched[_i].says, strlen(bad_fetched[_i].says)) == 0,
		      "%s", o.err.msg);
	/* What was kept stays as it was. */
	ck_assert_str_eq(kept(UCT_TRUSTDOC_FILE), good);
	ck_assert_str_eq(kept(UCT_TRUSTDOC_SERIAL_FILE), "7\n");
	free(good);
	free(bad);
}
END_TEST

START_TEST(nothing_fetched_nothing_kept)
{
	struct outcome o = run_source();

	ck_assert_int_eq(o.rc, -1);
	ck_assert_int_eq(o.fault, UCT_TRUSTDOC_NONE);
	ck_assert_str_eq(uct_trustdoc_fault_name(o.fault), "none");
	ck_assert_msg(strncmp(o.err.msg, "no trust document yet: the collector cannot be reached (",
			      56) == 0,
		      "%s", o.err.msg);
	ck_assert_msg(strstr(o.err.msg, "and none is kept from an earlier run") != NULL, "%s",
		      o.err.msg);
}
END_TEST

START_TEST(no_signing_key_and_nothing_kept)
{
	struct outcome o;

	serve(503, "{\"error\":\"no signing key\"}");
	o = run_source();
	ck_assert_int_eq(o.rc, -1);
	ck_assert_int_eq(o.fault, UCT_TRUSTDOC_NONE);
	ck_assert_msg(strstr(o.err.msg, "no trust document yet: the collector has no trust "
					"document yet (HTTP 503") != NULL,
		      "%s", o.err.msg);
}
END_TEST

/* The kept document expires like any other. */
START_TEST(kept_document_expires)
{
	char *doc = doc_at(key, 3, -8 * DAY, -60);
	struct outcome o;

	put(UCT_TRUSTDOC_FILE, doc);
	o = run_source();
	ck_assert_int_eq(o.rc, -1);
	ck_assert_int_eq(o.fault, UCT_TRUSTDOC_EXPIRED);
	ck_assert_msg(strstr(o.err.msg, "and the document kept from an earlier run is refused: the "
					"trust document expired") != NULL,
		      "%s", o.err.msg);
	free(doc);
}
END_TEST

/* A damaged serial file is not taken as 0 (that would let an old
 * document back in). */
START_TEST(damaged_serial_file_is_an_error)
{
	char *doc = doc_at(key, 5, -60, DAY);
	struct outcome o;

	put(UCT_TRUSTDOC_SERIAL_FILE, "five\n");
	serve(200, doc);
	o = run_source();
	ck_assert_int_eq(o.rc, -1);
	ck_assert_msg(strstr(o.err.msg, "trustdoc.serial is damaged") != NULL, "%s", o.err.msg);
	free(doc);
}
END_TEST

START_TEST(start_needs_collector_mode)
{
	struct uct_err err = {0};

	cfg.mode = UCT_MODE_TOFU;
	ck_assert_ptr_null(uct_trustsrc_start(&cfg, &err));
	ck_assert_int_eq(err.code, UCT_E_USAGE);
	uct_trustsrc_free(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("trustsrc");
	TCase *tc = uct_check_tcase(s, "trustsrc", 1);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, fetched_document_is_returned_and_kept);
	tcase_add_test(tc, same_serial_again_is_accepted);
	tcase_add_test(tc, kept_copy_is_written_again_only_when_it_matters);
	tcase_add_test(tc, unreachable_collector_uses_the_kept_document);
	tcase_add_test(tc, http_error_uses_the_kept_document);
	tcase_add_loop_test(tc, bad_fetched_document_is_refused, 0,
			    sizeof(bad_fetched) / sizeof(bad_fetched[0]));
	tcase_add_test(tc, nothing_fetched_nothing_kept);
	tcase_add_test(tc, no_signing_key_and_nothing_kept);
	tcase_add_test(tc, kept_document_expires);
	tcase_add_test(tc, damaged_serial_file_is_an_error);
	tcase_add_test(tc, start_needs_collector_mode);
	return uct_check_run(s);
}
