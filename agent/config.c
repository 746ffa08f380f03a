/*
 * config.c: the agent's configuration: command-line flags over an INI file
 * (examples/agent.ini documents every key). Every error names where it came
 * from (FILE:LINE or --flag), what is wrong and how to fix it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_int.h"
#include "endpoints.h"
#include "platform.h"

#define SEE_HELP "see uccx-trust --help"

/* Everything a file key or a flag can set; flags and keys share setters. */
enum setting {
	S_NONE = 0,
	S_NODES, S_SOCIALMINER, S_URLS,
	S_ROLES, S_BROWSERS, S_NSS_DBS, S_STATE_DIR,
	S_MODE, S_PINS, S_CA_FILES, S_ACCEPT_CHANGE,
	S_CONNECT_TIMEOUT, S_TIMEOUT, S_PROXY, S_CONNECT_TO,
	S_REPORT_URL, S_REPORT_TOKEN, S_REPORT_CA, S_REPORT_PIN, S_STATUS_REPORT, S_RECHECK,
	S_HOME, S_SCOPE, S_KEEP, S_BUNDLE, S_JSON, S_QUIET, S_VERBOSE, S_HELP, S_VERSION, S_CONFIG,
	S_COUNT
};

static const struct file_key {
	const char *section;
	const char *key;
	enum setting setting;
	int is_list;
} file_keys[] = {
	{"uccx", "nodes", S_NODES, 1},
	{"uccx", "socialminer", S_SOCIALMINER, 0},
	{"uccx", "urls", S_URLS, 1},
	{"agent", "roles", S_ROLES, 1},
	{"agent", "browsers", S_BROWSERS, 1},
	{"agent", "nss_dbs", S_NSS_DBS, 1},
	{"agent", "state_dir", S_STATE_DIR, 0},
	{"agent", "scope", S_SCOPE, 0},
	{"agent", "keep_on_uninstall", S_KEEP, 0},
	{"trust", "mode", S_MODE, 0},
	{"trust", "pins", S_PINS, 1},
	{"trust", "ca_files", S_CA_FILES, 1},
	{"trust", "accept_change", S_ACCEPT_CHANGE, 0},
	{"network", "connect_timeout", S_CONNECT_TIMEOUT, 0},
	{"network", "timeout", S_TIMEOUT, 0},
	{"network", "proxy", S_PROXY, 0},
	{"network", "connect_to", S_CONNECT_TO, 1},
	{"report", "url", S_REPORT_URL, 0},
	{"report", "token_file", S_REPORT_TOKEN, 0},
	{"report", "ca", S_REPORT_CA, 0},
	{"report", "pin", S_REPORT_PIN, 0},
};
#define N_FILE_KEYS (sizeof(file_keys) / sizeof(file_keys[0]))

static const char *const sections[] = {"uccx", "agent", "trust", "network", "report"};
#define N_SECTIONS (sizeof(sections) / sizeof(sections[0]))

static const struct flag {
	const char *name;
	char short_name;
	enum setting setting;
	int takes_value;
} flags[] = {
	{"help", 'h', S_HELP, 0},
	{"version", 'V', S_VERSION, 0},
	{"json", 0, S_JSON, 0},
	{"quiet", 'q', S_QUIET, 0},
	{"verbose", 'v', S_VERBOSE, 0},
	{"config", 0, S_CONFIG, 1},
	{"node", 0, S_NODES, 1},
	{"socialminer", 0, S_SOCIALMINER, 1},
	{"url", 0, S_URLS, 1},
	{"role", 0, S_ROLES, 1},
	{"trust", 0, S_MODE, 1},
	{"pin", 0, S_PINS, 1},
	{"ca-file", 0, S_CA_FILES, 1},
	{"nss-db", 0, S_NSS_DBS, 1},
	{"browser", 0, S_BROWSERS, 1},
	{"connect-timeout", 0, S_CONNECT_TIMEOUT, 1},
	{"timeout", 0, S_TIMEOUT, 1},
	{"connect-to", 0, S_CONNECT_TO, 1},
	{"proxy", 0, S_PROXY, 1},
	{"accept-change", 0, S_ACCEPT_CHANGE, 0},
	{"state-dir", 0, S_STATE_DIR, 1},
	{"home", 0, S_HOME, 1},
	{"scope", 0, S_SCOPE, 1},
	{"bundle", 0, S_BUNDLE, 1},
	{"report-url", 0, S_REPORT_URL, 1},
	{"report-token-file", 0, S_REPORT_TOKEN, 1},
	{"report-ca", 0, S_REPORT_CA, 1},
	{"report-pin", 0, S_REPORT_PIN, 1},
	{"report", 0, S_STATUS_REPORT, 0},
	{"recheck", 0, S_RECHECK, 0},
};
#define N_FLAGS (sizeof(flags) / sizeof(flags[0]))

static const char *const commands[] = {"", "check", "install", "remove", "status", "doctor"};

/* Apply one value (one item, for a list) of setting s. */
static int cfg_apply(struct uct_config *cfg, enum setting s, const char *v, const char *where,
		     int code, struct uct_err *err)
{
	switch (s) {
	case S_NODES: return uct_cfg_set_node(cfg, v, where, code, err);
	case S_SOCIALMINER: return uct_cfg_set_host_scalar(&cfg->socialminer, v, where, code, err);
	case S_URLS: return uct_cfg_set_url(cfg, v, where, code, err);
	case S_ROLES: return uct_cfg_set_role(cfg, v, where, code, err);
	case S_BROWSERS: return uct_cfg_set_browser(cfg, v, where, code, err);
	case S_NSS_DBS:
		return uct_cfg_push_path(&cfg->nss_dbs, v, "NSS database directory", where, code, err);
	case S_CA_FILES:
		return uct_cfg_push_path(&cfg->ca_files, v, "CA file name", where, code, err);
	case S_STATE_DIR: return uct_cfg_set_optional(&cfg->state_dir, v, err);
	case S_HOME: return uct_cfg_set_optional(&cfg->home, v, err);
	case S_SCOPE: return uct_cfg_set_scope(cfg, v, where, code, err);
	case S_KEEP: return uct_cfg_bool(v, &cfg->keep_on_uninstall, where, code, err);
	case S_BUNDLE: return uct_cfg_set_optional(&cfg->bundle_path, v, err);
	case S_CONFIG: return uct_cfg_replace(&cfg->config_path, v, err);
	case S_MODE: return uct_cfg_set_mode(cfg, v, where, code, err);
	case S_PINS: return uct_cfg_set_pin(cfg, v, where, code, err);
	case S_ACCEPT_CHANGE: return uct_cfg_bool(v, &cfg->accept_change, where, code, err);
	case S_CONNECT_TIMEOUT: return uct_cfg_seconds(v, &cfg->connect_timeout_ms, where, code, err);
	case S_TIMEOUT: return uct_cfg_seconds(v, &cfg->total_timeout_ms, where, code, err);
	case S_PROXY: return uct_cfg_set_proxy(cfg, v, err);
	case S_CONNECT_TO:
		if (uct_cfg_check_connect_to(v, where, code, err) < 0)
			return -1;
		return uct_strv_push(&cfg->connect_to, v) < 0 ? uct_cfg_nomem(err) : 0;
	case S_REPORT_URL: return uct_cfg_set_optional(&cfg->report_url, v, err);
	case S_REPORT_TOKEN: return uct_cfg_set_optional(&cfg->report_token_file, v, err);
	case S_REPORT_CA: return uct_cfg_set_optional(&cfg->report_ca, v, err);
	case S_REPORT_PIN:
		if (uct_cfg_check_key_pin(v, where, code, err) < 0)
			return -1;
		return uct_cfg_set_optional(&cfg->report_pin, v, err);
	case S_STATUS_REPORT: cfg->status_report = 1; return 0;
	case S_RECHECK: cfg->recheck = 1; return 0;
	case S_JSON: cfg->json = 1; return 0;
	case S_QUIET: cfg->quiet = 1; return 0;
	case S_VERBOSE: cfg->verbose = 1; return 0;
	case S_HELP: cfg->help = 1; return 0;
	case S_VERSION: cfg->version = 1; return 0;
	case S_NONE:
	case S_COUNT: break;
	}
	return 0;
}

/* Apply a comma-separated list, item by item (white space trimmed, empty
 * items skipped). */
static int cfg_apply_list(struct uct_config *cfg, enum setting s, const char *value,
			  const char *where, int code, struct uct_err *err)
{
	char *copy = uct_strdup(value), *item, *next, *end;
	int rc = 0;

	if (copy == NULL)
		return uct_cfg_nomem(err);
	for (item = copy; item != NULL && rc == 0; item = next) {
		next = strchr(item, ',');
		if (next != NULL)
			*next++ = '\0';
		while (isspace((unsigned char)*item))
			item++;
		end = item + strlen(item);
		while (end > item && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*item != '\0')
			rc = cfg_apply(cfg, s, item, where, code, err);
	}
	free(copy);
	if (rc == 0 && s == S_ROLES && cfg->roles == 0)
		rc = uct_cfg_fail(err, code, where,
			      "no role given (roles: agent, supervisor, reporting, admin, all)");
	return rc;
}

/* Forget a list's earlier values (a file key or the flags replace it). */
static void cfg_clear_list(struct uct_config *cfg, enum setting s)
{
	switch (s) {
	case S_NODES: uct_strv_clear(&cfg->nodes); break;
	case S_URLS: uct_strv_clear(&cfg->urls); break;
	case S_ROLES: cfg->roles = 0; break;
	case S_BROWSERS: cfg->browsers = 0; break;
	case S_NSS_DBS: uct_strv_clear(&cfg->nss_dbs); break;
	case S_CA_FILES: uct_strv_clear(&cfg->ca_files); break;
	case S_CONNECT_TO: uct_strv_clear(&cfg->connect_to); break;
	case S_PINS:
		free(cfg->pins);
		cfg->pins = NULL;
		cfg->n_pins = 0;
		break;
	default: break;
	}
}

/* ---- the file ------------------------------------------------------------ */

struct file_ctx {
	struct uct_config *cfg;
	const char *path;
	struct uct_err *err;
	int lines[S_COUNT]; /* where each setting was set, 0 when not */
};

static const struct file_key *cfg_find_key(const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < N_FILE_KEYS; i++)
		if ((section == NULL || strcmp(file_keys[i].section, section) == 0) &&
		    uct_cfg_ieq(file_keys[i].key, key))
			return &file_keys[i];
	return NULL;
}

/* Explain a key this section does not have, with the likeliest fix. */
static int cfg_unknown_key(struct file_ctx *fc, const char *where, const char *section,
			   const char *key)
{
	const struct file_key *elsewhere = cfg_find_key(NULL, key);
	const char *names[N_FILE_KEYS], *hint;
	size_t i, n = 0;

	if (elsewhere != NULL)
		return uct_cfg_fail(fc->err, UCT_E_CONFIG, where, "'%s' belongs in [%s], not [%s]",
				UCT_QUOTED(key), elsewhere->section, UCT_QUOTED(section));
	for (i = 0; i < N_FILE_KEYS; i++)
		if (strcmp(file_keys[i].section, section) == 0)
			names[n++] = file_keys[i].key;
	hint = uct_cfg_suggest(key, names, n);
	if (hint != NULL)
		return uct_cfg_fail(fc->err, UCT_E_CONFIG, where,
				"unknown key '%s' in [%s] (did you mean '%s'?)",
				UCT_QUOTED(key), UCT_QUOTED(section), hint);
	return uct_cfg_fail(fc->err, UCT_E_CONFIG, where,
			"unknown key '%s' in [%s]; see examples/agent.ini for the keys",
			UCT_QUOTED(key), UCT_QUOTED(section));
}

static int cfg_unknown_section(struct file_ctx *fc, const char *where, const char *section,
			       const char *key)
{
	const struct file_key *home = cfg_find_key(NULL, key);
	const char *hint;

	if (section[0] == '\0')
		return uct_cfg_fail(fc->err, UCT_E_CONFIG, where,
				"'%s' is outside any section; put it under [%s]", UCT_QUOTED(key),
				home != NULL ? home->section : "uccx");
	hint = uct_cfg_suggest(section, sections, N_SECTIONS);
	if (hint != NULL)
		return uct_cfg_fail(fc->err, UCT_E_CONFIG, where,
				"unknown section [%s] (did you mean [%s]?)",
				UCT_QUOTED(section), hint);
	return uct_cfg_fail(fc->err, UCT_E_CONFIG, where,
			"unknown section [%s] (sections: uccx, agent, trust, network, report)",
			UCT_QUOTED(section));
}

static int cfg_file_pair(void *ctx, const char *section, const char *key, const char *value,
			 int line)
{
	struct file_ctx *fc = ctx;
	const struct file_key *fk;
	char where[600];
	size_t i;

	snprintf(where, sizeof(where), "%s:%d", fc->path, line);
	/* Names are matched without case: [UCCX] and Nodes are what people
	 * who edit Windows INI files tend to write. */
	for (i = 0; i < N_SECTIONS; i++)
		if (uct_cfg_ieq(sections[i], section))
			break;
	if (i == N_SECTIONS)
		return cfg_unknown_section(fc, where, section, key);
	section = sections[i];
	fk = cfg_find_key(section, key);
	if (fk == NULL)
		return cfg_unknown_key(fc, where, section, key);
	if (fc->lines[fk->setting] != 0)
		return uct_cfg_fail(fc->err, UCT_E_CONFIG, where,
				"'%s' is set twice in [%s] (also on line %d); %s", fk->key,
				UCT_QUOTED(section), fc->lines[fk->setting],
				fk->is_list ? "put all values on one line, separated by commas"
					    : "keep one of them");
	fc->lines[fk->setting] = line;
	if (!fk->is_list)
		return cfg_apply(fc->cfg, fk->setting, value, where, UCT_E_CONFIG, fc->err);
	cfg_clear_list(fc->cfg, fk->setting);
	return cfg_apply_list(fc->cfg, fk->setting, value, where, UCT_E_CONFIG, fc->err);
}

/* ---- the command line ------------------------------------------------------ */

static const struct flag *cfg_find_flag(const char *name, size_t len, char short_name)
{
	size_t i;

	for (i = 0; i < N_FLAGS; i++) {
		if (short_name != 0 ? flags[i].short_name == short_name
				    : strlen(flags[i].name) == len &&
					      strncmp(flags[i].name, name, len) == 0)
			return &flags[i];
	}
	return NULL;
}

static int cfg_unknown_flag(const char *arg, struct uct_err *err)
{
	const char *names[N_FLAGS], *hint;
	char name[64];
	size_t i;

	snprintf(name, sizeof(name), "%.*s", (int)strcspn(arg + 2, "="), arg + 2);
	for (i = 0; i < N_FLAGS; i++)
		names[i] = flags[i].name;
	hint = strncmp(arg, "--", 2) == 0 ? uct_cfg_suggest(name, names, N_FLAGS) : NULL;
	if (hint != NULL)
		return uct_err_set(err, UCT_E_USAGE, 0,
				   "unknown option '%s' (did you mean '--%s'?; " SEE_HELP ")",
				   UCT_QUOTED(arg), hint);
	return uct_err_set(err, UCT_E_USAGE, 0, "unknown option '%s' (" SEE_HELP ")",
			   UCT_QUOTED(arg));
}

static int cfg_command(struct uct_config *cli, const char *word, struct uct_err *err)
{
	const char *hint;
	size_t i;

	if (cli->command != UCT_CMD_NONE)
		return uct_err_set(err, UCT_E_USAGE, 0,
				   "unexpected argument '%s': give one command (" SEE_HELP ")",
				   UCT_QUOTED(word));
	for (i = 1; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(word, commands[i]) == 0) {
			cli->command = (enum uct_command)i;
			return 0;
		}
	}
	hint = uct_cfg_suggest(word, commands, sizeof(commands) / sizeof(commands[0]));
	if (hint != NULL)
		return uct_err_set(err, UCT_E_USAGE, 0,
				   "unknown command '%s' (did you mean '%s'?; " SEE_HELP ")",
				   UCT_QUOTED(word),
				   hint);
	return uct_err_set(err, UCT_E_USAGE, 0,
			   "unknown command '%s' (commands: check, install, remove, status, doctor; "
			   SEE_HELP ")", UCT_QUOTED(word));
}

static int cfg_is_list_flag(enum setting s)
{
	return s == S_NODES || s == S_URLS || s == S_ROLES || s == S_BROWSERS || s == S_PINS;
}

/* One flag, argv[*i]; consumes its value (inline or the next argument). */
static int cfg_flag(struct uct_config *cli, uint64_t *set, int argc, char **argv, int *i,
		    struct uct_err *err)
{
	const char *arg = argv[*i], *value = NULL, *eq;
	const struct flag *f;
	char where[80];

	if (arg[1] == '-') {
		eq = strchr(arg, '=');
		f = cfg_find_flag(arg + 2, eq ? (size_t)(eq - arg - 2) : strlen(arg + 2), 0);
		value = eq ? eq + 1 : NULL;
	} else {
		f = arg[2] == '\0' ? cfg_find_flag(NULL, 0, arg[1]) : NULL;
	}
	if (f == NULL)
		return cfg_unknown_flag(arg, err);
	snprintf(where, sizeof(where), "--%s", f->name);
	if (!f->takes_value && value != NULL)
		return uct_err_set(err, UCT_E_USAGE, 0, "option '%s' takes no value (" SEE_HELP ")",
				   where);
	if (f->takes_value && value == NULL) {
		if (*i + 1 >= argc || strncmp(argv[*i + 1], "--", 2) == 0)
			return uct_err_set(err, UCT_E_USAGE, 0,
					   "option '%s' needs a value (" SEE_HELP ")", where);
		value = argv[++*i];
	}
	*set |= (uint64_t)1 << f->setting;
	if (cfg_is_list_flag(f->setting))
		return cfg_apply_list(cli, f->setting, value, where, UCT_E_USAGE, err);
	/* A switch given on the command line means yes (the file spells it out). */
	return cfg_apply(cli, f->setting, value != NULL ? value : "yes", where, UCT_E_USAGE, err);
}

static int cfg_parse_args(struct uct_config *cli, uint64_t *set, int argc, char **argv,
			  struct uct_err *err)
{
	int i, only_words = 0;

	for (i = 1; i < argc; i++) {
		if (!only_words && strcmp(argv[i], "--") == 0)
			only_words = 1;
		else if (!only_words && argv[i][0] == '-' && argv[i][1] != '\0') {
			if (cfg_flag(cli, set, argc, argv, &i, err) < 0)
				return -1;
		} else if (cfg_command(cli, argv[i], err) < 0)
			return -1;
	}
	return 0;
}

/* ---- flags over file --------------------------------------------------------- */

#define MOVE_STR(f)                \
	do {                       \
		free(dst->f);      \
		dst->f = src->f;   \
		src->f = NULL;     \
	} while (0)
#define MOVE_STRV(f)                               \
	do {                                       \
		uct_strv_clear(&dst->f);           \
		dst->f = src->f;                   \
		memset(&src->f, 0, sizeof(src->f)); \
	} while (0)

/* Move setting s from the flags (src) into the configuration (dst). */
static void cfg_move(struct uct_config *dst, struct uct_config *src, enum setting s)
{
	switch (s) {
	case S_NODES: MOVE_STRV(nodes); break;
	case S_SOCIALMINER: MOVE_STR(socialminer); break;
	case S_URLS: MOVE_STRV(urls); break;
	case S_ROLES: dst->roles = src->roles; break;
	case S_BROWSERS: dst->browsers = src->browsers; break;
	case S_NSS_DBS: MOVE_STRV(nss_dbs); break;
	case S_STATE_DIR: MOVE_STR(state_dir); break;
	case S_MODE: dst->mode = src->mode; break;
	case S_PINS:
		free(dst->pins);
		dst->pins = src->pins;
		dst->n_pins = src->n_pins;
		src->pins = NULL;
		src->n_pins = 0;
		break;
	case S_CA_FILES: MOVE_STRV(ca_files); break;
	case S_ACCEPT_CHANGE: dst->accept_change = src->accept_change; break;
	case S_CONNECT_TIMEOUT: dst->connect_timeout_ms = src->connect_timeout_ms; break;
	case S_TIMEOUT: dst->total_timeout_ms = src->total_timeout_ms; break;
	case S_PROXY: MOVE_STR(proxy); break;
	case S_CONNECT_TO: MOVE_STRV(connect_to); break;
	case S_REPORT_URL: MOVE_STR(report_url); break;
	case S_REPORT_TOKEN: MOVE_STR(report_token_file); break;
	case S_REPORT_CA: MOVE_STR(report_ca); break;
	case S_REPORT_PIN: MOVE_STR(report_pin); break;
	case S_STATUS_REPORT: dst->status_report = 1; break;
	case S_RECHECK: dst->recheck = 1; break;
	case S_HOME: MOVE_STR(home); break;
	case S_SCOPE: dst->scope = src->scope; break;
	case S_BUNDLE: MOVE_STR(bundle_path); break;
	case S_JSON: dst->json = 1; break;
	case S_QUIET: dst->quiet = 1; break;
	case S_VERBOSE: dst->verbose = 1; break;
	default: break;
	}
}

/* Read the file: --config, else $UCCX_TRUST_CONFIG, else the default path
 * when it exists. A missing file is an error only when it was named. */
static int cfg_read_file(struct uct_config *cfg, struct uct_config *cli, uint64_t set,
			 struct file_ctx *fc, struct uct_err *err)
{
	const char *path = NULL, *env = getenv("UCCX_TRUST_CONFIG");
	int named = 1;
	struct uct_err why = {0};

	if (set & ((uint64_t)1 << S_CONFIG))
		path = cli->config_path;
	else if (env != NULL && env[0] != '\0')
		path = env;
	else {
		path = uct_default_config_path();
		named = 0;
	}
	fc->cfg = cfg;
	fc->path = path;
	fc->err = &why;
	if (uct_ini_parse(path, cfg_file_pair, fc, &why) == 0) {
		cfg->config_path = uct_strdup(path);
		return cfg->config_path != NULL ? 0 : uct_cfg_nomem(err);
	}
	if (why.code == UCT_E_IO && why.native == ENOENT && !named)
		return 0;
	if (why.code == UCT_E_IO)
		return uct_err_set(err, UCT_E_CONFIG, why.native,
				   "%s%s", why.msg,
				   named ? " (check the path given to --config or UCCX_TRUST_CONFIG)"
					 : "");
	return uct_err_set(err, why.code, why.native, "%s", why.msg);
}

/* Where a setting came from, for messages about combinations. */
static void cfg_origin(const struct file_ctx *fc, uint64_t set, enum setting s,
		       const char *flag, char *buf, size_t size)
{
	if (set & ((uint64_t)1 << s))
		snprintf(buf, size, "%s", flag);
	else if (fc->lines[s] != 0)
		snprintf(buf, size, "%s:%d", fc->path, fc->lines[s]);
	else
		snprintf(buf, size, "configuration");
}

static int cfg_validate(struct uct_config *cfg, const struct file_ctx *fc, uint64_t set,
			struct uct_err *err)
{
	char where[600];
	char *warning;

	if (cfg->scope == UCT_SCOPE_AUTO)
		cfg->scope = uct_is_privileged() && cfg->home == NULL && cfg->nss_dbs.n == 0
				     ? UCT_SCOPE_MACHINE
				     : UCT_SCOPE_USER;
	if (cfg->scope == UCT_SCOPE_MACHINE && (cfg->home != NULL || cfg->nss_dbs.n > 0)) {
		cfg_origin(fc, set, S_SCOPE, "--scope machine", where, sizeof(where));
		return uct_err_set(err, UCT_E_USAGE, 0,
				   "%s: machine scope manages the machine's stores only, never a "
				   "home or an NSS database: drop --home/--nss-db or use --scope user",
				   where);
	}
	if (cfg->scope == UCT_SCOPE_MACHINE && !uct_is_privileged())
		return uct_err_set(err, UCT_E_USAGE, 0,
				   "machine scope needs root: run it with sudo, or use --scope user");
	if (cfg->bundle_path != NULL && cfg->command != UCT_CMD_DOCTOR)
		return uct_err_set(err, UCT_E_USAGE, 0, "--bundle goes with the doctor command");
	if (cfg->status_report && cfg->command != UCT_CMD_STATUS)
		return uct_err_set(err, UCT_E_USAGE, 0,
				   "--report goes with the status command (check, install and "
				   "remove report by themselves when [report] url is set)");
	if (cfg->status_report && (cfg->report_url == NULL || cfg->report_url[0] == '\0'))
		return uct_err_set(err, UCT_E_CONFIG, 0,
				   "status --report: no collector: set url in [report] or give "
				   "--report-url");
	if (cfg->command != UCT_CMD_CHECK && cfg->command != UCT_CMD_INSTALL &&
	    cfg->command != UCT_CMD_DOCTOR)
		return 0;
	if (cfg->nodes.n == 0 && cfg->socialminer == NULL && cfg->urls.n == 0)
		return uct_err_set(err, UCT_E_CONFIG, 0,
				   "nothing to check: give --node FQDN or set nodes = in [uccx] of "
				   "%s", cfg->config_path != NULL ? cfg->config_path
								  : uct_default_config_path());
	if (cfg->mode == UCT_MODE_PINNED && cfg->n_pins == 0 && cfg->ca_files.n == 0) {
		cfg_origin(fc, set, S_MODE, "--trust pinned", where, sizeof(where));
		return uct_err_set(err, UCT_E_CONFIG, 0,
				   "%s: pinned mode needs at least one pin: add pins = ... to [trust] "
				   "or give --pin SHA256 (or approve a CA with --ca-file)", where);
	}
	if (cfg->total_timeout_ms < cfg->connect_timeout_ms) {
		warning = uct_asprintf("the timeout (%ld ms) is shorter than the connect timeout "
				       "(%ld ms); the connect timeout is used for both",
				       cfg->total_timeout_ms, cfg->connect_timeout_ms);
		if (warning != NULL)
			uct_strv_push(&cfg->warnings, warning);
		free(warning);
		cfg->total_timeout_ms = cfg->connect_timeout_ms;
	}
	return 0;
}

void uct_config_init(struct uct_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->roles = UCT_ROLE_ALL;
	cfg->mode = UCT_MODE_TOFU;
	cfg->connect_timeout_ms = 5000;
	cfg->total_timeout_ms = 15000;
}

int uct_config_load(struct uct_config *cfg, int argc, char **argv, struct uct_err *err)
{
	struct file_ctx fc;
	struct uct_config cli;
	uint64_t set = 0;
	size_t i;
	int rc = -1;

	memset(&fc, 0, sizeof(fc));
	uct_config_init(&cli);
	/* Flags start from nothing so a list flag replaces the file's list. */
	cli.roles = 0;
	if (cfg_parse_args(&cli, &set, argc, argv, err) < 0)
		goto out;
	cfg->command = cli.command;
	cfg->help = cli.help;
	cfg->version = cli.version;
	if (cli.help || cli.version) {
		rc = 0;
		goto out;
	}
	if (cli.command == UCT_CMD_NONE) {
		uct_err_set(err, UCT_E_USAGE, 0,
			    "no command given: use check, install, remove, status or doctor (" SEE_HELP ")");
		goto out;
	}
	if (cfg_read_file(cfg, &cli, set, &fc, err) < 0)
		goto out;
	for (i = 1; i < S_COUNT; i++)
		if (set & ((uint64_t)1 << i))
			cfg_move(cfg, &cli, (enum setting)i);
	/* Warnings found while reading the flags (e.g. a node given twice). */
	for (i = 0; i < cli.warnings.n; i++)
		uct_strv_push(&cfg->warnings, cli.warnings.v[i]);
	rc = cfg_validate(cfg, &fc, set, err);
out:
	uct_config_free(&cli);
	return rc;
}

void uct_config_free(struct uct_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->config_path);
	uct_strv_clear(&cfg->nodes);
	free(cfg->socialminer);
	uct_strv_clear(&cfg->urls);
	free(cfg->pins);
	uct_strv_clear(&cfg->ca_files);
	uct_strv_clear(&cfg->nss_dbs);
	uct_strv_clear(&cfg->connect_to);
	free(cfg->proxy);
	free(cfg->state_dir);
	free(cfg->home);
	free(cfg->bundle_path);
	free(cfg->report_url);
	free(cfg->report_token_file);
	free(cfg->report_ca);
	free(cfg->report_pin);
	uct_strv_clear(&cfg->warnings);
	uct_config_init(cfg);
}
