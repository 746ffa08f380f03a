/*
 * testsig.c: keys and signed trust documents for the tests (testsig.h),
 * written in the canonical form itself (sorted members, no white space),
 * so that the signature covers exactly what the agent recomputes.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "testsig.h"

void *uct_testsig_key(const char *curve, const char *pub_path)
{
	EVP_PKEY *key = EVP_EC_gen(curve);
	FILE *f;

	ck_assert_ptr_nonnull(key);
	f = fopen(pub_path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(PEM_write_PUBKEY(f, key), 1);
	ck_assert_int_eq(fclose(f), 0);
	return key;
}

void uct_testsig_free_key(void *key)
{
	EVP_PKEY_free(key);
}

static void testsig_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	ck_assert_ptr_nonnull(gmtime_r(&tt, &tm));
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The base64 DER signature of data by key, in a new string. */
static char *testsig_sign(EVP_PKEY *key, const char *data)
{
	unsigned char sig[160];
	size_t sig_len = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char *b64 = malloc(4 * ((sizeof(sig) + 2) / 3) + 1);

	ck_assert_ptr_nonnull(md);
	ck_assert_ptr_nonnull(b64);
	ck_assert_int_eq(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
	ck_assert_int_eq(EVP_DigestSign(md, sig, &sig_len, (const unsigned char *)data,
					strlen(data)),
			 1);
	EVP_EncodeBlock((unsigned char *)b64, sig, (int)sig_len);
	EVP_MD_CTX_free(md);
	return b64;
}

/* The key id the collector writes: hex SHA-256 of the public point. */
static void testsig_key_id(EVP_PKEY *key, char out[65])
{
	unsigned char point[65], hash[32];
	size_t len = 0, i;

	ck_assert_int_eq(EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
							 point, sizeof(point), &len),
			 1);
	ck_assert_uint_eq(len, sizeof(point));
	SHA256(point, len, hash);
	for (i = 0; i < sizeof(hash); i++)
		snprintf(out + 2 * i, 3, "%02x", hash[i]);
}

char *uct_testsig_doc(void *key, int64_t serial, int64_t issued, int64_t expires, const char *host,
		      const char *sha256)
{
	char issued_s[32], expires_s[32], approvals[512], canon[1024], key_id[65], *sig, *doc;
	size_t n;

	testsig_key_id(key, key_id);
	testsig_time(issued, issued_s);
	testsig_time(expires, expires_s);
	if (host != NULL)
		snprintf(approvals, sizeof(approvals),
			 "{\"approved_at\":\"%s\",\"host\":\"%s\",\"id\":1,\"kind\":\"host\","
			 "\"sha256\":\"%s\"}",
			 issued_s, host, sha256);
	else
		approvals[0] = '\0';
	/* The members in byte order: "signature" goes between "serial" and
	 * "version". */
	snprintf(canon, sizeof(canon),
		 "{\"approvals\":[%s],\"expires_at\":\"%s\",\"issued_at\":\"%s\",\"key_id\":\"%s\","
		 "\"serial\":%lld,\"version\":1}",
		 approvals, expires_s, issued_s, key_id, (long long)serial);
	sig = testsig_sign(key, canon);
	n = strlen(canon) + strlen(sig) + 32;
	doc = malloc(n);
	ck_assert_ptr_nonnull(doc);
	snprintf(doc, n, "%.*s\"signature\":\"%s\",\"version\":1}",
		 (int)(strlen(canon) - strlen("\"version\":1}")), canon, sig);
	free(sig);
	return doc;
}
