/*
 * endpoints.c: the UCCX URLs a PC must trust (the table of DESIGN.md, from
 * the seed document), filtered by role, de-duplicated and grouped by
 * host:port so that each server is contacted once. The agent derives them
 * from its configuration, the collector's probe from its [probe] section.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "uct_endpoints.h"

#define ROLE_A UCT_ROLE_AGENT
#define ROLE_S UCT_ROLE_SUPERVISOR
#define ROLE_R UCT_ROLE_REPORTING
#define ROLE_ADM UCT_ROLE_ADMIN

/* What each UCCX node serves, in the order a user meets them. */
static const struct {
	const char *name;
	int port;
	const char *path;
	unsigned roles;
} node_table[] = {
	{"appadmin", 443, "/appadmin/main", ROLE_ADM},
	/* Finesse and CUIC real-time notifications (XMPP over BOSH). */
	{"notification", 7443, "/", ROLE_A | ROLE_S | ROLE_R},
	{"finesse", 8445, "/", ROLE_A | ROLE_S | ROLE_ADM},
	{"cfadmin", 8445, "/cfadmin", ROLE_ADM},
	/* Agents too: Finesse gadgets embed CUIC reports. */
	{"cuic", 8444, "/", ROLE_A | ROLE_S | ROLE_R | ROLE_ADM},
	/* CUIC live data (socket.io), used by the live-data gadgets. */
	{"livedata", 12015, "/", ROLE_A | ROLE_S | ROLE_R},
};

/* ---- URL parsing --------------------------------------------------------- */

/* strndup and strncasecmp are POSIX; the core also builds with mingw. */
static char *eps_strndup(const char *s, size_t n)
{
	char *copy = malloc(n + 1);

	if (copy != NULL) {
		memcpy(copy, s, n);
		copy[n] = '\0';
	}
	return copy;
}

static int eps_is_https(const char *url)
{
	static const char scheme[] = "https://";
	size_t i;

	for (i = 0; scheme[i] != '\0'; i++)
		if (tolower((unsigned char)url[i]) != scheme[i])
			return 0;
	return 1;
}

/*
 * A configured host name in the one form the agent uses everywhere (the
 * handshake's SNI, certificate matching, verification, overrides, the
 * state): lower case, without the trailing root dot. Browsers match
 * "uccx1.example.com." against a certificate for "uccx1.example.com", but
 * NSS's name check does not, and RFC 6066 keeps the dot out of SNI: kept,
 * it made the agent install a certificate and then report it NOT TRUSTED.
 */
static void eps_normalise(char *host)
{
	size_t len = strlen(host), i;

	for (i = 0; i < len; i++)
		host[i] = (char)tolower((unsigned char)host[i]);
	if (len > 1 && host[len - 1] == '.')
		host[len - 1] = '\0';
}

/* Fails, saying why, unless host is an FQDN. */
static int url_check_host(const char *url, const char *host, struct uct_err *err)
{
	if (uct_is_ip_literal(host))
		return uct_err_set(err, UCT_E_CONFIG, 0,
				   "'%s': '%s' is an IP address; UCCX servers must be reached by "
				   "their FQDN (e.g. uccx1.example.com) or the certificates will "
				   "not match",
				   UCT_QUOTED(url), UCT_QUOTED(host));
	if (strchr(host, '.') == NULL)
		return uct_err_set(err, UCT_E_CONFIG, 0,
				   "'%s': '%s' is a short name; use the fully qualified name (e.g. "
				   "%s.example.com) so the certificates match",
				   UCT_QUOTED(url), UCT_QUOTED(host), UCT_QUOTED(host));
	if (!uct_is_fqdn(host))
		return uct_err_set(err, UCT_E_CONFIG, 0, "'%s': '%s' is not a valid host name",
				   UCT_QUOTED(url), UCT_QUOTED(host));
	return 0;
}

static int url_parse_port(const char *url, const char *text, size_t len, int *port,
			  struct uct_err *err)
{
	long value = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)text[i]) || value > 65535)
			break;
		value = value * 10 + (text[i] - '0');
	}
	if (len == 0 || i < len || value < 1 || value > 65535)
		return uct_err_set(err, UCT_E_CONFIG, 0,
				   "'%s': the port must be a number from 1 to 65535",
				   UCT_QUOTED(url));
	*port = (int)value;
	return 0;
}

/* The path of a URL, from the end of its authority (end): the fragment
 * never reaches the server; a bare query keeps its '/'. NULL when out of
 * memory. */
static char *url_path(const char *end)
{
	if (*end == '/')
		return eps_strndup(end, strcspn(end, "#"));
	if (*end == '?')
		return uct_asprintf("/%.*s", (int)strcspn(end, "#"), end);
	return uct_strdup("/");
}

int uct_url_parse(const char *url, char **host, int *port, char **path, struct uct_err *err)
{
	const char *auth, *end, *hend, *colon = NULL;
	char *h = NULL;

	*host = NULL;
	*path = NULL;
	*port = 443;
	if (!eps_is_https(url))
		return uct_err_set(err, UCT_E_CONFIG, 0, "only https URLs can be checked: '%s'%s",
				   UCT_QUOTED(url),
				   strstr(url, "://") ? "" : " (write it as https://host/...)");
	auth = url + 8;
	end = auth + strcspn(auth, "/?#");
	if (memchr(auth, '@', (size_t)(end - auth)) != NULL)
		return uct_err_set(err, UCT_E_CONFIG, 0,
				   "'%s' contains a user name; remove the 'user@' part",
				   UCT_QUOTED(url));
	if (*auth == '[') {
		/* An IPv6 literal: the colons inside the brackets are not a port. */
		hend = memchr(auth, ']', (size_t)(end - auth));
		if (hend == NULL)
			return uct_err_set(err, UCT_E_CONFIG, 0,
					   "'%s': missing ']' after the "
					   "IPv6 address",
					   UCT_QUOTED(url));
		hend++;
		if (hend < end && *hend != ':')
			return uct_err_set(err, UCT_E_CONFIG, 0, "'%s' is not a valid URL",
					   UCT_QUOTED(url));
		colon = hend < end ? hend : NULL;
	} else {
		colon = memchr(auth, ':', (size_t)(end - auth));
		hend = colon != NULL ? colon : end;
	}
	if (hend == auth)
		return uct_err_set(err, UCT_E_CONFIG, 0, "'%s' has no host name", UCT_QUOTED(url));
	if (colon != NULL &&
	    url_parse_port(url, colon + 1, (size_t)(end - colon - 1), port, err) < 0)
		return -1;
	h = eps_strndup(auth, (size_t)(hend - auth));
	if (h == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	eps_normalise(h);
	if (url_check_host(url, h, err) < 0)
		goto err;
	if ((*path = url_path(end)) == NULL) {
		uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
		goto err;
	}
	*host = h;
	return 0;
err:
	free(h);
	return -1;
}

/* ---- building ------------------------------------------------------------ */

static int eps_find_url(const struct uct_endpoints *eps, const char *host, int port,
			const char *path)
{
	size_t i;

	for (i = 0; i < eps->n; i++)
		if (eps->v[i].port == port && strcmp(eps->v[i].host, host) == 0 &&
		    strcmp(eps->v[i].path, path) == 0)
			return (int)i;
	return -1;
}

/* Append one endpoint unless its URL is already listed (then the roles
 * are merged: the same page serves both). */
static int eps_add(struct uct_endpoints *eps, const char *name, const char *host, int port,
		   const char *path, unsigned roles, struct uct_err *err)
{
	struct uct_endpoint *grown, *ep;
	int dup = eps_find_url(eps, host, port, path);

	if (dup >= 0) {
		eps->v[dup].roles |= roles;
		return 0;
	}
	grown = realloc(eps->v, (eps->n + 1) * sizeof(*grown));
	if (grown == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	eps->v = grown;
	ep = &eps->v[eps->n];
	memset(ep, 0, sizeof(*ep));
	ep->name = uct_strdup(name);
	ep->host = uct_strdup(host);
	ep->port = port;
	ep->path = uct_strdup(path);
	if (port == 443)
		ep->url = uct_asprintf("https://%s%s", host, path);
	else
		ep->url = uct_asprintf("https://%s:%d%s", host, port, path);
	ep->roles = roles;
	eps->n++;
	if (ep->name == NULL || ep->host == NULL || ep->path == NULL || ep->url == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	return 0;
}

static int eps_group(struct uct_endpoints *eps, struct uct_err *err)
{
	struct uct_hostport *t;
	size_t i, j;

	eps->targets = calloc(eps->n, sizeof(*eps->targets));
	if (eps->targets == NULL && eps->n > 0)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	for (i = 0; i < eps->n; i++) {
		for (j = 0; j < eps->n_targets; j++)
			if (eps->targets[j].port == eps->v[i].port &&
			    strcmp(eps->targets[j].host, eps->v[i].host) == 0)
				break;
		eps->v[i].target = j;
		if (j < eps->n_targets)
			continue;
		t = &eps->targets[eps->n_targets++];
		t->host = uct_strdup(eps->v[i].host);
		t->port = eps->v[i].port;
		t->path = uct_strdup(eps->v[i].path);
		if (t->host == NULL || t->path == NULL)
			return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	}
	return 0;
}

/* Normalised copy of a configured host name. */
static char *eps_lower(const char *s)
{
	char *copy = uct_strdup(s);

	if (copy != NULL)
		eps_normalise(copy);
	return copy;
}

static int eps_add_host(struct uct_endpoints *eps, const char *name, const char *fqdn, int port,
			const char *path, unsigned roles, unsigned wanted, struct uct_err *err)
{
	char *host;
	int rc;

	if ((roles & wanted) == 0)
		return 0;
	host = eps_lower(fqdn);
	if (host == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	rc = eps_add(eps, name, host, port, path, roles, err);
	free(host);
	return rc;
}

int uct_endpoints_derive(const struct uct_endpoint_spec *spec, struct uct_endpoints *out,
			 struct uct_err *err)
{
	unsigned wanted = spec->roles != 0 ? spec->roles : UCT_ROLE_ALL;
	char *host = NULL, *path = NULL;
	size_t i, k;
	int port;

	memset(out, 0, sizeof(*out));
	if (spec->nodes.n == 0 && spec->socialminer == NULL && spec->urls.n == 0)
		return uct_err_set(err, UCT_E_CONFIG, 0,
				   "nothing to check: give --node FQDN or set nodes = in [uccx] of "
				   "the configuration file");
	for (i = 0; i < spec->nodes.n; i++)
		for (k = 0; k < sizeof(node_table) / sizeof(node_table[0]); k++)
			if (eps_add_host(out, node_table[k].name, spec->nodes.v[i],
					 node_table[k].port, node_table[k].path,
					 node_table[k].roles, wanted, err) < 0)
				goto err;
	if (spec->socialminer != NULL &&
	    eps_add_host(out, "socialminer", spec->socialminer, 443, "/",
			 ROLE_A | ROLE_S | ROLE_ADM, wanted, err) < 0)
		goto err;
	for (i = 0; i < spec->urls.n; i++) {
		if (uct_url_parse(spec->urls.v[i], &host, &port, &path, err) < 0 ||
		    eps_add(out, "url", host, port, path, UCT_ROLE_ALL, err) < 0)
			goto err;
		free(host);
		free(path);
		host = path = NULL;
	}
	if (out->n == 0) {
		uct_err_set(err, UCT_E_CONFIG, 0,
			    "no endpoint is used by the selected roles: add a role (e.g. --role "
			    "agent) or a URL");
		goto err;
	}
	if (eps_group(out, err) < 0)
		goto err;
	return 0;
err:
	free(host);
	free(path);
	uct_endpoints_free(out);
	return -1;
}

void uct_endpoints_free(struct uct_endpoints *eps)
{
	size_t i;

	if (eps == NULL)
		return;
	for (i = 0; i < eps->n; i++) {
		free(eps->v[i].name);
		free(eps->v[i].host);
		free(eps->v[i].path);
		free(eps->v[i].url);
	}
	for (i = 0; i < eps->n_targets; i++) {
		free(eps->targets[i].host);
		free(eps->targets[i].path);
	}
	free(eps->v);
	free(eps->targets);
	memset(eps, 0, sizeof(*eps));
}
