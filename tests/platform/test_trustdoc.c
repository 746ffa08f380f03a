/*
 * test_trustdoc.c: the check of the collector's signed trust document
 * (platform/common/trustdoc.c) with the platform's signature check
 * (platform/linux/sig_ossl.c). Keys come from `openssl ecparam`, documents
 * are signed by `openssl dgst -sha256 -sign` over the canonical bytes that
 * Python's json.dumps writes (tests/tools/sign_trustdoc.py), in a
 * temporary directory made at start.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform.h"

#define ISSUED 1796472600  /* 2026-12-05T12:10:00Z */
#define EXPIRES 1797077400 /* 2026-12-12T12:10:00Z */
#define NOW (ISSUED + 3600)
#define FP_A \
	"A3:DC:C7:94:01:F6:79:53:C4:98:F2:03:A1:59:F0:C2:D2:AA:71:66:D3:C9:1A:B5:01:34:62:BF:39:AB:84:3B"

static char dir[] = "/tmp/uct-trustdoc.XXXXXX";

/* version, serial, issued_at, expires_at and one approval of each kind
 * (the host's fingerprint bare and in lower case). */
#define DOC_FMT                                                                                 \
	"{\"version\":%d,\"serial\":%d,\"issued_at\":\"2026-12-05T12:10:00Z\","                 \
	"\"expires_at\":\"2026-12-12T12:10:00Z\",\"approvals\":["                               \
	"{\"id\":1,\"kind\":\"endpoint\",\"endpoint\":\"%s\",\"sha256\":\"" FP_A "\","          \
	"\"approved_at\":\"2026-12-05T12:01:10Z\"},"                                            \
	"{\"id\":3,\"kind\":\"host\",\"host\":\"uccx2.example.com\",\"sha256\":"                \
	"\"465d000000000000000000000000000000000000000000000000000000000001\","                 \
	"\"approved_at\":\"2026-12-05T12:05:34Z\"},"                                            \
	"{\"id\":2,\"kind\":\"ca\",\"ca_pem\":\"-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END " \
	"CERTIFICATE-----\\n\",\"hosts\":[\"uccx1.example.com\",\"uccx2.example.com\"],"        \
	"\"sha256\":\"" FP_A "\",\"approved_at\":\"2026-12-05T12:06:00Z\"}]}"

/* Runs fmt with the directory and arg; 0 when it succeeded. */
static int run(const char *fmt, const char *arg)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), fmt, dir, arg);
	if (system(cmd) == 0)
		return 0;
	fprintf(stderr, "failed: %s\n", cmd);
	return -1;
}

static void sh(const char *fmt, const char *arg)
{
	ck_assert_int_eq(run(fmt, arg), 0);
}

static char *slurp(const char *name, size_t *len)
{
	char path[256], *buf = NULL;
	struct uct_err err = {0};

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_msg(uct_file_read(path, 1 << 20, &buf, len, &err) == 0, "%s", err.msg);
	return buf;
}

/* The document of DOC_FMT with these values, signed by key NAME.pem. */
static char *signed_doc(int version, int serial, const char *endpoint, const char *key, size_t *len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/in.json", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fprintf(f, DOC_FMT, version, serial, endpoint);
	fclose(f);
	sh("cd %s && python3 \"$UCT_SOURCE_DIR/tests/tools/sign_trustdoc.py\" %s.pem in.json "
	   "out.json",
	   key);
	return slurp("out.json", len);
}

static int check(const char *body, size_t len, const char *pub, int64_t last, int64_t now,
		 enum uct_trustdoc_fault *fault, struct uct_err *err)
{
	size_t klen;
	char *key = slurp(pub, &klen);
	struct uct_trustdoc *doc = NULL;
	int rc;

	uct_err_clear(err);
	rc = uct_trustdoc_check(body, len, key, last, now, &doc, fault, err);
	ck_assert_int_eq(rc == 0, doc != NULL);
	ck_assert_int_eq(rc == 0, *fault == UCT_TRUSTDOC_OK);
	ck_assert_int_eq(rc == 0, err->msg[0] == '\0');
	uct_trustdoc_free(doc);
	free(key);
	return rc;
}

START_TEST(test_verifies)
{
	size_t len;
	char *body = signed_doc(1, 5, "uccx1.example.com:8445", "key", &len);
	enum uct_trustdoc_fault fault;
	struct uct_trustdoc *doc = NULL;
	struct uct_err err = {0};
	char *key = slurp("pub.pem", &(size_t){0});
	const struct uct_trust_approval *a;

	ck_assert_msg(uct_trustdoc_check(body, len, key, 4, NOW, &doc, &fault, &err) == 0, "%s",
		      err.msg);
	ck_assert_int_eq(doc->serial, 5);
	ck_assert_int_eq(doc->issued_at, ISSUED);
	ck_assert_int_eq(doc->expires_at, EXPIRES);
	ck_assert_uint_eq(doc->n, 3);
	a = &doc->approvals[0];
	ck_assert_int_eq(a->kind, UCT_TRUST_KIND_ENDPOINT);
	ck_assert_int_eq(a->id, 1);
	ck_assert_str_eq(a->host, "uccx1.example.com");
	ck_assert_uint_eq(a->port, 8445);
	ck_assert_str_eq(a->sha256, FP_A);
	ck_assert_int_eq(a->approved_at, 1796472070);
	a = &doc->approvals[1];
	ck_assert_int_eq(a->kind, UCT_TRUST_KIND_HOST);
	ck_assert_str_eq(a->host, "uccx2.example.com");
	ck_assert_uint_eq(a->port, 0);
	ck_assert_str_eq(a->sha256, "46:5D:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:"
				    "00:00:00:00:00:00:00:00:00:00:00:01");
	a = &doc->approvals[2];
	ck_assert_int_eq(a->kind, UCT_TRUST_KIND_CA);
	ck_assert_ptr_null(a->host);
	ck_assert_uint_eq(a->hosts.n, 2);
	ck_assert_str_eq(a->hosts.v[1], "uccx2.example.com");
	ck_assert_str_eq(a->ca_pem,
			 "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
	uct_trustdoc_free(doc);
	/* The same document again (equal serial) is accepted. */
	ck_assert_int_eq(check(body, len, "pub.pem", 5, NOW, &fault, &err), 0);
	free(key);
	free(body);
}
END_TEST

/* No byte of the document may change: every single flipped bit is refused,
 * as malformed or, where it still parses, as a signature that fails (a
 * flip inside "key_id" then names another key, and says so). */
START_TEST(test_flipped_document_byte)
{
	size_t len, i, bad_sig = 0;
	char *body = signed_doc(1, 5, "uccx1.example.com:8445", "key", &len);
	enum uct_trustdoc_fault fault;
	struct uct_err err;

	for (i = 0; i < len; i++) {
		body[i] ^= 1;
		ck_assert_msg(check(body, len, "pub.pem", 0, NOW, &fault, &err) == -1,
			      "accepted with byte %zu flipped", i);
		ck_assert(fault == UCT_TRUSTDOC_MALFORMED || fault == UCT_TRUSTDOC_BAD_SIGNATURE ||
			  (fault == UCT_TRUSTDOC_OTHER_KEY &&
			   i > (size_t)(strstr(body, "key_id") - body)));
		bad_sig += fault == UCT_TRUSTDOC_BAD_SIGNATURE;
		body[i] ^= 1;
	}
	/* Most flips inside strings and numbers still parse. */
	ck_assert_uint_gt(bad_sig, len / 3);
	/* One value changed in place: the serial. */
	memcpy(strstr(body, "\"serial\": 5"), "\"serial\": 6", 11);
	ck_assert_int_eq(check(body, len, "pub.pem", 0, NOW, &fault, &err), -1);
	ck_assert_int_eq(fault, UCT_TRUSTDOC_BAD_SIGNATURE);
	ck_assert_ptr_nonnull(strstr(err.msg, "was changed after the collector signed it"));
	free(body);
}
END_TEST

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t unbase64(const char *s, size_t n, unsigned char *out)
{
	size_t i, o = 0;
	unsigned long q = 0;
	int bits = 0;

	for (i = 0; i < n && s[i] != '='; i++) {
		q = q << 6 | (unsigned long)(strchr(b64, s[i]) - b64);
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(q >> bits);
		}
	}
	return o;
}

static void base64(const unsigned char *in, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i += 3) {
		unsigned long q = (unsigned long)in[i] << 16 | (i + 1 < n ? in[i + 1] << 8 : 0) |
				  (i + 2 < n ? in[i + 2] : 0);

		*out++ = b64[q >> 18 & 63];
		*out++ = b64[q >> 12 & 63];
		*out++ = i + 1 < n ? b64[q >> 6 & 63] : '=';
		*out++ = i + 2 < n ? b64[q & 63] : '=';
	}
	*out = '\0';
}

/* Every bit of every byte of the DER signature flipped, re-encoded in
 * valid base64 in place: never verifies. */
START_TEST(test_flipped_signature_byte)
{
	size_t len, b64_len, der_len, i;
	char *body = signed_doc(1, 5, "uccx1.example.com:8445", "key", &len);
	char *sig = strstr(body, "\"signature\": \"") + 14, *copy = malloc(len + 1);
	unsigned char der[128];
	enum uct_trustdoc_fault fault;
	struct uct_err err;
	int bit;

	b64_len = (size_t)(strchr(sig, '"') - sig);
	der_len = unbase64(sig, b64_len, der);
	ck_assert_uint_ge(der_len, 8);
	for (i = 0; i < der_len; i++)
		for (bit = 0; bit < 8; bit++) {
			char enc[200];

			der[i] ^= (unsigned char)(1u << bit);
			base64(der, der_len, enc);
			memcpy(copy, body, len + 1);
			memcpy(copy + (sig - body), enc, b64_len);
			ck_assert_msg(check(copy, len, "pub.pem", 0, NOW, &fault, &err) == -1,
				      "accepted with bit %d of byte %zu flipped", bit, i);
			ck_assert_int_eq(fault, UCT_TRUSTDOC_BAD_SIGNATURE);
			der[i] ^= (unsigned char)(1u << bit);
		}
	free(copy);
	free(body);
}
END_TEST

START_TEST(test_expired_and_not_yet)
{
	size_t len;
	char *body = signed_doc(1, 5, "uccx1.example.com:8445", "key", &len);
	enum uct_trustdoc_fault fault;
	struct uct_err err;

	ck_assert_int_eq(check(body, len, "pub.pem", 0, EXPIRES - 1, &fault, &err), 0);
	ck_assert_int_eq(check(body, len, "pub.pem", 0, EXPIRES, &fault, &err), -1);
	ck_assert_int_eq(fault, UCT_TRUSTDOC_EXPIRED);
	ck_assert_ptr_nonnull(strstr(err.msg, "expired 0 s ago (serial 5)"));
	ck_assert_int_eq(check(body, len, "pub.pem", 0, EXPIRES + 86400, &fault, &err), -1);
	ck_assert_int_eq(fault, UCT_TRUSTDOC_EXPIRED);
	/* A PC clock a little behind the collector's is fine; far behind is not. */
	ck_assert_int_eq(check(body, len, "pub.pem", 0, ISSUED - UCT_TRUSTDOC_SKEW, &fault, &err),
			 0);
	ck_assert_int_eq(check(body, len, "pub.pem", 0, ISSUED - UCT_TRUSTDOC_SKEW - 1, &fault,
			       &err),
			 -1);
	ck_assert_int_eq(fault, UCT_TRUSTDOC_NOT_YET);
	free(body);
}
END_TEST

START_TEST(test_serial_back)
{
	size_t len;
	char *body = signed_doc(1, 5, "uccx1.example.com:8445", "key", &len);
	enum uct_trustdoc_fault fault;
	struct uct_err err;

	ck_assert_int_eq(check(body, len, "pub.pem", 6, NOW, &fault, &err), -1);
	ck_assert_int_eq(fault, UCT_TRUSTDOC_SERIAL_BACK);
	ck_assert_ptr_nonnull(strstr(err.msg, "serial went back (5, after 6 was accepted)"));
	ck_assert_str_eq(uct_trustdoc_fault_name(fault), "serial-back");
	free(body);
}
END_TEST

/* A second "serial" added before the signed one: Python (and many readers)
 * would take the last, and the signature would verify; the agent refuses
 * the document whatever the signature says. */
START_TEST(test_duplicate_member)
{
	size_t len;
	char *body = signed_doc(1, 5, "uccx1.example.com:8445", "key", &len);
	char *dup = uct_asprintf("{\"serial\": 99,%s", body + 1);
	enum uct_trustdoc_fault fault;
	struct uct_err err;

	ck_assert_int_eq(check(dup, strlen(dup), "pub.pem", 0, NOW, &fault, &err), -1);
	ck_assert_int_eq(fault, UCT_TRUSTDOC_MALFORMED);
	ck_assert_ptr_nonnull(strstr(err.msg, "a member name given twice in one object"));
	free(dup);
	free(body);
}
END_TEST

/* The key id of a document not yet verified is quoted back only when it is
 * shaped as one: other bytes there never reach the message. */
START_TEST(test_key_id_not_an_id)
{
	size_t len;
	char *body = signed_doc(1, 5, "uccx1.example.com:8445", "other", &len);
	char *id = strstr(body, "\"key_id\": \"");
	enum uct_trustdoc_fault fault;
	struct uct_err err;

	ck_assert_ptr_nonnull(id);
	memset(id + strlen("\"key_id\": \""), 'z', 64);
	ck_assert_int_eq(check(body, len, "pub.pem", 0, NOW, &fault, &err), -1);
	ck_assert_int_eq(fault, UCT_TRUSTDOC_BAD_SIGNATURE);
	ck_assert_ptr_null(strstr(err.msg, "zzz"));
	free(body);
}
END_TEST

START_TEST(test_other_key)
{
	size_t len;
	char *body = signed_doc(1, 5, "uccx1.example.com:8445", "other", &len);
	enum uct_trustdoc_fault fault;
	struct uct_err err;

	ck_assert_int_eq(check(body, len, "other_pub.pem", 0, NOW, &fault, &err), 0);
	ck_assert_int_eq(check(body, len, "pub.pem", 0, NOW, &fault, &err), -1);
	ck_assert_int_eq(fault, UCT_TRUSTDOC_OTHER_KEY);
	ck_assert_ptr_nonnull(strstr(err.msg, "signed by another collector key"));
	free(body);
}
END_TEST

/* The configured key itself is wrong: P-384, RSA, a private key, no PEM. */
START_TEST(test_bad_key)
{
	static const char *const keys[] = {"p384_pub.pem", "rsa_pub.pem", "key.pem", "in.json"};
	size_t len, i;
	char *body = signed_doc(1, 5, "uccx1.example.com:8445", "key", &len);
	enum uct_trustdoc_fault fault;
	struct uct_err err;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		ck_assert_int_eq(check(body, len, keys[i], 0, NOW, &fault, &err), -1);
		ck_assert_msg(fault == UCT_TRUSTDOC_BAD_KEY, "%s: %s", keys[i], err.msg);
		ck_assert_ptr_nonnull(strstr(err.msg, "not an ECDSA P-256 public key"));
	}
	free(body);
}
END_TEST

/* Signed, but not a document the agent can act on. */
START_TEST(test_malformed)
{
	static const struct {
		int version;
		const char *endpoint, *reason;
	} cases[] = {
		{2, "uccx1.example.com:8445", "\"version\" is not 1"},
		{1, "10.1.2.3:8445", "approval 1 (at byte"},
		{1, "uccx1.example.com:0", "approval 1 (at byte"},
		{1, "uccx1.example.com:65536", "approval 1 (at byte"},
		{1, "UCCX1.example.com:8445", "approval 1 (at byte"},
		{1, "uccx1.example.com:8445\\n", "approval 1 (at byte"},
	};
	enum uct_trustdoc_fault fault;
	struct uct_err err;
	size_t len, i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *body = signed_doc(cases[i].version, 5, cases[i].endpoint, "key", &len);

		ck_assert_int_eq(check(body, len, "pub.pem", 0, NOW, &fault, &err), -1);
		ck_assert_int_eq(fault, UCT_TRUSTDOC_MALFORMED);
		ck_assert_msg(strstr(err.msg, cases[i].reason) != NULL, "%s", err.msg);
		free(body);
	}
	ck_assert_int_eq(check("{\"version\":1}", 13, "pub.pem", 0, NOW, &fault, &err), -1);
	ck_assert_int_eq(fault, UCT_TRUSTDOC_MALFORMED);
	ck_assert_ptr_nonnull(strstr(err.msg, "no \"signature\" in base64"));
	ck_assert_int_eq(check("[1,2", 4, "pub.pem", 0, NOW, &fault, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "malformed: invalid JSON at byte 4"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("trustdoc");
	TCase *tc = tcase_create("trustdoc");
	SRunner *sr;
	int failed;

	if (mkdtemp(dir) == NULL)
		return EXIT_FAILURE;
	/* Two P-256 keys, and keys the check must refuse to use. */
	if (run("cd %s && openssl ecparam -name prime256v1 -genkey -noout -out key.pem%s", "") <
		    0 ||
	    run("cd %s && openssl ec -in key.pem -pubout -out pub.pem 2>/dev/null%s", "") < 0 ||
	    run("cd %s && openssl ecparam -name prime256v1 -genkey -noout -out other.pem%s", "") <
		    0 ||
	    run("cd %s && openssl ec -in other.pem -pubout -out other_pub.pem 2>/dev/null%s", "") <
		    0 ||
	    run("cd %s && openssl ecparam -name secp384r1 -genkey -noout | "
		"openssl ec -pubout -out p384_pub.pem 2>/dev/null%s",
		"") < 0 ||
	    run("cd %s && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null | "
		"openssl pkey -pubout -out rsa_pub.pem%s",
		"") < 0)
		return EXIT_FAILURE;
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_verifies);
	tcase_add_test(tc, test_flipped_document_byte);
	tcase_add_test(tc, test_flipped_signature_byte);
	tcase_add_test(tc, test_expired_and_not_yet);
	tcase_add_test(tc, test_serial_back);
	tcase_add_test(tc, test_duplicate_member);
	tcase_add_test(tc, test_other_key);
	tcase_add_test(tc, test_key_id_not_an_id);
	tcase_add_test(tc, test_bad_key);
	tcase_add_test(tc, test_malformed);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	run("rm -rf %s%s", "");
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
