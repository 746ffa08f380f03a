/*
 * config.h: the agent's configuration: an INI file (see
 * examples/agent.ini) overridden by command-line flags.
 */
#ifndef UCT_CONFIG_H
#define UCT_CONFIG_H

#include "uct.h"
#include "uct_endpoints.h"

enum uct_command {
	UCT_CMD_NONE = 0,
	UCT_CMD_CHECK,
	UCT_CMD_INSTALL,
	UCT_CMD_REMOVE,
	UCT_CMD_STATUS,
	UCT_CMD_DOCTOR, /* check, explained for the helpdesk (doctor.c) */
};

/* Whose stores a run manages (see uct_config_load for the automatic rule). */
enum uct_scope { UCT_SCOPE_AUTO = 0, UCT_SCOPE_USER, UCT_SCOPE_MACHINE };

/* collector: trust what the collector's signed trust document approves
 * (agent/trustsrc.h fetches and checks it). */
enum uct_mode { UCT_MODE_TOFU = 0, UCT_MODE_PINNED, UCT_MODE_COLLECTOR };

/* Roles (UCT_ROLE_*) select endpoints: core/uct_endpoints.h. */

struct uct_config {
	enum uct_command command;
	char *config_path;     /* file read, NULL when none */
	struct uct_strv nodes; /* UCCX node FQDNs */
	char *socialminer;     /* FQDN or NULL */
	struct uct_strv urls;  /* extra https URLs */
	unsigned roles;        /* UCT_ROLE_* mask, default all */
	enum uct_mode mode;
	unsigned char (*pins)[UCT_SHA256_LEN];
	size_t n_pins;
	struct uct_strv ca_files; /* approved CA certificate files */
	struct uct_strv nss_dbs;  /* explicit NSS databases (only these) */
	unsigned browsers;        /* enum uct_browser mask; 0 = all found */
	long connect_timeout_ms;  /* default 5000 */
	long total_timeout_ms;    /* default 15000 */
	struct uct_strv connect_to;
	char *proxy; /* NULL: libcurl's environment */
	int accept_change;
	/* [trust] mode = collector: where the signed trust document is and the
	 * collector's public key (PEM) it must be signed with. trust_key_pem is
	 * the key file's text, read and checked by uct_config_load in that mode
	 * (NULL otherwise). */
	char *trust_url;
	char *trust_key_file;
	char *trust_key_pem;
	int recheck;           /* --recheck: verify every database again (no cache) */
	char *state_dir;       /* NULL: platform default */
	char *home;            /* NULL: $HOME (where user stores are found) */
	enum uct_scope scope;  /* resolved by uct_config_load: USER or MACHINE */
	int keep_on_uninstall; /* [agent] keep_on_uninstall: read by the package's scripts */
	char *bundle_path;     /* doctor --bundle FILE: the support bundle to write */
	int json, quiet, verbose;
	int help, version;
	/* [report]: the collector (agent/send.c) */
	char *report_url;
	char *report_token_file;
	char *report_ca;
	char *report_pin;  /* "sha256//BASE64[;sha256//...]": the collector's key */
	int status_report; /* status --report: send the state as a report */
	/* Warnings found while loading (e.g. a short name where an FQDN
	 * belongs, when not fatal); printed by main. */
	struct uct_strv warnings;
};

/* Defaults, before any file or flag. */
void uct_config_init(struct uct_config *cfg);
/*
 * Read argv (argv[0] is the program): the command, --config FILE (or
 * UCCX_TRUST_CONFIG, or /etc/uccx-trust/agent.ini when it exists), then the
 * flags over the file. A flag given on the command line replaces the file's
 * value; for lists (--node, --url, --pin, ...) the flags replace the file's
 * list. On failure err->code is UCT_E_USAGE or UCT_E_CONFIG and err->msg
 * names the file, line, problem and fix.
 *
 * The scope: --scope (or [agent] scope) user or machine; when neither is
 * given, machine scope exactly when running as root with no --home and no
 * --nss-db (the package's timer and scripts), user scope otherwise.
 */
int uct_config_load(struct uct_config *cfg, int argc, char **argv, struct uct_err *err);
void uct_config_free(struct uct_config *cfg); /* NULL-safe, leaves cfg re-initialisable */
/* The --help text (static). */
const char *uct_config_usage(void);

/* The state directory a run of cfg uses: --state-dir, else the --home's,
 * else the default. malloc'd, the caller's; NULL when out of memory. */
char *uct_config_state_dir(const struct uct_config *cfg);

#endif
