/*
 * trustcheck.c: runs the agent's check of a signed trust document
 * (uct_trustdoc_check) on files, so that the tests put the Linux build
 * (OpenSSL) and the Windows build (BCrypt, under Wine) to the same cases.
 *
 *   uct-trustcheck DOCUMENT KEY.pem LAST_SERIAL NOW
 *
 * Prints "ok serial=N approvals=N" and one line per approval, or
 * "refused FAULT: message"; exits 0, 1 when refused, 2 on bad usage.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "platform.h"

static void print_approval(const struct uct_trust_approval *a)
{
	static const char *const kinds[] = {[UCT_TRUST_KIND_ENDPOINT] = "endpoint",
					    [UCT_TRUST_KIND_HOST] = "host",
					    [UCT_TRUST_KIND_CA] = "ca"};
	size_t i;

	printf("%" PRId64 " %s %s %u %s", a->id, kinds[a->kind], a->host ? a->host : "-", a->port,
	       a->sha256);
	for (i = 0; i < a->hosts.n; i++)
		printf(" %s", a->hosts.v[i]);
	printf("\n");
}

int main(int argc, char **argv)
{
	char *body = NULL, *key = NULL;
	size_t body_len = 0, key_len = 0, i;
	struct uct_err err = {0};
	struct uct_trustdoc *doc = NULL;
	enum uct_trustdoc_fault fault;

	if (argc != 5) {
		fprintf(stderr, "usage: uct-trustcheck DOCUMENT KEY.pem LAST_SERIAL NOW\n");
		return 2;
	}
	if (uct_file_read(argv[1], 1u << 21, &body, &body_len, &err) < 0 ||
	    uct_file_read(argv[2], 1u << 16, &key, &key_len, &err) < 0) {
		fprintf(stderr, "uct-trustcheck: %s\n", err.msg);
		return 2;
	}
	if (uct_trustdoc_check(body, body_len, key, strtoll(argv[3], NULL, 10),
			       strtoll(argv[4], NULL, 10), &doc, &fault, &err) < 0) {
		printf("refused %s: %s\n", uct_trustdoc_fault_name(fault), err.msg);
	} else {
		printf("ok serial=%" PRId64 " approvals=%zu\n", doc->serial, doc->n);
		for (i = 0; i < doc->n; i++)
			print_approval(&doc->approvals[i]);
	}
	uct_trustdoc_free(doc);
	free(body);
	free(key);
	return fault == UCT_TRUSTDOC_OK ? 0 : 1;
}
