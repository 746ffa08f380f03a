/*
 * fuzz_json.c: libFuzzer target for the strict JSON reader and the
 * canonical writer of core/json.c, which read the collector's trust
 * document from the network. Properties: the canonical form is a fixed
 * point (canonical(parse(canonical(parse(x)))) == canonical(parse(x))), it
 * is printable ASCII without white space outside strings, and whatever the
 * reader accepts, jansson (the collector's library) accepts too and writes
 * with the same canonical bytes.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "uct_json.h"

/* Canonical bytes of text; NULL when the reader refuses it. */
static char *fuzz_canon(const char *text, size_t len, const char *skip, size_t *out_len)
{
	struct uct_json *doc = NULL;
	struct uct_err err = {0};
	char *out = NULL;

	if (uct_json_parse(text, len, &doc, &err) < 0) {
		UCT_FUZZ_CHECK(doc == NULL && err.msg[0] != '\0', "a refusal without a message");
		UCT_FUZZ_CHECK(err.code == UCT_E_PARSE || err.code == UCT_E_NOMEM,
			       "a refusal with another code");
		return NULL;
	}
	UCT_FUZZ_CHECK(uct_json_canonical(doc, skip, &out, out_len, &err) == 0,
		       "no canonical bytes for a parsed document");
	uct_json_free(doc);
	return out;
}

/* jansson's canonical bytes must equal ours. */
static void fuzz_same_as_jansson(const uint8_t *data, size_t size, const char *ours)
{
	json_error_t jerr;
	json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
			       &jerr);
	char *theirs;

	UCT_FUZZ_CHECK(j != NULL, "jansson refuses what the reader accepts");
	theirs = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
	UCT_FUZZ_CHECK(theirs != NULL && strcmp(theirs, ours) == 0,
		       "canonical bytes differ from jansson's");
	free(theirs);
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len1 = 0, len2 = 0, i;
	char *c1 = fuzz_canon((const char *)data, size, NULL, &len1), *c2, *skipped;
	int in_string = 0;

	if (c1 == NULL)
		return 0;
	UCT_FUZZ_CHECK(strlen(c1) == len1, "a NUL inside the canonical bytes");
	for (i = 0; i < len1; i++) {
		unsigned char c = (unsigned char)c1[i];

		UCT_FUZZ_CHECK(c >= 0x20 && c <= 0x7F, "a byte outside printable ASCII");
		if (!in_string) {
			UCT_FUZZ_CHECK(c != ' ', "white space between tokens");
			in_string = c == '"';
		} else if (c == '\\') {
			i++; /* the escaped character */
		} else if (c == '"') {
			in_string = 0;
		}
	}
	c2 = fuzz_canon(c1, len1, NULL, &len2);
	UCT_FUZZ_CHECK(c2 != NULL, "the reader refuses its own canonical bytes");
	UCT_FUZZ_CHECK(len1 == len2 && memcmp(c1, c2, len1) == 0, "the canonical form moves");
	/* Leaving out "signature" gives a document that reads back too. */
	skipped = fuzz_canon((const char *)data, size, "signature", &len2);
	free(c2);
	c2 = fuzz_canon(skipped, len2, NULL, &len2);
	UCT_FUZZ_CHECK(c2 != NULL && strcmp(c2, skipped) == 0, "the signed part is not canonical");
	UCT_FUZZ_CHECK(len2 <= len1, "leaving a member out made the document longer");
	fuzz_same_as_jansson(data, size, c1);
	free(skipped);
	free(c2);
	free(c1);
	return 0;
}
