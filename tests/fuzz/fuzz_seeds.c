/*
 * fuzz_seeds.c: writes the generated seed corpora of the fuzz targets into
 * DIR/TARGET/: certificates of many shapes from the test suite's factory
 * (public parts only, never a key), and a state file, a verification cache
 * and a cert_override.txt written by the product's own code, so that the
 * seeds follow the file formats as they change.
 *
 *	uct-fuzz-seeds DIR
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/x509v3.h>

#include "platform.h"
#include "state.h"
#include "testcert.h"
#include "vcache.h"

static const char *seeds_dir;

static int seeds_mkdir(const char *target, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", seeds_dir, target);
	if (mkdir(seeds_dir, 0700) != 0 && errno != EEXIST)
		return -1;
	return mkdir(path, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* Replace the SAN of tc by one dNSName of raw bytes (a newline, bytes that
 * are not UTF-8, a NUL...) and sign again: what a hostile server sends. */
static int seeds_raw_san(struct uct_testcert *tc, const char *bytes, size_t len)
{
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
	unsigned char *der = NULL;
	int ok = gens && gn && ia5 && ASN1_STRING_set(ia5, bytes, (int)len);

	if (ok) {
		GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
		ia5 = NULL;
		ok = sk_GENERAL_NAME_push(gens, gn) > 0;
		if (ok)
			gn = NULL;
	}
	ok = ok &&
	     X509_add1_ext_i2d(tc->x509, NID_subject_alt_name, gens, 0, X509V3_ADD_REPLACE) == 1;
	ok = ok && X509_sign(tc->x509, tc->key, EVP_sha256()) > 0;
	ASN1_IA5STRING_free(ia5);
	GENERAL_NAME_free(gn);
	GENERAL_NAMES_free(gens);
	if (ok) {
		int n = i2d_X509(tc->x509, &der);

		ok = n > 0;
		if (ok) {
			free(tc->der);
			tc->der = malloc((size_t)n);
			ok = tc->der != NULL;
			if (ok) {
				memcpy(tc->der, der, (size_t)n);
				tc->der_len = (size_t)n;
			}
		}
		OPENSSL_free(der);
	}
	return ok ? 0 : -1;
}

/* An X.509 v1 certificate: no extensions at all. */
static int seeds_v1(struct uct_testcert *tc)
{
	while (X509_get_ext_count(tc->x509) > 0)
		X509_EXTENSION_free(X509_delete_ext(tc->x509, 0));
	return X509_set_version(tc->x509, X509_VERSION_1) == 1 ? seeds_raw_san(tc, "", 0) : -1;
}

struct seed_shape {
	const char *file;
	struct uct_testcert_spec spec;
	const char *raw_san; /* with raw_len: replaces the SAN */
	size_t raw_len;
	int v1;
};

static int seeds_certs(void)
{
	static const char long_name[] =
		"a123456789012345678901234567890123456789012345678901234567890123.example.com";
	const struct seed_shape shapes[] = {
		{.file = "selfsigned.der", .spec = {.cn = "uccx1.example.com"}},
		{.file = "selfsigned-ca.der", .spec = {.cn = "uccx1.example.com", .is_ca = 1}},
		{.file = "ca-pathlen.der",
		 .spec = {.cn = "Lab CA", .is_ca = 1, .pathlen = 1, .no_san = 1}},
		{.file = "no-bc.der",
		 .spec = {.cn = "uccx1.example.com", .no_basic_constraints = 1}},
		{.file = "no-san.der", .spec = {.cn = "uccx1.example.com", .no_san = 1}},
		{.file = "no-cn.der",
		 .spec = {.sans = (const char *const[]){"uccx1.example.com", NULL}}},
		{.file = "wildcard.der",
		 .spec = {.cn = "*.example.com",
			  .sans = (const char *const[]){"*.example.com", "*.com", "f*.example.com",
							"*.*.example.com", NULL}}},
		{.file = "ip.der",
		 .spec = {.cn = "10.0.0.5",
			  .sans = (const char *const[]){"10.0.0.5", "::1", NULL}}},
		{.file = "many.der",
		 .spec = {.cn = "uccx1.example.com",
			  .sans = (const char *const[]){"uccx1.example.com", "UCCX2.Example.Com.",
							"chat.example.com", long_name, "x", NULL}}},
		{.file = "eku-none.der",
		 .spec = {.cn = "uccx1.example.com", .eku = UCT_TESTCERT_EKU_NONE}},
		{.file = "eku-client.der",
		 .spec = {.cn = "uccx1.example.com", .eku = UCT_TESTCERT_EKU_CLIENT}},
		{.file = "keycertsign.der", .spec = {.cn = "uccx1.example.com", .key_usage = 0x20}},
		{.file = "critical.der",
		 .spec = {.cn = "uccx1.example.com", .critical_unknown = 1}},
		{.file = "expired.der",
		 .spec = {.cn = "uccx1.example.com",
			  .not_before = 1000000000,
			  .not_after = 1100000000}},
		{.file = "gentime.der",
		 .spec = {.cn = "uccx1.example.com",
			  .generalized_time = 1,
			  .not_before = -100000000,
			  .not_after = 4102444800}},
		{.file = "aia.der",
		 .spec = {.cn = "uccx1.example.com", .aia_url = "http://ca.example.com/ca.crt"}},
		{.file = "sha1.der", .spec = {.cn = "uccx1.example.com", .digest = "sha1"}},
		{.file = "ed25519.der",
		 .spec = {.cn = "uccx1.example.com", .key_type = UCT_TESTCERT_ED25519}},
		{.file = "san-newline.der",
		 .spec = {.cn = "uccx1.example.com"},
		 .raw_san = "uccx1.example.com\nseen\tuccx1.example.com:8445",
		 .raw_len = 45},
		{.file = "san-latin1.der",
		 .spec = {.cn = "uccx1.example.com"},
		 .raw_san = "caf\xe9.example.com",
		 .raw_len = 16},
		{.file = "san-escape.der",
		 .spec = {.cn = "uccx1.example.com"},
		 .raw_san = "\x1b[2Juccx1.example.com",
		 .raw_len = 21},
		{.file = "san-nul.der",
		 .spec = {.cn = "uccx1.example.com"},
		 .raw_san = "uccx1.example.com\0.evil.example",
		 .raw_len = 31},
		{.file = "v1.der", .spec = {.cn = "uccx1.example.com", .no_san = 1}, .v1 = 1},
	};
	char dir[1024], path[1200];
	size_t i;

	if (seeds_mkdir("cert_names", dir, sizeof(dir)) < 0)
		return -1;
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		struct uct_testcert_spec spec = shapes[i].spec;
		struct uct_testcert *tc;
		int rc = 0;

		/* EC keys unless the shape is about the key: fast to make. */
		if (spec.key_type == UCT_TESTCERT_RSA)
			spec.key_type = UCT_TESTCERT_EC;
		tc = uct_testcert_make(&spec);
		if (tc == NULL)
			return -1;
		if (shapes[i].v1)
			rc = seeds_v1(tc);
		else if (shapes[i].raw_san != NULL)
			rc = seeds_raw_san(tc, shapes[i].raw_san, shapes[i].raw_len);
		snprintf(path, sizeof(path), "%s/%s", dir, shapes[i].file);
		if (rc == 0)
			rc = uct_testcert_write_der(tc, path);
		uct_testcert_free(tc);
		if (rc != 0) {
			fprintf(stderr, "uct-fuzz-seeds: cannot make %s\n", path);
			return -1;
		}
	}
	return 0;
}

/* A state with every kind of record, and its PATH.last, as the agent
 * writes them. */
static int seeds_state(struct uct_cert *leaf)
{
	struct uct_state st = {0};
	struct uct_err err = {0};
	char dir[1024], path[1200], last[1300];
	int rc;

	if (seeds_mkdir("state_load", dir, sizeof(dir)) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/state", dir);
	st.last_run = 1800000000;
	st.last_command = uct_strdup("install");
	st.last_summary = uct_strdup("11/13 endpoints trusted");
	rc = uct_state_set_seen(&st, "uccx1.example.com:8445", leaf, 1790000000) |
	     uct_state_set_seen(&st, "uccx1.example.com:443", leaf, 1790000000) |
	     uct_state_add_installed(&st, "nss:/home/u/.pki/nssdb", leaf->sha256, UCT_TRUST_PEER,
				     "uccx1.example.com:8445") |
	     uct_state_add_installed(&st, "nss:/home/u/.pki/nssdb", leaf->sha256, UCT_TRUST_PEER,
				     "uccx1.example.com:443") |
	     uct_state_add_installed(&st, "ff-override:/home/u/.mozilla/firefox/a.default",
				     leaf->sha256, UCT_TRUST_OVERRIDE, "uccx1.example.com:8445");
	if (rc == 0)
		rc = uct_state_save(path, &st, &err);
	/* Unchanged records: the second save writes only PATH.last. */
	st.last_exit = 1;
	if (rc == 0)
		rc = uct_state_save(path, &st, &err);
	snprintf(last, sizeof(last), "%s.last", path);
	if (rc == 0) {
		snprintf(path, sizeof(path), "%s/last", dir);
		rc = rename(last, path);
	}
	uct_state_free(&st);
	return rc;
}

static int seeds_vcache(struct uct_cert *leaf)
{
	struct uct_vcache c = {0};
	struct uct_vcache_store *rec;
	struct uct_store_entry owned[2] = {
		{.trust = UCT_TRUST_PEER},
		{.trust = UCT_TRUST_OVERRIDE, .host = "uccx1.example.com", .port = 8445},
	};
	struct uct_verify_result yes = {.trusted = 1}, no = {.code = "SEC_ERROR_UNKNOWN_ISSUER",
							     .detail = "Peer's certificate issuer"};
	struct uct_chain chain = {.certs = &leaf, .n = 1};
	struct uct_err err = {0};
	unsigned char digest[UCT_SHA256_LEN] = {1, 2, 3};
	char dir[1024], path[1200];
	int rc = -1;

	if (seeds_mkdir("vcache_load", dir, sizeof(dir)) < 0)
		return -1;
	memcpy(owned[0].sha256, leaf->sha256, UCT_SHA256_LEN);
	memcpy(owned[1].sha256, leaf->sha256, UCT_SHA256_LEN);
	rec = uct_vcache_put(&c, "nss:/home/u/.pki/nssdb", digest, 1800000000, owned, 2);
	if (rec != NULL && uct_vcache_add_answer(&c, rec, &chain, "uccx1.example.com", &yes) == 0 &&
	    uct_vcache_add_answer(&c, rec, &chain, "uccx2.example.com", &no) == 0 &&
	    uct_vcache_put(&c, "ff-override:/p", digest, 1799990000, NULL, 0) != NULL) {
		snprintf(path, sizeof(path), "%s/verify-cache", dir);
		rc = uct_vcache_save(path, &c, &err);
	}
	uct_vcache_free(&c);
	return rc;
}

/* Firefox's file with our exception, another site's, and a line of a
 * container (the user's, never touched). */
static int seeds_override(struct uct_cert *leaf)
{
	struct uct_anchor anchor = {.cert = leaf,
				    .trust = UCT_TRUST_OVERRIDE,
				    .host = "uccx1.example.com",
				    .port = 8445};
	struct uct_err err = {0};
	struct uct_store *store;
	char dir[1024], path[1200];
	FILE *f;
	int rc = -1;

	if (seeds_mkdir("override", dir, sizeof(dir)) < 0)
		return -1;
	store = uct_store_override_new(dir, "firefox:seed", &err);
	if (store != NULL && store->ops->add(store, &anchor, &err) == 0) {
		anchor.host = "chat.example.com";
		anchor.port = 443;
		rc = store->ops->add(store, &anchor, &err);
	}
	if (store != NULL)
		store->ops->destroy(store);
	snprintf(path, sizeof(path), "%s/cert_override.txt", dir);
	f = rc == 0 ? fopen(path, "a") : NULL;
	if (f == NULL)
		return -1;
	fputs("uccx1.example.com:8445:^userContextId=2\tOID.2.16.840.1.101.3.4.2.1\t"
	      "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
	      "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\t\n",
	      f);
	return fclose(f) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct uct_testcert *tc;
	struct uct_cert *leaf;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: uct-fuzz-seeds DIR\n");
		return 2;
	}
	seeds_dir = argv[1];
	tc = uct_testcert_make(&(struct uct_testcert_spec){.cn = "uccx1.example.com",
							   .key_type = UCT_TESTCERT_EC});
	leaf = tc != NULL ? uct_testcert_to_uct(tc) : NULL;
	rc = leaf == NULL || seeds_certs() < 0 || seeds_state(leaf) < 0 || seeds_vcache(leaf) < 0 ||
	     seeds_override(leaf) < 0;
	uct_cert_free(leaf);
	uct_testcert_free(tc);
	uct_testcert_cleanup();
	if (rc)
		fprintf(stderr, "uct-fuzz-seeds: could not write the seeds in %s\n", seeds_dir);
	return rc;
}
