/*
 * ini.c: uct_ini_parse of platform.h, shared by every platform: the file
 * is read with uct_file_read(), which each platform provides, and parsed by
 * the reader of core/ (uct_ini.h), the collector's too.
 */
#include <stdlib.h>

#include "log.h"
#include "platform.h"

static void ini_log_skipped(void *ctx, const struct uct_err *why)
{
	(void)ctx;
	uct_log(UCT_LOG_WARN, "%s (line skipped)", why->msg);
}

static int ini_parse_file(const char *path, uct_ini_handler handler, void *ctx,
			  uct_ini_skipped skipped, struct uct_err *err)
{
	char *buf = NULL;
	size_t len;
	int rc;

	if (uct_file_read(path, UCT_INI_MAX, &buf, &len, err) < 0)
		return -1;
	rc = uct_ini_parse_text(path, buf, len, handler, skipped, ctx, err);
	free(buf);
	return rc;
}

int uct_ini_parse(const char *path, uct_ini_handler handler, void *ctx, struct uct_err *err)
{
	return ini_parse_file(path, handler, ctx, NULL, err);
}

int uct_ini_parse_lenient(const char *path, uct_ini_handler handler, void *ctx, struct uct_err *err)
{
	return ini_parse_file(path, handler, ctx, ini_log_skipped, err);
}
