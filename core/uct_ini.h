/*
 * uct_ini.h: the one INI dialect of uccx-trust. The agent (agent.ini, and
 * Firefox's profiles.ini) and the collector (collector.ini) read their files
 * with this reader, so a file means the same to both:
 *   - "[section]" and "key = value" lines, any length (no line limit);
 *   - ';' or '#' starts a comment at the start of a line, or inside a value
 *     after white space ("page#top" keeps its '#');
 *   - white space around keys and values is dropped, and one pair of
 *     surrounding quotes ("..." or '...') is removed from a value;
 *   - a UTF-8 byte order mark (Windows Notepad) is skipped; LF or CRLF;
 *   - every pair is handed over with its line number; what a repeated key
 *     means is the handler's to say (both programs refuse one).
 */
#ifndef UCT_INI_H
#define UCT_INI_H

#include <stddef.h>

#include "uct_err.h"

/* A configuration file is a few hundred bytes; 1 MiB is generous. */
#define UCT_INI_MAX (1024 * 1024)

/* Called for every pair; a non-zero return stops the parse and is
 * returned by it (-1 with err set by the handler, by convention). */
typedef int (*uct_ini_handler)(void *ctx, const char *section, const char *key, const char *value,
			       int line);
/* Told about each line skipped by a lenient parse (why->msg names it). */
typedef void (*uct_ini_skipped)(void *ctx, const struct uct_err *why);

/*
 * Parses the len bytes at text (modified in place; text[len] must be NUL),
 * read from the file name (for messages), calling handler with ctx. Fails
 * with UCT_E_CONFIG, the message naming "name:line" and the expected
 * syntax, on the first bad line, or on NUL bytes in the text. With skipped
 * not NULL the parse is lenient (another program's file): a bad line is
 * passed to skipped instead and the parse goes on.
 */
int uct_ini_parse_text(const char *name, char *text, size_t len, uct_ini_handler handler,
		       uct_ini_skipped skipped, void *ctx, struct uct_err *err);

#endif
