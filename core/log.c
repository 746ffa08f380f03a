/*
 * log.c: the single logger behind uct_log(). The sink is chosen once by
 * main(); without one, library code stays silent.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "uct.h"

static uct_log_sink log_sink;
static void *log_ctx;
static enum uct_log_level log_max = UCT_LOG_WARN;

void uct_log_set_sink(uct_log_sink sink, void *ctx, enum uct_log_level max_level)
{
	log_sink = sink;
	log_ctx = ctx;
	log_max = max_level;
}

void uct_log(enum uct_log_level level, const char *fmt, ...)
{
	char msg[1024], *safe, *p;
	va_list ap;

	if (log_sink == NULL || level > log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* A message may quote a name or a path from outside: one line of
	 * printable text reaches the terminal, the journal or the Event Log. */
	safe = uct_text_escape(msg);
	if (safe == NULL)
		for (p = msg; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
				*p = '?';
	log_sink(level, safe != NULL ? safe : msg, log_ctx);
	free(safe);
}

void uct_log_stderr(enum uct_log_level level, const char *msg, void *ctx)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};

	(void)ctx;
	fprintf(stderr, "uccx-trust: %s: %s\n", names[level], msg);
}
