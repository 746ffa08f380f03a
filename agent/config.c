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
	S_NODES,
	S_SOCIALMINER,
	S_URLS,
	S_ROLES,
	S_BROWSERS,
	S_NSS_DBS,
	S_STATE_DIR,
	S_MODE,
	S_PINS,
	S_CA_FILES,
	S_ACCEPT_CHANGE,
	S_TRUST_URL,
	S_TRUST_KEY,
	S_CONNECT_TIMEOUT,
	S_TIMEOUT,
	S_PROXY,
	S_CONNECT_TO,
	S_REPORT_URL,
	S_REPORT_TOKEN,
	S_REPORT_CA,
	S_REPORT_PIN,
	S_STATUS_REPORT,
	S_RECHECK,
	S_HOME,
	S_SCOPE,
	S_KEEP,
	S_BUNDLE,
	S_JSON,
	S_QUIET,
	S_VERBOSE,
	S_HELP,
	S_VERSION,
	S_CONFIG,
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
	{"trust", "url", S_TRUST_URL, 0},
	{"trust", "key_file", S_TRUST_KEY, 0},
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
	{"trust-url", 0, S_TRUST_URL, 1},
	{"trust-key", 0, S_TRUST_KEY, 1},
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

/* Setters with the shape the table below takes, for settings whose setter
 * needs more than the configuration (a field, a label, a check first). */
static int set_socialminer(struct uct_config *cfg, const char *v, const char *where, int code,
			   struct uct_err *err)
{
	return uct_cfg_set_host_scalar(&cfg->socialminer, v, where, code, err);
}

static int set_nss_db(struct uct_config *cfg, const char *v, const char *where, int code,
		      struct uct_err *err)
{
	return uct_cfg_push_path(&cfg->nss_dbs, v, "NSS database directory", where, code, err);
}

static int set_ca_file(struct uct_config *cfg, const char *v, const char *where, int code,
		       struct uct_err *err)
{
	return uct_cfg_push_path(&cfg->ca_files, v, "CA file name", where, code, err);
}

static int set_config(struct uct_config *cfg, const char *v, const char *where, int code,
		      struct uct_err *err)
{
	(void)where;
	(void)code;
	return uct_cfg_replace(&cfg->config_path, v, err);
}

static int set_proxy(struct uct_config *cfg, const char *v, const char *where, int code,
		     struct uct_err *err)
{
	(void)where;
	(void)code;
	return uct_cfg_set_proxy(cfg, v, err);
}

static int set_connect_to(struct uct_config *cfg, const char *v, const char *where, int code,
			  struct uct_err *err)
{
	if (uct_cfg_check_connect_to(v, where, code, err) < 0)
		return -1;
	return uct_strv_push(&cfg->connect_to, v) < 0 ? uct_cfg_nomem(err) : 0;
}

static int set_report_pin(struct uct_config *cfg, const char *v, const char *where, int code,
			  struct uct_err *err)
{
	if (uct_cfg_check_key_pin(v, where, code, err) < 0)
		return -1;
	return uct_cfg_set_optional(&cfg->report_pin, v, err);
}

/*
 * What each setting is, so that one table drives both applying a value and
 * moving a flag's value over the file's: how a value is applied (a setter,
 * or the kind of field at off) and how it moves from the flags.
 */
enum apply_kind { A_NONE = 0, A_SETTER, A_OPTIONAL, A_BOOL, A_SECONDS, A_SWITCH };
enum move_kind { M_NONE = 0, M_STR, M_STRV, M_COPY, M_PINS, M_SWITCH };

typedef int (*cfg_setter)(struct uct_config *cfg, const char *v, const char *where, int code,
			  struct uct_err *err);

static const struct setting_def {
	enum apply_kind apply;
	cfg_setter setter; /* A_SETTER */
	enum move_kind move;
	size_t off;  /* the field (A_OPTIONAL..A_SWITCH, M_STR..M_SWITCH) */
	size_t size; /* M_COPY */
} settings[S_COUNT] = {
#define FIELD(f) offsetof(struct uct_config, f), sizeof(((struct uct_config *)0)->f)
	[S_NODES] = {A_SETTER, uct_cfg_set_node, M_STRV, FIELD(nodes)},
	[S_SOCIALMINER] = {A_SETTER, set_socialminer, M_STR, FIELD(socialminer)},
	[S_URLS] = {A_SETTER, uct_cfg_set_url, M_STRV, FIELD(urls)},
	[S_ROLES] = {A_SETTER, uct_cfg_set_role, M_COPY, FIELD(roles)},
	[S_BROWSERS] = {A_SETTER, uct_cfg_set_browser, M_COPY, FIELD(browsers)},
	[S_NSS_DBS] = {A_SETTER, set_nss_db, M_STRV, FIELD(nss_dbs)},
	[S_STATE_DIR] = {A_OPTIONAL, NULL, M_STR, FIELD(state_dir)},
	[S_MODE] = {A_SETTER, uct_cfg_set_mode, M_COPY, FIELD(mode)},
	[S_PINS] = {A_SETTER, uct_cfg_set_pin, M_PINS, FIELD(pins)},
	[S_CA_FILES] = {A_SETTER, set_ca_file, M_STRV, FIELD(ca_files)},
	[S_ACCEPT_CHANGE] = {A_BOOL, NULL, M_COPY, FIELD(accept_change)},
	[S_TRUST_URL] = {A_SETTER, uct_cfg_set_trust_url, M_STR, FIELD(trust_url)},
	[S_TRUST_KEY] = {A_OPTIONAL, NULL, M_STR, FIELD(trust_key_file)},
	[S_CONNECT_TIMEOUT] = {A_SECONDS, NULL, M_COPY, FIELD(connect_timeout_ms)},
	[S_TIMEOUT] = {A_SECONDS, NULL, M_COPY, FIELD(total_timeout_ms)},
	[S_PROXY] = {A_SETTER, set_proxy, M_STR, FIELD(proxy)},
	[S_CONNECT_TO] = {A_SETTER, set_connect_to, M_STRV, FIELD(connect_to)},
	[S_REPORT_URL] = {A_OPTIONAL, NULL, M_STR, FIELD(report_url)},
	[S_REPORT_TOKEN] = {A_OPTIONAL, NULL, M_STR, FIELD(report_token_file)},
	[S_REPORT_CA] = {A_OPTIONAL, NULL, M_STR, FIELD(report_ca)},
	[S_REPORT_PIN] = {A_SETTER, set_report_pin, M_STR, FIELD(report_pin)},
	[S_STATUS_REPORT] = {A_SWITCH, NULL, M_SWITCH, FIELD(status_report)},
	[S_RECHECK] = {A_SWITCH, NULL, M_SWITCH, FIELD(recheck)},
	[S_HOME] = {A_OPTIONAL, NULL, M_STR, FIELD(home)},
	[S_SCOPE] = {A_SETTER, uct_cfg_set_scope, M_COPY, FIELD(scope)},
	[S_KEEP] = {A_BOOL, NULL, M_NONE, FIELD(keep_on_uninstall)},
	[S_BUNDLE] = {A_OPTIONAL, NULL, M_STR, FIELD(bundle_path)},
	[S_JSON] = {A_SWITCH, NULL, M_SWITCH, FIELD(json)},
	[S_QUIET] = {A_SWITCH, NULL, M_SWITCH, FIELD(quiet)},
	[S_VERBOSE] = {A_SWITCH, NULL, M_SWITCH, FIELD(verbose)},
	[S_HELP] = {A_SWITCH, NULL, M_NONE, FIELD(help)},
	[S_VERSION] = {A_SWITCH, NULL, M_NONE, FIELD(version)},
	[S_CONFIG] = {A_SETTER, set_config, M_NONE, FIELD(config_path)},
#undef FIELD
};

/* Apply one value (one item, for a list) of setting s. */
static int cfg_apply(struct uct_config *cfg, enum setting s, const char *v, const char *where,
		     int code, struct uct_err *err)
{
	const struct setting_def *def = &settings[s];
	char *field = (char *)cfg + def->off;

	switch (def->apply) {
	case A_SETTER: return def->setter(cfg, v, where, code, err);
	case A_OPTIONAL: return uct_cfg_set_optional((char **)(void *)field, v, err);
	case A_BOOL: return uct_cfg_bool(v, (int *)(void *)field, where, code, err);
	case A_SECONDS: return uct_cfg_seconds(v, (long *)(void *)field, where, code, err);
	case A_SWITCH: *(int *)(void *)field = 1; return 0;
	case A_NONE: break;
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
		rc = uct_cfg_fail(
			err, code, where,
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
				    "'%s' is outside any section; put it under [%s]",
				    UCT_QUOTED(key), home != NULL ? home->section : "uccx");
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
				   UCT_QUOTED(word), hint);
	return uct_err_set(
		err, UCT_E_USAGE, 0,
		"unknown command '%s' (commands: check, install, remove, status, doctor; " SEE_HELP
		")",
		UCT_QUOTED(word));
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

/* Move setting s from the flags (src) into the configuration (dst): the
 * flags' value replaces the file's, and src gives up what it owned. */
static void cfg_move(struct uct_config *dst, struct uct_config *src, enum setting s)
{
	const struct setting_def *def = &settings[s];
	char *to = (char *)dst + def->off, *from = (char *)src + def->off;

	switch (def->move) {
	case M_STR: free(*(char **)(void *)to); break;
	case M_STRV: uct_strv_clear((struct uct_strv *)(void *)to); break;
	case M_PINS:
		free(dst->pins);
		dst->n_pins = src->n_pins;
		src->n_pins = 0;
		break;
	case M_SWITCH: *(int *)(void *)to = 1; return;
	case M_COPY: memcpy(to, from, def->size); return;
	case M_NONE: return;
	}
	/* The owned kinds: take src's pointer (or list) and leave src empty. */
	memcpy(to, from, def->size);
	memset(from, 0, def->size);
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
		return uct_err_set(
			err, UCT_E_CONFIG, why.native, "%s%s", why.msg,
			named ? " (check the path given to --config or UCCX_TRUST_CONFIG)" : "");
	return uct_err_set(err, why.code, why.native, "%s", why.msg);
}

/* Where a setting came from, for messages about combinations. */
static void cfg_origin(const struct file_ctx *fc, uint64_t set, enum setting s, const char *flag,
		       char *buf, size_t size)
{
	if (set & ((uint64_t)1 << s))
		snprintf(buf, size, "%s", flag);
	else if (fc->lines[s] != 0)
		snprintf(buf, size, "%s:%d", fc->path, fc->lines[s]);
	else
		snprintf(buf, size, "configuration");
}

/* The scope, resolved (see uct_config_load), and what it cannot go with. */
static int cfg_check_scope(struct uct_config *cfg, const struct file_ctx *fc, uint64_t set,
			   struct uct_err *err)
{
	char where[600];

	if (cfg->scope == UCT_SCOPE_AUTO)
		cfg->scope = uct_is_privileged() && cfg->home == NULL && cfg->nss_dbs.n == 0
				     ? UCT_SCOPE_MACHINE
				     : UCT_SCOPE_USER;
	if (cfg->scope == UCT_SCOPE_MACHINE && (cfg->home != NULL || cfg->nss_dbs.n > 0)) {
		cfg_origin(fc, set, S_SCOPE, "--scope machine", where, sizeof(where));
		return uct_err_set(
			err, UCT_E_USAGE, 0,
			"%s: machine scope manages the machine's stores only, never a "
			"home or an NSS database: drop --home/--nss-db or use --scope user",
			where);
	}
	if (cfg->scope == UCT_SCOPE_MACHINE && !uct_is_privileged())
		return uct_err_set(
			err, UCT_E_USAGE, 0,
			"machine scope needs root: run it with sudo, or use --scope user");
	return 0;
}

/* Flags that go with one command only. */
static int cfg_check_command_flags(const struct uct_config *cfg, struct uct_err *err)
{
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
	return 0;
}

/* What a command that checks servers needs: something to check, a pin in
 * pinned mode, and timeouts that make sense together. */
static int cfg_check_targets(struct uct_config *cfg, const struct file_ctx *fc, uint64_t set,
			     struct uct_err *err)
{
	char where[600];
	char *warning;

	if (cfg->nodes.n == 0 && cfg->socialminer == NULL && cfg->urls.n == 0)
		return uct_err_set(err, UCT_E_CONFIG, 0,
				   "nothing to check: give --node FQDN or set nodes = in [uccx] of "
				   "%s",
				   cfg->config_path != NULL ? cfg->config_path
							    : uct_default_config_path());
	if (cfg->mode == UCT_MODE_PINNED && cfg->n_pins == 0 && cfg->ca_files.n == 0) {
		cfg_origin(fc, set, S_MODE, "--trust pinned", where, sizeof(where));
		return uct_err_set(
			err, UCT_E_CONFIG, 0,
			"%s: pinned mode needs at least one pin: add pins = ... to [trust] "
			"or give --pin SHA256 (or approve a CA with --ca-file)",
			where);
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

static int cfg_validate(struct uct_config *cfg, const struct file_ctx *fc, uint64_t set,
			struct uct_err *err)
{
	char mode_where[600], key_where[600];

	if (cfg_check_scope(cfg, fc, set, err) < 0 || cfg_check_command_flags(cfg, err) < 0)
		return -1;
	if (cfg->command != UCT_CMD_CHECK && cfg->command != UCT_CMD_INSTALL &&
	    cfg->command != UCT_CMD_DOCTOR)
		return 0;
	if (cfg_check_targets(cfg, fc, set, err) < 0)
		return -1;
	cfg_origin(fc, set, S_MODE, "--trust collector", mode_where, sizeof(mode_where));
	cfg_origin(fc, set, S_TRUST_KEY, "--trust-key", key_where, sizeof(key_where));
	return uct_cfg_check_trust(cfg, mode_where, key_where, err);
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
		uct_err_set(
			err, UCT_E_USAGE, 0,
			"no command given: use check, install, remove, status or doctor (" SEE_HELP
			")");
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
	free(cfg->trust_url);
	free(cfg->trust_key_file);
	free(cfg->trust_key_pem);
	uct_strv_clear(&cfg->warnings);
	uct_config_init(cfg);
}

char *uct_config_state_dir(const struct uct_config *cfg)
{
	if (cfg->state_dir != NULL)
		return uct_strdup(cfg->state_dir);
	if (cfg->home != NULL)
		return uct_home_state_dir(cfg->home);
	return uct_default_state_dir();
}
