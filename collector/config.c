/*
 * config.c: the collector's flags and its INI file ([collector] section),
 * token files and the listen address. Secrets are only ever read from files
 * so that they never appear in a process listing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <ini.h>

#include "col.h"

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
	      "  --admin-token-file FILE  tokens for the dashboard and the read API\n"
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
	      "  --help, --version\n",
	      out);
}

static int config_set(struct col_config *cfg, const char *key, const char *value,
		      struct col_err *err)
{
	char **str = NULL;
	char *end;
	unsigned long n;

	if (!strcasecmp(key, "listen"))
		str = &cfg->listen;
	else if (!strcasecmp(key, "db"))
		str = &cfg->db_path;
	else if (!strcasecmp(key, "tls-cert") || !strcasecmp(key, "tls_cert"))
		str = &cfg->tls_cert;
	else if (!strcasecmp(key, "tls-key") || !strcasecmp(key, "tls_key"))
		str = &cfg->tls_key;
	else if (!strcasecmp(key, "agent-token-file") || !strcasecmp(key, "agent_token_file"))
		str = &cfg->agent_token_file;
	else if (!strcasecmp(key, "admin-token-file") || !strcasecmp(key, "admin_token_file"))
		str = &cfg->admin_token_file;
	if (str != NULL) {
		free(*str);
		*str = strdup(value);
		return *str ? 0 : -1;
	}
	if (!strcasecmp(key, "sync")) {
		if (!strcasecmp(value, "full"))
			cfg->sync = COL_SYNC_FULL;
		else if (!strcasecmp(value, "normal"))
			cfg->sync = COL_SYNC_NORMAL;
		else
			goto bad;
		return 0;
	}
	errno = 0;
	n = strtoul(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0')
		goto bad;
	if (!strcasecmp(key, "max-connections") || !strcasecmp(key, "max_connections")) {
		if (n < 1 || n > 65536)
			goto bad;
		cfg->max_connections = (unsigned)n;
	} else if (!strcasecmp(key, "max-connections-per-address") ||
		   !strcasecmp(key, "max_connections_per_address")) {
		if (n > 65536)
			goto bad;
		cfg->max_per_address = (unsigned)n;
	} else if (!strcasecmp(key, "timeout")) {
		if (n < 1 || n > 3600)
			goto bad;
		cfg->timeout_s = (unsigned)n;
	} else if (!strcasecmp(key, "header-timeout") || !strcasecmp(key, "header_timeout")) {
		if (n < 1 || n > 3600)
			goto bad;
		cfg->header_timeout_s = (unsigned)n;
	} else if (!strcasecmp(key, "body-timeout") || !strcasecmp(key, "body_timeout")) {
		if (n < 1 || n > 3600)
			goto bad;
		cfg->body_timeout_s = (unsigned)n;
	} else if (!strcasecmp(key, "max-body") || !strcasecmp(key, "max_body")) {
		if (n < 1024 || n > 64ul * 1024 * 1024)
			goto bad;
		cfg->max_body = n;
	} else {
		col_err_set(err, COL_REJ_CONFIG, "unknown setting \"%s\"", key);
		return -1;
	}
	return 0;
bad:
	col_err_set(err, COL_REJ_CONFIG, "bad value \"%s\" for %s", value, key);
	return -1;
}

struct config_ini {
	struct col_config *cfg;
	struct col_err *err;
	int failed;
};

static int config_ini_line(void *user, const char *section, const char *key, const char *value)
{
	struct config_ini *ci = user;

	if (strcasecmp(section, "collector") != 0)
		return 1;
	if (config_set(ci->cfg, key, value, ci->err) < 0) {
		ci->failed = 1;
		return 0;
	}
	return 1;
}

int col_config_load(int argc, char **argv, struct col_config *cfg, struct col_err *err)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"listen", required_argument, NULL, 'l'},
		{"db", required_argument, NULL, 'd'},
		{"tls-cert", required_argument, NULL, 1},
		{"tls-key", required_argument, NULL, 2},
		{"agent-token-file", required_argument, NULL, 3},
		{"admin-token-file", required_argument, NULL, 4},
		{"sync", required_argument, NULL, 5},
		{"max-connections", required_argument, NULL, 6},
		{"timeout", required_argument, NULL, 7},
		{"max-body", required_argument, NULL, 8},
		{"max-connections-per-address", required_argument, NULL, 9},
		{"header-timeout", required_argument, NULL, 10},
		{"body-timeout", required_argument, NULL, 11},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0, 0, 0, 0},
	};
	const char *config_file = NULL;
	int c, i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->sync = COL_SYNC_FULL;
	cfg->max_connections = 512;
	cfg->max_per_address = 32;
	cfg->timeout_s = 30;
	cfg->header_timeout_s = 10;
	cfg->body_timeout_s = 60;
	cfg->max_body = 1024 * 1024;
	/* First pass: only --config, --help and --version, so that the file is
	 * read before the flags that override it. */
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'c')
			config_file = optarg;
		else if (c == 'h')
			cfg->help = 1;
		else if (c == 'V')
			cfg->version = 1;
	}
	if (cfg->help || cfg->version)
		return 0;
	if (config_file != NULL) {
		struct config_ini ci = {.cfg = cfg, .err = err};
		int line = ini_parse(config_file, config_ini_line, &ci);
		if (line < 0) {
			col_err_set(err, COL_REJ_CONFIG, "cannot read %s", config_file);
			return -1;
		}
		if (ci.failed || line > 0) {
			col_err_set(err, COL_REJ_CONFIG, "%s line %d: syntax error", config_file, line);
			return -1;
		}
	}
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, &i)) != -1) {
		if (c == '?' || c == ':') {
			col_err_set(err, COL_REJ_CONFIG, "unknown option or missing value: %s",
				    argv[optind - 1]);
			return -1;
		}
		if (c == 'c' || c == 'h' || c == 'V')
			continue;
		if (config_set(cfg, opts[i].name, optarg, err) < 0)
			return -1;
	}
	if (optind < argc) {
		col_err_set(err, COL_REJ_CONFIG, "unexpected argument %s", argv[optind]);
		return -1;
	}
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
	memset(cfg, 0, sizeof(*cfg));
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
		/* Short tokens can be guessed over the network. */
		if (n < 16) {
			col_err_set(err, COL_REJ_CONFIG, "%s: a token shorter than 16 characters",
				    path);
			goto err;
		}
		if (t->n == sizeof(t->v) / sizeof(t->v[0])) {
			col_err_set(err, COL_REJ_CONFIG, "%s: more than 16 tokens", path);
			goto err;
		}
		if ((t->v[t->n] = strdup(s)) == NULL)
			goto err;
		t->n++;
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

int col_tokens_match(const struct col_tokens *t, const char *given)
{
	size_t i;
	int ok = 0;

	if (given == NULL)
		return 0;
	for (i = 0; i < t->n; i++)
		ok |= tokens_equal(t->v[i], given);
	return ok;
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
