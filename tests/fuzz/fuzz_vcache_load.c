/*
 * fuzz_vcache_load.c: libFuzzer target for the verification cache loader
 * (agent/vcache.c). A cache that loads is saved, loaded and saved again:
 * both files must be the same bytes, and its answers usable by lookups.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "platform.h"
#include "vcache.h"

/* A run's clock: 2027-01-15. */
#define FUZZ_NOW INT64_C(1800000000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *vcache_file(const char *name, size_t *len)
{
	struct uct_err err = {0};
	char *text = NULL;

	UCT_FUZZ_CHECK(uct_file_read(uct_fuzz_path(name), 1u << 22, &text, len, &err) == 0,
		       err.msg);
	return text;
}

static void vcache_check(const struct uct_vcache *c)
{
	struct uct_cert cert = {0};
	struct uct_cert *certs[1] = {&cert};
	struct uct_chain chain = {.certs = certs, .n = 1};
	const struct uct_vcache_store *found;
	size_t i, k;

	for (i = 0; i < c->n; i++) {
		const struct uct_vcache_store *rec = &c->stores[i];

		UCT_FUZZ_CHECK(rec->store_id != NULL && strpbrk(rec->store_id, "\t\n") == NULL,
			       "a store id holding a separator");
		/* Only a record of the last UCT_VCACHE_MAX_AGE seconds is used,
		 * whatever time the file claims. */
		found = uct_vcache_find(c, rec->store_id, rec->digest, FUZZ_NOW);
		UCT_FUZZ_CHECK(found == NULL ||
				       (found->checked_at <= FUZZ_NOW &&
					found->checked_at >= FUZZ_NOW - UCT_VCACHE_MAX_AGE),
			       "a record used outside its time");
		for (k = 0; k < rec->n_owned; k++)
			UCT_FUZZ_CHECK(rec->owned[k].port >= 0 && rec->owned[k].port <= 65535,
				       "an owned entry with a port out of range");
		for (k = 0; k < rec->n_answers; k++) {
			const struct uct_vcache_answer *a = &rec->answers[k];

			UCT_FUZZ_CHECK(a->host != NULL && a->chain_n > 0,
				       "an answer without a question");
			UCT_FUZZ_CHECK(a->result.trusted == 0 || a->result.trusted == 1,
				       "trusted not 0/1");
			if (a->chain_n != 1)
				continue;
			memcpy(cert.sha256, a->chain[0], UCT_SHA256_LEN);
			(void)uct_vcache_answer(rec, &chain, a->host, a->valid_from);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = uct_fuzz_file("verify-cache", data, size);
	struct uct_vcache c, again;
	struct uct_err err = {0};
	char *first, *second;
	size_t first_len, second_len;

	UCT_FUZZ_CHECK(uct_vcache_load(path, &c) == 0, "the loader failed");
	vcache_check(&c);
	if (c.n == 0)
		goto out;
	UCT_FUZZ_CHECK(uct_vcache_save(uct_fuzz_path("verify-cache2"), &c, &err) == 0, err.msg);
	UCT_FUZZ_CHECK(uct_vcache_load(uct_fuzz_path("verify-cache2"), &again) == 0,
		       "reload failed");
	UCT_FUZZ_CHECK(again.n == c.n, "records lost by a save and a load");
	UCT_FUZZ_CHECK(uct_vcache_save(uct_fuzz_path("verify-cache3"), &again, &err) == 0, err.msg);
	first = vcache_file("verify-cache2", &first_len);
	second = vcache_file("verify-cache3", &second_len);
	UCT_FUZZ_CHECK(first_len == second_len && memcmp(first, second, first_len) == 0,
		       "a saved cache changes when loaded and saved again");
	free(first);
	free(second);
	/* A clock of today: whatever the file says, only recent records stay. */
	uct_vcache_prune(&again, FUZZ_NOW);
	for (size_t i = 0; i < again.n; i++)
		UCT_FUZZ_CHECK(again.stores[i].checked_at >= FUZZ_NOW - UCT_VCACHE_MAX_AGE,
			       "prune kept a record too old to be used");
	uct_vcache_free(&again);
out:
	uct_vcache_free(&c);
	return 0;
}
