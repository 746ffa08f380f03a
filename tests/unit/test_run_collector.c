/*
 * test_run_collector.c: whole runs of the agent in the collector trust
 * mode (agent/analyse.c's decide_collector, agent/approved.c) against
 * stores in memory, with the trust document as the collector would give
 * it. What an administrator depends on: nothing is installed before
 * approval, an approval installs exactly what tofu would, and without a
 * valid document nothing changes.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "doctor.h"
#include "report.h"
#include "run_fixture.h"
#include "store_mem.h"
#include "testcert.h"

static struct uct_test_whole w;
static struct uct_cert *leaf1, *leaf2, *leaf1b, *ca, *ca_leaf;

static struct uct_cert *make(const struct uct_testcert_spec *spec, struct uct_testcert **keep)
{
	struct uct_testcert *tc = uct_testcert_make(spec);
	struct uct_cert *cert;

	ck_assert_ptr_nonnull(tc);
	cert = uct_testcert_to_uct(tc);
	ck_assert_ptr_nonnull(cert);
	if (keep != NULL)
		*keep = tc;
	else
		uct_testcert_free(tc);
	return cert;
}

static void setup(void)
{
	struct uct_testcert *ca_tc;

	uct_test_whole_init(&w);
	leaf1 = make(&(struct uct_testcert_spec){.cn = UCT_TEST_HOST1}, NULL);
	leaf1b = make(&(struct uct_testcert_spec){.cn = UCT_TEST_HOST1, .key_slot = 1}, NULL);
	leaf2 = make(&(struct uct_testcert_spec){.cn = UCT_TEST_HOST2}, NULL);
	ca = make(&(struct uct_testcert_spec){.cn = "Lab Root CA", .is_ca = 1}, &ca_tc);
	ca_leaf = make(&(struct uct_testcert_spec){.cn = UCT_TEST_HOST2, .issuer = ca_tc}, NULL);
	uct_testcert_free(ca_tc);
	w.present[0][0] = leaf1;
	w.present[1][0] = leaf2;
}

static void teardown(void)
{
	uct_test_whole_free(&w);
	uct_cert_free(leaf1);
	uct_cert_free(leaf1b);
	uct_cert_free(leaf2);
	uct_cert_free(ca);
	uct_cert_free(ca_leaf);
}

static void run_ok(const char *command, const char *mode)
{
	struct uct_err err;

	ck_assert_msg(uct_test_whole_run(&w, command, mode, &err) == 0, "%s: %s", command, err.msg);
}

static enum uct_trust trust_in(size_t s, const struct uct_cert *cert)
{
	return uct_store_mem_trust(w.stores[s], cert->sha256);
}

static size_t entries(size_t s)
{
	return uct_store_mem_counts(w.stores[s]).entries;
}

static int has_notice(const char *start)
{
	size_t i;

	for (i = 0; i < w.run.outcome.notices.n; i++)
		if (strstr(w.run.outcome.notices.v[i], start) != NULL)
			return 1;
	return 0;
}

/* What report or doctor renders of the last run (freed by the caller). */
static char *render(int what)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(out);
	if (what == 0)
		uct_report_text(out, &w.run, 0);
	else if (what == 1)
		uct_report_json(out, &w.run, NULL, w.run.outcome.exit_code);
	else
		uct_doctor_text(out, &w.run);
	fclose(out);
	ck_assert_ptr_nonnull(text);
	return text;
}

static void assert_renders(int what, const char *needle)
{
	char *text = render(what);

	ck_assert_msg(strstr(text, needle) != NULL, "'%s' not in:\n%.1500s", needle, text);
	free(text);
}

START_TEST(test_pending_installs_nothing)
{
	size_t i;

	run_ok("install", "collector");
	ck_assert_int_eq(w.run.outcome.exit_code, 1);
	ck_assert_uint_eq(entries(0), 0);
	ck_assert_uint_eq(entries(1), 0);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(w.run.read.res[i].an.approval, UCT_AP_PENDING);
		ck_assert_int_eq(w.run.read.res[i].verdict, UCT_V_PENDING);
	}
	ck_assert_str_eq(uct_verdict_name(UCT_V_PENDING), "pending");
	ck_assert_str_eq(uct_approval_name(UCT_AP_PENDING), "pending");
	ck_assert(has_notice("waiting for approval at the collector"));
	assert_renders(0, "WAITING");
	assert_renders(0, "waiting for approval at the collector");
	assert_renders(0, "trust mode collector");
	assert_renders(1, "\"verdict\":\"pending\"");
	assert_renders(1, "\"approval\":\"pending\"");
	assert_renders(1, "\"trust_mode\":\"collector\"");
	assert_renders(2, "approves it in the dashboard");
}
END_TEST

/* The stores after tofu installs what the servers present, to compare. */
static void tofu_reference(enum uct_trust ref[2][3])
{
	const struct uct_cert *certs[3] = {leaf1, leaf2, ca};
	size_t s, c;

	run_ok("install", "tofu");
	for (s = 0; s < 2; s++)
		for (c = 0; c < 3; c++)
			ref[s][c] = trust_in(s, certs[c]);
	run_ok("remove", "tofu");
	ck_assert_uint_eq(entries(0) + entries(1), 0);
}

static void assert_like(enum uct_trust ref[2][3])
{
	const struct uct_cert *certs[3] = {leaf1, leaf2, ca};
	size_t s, c;

	for (s = 0; s < 2; s++)
		for (c = 0; c < 3; c++)
			ck_assert_int_eq(trust_in(s, certs[c]), ref[s][c]);
}

START_TEST(test_approve_by_endpoint)
{
	enum uct_trust ref[2][3];

	tofu_reference(ref);
	uct_test_doc_approve(&w.doc, UCT_TRUST_KIND_ENDPOINT, UCT_TEST_HOST1, 8445, leaf1);
	uct_test_doc_approve(&w.doc, UCT_TRUST_KIND_ENDPOINT, UCT_TEST_HOST1, 443, leaf1);
	uct_test_doc_approve(&w.doc, UCT_TRUST_KIND_ENDPOINT, UCT_TEST_HOST2, 8445, leaf2);
	run_ok("install", "collector");
	ck_assert_int_eq(w.run.outcome.exit_code, 0);
	ck_assert_int_eq(w.run.read.res[0].an.approval, UCT_AP_COLLECTOR);
	assert_like(ref);
}
END_TEST

START_TEST(test_endpoint_approval_is_for_its_port_only)
{
	uct_test_doc_approve(&w.doc, UCT_TRUST_KIND_ENDPOINT, UCT_TEST_HOST1, 8445, leaf1);
	run_ok("install", "collector");
	ck_assert_int_eq(w.run.outcome.exit_code, 1);
	ck_assert_int_eq(w.run.read.res[0].an.approval, UCT_AP_COLLECTOR);
	/* Port 443 presents the same certificate, now trusted, but is not
	 * approved itself; the other host waits. */
	ck_assert_int_eq(w.run.read.res[1].an.approval, UCT_AP_PENDING);
	ck_assert_int_eq(w.run.read.res[2].verdict, UCT_V_PENDING);
	ck_assert_int_eq(trust_in(0, leaf1), UCT_TRUST_PEER);
	ck_assert_int_eq(trust_in(0, leaf2), UCT_TRUST_NONE);
}
END_TEST

START_TEST(test_approve_by_host)
{
	enum uct_trust ref[2][3];

	tofu_reference(ref);
	uct_test_doc_approve(&w.doc, UCT_TRUST_KIND_HOST, UCT_TEST_HOST1, 0, leaf1);
	uct_test_doc_approve(&w.doc, UCT_TRUST_KIND_HOST, "UCCX2.example.com", 0, leaf2);
	run_ok("install", "collector");
	ck_assert_int_eq(w.run.outcome.exit_code, 0);
	assert_like(ref);
	/* A second run writes nothing. */
	run_ok("install", "collector");
	ck_assert_uint_eq(w.run.plan.n_changes, 0);
}
END_TEST

START_TEST(test_approve_by_ca)
{
	w.present[1][0] = ca_leaf;
	w.present[1][1] = ca;
	uct_test_doc_approve(&w.doc, UCT_TRUST_KIND_HOST, UCT_TEST_HOST1, 0, leaf1);
	uct_test_doc_approve(&w.doc, UCT_TRUST_KIND_CA, UCT_TEST_HOST2, 0, ca);
	run_ok("install", "collector");
	ck_assert_int_eq(w.run.outcome.exit_code, 0);
	ck_assert_int_eq(w.run.read.res[2].an.approval, UCT_AP_COLLECTOR_CA);
	/* The CA is the anchor, as --ca-file makes it; its leaf is not held. */
	ck_assert_int_eq(trust_in(0, ca), UCT_TRUST_ROOT);
	ck_assert_int_eq(trust_in(1, ca), UCT_TRUST_ROOT);
	ck_assert_int_eq(trust_in(0, ca_leaf), UCT_TRUST_NONE);
}
END_TEST

START_TEST(test_approved_ca_the_server_leaves_out)
{
	/* HOST2 sends its leaf only: the CA comes from the document's PEM.
	 * (The store in memory verifies only what the chain holds, so only
	 * what is installed is checked here.) */
	w.present[1][0] = ca_leaf;
	uct_test_doc_approve(&w.doc, UCT_TRUST_KIND_CA, UCT_TEST_HOST2, 0, ca);
	run_ok("install", "collector");
	ck_assert_int_eq(w.run.read.res[2].an.approval, UCT_AP_COLLECTOR_CA);
	ck_assert_int_eq(trust_in(0, ca), UCT_TRUST_ROOT);
	ck_assert_int_eq(trust_in(1, ca), UCT_TRUST_ROOT);
	ck_assert_int_eq(trust_in(0, ca_leaf), UCT_TRUST_NONE);
}
END_TEST

START_TEST(test_ca_approved_for_another_host_waits)
{
	w.present[1][0] = ca_leaf;
	uct_test_doc_approve(&w.doc, UCT_TRUST_KIND_CA, UCT_TEST_HOST1, 0, ca);
	run_ok("install", "collector");
	ck_assert_int_eq(w.run.read.res[2].an.approval, UCT_AP_PENDING);
	ck_assert_int_eq(trust_in(0, ca), UCT_TRUST_NONE);
	ck_assert_int_eq(trust_in(1, ca), UCT_TRUST_NONE);
}
END_TEST

START_TEST(test_new_leaf_waits_and_old_trust_stays)
{
	uct_test_doc_approve(&w.doc, UCT_TRUST_KIND_HOST, UCT_TEST_HOST1, 0, leaf1);
	run_ok("install", "collector");
	ck_assert_int_eq(trust_in(0, leaf1), UCT_TRUST_PEER);
	/* The server's certificate changes; nobody approved the new one. */
	w.present[0][0] = leaf1b;
	run_ok("install", "collector");
	ck_assert_int_eq(w.run.outcome.exit_code, 1);
	ck_assert_int_eq(w.run.read.res[0].verdict, UCT_V_PENDING);
	ck_assert_int_eq(trust_in(0, leaf1), UCT_TRUST_PEER);
	ck_assert_int_eq(trust_in(1, leaf1), UCT_TRUST_PEER);
	ck_assert_int_eq(trust_in(0, leaf1b), UCT_TRUST_NONE);
	ck_assert_uint_eq(uct_store_mem_counts(w.stores[0]).removes, 0);
	/* Approved, it replaces the old one. */
	uct_test_doc_approve(&w.doc, UCT_TRUST_KIND_HOST, UCT_TEST_HOST1, 0, leaf1b);
	run_ok("install", "collector");
	ck_assert_int_eq(trust_in(0, leaf1b), UCT_TRUST_PEER);
	ck_assert_int_eq(trust_in(0, leaf1), UCT_TRUST_NONE);
}
END_TEST

START_TEST(test_no_document_changes_nothing)
{
	struct uct_mem_counts before[2], after;
	size_t s, i;

	uct_test_doc_approve(&w.doc, UCT_TRUST_KIND_HOST, UCT_TEST_HOST1, 0, leaf1);
	run_ok("install", "collector");
	for (s = 0; s < 2; s++)
		before[s] = uct_store_mem_counts(w.stores[s]);
	/* No valid document, and the second server now presents something
	 * new: nothing is added, nothing removed. */
	w.doc.missing = 1;
	snprintf(w.doc.problem, sizeof(w.doc.problem), "the trust document has expired");
	w.present[1][0] = ca_leaf;
	run_ok("install", "collector");
	ck_assert_int_eq(w.run.outcome.exit_code, 1);
	for (s = 0; s < 2; s++) {
		after = uct_store_mem_counts(w.stores[s]);
		ck_assert_uint_eq(after.adds, before[s].adds);
		ck_assert_uint_eq(after.removes, before[s].removes);
		ck_assert_uint_eq(after.entries, before[s].entries);
	}
	ck_assert_int_eq(trust_in(0, leaf1), UCT_TRUST_PEER);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(w.run.read.res[i].an.approval, UCT_AP_PENDING);
	ck_assert_str_eq(w.run.outcome.problems.v[0],
			 "no valid trust document: the trust document has expired");
}
END_TEST

START_TEST(test_revoked_approval_is_removed)
{
	w.present[1][0] = ca_leaf;
	w.present[1][1] = ca;
	uct_test_doc_approve(&w.doc, UCT_TRUST_KIND_HOST, UCT_TEST_HOST1, 0, leaf1);
	uct_test_doc_approve(&w.doc, UCT_TRUST_KIND_CA, UCT_TEST_HOST2, 0, ca);
	run_ok("install", "collector");
	ck_assert_int_eq(trust_in(0, leaf1), UCT_TRUST_PEER);
	ck_assert_int_eq(trust_in(1, ca), UCT_TRUST_ROOT);
	/* The CA is revoked: it goes from both stores, the leaf stays. */
	uct_test_doc_revoke(&w.doc, ca);
	run_ok("install", "collector");
	ck_assert_int_eq(w.run.outcome.exit_code, 1);
	ck_assert_int_eq(w.run.read.res[2].verdict, UCT_V_PENDING);
	ck_assert_int_eq(trust_in(0, ca), UCT_TRUST_NONE);
	ck_assert_int_eq(trust_in(1, ca), UCT_TRUST_NONE);
	ck_assert_int_eq(trust_in(0, leaf1), UCT_TRUST_PEER);
	/* Then the server certificate, though its server still presents it. */
	uct_test_doc_revoke(&w.doc, leaf1);
	run_ok("install", "collector");
	ck_assert_uint_eq(entries(0), 0);
	ck_assert_uint_eq(entries(1), 0);
}
END_TEST

START_TEST(test_what_tofu_installed_stays_while_pending)
{
	/* Switching a PC from tofu to collector: nothing is approved yet, and
	 * the pending path must not take away what tofu installed. */
	run_ok("install", "tofu");
	ck_assert_uint_eq(entries(0), 2);
	run_ok("install", "collector");
	ck_assert_int_eq(w.run.outcome.exit_code, 1);
	ck_assert_uint_eq(entries(0), 2);
	ck_assert_uint_eq(entries(1), 2);
	ck_assert_uint_eq(uct_store_mem_counts(w.stores[0]).removes, 0);
}
END_TEST

START_TEST(test_leaf_approval_replaced_by_its_ca)
{
	w.present[1][0] = ca_leaf;
	w.present[1][1] = ca;
	uct_test_doc_approve(&w.doc, UCT_TRUST_KIND_HOST, UCT_TEST_HOST2, 0, ca_leaf);
	run_ok("install", "collector");
	ck_assert_int_eq(trust_in(0, ca_leaf), UCT_TRUST_PEER);
	/* The administrator approves the CA instead: in the same run the CA
	 * comes in and the leaf goes, so the page never stops loading. */
	uct_test_doc_approve(&w.doc, UCT_TRUST_KIND_CA, UCT_TEST_HOST2, 0, ca);
	uct_test_doc_revoke(&w.doc, ca_leaf);
	run_ok("install", "collector");
	ck_assert_int_eq(trust_in(0, ca), UCT_TRUST_ROOT);
	ck_assert_int_eq(trust_in(0, ca_leaf), UCT_TRUST_NONE);
	ck_assert_int_eq(w.run.read.res[2].verdict, UCT_V_TRUSTED);
}
END_TEST

static Suite *collector_suite(void)
{
	Suite *s = suite_create("run_collector");
	TCase *tc = tcase_create("collector mode");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pending_installs_nothing);
	tcase_add_test(tc, test_approve_by_endpoint);
	tcase_add_test(tc, test_endpoint_approval_is_for_its_port_only);
	tcase_add_test(tc, test_approve_by_host);
	tcase_add_test(tc, test_approve_by_ca);
	tcase_add_test(tc, test_approved_ca_the_server_leaves_out);
	tcase_add_test(tc, test_ca_approved_for_another_host_waits);
	tcase_add_test(tc, test_new_leaf_waits_and_old_trust_stays);
	tcase_add_test(tc, test_no_document_changes_nothing);
	tcase_add_test(tc, test_revoked_approval_is_removed);
	tcase_add_test(tc, test_what_tofu_installed_stays_while_pending);
	tcase_add_test(tc, test_leaf_approval_replaced_by_its_ca);
	suite_add_tcase(s, tc);
	return s;
}

UCT_CHECK_MAIN(collector_suite)
