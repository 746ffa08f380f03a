/*
 * fuzz_override.c: libFuzzer target for the Firefox exception store
 * (platform/common/store_override.c) on a cert_override.txt holding the
 * input: list it, add our exception for one host:port, remove it again,
 * and check that only that host:port's lines changed (and those of
 * "host.:port", whose companion line add writes and remove takes out).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_util.h"
#include "platform.h"

#define FUZZ_HOST "uccx1.example.com"
#define FUZZ_PORT 8445
#define FUZZ_MAX_ENTRIES 4096

struct ovr_listing {
	size_t n;        /* every entry */
	size_t n_ours;   /* entries for FUZZ_HOST:FUZZ_PORT */
	size_t n_mine;   /* ... with our fingerprint */
	size_t n_dotted; /* entries for FUZZ_HOST ".:" FUZZ_PORT (not companions) */
	const unsigned char *sha256;
};

static int ovr_entry(const struct uct_store_entry *e, void *ctx, struct uct_err *err)
{
	struct ovr_listing *l = ctx;

	(void)err;
	UCT_FUZZ_CHECK(e->trust == UCT_TRUST_OVERRIDE, "an override listed with other trust");
	UCT_FUZZ_CHECK(e->host != NULL && e->host[0] != '\0', "an override without a host");
	UCT_FUZZ_CHECK(strpbrk(e->host, "\t\n") == NULL, "a host holding a tab or newline");
	UCT_FUZZ_CHECK(e->port >= 1 && e->port <= 65535, "a port out of range");
	UCT_FUZZ_CHECK(e->label != NULL && strncmp(e->label, "override ", 9) == 0, "bad label");
	l->n++;
	if (e->port == FUZZ_PORT && strcasecmp(e->host, FUZZ_HOST ".") == 0)
		l->n_dotted++;
	if (e->port == FUZZ_PORT && strcasecmp(e->host, FUZZ_HOST) == 0) {
		l->n_ours++;
		if (memcmp(e->sha256, l->sha256, UCT_SHA256_LEN) == 0)
			l->n_mine++;
	}
	return l->n >= FUZZ_MAX_ENTRIES;
}

static struct ovr_listing ovr_listing(struct uct_store *store, const unsigned char *sha256)
{
	struct ovr_listing l = {.sha256 = sha256};
	struct uct_err err = {0};

	UCT_FUZZ_CHECK(store->ops->list(store, ovr_entry, &l, &err) == 0, err.msg);
	return l;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uct_cert cert = {0};
	struct uct_anchor anchor = {
		.cert = &cert, .trust = UCT_TRUST_OVERRIDE, .host = FUZZ_HOST, .port = FUZZ_PORT};
	struct ovr_listing before, added, removed;
	struct uct_err err = {0};
	struct uct_store *store;
	size_t i;

	for (i = 0; i < UCT_SHA256_LEN; i++)
		cert.sha256[i] = (unsigned char)(0xA0 + i);
	uct_fuzz_file("cert_override.txt", data, size);
	store = uct_store_override_new(uct_fuzz_dir(), "firefox:fuzz", &err);
	UCT_FUZZ_CHECK(store != NULL, err.msg);
	UCT_FUZZ_CHECK(store->ops->open(store, 1, &err) == 0 && !store->busy, "profile busy");

	before = ovr_listing(store, cert.sha256);
	if (before.n >= FUZZ_MAX_ENTRIES)
		goto out;
	UCT_FUZZ_CHECK(store->ops->add(store, &anchor, &err) == 0, err.msg);
	added = ovr_listing(store, cert.sha256);
	/* Exactly our line for host:port, its companion listed with it; every
	 * other line kept. */
	UCT_FUZZ_CHECK(added.n_ours == 1 && added.n_mine == 1, "not exactly one exception of ours");
	UCT_FUZZ_CHECK(added.n_dotted == 0, "the companion line is listed on its own");
	UCT_FUZZ_CHECK(added.n == before.n - before.n_ours - before.n_dotted + 1,
		       "add changed other lines");

	UCT_FUZZ_CHECK(store->ops->remove(store, &anchor, &err) == 0, err.msg);
	removed = ovr_listing(store, cert.sha256);
	UCT_FUZZ_CHECK(removed.n_mine == 0 && removed.n_ours == 0 && removed.n_dotted == 0,
		       "our exception or its companion survived remove");
	UCT_FUZZ_CHECK(removed.n == added.n - 1, "remove changed other lines");
out:
	store->ops->destroy(store);
	return 0;
}
