/*
 * json.c: the strict JSON reader and the canonical writer (uct_json.h).
 * The input is a document from the network: every byte is checked, every
 * count is bounded, and the first problem ends the parse with its offset.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uct_json.h"

struct jp {
	const unsigned char *s;
	size_t len, pos;
	int depth;
	size_t values;
	struct uct_err *err;
};

static int jp_value(struct jp *p, struct uct_json *node);

static int jp_fail(struct jp *p, size_t at, const char *what)
{
	return uct_err_set(p->err, UCT_E_PARSE, (long)at, "invalid JSON at byte %zu: %s", at, what);
}

static int jp_nomem(struct jp *p)
{
	return uct_err_set(p->err, UCT_E_NOMEM, 0, "out of memory reading a JSON document");
}

static void jp_ws(struct jp *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
				   p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static int jp_literal(struct jp *p, const char *word, enum uct_json_type type,
		      struct uct_json *node)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return jp_fail(p, p->pos, "unexpected character (expected a value)");
	node->type = type;
	p->pos += n;
	return 0;
}

/* An integer: -?(0|[1-9][0-9]*), within int64_t; nothing else. */
static int jp_number(struct jp *p, struct uct_json *node)
{
	size_t start = p->pos;
	int neg = 0;
	uint64_t v = 0, limit;

	if (p->s[p->pos] == '-') {
		neg = 1;
		p->pos++;
	}
	if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
		return jp_fail(p, start, "a '-' without digits");
	if (p->s[p->pos] == '0' && p->pos + 1 < p->len && p->s[p->pos + 1] >= '0' &&
	    p->s[p->pos + 1] <= '9')
		return jp_fail(p, start, "a number with a leading zero");
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
		unsigned d = (unsigned)(p->s[p->pos++] - '0');

		if (v > (limit - d) / 10)
			return jp_fail(p, start, "an integer outside the 64-bit range");
		v = v * 10 + d;
	}
	if (p->pos < p->len && (p->s[p->pos] == '.' || p->s[p->pos] == 'e' || p->s[p->pos] == 'E'))
		return jp_fail(p, start,
			       "a number with a fraction or an exponent (only integers are "
			       "allowed)");
	node->type = UCT_JSON_INT;
	node->num = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
	return 0;
}

/* The length of the valid UTF-8 sequence at s (n bytes left), 0 if none:
 * no overlong form, no surrogate, nothing past U+10FFFF (RFC 3629). */
static size_t jp_utf8_len(const unsigned char *s, size_t n)
{
	size_t need, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		need = 2, cp = s[0] & 0x1Fu;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		need = 3, cp = s[0] & 0x0Fu;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		need = 4, cp = s[0] & 0x07u;
	else
		return 0;
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3Fu);
	}
	if ((need == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return need;
}

static int jp_hex4(struct jp *p, size_t at, uint32_t *cp)
{
	size_t i;

	*cp = 0;
	if (p->len - at < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		unsigned char c = p->s[at + i];
		uint32_t d = c >= '0' && c <= '9'   ? (uint32_t)(c - '0')
			     : c >= 'a' && c <= 'f' ? (uint32_t)(c - 'a' + 10)
			     : c >= 'A' && c <= 'F' ? (uint32_t)(c - 'A' + 10)
						    : 16;

		if (d == 16)
			return -1;
		*cp = *cp << 4 | d;
	}
	return 0;
}

static size_t jp_put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* A \uXXXX escape at p->pos (after the backslash and 'u'), with the low
 * half of a surrogate pair when it is a high half; the character is
 * written at o. Returns the bytes written, 0 after a failure. */
static size_t jp_unicode(struct jp *p, char *o)
{
	size_t at = p->pos - 2;
	uint32_t cp, lo;

	if (jp_hex4(p, p->pos, &cp) < 0)
		return (void)jp_fail(p, at, "a \\u escape without four hex digits"), 0;
	p->pos += 4;
	if (cp >= 0xDC00 && cp <= 0xDFFF)
		return (void)jp_fail(p, at, "a lone low surrogate escape"), 0;
	if (cp >= 0xD800 && cp <= 0xDBFF) {
		if (p->len - p->pos < 6 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u' ||
		    jp_hex4(p, p->pos + 2, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
			return (void)jp_fail(p, at, "a high surrogate escape without its low half"),
			       0;
		p->pos += 6;
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
	}
	if (cp == 0)
		return (void)jp_fail(p, at, "\\u0000 (a string may not hold NUL)"), 0;
	return jp_put_utf8(o, cp);
}

/* One escape at p->pos (the backslash), written at o; 0 after a failure. */
static size_t jp_escape(struct jp *p, char *o)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit;
	size_t at = p->pos;

	if (p->pos + 1 >= p->len)
		return (void)jp_fail(p, at, "an unterminated string"), 0;
	p->pos += 2;
	if (p->s[at + 1] == 'u')
		return jp_unicode(p, o);
	hit = p->s[at + 1] != '\0' ? strchr(from, p->s[at + 1]) : NULL;
	if (hit == NULL)
		return (void)jp_fail(p, at, "an unknown escape in a string"), 0;
	*o = to[hit - from];
	return 1;
}

/* The span of the string opening at p->pos, up to its closing quote. */
static int jp_string_span(struct jp *p, size_t *span)
{
	size_t i = p->pos + 1;

	while (i < p->len && p->s[i] != '"')
		i += p->s[i] == '\\' ? 2 : 1;
	if (i >= p->len)
		return jp_fail(p, p->pos, "an unterminated string");
	*span = i - p->pos - 1;
	return 0;
}

/* A string at p->pos (its opening quote), decoded into a new buffer. */
static int jp_string(struct jp *p, char **out, size_t *len)
{
	size_t span = 0, n = 0, k;
	char *o;

	if (jp_string_span(p, &span) < 0)
		return -1;
	if ((o = malloc(span + 1)) == NULL)
		return jp_nomem(p);
	p->pos++;
	while (p->s[p->pos] != '"') {
		unsigned char c = p->s[p->pos];

		if (c == '\\')
			k = jp_escape(p, o + n);
		else if (c < 0x20)
			k = 0, jp_fail(p, p->pos, "a control character inside a string");
		else if ((k = jp_utf8_len(p->s + p->pos, p->len - p->pos)) == 0)
			jp_fail(p, p->pos, "invalid UTF-8 in a string");
		else {
			memcpy(o + n, p->s + p->pos, k);
			p->pos += k;
		}
		if (k == 0) {
			free(o);
			return -1;
		}
		n += k;
	}
	p->pos++;
	o[n] = '\0';
	*out = o;
	*len = n;
	return 0;
}

static int jp_push(struct jp *p, struct uct_json *parent, size_t *cap, struct uct_json **kid)
{
	if (parent->n == *cap) {
		size_t grown = *cap ? *cap * 2 : 4;
		struct uct_json *k = realloc(parent->kids, grown * sizeof(*k));

		if (k == NULL)
			return jp_nomem(p);
		parent->kids = k;
		*cap = grown;
	}
	*kid = &parent->kids[parent->n++];
	memset(*kid, 0, sizeof(**kid));
	return 0;
}

/* After an element or a member: ',' (1: another follows) or the closer (0). */
static int jp_next(struct jp *p, unsigned char closer)
{
	jp_ws(p);
	if (p->pos < p->len && p->s[p->pos] == ',') {
		p->pos++;
		jp_ws(p);
		return 1;
	}
	if (p->pos < p->len && p->s[p->pos] == closer) {
		p->pos++;
		return 0;
	}
	return jp_fail(p, p->pos,
		       closer == ']' ? "expected ',' or ']' in an array"
				     : "expected ',' or '}' in an object");
}

static int jp_element(struct jp *p, struct uct_json *kid)
{
	return jp_value(p, kid);
}

/* The elements of an array or the members of an object, each read by
 * read_kid, up to the closer (after the opener at p->pos). */
static int jp_container(struct jp *p, struct uct_json *node, unsigned char closer,
			int (*read_kid)(struct jp *, struct uct_json *))
{
	size_t cap = 0;
	struct uct_json *kid = NULL;
	int more;

	p->pos++;
	jp_ws(p);
	if (p->pos < p->len && p->s[p->pos] == closer) {
		p->pos++;
		return 0;
	}
	do {
		if (jp_push(p, node, &cap, &kid) < 0 || read_kid(p, kid) < 0)
			return -1;
	} while ((more = jp_next(p, closer)) == 1);
	return more;
}

static int jp_member_cmp(const void *a, const void *b)
{
	const struct uct_json *x = a, *y = b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);

	if (c != 0)
		return c;
	return x->name_len < y->name_len ? -1 : x->name_len > y->name_len;
}

/* Sorts the members by name and refuses a name given twice. */
static int jp_members_sort(struct jp *p, struct uct_json *node)
{
	size_t i;

	if (node->n < 2)
		return 0; /* an empty object has no array to sort */
	qsort(node->kids, node->n, sizeof(node->kids[0]), jp_member_cmp);
	for (i = 1; i < node->n; i++)
		if (jp_member_cmp(&node->kids[i - 1], &node->kids[i]) == 0)
			return jp_fail(p,
				       node->kids[i - 1].at > node->kids[i].at
					       ? node->kids[i - 1].at
					       : node->kids[i].at,
				       "a member name given twice in one object");
	return 0;
}

static int jp_member(struct jp *p, struct uct_json *kid)
{
	size_t at = p->pos;

	if (p->pos >= p->len || p->s[p->pos] != '"')
		return jp_fail(p, p->pos, "expected a member name (a string) in an object");
	if (jp_string(p, &kid->name, &kid->name_len) < 0)
		return -1;
	jp_ws(p);
	if (p->pos >= p->len || p->s[p->pos] != ':')
		return jp_fail(p, p->pos, "expected ':' after a member name");
	p->pos++;
	if (jp_value(p, kid) < 0)
		return -1;
	kid->at = at;
	return 0;
}

static int jp_object(struct jp *p, struct uct_json *node)
{
	node->type = UCT_JSON_OBJECT;
	if (jp_container(p, node, '}', jp_member) < 0)
		return -1;
	return jp_members_sort(p, node);
}

static int jp_array(struct jp *p, struct uct_json *node)
{
	node->type = UCT_JSON_ARRAY;
	return jp_container(p, node, ']', jp_element);
}

static int jp_value(struct jp *p, struct uct_json *node)
{
	int rc;

	jp_ws(p);
	node->at = p->pos;
	if (p->pos >= p->len)
		return jp_fail(p, p->pos, "the document ends where a value is expected");
	if (++p->values > UCT_JSON_MAX_VALUES)
		return jp_fail(p, p->pos, "more values than the reader accepts (100000)");
	switch (p->s[p->pos]) {
	case '{':
	case '[':
		if (++p->depth > UCT_JSON_MAX_DEPTH)
			return jp_fail(p, p->pos, "arrays and objects nested deeper than 32");
		rc = p->s[p->pos] == '{' ? jp_object(p, node) : jp_array(p, node);
		p->depth--;
		return rc;
	case '"': node->type = UCT_JSON_STRING; return jp_string(p, &node->str, &node->len);
	case 't': return jp_literal(p, "true", UCT_JSON_TRUE, node);
	case 'f': return jp_literal(p, "false", UCT_JSON_FALSE, node);
	case 'n': return jp_literal(p, "null", UCT_JSON_NULL, node);
	default:
		if (p->s[p->pos] == '-' || (p->s[p->pos] >= '0' && p->s[p->pos] <= '9'))
			return jp_number(p, node);
		return jp_fail(p, p->pos, "unexpected character (expected a value)");
	}
}

static void json_release(struct uct_json *node)
{
	size_t i;

	for (i = 0; i < node->n; i++)
		json_release(&node->kids[i]);
	free(node->kids);
	free(node->str);
	free(node->name);
}

void uct_json_free(struct uct_json *doc)
{
	if (doc == NULL)
		return;
	json_release(doc);
	free(doc);
}

int uct_json_parse(const char *text, size_t len, struct uct_json **out, struct uct_err *err)
{
	struct jp p = {.s = (const unsigned char *)text, .len = len, .err = err};
	struct uct_json *doc;

	*out = NULL;
	if (len > UCT_JSON_MAX_SIZE)
		return uct_err_set(err, UCT_E_PARSE, 0,
				   "a JSON document of %zu bytes, more than the "
				   "reader accepts (%u)",
				   len, UCT_JSON_MAX_SIZE);
	if ((doc = calloc(1, sizeof(*doc))) == NULL)
		return jp_nomem(&p);
	if (jp_value(&p, doc) == 0) {
		jp_ws(&p);
		if (p.pos == p.len) {
			*out = doc;
			return 0;
		}
		jp_fail(&p, p.pos, "bytes after the end of the value");
	}
	uct_json_free(doc);
	return -1;
}

const struct uct_json *uct_json_get(const struct uct_json *obj, const char *name)
{
	size_t i;

	if (obj == NULL || obj->type != UCT_JSON_OBJECT)
		return NULL;
	for (i = 0; i < obj->n; i++)
		if (obj->kids[i].name_len == strlen(name) && strcmp(obj->kids[i].name, name) == 0)
			return &obj->kids[i];
	return NULL;
}

/* ---- the canonical writer ---------------------------------------------- */

struct jbuf {
	char *b;
	size_t len, cap;
	int oom;
};

static void jb_put(struct jbuf *jb, const char *s, size_t n)
{
	if (jb->oom)
		return;
	if (jb->cap - jb->len <= n) {
		size_t grown = jb->cap ? jb->cap : 256;
		char *b;

		while (grown - jb->len <= n)
			grown *= 2;
		if ((b = realloc(jb->b, grown)) == NULL) {
			jb->oom = 1;
			return;
		}
		jb->b = b;
		jb->cap = grown;
	}
	memcpy(jb->b + jb->len, s, n);
	jb->len += n;
	jb->b[jb->len] = '\0';
}

static void jb_u(struct jbuf *jb, uint32_t unit)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[6] = {
		'\\',          'u', hex[unit >> 12 & 15], hex[unit >> 8 & 15], hex[unit >> 4 & 15],
		hex[unit & 15]};

	jb_put(jb, e, sizeof(e));
}

/* The code point of the valid UTF-8 sequence at s (k bytes). */
static uint32_t jb_codepoint(const unsigned char *s, size_t k)
{
	static const unsigned char lead_mask[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
	uint32_t cp = s[0] & lead_mask[k];
	size_t i;

	for (i = 1; i < k; i++)
		cp = cp << 6 | (s[i] & 0x3Fu);
	return cp;
}

/* A string as jansson writes it with JSON_ENSURE_ASCII (see uct_json.h). */
static void jb_string(struct jbuf *jb, const char *str, size_t len)
{
	static const char from[] = "\"\\\n\r\t\b\f", to[] = "\"\\nrtbf";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, k;

	jb_put(jb, "\"", 1);
	while (i < len) {
		const char *hit = s[i] != '\0' ? strchr(from, s[i]) : NULL;
		uint32_t cp;

		if (hit != NULL) {
			char e[2] = {'\\', to[hit - from]};

			jb_put(jb, e, 2);
			i++;
		} else if (s[i] < 0x20) {
			jb_u(jb, s[i++]);
		} else if (s[i] < 0x80) {
			jb_put(jb, str + i++, 1);
		} else {
			k = jp_utf8_len(s + i, len - i);
			cp = jb_codepoint(s + i, k ? k : 1);
			i += k ? k : 1; /* the reader only keeps valid UTF-8 */
			if (cp >= 0x10000) {
				jb_u(jb, 0xD800 + ((cp - 0x10000) >> 10));
				jb_u(jb, 0xDC00 + ((cp - 0x10000) & 0x3FF));
			} else {
				jb_u(jb, cp);
			}
		}
	}
	jb_put(jb, "\"", 1);
}

static void jb_value(struct jbuf *jb, const struct uct_json *v, const char *skip)
{
	char num[24];
	size_t i, written = 0;

	switch (v->type) {
	case UCT_JSON_NULL: jb_put(jb, "null", 4); break;
	case UCT_JSON_FALSE: jb_put(jb, "false", 5); break;
	case UCT_JSON_TRUE: jb_put(jb, "true", 4); break;
	case UCT_JSON_INT:
		jb_put(jb, num, (size_t)snprintf(num, sizeof(num), "%" PRId64, v->num));
		break;
	case UCT_JSON_STRING: jb_string(jb, v->str, v->len); break;
	case UCT_JSON_ARRAY:
	case UCT_JSON_OBJECT:
		jb_put(jb, v->type == UCT_JSON_ARRAY ? "[" : "{", 1);
		for (i = 0; i < v->n; i++) {
			if (skip != NULL && strcmp(v->kids[i].name, skip) == 0)
				continue;
			if (written++ > 0)
				jb_put(jb, ",", 1);
			if (v->type == UCT_JSON_OBJECT) {
				jb_string(jb, v->kids[i].name, v->kids[i].name_len);
				jb_put(jb, ":", 1);
			}
			jb_value(jb, &v->kids[i], NULL);
		}
		jb_put(jb, v->type == UCT_JSON_ARRAY ? "]" : "}", 1);
		break;
	}
}

int uct_json_canonical(const struct uct_json *doc, const char *skip, char **out, size_t *len,
		       struct uct_err *err)
{
	struct jbuf jb = {0};

	*out = NULL;
	*len = 0;
	jb_value(&jb, doc, doc->type == UCT_JSON_OBJECT ? skip : NULL);
	if (jb.oom || jb.b == NULL) {
		free(jb.b);
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory writing a JSON document");
	}
	*out = jb.b;
	*len = jb.len;
	return 0;
}
