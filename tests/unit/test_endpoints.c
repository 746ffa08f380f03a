/*
 * test_endpoints.c: the UCCX endpoint table, role filters, de-duplication,
 * grouping by host:port, and the URL parser's accept/reject table.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "endpoints.h"

static void base_config(struct uct_config *cfg, unsigned roles)
{
	uct_config_init(cfg);
	cfg->roles = roles;
	ck_assert_int_eq(uct_strv_push(&cfg->nodes, "uccx1.example.com"), 0);
	ck_assert_int_eq(uct_strv_push(&cfg->nodes, "uccx2.example.com"), 0);
	cfg->socialminer = uct_strdup("sm.example.com");
}

/* "name url" for endpoint i, for compact comparisons. */
static const char *ep_line(const struct uct_endpoints *eps, size_t i)
{
	static char line[300];

	snprintf(line, sizeof(line), "%s %s", eps->v[i].name, eps->v[i].url);
	return line;
}

START_TEST(two_nodes_and_socialminer_all_roles)
{
	static const char *const want[] = {
		"appadmin https://uccx1.example.com/appadmin/main",
		"notification https://uccx1.example.com:7443/",
		"finesse https://uccx1.example.com:8445/",
		"cfadmin https://uccx1.example.com:8445/cfadmin",
		"cuic https://uccx1.example.com:8444/",
		"livedata https://uccx1.example.com:12015/",
		"appadmin https://uccx2.example.com/appadmin/main",
		"notification https://uccx2.example.com:7443/",
		"finesse https://uccx2.example.com:8445/",
		"cfadmin https://uccx2.example.com:8445/cfadmin",
		"cuic https://uccx2.example.com:8444/",
		"livedata https://uccx2.example.com:12015/",
		"socialminer https://sm.example.com/",
	};
	struct uct_endpoints eps;
	struct uct_config cfg;
	struct uct_err err = {0};
	size_t i;

	base_config(&cfg, UCT_ROLE_ALL);
	ck_assert_int_eq(uct_endpoints_build(&cfg, &eps, &err), 0);
	ck_assert_uint_eq(eps.n, 13);
	for (i = 0; i < eps.n; i++)
		ck_assert_str_eq(ep_line(&eps, i), want[i]);
	ck_assert_uint_eq(eps.n_targets, 11);
	/* finesse and cfadmin share one handshake, on the first one's path. */
	ck_assert_uint_eq(eps.v[2].target, eps.v[3].target);
	ck_assert_str_eq(eps.targets[eps.v[2].target].path, "/");
	ck_assert_str_eq(eps.targets[0].host, "uccx1.example.com");
	ck_assert_int_eq(eps.targets[0].port, 443);
	ck_assert_str_eq(eps.targets[0].path, "/appadmin/main");
	ck_assert_str_eq(eps.targets[10].host, "sm.example.com");
	for (i = 0; i < eps.n; i++) {
		ck_assert_str_eq(eps.targets[eps.v[i].target].host, eps.v[i].host);
		ck_assert_int_eq(eps.targets[eps.v[i].target].port, eps.v[i].port);
	}
	uct_endpoints_free(&eps);
	uct_config_free(&cfg);
}
END_TEST

static const struct {
	unsigned roles;
	const char *names; /* of uccx1's endpoints, then socialminer */
} role_cases[] = {
	{UCT_ROLE_AGENT, "notification finesse cuic livedata socialminer "},
	{UCT_ROLE_SUPERVISOR, "notification finesse cuic livedata socialminer "},
	{UCT_ROLE_REPORTING, "notification cuic livedata "},
	{UCT_ROLE_ADMIN, "appadmin finesse cfadmin cuic socialminer "},
	{UCT_ROLE_REPORTING | UCT_ROLE_ADMIN,
	 "appadmin notification finesse cfadmin cuic livedata socialminer "},
};

START_TEST(role_filters)
{
	struct uct_endpoints eps;
	struct uct_config cfg;
	struct uct_err err = {0};
	char names[300] = "";
	size_t i;

	base_config(&cfg, role_cases[_i].roles);
	uct_strv_clear(&cfg.nodes);
	ck_assert_int_eq(uct_strv_push(&cfg.nodes, "uccx1.example.com"), 0);
	ck_assert_int_eq(uct_endpoints_build(&cfg, &eps, &err), 0);
	for (i = 0; i < eps.n; i++) {
		strcat(names, eps.v[i].name);
		strcat(names, " ");
		ck_assert_uint_ne(eps.v[i].roles & role_cases[_i].roles, 0);
	}
	ck_assert_str_eq(names, role_cases[_i].names);
	uct_endpoints_free(&eps);
	uct_config_free(&cfg);
}
END_TEST

START_TEST(extra_urls_dedupe_and_group)
{
	struct uct_endpoints eps;
	struct uct_config cfg;
	struct uct_err err = {0};

	uct_config_init(&cfg);
	cfg.roles = UCT_ROLE_REPORTING;
	ck_assert_int_eq(uct_strv_push(&cfg.nodes, "UCCX1.example.com"), 0);
	/* Same page as the node's CUIC endpoint, written differently. */
	ck_assert_int_eq(uct_strv_push(&cfg.urls, "HTTPS://uccx1.EXAMPLE.com:8444/#reports"), 0);
	ck_assert_int_eq(uct_strv_push(&cfg.urls, "https://crm.example.com/a?b=1"), 0);
	ck_assert_int_eq(uct_strv_push(&cfg.urls, "https://crm.example.com/other"), 0);
	ck_assert_int_eq(uct_strv_push(&cfg.urls, "https://crm.example.com:443/a?b=1"), 0);
	ck_assert_int_eq(uct_endpoints_build(&cfg, &eps, &err), 0);
	/* notification, cuic, livedata + two distinct crm pages */
	ck_assert_uint_eq(eps.n, 5);
	ck_assert_str_eq(ep_line(&eps, 1), "cuic https://uccx1.example.com:8444/");
	/* The URL merged into cuic makes it an every-role page. */
	ck_assert_uint_eq(eps.v[1].roles, UCT_ROLE_ALL);
	ck_assert_str_eq(ep_line(&eps, 3), "url https://crm.example.com/a?b=1");
	ck_assert_str_eq(ep_line(&eps, 4), "url https://crm.example.com/other");
	ck_assert_uint_eq(eps.n_targets, 4);
	ck_assert_uint_eq(eps.v[3].target, eps.v[4].target);
	uct_endpoints_free(&eps);
	uct_config_free(&cfg);
}
END_TEST

/* A node or URL written with the trailing root dot is the same host: one
 * handshake, one form (no dot) in URLs, SNI, verification and the state. */
START_TEST(trailing_dot_is_one_host)
{
	struct uct_endpoints eps;
	struct uct_config cfg;
	struct uct_err err = {0};
	size_t i;

	uct_config_init(&cfg);
	cfg.roles = UCT_ROLE_REPORTING;
	ck_assert_int_eq(uct_strv_push(&cfg.nodes, "UCCX1.example.com."), 0);
	ck_assert_int_eq(uct_strv_push(&cfg.urls, "https://uccx1.example.com.:8444/"), 0);
	ck_assert_int_eq(uct_strv_push(&cfg.urls, "https://uccx1.example.com:8444/"), 0);
	ck_assert_int_eq(uct_endpoints_build(&cfg, &eps, &err), 0);
	ck_assert_uint_eq(eps.n, 3);
	ck_assert_str_eq(ep_line(&eps, 1), "cuic https://uccx1.example.com:8444/");
	for (i = 0; i < eps.n; i++)
		ck_assert_str_eq(eps.v[i].host, "uccx1.example.com");
	for (i = 0; i < eps.n_targets; i++)
		ck_assert_str_eq(eps.targets[i].host, "uccx1.example.com");
	uct_endpoints_free(&eps);
	uct_config_free(&cfg);
}
END_TEST

START_TEST(nothing_configured)
{
	struct uct_endpoints eps;
	struct uct_config cfg;
	struct uct_err err = {0};

	uct_config_init(&cfg);
	ck_assert_int_eq(uct_endpoints_build(&cfg, &eps, &err), -1);
	ck_assert_int_eq(err.code, UCT_E_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "nothing to check"));
	ck_assert_uint_eq(eps.n, 0);
	memset(&err, 0, sizeof(err));
	cfg.socialminer = uct_strdup("sm.example.com");
	cfg.roles = UCT_ROLE_REPORTING;
	ck_assert_int_eq(uct_endpoints_build(&cfg, &eps, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "no endpoint is used by the selected roles"));
	uct_endpoints_free(&eps);
	uct_config_free(&cfg);
}
END_TEST

static const struct {
	const char *url;
	const char *host; /* NULL: must fail */
	int port;
	const char *path; /* or, on failure, part of the message */
} url_cases[] = {
	{"https://uccx1.example.com", "uccx1.example.com", 443, "/"},
	{"https://UCCX1.Example.COM:8445/cfadmin", "uccx1.example.com", 8445, "/cfadmin"},
	{"https://a.example.com:1/x/y?z=1#frag", "a.example.com", 1, "/x/y?z=1"},
	{"https://a.example.com:65535?q", "a.example.com", 65535, "/?q"},
	{"https://a.example.com#top", "a.example.com", 443, "/"},
	/* The trailing root dot names the same host: one form everywhere. */
	{"https://UCCX1.example.com.:8445/desktop", "uccx1.example.com", 8445, "/desktop"},
	{"https://uccx1.example.com./", "uccx1.example.com", 443, "/"},
	{"https://uccx1.:8445/", NULL, 0, "'uccx1' is a short name"},
	{"http://a.example.com/", NULL, 0,
	 "only https URLs can be checked: 'http://a.example.com/'"},
	{"a.example.com", NULL, 0, "(write it as https://host/...)"},
	{"https://a.example.com:0/", NULL, 0, "the port must be a number from 1 to 65535"},
	{"https://a.example.com:65536/", NULL, 0, "the port must be a number from 1 to 65535"},
	{"https://a.example.com:/", NULL, 0, "the port must be a number from 1 to 65535"},
	{"https://a.example.com:84x/", NULL, 0, "the port must be a number from 1 to 65535"},
	{"https://user:pw@a.example.com/", NULL, 0, "contains a user name"},
	{"https://10.1.2.3:8445/", NULL, 0, "'10.1.2.3' is an IP address"},
	{"https://[2001:db8::1]:8445/", NULL, 0, "'[2001:db8::1]' is an IP address"},
	{"https://[2001:db8::1/", NULL, 0, "missing ']'"},
	{"https://uccx1:8445/", NULL, 0, "'uccx1' is a short name"},
	{"https:///path", NULL, 0, "has no host name"},
	{"https://bad_host.example.com/", NULL, 0, "is not a valid host name"},
};

START_TEST(url_parse_table)
{
	struct uct_err err = {0};
	char *host = (char *)1, *path = (char *)1;
	int port = 0, rc;

	rc = uct_url_parse(url_cases[_i].url, &host, &port, &path, &err);
	if (url_cases[_i].host == NULL) {
		ck_assert_int_eq(rc, -1);
		ck_assert_int_eq(err.code, UCT_E_CONFIG);
		ck_assert_msg(strstr(err.msg, url_cases[_i].path) != NULL, "%s: %s",
			      url_cases[_i].url, err.msg);
		ck_assert_ptr_null(host);
		ck_assert_ptr_null(path);
		return;
	}
	ck_assert_msg(rc == 0, "%s: %s", url_cases[_i].url, err.msg);
	ck_assert_str_eq(host, url_cases[_i].host);
	ck_assert_int_eq(port, url_cases[_i].port);
	ck_assert_str_eq(path, url_cases[_i].path);
	free(host);
	free(path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("endpoints");
	TCase *tc = tcase_create("endpoints");

	tcase_add_test(tc, two_nodes_and_socialminer_all_roles);
	tcase_add_loop_test(tc, role_filters, 0, sizeof(role_cases) / sizeof(role_cases[0]));
	tcase_add_test(tc, extra_urls_dedupe_and_group);
	tcase_add_test(tc, trailing_dot_is_one_host);
	tcase_add_test(tc, nothing_configured);
	tcase_add_loop_test(tc, url_parse_table, 0, sizeof(url_cases) / sizeof(url_cases[0]));
	suite_add_tcase(s, tc);
	return uct_check_run(s);
}
