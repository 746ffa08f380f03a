/*
 * test_collector_db.c: the stores and the group-commit writer: batch insert
 * with duplicates, a late older report, the fleet queries, schema versions
 * on reopen, many threads submitting at once, and passwords masked in the
 * --db target. SQLite by default; PostgreSQL when UCT_TEST_PG_URL names an
 * empty database (test_collector_pg.sh does).
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "check_main.h"
#include "col.h"

#define FP_A \
	"AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA"
#define FP_B \
	"BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB:BB"

static char path[128];
static const char *target; /* what col_db_open is given: path or the PostgreSQL URL */

static void setup(void)
{
	snprintf(path, sizeof(path), "%s", uct_check_path("collector.db"));
	target = getenv("UCT_TEST_PG_URL");
	if (target != NULL) {
		/* Each test starts from an empty database, as with a new file. */
		PGconn *c = PQconnectdb(target);
		PGresult *res;
		ck_assert_msg(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
		res = PQexec(c,
			     "SET client_min_messages = warning;"
			     " DROP TABLE IF EXISTS reports, hosts, host_endpoints, schema_version,"
			     " approvals, audit, trust_serial, probe_seen, probe_approvals;"
			     " DROP FUNCTION IF EXISTS audit_append_only");
		ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "%s", PQerrorMessage(c));
		PQclear(res);
		PQfinish(c);
	} else {
		target = path;
	}
}

/* A report of host with n endpoints https://e<first + i>/, each with the
 * certificate fp (a printf format taking the host number). */
static struct col_report *make_eps(int id, int hostno, int first, int n)
{
	char *doc = malloc(256 + (size_t)n * 256), *p;
	struct col_report *r;
	struct col_err err = {0};
	int i;

	ck_assert_ptr_nonnull(doc);
	p = doc + sprintf(doc,
			  "{\"schema\":1,\"report_id\":\"00000000-0000-4000-8000-%012d\","
			  "\"host_name\":\"pc%d\",\"version\":\"0.1.0\","
			  "\"time\":\"2030-01-01T00:00:00Z\",\"endpoints\":[",
			  id, hostno);
	for (i = 0; i < n; i++)
		p += sprintf(
			p,
			"%s{\"url\":\"https://e%04d/\",\"verdict\":\"trusted\",\"certificate\":"
			"{\"sha256\":\"AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:"
			"AA:AA:AA:AA:AA:AA:AA:AA:%02X:%02X:%02X\",\"not_valid_after\":1900000000}}",
			i ? "," : "", first + i, (hostno >> 16) & 255, (hostno >> 8) & 255,
			hostno & 255);
	strcpy(p, "]}");
	ck_assert_msg(col_report_parse(doc, strlen(doc), &r, &err) == 0, "%s", err.msg);
	free(doc);
	return r;
}

/* A report of host with one endpoint whose certificate is fp (NULL: none). */
static struct col_report *make(int id, const char *host, const char *time, const char *verdict,
			       const char *fp)
{
	char doc[1024], cert[256];
	struct col_report *r;
	struct col_err err = {0};

	if (fp)
		snprintf(cert, sizeof(cert), "{\"sha256\":\"%s\",\"not_valid_after\":1900000000}",
			 fp);
	else
		snprintf(cert, sizeof(cert), "null");
	snprintf(
		doc, sizeof(doc),
		"{\"schema\":1,\"report_id\":\"00000000-0000-4000-8000-%012d\",\"host_name\":\"%s\","
		"\"version\":\"0.1.0\",\"time\":\"%s\",\"endpoints\":[{\"url\":\"https://uccx1/\","
		"\"verdict\":\"%s\",\"certificate\":%s}]}",
		id, host, time, verdict, cert);
	ck_assert_msg(col_report_parse(doc, strlen(doc), &r, &err) == 0, "%s", err.msg);
	return r;
}

static char *hosts(struct col_db *db, struct col_host_query q)
{
	struct col_err err = {0};
	char *out;

	if (q.limit == 0)
		q.limit = 100;
	ck_assert_int_eq(col_db_hosts_json(db, &q, 0, &out, &err), 0);
	return out;
}

START_TEST(test_batch_and_queries)
{
	struct col_db *db;
	struct col_err err = {0};
	struct col_report *v[4];
	int dup[4];
	struct col_db_stats st;
	char *out;

	ck_assert_int_eq(col_db_open(target, COL_SYNC_FULL, &db, &err), 0);
	v[0] = make(1, "pc1", "2026-01-01T00:00:00Z", "trusted", FP_A);
	v[1] = make(2, "pc2", "2026-01-01T00:00:00Z", "not-trusted", FP_B);
	v[2] = make(1, "pc1", "2026-01-01T00:00:00Z", "trusted", FP_A); /* same id, same batch */
	v[3] = make(3, "pc3", "2026-01-01T00:00:00Z", "unreachable", NULL);
	ck_assert_int_eq(col_db_insert_batch(db, v, 4, dup, 1900000000, &err), 0);
	ck_assert_int_eq(dup[0], 0);
	ck_assert_int_eq(dup[2], 1);
	for (int i = 0; i < 4; i++)
		col_report_free(v[i]);

	/* A late report from before the stored one keeps the host as it was. */
	v[0] = make(4, "pc1", "2025-01-01T00:00:00Z", "not-trusted", FP_B);
	ck_assert_int_eq(col_db_insert_batch(db, v, 1, dup, 1900000001, &err), 0);
	col_report_free(v[0]);

	ck_assert_int_eq(col_db_stats(db, &st, &err), 0);
	ck_assert_int_eq(st.reports, 4);
	ck_assert_int_eq(st.hosts, 3);
	ck_assert_int_eq(st.problem_hosts, 2);
	ck_assert_int_eq(st.endpoints, 1);
	ck_assert_int_eq(st.multi_fp_endpoints, 1);

	out = hosts(db, (struct col_host_query){.state = "trusted"});
	ck_assert_ptr_nonnull(strstr(out, "\"total\":1"));
	ck_assert_ptr_nonnull(strstr(out,
				     "\"report_id\":\"00000000-0000-4000-8000-000000000001\""));
	free(out);
	out = hosts(db, (struct col_host_query){.limit = 1, .after = "pc1"});
	ck_assert_ptr_nonnull(strstr(out, "\"name\":\"pc2\""));
	ck_assert_ptr_nonnull(strstr(out, "\"next_after\":\"pc2\""));
	free(out);
	out = hosts(db, (struct col_host_query){.expiring_before = 1900000000});
	ck_assert_ptr_nonnull(strstr(out, "\"total\":2")); /* pc3 has no certificate */
	free(out);
	out = hosts(db, (struct col_host_query){.problems_first = 1, .limit = 1});
	ck_assert_ptr_nonnull(strstr(out, "\"name\":\"pc2\""));
	ck_assert_ptr_nonnull(strstr(out, "\"next_offset\":1"));
	free(out);
	/* A value is bound, never pasted into SQL. */
	out = hosts(db, (struct col_host_query){.endpoint = "x' OR '1'='1"});
	ck_assert_ptr_nonnull(strstr(out, "\"total\":0"));
	free(out);

	ck_assert_int_eq(col_db_endpoints_json(db, &(struct col_endpoint_query){.limit = 100}, &out,
					       &err),
			 0);
	ck_assert_ptr_nonnull(strstr(out, "\"several_fingerprints\":true"));
	ck_assert_ptr_nonnull(strstr(out, "\"hosts_without_certificate\":1"));
	ck_assert_ptr_nonnull(strstr(out, "\"hosts\":3"));
	free(out);

	ck_assert_int_eq(col_db_host_json(db, "pc2", &out, &err), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"report\":{\"schema\":1"));
	free(out);
	ck_assert_int_eq(col_db_host_json(db, "nobody", &out, &err), 0);
	ck_assert_ptr_null(out);
	col_db_close(db);
}
END_TEST

START_TEST(test_schema_versions)
{
	struct col_db *db;
	struct col_err err = {0};
	sqlite3 *h;

	ck_assert_int_eq(col_db_open(path, COL_SYNC_NORMAL, &db, &err), 0);
	col_db_close(db);
	/* Opening again keeps the schema (no second CREATE). */
	ck_assert_int_eq(col_db_open(path, COL_SYNC_FULL, &db, &err), 0);
	col_db_close(db);
	ck_assert_int_eq(sqlite3_open(path, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(h, "PRAGMA user_version = 5", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	ck_assert_int_eq(col_db_open(path, COL_SYNC_FULL, &db, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "newer"));
}
END_TEST

/* The host's row as the API shows it. */
static char *host_doc(struct col_db *db, const char *name)
{
	struct col_err err = {0};
	char *out;

	ck_assert_int_eq(col_db_host_json(db, name, &out, &err), 0);
	ck_assert_ptr_nonnull(out);
	return out;
}

static void assert_has(const char *doc, const char *part)
{
	ck_assert_msg(strstr(doc, part) != NULL, "\"%s\" not in %s", part, doc);
}

/* A report dated 9999 must not outrank the genuine report that follows it
 * (any PC holding the agent token can send one). */
START_TEST(test_future_time)
{
	struct col_db *db;
	struct col_err err = {0};
	struct col_report *r;
	char t[32], want[64], *out;
	int dup;
	const int64_t now = 1900000000;

	ck_assert_int_eq(col_db_open(target, COL_SYNC_FULL, &db, &err), 0);
	r = make(1, "pc1", "9999-12-31T23:59:59Z", "trusted", FP_A);
	ck_assert_int_eq(col_db_insert_batch(db, &r, 1, &dup, now, &err), 0);
	col_report_free(r);
	out = host_doc(db, "pc1");
	col_format_time(now + COL_TIME_SKEW, t);
	snprintf(want, sizeof(want), "\"report_time\":\"%s\"", t);
	assert_has(out, want); /* clamped to the receive time plus the skew */
	free(out);

	/* The genuine report, in the same second: it wins. */
	col_format_time(now, t);
	r = make(2, "pc1", t, "not-trusted", FP_B);
	ck_assert_int_eq(col_db_insert_batch(db, &r, 1, &dup, now, &err), 0);
	col_report_free(r);
	out = host_doc(db, "pc1");
	assert_has(out, "\"report_id\":\"00000000-0000-4000-8000-000000000002\"");
	assert_has(out, "\"state\":\"problem\"");
	free(out);

	/* One spooled a day ago and delivered now still does not replace it. */
	col_format_time(now - 86400, t);
	r = make(3, "pc1", t, "trusted", FP_A);
	ck_assert_int_eq(col_db_insert_batch(db, &r, 1, &dup, now + 1, &err), 0);
	col_report_free(r);
	out = host_doc(db, "pc1");
	assert_has(out, "\"report_id\":\"00000000-0000-4000-8000-000000000002\"");
	free(out);

	/* A clock a minute behind the collector's is still taken as it is. */
	col_format_time(now - 60, t);
	r = make(4, "pc1", t, "trusted", FP_A);
	ck_assert_int_eq(col_db_insert_batch(db, &r, 1, &dup, now + 2, &err), 0);
	col_report_free(r);
	out = host_doc(db, "pc1");
	assert_has(out, "\"report_id\":\"00000000-0000-4000-8000-000000000004\"");
	free(out);
	col_db_close(db);
}
END_TEST

/* A version 1 database frozen by a report from the future is clamped by the
 * migration, and the host's next report is shown again. */
START_TEST(test_migrate_v1_future)
{
	struct col_db *db;
	struct col_err err = {0};
	struct col_report *r;
	sqlite3 *h;
	char t[32], *out;
	int dup;
	const int64_t now = 1900000000;

	ck_assert_int_eq(col_db_open(path, COL_SYNC_FULL, &db, &err), 0);
	r = make(1, "pc1", "2030-01-01T00:00:00Z", "trusted", FP_A);
	ck_assert_int_eq(col_db_insert_batch(db, &r, 1, &dup, now, &err), 0);
	col_report_free(r);
	col_db_close(db);
	/* What a version 1 collector stored for a report dated 9999. */
	ck_assert_int_eq(sqlite3_open(path, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(h,
				      "UPDATE hosts SET report_time = 253402300799;"
				      " UPDATE reports SET report_time = 253402300799;"
				      " PRAGMA user_version = 1",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(h);

	ck_assert_int_eq(col_db_open(path, COL_SYNC_FULL, &db, &err), 0);
	col_format_time(now + 600, t);
	r = make(2, "pc1", t, "not-trusted", FP_B);
	ck_assert_int_eq(col_db_insert_batch(db, &r, 1, &dup, now + 600, &err), 0);
	col_report_free(r);
	out = host_doc(db, "pc1");
	assert_has(out, "\"report_id\":\"00000000-0000-4000-8000-000000000002\"");
	free(out);
	col_db_close(db);
	ck_assert_int_eq(sqlite3_open(path, &h), SQLITE_OK);
	{
		sqlite3_stmt *st;
		ck_assert_int_eq(sqlite3_prepare_v2(h, "SELECT MAX(report_time) FROM reports", -1,
						    &st, NULL),
				 SQLITE_OK);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
		ck_assert_int_eq(sqlite3_column_int64(st, 0), now + 600);
		sqlite3_finalize(st);
	}
	sqlite3_close(h);
}
END_TEST

/* The endpoints view comes in pages of URLs, each page bounded: at most
 * COL_ENDPOINT_FPS_SHOWN fingerprints per URL, whatever the fleet sends. */
START_TEST(test_endpoints_pages)
{
	struct col_db *db;
	struct col_err err = {0};
	struct col_report *r;
	struct col_endpoint_query q = {.limit = 7, .link = "/api/v1/endpoints?limit=7"};
	char *out, after[64];
	int dup, h, pages = 0, seen = 0;

	ck_assert_int_eq(col_db_open(target, COL_SYNC_FULL, &db, &err), 0);
	/* 60 hosts with a certificate of their own on https://e0000/, and 20
	 * URLs each. */
	for (h = 0; h < 60; h++) {
		r = make_eps(h + 1, h, 0, 20);
		ck_assert_int_eq(col_db_insert_batch(db, &r, 1, &dup, 1900000000, &err), 0);
		col_report_free(r);
	}
	for (;;) {
		ck_assert_int_eq(col_db_endpoints_json(db, &q, &out, &err), 0);
		ck_assert_msg(pages < 10, "more pages than URLs: %s", out);
		assert_has(out, "\"total\":20,");
		if (pages == 0) {
			/* https://e0000/: 60 hosts, 60 fingerprints, 50 listed. */
			assert_has(out, "\"url\":\"https://e0000/\",\"hosts\":60,");
			assert_has(out, "\"fingerprints_total\":60,\"several_fingerprints\":true");
			ck_assert_ptr_null(strstr(out, ":00:00:3B\"")); /* the 60th is not listed */
		}
		for (const char *p = out; (p = strstr(p, "\"url\":")) != NULL; p++)
			seen++;
		pages++;
		const char *next = strstr(out, "\"next_after\":\"");
		if (next == NULL) {
			ck_assert_ptr_null(strstr(out, "\"next\":"));
			free(out);
			break;
		}
		assert_has(out, "\"next\":\"/api/v1/endpoints?limit=7&after=https%3A%2F%2Fe");
		snprintf(after, sizeof(after), "%.*s", (int)strcspn(next + 14, "\""), next + 14);
		q.after = after;
		free(out);
	}
	ck_assert_int_eq(pages, 3);
	ck_assert_int_eq(seen, 20);
	col_db_close(db);
}
END_TEST

struct submitter {
	struct col_writer *w;
	int first, n, dups, fails;
};

static void *submit_many(void *arg)
{
	struct submitter *s = arg;
	char host[32];
	int i, dup;

	for (i = 0; i < s->n; i++) {
		struct col_err err = {0};
		snprintf(host, sizeof(host), "pc%d", s->first + i);
		struct col_report *r =
			make(s->first + i, host, "2026-01-01T00:00:00Z", "trusted", FP_A);
		if (col_writer_submit(s->w, r, &dup, &err) < 0)
			s->fails++;
		s->dups += dup;
		col_report_free(r);
	}
	return NULL;
}

START_TEST(test_writer_concurrent)
{
	struct col_db *db;
	struct col_writer *w;
	struct col_err err = {0};
	struct submitter s[8];
	pthread_t t[8];
	struct col_db_stats st;
	uint64_t batches;
	int i;

	ck_assert_int_eq(col_db_open(target, COL_SYNC_FULL, &db, &err), 0);
	ck_assert_int_eq(col_writer_start(db, &w, &err), 0);
	for (i = 0; i < 8; i++) {
		s[i] = (struct submitter){.w = w, .first = i * 100, .n = 100};
		ck_assert_int_eq(pthread_create(&t[i], NULL, submit_many, &s[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(s[i].fails, 0);
		ck_assert_int_eq(s[i].dups, 0);
	}
	batches = col_writer_batches(w);
	col_writer_stop(w);
	ck_assert_int_eq(col_db_stats(db, &st, &err), 0);
	ck_assert_int_eq(st.reports, 800);
	ck_assert_int_eq(st.hosts, 800);
	/* Eight waiting threads share transactions. */
	ck_assert_msg(batches < 800, "%llu batches for 800 reports", (unsigned long long)batches);
	col_db_close(db);
}
END_TEST

/* Passwords in a --db URL never reach a log line. */
START_TEST(test_target_display)
{
	static const struct {
		const char *target, *shown;
	} cases[] = {
		{"/var/lib/uccx-trust-collector/collector.db",
		 "/var/lib/uccx-trust-collector/collector.db"},
		{"postgresql://col:s3cret@db.example:5432/uct",
		 "postgresql://col:***@db.example:5432/uct"},
		{"postgres://col:s3cret@db.example/uct", "postgres://col:***@db.example/uct"},
		{"postgresql://col@db.example/uct", "postgresql://col@db.example/uct"},
		{"postgresql://col:p@ss@db.example/uct", "postgresql://col:***@db.example/uct"},
		{"postgresql://db.example/uct?password=s3cret&sslmode=verify-full",
		 "postgresql://db.example/uct?password=***&sslmode=verify-full"},
		{"postgresql://db.example/uct?sslmode=require&password=s3cret",
		 "postgresql://db.example/uct?sslmode=require&password=***"},
		{"postgresql://db.example/uct?application_name=xpassword=1",
		 "postgresql://db.example/uct?application_name=xpassword=1"},
		{"postgresql://db.example/a@b", "postgresql://db.example/a@b"},
	};
	char buf[128], small[12];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		col_db_target_display(cases[i].target, buf, sizeof(buf));
		ck_assert_str_eq(buf, cases[i].shown);
	}
	col_db_target_display("postgresql://col:s3cret@db.example/uct", small, sizeof(small));
	ck_assert_str_eq(small, "postgresql:");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("collector_db");
	TCase *tc = uct_check_tcase(s, "core", 1);

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_batch_and_queries);
	tcase_add_test(tc, test_future_time);
	tcase_add_test(tc, test_endpoints_pages);
	if (getenv("UCT_TEST_PG_URL") == NULL) {
		/* These poke at the SQLite file. */
		tcase_add_test(tc, test_schema_versions);
		tcase_add_test(tc, test_migrate_v1_future);
	}
	tcase_add_test(tc, test_writer_concurrent);
	tcase_add_test(tc, test_target_display);
	return uct_check_run(s);
}
