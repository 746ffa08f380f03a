/*
 * probe_config.c: the [probe] section of the collector's configuration and
 * its --probe-* flags: the UCCX nodes and SocialMiner the collector fetches
 * itself, how often, whether what it sees is approved on its own, and the
 * tests' --connect-to. Every bad value names its key and the fix.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "col.h"

enum probe_key { PK_NODES, PK_SOCIALMINER, PK_INTERVAL, PK_INTERVAL_S, PK_AUTO, PK_CONNECT_TO };

/* The [probe] keys; the flags are "--probe-" and the key with '-' for '_'. */
static const char *const probe_keys[COL_PROBE_NKEYS] = {
	[PK_NODES] = "nodes",       [PK_SOCIALMINER] = "socialminer",
	[PK_INTERVAL] = "interval", [PK_INTERVAL_S] = "interval_seconds",
	[PK_AUTO] = "auto_approve", [PK_CONNECT_TO] = "connect_to",
};

/* The key named name (case, and '-' for '_', alike); -1 when none. */
static int probe_find(const char *name)
{
	size_t i, j;

	for (i = 0; i < COL_PROBE_NKEYS; i++) {
		const char *k = probe_keys[i];
		for (j = 0; k[j] != '\0' && name[j] != '\0'; j++)
			if (tolower((unsigned char)name[j]) != k[j] &&
			    !(name[j] == '-' && k[j] == '_'))
				break;
		if (k[j] == '\0' && name[j] == '\0')
			return (int)i;
	}
	/* The singular of a list reads naturally on a command line: --probe-node. */
	if (strcasecmp(name, "node") == 0)
		return PK_NODES;
	return -1;
}

static int probe_bad(const char *where, const char *value, const char *fix, struct col_err *err)
{
	col_err_set(err, COL_REJ_CONFIG, "bad value \"%.64s%s\" for %s: %s", value,
		    strlen(value) > 64 ? "..." : "", where, fix);
	return -1;
}

static int probe_number(const char *where, const char *value, unsigned long max, unsigned *out,
			const char *unit, struct col_err *err)
{
	char fix[96], *end;
	unsigned long n;

	errno = 0;
	n = strtoul(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || value[0] == '-' || n < 1 || n > max) {
		snprintf(fix, sizeof(fix), "a whole number of %s from 1 to %lu", unit, max);
		return probe_bad(where, value, fix, err);
	}
	*out = (unsigned)n;
	return 0;
}

/* A port of connect_to: 1..65535, digits only. */
static int probe_port(const char *s, size_t len)
{
	unsigned long n = 0;
	size_t i;

	if (len == 0 || len > 5)
		return 0;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
		n = n * 10 + (unsigned long)(s[i] - '0');
	}
	return n >= 1 && n <= 65535;
}

/* HOST:PORT:ADDR:PORT, ADDR possibly an [IPv6] literal. */
static int probe_connect_to_ok(const char *s)
{
	const char *p = strchr(s, ':'), *port2;
	const char *addr, *addr_end;

	if (p == NULL || p == s)
		return 0;
	addr = strchr(p + 1, ':');
	if (addr == NULL || !probe_port(p + 1, (size_t)(addr - p - 1)))
		return 0;
	addr++;
	port2 = strrchr(addr, ':');
	if (port2 == NULL || port2 == addr || !probe_port(port2 + 1, strlen(port2 + 1)))
		return 0;
	addr_end = port2;
	if (*addr == '[')
		return addr_end[-1] == ']';
	return memchr(addr, ':', (size_t)(addr_end - addr)) == NULL;
}

/* Each comma-separated item of value into list (which the caller emptied). */
static int probe_list(const char *where, const char *value, int key, struct uct_strv *list,
		      struct col_err *err)
{
	char *copy = strdup(value), *item, *save = NULL;
	int rc = -1;

	if (copy == NULL) {
		col_err_set(err, COL_REJ_CONFIG, "out of memory reading %s", where);
		return -1;
	}
	for (item = strtok_r(copy, ", \t", &save); item != NULL;
	     item = strtok_r(NULL, ", \t", &save)) {
		if (key == PK_NODES && !uct_is_fqdn(item)) {
			probe_bad(where, item,
				  "a UCCX node's fully qualified name (uccx1.example.com); "
				  "separate names with commas",
				  err);
			goto out;
		}
		if (key == PK_CONNECT_TO && !probe_connect_to_ok(item)) {
			probe_bad(where, item,
				  "HOST:PORT:ADDR:PORT, as curl's --connect-to "
				  "(uccx1.example.com:8445:127.0.0.1:8445)",
				  err);
			goto out;
		}
		if (uct_strv_push(list, item) < 0) {
			col_err_set(err, COL_REJ_CONFIG, "out of memory reading %s", where);
			goto out;
		}
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

static int probe_set(struct col_probe_config *p, int key, const char *where, const char *value,
		     struct col_err *err)
{
	switch (key) {
	case PK_NODES:
		uct_strv_clear(&p->nodes);
		return probe_list(where, value, key, &p->nodes, err);
	case PK_CONNECT_TO:
		uct_strv_clear(&p->connect_to);
		return probe_list(where, value, key, &p->connect_to, err);
	case PK_SOCIALMINER:
		if (!uct_is_fqdn(value))
			return probe_bad(where, value,
					 "SocialMiner's fully qualified name (sm.example.com)",
					 err);
		free(p->socialminer);
		if ((p->socialminer = strdup(value)) == NULL)
			return probe_bad(where, value, "out of memory", err);
		return 0;
	case PK_INTERVAL: return probe_number(where, value, 1440, &p->interval_min, "minutes", err);
	case PK_INTERVAL_S:
		return probe_number(where, value, 86400, &p->interval_s, "seconds", err);
	default:
		if (strcasecmp(value, "never") == 0)
			p->auto_approve = COL_AUTO_NEVER;
		else if (strcasecmp(value, "probe") == 0)
			p->auto_approve = COL_AUTO_PROBE;
		else
			return probe_bad(where, value, "never or probe", err);
		return 0;
	}
}

int col_probe_config_pair(struct col_probe_config *p, const char *path, int line, const char *key,
			  const char *value, struct col_err *err)
{
	int k = probe_find(key);
	struct col_err why = {0};
	char where[64];

	if (k < 0 || strcasecmp(key, "node") == 0) {
		col_err_set(err, COL_REJ_CONFIG,
			    "%s:%d: unknown setting \"%.64s\" in [probe]; the settings are nodes, "
			    "socialminer, interval, interval_seconds, auto_approve and connect_to",
			    path, line, key);
		return -1;
	}
	if (p->lines[k] != 0) {
		col_err_set(
			err, COL_REJ_CONFIG,
			"%s:%d: '%s' is set twice in [probe] (also on line %d); keep one of them",
			path, line, probe_keys[k], p->lines[k]);
		return -1;
	}
	p->lines[k] = line;
	snprintf(where, sizeof(where), "[probe] %s", probe_keys[k]);
	/* The message starts with the file and line, as the other settings' do. */
	if (probe_set(p, k, where, value, &why) < 0) {
		col_err_set(err, COL_REJ_CONFIG, "%s:%d: %s", path, line, why.msg);
		return -1;
	}
	return 0;
}

int col_probe_config_flag(struct col_probe_config *p, const char *name, const char *value,
			  struct col_err *err)
{
	int k = probe_find(name);
	char where[64];

	if (k < 0) {
		col_err_set(err, COL_REJ_CONFIG, "unknown option --probe-%s", name);
		return -1;
	}
	snprintf(where, sizeof(where), "--probe-%s", name);
	/* A list given by flags replaces the file's; flags may repeat to add. */
	if (k == PK_NODES || k == PK_CONNECT_TO) {
		struct uct_strv *list = k == PK_NODES ? &p->nodes : &p->connect_to;
		if ((p->flag_lists & (1u << k)) == 0)
			uct_strv_clear(list);
		p->flag_lists |= 1u << k;
		return probe_list(where, value, k, list, err);
	}
	p->flag_lists |= 1u << k;
	return probe_set(p, k, where, value, err);
}

int col_probe_config_check(struct col_probe_config *p, struct col_err *err)
{
	int any = 0;
	size_t i;

	for (i = 0; i < COL_PROBE_NKEYS; i++)
		any |= p->lines[i] != 0 || (p->flag_lists & (1u << i)) != 0;
	p->enabled = p->nodes.n > 0 || p->socialminer != NULL;
	if (any && !p->enabled) {
		col_err_set(err, COL_REJ_CONFIG,
			    "the probe has nothing to fetch: set nodes = uccx1.example.com,... "
			    "(or socialminer) in [probe], or --probe-node FQDN");
		return -1;
	}
	/* interval_seconds, for tests, wins over interval. */
	if (p->interval_s == 0)
		p->interval_s = (p->interval_min != 0 ? p->interval_min : 10) * 60u;
	return 0;
}

void col_probe_config_free(struct col_probe_config *p)
{
	uct_strv_clear(&p->nodes);
	uct_strv_clear(&p->connect_to);
	free(p->socialminer);
	memset(p, 0, sizeof(*p));
}
