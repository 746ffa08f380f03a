/*
 * test_collector_config.c: the collector's --config file, read in the
 * agent's INI dialect: a long value whole, inline comments cut as the agent
 * cuts them, a repeated key and a bad line refused with a message naming
 * the file, the line and the fix, other sections left alone, flags over
 * the file.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "col.h"

static char ini[128];
static struct col_config cfg;
static struct col_err err;

static void setup(void)
{
	snprintf(ini, sizeof(ini), "%s", uct_check_path("collector.ini"));
	memset(&err, 0, sizeof(err));
}

static void teardown(void)
{
	col_config_free(&cfg);
}

static void write_ini(const char *text)
{
	FILE *f = fopen(ini, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

/* col_config_load with --config FILE and the flags given, NULL-ended. */
static int load(const char *flag, const char *value)
{
	char *argv[] = {"uccx-trust-collector", "--config", ini, (char *)flag, (char *)value, NULL};
	int argc = flag != NULL ? 5 : 3;

	return col_config_load(argc, argv, &cfg, &err);
}

/* A 250-byte db value (a PostgreSQL URL with options) comes back whole. */
START_TEST(test_long_value)
{
	static const char url[] = "postgresql://col@127.0.0.1:5432/fleet?application_name=";
	char db[251], text[400];

	memset(db, 'x', sizeof(db) - 1);
	db[sizeof(db) - 1] = '\0';
	memcpy(db, url, strlen(url));
	ck_assert_uint_eq(strlen(db), 250);
	snprintf(text, sizeof(text), "[collector]\ndb = %s\ntimeout = 12\n", db);
	write_ini(text);
	ck_assert_msg(load(NULL, NULL) == 0, "%s", err.msg);
	ck_assert_str_eq(cfg.db_path, db);
	ck_assert_uint_eq(cfg.timeout_s, 12);
}
END_TEST

/* '#' and ';' after white space start a comment, as in agent.ini; a '#'
 * inside a word stays; quotes around a value go. */
START_TEST(test_comments)
{
	write_ini("# the fleet's collector\n"
		  "[collector]  ; main section\n"
		  "listen = 127.0.0.1:8443 # local only\n"
		  "db = /var/lib/col#1/fleet.db ; the database\n"
		  "agent_token_file = \"/etc/uccx trust/agent.tokens\"\n"
		  "max_body = 2048\t# small\n");
	ck_assert_msg(load(NULL, NULL) == 0, "%s", err.msg);
	ck_assert_str_eq(cfg.listen, "127.0.0.1:8443");
	ck_assert_str_eq(cfg.db_path, "/var/lib/col#1/fleet.db");
	ck_assert_str_eq(cfg.agent_token_file, "/etc/uccx trust/agent.tokens");
	ck_assert_uint_eq(cfg.max_body, 2048);
}
END_TEST

/* A key given twice is refused, whichever spelling ('-' or '_'). */
START_TEST(test_repeated_key)
{
	char want[200];

	write_ini("[collector]\nmax_body = 2048\nlisten = 127.0.0.1:1\nmax-body = 4096\n");
	ck_assert_int_eq(load(NULL, NULL), -1);
	snprintf(want, sizeof(want),
		 "%s:4: 'max-body' is set twice in [collector] (also on line 2)", ini);
	ck_assert_msg(strstr(err.msg, want) != NULL, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "keep one of them") != NULL, "%s", err.msg);
}
END_TEST

/* A line that is neither a pair nor a section: the line and the syntax. */
START_TEST(test_bad_line)
{
	char want[200];

	write_ini("[collector]\n; a comment\nlisten 127.0.0.1:8443\n");
	ck_assert_int_eq(load(NULL, NULL), -1);
	snprintf(want, sizeof(want), "%s:3: syntax error: expected 'key = value' or '[section]'",
		 ini);
	ck_assert_msg(strstr(err.msg, want) != NULL, "%s", err.msg);
}
END_TEST

/* An unknown key and a bad value name their line and what is expected. */
START_TEST(test_bad_settings)
{
	char want[200];

	write_ini("[collector]\n\nlistne = 127.0.0.1:8443\n");
	ck_assert_int_eq(load(NULL, NULL), -1);
	snprintf(want, sizeof(want), "%s:3: unknown setting \"listne\" in [collector]", ini);
	ck_assert_msg(strstr(err.msg, want) != NULL, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "--help") != NULL, "%s", err.msg);

	col_config_free(&cfg);
	memset(&err, 0, sizeof(err));
	write_ini("[collector]\ntimeout = 0\n");
	ck_assert_int_eq(load(NULL, NULL), -1);
	snprintf(want, sizeof(want),
		 "%s:2: bad value \"0\" for timeout: a whole number from 1 to 3600", ini);
	ck_assert_msg(strstr(err.msg, want) != NULL, "%s", err.msg);
}
END_TEST

/* Other programs' sections are left alone; a flag wins over the file. */
START_TEST(test_sections_and_flags)
{
	write_ini("[agent]\nlisten = not an address\nwhatever = 1\n"
		  "[Collector]\nlisten = 127.0.0.1:9000\nsync = normal\n");
	ck_assert_msg(load("--listen", "127.0.0.1:9100") == 0, "%s", err.msg);
	ck_assert_str_eq(cfg.listen, "127.0.0.1:9100");
	ck_assert_int_eq(cfg.sync, COL_SYNC_NORMAL);
}
END_TEST

/* A --config path that cannot be read says which and what to check. */
START_TEST(test_missing_file)
{
	ck_assert_int_eq(load(NULL, NULL), -1);
	ck_assert_msg(strstr(err.msg, ini) != NULL && strstr(err.msg, "--config") != NULL, "%s",
		      err.msg);
}
END_TEST

/* A token's label names who approved; without one, its place in the file. */
START_TEST(test_token_labels)
{
	struct col_tokens t;

	write_ini("# admins\n0123456789abcdef0123   alice (helpdesk)\n\nfedcba9876543210fedc\n");
	ck_assert_msg(col_tokens_load(ini, &t, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(col_tokens_label(&t, "0123456789abcdef0123"), "alice (helpdesk)");
	ck_assert_str_eq(col_tokens_label(&t, "fedcba9876543210fedc"), "token 2");
	ck_assert_ptr_null(col_tokens_label(&t, "0123456789abcdef0123   alice (helpdesk)"));
	ck_assert_ptr_null(col_tokens_label(&t, NULL));
	ck_assert_int_eq(col_tokens_match(&t, "fedcba9876543210fedc"), 1);
	col_tokens_free(&t);
	/* A label is written into the audit log: printable ASCII only. */
	write_ini("0123456789abcdef0123 al\x1b[2Jice\n");
	ck_assert_int_eq(col_tokens_load(ini, &t, &err), -1);
	ck_assert_msg(strstr(err.msg, "printable ASCII") != NULL, "%s", err.msg);
}
END_TEST

/* No [probe]: no probe. A full [probe] section is read, defaults filled. */
START_TEST(test_probe_section)
{
	write_ini("[collector]\nlisten = 127.0.0.1:9000\n");
	ck_assert_msg(load(NULL, NULL) == 0, "%s", err.msg);
	ck_assert_int_eq(cfg.probe.enabled, 0);
	col_config_free(&cfg);

	write_ini("[probe]\nnodes = uccx1.lab.example, UCCX2.lab.example\n"
		  "socialminer = sm.lab.example\nauto_approve = probe\n"
		  "connect_to = uccx1.lab.example:8445:127.0.0.1:4000,"
		  "sm.lab.example:443:[::1]:4001\n");
	ck_assert_msg(load(NULL, NULL) == 0, "%s", err.msg);
	ck_assert_int_eq(cfg.probe.enabled, 1);
	ck_assert_uint_eq(cfg.probe.nodes.n, 2);
	ck_assert_str_eq(cfg.probe.nodes.v[1], "UCCX2.lab.example");
	ck_assert_str_eq(cfg.probe.socialminer, "sm.lab.example");
	ck_assert_int_eq(cfg.probe.auto_approve, COL_AUTO_PROBE);
	ck_assert_uint_eq(cfg.probe.connect_to.n, 2);
	ck_assert_uint_eq(cfg.probe.interval_s, 600);
	col_config_free(&cfg);

	write_ini("[probe]\nnodes = uccx1.lab.example\ninterval = 3\n");
	ck_assert_msg(load(NULL, NULL) == 0, "%s", err.msg);
	ck_assert_uint_eq(cfg.probe.interval_s, 180);
	ck_assert_int_eq(cfg.probe.auto_approve, COL_AUTO_NEVER);
	col_config_free(&cfg);
	/* The tests' interval in seconds wins over minutes. */
	ck_assert_msg(load("--probe-interval-seconds", "2") == 0, "%s", err.msg);
	ck_assert_uint_eq(cfg.probe.interval_s, 2);
}
END_TEST

/* Flags: a node list given by flags replaces the file's. */
START_TEST(test_probe_flags)
{
	write_ini("[probe]\nnodes = uccx1.lab.example\n");
	ck_assert_msg(load("--probe-node", "uccx9.lab.example") == 0, "%s", err.msg);
	ck_assert_uint_eq(cfg.probe.nodes.n, 1);
	ck_assert_str_eq(cfg.probe.nodes.v[0], "uccx9.lab.example");
	col_config_free(&cfg);

	write_ini("[collector]\n");
	ck_assert_msg(load("--probe-auto-approve", "probe") == -1, "probe without nodes");
	ck_assert_msg(strstr(err.msg, "nothing to fetch") != NULL &&
			      strstr(err.msg, "--probe-node") != NULL,
		      "%s", err.msg);
}
END_TEST

/* Each bad value names the file, the line, the key and what is expected. */
static const struct {
	const char *line, *want;
} probe_bad_cases[] = {
	{"interval = 0", ":3: bad value \"0\" for [probe] interval: a whole number of minutes"},
	{"interval = 10m", "for [probe] interval: a whole number of minutes from 1 to 1440"},
	{"interval_seconds = -1", "for [probe] interval_seconds: a whole number of seconds"},
	{"auto_approve = always", "bad value \"always\" for [probe] auto_approve: never or probe"},
	{"connect_to = uccx1.lab.example:8445", "[probe] connect_to: HOST:PORT:ADDR:PORT"},
	{"connect_to = h.example:0:127.0.0.1:1", "[probe] connect_to: HOST:PORT:ADDR:PORT"},
	{"socialminer = sm", "[probe] socialminer: SocialMiner's fully qualified name"},
	{"nodes = uccx1.lab.example, 10.0.0.1", "\"10.0.0.1\" for [probe] nodes: a UCCX node's"},
	{"node = uccx1.lab.example", "unknown setting \"node\" in [probe]; the settings are nodes"},
	{"nodes = a.example\nnodes = b.example",
	 ":4: 'nodes' is set twice in [probe] (also on line 3)"},
};

START_TEST(test_probe_bad_values)
{
	char text[200];

	snprintf(text, sizeof(text), "[probe]\n; one bad line\n%s\n", probe_bad_cases[_i].line);
	write_ini(text);
	ck_assert_int_eq(load(NULL, NULL), -1);
	ck_assert_msg(strstr(err.msg, probe_bad_cases[_i].want) != NULL, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, ini) != NULL, "%s", err.msg);
}
END_TEST

/* examples/collector.ini's [probe] keys, uncommented, are all accepted. */
START_TEST(test_probe_example)
{
	char path[512], line[512], *text = calloc(1, 65536);
	int in_probe = 0;
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/examples/collector.ini", getenv("UCT_SOURCE_DIR"));
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s", path);
	while (fgets(line, sizeof(line), f) != NULL && len + strlen(line) < 65536) {
		const char *keep = line;
		if (line[0] == '[')
			in_probe = strncmp(line, "[probe]", 7) == 0;
		/* ";key = value" is a setting to uncomment; "; text" is prose. */
		else if (in_probe && line[0] == ';' && line[1] >= 'a' && line[1] <= 'z')
			keep = line + 1;
		memcpy(text + len, keep, strlen(keep));
		len += strlen(keep);
	}
	fclose(f);
	ck_assert_int_eq(in_probe, 1);
	write_ini(text);
	free(text);
	ck_assert_msg(load(NULL, NULL) == 0, "%s", err.msg);
	ck_assert_int_eq(cfg.probe.enabled, 1);
	ck_assert_uint_eq(cfg.probe.nodes.n, 2);
	ck_assert_uint_eq(cfg.probe.connect_to.n, 1);
	ck_assert_uint_eq(cfg.probe.interval_s, 600);
}
END_TEST

/* A bad flag names the flag. */
START_TEST(test_probe_bad_flag)
{
	write_ini("[collector]\n");
	ck_assert_int_eq(load("--probe-interval", "x"), -1);
	ck_assert_msg(strstr(err.msg, "for --probe-interval: a whole number of minutes") != NULL,
		      "%s", err.msg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("collector_config");
	TCase *tc = uct_check_tcase(s, "core", 1);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_long_value);
	tcase_add_test(tc, test_comments);
	tcase_add_test(tc, test_repeated_key);
	tcase_add_test(tc, test_bad_line);
	tcase_add_test(tc, test_bad_settings);
	tcase_add_test(tc, test_sections_and_flags);
	tcase_add_test(tc, test_token_labels);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_probe_section);
	tcase_add_test(tc, test_probe_flags);
	tcase_add_loop_test(tc, test_probe_bad_values, 0,
			    (int)(sizeof(probe_bad_cases) / sizeof(probe_bad_cases[0])));
	tcase_add_test(tc, test_probe_bad_flag);
	tcase_add_test(tc, test_probe_example);
	return uct_check_run(s);
}
