/*
 * vcache.c: the verification cache of vcache.h, a tab-separated text file
 * next to the state. Losing it costs one full verification; a damaged one
 * is ignored, never half read.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "records.h"
#include "vcache.h"

#define VCACHE_MAGIC "uccx-trust-verify-cache\t1"
#define VCACHE_MAX (1u << 20)
#define VCACHE_FIELDS 8

/* ---- memory ---- */

static void answer_clear(struct uct_vcache_answer *a)
{
	free(a->host);
	free(a->chain);
	memset(a, 0, sizeof(*a));
}

static void record_clear(struct uct_vcache_store *rec)
{
	size_t i;

	free(rec->store_id);
	for (i = 0; i < rec->n_owned; i++)
		free((char *)rec->owned[i].host);
	free(rec->owned);
	for (i = 0; i < rec->n_answers; i++)
		answer_clear(&rec->answers[i]);
	free(rec->answers);
	memset(rec, 0, sizeof(*rec));
}

void uct_vcache_free(struct uct_vcache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		record_clear(&c->stores[i]);
	free(c->stores);
	memset(c, 0, sizeof(*c));
}

/* Append a copy of e (its label is not kept). */
static int owned_push(struct uct_vcache_store *rec, const struct uct_store_entry *e)
{
	struct uct_store_entry *grown = realloc(rec->owned, (rec->n_owned + 1) * sizeof(*grown));

	if (grown == NULL)
		return -1;
	rec->owned = grown;
	grown[rec->n_owned] = *e;
	grown[rec->n_owned].label = NULL;
	grown[rec->n_owned].host = e->host != NULL ? uct_strdup(e->host) : NULL;
	if (e->host != NULL && grown[rec->n_owned].host == NULL)
		return -1;
	rec->n_owned++;
	return 0;
}

/* ---- lookups ---- */

static struct uct_vcache_store *record_of(const struct uct_vcache *c, const char *store_id)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->stores[i].store_id, store_id) == 0)
			return &c->stores[i];
	return NULL;
}

const struct uct_vcache_store *uct_vcache_find(const struct uct_vcache *c, const char *store_id,
					       const unsigned char digest[UCT_SHA256_LEN],
					       int64_t now)
{
	const struct uct_vcache_store *rec = c != NULL ? record_of(c, store_id) : NULL;

	if (rec == NULL || memcmp(rec->digest, digest, UCT_SHA256_LEN) != 0)
		return NULL;
	/* A clock set back could make an old answer look fresh. checked_at
	 * comes from the file: compared without subtracting, so that a forged
	 * one near INT64_MIN cannot overflow. */
	if (now < rec->checked_at || rec->checked_at < now - UCT_VCACHE_MAX_AGE)
		return NULL;
	return rec;
}

static int answer_is_for(const struct uct_vcache_answer *a, const struct uct_chain *chain,
			 const char *host)
{
	size_t i;

	if (a->chain_n != chain->n || strcmp(a->host, host) != 0)
		return 0;
	for (i = 0; i < chain->n; i++)
		if (memcmp(a->chain[i], chain->certs[i]->sha256, UCT_SHA256_LEN) != 0)
			return 0;
	return 1;
}

const struct uct_verify_result *uct_vcache_answer(const struct uct_vcache_store *rec,
						  const struct uct_chain *chain, const char *host,
						  int64_t now)
{
	size_t i;

	if (rec == NULL || chain == NULL || chain->n == 0 || host == NULL)
		return NULL;
	for (i = 0; i < rec->n_answers; i++) {
		const struct uct_vcache_answer *a = &rec->answers[i];

		if (answer_is_for(a, chain, host))
			return now >= a->valid_from && now < a->valid_until ? &a->result : NULL;
	}
	return NULL;
}

/* ---- recording ---- */

/* Free rec (one of c's) and fill its place with the last record. */
static void record_remove(struct uct_vcache *c, struct uct_vcache_store *rec)
{
	record_clear(rec);
	*rec = c->stores[--c->n];
	c->dirty = 1;
}

void uct_vcache_drop(struct uct_vcache *c, const char *store_id)
{
	struct uct_vcache_store *rec = record_of(c, store_id);

	if (rec != NULL)
		record_remove(c, rec);
}

void uct_vcache_prune(struct uct_vcache *c, int64_t now)
{
	size_t i = 0;

	while (i < c->n) {
		if (c->stores[i].checked_at < now - UCT_VCACHE_MAX_AGE)
			record_remove(c, &c->stores[i]);
		else
			i++;
	}
}

struct uct_vcache_store *uct_vcache_put(struct uct_vcache *c, const char *store_id,
					const unsigned char digest[UCT_SHA256_LEN],
					int64_t checked_at, const struct uct_store_entry *owned,
					size_t n_owned)
{
	struct uct_vcache_store *grown, *rec;
	size_t i;

	uct_vcache_drop(c, store_id);
	grown = realloc(c->stores, (c->n + 1) * sizeof(*grown));
	if (grown == NULL)
		return NULL;
	c->stores = grown;
	rec = &c->stores[c->n];
	memset(rec, 0, sizeof(*rec));
	rec->store_id = uct_strdup(store_id);
	for (i = 0; rec->store_id != NULL && i < n_owned; i++)
		if (owned_push(rec, &owned[i]) < 0)
			break;
	if (rec->store_id == NULL || i < n_owned) {
		record_clear(rec);
		return NULL;
	}
	memcpy(rec->digest, digest, UCT_SHA256_LEN);
	rec->checked_at = checked_at;
	c->n++;
	c->dirty = 1;
	return rec;
}

/*
 * The stretch of time around at in which no certificate of the chain
 * becomes valid or expires: within it the verification cannot change its
 * mind for a reason of time.
 */
static void validity_window(const struct uct_chain *chain, int64_t at, int64_t *from,
			    int64_t *until)
{
	size_t i, k;

	*from = INT64_MIN;
	*until = INT64_MAX;
	for (i = 0; i < chain->n; i++) {
		int64_t edge[2] = {chain->certs[i]->not_before, chain->certs[i]->not_after};

		for (k = 0; k < 2; k++) {
			if (edge[k] <= at && edge[k] > *from)
				*from = edge[k];
			if (edge[k] > at && edge[k] < *until)
				*until = edge[k];
		}
	}
}

int uct_vcache_add_answer(struct uct_vcache *c, struct uct_vcache_store *rec,
			  const struct uct_chain *chain, const char *host,
			  const struct uct_verify_result *result)
{
	struct uct_vcache_answer *grown, *a;
	size_t i;

	if (chain == NULL || chain->n == 0 || host == NULL)
		return 0;
	for (i = 0; i < rec->n_answers; i++)
		if (answer_is_for(&rec->answers[i], chain, host))
			return 0;
	grown = realloc(rec->answers, (rec->n_answers + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	rec->answers = grown;
	a = &rec->answers[rec->n_answers];
	memset(a, 0, sizeof(*a));
	a->host = uct_strdup(host);
	a->chain = calloc(chain->n, sizeof(*a->chain));
	if (a->host == NULL || a->chain == NULL) {
		answer_clear(a);
		return -1;
	}
	for (i = 0; i < chain->n; i++)
		memcpy(a->chain[i], chain->certs[i]->sha256, UCT_SHA256_LEN);
	a->chain_n = chain->n;
	validity_window(chain, rec->checked_at, &a->valid_from, &a->valid_until);
	a->result = *result;
	rec->n_answers++;
	c->dirty = 1;
	return 0;
}

/* ---- the file ---- */

static int answer_same(const struct uct_vcache_answer *a, const struct uct_vcache_answer *b)
{
	return a->chain_n == b->chain_n && strcmp(a->host, b->host) == 0 &&
	       memcmp(a->chain, b->chain, a->chain_n * sizeof(*a->chain)) == 0;
}

static int load_answer(struct uct_vcache_store *rec, char **f, size_t n)
{
	struct uct_vcache_answer *grown, *a;
	char *fp, *comma;
	int64_t trusted;
	size_t i;

	if (n != VCACHE_FIELDS)
		return -1;
	grown = realloc(rec->answers, (rec->n_answers + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	rec->answers = grown;
	a = &rec->answers[rec->n_answers++];
	memset(a, 0, sizeof(*a));
	if ((a->host = uct_strdup(f[1])) == NULL || uct_rec_parse_i64(f[2], &a->valid_from) < 0 ||
	    uct_rec_parse_i64(f[3], &a->valid_until) < 0 || uct_rec_parse_i64(f[4], &trusted) < 0 ||
	    trusted < 0 || trusted > 1)
		return -1;
	a->result.trusted = (int)trusted;
	if (!uct_is_fqdn(a->host) || !uct_text_is_safe(f[6]) || !uct_text_is_safe(f[7]))
		return -1;
	for (fp = f[5]; fp != NULL; fp = comma) {
		unsigned char(*chain)[UCT_SHA256_LEN];

		if ((comma = strchr(fp, ',')) != NULL)
			*comma++ = '\0';
		chain = realloc(a->chain, (a->chain_n + 1) * sizeof(*chain));
		if (chain == NULL)
			return -1;
		a->chain = chain;
		if (uct_rec_parse_sha256(fp, a->chain[a->chain_n++]) < 0)
			return -1;
	}
	/* One answer per question: a second could only be forged. */
	for (i = 0; i + 1 < rec->n_answers; i++)
		if (answer_same(&rec->answers[i], a))
			return -1;
	snprintf(a->result.code, sizeof(a->result.code), "%s", f[6]);
	snprintf(a->result.detail, sizeof(a->result.detail), "%s", f[7]);
	return 0;
}

static int load_owned(struct uct_vcache_store *rec, char **f, size_t n)
{
	struct uct_store_entry e = {0};
	int64_t port;

	if (n != 5 || uct_rec_parse_sha256(f[1], e.sha256) < 0 ||
	    uct_rec_parse_trust(f[2], &e.trust) < 0 || uct_rec_parse_i64(f[3], &port) < 0 ||
	    port < 0 || port > 65535 || (f[4][0] != '\0' && !uct_is_fqdn(f[4])))
		return -1;
	e.port = (int)port;
	e.host = f[4][0] != '\0' ? f[4] : NULL;
	return owned_push(rec, &e);
}

static int load_store(struct uct_vcache *c, char **f, size_t n)
{
	struct uct_vcache_store *grown, *rec;

	/* One record per store: a second could only be forged. */
	if (n != 4 || *f[1] == '\0' || record_of(c, f[1]) != NULL)
		return -1;
	grown = realloc(c->stores, (c->n + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	c->stores = grown;
	rec = &c->stores[c->n++];
	memset(rec, 0, sizeof(*rec));
	if ((rec->store_id = uct_strdup(f[1])) == NULL ||
	    uct_rec_parse_sha256(f[2], rec->digest) < 0 ||
	    uct_rec_parse_i64(f[3], &rec->checked_at) < 0)
		return -1;
	return 0;
}

static int load_line(struct uct_vcache *c, char *line)
{
	char *f[VCACHE_FIELDS + 1];
	size_t n = uct_rec_split(line, f, VCACHE_FIELDS + 1), i;

	/* Every writer escapes control bytes: one here is damage. */
	for (i = 0; i < n; i++)
		if (!uct_rec_field_ok(f[i]))
			return -1;

	if (strcmp(f[0], "store") == 0)
		return load_store(c, f, n);
	/* owned and answer lines belong to the store line above them. */
	if (c->n == 0)
		return -1;
	if (strcmp(f[0], "owned") == 0)
		return load_owned(&c->stores[c->n - 1], f, n);
	if (strcmp(f[0], "answer") == 0)
		return load_answer(&c->stores[c->n - 1], f, n);
	return -1;
}

int uct_vcache_load(const char *path, struct uct_vcache *c)
{
	struct uct_err rerr = {0};
	char *text = NULL, *line, *next;
	size_t len;
	int lineno = 0, bad = 0;

	memset(c, 0, sizeof(*c));
	if (uct_file_read(path, VCACHE_MAX, &text, &len, &rerr) < 0) {
		if (rerr.native != ENOENT)
			uct_log(UCT_LOG_INFO, "verification cache not used: %s", rerr.msg);
		return 0;
	}
	if (len == 0 || memchr(text, '\0', len) != NULL)
		bad = 1;
	for (line = text; !bad && line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (++lineno == 1)
			bad = strcmp(line, VCACHE_MAGIC) != 0;
		else if (*line != '#' && *line != '\0')
			bad = load_line(c, line) < 0;
	}
	free(text);
	if (bad) {
		/* Out of memory looks the same; either way the answer is to verify. */
		uct_log(UCT_LOG_INFO,
			"verification cache %s is damaged or from another version: "
			"verifying every database again",
			path);
		uct_vcache_free(c);
	}
	return 0;
}

static char *answer_line(const struct uct_vcache_answer *a)
{
	char *chain = calloc(a->chain_n, UCT_FP_STRLEN), *code, *detail, *host, *line = NULL;
	size_t i;

	code = uct_rec_clean(a->result.code);
	detail = uct_rec_clean(a->result.detail);
	host = uct_rec_clean(a->host);
	if (chain == NULL || code == NULL || detail == NULL || host == NULL)
		goto out;
	for (i = 0; i < a->chain_n; i++) {
		if (i > 0)
			strcat(chain, ",");
		uct_rec_hex(a->chain[i], UCT_SHA256_LEN, chain + strlen(chain));
	}
	line = uct_asprintf("answer\t%s\t%" PRId64 "\t%" PRId64 "\t%d\t%s\t%s\t%s\n", host,
			    a->valid_from, a->valid_until, a->result.trusted, chain, code, detail);
out:
	free(host);
	free(chain);
	free(code);
	free(detail);
	return line;
}

static int record_text(const struct uct_vcache_store *rec, char **buf, size_t *len, size_t *cap)
{
	char hex[UCT_SHA256_LEN * 2 + 1];
	char *line, *id;
	size_t i;
	int rc;

	/* A store id holds a path a profiles.ini named: escaped, so that no
	 * byte of it ends the record. */
	uct_rec_hex(rec->digest, UCT_SHA256_LEN, hex);
	id = uct_rec_path(rec->store_id);
	line = id != NULL ? uct_asprintf("store\t%s\t%s\t%" PRId64 "\n", id, hex, rec->checked_at)
			  : NULL;
	free(id);
	rc = line != NULL ? uct_rec_append(buf, len, cap, line) : -1;
	for (i = 0; rc == 0 && i < rec->n_owned; i++) {
		const struct uct_store_entry *e = &rec->owned[i];

		free(line);
		uct_rec_hex(e->sha256, UCT_SHA256_LEN, hex);
		/* The host was read from a cert_override.txt: escaped too. */
		id = uct_rec_clean(e->host);
		line = id != NULL ? uct_asprintf("owned\t%s\t%s\t%d\t%s\n", hex,
						 uct_trust_name(e->trust), e->port, id)
				  : NULL;
		free(id);
		rc = line != NULL ? uct_rec_append(buf, len, cap, line) : -1;
	}
	for (i = 0; rc == 0 && i < rec->n_answers; i++) {
		free(line);
		line = answer_line(&rec->answers[i]);
		rc = line != NULL ? uct_rec_append(buf, len, cap, line) : -1;
	}
	free(line);
	return rc;
}

int uct_vcache_save(const char *path, const struct uct_vcache *c, struct uct_err *err)
{
	char *buf = NULL;
	size_t len = 0, cap = 0, i;
	int rc = -1;

	if (uct_rec_append(&buf, &len, &cap,
			   VCACHE_MAGIC "\n# Written by uccx-trust; safe to delete.\n") < 0)
		goto nomem;
	for (i = 0; i < c->n; i++)
		if (record_text(&c->stores[i], &buf, &len, &cap) < 0)
			goto nomem;
	rc = uct_file_write_replace(path, buf, len, 0600, err);
	free(buf);
	return rc;
nomem:
	free(buf);
	return uct_err_set(err, UCT_E_NOMEM, ENOMEM,
			   "out of memory writing the verification cache");
}
