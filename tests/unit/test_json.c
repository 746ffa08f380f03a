/*
 * test_json.c: the strict JSON reader and the canonical writer of
 * core/json.c. The canonical bytes are compared with what jansson writes
 * with JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII, the flags the
 * collector signs with.
 */
#include <check.h>

#include "check_main.h"
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "uct_json.h"

/* Documents the reader accepts; their canonical bytes must be jansson's. */
static const char *const good_docs[] = {
	"{}",
	"[]",
	"0",
	"\"\"",
	" { \"b\" : [1, true, false, null, -7], \"a\" : {\"z\":{}, \"y\":[]} } \r\n\t",
	"{\"s\":\"q\\\"b\\\\s\\/n\\nr\\rt\\tb\\bf\\f\"}",
	"{\"u\":\"\\u00e4\\u00E4\xc3\xa4\\ud83d\\ude00\xf0\x9f\x98\x80\\u001f\\u007f\x7f\\u2028\"}",
	"{\"b\":1,\"B\":2,\"a\":3,\"\xc3\xa4\":4,\"ab\":5,\"a\\u0062c\":6}",
	"[9223372036854775807,-9223372036854775808,-0,10]",
	"{\"approvals\":[{\"id\":1,\"kind\":\"ca\",\"ca_pem\":\"-----BEGIN CERTIFICATE-----\\nMIIB\\n\"}],"
	"\"serial\":5,\"signature\":\"MEUCIQ==\",\"version\":1}",
};

START_TEST(test_canonical_is_janssons)
{
	const char *text = good_docs[_i];
	struct uct_json *doc = NULL;
	struct uct_err err = {0};
	json_error_t jerr;
	json_t *j;
	char *ours = NULL, *theirs;
	size_t len = 0;

	ck_assert_msg(uct_json_parse(text, strlen(text), &doc, &err) == 0, "%s: %s", text, err.msg);
	ck_assert_int_eq(uct_json_canonical(doc, NULL, &ours, &len, &err), 0);
	j = json_loadb(text, strlen(text), JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
	ck_assert_msg(j != NULL, "jansson: %s", jerr.text);
	theirs = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
	ck_assert_str_eq(ours, theirs);
	ck_assert_uint_eq(len, strlen(theirs));
	free(theirs);
	json_decref(j);
	free(ours);
	uct_json_free(doc);
}
END_TEST

START_TEST(test_canonical_drops_top_signature_only)
{
	const char *text = "{\"signature\":\"x\",\"a\":{\"signature\":1},\"z\":[\"signature\"]}";
	struct uct_json *doc = NULL;
	struct uct_err err = {0};
	char *out = NULL;
	size_t len = 0;

	ck_assert_int_eq(uct_json_parse(text, strlen(text), &doc, &err), 0);
	ck_assert_int_eq(uct_json_canonical(doc, "signature", &out, &len, &err), 0);
	ck_assert_str_eq(out, "{\"a\":{\"signature\":1},\"z\":[\"signature\"]}");
	free(out);
	ck_assert_str_eq(uct_json_get(doc, "signature")->str, "x");
	ck_assert_int_eq(uct_json_get(doc, "a")->type, UCT_JSON_OBJECT);
	ck_assert_ptr_null(uct_json_get(doc, "b"));
	uct_json_free(doc);
}
END_TEST

/* Documents the reader refuses, and the offset and words of the reason. */
static const struct {
	const char *text, *reason;
} bad_docs[] = {
	{"{\"a\":1,\"a\":2}", "byte 7: a member name given twice"},
	{"{\"b\":1,\"a\":2,\"b\":3}", "byte 13: a member name given twice"},
	{"[1.5]", "byte 1: a number with a fraction"},
	{"[1e3]", "byte 1: a number with a fraction or an exponent"},
	{"[1,01]", "byte 3: a number with a leading zero"},
	{"[-]", "byte 1: a '-' without digits"},
	{"[9223372036854775808]", "byte 1: an integer outside the 64-bit range"},
	{"[-9223372036854775809]", "byte 1: an integer outside the 64-bit range"},
	{"[99999999999999999999999]", "outside the 64-bit range"},
	{"\"\\ud800\"", "byte 1: a high surrogate escape without its low half"},
	{"\"\\ud800\\u0041\"", "without its low half"},
	{"\"\\udc00\"", "byte 1: a lone low surrogate"},
	{"\"\\u0000\"", "byte 1: \\u0000"},
	{"\"\\u12\"", "without four hex digits"},
	{"\"\\q\"", "byte 1: an unknown escape"},
	{"\"a\x01\"", "byte 2: a control character"},
	{"\"\xc0\x80\"", "byte 1: invalid UTF-8"},
	{"\"\xed\xa0\x80\"", "byte 1: invalid UTF-8"},
	{"\"\xf4\x90\x80\x80\"", "byte 1: invalid UTF-8"},
	{"\"\xe2\x82\"", "byte 1: invalid UTF-8"},
	{"\"\xff\"", "byte 1: invalid UTF-8"},
	{"\"abc", "byte 0: an unterminated string"},
	{"{} x", "byte 3: bytes after the end"},
	{"{}{}", "byte 2: bytes after the end"},
	{"[1,]", "byte 3: unexpected character"},
	{"{\"a\":1,}", "byte 7: expected a member name"},
	{"{\"a\" 1}", "byte 5: expected ':'"},
	{"[1 2]", "byte 3: expected ',' or ']'"},
	{"[", "byte 1: the document ends"},
	{"", "byte 0: the document ends"},
	{"tru", "byte 0: unexpected character"},
	{"NaN", "byte 0: unexpected character"},
	{"[+1]", "byte 1: unexpected character"},
	{"{'a':1}", "byte 1: expected a member name"},
};

START_TEST(test_refused)
{
	struct uct_json *doc = (struct uct_json *)1;
	struct uct_err err = {0};

	ck_assert_int_eq(uct_json_parse(bad_docs[_i].text, strlen(bad_docs[_i].text), &doc, &err),
			 -1);
	ck_assert_ptr_null(doc);
	ck_assert_int_eq(err.code, UCT_E_PARSE);
	ck_assert_msg(strstr(err.msg, bad_docs[_i].reason) != NULL, "%s: got '%s', want '%s'",
		      bad_docs[_i].text, err.msg, bad_docs[_i].reason);
}
END_TEST

/* The bounds: 32 levels of nesting, 1 MiB, 100000 values. */
START_TEST(test_bounds)
{
	size_t big = UCT_JSON_MAX_SIZE + 1, i;
	char *text = malloc(big + 1);
	struct uct_json *doc = NULL;
	struct uct_err err = {0};

	ck_assert_ptr_nonnull(text);
	memset(text, '[', 32);
	memset(text + 32, ']', 32);
	ck_assert_int_eq(uct_json_parse(text, 64, &doc, &err), 0);
	uct_json_free(doc);
	memset(text, '[', 33);
	memset(text + 33, ']', 33);
	ck_assert_int_eq(uct_json_parse(text, 66, &doc, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "byte 32: arrays and objects nested deeper than 32"));
	/* A deep nesting far past the bound fails the same way, without
	 * exhausting the stack. */
	memset(text, '[', big);
	uct_err_clear(&err);
	ck_assert_int_eq(uct_json_parse(text, UCT_JSON_MAX_SIZE, &doc, &err), -1);
	uct_err_clear(&err);
	ck_assert_int_eq(uct_json_parse(text, big, &doc, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "1048577 bytes, more than the reader accepts"));
	/* 100001 values: "[0,0,...,0]" has 100000 zeros plus the array. */
	text[0] = '[';
	for (i = 0; i < 100000; i++)
		memcpy(text + 1 + 2 * i, "0,", 2);
	text[2 * 100000] = ']';
	uct_err_clear(&err);
	ck_assert_int_eq(uct_json_parse(text, 2 * 100000 + 1, &doc, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "more values than the reader accepts"));
	text[2 * 99999] = ']';
	ck_assert_int_eq(uct_json_parse(text, 2 * 99999 + 1, &doc, &err), 0);
	ck_assert_uint_eq(doc->n, 99999);
	uct_json_free(doc);
	free(text);
}
END_TEST

static Suite *json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("json");

	tcase_add_loop_test(tc, test_canonical_is_janssons, 0,
			    (int)(sizeof(good_docs) / sizeof(good_docs[0])));
	tcase_add_test(tc, test_canonical_drops_top_signature_only);
	tcase_add_loop_test(tc, test_refused, 0, (int)(sizeof(bad_docs) / sizeof(bad_docs[0])));
	tcase_add_test(tc, test_bounds);
	suite_add_tcase(s, tc);
	return s;
}

UCT_CHECK_MAIN(json_suite)
