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
int uct_cfg_seconds(const char *item, long *ms, const char *where, int code,
		    struct uct_err *err);
/* yes/no, true/false, on/off, 1/0. */
int uct_cfg_bool(const char *item, int *out, const char *where, int code, struct uct_err *err);
/* curl's HOST:PORT:CONNECT-HOST:CONNECT-PORT; any part may be empty. */
int uct_cfg_check_connect_to(const char *item, const char *where, int code,
			     struct uct_err *err);

#endif
