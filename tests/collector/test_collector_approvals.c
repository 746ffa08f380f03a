/*
 * test_collector_approvals.c: the trust document's canonical form and
 * signature (a vector signed by `openssl dgst -sha256 -sign` verifies, one
 * flipped byte does not), the signing key file's rules, the approval body's
 * checks, and approvals in a real SQLite store (serial, audit log, migration).
 */
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "col.h"
#include "trustdoc.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/col-trust-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Runs a shell command in the test's directory; asserts it succeeded. */
static void sh(const char *fmt, const char *arg)
{
	char cmd[1024], body[800];

	snprintf(body, sizeof(body), fmt, arg);
	snprintf(cmd, sizeof(cmd), "cd '%s' && %s", dir, body);
	ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

static char *slurp(const char *name)
{
	char path[128];
	FILE *f;
	char *buf = calloc(1, 65536);
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void spit(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* A document as the collector serves it, with a PEM's newlines and slashes. */
static const char doc_text[] =
	"{\"version\": 1, \"serial\": 42, \"issued_at\": \"2026-12-01T10:00:00Z\",\n"
	" \"expires_at\": \"2026-12-08T10:00:00Z\", \"approvals\": [\n"
	"  {\"kind\": \"endpoint\", \"id\": 3, \"endpoint\": \"uccx1.example.com:8445\",\n"
	"   \"sha256\": \"AB:CD\", \"approved_at\": \"2026-12-01T09:00:00Z\"},\n"
	"  {\"kind\": \"ca\", \"id\": 4, \"hosts\": [\"uccx2.example.com\"],\n"
	"   \"ca_pem\": \"-----BEGIN CERTIFICATE-----\\nMIIB/+==\\n-----END CERTIFICATE-----\\n\",\n"
	"   \"sha256\": \"EF:01\", \"approved_at\": \"2026-12-01T09:30:00Z\"}]}";

static const char doc_canonical[] =
	"{\"approvals\":[{\"approved_at\":\"2026-12-01T09:00:00Z\",\"endpoint\":"
	"\"uccx1.example.com:8445\",\"id\":3,\"kind\":\"endpoint\",\"sha256\":\"AB:CD\"},"
	"{\"approved_at\":\"2026-12-01T09:30:00Z\",\"ca_pem\":\"-----BEGIN CERTIFICATE-----\\n"
	"MIIB/+==\\n-----END CERTIFICATE-----\\n\",\"hosts\":[\"uccx2.example.com\"],\"id\":4,"
	"\"kind\":\"ca\",\"sha256\":\"EF:01\"}],\"expires_at\":\"2026-12-08T10:00:00Z\","
	"\"issued_at\":\"2026-12-01T10:00:00Z\",\"serial\":42,\"version\":1}";

START_TEST(test_canonical_form)
{
	json_t *doc = json_loads(doc_text, 0, NULL);
	char *canon;

	ck_assert_ptr_nonnull(doc);
	canon = col_trust_canonical(doc);
	ck_assert_str_eq(canon, doc_canonical);
	free(canon);
	/* The signature is not part of what is signed. */
	json_object_set_new(doc, "signature", json_string("MEUCIQ=="));
	canon = col_trust_canonical(doc);
	ck_assert_str_eq(canon, doc_canonical);
	free(canon);
	json_decref(doc);
}
END_TEST

/*
 * The vector: a key and a signature made by the openssl command over the
 * canonical bytes, put into the document as a PC receives it (spaced, keys
 * in another order).
 */
static char *signed_by_openssl(char **pub)
{
	json_t *doc = json_loads(doc_text, 0, NULL);
	char *sig, *text;
	size_t n;

	spit("canon.bin", doc_canonical);
	sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out key.pem%s", "");
	sh("openssl pkey -in key.pem -pubout -out pub.pem%s", "");
	sh("openssl dgst -sha256 -sign key.pem -out sig.der canon.bin%s", "");
	sh("openssl base64 -A -in sig.der -out sig.b64%s", "");
	sig = slurp("sig.b64");
	n = strlen(sig);
	while (n > 0 && (sig[n - 1] == '\n' || sig[n - 1] == '\r'))
		sig[--n] = '\0';
	json_object_set_new(doc, "signature", json_string(sig));
	free(sig);
	text = json_dumps(doc, JSON_INDENT(2));
	json_decref(doc);
	*pub = slurp("pub.pem");
	return text;
}

START_TEST(test_openssl_vector_verifies)
{
	struct col_trust_err err = {{0}};
	char *pub, *text = signed_by_openssl(&pub);

	ck_assert_msg(col_trust_verify(text, strlen(text), pub, &err) == 0, "%s", err.msg);
	free(text);
	free(pub);
}
END_TEST

START_TEST(test_flipped_byte_fails)
{
	struct col_trust_err err = {{0}};
	char *pub, *text = signed_by_openssl(&pub), *at;

	/* The serial 42 becomes 43: one byte of the signed content. */
	at = strstr(text, "\"serial\": 42");
	ck_assert_ptr_nonnull(at);
	at[11] = '3';
	ck_assert_int_eq(col_trust_verify(text, strlen(text), pub, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "bad signature"));
	at[11] = '2';
	/* One byte of the signature itself (a base64 digit early in the DER). */
	memset(&err, 0, sizeof(err));
	at = strstr(text, "\"signature\": \"") + 20;
	*at = *at == 'A' ? 'B' : 'A';
	ck_assert_int_eq(col_trust_verify(text, strlen(text), pub, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "signature"));
	free(text);
	free(pub);
}
END_TEST

START_TEST(test_sign_and_verify)
{
	struct col_trust_key *key = NULL;
	struct col_trust_err err = {{0}};
	json_t *doc = json_loads(doc_text, 0, NULL);
	char path[128], *pub, *text, *other;
	struct stat st;

	snprintf(path, sizeof(path), "%s/trust.key", dir);
	ck_assert_msg(col_trust_key_load(path, &key, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(col_trust_sign(key, doc, &err), 0);
	text = json_dumps(doc, JSON_COMPACT);
	pub = col_trust_key_public_pem(key);
	ck_assert_msg(col_trust_verify(text, strlen(text), pub, &err) == 0, "%s", err.msg);
	/* Another P-256 key does not verify it. */
	sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null |"
	   " openssl pkey -pubout -out other.pem%s",
	   "");
	other = slurp("other.pem");
	ck_assert_int_eq(col_trust_verify(text, strlen(text), other, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "bad signature"));
	free(other);
	free(text);
	free(pub);
	json_decref(doc);
	col_trust_key_free(key);
}
END_TEST

/* A key file that must be refused, with the message's telling part. */
static void key_refused(const char *name, const char *expect)
{
	struct col_trust_key *key = NULL;
	struct col_trust_err err = {{0}};
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_int_eq(col_trust_key_load(path, &key, &err), -1);
	ck_assert_ptr_null(key);
	ck_assert_msg(strstr(err.msg, expect) != NULL, "%s: %s", name, err.msg);
}

START_TEST(test_key_file_rules)
{
	sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out open.pem%s", "");
	sh("chmod 644 open.pem%s", "");
	key_refused("open.pem", "chmod 600");
	sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out p384.pem%s", "");
	sh("chmod 600 p384.pem%s", "");
	key_refused("p384.pem", "not an ECDSA P-256 key");
	sh("openssl genpkey -algorithm ED25519 -out ed.pem && chmod 600 ed.pem%s", "");
	key_refused("ed.pem", "not an ECDSA P-256 key");
	sh("echo not a key >junk.pem && chmod 600 junk.pem%s", "");
	key_refused("junk.pem", "no PEM private key");
	sh("cp p384.pem real.pem && ln -s real.pem link.pem%s", "");
	key_refused("link.pem", "cannot open");
	key_refused("missing-dir/trust.key", "cannot create");
}
END_TEST

/* A body that must be refused, and the part of its message that says why. */
static const struct {
	const char *body, *expect;
} bad_bodies[] = {
	{"nope", "JSON object"},
	{"{\"host\":\"a.example\",\"sha256\":\""
	 "ab"
	 "\"}",
	 "sha256:"},
	{"{\"endpoint\":\"a.example:443\",\"host\":\"a.example\",\"sha256\":"
	 "\"0000000000000000000000000000000000000000000000000000000000000000\"}",
	 "either"},
	{"{\"endpoint\":\"127.0.0.1:443\",\"sha256\":"
	 "\"0000000000000000000000000000000000000000000000000000000000000000\"}",
	 "endpoint:"},
	{"{\"host\":\"a.example\",\"what\":1}", "unknown member"},
	{"{\"hosts\":[\"a.example\"],\"ca_pem\":\"x\"}", "not a PEM certificate"},
	{"{\"host\":\"a-.example\",\"sha256\":"
	 "\"0000000000000000000000000000000000000000000000000000000000000000\"}",
	 "host:"},
};

START_TEST(test_bad_bodies)
{
	struct col_approval *a = NULL;
	struct col_err err = {0};
	const char *body = bad_bodies[_i].body;

	ck_assert_int_eq(col_approval_parse(body, strlen(body), &a, &err), -1);
	ck_assert_ptr_null(a);
	ck_assert_msg(strstr(err.msg, bad_bodies[_i].expect) != NULL, "%s: %s", body, err.msg);
}
END_TEST

START_TEST(test_url_host_port)
{
	char host[COL_HOST_MAX + 1];
	unsigned port;

	ck_assert_int_eq(col_url_host_port("https://UCCX1.example.com/appadmin/main", host, &port),
			 0);
	ck_assert_str_eq(host, "uccx1.example.com");
	ck_assert_uint_eq(port, 443);
	ck_assert_int_eq(col_url_host_port("https://uccx1.example.com:8445/cfadmin", host, &port),
			 0);
	ck_assert_uint_eq(port, 8445);
	ck_assert_int_eq(col_url_host_port("https://uccx1.example.com:12015", host, &port), 0);
	ck_assert_uint_eq(port, 12015);
	ck_assert_int_eq(col_url_host_port("http://uccx1.example.com/", host, &port), -1);
	ck_assert_int_eq(col_url_host_port("https://uccx1.example.com:0/", host, &port), -1);
	ck_assert_int_eq(col_url_host_port("https://uccx1.example.com:84x/", host, &port), -1);
}
END_TEST

static struct col_approval *parse_ok(const char *body)
{
	struct col_approval *a = NULL;
	struct col_err err = {0};

	ck_assert_msg(col_approval_parse(body, strlen(body), &a, &err) == 0, "%s", err.msg);
	return a;
}

#define FP_HEX "ab00000000000000000000000000000000000000000000000000000000000001"

/* Approvals in SQLite: serial, revocation, the audit log nothing removes. */
START_TEST(test_store_sqlite)
{
	struct col_db *db;
	struct col_err err = {0};
	struct col_approval *a = parse_ok("{\"host\":\"uccx1.example.com\",\"sha256\":\"" FP_HEX
					  "\",\"force\":true,\"note\":\"n\"}");
	enum col_revoke how;
	json_t *list;
	int64_t id, serial = -1;
	enum col_approve how_added;
	char path[128], *out;
	sqlite3 *h;

	snprintf(path, sizeof(path), "%s/col.db", dir);
	ck_assert_int_eq(col_db_open(path, COL_SYNC_NORMAL, &db, &err), 0);
	ck_assert_int_eq(col_db_approval_add(db, a, "alice", 1000, &how_added, &id, &err), 0);
	ck_assert_int_eq(how_added, COL_APPROVED);
	ck_assert_int_eq(col_db_approval_revoke(db, id, "bob", 2000, &how, &err), 0);
	ck_assert_int_eq(how, COL_REVOKED);
	ck_assert_int_eq(col_db_approval_revoke(db, id, "bob", 2001, &how, &err), 0);
	ck_assert_int_eq(how, COL_REVOKE_ALREADY);
	/* Once revoked, the same approval may be given again: a new one. */
	ck_assert_int_eq(col_db_approval_add(db, a, "alice", 3000, &how_added, &id, &err), 0);
	ck_assert_int_eq(how_added, COL_APPROVED);
	ck_assert_int_eq(id, 2);
	ck_assert_int_eq(col_db_approval_add(db, a, "alice", 3001, &how_added, &id, &err), 0);
	ck_assert_int_eq(how_added, COL_APPROVE_DUPLICATE);
	ck_assert_int_eq(id, 2);
	ck_assert_int_eq(col_db_approval_revoke(db, 2, "bob", 3002, &how, &err), 0);
	ck_assert_int_eq(col_db_trust_state(db, &serial, &list, &err), 0);
	ck_assert_int_eq(serial, 4);
	ck_assert_int_eq(json_array_size(list), 0);
	json_decref(list);
	ck_assert_int_eq(col_db_audit_json(db, 0, 10, &out, &err), 0);
	ck_assert_ptr_nonnull(strstr(out,
				     "\"action\":\"revoke\",\"approval_id\":1,\"actor\":\"bob\""));
	free(out);
	col_db_close(db);
	col_approval_free(a);
	/* The audit log refuses removal from any connection. */
	ck_assert_int_eq(sqlite3_open(path, &h), SQLITE_OK);
	ck_assert_int_ne(sqlite3_exec(h, "DELETE FROM audit", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_ptr_nonnull(strstr(sqlite3_errmsg(h), "append-only"));
	/* A version 2 database (before approvals) is migrated on open, its reports kept. */
	ck_assert_int_eq(
		sqlite3_exec(h,
			     "DROP TABLE audit; DROP TABLE approvals; DROP TABLE trust_serial;"
			     " PRAGMA user_version = 2",
			     NULL, NULL, NULL),
		SQLITE_OK);
	sqlite3_close(h);
	ck_assert_int_eq(col_db_open(path, COL_SYNC_NORMAL, &db, &err), 0);
	ck_assert_int_eq(col_db_trust_state(db, &serial, &list, &err), 0);
	ck_assert_int_eq(serial, 0);
	json_decref(list);
	col_db_close(db);
}
END_TEST

static Suite *approvals_suite(void)
{
	Suite *s = suite_create("collector_approvals");
	TCase *tc = tcase_create("trust");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_canonical_form);
	tcase_add_test(tc, test_openssl_vector_verifies);
	tcase_add_test(tc, test_flipped_byte_fails);
	tcase_add_test(tc, test_sign_and_verify);
	tcase_add_test(tc, test_key_file_rules);
	tcase_add_loop_test(tc, test_bad_bodies, 0, sizeof(bad_bodies) / sizeof(bad_bodies[0]));
	tcase_add_test(tc, test_url_host_port);
	tcase_add_test(tc, test_store_sqlite);
	suite_add_tcase(s, tc);
	return s;
}

UCT_CHECK_MAIN(approvals_suite)
