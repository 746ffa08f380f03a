/*
 * test_store_override.c: the Firefox cert_override.txt store on real files
 * in a temporary profile: exact line format, preservation of foreign lines,
 * replace/remove/list/verify, profile-lock detection and symlink refusal.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "platform.h"

#define HEADER                                       \
	"# PSM Certificate Override Settings file\n" \
	"# This is a generated file!  Do not edit.\n"
#define OID "OID.2.16.840.1.101.3.4.2.1"

static char profile[256];
static char file[300];

static void setup(void)
{
	snprintf(profile, sizeof(profile), "%s", uct_check_tmpdir());
	snprintf(file, sizeof(file), "%s/cert_override.txt", profile);
}

/* A certificate as far as this store cares: DER bytes and their SHA-256
 * (a pattern stands in for the digest; the store never recomputes it). */
static struct uct_cert *make_cert(unsigned char seed)
{
	struct uct_cert *cert = calloc(1, sizeof(*cert));

	cert->der = malloc(16);
	memset(cert->der, seed, 16);
	cert->der_len = 16;
	for (int i = 0; i < UCT_SHA256_LEN; i++)
		cert->sha256[i] = (unsigned char)(seed + i * 7);
	return cert;
}

/* The exact line Firefox 153 accepts for host:port and cert. */
static char *expected_line(const char *host, int port, const struct uct_cert *cert)
{
	char fp[UCT_FP_STRLEN];

	uct_fp_format(cert->sha256, fp);
	return uct_asprintf("%s:%d:\t" OID "\t%s\t\n", host, port, fp);
}

/* Our line for host:port and its companion for "host.:port", as add writes
 * them for a name without a trailing dot. */
static char *expected_pair(const char *host, int port, const struct uct_cert *cert)
{
	char fp[UCT_FP_STRLEN];

	uct_fp_format(cert->sha256, fp);
	return uct_asprintf("%s:%d:\t" OID "\t%s\t\n%s.:%d:\t" OID "\t%s\t\n", host, port, fp, host,
			    port, fp);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = calloc(1, 65536);
	size_t len;

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	len = fread(text, 1, 65535, f);
	text[len] = '\0';
	fclose(f);
	return text;
}

static void spit(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static struct uct_store *open_store(void)
{
	struct uct_err err = {0};
	struct uct_store *store = uct_store_override_new(profile, "firefox:test", &err);

	ck_assert_msg(store != NULL, "%s", err.msg);
	return store;
}

static int add(struct uct_store *store, const char *host, int port, const struct uct_cert *cert,
	       struct uct_err *err)
{
	struct uct_anchor anchor = {
		.cert = cert, .trust = UCT_TRUST_OVERRIDE, .host = host, .port = port};

	return store->ops->add(store, &anchor, err);
}

static int del(struct uct_store *store, const char *host, int port, const struct uct_cert *cert,
	       struct uct_err *err)
{
	struct uct_anchor anchor = {
		.cert = cert, .trust = UCT_TRUST_OVERRIDE, .host = host, .port = port};

	return store->ops->remove(store, &anchor, err);
}

static int verified(struct uct_store *store, const char *host, int port, struct uct_cert *cert,
		    struct uct_verify_result *res)
{
	struct uct_cert *certs[1] = {cert};
	struct uct_chain chain = {.certs = certs, .n = 1};
	struct uct_err err = {0};

	ck_assert_int_eq(store->ops->verify(store, &chain, host, port, res, &err), 0);
	return res->trusted;
}

START_TEST(test_add_creates_file_with_header_and_exact_line)
{
	struct uct_store *store = open_store();
	struct uct_cert *cert = make_cert(0xA5);
	struct uct_err err = {0};
	struct stat st;
	char *want, *got, *text;

	ck_assert_int_eq(store->busy, 0);
	ck_assert_str_eq(store->ops->name, "ff-override");
	ck_assert_str_eq(store->path, file);
	ck_assert_int_eq(store->browser, UCT_BROWSER_FIREFOX);
	/* A mixed-case host is written lowercased: Firefox looks up the URL's host. */
	ck_assert_msg(add(store, "UCCX1.Example.com", 8445, cert, &err) == 0, "%s", err.msg);
	want = expected_pair("uccx1.example.com", 8445, cert);
	text = uct_asprintf(HEADER "%s", want);
	got = slurp(file);
	ck_assert_str_eq(got, text);
	/* Uppercase hex, tabs, trailing tab: checked byte by byte once more. */
	ck_assert_ptr_nonnull(strstr(got, ":8445:\tOID.2.16.840.1.101.3.4.2.1\tA5:AC:B3:"));
	ck_assert_ptr_nonnull(strstr(got, "\t\n"));
	ck_assert_int_eq(stat(file, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	free(want);
	free(text);
	free(got);
	uct_cert_free(cert);
	store->ops->destroy(store);
}
END_TEST

/* Lines the store does not own: comments, other hosts, a container-scoped
 * exception for the same host:port, an old-style line, and a last line
 * without a newline. */
#define FOREIGN                                                                                                        \
	HEADER "# a comment the user wrote\n"                                                                          \
	       "other.example.com:443:\t" OID                                                                          \
	       "\t01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F:20\t\n" \
	       "uccx1.example.com:8445:^userContextId=2\t" OID                                                         \
	       "\tFF:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F:20\t\n" \
	       "legacy.example.com:443\tOID.2.16.840.1.101.3.4.2.1\tAB:CD\tMU\tdbkey\n"                                \
	       "last.example.com:8443:\t" OID "\t"                                                                     \
	       "AA:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F:20\t"

START_TEST(test_foreign_lines_survive_add_replace_remove)
{
	struct uct_store *store;
	struct uct_cert *old = make_cert(0x10), *renewed = make_cert(0x20);
	struct uct_err err = {0};
	char *line_old, *line_new, *want, *got;

	spit(file, FOREIGN);
	store = open_store();
	line_old = expected_pair("uccx1.example.com", 8445, old);
	line_new = expected_pair("uccx1.example.com", 8445, renewed);

	ck_assert_msg(add(store, "uccx1.example.com", 8445, old, &err) == 0, "%s", err.msg);
	/* No header added to a file that has one; the unterminated last line is
	 * ended before ours is appended. */
	want = uct_asprintf(FOREIGN "\n%s", line_old);
	got = slurp(file);
	ck_assert_str_eq(got, want);
	free(want);
	free(got);

	/* A renewed certificate replaces the line in place. */
	ck_assert_msg(add(store, "uccx1.example.com", 8445, renewed, &err) == 0, "%s", err.msg);
	want = uct_asprintf(FOREIGN "\n%s", line_new);
	got = slurp(file);
	ck_assert_str_eq(got, want);
	free(want);
	free(got);

	/* Removing the old fingerprint changes nothing; the current one goes. */
	ck_assert_int_eq(del(store, "uccx1.example.com", 8445, old, &err), 0);
	got = slurp(file);
	ck_assert_ptr_nonnull(strstr(got, line_new));
	free(got);
	ck_assert_msg(del(store, "uccx1.example.com", 8445, renewed, &err) == 0, "%s", err.msg);
	got = slurp(file);
	ck_assert_str_eq(got, FOREIGN "\n");
	free(got);

	free(line_old);
	free(line_new);
	uct_cert_free(old);
	uct_cert_free(renewed);
	store->ops->destroy(store);
}
END_TEST

START_TEST(test_replace_in_place_and_drop_duplicates)
{
	struct uct_store *store;
	struct uct_cert *a = make_cert(1), *b = make_cert(2), *c = make_cert(3);
	struct uct_err err = {0};
	char *la = expected_line("h.example.com", 443, a),
	     *lb = expected_line("h.example.com", 443, b);
	char *lc = expected_line("h.example.com", 443, c), *want, *got;
	char *ld = expected_line("h.example.com.", 443, c);

	want = uct_asprintf(HEADER "%sx.example.com:1:\tjunk\n%s", la, lb);
	spit(file, want);
	free(want);
	store = open_store();
	ck_assert_int_eq(add(store, "h.example.com", 443, c, &err), 0);
	/* The companion for the dotted name is appended (see below). */
	want = uct_asprintf(HEADER "%sx.example.com:1:\tjunk\n%s", lc, ld);
	got = slurp(file);
	ck_assert_str_eq(got, want);
	free(want);
	free(got);
	free(la);
	free(lb);
	free(lc);
	free(ld);
	uct_cert_free(a);
	uct_cert_free(b);
	uct_cert_free(c);
	store->ops->destroy(store);
}
END_TEST

START_TEST(test_unchanged_add_does_not_write)
{
	struct uct_store *store = open_store();
	struct uct_cert *cert = make_cert(9);
	struct uct_err err = {0};
	struct stat before, after;

	ck_assert_int_eq(add(store, "a.example.com", 443, cert, &err), 0);
	ck_assert_int_eq(stat(file, &before), 0);
	ck_assert_int_eq(add(store, "a.example.com", 443, cert, &err), 0);
	ck_assert_int_eq(stat(file, &after), 0);
	/* An atomic rewrite would give a new inode. */
	ck_assert_uint_eq(before.st_ino, after.st_ino);
	uct_cert_free(cert);
	store->ops->destroy(store);
}
END_TEST

START_TEST(test_remove_absent)
{
	struct uct_store *store = open_store();
	struct uct_cert *cert = make_cert(9);
	struct uct_err err = {0};

	ck_assert_int_eq(del(store, "a.example.com", 443, cert, &err), 0);
	ck_assert_int_eq(access(file, F_OK), -1); /* not created */
	uct_cert_free(cert);
	store->ops->destroy(store);
}
END_TEST

/*
 * A write killed before its rename leaves "cert_override.txt.uct-PID-XXXXXX"
 * next to the file; the next write removes it once its writer is gone (an
 * older agent's name without a pid only once it is an hour old), never a
 * live writer's.
 */
START_TEST(test_stale_temporaries_removed)
{
	struct uct_store *store = open_store();
	struct uct_cert *cert = make_cert(10);
	struct uct_err err = {0};
	char dead[400], live[400], old[400], young[400];
	struct timeval past[2] = {{time(NULL) - 7200, 0}, {time(NULL) - 7200, 0}};
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	snprintf(dead, sizeof(dead), "%s.uct-%ld-AbCdEf", file, (long)pid);
	snprintf(live, sizeof(live), "%s.uct-%ld-GhIjKl", file, (long)getppid());
	snprintf(old, sizeof(old), "%s.uct-MnOpQr", file);
	snprintf(young, sizeof(young), "%s.uct-StUvWx", file);
	spit(dead, "torn");
	spit(live, "in progress");
	spit(old, "an older agent's");
	spit(young, "an older agent's, recent");
	ck_assert_int_eq(utimes(old, past), 0);
	ck_assert_int_eq(add(store, "a.example.com", 443, cert, &err), 0);
	ck_assert_int_eq(access(dead, F_OK), -1);
	ck_assert_int_eq(access(old, F_OK), -1);
	ck_assert_int_eq(access(live, F_OK), 0);
	ck_assert_int_eq(access(young, F_OK), 0);
	uct_cert_free(cert);
	store->ops->destroy(store);
}
END_TEST

struct seen {
	int n;
	char labels[8][128];
	int ports[8];
	unsigned char first_sha[UCT_SHA256_LEN];
	int stop_after;
	int fail_after; /* fail as a collector out of memory does */
};

static int collect(const struct uct_store_entry *e, void *ctx, struct uct_err *err)
{
	struct seen *s = ctx;

	ck_assert_int_eq(e->trust, UCT_TRUST_OVERRIDE);
	ck_assert_ptr_nonnull(e->host);
	if (s->n == 0)
		memcpy(s->first_sha, e->sha256, UCT_SHA256_LEN);
	snprintf(s->labels[s->n], sizeof(s->labels[0]), "%s", e->label);
	s->ports[s->n] = e->port;
	s->n++;
	if (s->fail_after && s->n >= s->fail_after)
		return uct_err_set(err, UCT_E_NOMEM, 12, "collector out of memory");
	return s->stop_after && s->n >= s->stop_after ? UCT_LIST_STOP : 0;
}

START_TEST(test_list_reports_default_container_lines)
{
	struct uct_store *store;
	struct uct_cert *cert = make_cert(0x30);
	struct uct_err err = {0};
	struct seen s = {0};
	unsigned char other_fp[UCT_SHA256_LEN];

	spit(file, FOREIGN);
	store = open_store();
	ck_assert_int_eq(add(store, "uccx1.example.com", 8445, cert, &err), 0);
	ck_assert_int_eq(store->ops->list(store, collect, &s, &err), 0);
	/* other.example.com, last.example.com and ours; not the container line,
	 * not the comment, not the old-style line. */
	ck_assert_int_eq(s.n, 3);
	ck_assert_str_eq(s.labels[0], "override other.example.com:443");
	ck_assert_str_eq(s.labels[1], "override last.example.com:8443");
	ck_assert_str_eq(s.labels[2], "override uccx1.example.com:8445");
	ck_assert_int_eq(s.ports[2], 8445);
	ck_assert_int_eq(uct_fp_parse("01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:"
				      "14:15:16:17:18:19:1A:1B:1C:1D:1E:1F:20",
				      other_fp),
			 0);
	ck_assert_mem_eq(s.first_sha, other_fp, UCT_SHA256_LEN);

	memset(&s, 0, sizeof(s));
	s.stop_after = 1;
	ck_assert_int_eq(store->ops->list(store, collect, &s, &err), 0);
	ck_assert_int_eq(s.n, 1);

	/* A collector that fails fails the listing: a caller must never take
	 * the two entries it got for all three. */
	memset(&s, 0, sizeof(s));
	s.fail_after = 2;
	ck_assert_int_eq(store->ops->list(store, collect, &s, &err), -1);
	ck_assert_int_eq(err.code, UCT_E_NOMEM);
	ck_assert_str_eq(err.msg, "collector out of memory");
	ck_assert_int_eq(s.n, 2);
	uct_cert_free(cert);
	store->ops->destroy(store);
}
END_TEST

/*
 * Firefox keys an exception by the URL's host as typed: https://h.:443/
 * needs its own "h.:443:" line. add writes it next to ours, list shows the
 * pair as one record, remove takes both out, and a user's line for the
 * dotted name with another certificate is left alone by remove.
 */
START_TEST(test_trailing_dot_companion)
{
	struct uct_store *store;
	struct uct_cert *cert = make_cert(0x61), *other = make_cert(0x62);
	struct uct_err err = {0};
	struct seen s = {0};
	char *pair, *users, *want, *got;

	store = open_store();
	ck_assert_msg(add(store, "h.example.com", 443, cert, &err) == 0, "%s", err.msg);
	pair = expected_pair("h.example.com", 443, cert);
	want = uct_asprintf(HEADER "%s", pair);
	got = slurp(file);
	ck_assert_str_eq(got, want);
	free(want);
	free(got);
	ck_assert_int_eq(store->ops->list(store, collect, &s, &err), 0);
	ck_assert_int_eq(s.n, 1);
	ck_assert_str_eq(s.labels[0], "override h.example.com:443");
	ck_assert_msg(del(store, "h.example.com", 443, cert, &err) == 0, "%s", err.msg);
	got = slurp(file);
	ck_assert_str_eq(got, HEADER);
	free(got);

	/* A name typed with its dot gets one line: there is no other spelling. */
	ck_assert_msg(add(store, "d.example.com.", 443, cert, &err) == 0, "%s", err.msg);
	want = expected_line("d.example.com.", 443, cert);
	users = uct_asprintf(HEADER "%s", want);
	got = slurp(file);
	ck_assert_str_eq(got, users);
	free(want);
	free(users);
	free(got);
	ck_assert_int_eq(del(store, "d.example.com.", 443, cert, &err), 0);

	/* The user's own exception for the dotted name, another certificate:
	 * listed as a record of its own, and kept by remove. */
	want = expected_line("u.example.com", 443, cert);
	got = expected_line("u.example.com.", 443, other);
	users = uct_asprintf(HEADER "%s%s", want, got);
	spit(file, users);
	free(users);
	users = uct_asprintf(HEADER "%s", got);
	free(want);
	free(got);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(store->ops->list(store, collect, &s, &err), 0);
	ck_assert_int_eq(s.n, 2);
	ck_assert_int_eq(del(store, "u.example.com", 443, cert, &err), 0);
	got = slurp(file);
	ck_assert_str_eq(got, users);
	free(got);
	free(users);
	free(pair);
	uct_cert_free(cert);
	uct_cert_free(other);
	store->ops->destroy(store);
}
END_TEST

START_TEST(test_verify)
{
	struct uct_store *store = open_store();
	struct uct_cert *cert = make_cert(0x40), *other = make_cert(0x41);
	struct uct_verify_result res;
	struct uct_err err = {0};

	ck_assert_int_eq(verified(store, "v.example.com", 8445, cert, &res), 0);
	ck_assert_str_eq(res.code, "OVERRIDE_MISSING");
	ck_assert_int_eq(add(store, "v.example.com", 8445, cert, &err), 0);
	ck_assert_int_eq(verified(store, "v.example.com", 8445, cert, &res), 1);
	ck_assert_int_eq(verified(store, "V.EXAMPLE.COM", 8445, cert, &res), 1);
	ck_assert_int_eq(verified(store, "v.example.com", 8444, cert, &res), 0);
	ck_assert_str_eq(res.code, "OVERRIDE_MISSING");
	ck_assert_int_eq(verified(store, "v.example.com", 8445, other, &res), 0);
	ck_assert_str_eq(res.code, "OVERRIDE_MISSING");
	ck_assert_ptr_nonnull(strstr(res.detail, "another certificate"));
	uct_cert_free(cert);
	uct_cert_free(other);
	store->ops->destroy(store);
}
END_TEST

/*
 * A line whose key holds a NUL byte is not an exception for the host
 * before the NUL: Firefox keys the whole string. Such a line is neither
 * listed, nor taken as the exception, nor replaced: it is left as it is.
 */
START_TEST(test_line_with_nul_is_not_ours)
{
	struct uct_store *store;
	struct uct_cert *cert = make_cert(0x50);
	struct uct_verify_result res;
	struct uct_err err = {0};
	struct seen s = {0};
	char fp[UCT_FP_STRLEN], line[400], got[1024];
	char *mine;
	size_t n;
	int len;
	FILE *f;

	uct_fp_format(cert->sha256, fp);
	len = snprintf(line, sizeof(line), "v.example.com%c.evil.example:8445:\t" OID "\t%s\t\n", 0,
		       fp);
	f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fwrite(line, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	store = open_store();
	ck_assert_int_eq(store->ops->list(store, collect, &s, &err), 0);
	ck_assert_int_eq(s.n, 0);
	ck_assert_int_eq(verified(store, "v.example.com", 8445, cert, &res), 0);
	/* Ours is added after it; the line itself stays, byte for byte. */
	ck_assert_int_eq(add(store, "v.example.com", 8445, cert, &err), 0);
	mine = expected_pair("v.example.com", 8445, cert);
	f = fopen(file, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(got, 1, sizeof(got), f);
	fclose(f);
	ck_assert_uint_eq(n, (size_t)len + strlen(mine));
	ck_assert_mem_eq(got, line, (size_t)len);
	ck_assert_mem_eq(got + len, mine, strlen(mine));
	free(mine);
	uct_cert_free(cert);
	store->ops->destroy(store);
}
END_TEST

START_TEST(test_bad_anchors_refused)
{
	struct uct_store *store = open_store();
	struct uct_cert *cert = make_cert(0x50);
	struct uct_err err = {0};
	struct uct_anchor peer = {
		.cert = cert, .trust = UCT_TRUST_PEER, .host = "a.example.com", .port = 443};

	ck_assert_int_eq(store->ops->add(store, &peer, &err), -1);
	ck_assert_int_eq(err.code, UCT_E_USAGE);
	uct_err_clear(&err);
	/* A name that would smuggle a line into the file. */
	ck_assert_int_eq(add(store, "a.example.com\nevil.example.com:443:", 443, cert, &err), -1);
	ck_assert_int_eq(err.code, UCT_E_USAGE);
	uct_err_clear(&err);
	ck_assert_int_eq(add(store, "a.example.com", 0, cert, &err), -1);
	ck_assert_int_eq(access(file, F_OK), -1);
	uct_cert_free(cert);
	store->ops->destroy(store);
}
END_TEST

START_TEST(test_symlinked_file_refused)
{
	struct uct_store *store = open_store();
	struct uct_cert *cert = make_cert(0x60);
	struct uct_err err = {0};
	char target[320], *got;
	struct seen s = {0};

	snprintf(target, sizeof(target), "%s/elsewhere.txt", profile);
	spit(target, "precious\n");
	ck_assert_int_eq(symlink(target, file), 0);
	ck_assert_int_eq(add(store, "a.example.com", 443, cert, &err), -1);
	ck_assert_int_eq(err.code, UCT_E_IO);
	ck_assert_ptr_nonnull(strstr(err.msg, "symbolic link"));
	uct_err_clear(&err);
	ck_assert_int_eq(store->ops->list(store, collect, &s, &err), -1);
	got = slurp(target);
	ck_assert_str_eq(got, "precious\n");
	free(got);
	uct_cert_free(cert);
	store->ops->destroy(store);
}
END_TEST

static void make_lock_link(long pid)
{
	char link[320], target[64];

	snprintf(link, sizeof(link), "%s/lock", profile);
	snprintf(target, sizeof(target), "127.0.1.1:+%ld", pid);
	unlink(link);
	ck_assert_int_eq(symlink(target, link), 0);
}

static void assert_locked_add(struct uct_store *store)
{
	struct uct_cert *cert = make_cert(0x70);
	struct uct_err err = {0};
	char *before = access(file, F_OK) == 0 ? slurp(file) : NULL, *after;

	ck_assert_int_eq(add(store, "a.example.com", 443, cert, &err), -1);
	ck_assert_int_eq(err.code, UCT_E_LOCKED);
	ck_assert_ptr_nonnull(strstr(err.msg, "close Firefox, then run again"));
	ck_assert_ptr_nonnull(strstr(err.msg, profile));
	/* Nothing written: Firefox would overwrite it at exit anyway. */
	if (before == NULL) {
		ck_assert_int_eq(access(file, F_OK), -1);
	} else {
		after = slurp(file);
		ck_assert_str_eq(after, before);
		free(after);
	}
	free(before);
	uct_cert_free(cert);
}

START_TEST(test_busy_live_lock_link)
{
	struct uct_store *store;

	make_lock_link((long)getpid());
	store = open_store();
	ck_assert_int_eq(store->busy, 1);
	assert_locked_add(store);
	store->ops->destroy(store);
}
END_TEST

START_TEST(test_busy_rechecked_at_write)
{
	struct uct_store *store = open_store();
	struct uct_cert *cert = make_cert(0x71);
	struct uct_err err = {0};

	ck_assert_int_eq(store->busy, 0);
	ck_assert_int_eq(add(store, "b.example.com", 443, cert, &err), 0);
	make_lock_link((long)getpid()); /* Firefox started after discovery */
	assert_locked_add(store);
	ck_assert_int_eq(store->busy, 1);
	ck_assert_int_eq(del(store, "b.example.com", 443, cert, &err), -1);
	ck_assert_int_eq(err.code, UCT_E_LOCKED);
	uct_cert_free(cert);
	store->ops->destroy(store);
}
END_TEST

START_TEST(test_stale_lock_link_not_busy)
{
	struct uct_store *store;
	struct uct_cert *cert = make_cert(0x72);
	struct uct_err err = {0};
	pid_t child = fork();

	/* A crashed Firefox leaves the link behind, naming a dead process. */
	ck_assert_int_ge(child, 0);
	if (child == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(child, NULL, 0), child);
	make_lock_link((long)child);
	store = open_store();
	ck_assert_int_eq(store->busy, 0);
	ck_assert_msg(add(store, "a.example.com", 443, cert, &err) == 0, "%s", err.msg);
	uct_cert_free(cert);
	store->ops->destroy(store);
}
END_TEST

/* A child holding the fcntl lock on .parentlock, as a running Firefox does. */
START_TEST(test_busy_parentlock_held_by_other_process)
{
	struct uct_store *store;
	char path[320], byte = 0;
	int ready[2], quit[2];
	pid_t child;

	snprintf(path, sizeof(path), "%s/.parentlock", profile);
	spit(path, "");
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(quit), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
		int fd = open(path, O_RDWR);

		alarm(30); /* never outlive a broken test */
		if (fd < 0 || fcntl(fd, F_SETLK, &fl) != 0)
			_exit(1);
		byte = 1;
		if (write(ready[1], &byte, 1) != 1)
			_exit(1);
		if (read(quit[0], &byte, 1) < 0)
			_exit(1);
		_exit(0);
	}
	ck_assert_int_eq(read(ready[0], &byte, 1), 1);
	store = open_store();
	ck_assert_int_eq(store->busy, 1);
	assert_locked_add(store);
	store->ops->destroy(store);

	ck_assert_int_eq(write(quit[1], &byte, 1), 1);
	ck_assert_int_eq(waitpid(child, NULL, 0), child);
	/* Firefox gone (the file stays behind, unlocked): not busy. */
	store = open_store();
	ck_assert_int_eq(store->busy, 0);
	store->ops->destroy(store);
}
END_TEST

START_TEST(test_constructor)
{
	struct uct_err err = {0};
	struct uct_store *store = uct_store_override_new("", "g", &err);

	ck_assert_ptr_null(store);
	ck_assert_int_eq(err.code, UCT_E_USAGE);
	store = open_store();
	ck_assert_str_eq(store->group, "firefox:test");
	ck_assert_ptr_nonnull(strstr(store->id, profile));
	store->ops->close(store);
	store->ops->destroy(store);
}
END_TEST

/* The first of firefox-esr / firefox on PATH, or NULL. */
static const char *firefox_binary(void)
{
	static const char *const names[] = {"/usr/bin/firefox-esr", "/usr/bin/firefox"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (access(names[i], X_OK) == 0)
			return names[i];
	return NULL;
}

/* Poll (bounded) until the profile's busy state is want. */
static int wait_busy(int want, int seconds)
{
	struct uct_store *store;
	int busy = !want;

	for (int i = 0; i < seconds * 10 && busy != want; i++) {
		store = open_store();
		busy = store->busy;
		store->ops->destroy(store);
		if (busy != want)
			usleep(100000);
	}
	return busy;
}

/* The real browser: a headless Firefox on the profile makes it busy (its
 * lock symlink and .parentlock), refuses our write, and keeps the line we
 * wrote before it started when it exits. Needs firefox(-esr) installed. */
START_TEST(test_real_firefox_lock)
{
	const char *firefox = firefox_binary();
	struct uct_cert *cert = make_cert(0x80);
	struct uct_verify_result res;
	struct uct_err err = {0};
	struct uct_store *store;
	char db[320];
	pid_t child;

	if (firefox == NULL) {
		fprintf(stderr, "firefox not installed: real-browser lock check skipped\n");
		uct_cert_free(cert);
		return;
	}
	store = open_store();
	ck_assert_int_eq(add(store, "uccx1.example.com", 8445, cert, &err), 0);
	store->ops->destroy(store);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		setenv("HOME", profile, 1);
		setenv("MOZ_HEADLESS", "1", 1);
		freopen("/dev/null", "w", stdout);
		freopen("/dev/null", "w", stderr);
		alarm(60);
		execl(firefox, firefox, "--headless", "--no-remote", "--profile", profile,
		      "about:blank", (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(wait_busy(1, 30), 1);
	store = open_store();
	assert_locked_add(store);
	store->ops->destroy(store);
	/* Let it get as far as its security module (it creates cert9.db), so
	 * that its exit runs the code that rewrites the override file. */
	snprintf(db, sizeof(db), "%s/cert9.db", profile);
	for (int i = 0; i < 300 && access(db, F_OK) != 0; i++)
		usleep(100000);
	ck_assert_int_eq(access(db, F_OK), 0);
	kill(child, SIGTERM);
	ck_assert_int_eq(waitpid(child, NULL, 0), child);
	ck_assert_int_eq(wait_busy(0, 10), 0);
	store = open_store();
	ck_assert_int_eq(verified(store, "uccx1.example.com", 8445, cert, &res), 1);
	store->ops->destroy(store);
	uct_cert_free(cert);
}
END_TEST

static Suite *override_suite(void)
{
	Suite *s = suite_create("store_override");
	TCase *tc = uct_check_tcase(s, "file", 1);

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_add_creates_file_with_header_and_exact_line);
	tcase_add_test(tc, test_foreign_lines_survive_add_replace_remove);
	tcase_add_test(tc, test_replace_in_place_and_drop_duplicates);
	tcase_add_test(tc, test_trailing_dot_companion);
	tcase_add_test(tc, test_unchanged_add_does_not_write);
	tcase_add_test(tc, test_remove_absent);
	tcase_add_test(tc, test_stale_temporaries_removed);
	tcase_add_test(tc, test_list_reports_default_container_lines);
	tcase_add_test(tc, test_verify);
	tcase_add_test(tc, test_line_with_nul_is_not_ours);
	tcase_add_test(tc, test_bad_anchors_refused);
	tcase_add_test(tc, test_symlinked_file_refused);
	tcase_add_test(tc, test_busy_live_lock_link);
	tcase_add_test(tc, test_busy_rechecked_at_write);
	tcase_add_test(tc, test_stale_lock_link_not_busy);
	tcase_add_test(tc, test_busy_parentlock_held_by_other_process);
	tcase_add_test(tc, test_constructor);
	tcase_add_test(tc, test_real_firefox_lock);
	return s;
}

UCT_CHECK_MAIN(override_suite)
