/*
 * config.c: the collector's flags and its INI file ([collector] section,
 * read in the agent's dialect: core/uct_ini.h), token files and the listen
 * address. Secrets are only ever read from files so that they never appear
 * in a process listing.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "col.h"
#include "uct_ini.h"

void col_log(const char *level, const char *fmt, ...)
{
	char when[32];
	va_list ap;

	col_format_time((int64_t)time(NULL), when);
	va_start(ap, fmt);
	flockfile(stderr);
	fprintf(stderr, "%s uccx-trust-collector %s: ", when, level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
	va_end(ap);
}

void col_config_usage(FILE *out)
{
	fputs("usage: uccx-trust-collector [options]\n"
	      "Receives uccx-trust agent reports, stores them in SQLite or PostgreSQL and serves\n"
	      "the fleet view.\n\n"
	      "  --config FILE            INI file with a [collector] section (keys as the flags\n"
	      "                           without dashes, '-' written '_'); flags win\n"
	      "  --listen ADDR:PORT       default 127.0.0.1:8443; [::1]:PORT for IPv6; port 0 picks one\n"
	      "  --db PATH|URL            SQLite database file, or a postgresql://USER@HOST:PORT/DB\n"
	      "                           URL (libpq: ?sslmode=verify-full etc.; a password is\n"
	      "                           better in ~/.pgpass or PGPASSFILE) that several\n"
	      "                           collectors may share; schema created/migrated on start\n"
	      "  --tls-cert FILE          PEM server certificate (chain); with --tls-key: HTTPS\n"
	      "  --tls-key FILE           PEM private key. Without both: plain HTTP, loopback only\n"
	      "  --agent-token-file FILE  tokens agents send (Bearer), one per line\n"
	      "  --admin-token-file FILE  tokens for the dashboard, the read API and approvals;\n"
	      "                           a line may give a label after the token (\"TOKEN alice\"),\n"
	      "                           written into the audit log as who approved\n"
	      "  --signing-key FILE       ECDSA P-256 key signing GET /api/v1/trust; created (mode\n"
	      "                           0600) when missing; refused when group/other can read it\n"
	      "  --trust-validity DAYS    how long a trust document is valid (default 7)\n"
	      "  --print-trust-key        print the public key of --signing-key (PEM) and exit:\n"
	      "                           the key the PCs are given to check trust documents\n"
	      "  --sync full|normal       default full: a 202 survives power loss (SQLite\n"
	      "                           synchronous=FULL; PostgreSQL: the server's\n"
	      "                           synchronous_commit); normal: SQLite NORMAL, PostgreSQL\n"
	      "                           synchronous_commit=off (a server crash may lose commits)\n"
	      "  --max-connections N      concurrent connections (default 512)\n"
	      "  --max-connections-per-address N\n"
	      "                           concurrent connections from one client address\n"
	      "                           (default 32; 0: no limit, behind a proxy that hides\n"
	      "                           the clients' addresses)\n"
	      "  --timeout SECONDS        idle connection timeout (default 30)\n"
	      "  --header-timeout SECONDS a request's headers must arrive within this (default 10)\n"
	      "  --body-timeout SECONDS   a report's body must arrive within this (default 60)\n"
	      "  --max-body BYTES         largest accepted report (default 1048576)\n"
	      "The collector's own view of the UCCX servers ([probe] section of --config; keys\n"
	      "as the flags without --probe-, '-' written '_'):\n"
	      "  --probe-node FQDN        a UCCX node to fetch (repeatable or comma-separated;\n"
	      "                           [probe] nodes); the URLs are the agent's for all roles\n"
	      "  --probe-socialminer FQDN SocialMiner to fetch as well\n"
	      "  --probe-interval MINUTES how often (default 10)\n"
	      "  --probe-interval-seconds N  the same in seconds, for tests; wins over the above\n"
	      "  --probe-auto-approve never|probe\n"
	      "                           probe: a certificate the collector sees at HOST:PORT\n"
	      "                           that no approval covers is approved (label \"probe\");\n"
	      "                           a later one replaces the probe's own approval there\n"
	      "                           (default never: only recorded, so that approving it\n"
	      "                           needs no force)\n"
	      "  --probe-connect-to HOST:PORT:ADDR:PORT\n"
	      "                           connect there when HOST:PORT is fetched (curl's\n"
	      "                           --connect-to; repeatable or comma-separated)\n"
	      "  --help, --version\n",
	      out);
}

/* What a setting holds, and so how its value is read. */
enum config_kind { CONFIG_STR, CONFIG_SYNC, CONFIG_UINT, CONFIG_SIZE };

/* One setting: a flag, and a key of the file's [collector] section. */
struct config_key {
	const char *name; /* the flag without its dashes; a file may write '-' as '_' */
	enum config_kind kind;
	size_t offset;          /* of its field in struct col_config */
	unsigned long min, max; /* numbers only */
};

#define CONFIG_AT(field) offsetof(struct col_config, field)

static const struct config_key config_keys[] = {
	{"listen", CONFIG_STR, CONFIG_AT(listen), 0, 0},
	{"db", CONFIG_STR, CONFIG_AT(db_path), 0, 0},
	{"tls-cert", CONFIG_STR, CONFIG_AT(tls_cert), 0, 0},
	{"tls-key", CONFIG_STR, CONFIG_AT(tls_key), 0, 0},
	{"agent-token-file", CONFIG_STR, CONFIG_AT(agent_token_file), 0, 0},
	{"admin-token-file", CONFIG_STR, CONFIG_AT(admin_token_file), 0, 0},
	{"signing-key", CONFIG_STR, CONFIG_AT(signing_key), 0, 0},
	{"trust-validity", CONFIG_UINT, CONFIG_AT(trust_validity_days), 1, 365},
	{"sync", CONFIG_SYNC, CONFIG_AT(sync), 0, 0},
	{"max-connections", CONFIG_UINT, CONFIG_AT(max_connections), 1, 65536},
	{"max-connections-per-address", CONFIG_UINT, CONFIG_AT(max_per_address), 0, 65536},
	{"timeout", CONFIG_UINT, CONFIG_AT(timeout_s), 1, 3600},
	{"header-timeout", CONFIG_UINT, CONFIG_AT(header_timeout_s), 1, 3600},
	{"body-timeout", CONFIG_UINT, CONFIG_AT(body_timeout_s), 1, 3600},
	{"max-body", CONFIG_SIZE, CONFIG_AT(max_body), 1024, 64ul * 1024 * 1024},
};
#define CONFIG_NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))

/* The setting named key (case and '-' or '_' alike), or NULL. */
static const struct config_key *config_find(const char *key)
{
	size_t i, j;

	for (i = 0; i < CONFIG_NKEYS; i++) {
		const char *name = config_keys[i].name;
		for (j = 0; name[j] != '\0' && key[j] != '\0'; j++)
			if (tolower((unsigned char)key[j]) != name[j] &&
			    !(key[j] == '_' && name[j] == '-'))
				break;
		if (name[j] == '\0' && key[j] == '\0')
			return &config_keys[i];
	}
	return NULL;
}

/* A value quoted in a message, cut so that the reason and the fix fit. */
#define CONFIG_QUOTE_FMT "\"%.64s%s\""
#define CONFIG_QUOTE(v) (v), strlen(v) > 64 ? "..." : ""

static int config_bad(const struct config_key *k, const char *value, struct col_err *err)
{
	if (k->kind == CONFIG_SYNC)
		col_err_set(err, COL_REJ_CONFIG,
			    "bad value " CONFIG_QUOTE_FMT " for %s: full or normal",
			    CONFIG_QUOTE(value), k->name);
	else
		col_err_set(err, COL_REJ_CONFIG,
			    "bad value " CONFIG_QUOTE_FMT " for %s: a whole number from %lu to %lu",
			    CONFIG_QUOTE(value), k->name, k->min, k->max);
	return -1;
}

static int config_set(struct col_config *cfg, const struct config_key *k, const char *value,
		      struct col_err *err)
{
	char *field = (char *)cfg + k->offset, *end;
	unsigned long n;

	if (k->kind == CONFIG_STR) {
		char **str = (char **)(void *)field;
		free(*str);
		if ((*str = strdup(value)) == NULL) {
			col_err_set(err, COL_REJ_CONFIG, "out of memory reading %s", k->name);
			return -1;
		}
		return 0;
	}
	if (k->kind == CONFIG_SYNC) {
		if (strcasecmp(value, "full") != 0 && strcasecmp(value, "normal") != 0)
			return config_bad(k, value, err);
		cfg->sync = strcasecmp(value, "full") == 0 ? COL_SYNC_FULL : COL_SYNC_NORMAL;
		return 0;
	}
	errno = 0;
	n = strtoul(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || value[0] == '-' || n < k->min ||
	    n > k->max)
		return config_bad(k, value, err);
	if (k->kind == CONFIG_SIZE)
		*(size_t *)(void *)field = n;
	else
		*(unsigned *)(void *)field = (unsigned)n;
	return 0;
}

/* The [collector] section of --config FILE, read in the agent's dialect. */
struct config_ini {
	struct col_config *cfg;
	const char *path;
	int lines[CONFIG_NKEYS]; /* where each setting was given, 0: not yet */
	struct col_err *err;
};

/* uct_ini_handler: -1 with the error set stops the parse. */
static int config_ini_pair(void *user, const char *section, const char *key, const char *value,
			   int line)
{
	struct config_ini *ci = user;
	const struct config_key *k;
	struct col_err why = {0};
	size_t i;

	if (strcasecmp(section, "probe") == 0)
		return col_probe_config_pair(&ci->cfg->probe, ci->path, line, key, value, ci->err);
	/* Other sections belong to other programs sharing the file. */
	if (strcasecmp(section, "collector") != 0)
		return 0;
	k = config_find(key);
	if (k == NULL) {
		col_err_set(ci->err, COL_REJ_CONFIG,
			    "%s:%d: unknown setting " CONFIG_QUOTE_FMT " in [collector]; the "
			    "settings are the flags without their dashes (--help lists them)",
			    ci->path, line, CONFIG_QUOTE(key));
		return -1;
	}
	i = (size_t)(k - config_keys);
	if (ci->lines[i] != 0) {
		col_err_set(ci->err, COL_REJ_CONFIG,
			    "%s:%d: '%s' is set twice in [collector] (also on line %d); keep one "
			    "of them",
			    ci->path, line, k->name, ci->lines[i]);
		return -1;
	}
	ci->lines[i] = line;
	if (config_set(ci->cfg, k, value, &why) < 0) {
		col_err_set(ci->err, COL_REJ_CONFIG, "%s:%d: %s", ci->path, line, why.msg);
		return -1;
	}
	return 0;
}

/* The whole file into a new NUL-terminated buffer. */
static int config_slurp(const char *path, char **text, size_t *len, struct col_err *err)
{
	FILE *f = fopen(path, "rb");
	char *buf;

	if (f == NULL) {
		col_err_set(err, COL_REJ_CONFIG,
			    "cannot read %s: %s; check the path given to "
			    "--config",
			    path, strerror(errno));
		return -1;
	}
	buf = malloc(UCT_INI_MAX + 1);
	*len = buf != NULL ? fread(buf, 1, UCT_INI_MAX + 1, f) : 0;
	if (buf == NULL || ferror(f) || *len > UCT_INI_MAX) {
		col_err_set(err, COL_REJ_CONFIG, "cannot read %s: %s", path,
			    buf == NULL ? "out of memory"
			    : ferror(f) ? strerror(errno)
					: "larger than 1 MiB, not a configuration file");
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	buf[*len] = '\0';
	*text = buf;
	return 0;
}

static int config_read_file(const char *path, struct col_config *cfg, struct col_err *err)
{
	struct config_ini ci = {.cfg = cfg, .path = path, .err = err};
	struct uct_err why = {0};
	char *text;
	size_t len;
	int rc;

	if (config_slurp(path, &text, &len, err) < 0)
		return -1;
	rc = uct_ini_parse_text(path, text, len, config_ini_pair, NULL, &ci, &why);
	free(text);
	if (rc == 0)
		return 0;
	/* The reader's own errors (syntax) name the line and the syntax. */
	if (why.code != UCT_E_NONE)
		col_err_set(err, COL_REJ_CONFIG, "%s", why.msg);
	return -1;
}

static const struct option config_opts[] = {
	{"config", required_argument, NULL, 'c'},
	{"listen", required_argument, NULL, 1},
	{"db", required_argument, NULL, 1},
	{"tls-cert", required_argument, NULL, 1},
	{"tls-key", required_argument, NULL, 1},
	{"agent-token-file", required_argument, NULL, 1},
	{"admin-token-file", required_argument, NULL, 1},
	{"signing-key", required_argument, NULL, 1},
	{"trust-validity", required_argument, NULL, 1},
	{"print-trust-key", no_argument, NULL, 'P'},
	{"sync", required_argument, NULL, 1},
	{"max-connections", required_argument, NULL, 1},
	{"timeout", required_argument, NULL, 1},
	{"max-body", required_argument, NULL, 1},
	{"max-connections-per-address", required_argument, NULL, 1},
	{"header-timeout", required_argument, NULL, 1},
	{"body-timeout", required_argument, NULL, 1},
	{"probe-node", required_argument, NULL, 2},
	{"probe-nodes", required_argument, NULL, 2},
	{"probe-socialminer", required_argument, NULL, 2},
	{"probe-interval", required_argument, NULL, 2},
	{"probe-interval-seconds", required_argument, NULL, 2},
	{"probe-auto-approve", required_argument, NULL, 2},
	{"probe-connect-to", required_argument, NULL, 2},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{0, 0, 0, 0},
};

static void config_defaults(struct col_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->sync = COL_SYNC_FULL;
	cfg->max_connections = 512;
	cfg->max_per_address = 32;
	cfg->timeout_s = 30;
	cfg->header_timeout_s = 10;
	cfg->body_timeout_s = 60;
	cfg->max_body = 1024 * 1024;
	cfg->trust_validity_days = COL_TRUST_VALIDITY_DAYS;
}

/* The flags other than --config, --help and --version, over the file. */
static int config_flags(int argc, char **argv, struct col_config *cfg, struct col_err *err)
{
	int c, i;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", config_opts, &i)) != -1) {
		if (c == '?' || c == ':') {
			col_err_set(err, COL_REJ_CONFIG, "unknown option or missing value: %s",
				    argv[optind - 1]);
			return -1;
		}
		if (c == 2 &&
		    col_probe_config_flag(&cfg->probe, config_opts[i].name + 6, optarg, err) < 0)
			return -1;
		if (c != 1)
			continue;
		if (config_set(cfg, config_find(config_opts[i].name), optarg, err) < 0)
			return -1;
	}
	if (optind < argc) {
		col_err_set(err, COL_REJ_CONFIG, "unexpected argument %s", argv[optind]);
		return -1;
	}
	return 0;
}

int col_config_load(int argc, char **argv, struct col_config *cfg, struct col_err *err)
{
	const char *config_file = NULL;
	int c;

	config_defaults(cfg);
	/* First pass: only --config, --help and --version, so that the file is
	 * read before the flags that override it. */
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", config_opts, NULL)) != -1) {
		if (c == 'c')
			config_file = optarg;
		else if (c == 'h')
			cfg->help = 1;
		else if (c == 'V')
			cfg->version = 1;
		else if (c == 'P')
			cfg->print_trust_key = 1;
	}
	if (cfg->help || cfg->version)
		return 0;
	if (config_file != NULL && config_read_file(config_file, cfg, err) < 0)
		return -1;
	if (config_flags(argc, argv, cfg, err) < 0 || col_probe_config_check(&cfg->probe, err) < 0)
		return -1;
	if (cfg->listen == NULL && (cfg->listen = strdup("127.0.0.1:8443")) == NULL)
		return -1;
	return 0;
}

void col_config_free(struct col_config *cfg)
{
	free(cfg->listen);
	free(cfg->db_path);
	free(cfg->tls_cert);
	free(cfg->tls_key);
	free(cfg->agent_token_file);
	free(cfg->admin_token_file);
	free(cfg->signing_key);
	col_probe_config_free(&cfg->probe);
	memset(cfg, 0, sizeof(*cfg));
}

/*
 * One line's token and label (s is trimmed and not empty). A label is
 * printable ASCII: it is written into the audit log and shown to people.
 */
static int tokens_add(struct col_tokens *t, char *s, const char *path, struct col_err *err)
{
	size_t n = strcspn(s, " \t"), i;
	char *label = s + n;

	while (*label == ' ' || *label == '\t')
		*label++ = '\0';
	s[n] = '\0';
	/* Short tokens can be guessed over the network. */
	if (n < 16) {
		col_err_set(err, COL_REJ_CONFIG, "%s: a token shorter than 16 characters", path);
		return -1;
	}
	if (t->n == sizeof(t->v) / sizeof(t->v[0])) {
		col_err_set(err, COL_REJ_CONFIG, "%s: more than 16 tokens", path);
		return -1;
	}
	for (i = 0; label[i] != '\0'; i++)
		if ((unsigned char)label[i] < 0x20 || (unsigned char)label[i] > 0x7e ||
		    i == COL_TOKEN_LABEL_MAX) {
			col_err_set(err, COL_REJ_CONFIG,
				    "%s: a token's label is printable ASCII of "
				    "at most " COL_STR(COL_TOKEN_LABEL_MAX) " characters",
				    path);
			return -1;
		}
	if (label[0] != '\0')
		snprintf(t->label[t->n], sizeof(t->label[0]), "%s", label);
	else
		snprintf(t->label[t->n], sizeof(t->label[0]), "token %zu", t->n + 1);
	if ((t->v[t->n] = strdup(s)) == NULL) {
		col_err_set(err, COL_REJ_CONFIG, "out of memory reading %s", path);
		return -1;
	}
	t->n++;
	return 0;
}

int col_tokens_load(const char *path, struct col_tokens *t, struct col_err *err)
{
	char line[1024];
	FILE *f;

	memset(t, 0, sizeof(*t));
	f = fopen(path, "r");
	if (f == NULL) {
		col_err_set(err, COL_REJ_CONFIG, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t n = strcspn(line, "\r\n");
		char *s = line;
		line[n] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		n = strlen(s);
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			s[--n] = '\0';
		if (n == 0 || s[0] == '#')
			continue;
		if (tokens_add(t, s, path, err) < 0)
			goto err;
	}
	fclose(f);
	if (t->n == 0) {
		col_err_set(err, COL_REJ_CONFIG, "%s holds no token", path);
		return -1;
	}
	return 0;
err:
	fclose(f);
	col_tokens_free(t);
	return -1;
}

void col_tokens_free(struct col_tokens *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i]);
	memset(t, 0, sizeof(*t));
}

/* The loop runs over the stored token whatever was given, so the time taken
 * tells nothing about how many leading characters matched. */
static int tokens_equal(const char *stored, const char *given)
{
	size_t sn = strlen(stored), gn = strlen(given), i;
	unsigned char diff = (unsigned char)(sn != gn);

	for (i = 0; i < sn; i++)
		diff |= (unsigned char)(stored[i] ^ (i < gn ? given[i] : 0));
	return diff == 0;
}

const char *col_tokens_label(const struct col_tokens *t, const char *given)
{
	size_t i;
	const char *label = NULL;

	if (given == NULL)
		return NULL;
	/* Every token is compared, whichever matches. */
	for (i = 0; i < t->n; i++)
		if (tokens_equal(t->v[i], given))
			label = t->label[i];
	return label;
}

int col_tokens_match(const struct col_tokens *t, const char *given)
{
	return col_tokens_label(t, given) != NULL;
}

int col_parse_listen(const char *s, struct sockaddr_storage *ss, unsigned *len, int *loopback,
		     struct col_err *err)
{
	char host[64];
	const char *colon, *port_s;
	char *end;
	unsigned long port;
	size_t hn;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':')
			goto bad;
		hn = (size_t)(close - s - 1);
		if (hn >= sizeof(host))
			goto bad;
		memcpy(host, s + 1, hn);
		port_s = close + 2;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			goto bad;
		hn = (size_t)(colon - s);
		if (hn >= sizeof(host))
			goto bad;
		memcpy(host, s, hn);
		port_s = colon + 1;
	}
	host[hn] = '\0';
	errno = 0;
	port = strtoul(port_s, &end, 10);
	if (errno != 0 || end == port_s || *end != '\0' || port > 65535)
		goto bad;
	if (s[0] == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			goto bad;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
		*loopback = IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			goto bad;
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof(*a4);
		*loopback = (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
	}
	return 0;
bad:
	col_err_set(err, COL_REJ_CONFIG,
		    "listen address \"%s\": IPV4:PORT or [IPV6]:PORT with numeric addresses", s);
	return -1;
}
