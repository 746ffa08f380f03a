/*
 * config_values.c: checking and explaining single configuration values
 * (host names, numbers, booleans, --connect-to), "did you mean", and the
 * --help text: everything an administrator reads about the configuration.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

/* ---- small helpers (portable: no strcasecmp, strndup) ------------------- */

int uct_cfg_ieq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
	return *a == *b;
}

/* Format the message and prefix it with where the value came from. */
int uct_cfg_fail(struct uct_err *err, int code, const char *where, const char *fmt, ...)
{
	char msg[sizeof(err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return uct_err_set(err, code, 0, "%s: %s", where, msg);
}

int uct_cfg_nomem(struct uct_err *err)
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
const char *uct_cfg_suggest(const char *word, const char *const *names, size_t n)
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
int uct_cfg_check_host(const char *item, const char *where, int code, struct uct_err *err)
{
	if (strstr(item, "://") != NULL)
		return uct_cfg_fail(
			err, code, where,
			"'%s' is a URL; give the host name only (e.g. uccx1.example.com), "
			"or list the URL in urls = / --url",
			UCT_QUOTED(item));
	if (uct_is_ip_literal(item))
		return uct_cfg_fail(
			err, code, where,
			"'%s' is an IP address; UCCX servers must be reached by their FQDN "
			"(e.g. uccx1.example.com) or the certificates will not match",
			UCT_QUOTED(item));
	if (strchr(item, ':') != NULL)
		return uct_cfg_fail(
			err, code, where,
			"'%s' has a port; give the host name only (the UCCX ports are known)",
			UCT_QUOTED(item));
	if (strchr(item, ' ') != NULL || strchr(item, '\t') != NULL)
		return uct_cfg_fail(err, code, where,
				    "'%s' is not one host name; separate names with commas",
				    UCT_QUOTED(item));
	if (strchr(item, '.') == NULL)
		return uct_cfg_fail(err, code, where,
				    "'%s' is a short name; use the fully qualified name (e.g. "
				    "%s.example.com) so the certificates match",
				    UCT_QUOTED(item), UCT_QUOTED(item));
	if (!uct_is_fqdn(item))
		return uct_cfg_fail(err, code, where, "'%s' is not a valid host name",
				    UCT_QUOTED(item));
	return 0;
}

char *uct_cfg_lower(const char *s)
{
	char *copy = uct_strdup(s), *p;

	for (p = copy; p != NULL && *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return copy;
}

int uct_cfg_seconds(const char *item, long *ms, const char *where, int code, struct uct_err *err)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(item, &end);
	if (end == item || *end != '\0' || errno != 0 || v != v)
		return uct_cfg_fail(err, code, where,
				    "'%s' is not a number of seconds (e.g. 5 or 2.5)",
				    UCT_QUOTED(item));
	if (v < 0.001 || v > 3600)
		return uct_cfg_fail(err, code, where,
				    "%s seconds is out of range: use more than 0 and at most 3600",
				    UCT_QUOTED(item));
	*ms = (long)(v * 1000 + 0.5);
	return 0;
}

int uct_cfg_bool(const char *item, int *out, const char *where, int code, struct uct_err *err)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	size_t i;

	for (i = 0; i < 4; i++) {
		if (uct_cfg_ieq(item, yes[i])) {
			*out = 1;
			return 0;
		}
		if (uct_cfg_ieq(item, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return uct_cfg_fail(err, code, where, "'%s' is not yes or no", UCT_QUOTED(item));
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
int uct_cfg_check_connect_to(const char *item, const char *where, int code, struct uct_err *err)
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
	return uct_cfg_fail(err, code, where,
			    "'%s' is not HOST:PORT:CONNECT-HOST:CONNECT-PORT (e.g. "
			    "uccx1.example.com:8445:127.0.0.1:8445)",
			    UCT_QUOTED(item));
}

/*
 * The --help text, one macro a section (each ends with its blank line), put
 * together at compile time into one static string.
 */
#define USAGE_SYNOPSIS                          \
	"Usage: uccx-trust COMMAND [OPTIONS]\n" \
	"\n"

#define USAGE_INTRO                                                                        \
	"Makes the certificates of a Cisco UCCX deployment (Finesse, CUIC, live data,\n"   \
	"SocialMiner chat, the admin pages) trusted by the browsers of this PC, so they\n" \
	"open without certificate warnings.\n"                                             \
	"\n"

#define USAGE_COMMANDS                                                                    \
	"Commands:\n"                                                                     \
	"  check     Fetch each server's certificate and report what install would do.\n" \
	"            Changes nothing; the exit code tells a deployment tool whether\n"    \
	"            install has work to do.\n"                                           \
	"  install   Check, then add the approved certificates to the browsers' stores\n" \
	"            (Chromium/Chrome ~/.pki/nssdb, every Firefox profile and its\n"      \
	"            exception list) and verify as the browsers would.\n"                 \
	"  remove    Take out exactly what uccx-trust installed, nothing else.\n"         \
	"  status    Show what uccx-trust installed and when (no network).\n"             \
	"  doctor    Check, then explain per endpoint what is wrong (on this PC or on\n"  \
	"            the server) and the next step; --bundle FILE also writes a\n"        \
	"            support bundle (one text file) for the helpdesk.\n"                  \
	"\n"

#define USAGE_EXIT_CODES                                                   \
	"Exit codes:\n"                                                    \
	"  0  every endpoint is trusted (check: nothing to do)\n"          \
	"  1  some endpoint is not trusted or could not be reached\n"      \
	"  2  usage or configuration error\n"                              \
	"  3  system error (disk, permissions, another run in progress)\n" \
	"\n"

#define USAGE_SERVERS                                                                     \
	"Servers:\n"                                                                      \
	"  --node FQDN           a UCCX node (publisher, subscriber); repeatable.\n"      \
	"                        Always the fully qualified name, never an IP address\n"  \
	"  --socialminer FQDN    the SocialMiner / chat server\n"                         \
	"  --url URL             any other https URL to trust; repeatable\n"              \
	"  --role ROLE           agent, supervisor, reporting, admin or all (default:\n"  \
	"                        all); repeatable or comma-separated; selects the URLs\n" \
	"\n"

#define USAGE_TRUST                                                                        \
	"Trust:\n"                                                                         \
	"  --trust MODE          tofu (default): trust what a server presents the first\n" \
	"                        time, report any later change. pinned: trust only\n"      \
	"                        certificates whose SHA-256 is given with --pin\n"         \
	"                        collector: trust what the collector's signed trust\n"     \
	"                        document approves\n"                                      \
	"  --pin SHA256          an approved certificate fingerprint (colons and case\n"   \
	"                        optional); repeatable\n"                                  \
	"  --ca-file FILE        an approved CA certificate (PEM); repeatable\n"           \
	"  --accept-change       accept a certificate that changed since last run\n"       \
	"\n"

#define USAGE_STORES                                                                       \
	"Stores:\n"                                                                        \
	"  --browser NAME        chromium, firefox or system (default: every browser\n"    \
	"                        found); repeatable\n"                                     \
	"  --nss-db DIR          manage only this NSS database; repeatable\n"              \
	"  --home DIR            the home directory whose browsers are managed\n"          \
	"                        (default: $HOME); its state is kept with it\n"            \
	"  --scope user|machine  user: this user's browsers. machine (root only): the\n"   \
	"                        system anchors, Firefox's policies.json and\n"            \
	"                        /etc/pki/nssdb, never a home. Default: machine when\n"    \
	"                        run as root without --home or --nss-db, else user\n"      \
	"  --state-dir DIR       where the run lock and the record of installed\n"         \
	"                        certificates live (default: ~/.local/state/uccx-trust;\n" \
	"                        with --home, DIR/.local/state/uccx-trust; as root\n"      \
	"                        without --home, /var/lib/uccx-trust)\n"                   \
	"  --recheck             verify in every NSS database again. Otherwise a\n"        \
	"                        database unchanged since the last run (byte for\n"        \
	"                        byte, for at most 24 hours) is not opened: its\n"         \
	"                        answers from then are used\n"                             \
	"\n"

#define USAGE_NETWORK                                                                    \
	"Network:\n"                                                                     \
	"  --connect-timeout S   seconds to wait for a connection (default 5; 2.5 ok)\n" \
	"  --timeout S           seconds for a whole handshake (default 15)\n"           \
	"  --proxy URL           proxy to use (default: the environment's; 'direct'\n"   \
	"                        for none)\n"                                            \
	"  --connect-to H:P:CH:CP  connect to CH:CP when H:P is asked for (curl's\n"     \
	"                        syntax; for labs and tests); repeatable\n"              \
	"\n"

#define USAGE_OUTPUT                                                           \
	"Output:\n"                                                            \
	"  --json                machine-readable result on standard output\n" \
	"  -q, --quiet           only errors\n"                                \
	"  -v, --verbose         explain each step\n"                          \
	"  -h, --help            this text\n"                                  \
	"  -V, --version         the version\n"                                \
	"\n"

#define USAGE_REPORTING                                                          \
	"Reporting (each run is spooled, then sent to the central collector):\n" \
	"  --report-url URL  --report-token-file FILE  --report-ca FILE\n"       \
	"  --report-pin sha256//BASE64  accept only this collector public key\n" \
	"  status --report       send the installed state as a report and\n"     \
	"                        deliver the reports still waiting\n"            \
	"\n"

#define USAGE_CONFIGURATION                                                             \
	"Configuration:\n"                                                              \
	"  --config FILE         read FILE (default: $UCCX_TRUST_CONFIG, else\n"        \
	"                        /etc/uccx-trust/agent.ini when it exists). Flags\n"    \
	"                        override the file; a list flag (--node, --pin, ...)\n" \
	"                        replaces the file's list. See examples/agent.ini.\n"   \
	"  UCCX_TRUST_LOCK_WAIT  seconds install/remove wait for another run\n"         \
	"                        (default 60), then exit 3\n"                           \
	"\n"

#define USAGE_EXAMPLES                                                         \
	"Examples:\n"                                                          \
	"  Login script (each user, settings in /etc/uccx-trust/agent.ini):\n" \
	"    uccx-trust install --quiet\n"                                     \
	"  Package manager or SCCM (as root/SYSTEM, pinned certificates):\n"   \
	"    uccx-trust install --trust pinned --pin AA:BB:...:FF \\\n"        \
	"      --node uccx1.example.com --node uccx2.example.com\n"            \
	"  Helpdesk, on the phone with an agent:\n"                            \
	"    uccx-trust check --node uccx1.example.com --role agent\n"         \
	"  Lab, servers on this PC:\n"                                         \
	"    uccx-trust check --node uccx1.example.com \\\n"                   \
	"      --connect-to uccx1.example.com:8445:127.0.0.1:8445\n"

static const char usage_text[] = USAGE_SYNOPSIS USAGE_INTRO USAGE_COMMANDS USAGE_EXIT_CODES
	USAGE_SERVERS USAGE_TRUST USAGE_STORES USAGE_NETWORK USAGE_OUTPUT USAGE_REPORTING
		USAGE_CONFIGURATION USAGE_EXAMPLES;

const char *uct_config_usage(void)
{
	return usage_text;
}
