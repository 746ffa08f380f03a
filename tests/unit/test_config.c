/*
 * test_config.c: configuration loading: defaults, the INI file and its
 * error messages (file, line, fix), flags over the file, --help/--version.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "config.h"
#include "platform.h"

static char ini_path[512];

static void setup(void)
{
	snprintf(ini_path, sizeof(ini_path), "%s", uct_check_path("agent.ini"));
	unsetenv("UCCX_TRUST_CONFIG");
}

static void write_ini(const char *text)
{
	FILE *f = fopen(ini_path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* Load with a NULL-terminated list of arguments (argv[0] is added). */
static int load(struct uct_config *cfg, struct uct_err *err, const char *first, ...)
{
	char *argv[64];
	const char *arg;
	va_list ap;
	int argc = 0;

	argv[argc++] = "uccx-trust";
	va_start(ap, first);
	for (arg = first; arg != NULL; arg = va_arg(ap, const char *))
		argv[argc++] = (char *)arg;
	va_end(ap);
	argv[argc] = NULL;
	uct_config_init(cfg);
	memset(err, 0, sizeof(*err));
	return uct_config_load(cfg, argc, argv, err);
}

START_TEST(defaults_without_file)
{
	struct uct_config cfg;
	struct uct_err err;

	/* Only meaningful where the machine-wide file is absent. */
	if (access("/etc/uccx-trust/agent.ini", F_OK) == 0)
		return;
	ck_assert_int_eq(load(&cfg, &err, "check", "--node", "UCCX1.Example.com", NULL), 0);
	ck_assert_int_eq(cfg.command, UCT_CMD_CHECK);
	ck_assert_uint_eq(cfg.nodes.n, 1);
	ck_assert_str_eq(cfg.nodes.v[0], "uccx1.example.com");
	ck_assert_uint_eq(cfg.roles, UCT_ROLE_ALL);
	ck_assert_int_eq(cfg.mode, UCT_MODE_TOFU);
	ck_assert_int_eq(cfg.connect_timeout_ms, 5000);
	ck_assert_int_eq(cfg.total_timeout_ms, 15000);
	ck_assert_uint_eq(cfg.browsers, 0);
	ck_assert_ptr_null(cfg.proxy);
	ck_assert_int_eq(cfg.accept_change, 0);
	/* The default /etc path does not exist on the test machine. */
	ck_assert_ptr_null(cfg.config_path);
	uct_config_free(&cfg);
}
END_TEST

START_TEST(full_file)
{
	struct uct_config cfg;
	struct uct_err err;

	write_ini("; UCCX lab\n"
		  "[UCCX]\n"
		  "Nodes = uccx1.example.com, uccx2.example.com\n"
		  "socialminer = sm.example.com\n"
		  "urls = https://crm.example.com:8443/app\n"
		  "[agent]\n"
		  "roles = agent, supervisor\n"
		  "browsers = firefox\n"
		  "nss_dbs = /tmp/a, /tmp/b\n"
		  "state_dir = /tmp/state\n"
		  "[trust]\n"
		  "mode = pinned\n"
		  "pins = 00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF\n"
		  "ca_files = /etc/ca.pem\n"
		  "accept_change = yes\n"
		  "[network]\n"
		  "connect_timeout = 2.5\n"
		  "timeout = 20\n"
		  "proxy = direct\n"
		  "connect_to = uccx1.example.com:8445:127.0.0.1:9445, :443:[::1]:8443\n"
		  "[report]\n"
		  "url = https://collector.example.com/\n");
	ck_assert_int_eq(load(&cfg, &err, "--config", ini_path, "install", NULL), 0);
	ck_assert_int_eq(cfg.command, UCT_CMD_INSTALL);
	ck_assert_str_eq(cfg.config_path, ini_path);
	ck_assert_uint_eq(cfg.nodes.n, 2);
	ck_assert_str_eq(cfg.nodes.v[1], "uccx2.example.com");
	ck_assert_str_eq(cfg.socialminer, "sm.example.com");
	ck_assert_str_eq(cfg.urls.v[0], "https://crm.example.com:8443/app");
	ck_assert_uint_eq(cfg.roles, UCT_ROLE_AGENT | UCT_ROLE_SUPERVISOR);
	ck_assert_uint_eq(cfg.browsers, UCT_BROWSER_FIREFOX);
	ck_assert_uint_eq(cfg.nss_dbs.n, 2);
	ck_assert_str_eq(cfg.nss_dbs.v[1], "/tmp/b");
	ck_assert_str_eq(cfg.state_dir, "/tmp/state");
	ck_assert_int_eq(cfg.mode, UCT_MODE_PINNED);
	ck_assert_uint_eq(cfg.n_pins, 1);
	ck_assert_int_eq(cfg.pins[0][0], 0x00);
	ck_assert_int_eq(cfg.pins[0][31], 0xff);
	ck_assert_str_eq(cfg.ca_files.v[0], "/etc/ca.pem");
	ck_assert_int_eq(cfg.accept_change, 1);
	ck_assert_int_eq(cfg.connect_timeout_ms, 2500);
	ck_assert_int_eq(cfg.total_timeout_ms, 20000);
	ck_assert_str_eq(cfg.proxy, "");
	ck_assert_uint_eq(cfg.connect_to.n, 2);
	ck_assert_str_eq(cfg.connect_to.v[1], ":443:[::1]:8443");
	ck_assert_str_eq(cfg.report_url, "https://collector.example.com/");
	uct_config_free(&cfg);
}
END_TEST

START_TEST(flags_override_file)
{
	struct uct_config cfg;
	struct uct_err err;

	write_ini("[uccx]\nnodes = uccx1.example.com, uccx2.example.com\n"
		  "[agent]\nroles = admin\n"
		  "[trust]\npins = "
		  "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:"
		  "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99\n"
		  "[network]\ntimeout = 30\nconnect_timeout = 3\n");
	setenv("UCCX_TRUST_CONFIG", ini_path, 1);
	/* Command after the flags, --flag=value, lists replaced not merged. */
	ck_assert_int_eq(
		load(&cfg, &err, "--node=uccx9.example.com", "--role", "agent,reporting",
		     "--timeout=4", "--pin",
		     "aabbccddeeff00112233445566778899aabbccddeeff00112233445566778800", "--pin",
		     "sha256:11BBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778800",
		     "check", NULL),
		0);
	ck_assert_str_eq(cfg.config_path, ini_path);
	ck_assert_uint_eq(cfg.nodes.n, 1);
	ck_assert_str_eq(cfg.nodes.v[0], "uccx9.example.com");
	ck_assert_uint_eq(cfg.roles, UCT_ROLE_AGENT | UCT_ROLE_REPORTING);
	ck_assert_uint_eq(cfg.n_pins, 2);
	ck_assert_int_eq(cfg.pins[0][31], 0x00);
	ck_assert_int_eq(cfg.pins[1][0], 0x11);
	ck_assert_int_eq(cfg.total_timeout_ms, 4000);
	/* Not given as a flag: the file's value stays. */
	ck_assert_int_eq(cfg.connect_timeout_ms, 3000);
	uct_config_free(&cfg);
}
END_TEST

START_TEST(help_and_version_need_nothing)
{
	struct uct_config cfg;
	struct uct_err err;

	setenv("UCCX_TRUST_CONFIG", "/nonexistent/agent.ini", 1);
	ck_assert_int_eq(load(&cfg, &err, "--help", NULL), 0);
	ck_assert_int_eq(cfg.help, 1);
	uct_config_free(&cfg);
	ck_assert_int_eq(load(&cfg, &err, "-V", NULL), 0);
	ck_assert_int_eq(cfg.version, 1);
	uct_config_free(&cfg);
	ck_assert_ptr_nonnull(strstr(uct_config_usage(), "--connect-to"));
	ck_assert_ptr_nonnull(strstr(uct_config_usage(), "Exit codes"));
}
END_TEST

START_TEST(remove_needs_no_nodes)
{
	struct uct_config cfg;
	struct uct_err err;

	write_ini("[agent]\nroles = agent\n");
	setenv("UCCX_TRUST_CONFIG", ini_path, 1);
	ck_assert_int_eq(load(&cfg, &err, "remove", "-q", "--json", NULL), 0);
	ck_assert_int_eq(cfg.command, UCT_CMD_REMOVE);
	ck_assert_int_eq(cfg.quiet, 1);
	ck_assert_int_eq(cfg.json, 1);
	uct_config_free(&cfg);
}
END_TEST

START_TEST(duplicate_node_is_a_warning)
{
	struct uct_config cfg;
	struct uct_err err;

	ck_assert_int_eq(load(&cfg, &err, "check", "--node", "a.example.com", "--node",
			      "A.example.com", NULL),
			 0);
	ck_assert_uint_eq(cfg.nodes.n, 1);
	ck_assert_uint_eq(cfg.warnings.n, 1);
	ck_assert_ptr_nonnull(strstr(cfg.warnings.v[0], "listed twice"));
	uct_config_free(&cfg);
}
END_TEST

/* Bad files: the message must name the file and line and say the fix.
 * "%s" in want stands for the file's path. */
static const struct {
	const char *ini;
	const char *want;
} bad_files[] = {
	{"[uccx]\nnodes = uccx1.example.com\n\n\n\n\nnode = x.example.com\n",
	 "%s:7: unknown key 'node' in [uccx] (did you mean 'nodes'?)"},
	{"[uccx]\n\nnodes = 10.1.2.3\n",
	 "%s:3: '10.1.2.3' is an IP address; UCCX servers must be reached by their FQDN "
	 "(e.g. uccx1.example.com) or the certificates will not match"},
	{"[uccx]\nnodes = uccx1.example.com, uccx1\n",
	 "%s:2: 'uccx1' is a short name; use the fully qualified name (e.g. "
	 "uccx1.example.com) so the certificates match"},
	{"[uccx]\nnodes = uccx1.example.com uccx2.example.com\n",
	 "%s:2: 'uccx1.example.com uccx2.example.com' is not one host name; separate names "
	 "with commas"},
	{"[uccx]\nnodes = https://uccx1.example.com/\n",
	 "%s:2: 'https://uccx1.example.com/' is a URL; give the host name only (e.g. "
	 "uccx1.example.com), or list the URL in urls = / --url"},
	{"[uccx]\nnodes = a.example.com\n[trsut]\nmode = tofu\n",
	 "%s:4: unknown section [trsut] (did you mean [trust]?)"},
	{"nodes = a.example.com\n", "%s:1: 'nodes' is outside any section; put it under [uccx]"},
	{"[uccx]\nnodes = a.example.com\nmode = pinned\n",
	 "%s:3: 'mode' belongs in [trust], not [uccx]"},
	{"[uccx]\nnodes = a.example.com\n[trust]\naccept_change = maybe\n",
	 "%s:4: 'maybe' is not yes or no"},
	{"[uccx]\nnodes = a.example.com\n[network]\ntimeout = soon\n",
	 "%s:4: 'soon' is not a number of seconds (e.g. 5 or 2.5)"},
	{"[uccx]\nnodes = a.example.com\n[network]\nconnect_timeout = -1\n",
	 "%s:4: -1 seconds is out of range: use more than 0 and at most 3600"},
	{"[uccx]\nnodes = a.example.com\n[trust]\npins = AA:BB:CC\n",
	 "%s:4: 'AA:BB:CC' is not a SHA-256 fingerprint (64 hex digits, colons optional; get "
	 "it with: openssl x509 -noout -fingerprint -sha256 -in cert.pem)"},
	{"[uccx]\nnodes = a.example.com\n[trust]\nmode = pinned\n",
	 "%s:4: pinned mode needs at least one pin: add pins = ... to [trust] or give --pin "
	 "SHA256 (or approve a CA with --ca-file)"},
	{"[uccx]\nnodes = a.example.com\n[trust]\nmode = trusting\n",
	 "%s:4: unknown trust mode 'trusting' (modes: tofu, pinned, collector)"},
	{"[uccx]\nnodes = a.example.com\n[agent]\nroles = agents\n",
	 "%s:4: unknown role 'agents' (roles: agent, supervisor, reporting, admin, all)"},
	{"[uccx]\nnodes = a.example.com\n[agent]\nroles =\n",
	 "%s:4: no role given (roles: agent, supervisor, reporting, admin, all)"},
	{"[uccx]\nnodes = a.example.com\n[agent]\nbrowsers = opera\n",
	 "%s:4: unknown browser 'opera' (browsers: chromium, firefox, system)"},
	{"[uccx]\nnodes = a.example.com\nnodes = b.example.com\n",
	 "%s:3: 'nodes' is set twice in [uccx] (also on line 2); put all values on one line, "
	 "separated by commas"},
	{"[uccx]\nsocialminer = a.example.com\n[report]\nurl =\n[uccx]\nsocialminer = b.example.com\n",
	 "%s:6: 'socialminer' is set twice in [uccx] (also on line 2); keep one of them"},
	{"[uccx]\nurls = http://crm.example.com/\n",
	 "%s:2: only https URLs can be checked: 'http://crm.example.com/'"},
	{"[uccx]\nurls = https://crm.example.com:99999/\n",
	 "%s:2: 'https://crm.example.com:99999/': the port must be a number from 1 to 65535"},
	{"[uccx]\nnodes = a.example.com\n[network]\nconnect_to = a.example.com:443:127.0.0.1\n",
	 "%s:4: 'a.example.com:443:127.0.0.1' is not HOST:PORT:CONNECT-HOST:CONNECT-PORT (e.g. "
	 "uccx1.example.com:8445:127.0.0.1:8445)"},
	{"[uccx]\nnodes = a.example.com\nthis is not ini\n",
	 "%s:3: syntax error: expected 'key = value' or '[section]'"},
	{"[agent]\nroles = agent\n",
	 "nothing to check: give --node FQDN or set nodes = in [uccx] of %s"},
	{"[uccx]\nnodes = a.example.com\n[network]\nwhatever = 1\n",
	 "%s:4: unknown key 'whatever' in [network]; see examples/agent.ini for the keys"},
};

START_TEST(bad_file_messages)
{
	struct uct_config cfg;
	struct uct_err err;
	char want[1024];

	write_ini(bad_files[_i].ini);
	ck_assert_int_eq(load(&cfg, &err, "check", "--config", ini_path, NULL), -1);
	snprintf(want, sizeof(want), bad_files[_i].want, ini_path);
	ck_assert_str_eq(err.msg, want);
	ck_assert_int_eq(err.code, UCT_E_CONFIG);
	uct_config_free(&cfg);
}
END_TEST

/* Bad command lines: message and code (usage or config). */
static const struct {
	const char *args[6];
	int code;
	const char *want;
} bad_args[] = {
	{{"check", "--nodes", "a.example.com"},
	 UCT_E_USAGE,
	 "unknown option '--nodes' (did you mean '--node'?; see uccx-trust --help)"},
	{{"check", "--frobnicate"},
	 UCT_E_USAGE,
	 "unknown option '--frobnicate' (see uccx-trust --help)"},
	{{"--node", "a.example.com"},
	 UCT_E_USAGE,
	 "no command given: use check, install, remove, status or doctor (see uccx-trust --help)"},
	{{"instal", "--node", "a.example.com"},
	 UCT_E_USAGE,
	 "unknown command 'instal' (did you mean 'install'?; see uccx-trust --help)"},
	{{"check", "install"},
	 UCT_E_USAGE,
	 "unexpected argument 'install': give one command (see uccx-trust --help)"},
	{{"check", "--node"}, UCT_E_USAGE, "option '--node' needs a value (see uccx-trust --help)"},
	{{"check", "--node", "--json"},
	 UCT_E_USAGE,
	 "option '--node' needs a value (see uccx-trust --help)"},
	{{"check", "--json=yes"},
	 UCT_E_USAGE,
	 "option '--json' takes no value (see uccx-trust --help)"},
	{{"check", "--node", "10.0.0.1"},
	 UCT_E_USAGE,
	 "--node: '10.0.0.1' is an IP address; UCCX servers must be reached by their FQDN "
	 "(e.g. uccx1.example.com) or the certificates will not match"},
	{{"check", "--node", "a.example.com", "--trust", "pinned"},
	 UCT_E_CONFIG,
	 "--trust pinned: pinned mode needs at least one pin: add pins = ... to [trust] or give "
	 "--pin SHA256 (or approve a CA with --ca-file)"},
	{{"check", "--node", "a.example.com", "--connect-to", "x:0:y:1"},
	 UCT_E_USAGE,
	 "--connect-to: 'x:0:y:1' is not HOST:PORT:CONNECT-HOST:CONNECT-PORT (e.g. "
	 "uccx1.example.com:8445:127.0.0.1:8445)"},
	{{"check", "--url", "https://user@crm.example.com/"},
	 UCT_E_USAGE,
	 "--url: 'https://user@crm.example.com/' contains a user name; remove the 'user@' part"},
	{{"check", "--config", "/nonexistent/agent.ini"},
	 UCT_E_CONFIG,
	 "cannot read /nonexistent/agent.ini: No such file or directory (check the path given "
	 "to --config or UCCX_TRUST_CONFIG)"},
};

START_TEST(bad_arg_messages)
{
	struct uct_config cfg;
	struct uct_err err;
	const char *const *a = bad_args[_i].args;

	ck_assert_int_eq(load(&cfg, &err, a[0], a[1], a[2], a[3], a[4], a[5]), -1);
	ck_assert_str_eq(err.msg, bad_args[_i].want);
	ck_assert_int_eq(err.code, bad_args[_i].code);
	uct_config_free(&cfg);
}
END_TEST

/*
 * A value of 200,000 bytes (starting with a terminal escape) in a flag or
 * in the file: the message quotes it shortened, with its length, and still
 * ends with the reason and the fix.
 */
#define HUGE_LEN 200000
static const struct {
	const char *flag;   /* NULL: the value is a file line, "%s" the value */
	const char *prefix; /* before the huge run of 'a' */
	const char *reason; /* what the message must still end with */
} huge_cases[] = {
	{"--node", "", "so the certificates match"},
	{"--node", "uccx1.", "' is not a valid host name"},
	{"--url", "https://", "so the certificates match"},
	{"--timeout", "", "' is not a number of seconds (e.g. 5 or 2.5)"},
	{"--connect-to", "", "(e.g. uccx1.example.com:8445:127.0.0.1:8445)"},
	{"--role", "", "(roles: agent, supervisor, reporting, admin, all)"},
	{"--trust", "", "(modes: tofu, pinned, collector)"},
	{"--pin", "", "-in cert.pem)"},
	{"--report-pin", "", "(44 characters, see the manual page)"},
	{"--browser", "", "(browsers: chromium, firefox, system)"},
	{"--scope", "", "(scopes: user, machine, auto)"},
	{"", "--", "(see uccx-trust --help)"},
	{"", "", "see uccx-trust --help)"},
	{NULL, "[uccx]\nnodes = ", "so the certificates match"},
	{NULL, "[uccx]\n", "see examples/agent.ini for the keys"},
	{NULL, "[network]\ntimeout = ", "' is not a number of seconds (e.g. 5 or 2.5)"},
};

START_TEST(huge_values_keep_the_reason)
{
	char *value = malloc(HUGE_LEN + 64);
	struct uct_config cfg;
	struct uct_err err;
	size_t len;
	int rc;

	ck_assert_ptr_nonnull(value);
	len = (size_t)sprintf(value, "%s\x1b[2J", huge_cases[_i].prefix);
	memset(value + len, 'a', HUGE_LEN);
	value[len + HUGE_LEN] = '\0';
	if (huge_cases[_i].flag == NULL) {
		/* A key of its own when nothing follows the section. */
		if (value[strlen(huge_cases[_i].prefix) - 1] == '\n')
			strcat(value, " = 1");
		write_ini(value);
		rc = load(&cfg, &err, "check", "--config", ini_path, NULL);
	} else if (huge_cases[_i].flag[0] == '\0') {
		rc = load(&cfg, &err, value, "--node", "a.example.com", NULL);
	} else {
		rc = load(&cfg, &err, "check", "--node", "a.example.com", huge_cases[_i].flag,
			  value, NULL);
	}
	ck_assert_int_eq(rc, -1);
	ck_assert_msg(strstr(err.msg, "... (") != NULL && strstr(err.msg, " bytes)") != NULL, "%s",
		      err.msg);
	/* Not cut: the message ends with its reason (the buffer holds 511). */
	ck_assert_uint_lt(strlen(err.msg), sizeof(err.msg) - 1);
	len = strlen(huge_cases[_i].reason);
	ck_assert_msg(strlen(err.msg) >= len &&
			      strcmp(err.msg + strlen(err.msg) - len, huge_cases[_i].reason) == 0,
		      "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "\\x1B[2J") != NULL && uct_text_is_safe(err.msg), "%s",
		      err.msg);
	uct_config_free(&cfg);
	free(value);
}
END_TEST

START_TEST(connect_to_forms)
{
	static const char *const good[] = {"a.example.com:8445:127.0.0.1:9445",
					   ":443:127.0.0.1:8443",
					   "a.example.com:443::8443",
					   "a.example.com:443:[::1]:8443",
					   "[::1]:443:127.0.0.2:",
					   ":::"};
	struct uct_config cfg;
	struct uct_err err;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(load(&cfg, &err, "check", "--node", "a.example.com", "--connect-to",
				   good[i], NULL) == 0,
			      "%s: %s", good[i], err.msg);
		ck_assert_str_eq(cfg.connect_to.v[0], good[i]);
		uct_config_free(&cfg);
	}
}
END_TEST

/* The documented example loads as shipped, and with every setting
 * uncommented (";key = value" lines), so the documentation stays true. */
START_TEST(example_file_loads)
{
	const char *src = getenv("UCT_SOURCE_DIR");
	char example[512], line[512];
	struct uct_config cfg;
	struct uct_err err;
	FILE *in, *out;

	ck_assert_ptr_nonnull(src);
	snprintf(example, sizeof(example), "%s/examples/agent.ini", src);
	ck_assert_msg(load(&cfg, &err, "check", "--config", example, NULL) == 0, "%s", err.msg);
	ck_assert_uint_eq(cfg.nodes.n, 2);
	ck_assert_uint_eq(cfg.roles, UCT_ROLE_ALL);
	uct_config_free(&cfg);

	in = fopen(example, "r");
	out = fopen(ini_path, "w");
	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	while (fgets(line, sizeof(line), in) != NULL)
		fputs(line[0] == ';' && line[1] >= 'a' && line[1] <= 'z' ? line + 1 : line, out);
	fclose(in);
	ck_assert_int_eq(fclose(out), 0);
	ck_assert_msg(load(&cfg, &err, "install", "--config", ini_path, NULL) == 0, "%s", err.msg);
	ck_assert_str_eq(cfg.socialminer, "sm.example.com");
	ck_assert_uint_eq(cfg.urls.n, 2);
	ck_assert_uint_eq(cfg.n_pins, 1);
	ck_assert_uint_eq(cfg.browsers, UCT_BROWSER_CHROMIUM | UCT_BROWSER_FIREFOX);
	ck_assert_str_eq(cfg.proxy, "http://proxy.example.com:3128");
	ck_assert_str_eq(cfg.report_ca, "/etc/uccx-trust/collector-ca.pem");
	uct_config_free(&cfg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = uct_check_tcase(s, "config", 1);

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, defaults_without_file);
	tcase_add_test(tc, full_file);
	tcase_add_test(tc, flags_override_file);
	tcase_add_test(tc, help_and_version_need_nothing);
	tcase_add_test(tc, remove_needs_no_nodes);
	tcase_add_test(tc, duplicate_node_is_a_warning);
	tcase_add_loop_test(tc, bad_file_messages, 0, sizeof(bad_files) / sizeof(bad_files[0]));
	tcase_add_loop_test(tc, bad_arg_messages, 0, sizeof(bad_args) / sizeof(bad_args[0]));
	tcase_add_test(tc, connect_to_forms);
	tcase_add_loop_test(tc, huge_values_keep_the_reason, 0,
			    sizeof(huge_cases) / sizeof(huge_cases[0]));
	tcase_add_test(tc, example_file_loads);
	return uct_check_run(s);
}
