/*
 * certdump.c: print every field of struct uct_cert for the certificates of
 * PEM/DER files. Built on Linux (OpenSSL) and Windows (crypt32), so a test
 * can compare the two parsers' dumps of the same files line by line.
 */
#include <inttypes.h>
#include <stdio.h>

#include "platform.h"

static void dump_strv(const char *name, const struct uct_strv *sv)
{
	size_t i;

	printf("%s:", name);
	for (i = 0; i < sv->n; i++)
		printf(" %s", sv->v[i]);
	printf("\n");
}

/* The same check on copies whose originals are gone: a copy holds its own
 * reference to the parser's decoded certificate. */
static int signed_by_copies(const struct uct_cert *child, const struct uct_cert *issuer)
{
	struct uct_cert *c = uct_cert_dup(child), *i = uct_cert_dup(issuer);
	struct uct_cert *c2 = uct_cert_dup(c), *i2 = uct_cert_dup(i);
	int ok;

	uct_cert_free(c);
	uct_cert_free(i);
	ok = c2 != NULL && i2 != NULL ? uct_cert_signed_by(c2, i2) : -1;
	uct_cert_free(c2);
	uct_cert_free(i2);
	return ok;
}

/* The same check on copies without the parser's handle: decoded from DER. */
static int signed_by_decoded(const struct uct_cert *child, const struct uct_cert *issuer)
{
	struct uct_cert *c = uct_cert_dup(child), *i = uct_cert_dup(issuer);
	int ok = -1;

	if (c != NULL && i != NULL) {
		uct_cert_native_free(c->native);
		uct_cert_native_free(i->native);
		c->native = i->native = NULL;
		ok = uct_cert_signed_by(c, i);
	}
	uct_cert_free(c);
	uct_cert_free(i);
	return ok;
}

static void dump_cert(const struct uct_cert *c, const struct uct_cert *prev)
{
	char fp[UCT_FP_STRLEN];

	uct_fp_format(c->sha256, fp);
	printf("sha256: %s\n", fp);
	printf("der_len: %zu\n", c->der_len);
	printf("subject: %s\n", c->subject ? c->subject : "(null)");
	printf("issuer: %s\n", c->issuer ? c->issuer : "(null)");
	printf("subject_cn: %s\n", c->subject_cn ? c->subject_cn : "(null)");
	printf("serial: %s\n", c->serial_hex ? c->serial_hex : "(null)");
	dump_strv("san_dns", &c->san_dns);
	dump_strv("san_ip", &c->san_ip);
	printf("validity: %" PRId64 " %" PRId64 "\n", c->not_before, c->not_after);
	printf("key: %d %d\n", (int)c->key_type, c->key_bits);
	printf("sig_alg: %s\n", c->sig_alg);
	printf("version: %d\n", c->version);
	printf("basic_constraints: %d ca=%d claim=%d may_be_issuer=%d\n", c->has_basic_constraints,
	       c->is_ca, (int)uct_cert_ca_claim(c), uct_cert_may_be_issuer(c, 0));
	printf("key_usage: %d 0x%x\n", c->has_key_usage, c->key_usage);
	printf("eku: %d server_auth=%d\n", c->has_eku, c->eku_server_auth);
	printf("self_issued: %d self_signed: %d\n", c->self_issued, c->self_signed);
	printf("unknown_critical: %d\n", c->unknown_critical);
	printf("aia_ca_issuers: %s\n", c->aia_ca_issuers ? c->aia_ca_issuers : "(null)");
	if (prev != NULL)
		printf("signs_previous: %d copies: %d decoded: %d\n", uct_cert_signed_by(prev, c),
		       signed_by_copies(prev, c), signed_by_decoded(prev, c));
}

int main(int argc, char **argv)
{
	struct uct_chain chain = {0};
	struct uct_err err = {0};
	size_t i;
	int a, rc = 0;

	for (a = 1; a < argc; a++) {
		if (uct_cert_read_file(argv[a], &chain, &err) < 0) {
			fprintf(stderr, "certdump: %s\n", err.msg);
			uct_err_clear(&err);
			rc = 1;
			continue;
		}
		for (i = 0; i < chain.n; i++) {
			printf("== %s #%zu\n", argv[a], i);
			dump_cert(chain.certs[i], i > 0 ? chain.certs[i - 1] : NULL);
		}
		uct_chain_clear(&chain);
	}
	return rc;
}
