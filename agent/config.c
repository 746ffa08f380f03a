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
	S_REPORT_URL, S_REPORT_TOKEN, S_REPORT_CA,
	S_HOME, S_JSON, S_QUIET, S_VERBOSE, S_HELP, S_VERSION, S_CONFIG,
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
	{"report-url", 0, S_REPORT_URL, 1},
	{"report-token-file", 0, S_REPORT_TOKEN, 1},
	{"report-ca", 0, S_REPORT_CA, 1},
};
#define N_FLAGS (sizeof(flags) / sizeof(flags[0]))

static const char *const commands[] = {"", "check", "install", "remove", "status"};

/* ---- small helpers (portable: no strcasecmp, strndup) ------------------- */

static int cfg_ieq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
	return *a == *b;
}

/* Format the message and prefix it with where the value came from. */
static int cfg_fail(struct uct_err *err, int code, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int cfg_fail(struct uct_err *err, int code, const char *where, const char *fmt, ...)
{
	char msg[sizeof(err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return uct_err_set(err, code, 0, "%s: %s", where, msg);
}

static int cfg_nomem(struct uct_err *err)
{
	return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
}

/* Levenshtein distance of two short names, for "did you mean". */
static size_t cfg_distance(const char *a, const char *b)
{
	size_t row[64], la = strlen(a), lb = strlen(b), i, j, diag, up, best;

	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* The closest of names to word, or NULL when none is close. */
static const char *cfg_suggest(const char *word, const char *const *names, size_t n)
{
	const char *best = NULL;
	size_t i, d, best_d = 3;

	for (i = 0; i < n; i++) {
		if (names[i][0] == '\0')
			continue;
		d = cfg_distance(word, names[i]);
		if (d < best_d) {
			best_d = d;
			best = names[i];
		}
	}
	return best;
}

/* ---- value checks ------------------------------------------------------- */

/* A UCCX host as a person may type it: reject what cannot match a cert. */
static int cfg_check_host(const char *item, const char *where, int code, struct uct_err *err)
{
	if (strstr(item, "://") != NULL)
		return cfg_fail(err, code, where,
				"'%s' is a URL; give the host name only (e.g. uccx1.example.com), "
				"or list the URL in urls = / --url", item);
	if (uct_is_ip_literal(item))
		return cfg_fail(err, code, where,
				"'%s' is an IP address; UCCX servers must be reached by their FQDN "
				"(e.g. uccx1.example.com) or the certificates will not match", item);
	if (strchr(item, ':') != NULL)
		return cfg_fail(err, code, where,
				"'%s' has a port; give the host name only (the UCCX ports are known)",
				item);
	if (strchr(item, ' ') != NULL || strchr(item, '\t') != NULL)
		return cfg_fail(err, code, where,
				"'%s' is not one host name; separate names with commas", item);
	if (strchr(item, '.') == NULL)
		return cfg_fail(err, code, where,
				"'%s' is a short name; use the fully qualified name (e.g. "
				"%s.example.com) so the certificates match", item, item);
	if (!uct_is_fqdn(item))
		return cfg_fail(err, code, where, "'%s' is not a valid host name", item);
	return 0;
}

static char *cfg_lower(const char *s)
{
	char *copy = uct_strdup(s), *p;

	for (p = copy; p != NULL && *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return copy;
}

static int cfg_seconds(const char *item, long *ms, const char *where, int code,
		       struct uct_err *err)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(item, &end);
	if (end == item || *end != '\0' || errno != 0 || v != v)
		return cfg_fail(err, code, where,
				"'%s' is not a number of seconds (e.g. 5 or 2.5)", item);
	if (v < 0.001 || v > 3600)
		return cfg_fail(err, code, where,
				"%s seconds is out of range: use more than 0 and at most 3600", item);
	*ms = (long)(v * 1000 + 0.5);
	return 0;
}

static int cfg_bool(const char *item, int *out, const char *where, int code, struct uct_err *err)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	size_t i;

	for (i = 0; i < 4; i++) {
		if (cfg_ieq(item, yes[i])) {
			*out = 1;
			return 0;
		}
		if (cfg_ieq(item, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return cfg_fail(err, code, where, "'%s' is not yes or no", item);
}

/* One port of --connect-to: empty (any) or 1..65535. */
static int cfg_port_ok(const char *s, size_t n)
{
	long v = 0;
	size_t i;

	if (n == 0)
		return 1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]) || i >= 5)
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/* Skip one host field of --connect-to (possibly empty or [IPv6]). */
static const char *cfg_skip_host(const char *s)
{
	if (*s == '[') {
		s = strchr(s, ']');
		return s != NULL ? s + 1 : NULL;
	}
	return s + strcspn(s, ":");
}

/* curl's syntax HOST:PORT:CONNECT-HOST:CONNECT-PORT, any part may be empty. */
static int cfg_check_connect_to(const char *item, const char *where, int code,
				struct uct_err *err)
{
	const char *p = item, *port;
	int field;

	for (field = 0; field < 2; field++) {
		p = cfg_skip_host(p);
		if (p == NULL || *p != ':')
			goto bad;
		port = ++p;
		p += strcspn(p, ":");
		if (!cfg_port_ok(port, (size_t)(p - port)))
			goto bad;
		if (field == 0) {
			if (*p != ':')
				goto bad;
			p++;
		}
	}
	if (*p == '\0')
		return 0;
bad:
	return cfg_fail(err, code, where,
			"'%s' is not HOST:PORT:CONNECT-HOST:CONNECT-PORT (e.g. "
			"uccx1.example.com:8445:127.0.0.1:8445)", item);
}

/* ---- setters shared by the file and the flags ------------------------------ */

static int cfg_push_pin(struct uct_config *cfg, const unsigned char fp[UCT_SHA256_LEN])
{
	unsigned char(*grown)[UCT_SHA256_LEN];
	size_t i;

	for (i = 0; i < cfg->n_pins; i++)
		if (memcmp(cfg->pins[i], fp, UCT_SHA256_LEN) == 0)
			return 0;
	grown = realloc(cfg->pins, (cfg->n_pins + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	cfg->pins = grown;
	memcpy(cfg->pins[cfg->n_pins++], fp, UCT_SHA256_LEN);
	return 0;
}

static int cfg_replace(char **slot, const char *value, struct uct_err *err)
{
	char *copy = uct_strdup(value);

	if (copy == NULL)
		return cfg_nomem(err);
	free(*slot);
	*slot = copy;
	return 0;
}

static int cfg_set_role(struct uct_config *cfg, const char *item, const char *where, int code,
			struct uct_err *err)
{
	static const struct { const char *name; unsigned mask; } roles[] = {
		{"agent", UCT_ROLE_AGENT}, {"supervisor", UCT_ROLE_SUPERVISOR},
		{"reporting", UCT_ROLE_REPORTING}, {"admin", UCT_ROLE_ADMIN},
		{"all", UCT_ROLE_ALL},
	};
	size_t i;

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		if (cfg_ieq(item, roles[i].name)) {
			cfg->roles |= roles[i].mask;
			return 0;
		}
	}
	return cfg_fail(err, code, where,
			"unknown role '%s' (roles: agent, supervisor, reporting, admin, all)", item);
}

static int cfg_set_browser(struct uct_config *cfg, const char *item, const char *where,
			   int code, struct uct_err *err)
{
	/* Chrome keeps its trust in the same ~/.pki/nssdb as Chromium. */
	if (cfg_ieq(item, "chromium") || cfg_ieq(item, "chrome"))
		cfg->browsers |= UCT_BROWSER_CHROMIUM;
	else if (cfg_ieq(item, "firefox"))
		cfg->browsers |= UCT_BROWSER_FIREFOX;
	else if (cfg_ieq(item, "system"))
		cfg->browsers |= UCT_BROWSER_SYSTEM;
	else
		return cfg_fail(err, code, where,
				"unknown browser '%s' (browsers: chromium, firefox, system)", item);
	return 0;
}

static int cfg_set_node(struct uct_config *cfg, const char *item, const char *where, int code,
			struct uct_err *err)
{
	char *host, *warning;

	if (cfg_check_host(item, where, code, err) < 0)
		return -1;
	host = cfg_lower(item);
	if (host == NULL)
		return cfg_nomem(err);
	if (uct_strv_contains(&cfg->nodes, host)) {
		warning = uct_asprintf("%s: node '%s' is listed twice; it is checked once", where,
				       host);
		if (warning != NULL)
			uct_strv_push(&cfg->warnings, warning);
		free(warning);
		free(host);
		return 0;
	}
	if (uct_strv_push(&cfg->nodes, host) < 0) {
		free(host);
		return cfg_nomem(err);
	}
	free(host);
	return 0;
}

static int cfg_set_url(struct uct_config *cfg, const char *item, const char *where, int code,
		       struct uct_err *err)
{
	struct uct_err why = {0};
	char *host = NULL, *path = NULL;
	int port;

	if (uct_url_parse(item, &host, &port, &path, &why) < 0)
		return cfg_fail(err, why.code == UCT_E_NOMEM ? UCT_E_NOMEM : code, where, "%s",
				why.msg);
	free(host);
	free(path);
	if (!uct_strv_contains(&cfg->urls, item) && uct_strv_push(&cfg->urls, item) < 0)
		return cfg_nomem(err);
	return 0;
}

static int cfg_set_pin(struct uct_config *cfg, const char *item, const char *where, int code,
		       struct uct_err *err)
{
	unsigned char fp[UCT_SHA256_LEN];

	if (uct_fp_parse(item, fp) < 0)
		return cfg_fail(err, code, where,
				"'%s' is not a SHA-256 fingerprint (64 hex digits, colons optional; "
				"get it with: openssl x509 -noout -fingerprint -sha256 -in "
				"cert.pem)", item);
	if (cfg_push_pin(cfg, fp) < 0)
		return cfg_nomem(err);
	return 0;
}

static int cfg_push_path(struct uct_strv *sv, const char *item, const char *what,
			 const char *where, int code, struct uct_err *err)
{
	if (*item == '\0')
		return cfg_fail(err, code, where, "the %s is empty", what);
	if (uct_strv_push(sv, item) < 0)
		return cfg_nomem(err);
	return 0;
}

static int cfg_set_host_scalar(char **slot, const char *value, const char *where, int code,
			       struct uct_err *err)
{
	char *host;

	if (*value == '\0') {
		free(*slot);
		*slot = NULL;
		return 0;
	}
	if (cfg_check_host(value, where, code, err) < 0)
		return -1;
	host = cfg_lower(value);
	if (host == NULL)
		return cfg_nomem(err);
	free(*slot);
	*slot = host;
	return 0;
}

/* An optional string: empty means "not set". */
static int cfg_set_optional(char **slot, const char *value, struct uct_err *err)
{
	if (*value == '\0') {
		free(*slot);
		*slot = NULL;
		return 0;
	}
	return cfg_replace(slot, value, err);
}

static int cfg_set_mode(struct uct_config *cfg, const char *value, const char *where, int code,
			struct uct_err *err)
{
	if (cfg_ieq(value, "tofu"))
		cfg->mode = UCT_MODE_TOFU;
	else if (cfg_ieq(value, "pinned"))
		cfg->mode = UCT_MODE_PINNED;
	else
		return cfg_fail(err, code, where, "unknown trust mode '%s' (modes: tofu, pinned)",
				value);
	return 0;
}

static int cfg_set_proxy(struct uct_config *cfg, const char *value, struct uct_err *err)
{
	/* libcurl reads an empty proxy string as "no proxy at all", which is
	 * what "direct" means; an empty setting keeps the environment's. */
	if (cfg_ieq(value, "direct") || cfg_ieq(value, "none"))
		return cfg_replace(&cfg->proxy, "", err);
	return cfg_set_optional(&cfg->proxy, value, err);
}

/* Apply one value (one item, for a list) of setting s. */
static int cfg_apply(struct uct_config *cfg, enum setting s, const char *v, const char *where,
		     int code, struct uct_err *err)
{
	switch (s) {
	case S_NODES: return cfg_set_node(cfg, v, where, code, err);
	case S_SOCIALMINER: return cfg_set_host_scalar(&cfg->socialminer, v, where, code, err);
	case S_URLS: return cfg_set_url(cfg, v, where, code, err);
	case S_ROLES: return cfg_set_role(cfg, v, where, code, err);
	case S_BROWSERS: return cfg_set_browser(cfg, v, where, code, err);
	case S_NSS_DBS:
		return cfg_push_path(&cfg->nss_dbs, v, "NSS database directory", where, code, err);
	case S_CA_FILES:
		return cfg_push_path(&cfg->ca_files, v, "CA file name", where, code, err);
	case S_STATE_DIR: return cfg_set_optional(&cfg->state_dir, v, err);
	case S_HOME: return cfg_set_optional(&cfg->home, v, err);
	case S_CONFIG: return cfg_replace(&cfg->config_path, v, err);
	case S_MODE: return cfg_set_mode(cfg, v, where, code, err);
	case S_PINS: return cfg_set_pin(cfg, v, where, code, err);
	case S_ACCEPT_CHANGE: return cfg_bool(v, &cfg->accept_change, where, code, err);
	case S_CONNECT_TIMEOUT: return cfg_seconds(v, &cfg->connect_timeout_ms, where, code, err);
	case S_TIMEOUT: return cfg_seconds(v, &cfg->total_timeout_ms, where, code, err);
	case S_PROXY: return cfg_set_proxy(cfg, v, err);
	case S_CONNECT_TO:
		if (cfg_check_connect_to(v, where, code, err) < 0)
			return -1;
		return uct_strv_push(&cfg->connect_to, v) < 0 ? cfg_nomem(err) : 0;
	case S_REPORT_URL: return cfg_set_optional(&cfg->report_url, v, err);
	case S_REPORT_TOKEN: return cfg_set_optional(&cfg->report_token_file, v, err);
	case S_REPORT_CA: return cfg_set_optional(&cfg->report_ca, v, err);
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
		return cfg_nomem(err);
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
		rc = cfg_fail(err, code, where,
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
		    strcmp(file_keys[i].key, key) == 0)
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
		return cfg_fail(fc->err, UCT_E_CONFIG, where, "'%s' belongs in [%s], not [%s]", key,
				elsewhere->section, section);
	for (i = 0; i < N_FILE_KEYS; i++)
		if (strcmp(file_keys[i].section, section) == 0)
			names[n++] = file_keys[i].key;
	hint = cfg_suggest(key, names, n);
	if (hint != NULL)
		return cfg_fail(fc->err, UCT_E_CONFIG, where,
				"unknown key '%s' in [%s] (did you mean '%s'?)", key, section, hint);
	return cfg_fail(fc->err, UCT_E_CONFIG, where,
			"unknown key '%s' in [%s]; see examples/agent.ini for the keys", key,
			section);
}

static int cfg_unknown_section(struct file_ctx *fc, const char *where, const char *section,
			       const char *key)
{
	const struct file_key *home = cfg_find_key(NULL, key);
	const char *hint;

	if (section[0] == '\0')
		return cfg_fail(fc->err, UCT_E_CONFIG, where,
				"'%s' is outside any section; put it under [%s]", key,
				home != NULL ? home->section : "uccx");
	hint = cfg_suggest(section, sections, N_SECTIONS);
	if (hint != NULL)
		return cfg_fail(fc->err, UCT_E_CONFIG, where,
				"unknown section [%s] (did you mean [%s]?)", section, hint);
	return cfg_fail(fc->err, UCT_E_CONFIG, where,
			"unknown section [%s] (sections: uccx, agent, trust, network, report)",
			section);
}

static int cfg_file_pair(void *ctx, const char *section, const char *key, const char *value,
			 int line)
{
	struct file_ctx *fc = ctx;
	const struct file_key *fk;
	char where[600];
	size_t i;

	snprintf(where, sizeof(where), "%s:%d", fc->path, line);
	for (i = 0; i < N_SECTIONS; i++)
		if (strcmp(sections[i], section) == 0)
			break;
	if (i == N_SECTIONS)
		return cfg_unknown_section(fc, where, section, key);
	fk = cfg_find_key(section, key);
	if (fk == NULL)
		return cfg_unknown_key(fc, where, section, key);
	if (fc->lines[fk->setting] != 0)
		return cfg_fail(fc->err, UCT_E_CONFIG, where,
				"'%s' is set twice in [%s] (also on line %d); %s", key, section,
				fc->lines[fk->setting],
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
	hint = strncmp(arg, "--", 2) == 0 ? cfg_suggest(name, names, N_FLAGS) : NULL;
	if (hint != NULL)
		return uct_err_set(err, UCT_E_USAGE, 0,
				   "unknown option '%s' (did you mean '--%s'?; " SEE_HELP ")", arg,
				   hint);
	return uct_err_set(err, UCT_E_USAGE, 0, "unknown option '%s' (" SEE_HELP ")", arg);
}

static int cfg_command(struct uct_config *cli, const char *word, struct uct_err *err)
{
	const char *hint;
	size_t i;

	if (cli->command != UCT_CMD_NONE)
		return uct_err_set(err, UCT_E_USAGE, 0,
				   "unexpected argument '%s': give one command (" SEE_HELP ")", word);
	for (i = 1; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(word, commands[i]) == 0) {
			cli->command = (enum uct_command)i;
			return 0;
		}
	}
	hint = cfg_suggest(word, commands, sizeof(commands) / sizeof(commands[0]));
	if (hint != NULL)
		return uct_err_set(err, UCT_E_USAGE, 0,
				   "unknown command '%s' (did you mean '%s'?; " SEE_HELP ")", word,
				   hint);
	return uct_err_set(err, UCT_E_USAGE, 0,
			   "unknown command '%s' (commands: check, install, remove, status; "
			   SEE_HELP ")", word);
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
	return cfg_apply(cli, f->setting, value != NULL ? value : "", where, UCT_E_USAGE, err);
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
	case S_HOME: MOVE_STR(home); break;
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
		return cfg->config_path != NULL ? 0 : cfg_nomem(err);
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

	if (cfg->command != UCT_CMD_CHECK && cfg->command != UCT_CMD_INSTALL)
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
			    "no command given: use check, install, remove or status (" SEE_HELP ")");
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
	free(cfg->report_url);
	free(cfg->report_token_file);
	free(cfg->report_ca);
	uct_strv_clear(&cfg->warnings);
	uct_config_init(cfg);
}

const char *uct_config_usage(void)
{
	return "Usage: uccx-trust COMMAND [OPTIONS]\n"
	       "\n"
	       "Makes the certificates of a Cisco UCCX deployment (Finesse, CUIC, live data,\n"
	       "SocialMiner chat, the admin pages) trusted by the browsers of this PC, so they\n"
	       "open without certificate warnings.\n"
	       "\n"
	       "Commands:\n"
	       "  check     Fetch each server's certificate and report what install would do.\n"
	       "            Changes nothing; the exit code tells a deployment tool whether\n"
	       "            install has work to do.\n"
	       "  install   Check, then add the approved certificates to the browsers' stores\n"
	       "            (Chromium/Chrome ~/.pki/nssdb, every Firefox profile; as root: the\n"
	       "            system anchors) and verify as the browsers would.\n"
	       "  remove    Take out exactly what uccx-trust installed, nothing else.\n"
	       "  status    Show what uccx-trust installed and when (no network).\n"
	       "\n"
	       "Exit codes:\n"
	       "  0  every endpoint is trusted (check: nothing to do)\n"
	       "  1  some endpoint is not trusted or could not be reached\n"
	       "  2  usage or configuration error\n"
	       "  3  system error (disk, permissions, another run in progress)\n"
	       "\n"
	       "Servers:\n"
	       "  --node FQDN           a UCCX node (publisher, subscriber); repeatable.\n"
	       "                        Always the fully qualified name, never an IP address\n"
	       "  --socialminer FQDN    the SocialMiner / chat server\n"
	       "  --url URL             any other https URL to trust; repeatable\n"
	       "  --role ROLE           agent, supervisor, reporting, admin or all (default:\n"
	       "                        all); repeatable or comma-separated; selects the URLs\n"
	       "\n"
	       "Trust:\n"
	       "  --trust tofu|pinned   tofu (default): trust what a server presents the first\n"
	       "                        time, report any later change. pinned: trust only\n"
	       "                        certificates whose SHA-256 is given with --pin\n"
	       "  --pin SHA256          an approved certificate fingerprint (colons and case\n"
	       "                        optional); repeatable\n"
	       "  --ca-file FILE        an approved CA certificate (PEM); repeatable\n"
	       "  --accept-change       accept a certificate that changed since last run\n"
	       "\n"
	       "Stores:\n"
	       "  --browser NAME        chromium or firefox (default: every browser found);\n"
	       "                        repeatable\n"
	       "  --nss-db DIR          manage only this NSS database; repeatable\n"
	       "  --home DIR            the home directory whose browsers are managed\n"
	       "                        (default: $HOME)\n"
	       "  --state-dir DIR       where the run lock and the record of installed\n"
	       "                        certificates live (default: ~/.local/state/uccx-trust,\n"
	       "                        as root /var/lib/uccx-trust)\n"
	       "\n"
	       "Network:\n"
	       "  --connect-timeout S   seconds to wait for a connection (default 5; 2.5 ok)\n"
	       "  --timeout S           seconds for a whole handshake (default 15)\n"
	       "  --proxy URL           proxy to use (default: the environment's; 'direct'\n"
	       "                        for none)\n"
	       "  --connect-to H:P:CH:CP  connect to CH:CP when H:P is asked for (curl's\n"
	       "                        syntax; for labs and tests); repeatable\n"
	       "\n"
	       "Output:\n"
	       "  --json                machine-readable result on standard output\n"
	       "  -q, --quiet           only errors\n"
	       "  -v, --verbose         explain each step\n"
	       "  -h, --help            this text\n"
	       "  -V, --version         the version\n"
	       "\n"
	       "Reporting (stored for the central collector):\n"
	       "  --report-url URL  --report-token-file FILE  --report-ca FILE\n"
	       "\n"
	       "Configuration:\n"
	       "  --config FILE         read FILE (default: $UCCX_TRUST_CONFIG, else\n"
	       "                        /etc/uccx-trust/agent.ini when it exists). Flags\n"
	       "                        override the file; a list flag (--node, --pin, ...)\n"
	       "                        replaces the file's list. See examples/agent.ini.\n"
	       "\n"
	       "Examples:\n"
	       "  Login script (each user, settings in /etc/uccx-trust/agent.ini):\n"
	       "    uccx-trust install --quiet\n"
	       "  Package manager or SCCM (as root/SYSTEM, pinned certificates):\n"
	       "    uccx-trust install --trust pinned --pin AA:BB:...:FF \\\n"
	       "      --node uccx1.example.com --node uccx2.example.com\n"
	       "  Helpdesk, on the phone with an agent:\n"
	       "    uccx-trust check --node uccx1.example.com --role agent\n"
	       "  Lab, servers on this PC:\n"
	       "    uccx-trust check --node uccx1.example.com \\\n"
	       "      --connect-to uccx1.example.com:8445:127.0.0.1:8445\n";
}
