/*
 * store_mem.c: the in-memory trust store of store_mem.h. Every object it
 * holds is the agent's (as a tagged one is in a real store); it trusts a
 * chain when it holds one of the chain's certificates, for the host and
 * port too when it keeps exceptions per host (UCT_STORE_BY_HOST).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_mem.h"

struct mem_entry {
	unsigned char sha256[UCT_SHA256_LEN];
	enum uct_trust trust;
	char host[256];
	int port;
};

struct mem_impl {
	struct mem_entry *v;
	size_t n;
	int open, rw;
	struct uct_mem_faults faults;
	struct uct_mem_counts counts;
};

static int mem_open(struct uct_store *store, int rw, struct uct_err *err)
{
	struct mem_impl *m = store->impl;

	if (m->faults.fail_open)
		return uct_err_set(err, UCT_E_IO, EIO, "cannot open %s: injected failure",
				   store->path);
	if (rw && !m->rw)
		m->counts.rw_opens++;
	m->open = 1;
	m->rw = m->rw || rw;
	return 0;
}

static int mem_list(struct uct_store *store, uct_entry_cb cb, void *ctx, struct uct_err *err)
{
	struct mem_impl *m = store->impl;
	struct uct_store_entry entry;
	size_t i;
	int rc = 0;

	if (!m->open && mem_open(store, 0, err) < 0)
		return -1;
	for (i = 0; i < m->n && rc == 0; i++) {
		if (m->faults.oom_after != 0 && i >= m->faults.oom_after)
			return uct_err_set(err, UCT_E_NOMEM, ENOMEM, "out of memory listing %s",
					   store->path);
		memset(&entry, 0, sizeof(entry));
		memcpy(entry.sha256, m->v[i].sha256, UCT_SHA256_LEN);
		entry.trust = m->v[i].trust;
		entry.label = "uccx-trust";
		entry.host = m->v[i].host[0] != '\0' ? m->v[i].host : NULL;
		entry.port = m->v[i].port;
		rc = uct_entry_call(cb, &entry, ctx, err);
	}
	return rc < 0 ? -1 : 0;
}

/* The entry for anchor (same certificate, same host and port), or NULL. */
static struct mem_entry *mem_find(struct mem_impl *m, const struct uct_anchor *anchor)
{
	const char *host = anchor->host != NULL ? anchor->host : "";
	size_t i;

	for (i = 0; i < m->n; i++)
		if (memcmp(m->v[i].sha256, anchor->cert->sha256, UCT_SHA256_LEN) == 0 &&
		    strcmp(m->v[i].host, host) == 0 && m->v[i].port == anchor->port)
			return &m->v[i];
	return NULL;
}

static int mem_writable(struct uct_store *store, struct uct_err *err)
{
	struct mem_impl *m = store->impl;

	if (!m->open || !m->rw)
		return uct_err_set(err, UCT_E_USAGE, 0, "%s: written without an open for writing",
				   store->path);
	return 0;
}

static int mem_add(struct uct_store *store, const struct uct_anchor *anchor, struct uct_err *err)
{
	struct mem_impl *m = store->impl;
	struct mem_entry *e, *grown;

	if (mem_writable(store, err) < 0 || uct_anchor_check(anchor, store->id, err) < 0)
		return -1;
	if (m->faults.fail_add)
		return uct_err_set(err, UCT_E_IO, EIO, "cannot write %s: injected failure",
				   store->path);
	if ((e = mem_find(m, anchor)) == NULL) {
		if ((grown = realloc(m->v, (m->n + 1) * sizeof(*grown))) == NULL)
			return uct_err_set(err, UCT_E_NOMEM, ENOMEM, "out of memory");
		m->v = grown;
		e = &m->v[m->n++];
		memset(e, 0, sizeof(*e));
		memcpy(e->sha256, anchor->cert->sha256, UCT_SHA256_LEN);
		if (anchor->host != NULL)
			strncpy(e->host, anchor->host, sizeof(e->host) - 1);
		e->port = anchor->port;
	}
	e->trust = anchor->trust;
	m->counts.adds++;
	return 0;
}

static int mem_remove(struct uct_store *store, const struct uct_anchor *anchor, struct uct_err *err)
{
	struct mem_impl *m = store->impl;
	size_t i, kept = 0;

	if (mem_writable(store, err) < 0)
		return -1;
	for (i = 0; i < m->n; i++)
		if (memcmp(m->v[i].sha256, anchor->cert->sha256, UCT_SHA256_LEN) != 0)
			m->v[kept++] = m->v[i];
	if (kept != m->n)
		m->counts.removes++;
	m->n = kept;
	return 0;
}

/* 1 when an entry trusts cert for host:port. */
static int mem_trusts(const struct uct_store *store, const struct uct_cert *cert, const char *host,
		      int port)
{
	const struct mem_impl *m = store->impl;
	int by_host = uct_store_supports(store, UCT_STORE_BY_HOST);
	size_t i;

	for (i = 0; i < m->n; i++)
		if (memcmp(m->v[i].sha256, cert->sha256, UCT_SHA256_LEN) == 0 &&
		    m->v[i].trust != UCT_TRUST_NONE &&
		    (!by_host || (strcmp(m->v[i].host, host) == 0 && m->v[i].port == port)))
			return 1;
	return 0;
}

static int mem_verify(struct uct_store *store, const struct uct_chain *chain, const char *host,
		      int port, struct uct_verify_result *out, struct uct_err *err)
{
	struct mem_impl *m = store->impl;
	size_t c;

	memset(out, 0, sizeof(*out));
	/* As the real stores do, verify opens a closed store for reading. */
	if (!m->open && mem_open(store, 0, err) < 0)
		return -1;
	for (c = 0; c < chain->n && !out->trusted; c++)
		out->trusted = mem_trusts(store, chain->certs[c], host, port);
	if (!out->trusted)
		strcpy(out->code, "MEM_NOT_TRUSTED");
	return 0;
}

static void mem_close(struct uct_store *store)
{
	struct mem_impl *m;

	if (store == NULL || (m = store->impl) == NULL)
		return;
	m->open = 0;
	m->rw = 0;
}

static void mem_destroy(struct uct_store *store)
{
	struct mem_impl *m;

	if (store == NULL)
		return;
	m = store->impl;
	if (m != NULL)
		free(m->v);
	free(m);
	free(store->id);
	free(store->group);
	free(store);
}

static const struct uct_store_ops mem_ops = {
	.name = "memory",
	.caps = 0,
	.open = mem_open,
	.list = mem_list,
	.add = mem_add,
	.remove = mem_remove,
	.verify = mem_verify,
	.close = mem_close,
	.destroy = mem_destroy,
};

struct uct_store *uct_store_mem_new(const char *id, const char *group, enum uct_browser browser,
				    unsigned int caps)
{
	struct uct_store *store = calloc(1, sizeof(*store));

	if (store == NULL)
		return NULL;
	store->ops = &mem_ops;
	store->impl = calloc(1, sizeof(struct mem_impl));
	store->id = uct_strdup(id);
	store->path = store->id;
	store->group = uct_strdup(group);
	store->browser = browser;
	store->caps = caps;
	if (store->impl == NULL || store->id == NULL || store->group == NULL) {
		mem_destroy(store);
		return NULL;
	}
	return store;
}

struct uct_mem_faults *uct_store_mem_faults(struct uct_store *store)
{
	return &((struct mem_impl *)store->impl)->faults;
}

struct uct_mem_counts uct_store_mem_counts(const struct uct_store *store)
{
	struct uct_mem_counts counts = ((const struct mem_impl *)store->impl)->counts;

	counts.entries = ((const struct mem_impl *)store->impl)->n;
	return counts;
}

enum uct_trust uct_store_mem_trust(const struct uct_store *store,
				   const unsigned char sha256[UCT_SHA256_LEN])
{
	const struct mem_impl *m = store->impl;
	size_t i;

	for (i = 0; i < m->n; i++)
		if (memcmp(m->v[i].sha256, sha256, UCT_SHA256_LEN) == 0)
			return m->v[i].trust;
	return UCT_TRUST_NONE;
}

int uct_test_entry_nomem(const struct uct_store_entry *entry, void *ctx, struct uct_err *err)
{
	(void)entry;
	(void)ctx;
	return uct_err_set(err, UCT_E_NOMEM, ENOMEM, "collector out of memory");
}
