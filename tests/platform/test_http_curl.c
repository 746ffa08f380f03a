/*
 * test_http_curl.c: the GET of platform/linux/http_curl.c against a real
 * HTTP server on 127.0.0.1: the body and status whatever the status, the
 * token and the type asked for, --connect-to, the size cap, a refused
 * connection and a server that never answers (bounded by the timeout).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "platform.h"
#include "testhttp.h"

static char url[256];

static struct uct_http_get get_req(const char *token)
{
	struct uct_http_get req = {
		.url = url,
		.token = token,
		.max_len = 1024,
		.connect_timeout_ms = 2000,
		.timeout_ms = 5000,
	};
	return req;
}

START_TEST(get_returns_body_and_sends_token)
{
	char *resp = uct_testhttp_response(200, "{\"serial\":5}"), *body = NULL;
	struct uct_testhttp *srv = uct_testhttp_start(resp, strlen(resp));
	struct uct_http_get req = get_req("s3cret");
	struct uct_err err = {0};
	long status = 0;
	size_t len = 0;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/trust", uct_testhttp_port(srv));
	ck_assert_msg(uct_http_get(&req, &status, &body, &len, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(status, 200);
	ck_assert_str_eq(body, "{\"serial\":5}");
	ck_assert_uint_eq(len, 12);
	ck_assert_ptr_nonnull(strstr(uct_testhttp_request(srv), "GET /api/v1/trust HTTP/1.1\r\n"));
	ck_assert_ptr_nonnull(strstr(uct_testhttp_request(srv),
				     "Authorization: Bearer s3cret\r\n"));
	ck_assert_ptr_nonnull(strstr(uct_testhttp_request(srv), "Accept: application/json\r\n"));
	free(body);
	uct_testhttp_stop(srv);
	free(resp);
}
END_TEST

/* An error status is an answer: the caller decides what it means. */
START_TEST(get_error_status_is_an_answer)
{
	char *resp = uct_testhttp_response(503, "{\"error\":\"no signing key\"}"), *body = NULL;
	struct uct_testhttp *srv = uct_testhttp_start(resp, strlen(resp));
	struct uct_http_get req = get_req(NULL);
	struct uct_err err = {0};
	long status = 0;
	size_t len = 0;

	/* The name is mapped to the server, as --connect-to does for labs. */
	struct uct_strv map = {0};
	char line[128];

	snprintf(line, sizeof(line), "collector.example.com:8443:127.0.0.1:%d",
		 uct_testhttp_port(srv));
	ck_assert_int_eq(uct_strv_push(&map, line), 0);
	req.connect_to = &map;
	snprintf(url, sizeof(url), "http://collector.example.com:8443/api/v1/trust");
	ck_assert_msg(uct_http_get(&req, &status, &body, &len, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(status, 503);
	ck_assert_str_eq(body, "{\"error\":\"no signing key\"}");
	ck_assert_ptr_null(strstr(uct_testhttp_request(srv), "Authorization"));
	ck_assert_ptr_nonnull(strstr(uct_testhttp_request(srv),
				     "Host: collector.example.com:8443"));
	free(body);
	uct_strv_clear(&map);
	uct_testhttp_stop(srv);
	free(resp);
}
END_TEST

START_TEST(get_refuses_a_body_over_the_cap)
{
	char big[2048], *resp, *body = (char *)1;
	struct uct_testhttp *srv;
	struct uct_http_get req = get_req(NULL);
	struct uct_err err = {0};
	long status = 0;
	size_t len = 0;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	resp = uct_testhttp_response(200, big);
	srv = uct_testhttp_start(resp, strlen(resp));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/trust", uct_testhttp_port(srv));
	ck_assert_int_eq(uct_http_get(&req, &status, &body, &len, &err), -1);
	ck_assert_int_eq(err.code, UCT_E_NET);
	ck_assert_ptr_nonnull(strstr(err.msg, "the answer is larger than 1024 bytes"));
	ck_assert_ptr_null(body);
	uct_testhttp_stop(srv);
	free(resp);
}
END_TEST

START_TEST(get_refused_and_silent_servers_fail)
{
	struct uct_testhttp *srv = uct_testhttp_start(NULL, 0);
	struct uct_http_get req = get_req(NULL);
	struct uct_err err = {0};
	char *body = NULL;
	long status = 0;
	size_t len = 0;
	int64_t t0;

	/* Port 1 on loopback: nothing listens there. */
	snprintf(url, sizeof(url), "http://127.0.0.1:1/api/v1/trust");
	ck_assert_int_eq(uct_http_get(&req, &status, &body, &len, &err), -1);
	ck_assert_int_eq(err.code, UCT_E_NET);
	ck_assert_ptr_nonnull(strstr(err.msg, "http://127.0.0.1:1/api/v1/trust: "));

	memset(&err, 0, sizeof(err));
	req.timeout_ms = 400;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/trust", uct_testhttp_port(srv));
	t0 = uct_monotonic_ms();
	ck_assert_int_eq(uct_http_get(&req, &status, &body, &len, &err), -1);
	ck_assert_int_lt(uct_monotonic_ms() - t0, 3000);
	ck_assert_int_eq(err.code, UCT_E_NET);
	ck_assert_ptr_null(body);
	uct_testhttp_stop(srv);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http_curl");
	TCase *tc = uct_check_tcase(s, "get", 0);

	tcase_add_test(tc, get_returns_body_and_sends_token);
	tcase_add_test(tc, get_error_status_is_an_answer);
	tcase_add_test(tc, get_refuses_a_body_over_the_cap);
	tcase_add_test(tc, get_refused_and_silent_servers_fail);
	return uct_check_run(s);
}
