/*
 * config_set.c: setting one value of the configuration, the same way from
 * the file and from a flag: each checks the value and says, on failure,
 * where it came from, what is wrong and how to fix it.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "endpoints.h"
#include "platform.h"

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

int uct_cfg_replace(char **slot, const char *value, struct uct_err *err)
{
	char *copy = uct_strdup(value);

	if (copy == NULL)
		return uct_cfg_nomem(err);
	free(*slot);
	*slot = copy;
	return 0;
}

/* A word a setting accepts (any case) and what it stands for. */
struct cfg_word {
	const char *word;
	unsigned value;
};

/* The value of item in words[0..n), or -1 with err = "WHERE: unknown KIND
 * 'ITEM' (CHOICES)" when it is none of them. */
static long cfg_word(const char *item, const struct cfg_word *words, size_t n, const char *kind,
		     const char *choices, const char *where, int code, struct uct_err *err)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (uct_cfg_ieq(item, words[i].word))
			return (long)words[i].value;
	return uct_cfg_fail(err, code, where, "unknown %s '%s' (%s)", kind, UCT_QUOTED(item),
			    choices);
}

#define N_WORDS(words) (sizeof(words) / sizeof(words[0]))

/* Add item's bit (looked up in words, as cfg_word) to *mask. */
static int cfg_add_word(unsigned *mask, const char *item, const struct cfg_word *words, size_t n,
			const char *kind, const char *choices, const char *where, int code,
			struct uct_err *err)
{
	long bit = cfg_word(item, words, n, kind, choices, where, code, err);

	if (bit < 0)
		return -1;
	*mask |= (unsigned)bit;
	return 0;
}

int uct_cfg_set_role(struct uct_config *cfg, const char *item, const char *where, int code,
		     struct uct_err *err)
{
	static const struct cfg_word roles[] = {
		{"agent", UCT_ROLE_AGENT},
		{"supervisor", UCT_ROLE_SUPERVISOR},
		{"reporting", UCT_ROLE_REPORTING},
		{"admin", UCT_ROLE_ADMIN},
		{"all", UCT_ROLE_ALL},
	};
	return cfg_add_word(&cfg->roles, item, roles, N_WORDS(roles), "role",
			    "roles: agent, supervisor, reporting, admin, all", where, code, err);
}

int uct_cfg_set_browser(struct uct_config *cfg, const char *item, const char *where, int code,
			struct uct_err *err)
{
	/* Chrome keeps its trust in the same ~/.pki/nssdb as Chromium. */
	static const struct cfg_word browsers[] = {
		{"chromium", UCT_BROWSER_CHROMIUM},
		{"chrome", UCT_BROWSER_CHROMIUM},
		{"firefox", UCT_BROWSER_FIREFOX},
		{"system", UCT_BROWSER_SYSTEM},
	};
	return cfg_add_word(&cfg->browsers, item, browsers, N_WORDS(browsers), "browser",
			    "browsers: chromium, firefox, system", where, code, err);
}

int uct_cfg_set_node(struct uct_config *cfg, const char *item, const char *where, int code,
		     struct uct_err *err)
{
	char *host, *warning;

	if (uct_cfg_check_host(item, where, code, err) < 0)
		return -1;
	host = uct_cfg_lower(item);
	if (host == NULL)
		return uct_cfg_nomem(err);
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
		return uct_cfg_nomem(err);
	}
	free(host);
	return 0;
}

int uct_cfg_set_url(struct uct_config *cfg, const char *item, const char *where, int code,
		    struct uct_err *err)
{
	struct uct_err why = {0};
	char *host = NULL, *path = NULL;
	int port;

	if (uct_url_parse(item, &host, &port, &path, &why) < 0)
		return uct_cfg_fail(err, why.code == UCT_E_NOMEM ? UCT_E_NOMEM : code, where, "%s",
				    why.msg);
	free(host);
	free(path);
	if (!uct_strv_contains(&cfg->urls, item) && uct_strv_push(&cfg->urls, item) < 0)
		return uct_cfg_nomem(err);
	return 0;
}

int uct_cfg_set_pin(struct uct_config *cfg, const char *item, const char *where, int code,
		    struct uct_err *err)
{
	unsigned char fp[UCT_SHA256_LEN];

	if (uct_fp_parse(item, fp) < 0)
		return uct_cfg_fail(
			err, code, where,
			"'%s' is not a SHA-256 fingerprint (64 hex digits, colons optional; "
			"get it with: openssl x509 -noout -fingerprint -sha256 -in "
			"cert.pem)",
			UCT_QUOTED(item));
	if (cfg_push_pin(cfg, fp) < 0)
		return uct_cfg_nomem(err);
	return 0;
}

int uct_cfg_push_path(struct uct_strv *sv, const char *item, const char *what, const char *where,
		      int code, struct uct_err *err)
{
	if (*item == '\0')
		return uct_cfg_fail(err, code, where, "the %s is empty", what);
	if (uct_strv_push(sv, item) < 0)
		return uct_cfg_nomem(err);
	return 0;
}

int uct_cfg_set_host_scalar(char **slot, const char *value, const char *where, int code,
			    struct uct_err *err)
{
	char *host;

	if (*value == '\0') {
		free(*slot);
		*slot = NULL;
		return 0;
	}
	if (uct_cfg_check_host(value, where, code, err) < 0)
		return -1;
	host = uct_cfg_lower(value);
	if (host == NULL)
		return uct_cfg_nomem(err);
	free(*slot);
	*slot = host;
	return 0;
}

/* An optional string: empty means "not set". */
int uct_cfg_set_optional(char **slot, const char *value, struct uct_err *err)
{
	if (*value == '\0') {
		free(*slot);
		*slot = NULL;
		return 0;
	}
	return uct_cfg_replace(slot, value, err);
}

int uct_cfg_set_mode(struct uct_config *cfg, const char *value, const char *where, int code,
		     struct uct_err *err)
{
	static const struct cfg_word modes[] = {
		{"tofu", UCT_MODE_TOFU},
		{"pinned", UCT_MODE_PINNED},
		{"collector", UCT_MODE_COLLECTOR},
	};
	long mode = cfg_word(value, modes, N_WORDS(modes), "trust mode",
			     "modes: tofu, pinned, collector", where, code, err);

	if (mode < 0)
		return -1;
	cfg->mode = (enum uct_mode)mode;
	return 0;
}

int uct_cfg_set_proxy(struct uct_config *cfg, const char *value, struct uct_err *err)
{
	/* libcurl reads an empty proxy string as "no proxy at all", which is
	 * what "direct" means; an empty setting keeps the environment's. */
	if (uct_cfg_ieq(value, "direct") || uct_cfg_ieq(value, "none"))
		return uct_cfg_replace(&cfg->proxy, "", err);
	return uct_cfg_set_optional(&cfg->proxy, value, err);
}

int uct_cfg_set_scope(struct uct_config *cfg, const char *value, const char *where, int code,
		      struct uct_err *err)
{
	static const struct cfg_word scopes[] = {
		{"user", UCT_SCOPE_USER},
		{"machine", UCT_SCOPE_MACHINE},
		{"auto", UCT_SCOPE_AUTO},
	};
	long scope = cfg_word(value, scopes, N_WORDS(scopes), "scope",
			      "scopes: user, machine, auto", where, code, err);

	if (scope < 0)
		return -1;
	cfg->scope = (enum uct_scope)scope;
	return 0;
}

/* [report] pin: what libcurl's CURLOPT_PINNEDPUBLICKEY takes as hashes,
 * "sha256//" and the base64 SHA-256 of the collector's public key (SPKI),
 * several separated by ';' for a key rollover. Checked here so that a typo
 * is a configuration error, not a report that silently never leaves. */
int uct_cfg_check_key_pin(const char *v, const char *where, int code, struct uct_err *err)
{
	const char *p = v, *end;
	size_t n, i;

	for (;;) {
		end = strchr(p, ';');
		n = end != NULL ? (size_t)(end - p) : strlen(p);
		if (n != 8 + 44 || strncmp(p, "sha256//", 8) != 0 || p[8 + 43] != '=')
			goto bad;
		for (i = 8; i < 8 + 43; i++)
			if (!isalnum((unsigned char)p[i]) && p[i] != '+' && p[i] != '/')
				goto bad;
		if (end == NULL)
			return 0;
		p = end + 1;
	}
bad:
	return uct_cfg_fail(err, code, where,
			    "'%s' is not a public key pin: write sha256// and the base64 SHA-256 "
			    "of the collector's public key (44 characters, see the manual page)",
			    UCT_QUOTED(v));
}
