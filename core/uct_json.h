/*
 * uct_json.h: a strict, small JSON reader for documents that come from the
 * network (the collector's signed trust document), and the canonical writer
 * their signatures are computed over. Portable C: the Windows agent, which
 * has no JSON library, and the Linux agent check documents with this code.
 */
#ifndef UCT_JSON_H
#define UCT_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "uct_err.h"

/* The bounds of what the reader accepts: a larger document, a deeper
 * nesting or more values is refused, never partly read. */
#define UCT_JSON_MAX_SIZE (1u << 20) /* bytes of input */
#define UCT_JSON_MAX_DEPTH 32        /* nested arrays and objects */
#define UCT_JSON_MAX_VALUES 100000u  /* values of every kind in one document */

enum uct_json_type {
	UCT_JSON_NULL,
	UCT_JSON_FALSE,
	UCT_JSON_TRUE,
	UCT_JSON_INT,
	UCT_JSON_STRING,
	UCT_JSON_ARRAY,
	UCT_JSON_OBJECT,
};

/*
 * One value. A string is valid UTF-8 without NUL (str, len bytes, also
 * NUL-terminated); an integer is num. An array's or object's values are
 * kids[0..n); an object's members are sorted by name, byte by byte, and each
 * member's name is its value's name (name_len bytes, NUL-terminated). at is
 * the byte offset of the value (of the name, for a member) in the input.
 */
struct uct_json {
	enum uct_json_type type;
	int64_t num;
	char *str;
	size_t len;
	char *name;
	size_t name_len;
	size_t at;
	struct uct_json *kids;
	size_t n;
};

/*
 * Parses the len bytes at text as one JSON value (RFC 8259) and nothing
 * after it but white space. Refused, with UCT_E_PARSE and a message naming
 * the byte offset and the problem: invalid UTF-8 (overlong forms, surrogates
 * or code points past U+10FFFF, raw or escaped), a lone surrogate escape,
 * \u0000, a control character inside a string, a number with a fraction, an
 * exponent, a leading zero or outside the 64-bit signed range, a member name
 * given twice in one object, trailing bytes, and anything past the bounds
 * above. On success *out is a new tree owned by the caller
 * (uct_json_free); on failure *out is NULL.
 */
int uct_json_parse(const char *text, size_t len, struct uct_json **out, struct uct_err *err);
/* Frees a tree from uct_json_parse. NULL-safe. */
void uct_json_free(struct uct_json *doc);
/* The member called name of object obj (borrowed), or NULL when obj is not
 * an object or has no such member. */
const struct uct_json *uct_json_get(const struct uct_json *obj, const char *name);

/*
 * The canonical bytes of doc, as jansson writes it with JSON_COMPACT |
 * JSON_SORT_KEYS | JSON_ENSURE_ASCII: no white space, members sorted by name
 * byte by byte, integers in decimal, `"` `\` as \" \\, LF CR TAB BS FF as \n
 * \r \t \b \f, other characters below U+0020 and every character past
 * U+007F as \uXXXX with upper-case hex digits (a surrogate pair past
 * U+FFFF), `/` and DEL as they are. When skip is not NULL, the top object's
 * member of that name is left out (the signature itself). On success *out is
 * a new NUL-terminated string owned by the caller and *len its length; -1
 * with UCT_E_NOMEM when memory runs out.
 */
int uct_json_canonical(const struct uct_json *doc, const char *skip, char **out, size_t *len,
		       struct uct_err *err);

#endif
