/*
 * fuzz_ini.c: libFuzzer target for the INI reader of platform/common/ini.c,
 * strict (the agent's own configuration) and lenient (files another
 * program writes), on a real file holding the input.
 */
#include <ctype.h>
#include <string.h>

#include "fuzz_util.h"
#include "platform.h"

struct ini_seen {
	int last_line;
	int pairs;
};

static int ini_trimmed(const char *s)
{
	size_t n = strlen(s);

	return n == 0 || (!isspace((unsigned char)s[0]) && !isspace((unsigned char)s[n - 1]));
}

/* What every handler may rely on, whatever the file holds. */
static int ini_handler(void *ctx, const char *section, const char *key, const char *value, int line)
{
	struct ini_seen *seen = ctx;

	UCT_FUZZ_CHECK(section != NULL && key != NULL && value != NULL, "NULL string");
	UCT_FUZZ_CHECK(key[0] != '\0', "empty key");
	UCT_FUZZ_CHECK(strchr(section, '\n') == NULL && strchr(key, '\n') == NULL &&
			       strchr(value, '\n') == NULL,
		       "a newline inside one line's strings");
	UCT_FUZZ_CHECK(ini_trimmed(key) && ini_trimmed(section), "untrimmed key or section");
	UCT_FUZZ_CHECK(line > seen->last_line, "line numbers not increasing");
	seen->last_line = line;
	/* The handler's own stop value must come back unchanged. */
	return ++seen->pairs == 1000 ? 7 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = uct_fuzz_file("agent.ini", data, size);
	struct ini_seen strict = {0}, lenient = {0};
	struct uct_err err = {0};
	int rc;

	rc = uct_ini_parse(path, ini_handler, &strict, &err);
	UCT_FUZZ_CHECK(rc == 0 || rc == 7 ||
			       (rc == -1 && err.msg[0] != '\0' &&
				(err.code == UCT_E_CONFIG || err.code == UCT_E_IO)),
		       "strict parse: unexpected result or an error without a message");
	UCT_FUZZ_CHECK(rc != 7 || strict.pairs == 1000, "stop value without a stop");

	memset(&err, 0, sizeof(err));
	rc = uct_ini_parse_lenient(path, ini_handler, &lenient, &err);
	/* Lenient skips bad lines: only a file with a NUL fails. */
	UCT_FUZZ_CHECK(rc == 0 || rc == 7 ||
			       (rc == -1 &&
				(memchr(data, '\0', size) != NULL || size > (1u << 20))),
		       "lenient parse failed on a text file");
	/* Every pair the strict reader saw, the lenient one saw too. */
	UCT_FUZZ_CHECK(lenient.pairs >= strict.pairs, "lenient saw fewer pairs than strict");
	return 0;
}
