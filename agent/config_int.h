/*
 * config_int.h: helpers shared by config.c (loading) and config_values.c
 * (checking single values); not part of the agent's interface.
 */
#ifndef UCT_CONFIG_INT_H
#define UCT_CONFIG_INT_H

#include <stddef.h>

#include "config.h"

/* Case-insensitive equality (portable: no strcasecmp). */
int uct_cfg_ieq(const char *a, const char *b);
/* Set err to "WHERE: message" with code; returns -1. */
int uct_cfg_fail(struct uct_err *err, int code, const char *where, const char *fmt, ...)
	__attribute__((format(UCT_PRINTF_FORMAT, 4, 5)));
/* Set err to UCT_E_NOMEM; returns -1. */
int uct_cfg_nomem(struct uct_err *err);
/* The name in names[0..n) closest to word (edit distance <= 2), or NULL;
 * empty names are skipped. Borrowed from names. */
const char *uct_cfg_suggest(const char *word, const char *const *names, size_t n);
/* A lower-cased copy (caller frees), NULL on allocation failure. */
char *uct_cfg_lower(const char *s);

/* Each check fails with err = "WHERE: what is wrong; the fix" and code. */
int uct_cfg_check_host(const char *item, const char *where, int code, struct uct_err *err);
/* Seconds ("5", "2.5"; more than 0, at most 3600) into milliseconds. */
int uct_cfg_seconds(const char *item, long *ms, const char *where, int code, struct uct_err *err);
/* yes/no, true/false, on/off, 1/0. */
int uct_cfg_bool(const char *item, int *out, const char *where, int code, struct uct_err *err);
/* curl's HOST:PORT:CONNECT-HOST:CONNECT-PORT; any part may be empty. */
int uct_cfg_check_connect_to(const char *item, const char *where, int code, struct uct_err *err);

/* ---- setters shared by the file and the flags (config_set.c) ----
 * Each returns 0, or -1 with err = "WHERE: what is wrong; the fix" and code
 * (UCT_E_NOMEM when memory runs out). Lists append (once each). */
int uct_cfg_replace(char **slot, const char *value, struct uct_err *err);
/* An optional string: empty means "not set". */
int uct_cfg_set_optional(char **slot, const char *value, struct uct_err *err);
/* A host name that may be cleared with an empty value, lower-cased. */
int uct_cfg_set_host_scalar(char **slot, const char *value, const char *where, int code,
			    struct uct_err *err);
int uct_cfg_push_path(struct uct_strv *sv, const char *item, const char *what, const char *where,
		      int code, struct uct_err *err);
int uct_cfg_set_role(struct uct_config *cfg, const char *item, const char *where, int code,
		     struct uct_err *err);
int uct_cfg_set_browser(struct uct_config *cfg, const char *item, const char *where, int code,
			struct uct_err *err);
int uct_cfg_set_node(struct uct_config *cfg, const char *item, const char *where, int code,
		     struct uct_err *err);
int uct_cfg_set_url(struct uct_config *cfg, const char *item, const char *where, int code,
		    struct uct_err *err);
int uct_cfg_set_pin(struct uct_config *cfg, const char *item, const char *where, int code,
		    struct uct_err *err);
int uct_cfg_set_mode(struct uct_config *cfg, const char *value, const char *where, int code,
		     struct uct_err *err);
/* "direct" or "none": no proxy at all; empty: the environment's. */
int uct_cfg_set_proxy(struct uct_config *cfg, const char *value, struct uct_err *err);
int uct_cfg_set_scope(struct uct_config *cfg, const char *value, const char *where, int code,
		      struct uct_err *err);
/* [report] pin: "sha256//" and a base64 SHA-256, several joined by ';'. */
int uct_cfg_check_key_pin(const char *v, const char *where, int code, struct uct_err *err);

/* ---- collector trust mode (config_trust.c) ---- */
/* [trust] url / --trust-url: an http or https URL; empty: not set. */
int uct_cfg_set_trust_url(struct uct_config *cfg, const char *value, const char *where, int code,
			  struct uct_err *err);
/* In collector mode: a URL and a key file are given, and the key file
 * holds an ECDSA P-256 public key in PEM, read into cfg->trust_key_pem.
 * mode_where and key_where say where the mode and the key were set. Fails
 * with UCT_E_CONFIG naming the key and the fix; 0 in the other modes. */
int uct_cfg_check_trust(struct uct_config *cfg, const char *mode_where, const char *key_where,
			struct uct_err *err);

#endif
