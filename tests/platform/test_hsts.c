/*
 * test_hsts.c: the top-level domains preloaded whole as HTTPS-only, where
 * Firefox takes no certificate exception (platform/common/hsts.c), and the
 * Linux doctor hook, which has nothing to add.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "platform.h"

static const struct {
	const char *host;
	const char *tld; /* NULL: not preloaded */
} cases[] = {
	{"uccx1.corp.dev", "dev"},
	{"UCCX1.Corp.DEV", "dev"},
	{"uccx1.corp.dev.", "dev"},
	{"finesse.example.app", "app"},
	{"cuic.example.page", "page"},
	{"uccx1.example.com", NULL},
	{"uccx1.corp.local", NULL},
	{"uccx1.devices.example.com", NULL},
	{"dev", NULL},
	{"uccx1.example.development", NULL},
	{"", NULL},
	{NULL, NULL},
};

START_TEST(preloaded_tlds)
{
	const char *got = uct_hsts_preloaded_tld(cases[_i].host);

	if (cases[_i].tld == NULL)
		ck_assert_msg(got == NULL, "%s: %s", cases[_i].host ? cases[_i].host : "(null)",
			      got);
	else
		ck_assert_msg(got != NULL && strcmp(got, cases[_i].tld) == 0, "%s: %s",
			      cases[_i].host, got ? got : "(none)");
}
END_TEST

/* On Linux doctor says nothing more than before. */
START_TEST(linux_doctor_adds_nothing)
{
	struct uct_strv hosts = {0}, notes = {0};

	ck_assert_int_eq(uct_strv_push(&hosts, "uccx1.corp.dev"), 0);
	uct_platform_doctor_notes(&hosts, &notes);
	ck_assert_uint_eq(notes.n, 0);
	uct_strv_clear(&hosts);
	uct_strv_clear(&notes);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hsts");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, preloaded_tlds, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, linux_doctor_adds_nothing);
	suite_add_tcase(s, tc);
	return uct_check_run(s);
}
