/*
 * config_trust.c: the settings of the collector trust mode ([trust] url and
 * key_file, --trust-url and --trust-key), checked when the configuration is
 * loaded, so that a PC given a wrong key stops at once with the fix.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "platform.h"

/* A PEM public key is a few hundred bytes; anything far larger is not one. */
#define TRUST_KEY_MAX (64 * 1024)

#define PRINT_KEY_FIX                                                                            \
	"give the file that 'uccx-trust-collector --print-trust-key --signing-key FILE' prints " \
	"on the collector"

/* 1 when url starts with scheme (any case) and has something after it. */
static int trust_has_scheme(const char *url, const char *scheme)
{
	size_t n = strlen(scheme), i;

	for (i = 0; i < n; i++)
		if (tolower((unsigned char)url[i]) != scheme[i])
			return 0;
	return url[n] != '\0' && url[n] != '/';
}

int uct_cfg_set_trust_url(struct uct_config *cfg, const char *value, const char *where, int code,
			  struct uct_err *err)
{
	const char *p;

	if (*value == '\0')
		return uct_cfg_set_optional(&cfg->trust_url, value, err);
	/* The document carries its own signature, so plain http is as safe
	 * as https for its content; both are what the collector can serve. */
	if (!trust_has_scheme(value, "https://") && !trust_has_scheme(value, "http://"))
		return uct_cfg_fail(err, code, where,
				    "'%s' is not an http or https URL (e.g. "
				    "https://collector.example.com:8443/api/v1/trust)",
				    UCT_QUOTED(value));
	for (p = value; *p != '\0'; p++)
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
			return uct_cfg_fail(err, code, where,
					    "'%s' contains white space or control characters",
					    UCT_QUOTED(value));
	return uct_cfg_replace(&cfg->trust_url, value, err);
}

/* Read the key file and check that it holds a P-256 public key. */
static int trust_read_key(struct uct_config *cfg, const char *key_where, struct uct_err *err)
{
	struct uct_err why = {0};
	char *pem = NULL;
	size_t len = 0;

	if (uct_file_read(cfg->trust_key_file, TRUST_KEY_MAX, &pem, &len, &why) < 0)
		return uct_err_set(err, UCT_E_CONFIG, why.native, "%s: %s; " PRINT_KEY_FIX,
				   key_where, why.msg);
	if (strlen(pem) != len || uct_sig_check_key_p256(pem, &why) < 0) {
		free(pem);
		return uct_err_set(err, UCT_E_CONFIG, why.native,
				   "%s: the trust key '%s' is not an ECDSA P-256 public key in "
				   "PEM; " PRINT_KEY_FIX,
				   key_where, UCT_QUOTED(cfg->trust_key_file));
	}
	free(cfg->trust_key_pem);
	cfg->trust_key_pem = pem;
	return 0;
}

int uct_cfg_check_trust(struct uct_config *cfg, const char *mode_where, const char *key_where,
			struct uct_err *err)
{
	if (cfg->mode != UCT_MODE_COLLECTOR)
		return 0;
	if (cfg->trust_url == NULL)
		return uct_err_set(err, UCT_E_CONFIG, 0,
				   "%s: collector mode needs the address of the collector's trust "
				   "document: set url = in [trust] or give --trust-url (e.g. "
				   "https://collector.example.com:8443/api/v1/trust)",
				   mode_where);
	if (cfg->trust_key_file == NULL)
		return uct_err_set(err, UCT_E_CONFIG, 0,
				   "%s: collector mode needs the collector's public key: set "
				   "key_file = in [trust] or give --trust-key FILE; " PRINT_KEY_FIX,
				   mode_where);
	return trust_read_key(cfg, key_where, err);
}
