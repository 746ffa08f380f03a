/*
 * log.h: the one logger of the agent and its platforms. Library code calls
 * uct_log(); main() picks the sink once (stderr, syslog, the Windows Event
 * Log, a file). With no sink set, nothing is printed.
 */
#ifndef UCT_LOG_H
#define UCT_LOG_H

#include "uct_err.h" /* UCT_PRINTF_FORMAT */

enum uct_log_level { UCT_LOG_ERROR = 0, UCT_LOG_WARN, UCT_LOG_INFO, UCT_LOG_DEBUG };

typedef void (*uct_log_sink)(enum uct_log_level level, const char *msg, void *ctx);

/* Route messages at or above max_level (ERROR is highest) to sink. */
void uct_log_set_sink(uct_log_sink sink, void *ctx, enum uct_log_level max_level);
void uct_log(enum uct_log_level level, const char *fmt, ...)
	__attribute__((format(UCT_PRINTF_FORMAT, 2, 3)));
/* A ready sink writing "uccx-trust: level: msg\n" to stderr (ctx unused). */
void uct_log_stderr(enum uct_log_level level, const char *msg, void *ctx);

#endif
