/*
 * records.h: the tab-separated, one-record-a-line text files the agent
 * keeps in its state directory (the state, the verification cache): small
 * helpers to write and read them.
 */
#ifndef UCT_RECORDS_H
#define UCT_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "platform.h"

/* Append text to the growing buffer *buf (length *len, capacity *cap),
 * keeping it NUL-terminated. -1 when out of memory (*buf is kept). */
int uct_rec_append(char **buf, size_t *len, size_t *cap, const char *text);
/* A copy of s (NULL: "") with tabs and line breaks folded to spaces and
 * then escaped as uct_text_escape does (uct.h): no control byte is left to
 * end a field or a record. NULL when out of memory. */
char *uct_rec_clean(const char *s);
/* A copy of a path-like field (a store id) with only its control bytes (C0,
 * DEL) escaped as "\xNN": other bytes, even ones that are not UTF-8 (a
 * Latin-1 home directory), are kept so that the id read back is the same.
 * NULL when out of memory. */
char *uct_rec_path(const char *s);
/* 1 when a field read back holds no control byte (C0 or DEL): every writer
 * escapes them, so one found on reading is damage or tampering. */
int uct_rec_field_ok(const char *s);
/* Exactly 64 hex digits (what uct_rec_hex writes for a SHA-256), nothing
 * else. -1 otherwise. */
int uct_rec_parse_sha256(const char *s, unsigned char out[32]);
/* 1 when s is "host:port" as the agent writes it: an FQDN and a port
 * from 1 to 65535. */
int uct_rec_hostport_ok(const char *s);
/* Split line in place at tabs into at most max fields; returns the count. */
size_t uct_rec_split(char *line, char **fields, size_t max);
/* A whole decimal integer. -1 when s is not one. */
int uct_rec_parse_i64(const char *s, int64_t *out);
/* n bytes as lowercase hex into out (2n + 1 bytes). */
void uct_rec_hex(const unsigned char *in, size_t n, char *out);
/* A trust level by its uct_trust_name(). -1 when s names none. */
int uct_rec_parse_trust(const char *s, enum uct_trust *out);
/* 1 when the comma-separated list ("h:p,h:p") holds item as a whole
 * element, compared exactly or, with nocase, without regard to case: a
 * plain substring test would take "a.example.com:443" for
 * "ca.example.com:443" or "host:443" for "host:4431". NULL list: 0. */
int uct_rec_list_has(const char *list, const char *item, int nocase);

#endif
