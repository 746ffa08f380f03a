/*
 * test_collector_report.c: the collector's report validation: the sample
 * agent report passes, and a table of damaged documents is refused with a
 * message naming the field; tokens and listen addresses.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "check_main.h"
#include "col.h"

#define FP \
	"A3:DC:C7:94:01:F6:79:53:C4:98:F2:03:A1:59:F0:C2:D2:AA:71:66:D3:C9:1A:B5:01:34:62:BF:39:AB:84:3B"
#define HEAD                                                                                          \
	"{\"schema\":1,\"report_id\":\"0A1B2C3D-0000-4000-8000-000000000001\",\"version\":\"0.1.0\"," \
	"\"host_name\":\"pc1\",\"time\":\"2026-01-02T03:04:05Z\","
#define EP_OK                                                                           \
	"{\"url\":\"https://uccx1.example/\",\"verdict\":\"trusted\",\"fetch\":\"ok\"," \
	"\"certificate\":{\"sha256\":\"" FP "\",\"not_valid_after\":1900000000}}"

static char *read_sample(size_t *len)
{
	char path[1024];
	const char *src = getenv("UCT_SOURCE_DIR");
	FILE *f;
	char *buf = malloc(1 << 20);

	snprintf(path, sizeof(path), "%s/tests/collector/sample-report.json", src ? src : ".");
	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	buf[*len] = '\0';
	return buf;
}

START_TEST(test_sample_report)
{
	struct col_report *r;
	struct col_err err = {0};
	size_t len;
	char *body = read_sample(&len);

	ck_assert_int_eq(col_report_parse(body, len, &r, &err), 0);
	ck_assert_str_eq(r->report_id, "00000000-0000-4000-8000-000000000001");
	ck_assert_str_eq(r->host_name, "pc-0001.corp.example");
	ck_assert_int_eq(r->n_endpoints, 13);
	ck_assert_int_eq(r->problem, 1);
	ck_assert_int_eq(r->n_problem_endpoints, 13);
	ck_assert_int_eq(r->endpoints[0].not_after, 1827506514);
	ck_assert_int_eq(r->next_expiry, 1827506514);
	ck_assert_int_eq(r->body_len, len);
	col_report_free(r);
	free(body);
}
END_TEST

START_TEST(test_minimal_trusted)
{
	const char *doc = HEAD "\"endpoints\":[" EP_OK ",{\"url\":\"https://uccx2.example/\","
			       "\"verdict\":\"trusted\",\"fetch\":\"dns\",\"certificate\":null}]}";
	struct col_report *r;
	struct col_err err = {0};

	ck_assert_int_eq(col_report_parse(doc, strlen(doc), &r, &err), 0);
	/* The report id is kept in lower case so that case does not defeat
	 * duplicate detection. */
	ck_assert_str_eq(r->report_id, "0a1b2c3d-0000-4000-8000-000000000001");
	ck_assert_int_eq(r->problem, 0);
	ck_assert_str_eq(r->endpoints[0].sha256, FP);
	ck_assert_str_eq(r->endpoints[1].sha256, "");
	ck_assert_int_eq(r->time, 1767323045);
	col_report_free(r);
}
END_TEST

static const struct {
	const char *doc;
	enum col_reject reason;
	const char *msg_part;
} bad_cases[] = {
	{"", COL_REJ_MALFORMED_JSON, "malformed"},
	{"{\"schema\":1", COL_REJ_MALFORMED_JSON, "malformed"},
	{"{\"schema\":1,\"schema\":1}", COL_REJ_MALFORMED_JSON, "duplicate"},
	{"\"text\"", COL_REJ_MALFORMED_JSON, "malformed"}, /* jansson refuses a bare string */
	{"[]", COL_REJ_INVALID_REPORT, "object"},
	{"{\"schema\":\"1\"}", COL_REJ_INVALID_REPORT, "schema"},
	{"{\"schema\":2}", COL_REJ_INVALID_REPORT, "schema"},
	{"{\"schema\":1}", COL_REJ_INVALID_REPORT, "report_id"},
	{"{\"schema\":1,\"report_id\":\"0a1b2c3d00004000800000000000000001\"}",
	 COL_REJ_INVALID_REPORT, "report_id"},
	{"{\"schema\":1,\"report_id\":\"0a1b2c3d-0000-4000-8000-00000000000g\"}",
	 COL_REJ_INVALID_REPORT, "report_id"},
	{"{\"schema\":1,\"report_id\":\"0a1b2c3d-0000-4000-8000-000000000001\",\"version\":\"1\"}",
	 COL_REJ_INVALID_REPORT, "host_name"},
	{"{\"schema\":1,\"report_id\":\"0a1b2c3d-0000-4000-8000-000000000001\",\"host_name\":\"a\\nb\","
	 "\"version\":\"1\"}",
	 COL_REJ_INVALID_REPORT, "host_name"},
/* Names that would not show as what they are: a right-to-left override,
	 * a C1 control (U+009B: a terminal's CSI), a line separator, a
	 * zero-width space, each as an escape and as raw UTF-8. */
#define HOST_IS(name)                                                           \
	"{\"schema\":1,\"report_id\":\"0a1b2c3d-0000-4000-8000-000000000001\"," \
	"\"host_name\":\"" name "\",\"version\":\"1\"}"
	{HOST_IS("pc1\\u202emoc.live"), COL_REJ_INVALID_REPORT, "host_name"},
	{HOST_IS("pc1\xe2\x80\xaemoc.live"), COL_REJ_INVALID_REPORT, "host_name"},
	{HOST_IS("pc1\\u009b31m"), COL_REJ_INVALID_REPORT, "host_name"},
	{HOST_IS("pc1\xc2\x9b"
		 "31m"),
	 COL_REJ_INVALID_REPORT, "host_name"},
	{HOST_IS("pc1\\u2028x"), COL_REJ_INVALID_REPORT, "host_name"},
	{HOST_IS("pc\\u200b1"), COL_REJ_INVALID_REPORT, "host_name"},
	{HOST_IS("pc\\u001b[2J"), COL_REJ_INVALID_REPORT, "host_name"},
	{HOST_IS("pc\xff"), COL_REJ_MALFORMED_JSON, "malformed"},
	{HEAD "\"endpoints\":[{\"url\":\"https://x/\\u202e\",\"verdict\":\"trusted\"}]}",
	 COL_REJ_INVALID_REPORT, "endpoints[0].url"},
	{HEAD "\"endpoints\":{}}", COL_REJ_INVALID_REPORT, "endpoints"},
	{HEAD "\"endpoints\":[1]}", COL_REJ_INVALID_REPORT, "endpoints[0]"},
	{HEAD "\"endpoints\":[" EP_OK ",{\"verdict\":\"trusted\"}]}", COL_REJ_INVALID_REPORT,
	 "endpoints[1].url"},
	{HEAD "\"endpoints\":[{\"url\":\"http://x/\",\"verdict\":\"trusted\"}]}",
	 COL_REJ_INVALID_REPORT, "https"},
	{HEAD "\"endpoints\":[{\"url\":\"https://x/\"}]}", COL_REJ_INVALID_REPORT, "verdict"},
	{HEAD "\"endpoints\":[{\"url\":\"https://x/\",\"verdict\":\"trusted\",\"fetch\":\"ok\"}]}",
	 COL_REJ_INVALID_REPORT, "certificate"},
	{HEAD "\"endpoints\":[{\"url\":\"https://x/\",\"verdict\":\"trusted\",\"certificate\":"
	      "{\"sha256\":\"AB:CD\",\"not_valid_after\":1}}]}",
	 COL_REJ_INVALID_REPORT, "sha256"},
	{HEAD "\"endpoints\":[{\"url\":\"https://x/\",\"verdict\":\"trusted\",\"certificate\":"
	      "{\"sha256\":\"" FP "\",\"not_valid_after\":\"soon\"}}]}",
	 COL_REJ_INVALID_REPORT, "not_valid_after"},
	{HEAD "\"endpoints\":[],\"problems\":\"none\"}", COL_REJ_INVALID_REPORT, "problems"},
};

START_TEST(test_bad_reports)
{
	struct col_report *r = (struct col_report *)1;
	struct col_err err = {0};
	const char *doc = bad_cases[_i].doc;

	ck_assert_int_eq(col_report_parse(doc, strlen(doc), &r, &err), -1);
	ck_assert_ptr_null(r);
	ck_assert_msg(err.reason == bad_cases[_i].reason, "case %d: reason %s, message %s", _i,
		      col_reject_name(err.reason), err.msg);
	ck_assert_msg(strstr(err.msg, bad_cases[_i].msg_part) != NULL, "case %d: message %s", _i,
		      err.msg);
}
END_TEST

/* Non-ASCII names are fine when every character shows itself; text that
 * is not an identity (an endpoint's reason) is kept as received. */
START_TEST(test_names_shown)
{
	const char *doc = "{\"schema\":1,\"report_id\":\"0a1b2c3d-0000-4000-8000-000000000001\","
			  "\"host_name\":\"poste-\xc3\xa9quipe-\xe4\xb8\x80.corp.example\","
			  "\"version\":\"1\",\"time\":\"2026-01-02T03:04:05Z\",\"endpoints\":["
			  "{\"url\":\"https://uccx1.example/\",\"verdict\":\"not-trusted\","
			  "\"reason\":\"CN=\\u202eevil <script>\"}]}";
	struct col_report *r;
	struct col_err err = {0};

	ck_assert_msg(col_report_parse(doc, strlen(doc), &r, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(r->host_name, "poste-\xc3\xa9quipe-\xe4\xb8\x80.corp.example");
	col_report_free(r);
}
END_TEST

START_TEST(test_bad_time)
{
	int64_t t;

	ck_assert_int_eq(col_parse_time("2026-01-02T03:04:05Z", &t), 0);
	ck_assert_int_eq(t, 1767323045);
	ck_assert_int_eq(col_parse_time("2026-01-02 03:04:05Z", &t), -1);
	ck_assert_int_eq(col_parse_time("2026-01-02T03:04:05+01:00", &t), -1);
	ck_assert_int_eq(col_parse_time("2026-01-02T03:04:05", &t), -1);
}
END_TEST

START_TEST(test_tokens)
{
	struct col_tokens t = {.n = 2, .v = {"0123456789abcdef", "fedcba9876543210xyz"}};

	ck_assert(col_tokens_match(&t, "0123456789abcdef"));
	ck_assert(col_tokens_match(&t, "fedcba9876543210xyz"));
	ck_assert(!col_tokens_match(&t, "0123456789abcde"));
	ck_assert(!col_tokens_match(&t, "0123456789abcdefg"));
	ck_assert(!col_tokens_match(&t, ""));
	ck_assert(!col_tokens_match(&t, NULL));
}
END_TEST

START_TEST(test_listen)
{
	struct sockaddr_storage ss;
	struct col_err err = {0};
	unsigned len;
	int lo;

	ck_assert_int_eq(col_parse_listen("127.0.0.1:8443", &ss, &len, &lo, &err), 0);
	ck_assert_int_eq(lo, 1);
	ck_assert_int_eq(col_parse_listen("127.8.0.1:1", &ss, &len, &lo, &err), 0);
	ck_assert_int_eq(lo, 1);
	ck_assert_int_eq(col_parse_listen("0.0.0.0:8443", &ss, &len, &lo, &err), 0);
	ck_assert_int_eq(lo, 0);
	ck_assert_int_eq(col_parse_listen("[::1]:8443", &ss, &len, &lo, &err), 0);
	ck_assert_int_eq(lo, 1);
	ck_assert_int_eq(ss.ss_family, AF_INET6);
	ck_assert_int_eq(col_parse_listen("[::]:8443", &ss, &len, &lo, &err), 0);
	ck_assert_int_eq(lo, 0);
	ck_assert_int_eq(col_parse_listen("localhost:8443", &ss, &len, &lo, &err), -1);
	ck_assert_int_eq(col_parse_listen("127.0.0.1:70000", &ss, &len, &lo, &err), -1);
	ck_assert_int_eq(col_parse_listen("127.0.0.1", &ss, &len, &lo, &err), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("collector_report");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_sample_report);
	tcase_add_test(tc, test_minimal_trusted);
	tcase_add_loop_test(tc, test_bad_reports, 0, sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(tc, test_names_shown);
	tcase_add_test(tc, test_bad_time);
	tcase_add_test(tc, test_tokens);
	tcase_add_test(tc, test_listen);
	suite_add_tcase(s, tc);
	return uct_check_run(s);
}
