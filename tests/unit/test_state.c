/*
 * test_state.c: the state file survives a round trip, merges endpoints,
 * and a damaged file is set aside instead of deciding trust.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "records.h"
#include "state.h"
#include "testcert.h"

static char path[128];

static void setup(void)
{
	snprintf(path, sizeof(path), "%s", uct_check_path("state"));
}

START_TEST(test_round_trip)
{
	struct uct_testcert *tc =
		uct_testcert_make(&(struct uct_testcert_spec){.cn = "uccx1.lab.example"});
	struct uct_cert *leaf = uct_testcert_to_uct(tc);
	struct uct_state st = {0}, back;
	struct uct_err err = {0};
	unsigned char fp[UCT_SHA256_LEN];
	int damaged;

	ck_assert_ptr_nonnull(leaf);
	memset(fp, 0x5a, sizeof(fp));
	ck_assert_int_eq(uct_state_set_seen(&st, "uccx1.lab.example:8445", leaf, 1000), 0);
	ck_assert_int_eq(uct_state_add_installed(&st, "nss:/home/u/.pki/nssdb", leaf->sha256,
						 UCT_TRUST_PEER, "uccx1.lab.example:8445"),
			 0);
	ck_assert_int_eq(uct_state_add_installed(&st, "nss:/home/u/.pki/nssdb", leaf->sha256,
						 UCT_TRUST_PEER, "uccx1.lab.example:443"),
			 0);
	/* The same endpoint twice is not repeated. */
	ck_assert_int_eq(uct_state_add_installed(&st, "nss:/home/u/.pki/nssdb", leaf->sha256,
						 UCT_TRUST_PEER, "uccx1.lab.example:443"),
			 0);
	ck_assert_int_eq(uct_state_add_installed(&st, "ff-override:/p/cert_override.txt", fp,
						 UCT_TRUST_OVERRIDE, "uccx1.lab.example:7443"),
			 0);
	st.last_run = 1234;
	st.last_exit = 1;
	st.last_command = strdup("install");
	st.last_summary = strdup("12/13 endpoints\ttrusted");
	ck_assert_int_eq(uct_state_save(path, &st, &err), 0);

	ck_assert_int_eq(uct_state_load(path, &back, &damaged, &err), 0);
	ck_assert_int_eq(damaged, 0);
	ck_assert_int_eq(back.n_seen, 1);
	ck_assert_int_eq(back.n_installed, 2);
	ck_assert_str_eq(back.installed[0].hostports,
			 "uccx1.lab.example:8445,uccx1.lab.example:443");
	ck_assert_mem_eq(back.seen[0].sha256, leaf->sha256, UCT_SHA256_LEN);
	ck_assert_int_eq(back.seen[0].not_after, leaf->not_after);
	ck_assert_str_eq(back.seen[0].names, "uccx1.lab.example");
	ck_assert_int_eq(back.installed[1].trust, UCT_TRUST_OVERRIDE);
	ck_assert_int_eq(back.last_run, 1234);
	ck_assert_int_eq(back.last_exit, 1);
	/* A tab in a value cannot break the record format. */
	ck_assert_str_eq(back.last_summary, "12/13 endpoints trusted");
	ck_assert_ptr_nonnull(uct_state_find_installed(&back, "ff-override:/p/cert_override.txt",
						       fp));
	uct_state_drop_installed(&back, "nss:/home/u/.pki/nssdb", leaf->sha256);
	ck_assert_int_eq(back.n_installed, 1);
	ck_assert_ptr_null(uct_state_find_installed(&back, "nss:/home/u/.pki/nssdb", leaf->sha256));

	uct_state_free(&st);
	uct_state_free(&back);
	uct_cert_free(leaf);
	uct_testcert_free(tc);
}
END_TEST

START_TEST(test_missing_is_empty)
{
	struct uct_state st;
	struct uct_err err = {0};
	int damaged = 1;

	ck_assert_int_eq(uct_state_load(path, &st, &damaged, &err), 0);
	ck_assert_int_eq(damaged, 0);
	ck_assert_int_eq(st.n_seen + st.n_installed, 0);
	uct_state_free(&st);
}
END_TEST

/* Reads a whole small file into buf; -1 when it does not exist. */
static int slurp(const char *file, char *buf, size_t size)
{
	FILE *f = fopen(file, "r");
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
	return 0;
}

/* A run that changes no record only writes the outcome, to PATH.last; a
 * run that changes one writes the state. Loading takes the newer outcome. */
START_TEST(test_unchanged_records_write_only_the_outcome)
{
	struct uct_testcert *tc =
		uct_testcert_make(&(struct uct_testcert_spec){.cn = "uccx1.lab.example"});
	struct uct_cert *leaf = uct_testcert_to_uct(tc);
	struct uct_state st = {0}, back;
	struct uct_err err = {0};
	char before[4096], after[4096], last_path[160];
	int damaged;

	snprintf(last_path, sizeof(last_path), "%s.last", path);
	ck_assert_int_eq(uct_state_set_seen(&st, "uccx1.lab.example:8445", leaf, 1000), 0);
	st.last_run = 2000;
	st.last_command = strdup("install");
	st.last_summary = strdup("13/13 endpoints trusted, 5 changes");
	ck_assert_int_eq(uct_state_save(path, &st, &err), 0);
	ck_assert_int_eq(slurp(path, before, sizeof(before)), 0);
	ck_assert_int_ne(access(last_path, F_OK), 0);

	/* The login run: the same records, a new outcome. */
	ck_assert_int_eq(uct_state_set_seen(&st, "uccx1.lab.example:8445", leaf, 3000), 0);
	st.last_run = 3000;
	free(st.last_summary);
	st.last_summary = strdup("13/13 endpoints trusted, 0 changes");
	ck_assert_int_eq(uct_state_save(path, &st, &err), 0);
	ck_assert_int_eq(slurp(path, after, sizeof(after)), 0);
	ck_assert_str_eq(after, before);
	ck_assert_int_eq(access(last_path, F_OK), 0);
	ck_assert_int_eq(uct_state_load(path, &back, &damaged, &err), 0);
	ck_assert_int_eq(back.last_run, 3000);
	ck_assert_str_eq(back.last_summary, "13/13 endpoints trusted, 0 changes");
	ck_assert_int_eq(back.n_seen, 1);
	ck_assert_int_eq(back.seen[0].first_seen, 1000);

	/* A record changes in the same second as the outcome in PATH.last
	 * (an install, then a remove): the state is written with the newer
	 * outcome, and PATH.last no longer wins the tie. */
	ck_assert_int_eq(uct_state_add_installed(&back, "nss:/db", leaf->sha256, UCT_TRUST_PEER,
						 "uccx1.lab.example:8445"),
			 0);
	free(back.last_command);
	back.last_command = strdup("remove");
	ck_assert_int_eq(uct_state_save(path, &back, &err), 0);
	ck_assert_int_ne(access(last_path, F_OK), 0);
	uct_state_free(&back);
	ck_assert_int_eq(uct_state_load(path, &back, &damaged, &err), 0);
	ck_assert_int_eq(back.last_run, 3000);
	ck_assert_str_eq(back.last_command, "remove");

	/* A record changes: the state is written, with the outcome. */
	back.last_run = 4000;
	ck_assert_int_eq(uct_state_add_installed(&back, "nss:/db2", leaf->sha256, UCT_TRUST_PEER,
						 "uccx1.lab.example:8445"),
			 0);
	ck_assert_int_eq(uct_state_save(path, &back, &err), 0);
	ck_assert_int_eq(slurp(path, after, sizeof(after)), 0);
	ck_assert_ptr_nonnull(strstr(after, "installed\tnss:/db\t"));
	ck_assert_ptr_nonnull(strstr(after, "last\t4000\t"));
	uct_state_free(&back);
	ck_assert_int_eq(uct_state_load(path, &back, &damaged, &err), 0);
	ck_assert_int_eq(back.last_run, 4000);

	/* A damaged PATH.last costs only the outcome it held. */
	uct_state_free(&back);
	{
		FILE *f = fopen(last_path, "w");

		ck_assert_ptr_nonnull(f);
		fputs("uccx-trust-last-run\t1\nlast\tnot-a-time\n", f);
		fclose(f);
	}
	ck_assert_int_eq(uct_state_load(path, &back, &damaged, &err), 0);
	ck_assert_int_eq(damaged, 0);
	ck_assert_int_eq(back.last_run, 4000);
	ck_assert_int_eq(back.n_installed, 2);

	uct_state_free(&st);
	uct_state_free(&back);
	uct_cert_free(leaf);
	uct_testcert_free(tc);
}
END_TEST

#define FP64 "abababababababababababababababababababababababababababababababab"
#define FP64B "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"

static const char *const damaged_texts[] = {
	"garbage\n",
	"uccx-trust-state\t1\nseen\tx:1\tnot-a-fingerprint\t0\t0\tx\n",
	"uccx-trust-state\t1\ninstalled\tnss:/x\t"
	"00"
	"\tpeer\tx:1\n",
	"uccx-trust-state\t1\nwhat\tis\tthis\n",
	/* A record forged through a name: a second seen for a known endpoint. */
	"uccx-trust-state\t1\n"
	"seen\tuccx1.lab.example:8445\t" FP64 "\t2000000000\t1\tuccx1.lab.example\n"
	"seen\tuccx1.lab.example:8445\t" FP64B "\t2000000000\t1\tuccx1.lab.example\n",
	"uccx-trust-state\t1\n"
	"installed\tnss:/x\t" FP64 "\tpeer\tuccx1.lab.example:8445\n"
	"installed\tnss:/x\t" FP64 "\troot\t\n",
	/* Fingerprints: exactly 64 hex digits, nothing uct_fp_parse forgives. */
	"uccx-trust-state\t1\nseen\tuccx1.lab.example:8445\tsha256:" FP64
	"\t2000000000\t1\tuccx1.lab.example\n",
	"uccx-trust-state\t1\nseen\tuccx1.lab.example:8445\t" FP64 "0\t2000000000\t1\tn\n",
	/* Control bytes and surplus fields. */
	"uccx-trust-state\t1\nseen\tuccx1.lab.example:8445\t" FP64 "\t2000000000\t1\tn\x1b[2J\n",
	"uccx-trust-state\t1\nseen\tuccx1.lab.example:8445\t" FP64 "\t2000000000\t1\tn\textra\n",
	"uccx-trust-state\t1\nseen\tuccx1.lab.example:8445\t" FP64 "\t2000000000\t1\tn\r\n",
	"uccx-trust-state\t1\ninstalled\tnss:/x\x7f\t" FP64 "\tpeer\tuccx1.lab.example:8445\n",
	/* Names that are not the escaped text the writer puts there. */
	"uccx-trust-state\t1\nseen\tuccx1.lab.example:8445\t" FP64 "\t2000000000\t1\ta\xe2\x80\xae"
	"b\n",
	"uccx-trust-state\t1\nseen\tuccx1.lab.example:8445\t" FP64 "\t2000000000\t1\ta\xff\n",
	/* Endpoints that are not host:port. */
	"uccx-trust-state\t1\nseen\tuccx1.lab.example:0\t" FP64 "\t2000000000\t1\tn\n",
	"uccx-trust-state\t1\nseen\tuccx1.lab.example\t" FP64 "\t2000000000\t1\tn\n",
	"uccx-trust-state\t1\ninstalled\tnss:/x\t" FP64 "\tpeer\tuccx1.lab.example:8445,x y:1\n",
	/* Two outcomes. */
	"uccx-trust-state\t1\nlast\t1\t0\tcheck\tok\nlast\t2\t0\tcheck\tok\n",
};

START_TEST(test_damaged_is_set_aside)
{
	struct uct_state st;
	struct uct_err err = {0};
	struct stat sb;
	char aside[160];
	FILE *f = fopen(path, "w");
	int damaged = 0;

	ck_assert_ptr_nonnull(f);
	fputs(damaged_texts[_i], f);
	fclose(f);
	ck_assert_int_eq(uct_state_load(path, &st, &damaged, &err), 0);
	ck_assert_int_eq(damaged, 1);
	ck_assert_int_eq(st.n_seen + st.n_installed, 0);
	snprintf(aside, sizeof(aside), "%s.damaged", path);
	ck_assert_int_eq(stat(aside, &sb), 0);
	ck_assert_int_ne(stat(path, &sb), 0);
	uct_state_free(&st);
}
END_TEST

/*
 * Whatever bytes a server puts in its names and a profiles.ini in its
 * paths, the state written with them loads back as exactly the records
 * that were written, and every text field is safe. Each record i carries
 * the hostile name names[i] for its own endpoint.
 */
static void hostile_round_trip(char **names, int n)
{
	struct uct_state st = {0}, back;
	struct uct_err err = {0};
	char hostport[64], *id;
	int damaged = 1, i;

	for (i = 0; i < n; i++) {
		struct uct_cert leaf = {0};

		memset(leaf.sha256, i + 1, sizeof(leaf.sha256));
		leaf.not_after = 2000000000;
		ck_assert_int_eq(uct_strv_push(&leaf.san_dns, "uccx1.lab.example"), 0);
		ck_assert_int_eq(uct_strv_push(&leaf.san_dns, names[i]), 0);
		snprintf(hostport, sizeof(hostport), "uccx1.lab.example:%d", 1000 + i);
		ck_assert_int_eq(uct_state_set_seen(&st, hostport, &leaf, 1000), 0);
		id = uct_asprintf("nss:/home/u/%s", names[i]);
		ck_assert_int_eq(uct_state_add_installed(&st, id, leaf.sha256, UCT_TRUST_PEER,
							 hostport),
				 0);
		free(id);
		uct_strv_clear(&leaf.san_dns);
	}
	st.last_run = 1000;
	st.last_command = strdup("install");
	st.last_summary = strdup(names[0]);
	ck_assert_int_eq(uct_state_save(path, &st, &err), 0);
	ck_assert_int_eq(uct_state_load(path, &back, &damaged, &err), 0);
	ck_assert_int_eq(damaged, 0);
	ck_assert_int_eq(back.n_seen, n);
	ck_assert_int_eq(back.n_installed, n);
	for (i = 0; i < n; i++) {
		snprintf(hostport, sizeof(hostport), "uccx1.lab.example:%d", 1000 + i);
		ck_assert_str_eq(back.seen[i].hostport, hostport);
		ck_assert_int_eq(back.seen[i].sha256[0], i + 1);
		ck_assert(uct_text_is_safe(back.seen[i].names));
		ck_assert(uct_rec_field_ok(back.installed[i].store_id));
	}
	ck_assert(uct_text_is_safe(back.last_summary));
	uct_state_free(&st);
	uct_state_free(&back);
	unlink(path);
}

/* A store id is a path: one that is not UTF-8 reads back byte for byte,
 * one with a control reads back escaped, and neither breaks the file. */
START_TEST(test_store_id_paths)
{
	static const char *const ids[][2] = {
		{"nss:/home/jos\xe9/.pki/nssdb", "nss:/home/jos\xe9/.pki/nssdb"},
		{"nss:/home/u/a\tb\nseen/db", "nss:/home/u/a\\x09b\\x0Aseen/db"},
		{"capi:LocalMachine\\Root", "capi:LocalMachine\\Root"},
	};
	struct uct_state st = {0}, back;
	struct uct_err err = {0};
	unsigned char fp[UCT_SHA256_LEN];
	int damaged = 1;
	size_t i;

	memset(fp, 0x22, sizeof(fp));
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(uct_state_add_installed(&st, ids[i][0], fp, UCT_TRUST_PEER, ""),
				 0);
	ck_assert_int_eq(uct_state_save(path, &st, &err), 0);
	ck_assert_int_eq(uct_state_load(path, &back, &damaged, &err), 0);
	ck_assert_int_eq(damaged, 0);
	ck_assert_int_eq(back.n_installed, 3);
	for (i = 0; i < 3; i++)
		ck_assert_str_eq(back.installed[i].store_id, ids[i][1]);
	uct_state_free(&st);
	uct_state_free(&back);
}
END_TEST

START_TEST(test_hostile_fields_round_trip)
{
	char *names[255];
	unsigned seed = 20261204;
	int b, k, i, len;

	for (b = 1; b < 256; b++)
		names[b - 1] = uct_asprintf("x%cseen\tuccx2.lab.example:8445\t", b);
	hostile_round_trip(names, 255);
	for (b = 0; b < 255; b++) {
		len = 1 + (int)(rand_r(&seed) % 60);
		free(names[b]);
		names[b] = calloc(1, (size_t)len + 1);
		for (i = 0; i < len; i++)
			names[b][i] = (char)(1 + rand_r(&seed) % 255);
	}
	for (k = 0; k < 255; k += 85)
		hostile_round_trip(names + k, 85);
	for (b = 0; b < 255; b++)
		free(names[b]);
}
END_TEST

/* A record installed for the collector's approval keeps its mark across
 * a save and a load, and only that mark may follow the hostports. */
START_TEST(test_collector_mark_round_trips)
{
	struct uct_state st = {0}, back;
	struct uct_err err = {0};
	unsigned char a[UCT_SHA256_LEN], b[UCT_SHA256_LEN];
	char text[2048];
	FILE *fp;
	int damaged;

	memset(a, 0x11, sizeof(a));
	memset(b, 0x22, sizeof(b));
	ck_assert_int_eq(uct_state_add_installed(&st, "nss:/db", a, UCT_TRUST_PEER,
						 "h.example:443"),
			 0);
	st.mark_collector = 1;
	ck_assert_int_eq(uct_state_add_installed(&st, "nss:/db", b, UCT_TRUST_ROOT,
						 "h.example:443"),
			 0);
	ck_assert_int_eq(uct_state_save(path, &st, &err), 0);
	ck_assert_int_eq(uct_state_load(path, &back, &damaged, &err), 0);
	ck_assert_int_eq(damaged, 0);
	ck_assert_int_eq(uct_state_find_installed(&back, "nss:/db", a)->collector, 0);
	ck_assert_int_eq(uct_state_find_installed(&back, "nss:/db", b)->collector, 1);
	uct_state_free(&back);
	uct_state_free(&st);

	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	snprintf(text, sizeof(text), "installed\tnss:/db\t%064d\tpeer\th.example:443\tpinned\n", 1);
	fputs(text, fp);
	fclose(fp);
	ck_assert_int_eq(uct_state_load(path, &back, &damaged, &err), 0);
	ck_assert_int_eq(damaged, 1);
	ck_assert_uint_eq(back.n_installed, 0);
	uct_state_free(&back);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("state");
	TCase *tc = uct_check_tcase(s, "file", 1);

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_missing_is_empty);
	tcase_add_test(tc, test_unchanged_records_write_only_the_outcome);
	tcase_add_test(tc, test_hostile_fields_round_trip);
	tcase_add_test(tc, test_store_id_paths);
	tcase_add_test(tc, test_collector_mark_round_trips);
	tcase_add_loop_test(tc, test_damaged_is_set_aside, 0,
			    (int)(sizeof(damaged_texts) / sizeof(damaged_texts[0])));
	return uct_check_run(s);
}
