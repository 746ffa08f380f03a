/*
 * test_collector_probe.c: what the collector's probe records, in a real
 * SQLite store: a fingerprint it saw needs no force to be approved and is
 * shown as probe_seen; with auto_approve = probe an uncovered leaf is
 * approved for its HOST:PORT, a covered one is not, and a new leaf there
 * revokes only the probe's own earlier approvals, each step audited and
 * the serial increased.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "check_main.h"
#include "col.h"

#define FP_A \
	"AA:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:01"
#define FP_B \
	"BB:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:02"
#define FP_C \
	"CC:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:03"
#define FP_CA \
	"CA:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:04"
#define URL_8445 "https://uccx1.example.com:8445/"

static struct col_db *db;
static struct col_err err;

static void setup(void)
{
	memset(&err, 0, sizeof(err));
	ck_assert_msg(col_db_open(uct_check_path("col.db"), COL_SYNC_NORMAL, &db, &err) == 0, "%s",
		      err.msg);
}

static void teardown(void)
{
	col_db_close(db);
}

/* The probe sees chain (leaf first) at uccx1.example.com:8445. */
static struct col_probe_change see(const char *const *chain, size_t n, enum col_auto_approve policy,
				   int64_t now)
{
	static const char *const urls[] = {URL_8445, "https://uccx1.example.com:8445/cfadmin"};
	struct col_probe_sight s = {.host = "uccx1.example.com",
				    .port = 8445,
				    .sha256 = chain[0],
				    .urls = urls,
				    .n_urls = 2,
				    .chain_sha256 = chain,
				    .n_chain = n};
	struct col_probe_change change;

	ck_assert_msg(col_db_probe_record(db, &s, policy, now, &change, &err) == 0, "%s", err.msg);
	return change;
}

static enum col_approve approve(const char *body, int64_t *id)
{
	struct col_approval *a = NULL;
	enum col_approve how;

	ck_assert_msg(col_approval_parse(body, strlen(body), &a, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(col_db_approval_add(db, a, "alice", 500, &how, id, &err), 0);
	col_approval_free(a);
	return how;
}

static int64_t serial(void)
{
	json_t *list;
	int64_t s = -1;

	ck_assert_int_eq(col_db_trust_state(db, &s, &list, &err), 0);
	json_decref(list);
	return s;
}

/* The active approvals as "by sha256" lines, for compact comparisons. */
static const char *active(void)
{
	static char text[1024];
	json_t *root, *a;
	size_t i;
	char *out;

	ck_assert_int_eq(col_db_approvals_json(db, &out, &err), 0);
	root = json_loads(out, 0, NULL);
	ck_assert_ptr_nonnull(root);
	text[0] = '\0';
	json_array_foreach(json_object_get(root, "approvals"), i, a)
	{
		if (!json_is_true(json_object_get(a, "active")))
			continue;
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s %.2s;",
			 json_string_value(json_object_get(a, "approved_by")),
			 json_string_value(json_object_get(a, "sha256")));
	}
	json_decref(root);
	free(out);
	return text;
}

/* never: recorded only; the fingerprint is approvable without force, and
 * /api/v1/endpoints lists it (an endpoint no agent reported) as probe_seen. */
START_TEST(test_record_only)
{
	static const char *const chain[] = {FP_A};
	struct col_endpoint_query q = {.limit = 10};
	struct col_probe_change c;
	int64_t id;
	char *out;

	ck_assert_int_eq(approve("{\"endpoint\":\"uccx1.example.com:8445\",\"sha256\":\"" FP_A
				 "\"}",
				 &id),
			 COL_APPROVE_UNSEEN);
	c = see(chain, 1, COL_AUTO_NEVER, 100);
	ck_assert_int_eq(c.approved_id, 0);
	ck_assert_int_eq(serial(), 0);
	ck_assert_int_eq(col_db_endpoints_json(db, &q, &out, &err), 0);
	ck_assert_msg(strstr(out, "\"url\":\"" URL_8445 "\"") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "\"sha256\":\"" FP_A "\",\"hosts\":0,\"not_after\":null,"
				  "\"probe_seen\":true") != NULL,
		      "%s", out);
	ck_assert_msg(strstr(out, "\"total\":2") != NULL, "%s", out);
	free(out);
	/* Seen at 8445 by the probe: approvable there, and for the host. */
	ck_assert_int_eq(approve("{\"endpoint\":\"uccx1.example.com:8445\",\"sha256\":\"" FP_A
				 "\"}",
				 &id),
			 COL_APPROVED);
	ck_assert_int_eq(approve("{\"host\":\"uccx1.example.com\",\"sha256\":\"" FP_A "\"}", &id),
			 COL_APPROVED);
	/* Not at another host, nor another fingerprint. */
	ck_assert_int_eq(approve("{\"endpoint\":\"uccx2.example.com:8445\",\"sha256\":\"" FP_A
				 "\"}",
				 &id),
			 COL_APPROVE_UNSEEN);
	ck_assert_int_eq(approve("{\"endpoint\":\"uccx1.example.com:8445\",\"sha256\":\"" FP_B
				 "\"}",
				 &id),
			 COL_APPROVE_UNSEEN);
}
END_TEST

/* probe: approved once, then followed; an admin's approval is never revoked. */
START_TEST(test_auto_approve_follows)
{
	static const char *const a[] = {FP_A}, *const b[] = {FP_B}, *const c[] = {FP_C};
	struct col_probe_change ch;
	int64_t id, s0;
	char *out;

	ch = see(a, 1, COL_AUTO_PROBE, 100);
	ck_assert_int_ne(ch.approved_id, 0);
	ck_assert_str_eq(active(), "probe AA;");
	ck_assert_int_eq(serial(), 1);
	/* Seen again: nothing changes, the serial stays. */
	ch = see(a, 1, COL_AUTO_PROBE, 110);
	ck_assert_int_eq(ch.approved_id, 0);
	ck_assert_uint_eq(ch.revoked, 0);
	ck_assert_int_eq(serial(), 1);
	/* An admin approves C for the host before the server changes. */
	ck_assert_int_eq(approve("{\"host\":\"uccx1.example.com\",\"sha256\":\"" FP_C
				 "\",\"force\":true}",
				 &id),
			 COL_APPROVED);
	s0 = serial();
	/* The certificate is regenerated: B approved, the probe's A revoked. */
	ch = see(b, 1, COL_AUTO_PROBE, 200);
	ck_assert_int_ne(ch.approved_id, 0);
	ck_assert_uint_eq(ch.revoked, 1);
	ck_assert_str_eq(active(), "probe BB;alice CC;");
	ck_assert_int_eq(serial(), s0 + 2);
	/* C, covered by the admin's host approval: nothing new; the probe's B goes. */
	ch = see(c, 1, COL_AUTO_PROBE, 300);
	ck_assert_int_eq(ch.approved_id, 0);
	ck_assert_uint_eq(ch.revoked, 1);
	ck_assert_str_eq(active(), "alice CC;");
	ck_assert_int_eq(col_db_audit_json(db, 0, 20, &out, &err), 0);
	ck_assert_msg(strstr(out,
			     "\"action\":\"auto-approve\",\"approval_id\":1,\"actor\":\"probe\"") !=
			      NULL,
		      "%s", out);
	ck_assert_msg(strstr(out, "\"action\":\"revoke\",\"approval_id\":1,\"actor\":\"probe\"") !=
			      NULL,
		      "%s", out);
	ck_assert_msg(strstr(out, "\"actor\":\"probe\",\"approval\":{\"id\":3") != NULL, "%s", out);
	free(out);
}
END_TEST

/* A leaf whose CA (in the chain the server sent) is approved for the host
 * is covered: the probe adds no approval of its own; at another host it does. */
START_TEST(test_ca_covers)
{
	struct col_probe_change ch;
	const char *chain[2] = {FP_A, NULL};
	char cmd[512], path[256], ca_fp[COL_FP_LEN + 1], *pem, *body;
	json_t *doc;
	FILE *f;
	long len;
	int64_t id;

	snprintf(path, sizeof(path), "%s", uct_check_path("ca.pem"));
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		 "-keyout /dev/null -subj /CN=probe-test-ca -days 30 -addext "
		 "basicConstraints=critical,CA:TRUE -out '%s' 2>/dev/null",
		 path);
	ck_assert_int_eq(system(cmd), 0);
	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	pem = calloc(1, (size_t)len + 1);
	ck_assert_int_eq(fread(pem, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	doc = json_pack("{s:[s],s:s}", "hosts", "uccx1.example.com", "ca_pem", pem);
	body = json_dumps(doc, JSON_COMPACT);
	ck_assert_int_eq(approve(body, &id), COL_APPROVED);
	free(body);
	json_decref(doc);
	free(pem);
	/* The CA's fingerprint, as the collector computed it. */
	ck_assert_int_eq(col_db_approvals_json(db, &body, &err), 0);
	doc = json_loads(body, 0, NULL);
	snprintf(ca_fp, sizeof(ca_fp), "%s",
		 json_string_value(json_object_get(json_array_get(json_object_get(doc, "approvals"),
								  0),
						   "sha256")));
	json_decref(doc);
	free(body);
	chain[1] = ca_fp;
	ch = see(chain, 2, COL_AUTO_PROBE, 100);
	ck_assert_int_eq(ch.approved_id, 0);
	ck_assert_ptr_null(strstr(active(), "probe"));
	/* The leaf alone (its CA not sent) is not covered. */
	ch = see(chain, 1, COL_AUTO_PROBE, 200);
	ck_assert_int_ne(ch.approved_id, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("collector_probe");
	TCase *tc = uct_check_tcase(s, "core", 1);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_record_only);
	tcase_add_test(tc, test_auto_approve_follows);
	tcase_add_test(tc, test_ca_covers);
	return uct_check_run(s);
}
