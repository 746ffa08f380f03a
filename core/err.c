/*
 * err.c: setting, clearing and naming errors (uct_err.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "uct_err.h"

int uct_err_set(struct uct_err *err, int code, long native, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err->code != UCT_E_NONE)
		return -1;
	err->code = code;
	err->native = native;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void uct_err_clear(struct uct_err *err)
{
	if (err != NULL)
		memset(err, 0, sizeof(*err));
}

const char *uct_err_name(int code)
{
	static const char *const names[] = {
		[UCT_E_NONE] = "none",     [UCT_E_USAGE] = "usage", [UCT_E_CONFIG] = "config",
		[UCT_E_SYSTEM] = "system", [UCT_E_NOMEM] = "nomem", [UCT_E_IO] = "io",
		[UCT_E_PARSE] = "parse",   [UCT_E_NSS] = "nss",     [UCT_E_NET] = "net",
		[UCT_E_LOCKED] = "locked", [UCT_E_LOGIN] = "login", [UCT_E_CRYPTO] = "crypto",
	};
	if (code < 0 || (size_t)code >= sizeof(names) / sizeof(names[0]) || names[code] == NULL)
		return "unknown";
	return names[code];
}
