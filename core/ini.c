/*
 * ini.c: the INI reader of uct_ini.h, on text already in memory: each
 * program reads its file its own way (the agent through its platform, so
 * that a Windows path in UTF-8 works; the collector with stdio).
 */
#include <ctype.h>
#include <string.h>

#include "uct_ini.h"

/*
 * Our own reader rather than inih: the distribution's inih (r55) reads lines
 * into a 200-byte buffer and silently turns the rest of a longer line into a
 * bogus "key = value" pair, and a list of URLs or pins is often longer than
 * that. It also reports no line number to the handler.
 */
static char *ini_trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* Cut an inline comment: ';' or '#' at the start or after white space, so
 * a URL fragment ("page#top") survives. */
static void ini_cut_comment(char *s)
{
	char *p;

	for (p = s; *p != '\0'; p++) {
		if ((*p == ';' || *p == '#') && (p == s || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			return;
		}
	}
}

static int ini_syntax_error(const char *path, int line, struct uct_err *err)
{
	return uct_err_set(err, UCT_E_CONFIG, line,
			   "%s:%d: syntax error: expected 'key = value' or '[section]'", path,
			   line);
}

/* Parse one line (modified in place). Returns 0 to go on, the handler's
 * non-zero value to stop, or -1 with err set on a syntax error. */
static int ini_line(const char *path, char *text, int line, char *section, size_t section_size,
		    uct_ini_handler handler, void *ctx, struct uct_err *err)
{
	char *s, *eq, *key, *value, *close;
	size_t vlen;

	s = ini_trim(text);
	if (*s == '\0' || *s == ';' || *s == '#')
		return 0;
	if (*s == '[') {
		ini_cut_comment(s);
		s = ini_trim(s);
		close = strchr(s, ']');
		if (close == NULL || close[1] != '\0')
			return ini_syntax_error(path, line, err);
		*close = '\0';
		s = ini_trim(s + 1);
		if (*s == '\0' || strlen(s) >= section_size)
			return ini_syntax_error(path, line, err);
		memcpy(section, s, strlen(s) + 1);
		return 0;
	}
	eq = strchr(s, '=');
	if (eq == NULL)
		return ini_syntax_error(path, line, err);
	*eq = '\0';
	key = ini_trim(s);
	value = eq + 1;
	ini_cut_comment(value);
	value = ini_trim(value);
	if (*key == '\0')
		return ini_syntax_error(path, line, err);
	/* Allow one pair of surrounding quotes, as many INI dialects do. */
	vlen = strlen(value);
	if (vlen >= 2 && (value[0] == '"' || value[0] == '\'') && value[vlen - 1] == value[0]) {
		value[vlen - 1] = '\0';
		value++;
	}
	return handler(ctx, section, key, value, line);
}

int uct_ini_parse_text(const char *name, char *text, size_t len, uct_ini_handler handler,
		       uct_ini_skipped skipped, void *ctx, struct uct_err *err)
{
	char section[128] = "";
	char *p = text, *nl;
	int line = 0, rc = 0;

	if (strlen(text) != len)
		return uct_err_set(err, UCT_E_CONFIG, 0,
				   "%s: not a text file (it contains NUL bytes)", name);
	/* A file saved by Windows Notepad starts with a UTF-8 byte order mark. */
	if (strncmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	for (; *p != '\0' && rc == 0; p = nl) {
		line++;
		nl = strchr(p, '\n');
		if (nl != NULL)
			*nl++ = '\0';
		else
			nl = p + strlen(p);
		rc = ini_line(name, p, line, section, sizeof(section), handler, ctx, err);
		if (rc != 0 && skipped != NULL && err != NULL && err->code == UCT_E_CONFIG) {
			/* Another program's file: skip what does not parse. */
			skipped(ctx, err);
			uct_err_clear(err);
			rc = 0;
		}
	}
	return rc;
}
