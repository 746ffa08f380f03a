/*
 * test_store_nss.c: the NSS database store (platform/linux/store_nss.c)
 * against real temporary sql: databases, cross-checked with certutil and
 * the sqlite3 tool. Certificates come from tests/support/nss_certs.c.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nss.h>

#include "check_main.h"
#include "nss_certs.h"
#include "platform.h"
#include "store_mem.h"
#include "testcert.h"

/* ---- databases and certutil ------------------------------------------ */

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* An empty database made by certutil, as a browser would have it. */
static const char *certutil_db(const char *name)
{
	const char *dir = uct_check_path(name);

	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_int_eq(run("certutil -N -d sql:%s --empty-password", dir), 0);
	return dir;
}

/*
 * The trust flags certutil -L prints for nickname in dir ("CT,C,C" style),
 * into flags; returns 1 when listed, 0 when absent. Lines are
 * "<nickname padded with spaces> <flags>".
 */
static int certutil_flags(const char *dir, const char *nickname, char *flags, size_t size)
{
	char cmd[512], line[512];
	FILE *p;
	int found = 0;

	snprintf(cmd, sizeof(cmd), "certutil -L -d sql:%s", dir);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while (fgets(line, sizeof(line), p) != NULL) {
		char *end = line + strlen(line), *sp;

		while (end > line && (end[-1] == '\n' || end[-1] == ' '))
			*--end = '\0';
		if ((sp = strrchr(line, ' ')) == NULL)
			continue;
		snprintf(flags, size, "%s", sp + 1);
		while (sp > line && sp[-1] == ' ')
			sp--;
		*sp = '\0';
		/* A nickname holding ':' (as the agent's tag does) is printed
		 * with its token name in front, so that -n can find it again. */
		if (strcmp(line, nickname) == 0 || (strncmp(line, "NSS Certificate DB:", 19) == 0 &&
						    strcmp(line + 19, nickname) == 0)) {
			found = 1;
			break;
		}
	}
	pclose(p);
	return found;
}

/* Rows of each PKCS#11 class in the database's public table, read with the
 * sqlite3 tool: CKO_CERTIFICATE is 1, CKO_NSS_TRUST 0xCE534353. */
static int db_objects(const char *dir, const char *class_hex)
{
	char cmd[512];
	FILE *p;
	int n = -1;

	snprintf(
		cmd, sizeof(cmd),
		"sqlite3 -readonly %s/cert9.db \"select count(*) from nssPublic where hex(a0)='%s'\"",
		dir, class_hex);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}
#define CKO_CERT_HEX "00000001"
#define CKO_TRUST_HEX "CE534353"

/* ---- the store through its ops --------------------------------------- */

struct listed {
	int n;
	enum uct_trust trust;
	unsigned char sha256[UCT_SHA256_LEN];
	char label[128];
};

static int collect(const struct uct_store_entry *e, void *ctx, struct uct_err *err)
{
	struct listed *l = ctx;

	(void)err;
	l->n++;
	l->trust = e->trust;
	memcpy(l->sha256, e->sha256, UCT_SHA256_LEN);
	snprintf(l->label, sizeof(l->label), "%s", e->label);
	return 0;
}

static struct uct_store *store_new(const char *dir)
{
	struct uct_err err = {0};
	struct uct_store *s = uct_store_nss_new(dir, "chromium", UCT_BROWSER_CHROMIUM, &err);

	ck_assert_msg(s != NULL, "new: %s", err.msg);
	return s;
}

static void store_open(struct uct_store *s, int rw)
{
	struct uct_err err = {0};

	ck_assert_msg(s->ops->open(s, rw, &err) == 0, "open: %s", err.msg);
}

static void store_add(struct uct_store *s, const struct tnss_cert *t, enum uct_trust trust)
{
	struct uct_err err = {0};
	struct uct_anchor a = {t->cert, trust, "uccx1.example.com", 8445};

	ck_assert_msg(s->ops->add(s, &a, &err) == 0, "add: %s", err.msg);
}

static void store_remove(struct uct_store *s, const struct tnss_cert *t)
{
	struct uct_err err = {0};
	struct uct_anchor a = {t->cert, UCT_TRUST_NONE, NULL, 0};

	ck_assert_msg(s->ops->remove(s, &a, &err) == 0, "remove: %s", err.msg);
}

static struct listed store_list(struct uct_store *s)
{
	struct uct_err err = {0};
	struct listed l = {0};

	ck_assert_msg(s->ops->list(s, collect, &l, &err) == 0, "list: %s", err.msg);
	return l;
}

/* The label of the one tagged entry (static buffer), opening read-only. */
static const char *store_list_label(struct uct_store *s)
{
	static struct listed l;

	store_open(s, 0);
	l = store_list(s);
	s->ops->close(s);
	ck_assert_int_eq(l.n, 1);
	return l.label;
}

/* Verify leaf (+ extra) for host with the store's own open/close. */
static struct uct_verify_result verify(struct uct_store *s, const struct tnss_cert *leaf,
				       const struct tnss_cert *extra, const char *host)
{
	struct uct_err err = {0};
	struct uct_verify_result r;
	struct uct_cert *certs[2] = {leaf->cert, extra ? extra->cert : NULL};
	struct uct_chain chain = {certs, extra ? 2 : 1};

	store_open(s, 0);
	ck_assert_msg(s->ops->verify(s, &chain, host, 8445, &r, &err) == 0, "verify: %s", err.msg);
	s->ops->close(s);
	return r;
}

/* ---- what each test starts with ------------------------------------- */

/*
 * Every test has its own temporary directory and a certificate for
 * uccx1.example.com (self-signed, CA:FALSE, with that SAN); the tests of
 * the "database" case also an empty database made by certutil in DIR/db
 * and a Chromium store over it, not opened. The teardown destroys the
 * store and checks that no NSS context outlives it.
 */
static struct {
	struct tnss_cert t;
	char dir[256];
	struct uct_store *s;
} fx;

static void cert_setup(void)
{
	fx.t = tnss_cert_make("uccx1.example.com", "uccx1.example.com", 0, NULL);
}

static void cert_teardown(void)
{
	tnss_cert_free(&fx.t);
	ck_assert(!NSS_IsInitialized());
}

static void db_setup(void)
{
	snprintf(fx.dir, sizeof(fx.dir), "%s", certutil_db("db"));
	fx.s = store_new(fx.dir);
}

static void db_teardown(void)
{
	fx.s->ops->destroy(fx.s);
	fx.s = NULL;
}

/* ---- cases ----------------------------------------------------------- */

/* A self-signed CA:FALSE server certificate: CP,, makes it verify. */
START_TEST(test_add_peer)
{
	const char *dir = fx.dir;
	struct tnss_cert t = fx.t;
	struct uct_store *s = fx.s;
	struct uct_verify_result r;
	struct listed l;
	struct uct_err ferr = {0};
	char flags[32];

	ck_assert_int_eq(s->created, 0);
	r = verify(s, &t, NULL, "uccx1.example.com");
	/* The classic verifier's word for a self-signed leaf it does not trust. */
	ck_assert_int_eq(r.trusted, 0);
	ck_assert_str_eq(r.code, "SEC_ERROR_CA_CERT_INVALID");

	store_open(s, 1);
	store_add(s, &t, UCT_TRUST_PEER);
	l = store_list(s);
	/* A collector that fails fails the listing. */
	ck_assert_int_eq(s->ops->list(s, uct_test_entry_nomem, NULL, &ferr), -1);
	ck_assert_str_eq(ferr.msg, "collector out of memory");
	s->ops->close(s);
	ck_assert_int_eq(l.n, 1);
	ck_assert_int_eq(l.trust, UCT_TRUST_PEER);
	ck_assert_mem_eq(l.sha256, t.cert->sha256, UCT_SHA256_LEN);
	ck_assert_msg(strncmp(l.label, "uccx-trust uccx1.example.com ", 29) == 0, "%s", l.label);
	ck_assert_int_eq(strlen(l.label), 29 + 8);

	ck_assert(certutil_flags(dir, l.label, flags, sizeof(flags)));
	ck_assert_str_eq(flags, "CP,,");
	r = verify(s, &t, NULL, "uccx1.example.com");
	ck_assert_msg(r.trusted == 1, "%s %s", r.code, r.detail);
	r = verify(s, &t, NULL, "uccx2.example.com");
	ck_assert_int_eq(r.trusted, 0);
	ck_assert_str_eq(r.code, "SSL_ERROR_BAD_CERT_DOMAIN");
}
END_TEST

/* A tagged certificate changes trust in place; removing it takes the trust
 * object too, so a later import of the same certificate starts clean. */
START_TEST(test_change_and_remove)
{
	const char *dir = fx.dir;
	struct tnss_cert t = fx.t;
	struct uct_store *s = fx.s;
	struct uct_verify_result r;
	struct listed l;
	char flags[32];

	store_open(s, 1);
	store_add(s, &t, UCT_TRUST_PEER);
	store_add(s, &t, UCT_TRUST_PEER_ONLY);
	l = store_list(s);
	ck_assert_int_eq(l.n, 1);
	ck_assert_int_eq(l.trust, UCT_TRUST_PEER_ONLY);
	s->ops->close(s);
	ck_assert(certutil_flags(dir, l.label, flags, sizeof(flags)));
	ck_assert_str_eq(flags, "P,,");

	ck_assert_int_eq(db_objects(dir, CKO_CERT_HEX), 1);
	ck_assert_int_eq(db_objects(dir, CKO_TRUST_HEX), 1);
	store_open(s, 1);
	store_remove(s, &t);
	ck_assert_int_eq(store_list(s).n, 0);
	store_remove(s, &t); /* absent: still a success */
	s->ops->close(s);
	ck_assert_int_eq(db_objects(dir, CKO_CERT_HEX), 0);
	ck_assert_int_eq(db_objects(dir, CKO_TRUST_HEX), 0);
	r = verify(s, &t, NULL, "uccx1.example.com");
	ck_assert_int_eq(r.trusted, 0);

	/* Re-imported by hand with no trust: no old trust comes back. */
	tnss_write_pem(&t, uct_check_path("t.pem"));
	ck_assert_int_eq(run("certutil -A -d sql:%s -n again -t ,, -i %s", dir,
			     uct_check_path("t.pem")),
			 0);
	ck_assert(certutil_flags(dir, "again", flags, sizeof(flags)));
	ck_assert_str_eq(flags, ",,");
}
END_TEST

/* A private CA's root with C,, (the table below has more); removing it
 * takes the trust away again. */
START_TEST(test_root_ca)
{
	const char *dir = fx.dir;
	struct tnss_cert root = tnss_cert_make("Example Root CA", NULL, 1, NULL);
	struct tnss_cert leaf = tnss_cert_make("uccx1.example.com", "uccx1.example.com", 0, &root);
	struct uct_store *s = fx.s;
	struct uct_verify_result r;
	struct listed l;
	char flags[32];

	store_open(s, 1);
	store_add(s, &root, UCT_TRUST_ROOT);
	l = store_list(s);
	s->ops->close(s);
	ck_assert_int_eq(l.trust, UCT_TRUST_ROOT);
	ck_assert(certutil_flags(dir, l.label, flags, sizeof(flags)));
	ck_assert_str_eq(flags, "C,,");
	r = verify(s, &leaf, &root, "uccx1.example.com");
	ck_assert_msg(r.trusted == 1, "%s %s", r.code, r.detail);
	/* The server's chain is used for the check only, never stored. */
	ck_assert_int_eq(db_objects(dir, CKO_CERT_HEX), 1);

	store_open(s, 1);
	store_remove(s, &root);
	s->ops->close(s);
	r = verify(s, &leaf, &root, "uccx1.example.com");
	ck_assert_int_eq(r.trusted, 0);
	tnss_cert_free(&leaf);
	tnss_cert_free(&root);
}
END_TEST

/* What the user put in the database is theirs: never re-tagged, changed or
 * removed, and not listed as ours. */
START_TEST(test_untagged_left_alone)
{
	const char *dir = fx.dir;
	struct tnss_cert t = fx.t;
	struct uct_store *s = fx.s;
	char flags[32];

	tnss_write_pem(&t, uct_check_path("t.pem"));
	ck_assert_int_eq(run("certutil -A -d sql:%s -n 'my server' -t P,, -i %s", dir,
			     uct_check_path("t.pem")),
			 0);
	store_open(s, 1);
	store_add(s, &t, UCT_TRUST_PEER);
	ck_assert_int_eq(store_list(s).n, 0);
	store_remove(s, &t);
	s->ops->close(s);
	ck_assert_int_eq(db_objects(dir, CKO_CERT_HEX), 1);
	ck_assert(certutil_flags(dir, "my server", flags, sizeof(flags)));
	ck_assert_str_eq(flags, "P,,");
}
END_TEST

/* A later run may know only the fingerprint of what an earlier run
 * installed (remove, or a server that now sends another certificate): the
 * store finds the object by its SHA-256, and still only when tagged. */
START_TEST(test_remove_by_fingerprint)
{
	const char *dir = fx.dir;
	struct tnss_cert ours = fx.t;
	struct tnss_cert users = tnss_cert_make("uccx2.example.com", "uccx2.example.com", 0, NULL);
	struct uct_store *s = fx.s;
	struct uct_cert only_fp = {0};
	struct uct_anchor a = {&only_fp, UCT_TRUST_NONE, NULL, 0};
	struct uct_err err = {0};

	tnss_write_pem(&users, uct_check_path("u.pem"));
	ck_assert_int_eq(run("certutil -A -d sql:%s -n 'my server' -t P,, -i %s", dir,
			     uct_check_path("u.pem")),
			 0);
	store_open(s, 1);
	store_add(s, &ours, UCT_TRUST_PEER);
	ck_assert_int_eq(store_list(s).n, 1);
	/* The user's certificate, by fingerprint: left alone. */
	memcpy(only_fp.sha256, users.cert->sha256, UCT_SHA256_LEN);
	ck_assert_int_eq(s->ops->remove(s, &a, &err), 0);
	/* Ours, by fingerprint: removed with its trust. */
	memcpy(only_fp.sha256, ours.cert->sha256, UCT_SHA256_LEN);
	ck_assert_msg(s->ops->remove(s, &a, &err) == 0, "remove: %s", err.msg);
	ck_assert_int_eq(store_list(s).n, 0);
	s->ops->close(s);
	ck_assert_int_eq(db_objects(dir, CKO_CERT_HEX), 1);
	ck_assert_int_eq(db_objects(dir, CKO_TRUST_HEX), 1);
	tnss_cert_free(&users);
}
END_TEST

/* A regenerated server certificate (same subject, new key) next to the
 * old one: both are the agent's, each with its own tag. Also next to a
 * same-subject certificate the user imported. */
START_TEST(test_renewal_same_subject)
{
	const char *dir = fx.dir;
	struct tnss_cert old = fx.t;
	struct tnss_cert renewed =
		tnss_cert_make("uccx1.example.com", "uccx1.example.com", 0, NULL);
	struct tnss_cert user = tnss_cert_make("uccx1.example.com", "uccx1.example.com", 0, NULL);
	struct uct_store *s = fx.s;
	struct uct_verify_result r;

	tnss_write_pem(&user, uct_check_path("u.pem"));
	ck_assert_int_eq(run("certutil -A -d sql:%s -n mine -t P,, -i %s", dir,
			     uct_check_path("u.pem")),
			 0);
	store_open(s, 1);
	store_add(s, &old, UCT_TRUST_PEER);
	store_add(s, &renewed, UCT_TRUST_PEER);
	s->ops->close(s);
	store_open(s, 0);
	ck_assert_int_eq(store_list(s).n, 2); /* the user's is not listed */
	s->ops->close(s);
	ck_assert_int_eq(db_objects(dir, CKO_CERT_HEX), 3);

	store_open(s, 1);
	store_remove(s, &old);
	store_remove(s, &user); /* not ours: stays */
	s->ops->close(s);
	ck_assert_int_eq(db_objects(dir, CKO_CERT_HEX), 2);
	r = verify(s, &renewed, NULL, "uccx1.example.com");
	ck_assert_msg(r.trusted == 1, "%s %s", r.code, r.detail);
	tnss_cert_free(&renewed);
	tnss_cert_free(&user);
}
END_TEST

/* A missing database: reading it sees an empty store and creates nothing;
 * the first write creates it (0700) and browsers can open it. */
START_TEST(test_created)
{
	const char *dir = uct_check_path("home/.pki/nssdb");
	struct tnss_cert t = fx.t;
	struct uct_store *s = store_new(dir);
	struct uct_verify_result r;
	struct stat st;
	char flags[32];

	ck_assert_int_eq(s->created, 1);
	store_open(s, 0);
	ck_assert_int_eq(store_list(s).n, 0);
	s->ops->close(s);
	r = verify(s, &t, NULL, "uccx1.example.com");
	ck_assert_int_eq(r.trusted, 0);
	ck_assert_int_eq(stat(uct_check_path("home"), &st), -1);

	store_open(s, 1);
	store_add(s, &t, UCT_TRUST_PEER);
	s->ops->close(s);
	ck_assert_int_eq(stat(uct_check_path("home/.pki/nssdb/cert9.db"), &st), 0);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(db_objects(dir, CKO_CERT_HEX), 1);
	ck_assert(certutil_flags(dir, store_list_label(s), flags, sizeof(flags)));
	ck_assert_str_eq(flags, "CP,,");
	r = verify(s, &t, NULL, "uccx1.example.com");
	ck_assert_msg(r.trusted == 1, "%s %s", r.code, r.detail);
	s->ops->destroy(s);
}
END_TEST

/* Entries of the parent of uct_check_path("home/.pki/nssdb") left by a creation. */
static int creation_leftovers(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "ls -a %s | grep -q '^nssdb\\.uct-'",
		 uct_check_path("home/.pki"));
	return system(cmd) == 0;
}

/*
 * What a creation killed by an older agent left: a cert9.db of 0 bytes,
 * an empty key4.db, a journal. It holds nothing, so it is made again in
 * its place; and the directory of a creation killed on the way (its
 * writer gone) is removed, one whose writer runs is left alone.
 */
START_TEST(test_empty_db_recreated)
{
	struct tnss_cert t = fx.t;
	char dir[256], dead[128], live[128];
	struct uct_verify_result r;
	struct uct_store *s;
	struct stat st;

	/* uct_check_path's buffers are reused: keep the database's path apart. */
	snprintf(dir, sizeof(dir), "%s", uct_check_path("home/.pki/nssdb"));
	ck_assert_int_eq(run("mkdir -p %s && : >%s/cert9.db && : >%s/key4.db && "
			     "head -c 512 /dev/urandom >%s/cert9.db-journal",
			     dir, dir, dir, dir),
			 0);
	snprintf(dead, sizeof(dead), "home/.pki/nssdb.uct-%ld-AbCdEf", uct_check_dead_pid());
	snprintf(live, sizeof(live), "home/.pki/nssdb.uct-%ld-GhIjKl", (long)getppid());
	ck_assert_int_eq(run("mkdir %s %s && : >%s/cert9.db && : >%s/key4.db", uct_check_path(dead),
			     uct_check_path(live), uct_check_path(dead), uct_check_path(dead)),
			 0);
	s = store_new(dir);
	store_open(s, 0);
	ck_assert_int_eq(store_list(s).n, 0);
	s->ops->close(s);
	store_open(s, 1);
	store_add(s, &t, UCT_TRUST_PEER);
	s->ops->close(s);
	ck_assert_int_eq(stat(uct_check_path(dead), &st), -1);
	ck_assert_int_eq(stat(uct_check_path(live), &st), 0);
	ck_assert_int_eq(rmdir(uct_check_path(live)), 0);
	ck_assert(!creation_leftovers());
	ck_assert_int_eq(stat(uct_check_path("home/.pki/nssdb/cert9.db-journal"), &st), -1);
	r = verify(s, &t, NULL, "uccx1.example.com");
	ck_assert_msg(r.trusted == 1, "%s %s", r.code, r.detail);
	ck_assert_int_eq(run("certutil -L -d sql:%s >/dev/null", dir), 0);
	s->ops->destroy(s);
}
END_TEST

/* A key database with no password at all (modutil -create makes one; so
 * does a creation killed before its password was set) takes the empty one
 * while it holds no certificate, instead of failing as if a Primary
 * Password were set. */
START_TEST(test_uninitialised_db)
{
	const char *dir = uct_check_path("uninit");
	struct tnss_cert t = fx.t;
	struct uct_verify_result r;
	struct uct_store *s;

	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_int_eq(run("modutil -create -dbdir sql:%s -force </dev/null >/dev/null 2>&1",
			     dir),
			 0);
	s = store_new(dir);
	store_open(s, 1);
	store_add(s, &t, UCT_TRUST_PEER);
	s->ops->close(s);
	r = verify(s, &t, NULL, "uccx1.example.com");
	ck_assert_msg(r.trusted == 1, "%s %s", r.code, r.detail);
	s->ops->destroy(s);
}
END_TEST

/* No database is made over a key4.db someone keeps without a cert9.db. */
START_TEST(test_lone_key_db_kept)
{
	const char *dir = uct_check_path("home/.pki/nssdb");
	struct uct_err err = {0};
	struct uct_store *s;
	struct stat st;

	ck_assert_int_eq(run("mkdir -p %s && printf 'keys' >%s/key4.db", dir, dir), 0);
	s = store_new(dir);
	ck_assert_int_eq(s->ops->open(s, 1, &err), -1);
	ck_assert_msg(strstr(err.msg, "key4.db") != NULL, "%s", err.msg);
	ck_assert_int_eq(stat(uct_check_path("home/.pki/nssdb/key4.db"), &st), 0);
	ck_assert_int_eq(st.st_size, 4);
	ck_assert_int_eq(stat(uct_check_path("home/.pki/nssdb/cert9.db"), &st), -1);
	ck_assert(!creation_leftovers());
	s->ops->destroy(s);
}
END_TEST

/* Profile paths may hold spaces and quotes: NSS must get the one path. */
START_TEST(test_odd_path)
{
	const char *dir = uct_check_path("it's a \"profile\"");
	struct tnss_cert t = fx.t;
	struct uct_store *s = store_new(dir);
	struct uct_verify_result r;
	struct stat st;

	store_open(s, 1);
	store_add(s, &t, UCT_TRUST_PEER);
	s->ops->close(s);
	ck_assert_int_eq(stat(uct_check_path("it's a \"profile\"/cert9.db"), &st), 0);
	r = verify(s, &t, NULL, "uccx1.example.com");
	ck_assert_msg(r.trusted == 1, "%s %s", r.code, r.detail);
	s->ops->destroy(s);
}
END_TEST

/* Creating a database never follows a symlink the agent did not make. */
START_TEST(test_symlink_refused)
{
	const char *dir = uct_check_path("link");
	struct uct_store *s;
	struct uct_err err = {0};
	struct stat st;

	ck_assert_int_eq(mkdir(uct_check_path("elsewhere"), 0700), 0);
	ck_assert_int_eq(symlink(uct_check_path("elsewhere"), dir), 0);
	s = store_new(dir);
	ck_assert_int_eq(s->ops->open(s, 1, &err), -1);
	ck_assert_int_eq(err.code, UCT_E_IO);
	ck_assert_int_eq(stat(uct_check_path("elsewhere/cert9.db"), &st), -1);
	s->ops->destroy(s);
}
END_TEST

/* Contexts must not overlap, adding an override is not NSS's job, and a
 * write needs a read-write open. */
START_TEST(test_misuse_refused)
{
	struct tnss_cert t = fx.t;
	struct uct_store *a = store_new(certutil_db("a"));
	struct uct_store *b = store_new(certutil_db("b"));
	struct uct_anchor over = {t.cert, UCT_TRUST_OVERRIDE, "uccx1.example.com", 8445};
	struct uct_anchor peer = {t.cert, UCT_TRUST_PEER, "uccx1.example.com", 8445};
	struct uct_err err = {0};

	store_open(a, 0);
	ck_assert_int_eq(b->ops->open(b, 0, &err), -1);
	ck_assert_int_eq(err.code, UCT_E_NSS);
	uct_err_clear(&err);
	ck_assert_int_eq(a->ops->add(a, &peer, &err), -1);
	uct_err_clear(&err);
	store_open(a, 1); /* upgrade */
	ck_assert_int_eq(a->ops->add(a, &over, &err), -1);
	ck_assert_int_eq(err.code, UCT_E_USAGE);
	ck_assert_int_eq(store_list(a).n, 0);
	a->ops->destroy(a); /* closes */
	store_open(b, 0);
	b->ops->destroy(b);
}
END_TEST

/* Defence in depth: the store itself refuses "C" for a certificate that
 * does not say CA:FALSE (its key would sign any site), writes nothing, and
 * still takes it as "P,," (this server only). */
START_TEST(test_issuer_trust_refused)
{
	static const struct uct_testcert_spec specs[] = {
		{.cn = "uccx1.example.com", .no_basic_constraints = 1},
		{.cn = "uccx1.example.com", .version = 1, .key_slot = 1},
	};
	size_t i;

	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct uct_testcert *tc = uct_testcert_make(&specs[i]);
		struct uct_cert *c = uct_testcert_to_uct(tc);
		struct uct_store *s = store_new(certutil_db(i == 0 ? "nobc" : "v1"));
		struct uct_anchor peer = {c, UCT_TRUST_PEER, "uccx1.example.com", 8445};
		struct uct_anchor root = {c, UCT_TRUST_ROOT, "uccx1.example.com", 8445};
		struct uct_anchor only = {c, UCT_TRUST_PEER_ONLY, "uccx1.example.com", 8445};
		struct uct_err err = {0};

		ck_assert_ptr_nonnull(c);
		store_open(s, 1);
		ck_assert_int_eq(s->ops->add(s, &peer, &err), -1);
		ck_assert_int_eq(err.code, UCT_E_USAGE);
		ck_assert_msg(strstr(err.msg, "sign certificates for any site") != NULL, "%s",
			      err.msg);
		uct_err_clear(&err);
		ck_assert_int_eq(s->ops->add(s, &root, &err), -1);
		ck_assert_int_eq(store_list(s).n, 0);
		uct_err_clear(&err);
		ck_assert_msg(s->ops->add(s, &only, &err) == 0, "add: %s", err.msg);
		ck_assert_int_eq(store_list(s).n, 1);
		ck_assert_int_eq(store_list(s).trust, UCT_TRUST_PEER_ONLY);
		s->ops->destroy(s);
		uct_cert_free(c);
		uct_testcert_free(tc);
		ck_assert(!NSS_IsInitialized());
	}
}
END_TEST

/* A Primary Password: nothing is written and the user is told why. */
START_TEST(test_primary_password)
{
	const char *dir = uct_check_path("db");
	struct tnss_cert t = fx.t;
	struct uct_anchor a = {t.cert, UCT_TRUST_PEER, "uccx1.example.com", 8445};
	struct uct_store *s;
	struct uct_err err = {0};
	FILE *f;

	ck_assert_int_eq(mkdir(dir, 0700), 0);
	f = fopen(uct_check_path("pw"), "w");
	fputs("correct horse\n", f);
	fclose(f);
	ck_assert_int_eq(run("certutil -N -d sql:%s -f %s", dir, uct_check_path("pw")), 0);
	s = store_new(dir);
	store_open(s, 1);
	ck_assert_int_eq(s->ops->add(s, &a, &err), -1);
	ck_assert_int_eq(err.code, UCT_E_LOGIN);
	ck_assert_ptr_nonnull(strstr(err.msg, "Primary Password"));
	s->ops->destroy(s);
	ck_assert_int_eq(db_objects(dir, CKO_CERT_HEX), 0);
}
END_TEST

/* Reading needs no write access to the directory. */
START_TEST(test_readonly_dir)
{
	const char *dir = fx.dir;
	struct tnss_cert t = fx.t;
	struct uct_store *s = fx.s;
	struct uct_verify_result r;

	store_open(s, 1);
	store_add(s, &t, UCT_TRUST_PEER);
	s->ops->close(s);
	ck_assert_int_eq(run("chmod 0400 %s/*.db && chmod 0500 %s", dir, dir), 0);
	r = verify(s, &t, NULL, "uccx1.example.com");
	ck_assert_msg(r.trusted == 1, "%s %s", r.code, r.detail);
	store_open(s, 0);
	ck_assert_int_eq(store_list(s).n, 1);
}
END_TEST

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* One process, many databases in sequence: every shutdown must succeed or
 * every later open fails. Also measures the cost per database. */
START_TEST(test_many_sequential)
{
	struct tnss_cert t = fx.t;
	double write_ms = 0, verify_ms = 0;
	struct timespec t0;
	char name[16];
	int i;

	for (i = 0; i < 20; i++) {
		struct uct_store *s;
		struct uct_verify_result r;

		snprintf(name, sizeof(name), "db%d", i);
		s = store_new(certutil_db(name));
		clock_gettime(CLOCK_MONOTONIC, &t0);
		store_open(s, 1);
		store_add(s, &t, UCT_TRUST_PEER);
		s->ops->close(s);
		write_ms += ms_since(&t0);
		ck_assert(!NSS_IsInitialized());
		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = verify(s, &t, NULL, "uccx1.example.com");
		verify_ms += ms_since(&t0);
		ck_assert_msg(r.trusted == 1, "db %d: %s", i, r.code);
		s->ops->destroy(s);
	}
	fprintf(stderr,
		"store_nss: open(rw)+add+close %.1f ms, open(ro)+verify+close %.1f ms "
		"per database\n",
		write_ms / 20, verify_ms / 20);
}
END_TEST

/* A database another program holds locked: the write open retries for a
 * bounded time, fails with UCT_E_LOCKED, and works once the lock is gone. */
START_TEST(test_locked)
{
	const char *dir = fx.dir;
	struct uct_store *s = fx.s;
	struct uct_err err = {0};
	struct timespec t0;
	struct stat st;
	double ms;
	char script[512];
	pid_t pid;
	int i, status;

	snprintf(
		script, sizeof(script),
		"printf 'BEGIN EXCLUSIVE;\\nselect 1;\\n.shell touch %s/held; sleep 20\\nCOMMIT;\\n' "
		"| sqlite3 %s/cert9.db >/dev/null",
		uct_check_tmpdir(), dir);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		setpgid(0, 0); /* so that the holder and its sqlite3 end together */
		execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100 && stat(uct_check_path("held"), &st) == -1; i++)
		usleep(50000);
	ck_assert_msg(i < 100, "the lock holder did not start");

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(s->ops->open(s, 1, &err), -1);
	ms = ms_since(&t0);
	ck_assert_int_eq(err.code, UCT_E_LOCKED);
	ck_assert_msg(strstr(err.msg, "busy") != NULL, "%s", err.msg);
	ck_assert_msg(ms > 1000 && ms < 8500, "gave up after %.0f ms", ms);
	ck_assert(!NSS_IsInitialized());

	kill(-pid, SIGTERM);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	for (i = 0; i < 100 && kill(-pid, 0) == 0; i++) /* sqlite3 gone too */
		usleep(50000);
	store_open(s, 1);
}
END_TEST

/* ---- what verify says, as a table ------------------------------------ */

enum shape {
	SELF_LEAF,       /* self-signed, CA:FALSE, SAN */
	SELF_LEAF_NOSAN, /* self-signed, CA:FALSE, CN only */
	SELF_CA,         /* self-signed, CA:TRUE (appliance style) */
	CA_LEAF,         /* leaf of a private root */
};

static const struct vcase {
	const char *what;
	enum shape shape;
	enum uct_browser browser;
	int trust_root;       /* CA_LEAF: the anchor is the root, not the leaf */
	enum uct_trust trust; /* NONE: nothing added */
	int send_root;        /* CA_LEAF: the server sends its root too */
	const char *host;
	int trusted;
	const char *code;
} vcases[] = {
	{"self-signed, no trust", SELF_LEAF, UCT_BROWSER_CHROMIUM, 0, UCT_TRUST_NONE, 0,
	 "uccx1.example.com", 0, "SEC_ERROR_CA_CERT_INVALID"},
	{"self-signed CP,,", SELF_LEAF, UCT_BROWSER_CHROMIUM, 0, UCT_TRUST_PEER, 0,
	 "uccx1.example.com", 1, ""},
	{"self-signed CP,, in Firefox", SELF_LEAF, UCT_BROWSER_FIREFOX, 0, UCT_TRUST_PEER, 0,
	 "uccx1.example.com", 1, ""},
	/* Chromium refuses C,, alone on a CA:FALSE server certificate too. */
	{"self-signed C,, only", SELF_LEAF, UCT_BROWSER_CHROMIUM, 0, UCT_TRUST_ROOT, 0,
	 "uccx1.example.com", 0, "SEC_ERROR_CA_CERT_INVALID"},
	{"self-signed CP,, other host", SELF_LEAF, UCT_BROWSER_CHROMIUM, 0, UCT_TRUST_PEER, 0,
	 "uccx2.example.com", 0, "SSL_ERROR_BAD_CERT_DOMAIN"},
	/* The store says what its trust says: that browsers ignore the CN
	 * and Firefox refuses a CA:TRUE server certificate is the analysis'
	 * rule (test_analyse.c), not re-derived here. */
	{"self-signed CP,, no SAN", SELF_LEAF_NOSAN, UCT_BROWSER_CHROMIUM, 0, UCT_TRUST_PEER, 0,
	 "uccx1.example.com", 1, ""},
	{"CA:TRUE self-signed P,,", SELF_CA, UCT_BROWSER_CHROMIUM, 0, UCT_TRUST_PEER_ONLY, 0,
	 "uccx1.example.com", 1, ""},
	{"CA:TRUE self-signed C,,", SELF_CA, UCT_BROWSER_CHROMIUM, 0, UCT_TRUST_ROOT, 0,
	 "uccx1.example.com", 1, ""},
	/* Firefox takes a server certificate as its own anchor only with C. */
	{"self-signed P,, in Firefox", SELF_LEAF, UCT_BROWSER_FIREFOX, 0, UCT_TRUST_PEER_ONLY, 0,
	 "uccx1.example.com", 0, "MOZILLA_PKIX_ERROR_SELF_SIGNED_CERT"},
	{"CA:TRUE self-signed P,, in Firefox", SELF_CA, UCT_BROWSER_FIREFOX, 0, UCT_TRUST_PEER_ONLY,
	 0, "uccx1.example.com", 1, ""},
	{"private CA, no trust", CA_LEAF, UCT_BROWSER_CHROMIUM, 1, UCT_TRUST_NONE, 0,
	 "uccx1.example.com", 0, "SEC_ERROR_UNKNOWN_ISSUER"},
	{"private CA, no trust, root sent", CA_LEAF, UCT_BROWSER_CHROMIUM, 1, UCT_TRUST_NONE, 1,
	 "uccx1.example.com", 0, "SEC_ERROR_UNTRUSTED_ISSUER"},
	{"private CA, root C,,", CA_LEAF, UCT_BROWSER_FIREFOX, 1, UCT_TRUST_ROOT, 0,
	 "uccx1.example.com", 1, ""},
	{"private CA, root C,, root sent", CA_LEAF, UCT_BROWSER_CHROMIUM, 1, UCT_TRUST_ROOT, 1,
	 "uccx1.example.com", 1, ""},
	{"private CA, root C,, other host", CA_LEAF, UCT_BROWSER_CHROMIUM, 1, UCT_TRUST_ROOT, 1,
	 "cuic.example.com", 0, "SSL_ERROR_BAD_CERT_DOMAIN"},
	{"private CA, leaf CP,,", CA_LEAF, UCT_BROWSER_CHROMIUM, 0, UCT_TRUST_PEER, 1,
	 "uccx1.example.com", 1, ""},
};

START_TEST(test_verify_table)
{
	const struct vcase *vc = &vcases[_i];
	struct tnss_cert root = {0}, leaf;
	struct uct_err err = {0};
	struct uct_store *s = uct_store_nss_new(fx.dir, "g", vc->browser, &err);
	struct uct_verify_result r;
	const struct tnss_cert *anchor;

	ck_assert_ptr_nonnull(s);
	if (vc->shape == CA_LEAF) {
		root = tnss_cert_make("Example Root CA", NULL, 1, NULL);
		leaf = tnss_cert_make("uccx1.example.com", "uccx1.example.com", 0, &root);
	} else {
		leaf = tnss_cert_make("uccx1.example.com",
				      vc->shape == SELF_LEAF_NOSAN ? NULL : "uccx1.example.com",
				      vc->shape == SELF_CA, NULL);
	}
	anchor = vc->trust_root ? &root : &leaf;
	if (vc->trust != UCT_TRUST_NONE) {
		store_open(s, 1);
		store_add(s, anchor, vc->trust);
		s->ops->close(s);
	}
	r = verify(s, &leaf, vc->send_root ? &root : NULL, vc->host);
	ck_assert_msg(r.trusted == vc->trusted, "%s: trusted %d (%s %s)", vc->what, r.trusted,
		      r.code, r.detail);
	ck_assert_msg(strcmp(r.code, vc->code) == 0, "%s: code %s, expected %s", vc->what, r.code,
		      vc->code);
	ck_assert_msg(r.trusted || r.detail[0] != '\0', "%s: no detail", vc->what);
	s->ops->destroy(s);
	tnss_cert_free(&leaf);
	if (root.x509 != NULL)
		tnss_cert_free(&root);
}
END_TEST

static Suite *store_nss_suite(void)
{
	Suite *s = suite_create("store_nss");
	/* Tests that find an empty database and a store over it. */
	TCase *db = uct_check_tcase(s, "database", 1);
	/* Tests that make their databases (or none) themselves. */
	TCase *paths = uct_check_tcase(s, "paths", 1);

	tcase_add_checked_fixture(db, cert_setup, cert_teardown);
	tcase_add_checked_fixture(db, db_setup, db_teardown);
	tcase_add_checked_fixture(paths, cert_setup, cert_teardown);
	tcase_set_timeout(db, 60);
	tcase_set_timeout(paths, 60);
	tcase_add_test(db, test_add_peer);
	tcase_add_test(db, test_change_and_remove);
	tcase_add_test(db, test_root_ca);
	tcase_add_test(db, test_untagged_left_alone);
	tcase_add_test(db, test_remove_by_fingerprint);
	tcase_add_test(db, test_renewal_same_subject);
	tcase_add_test(paths, test_created);
	tcase_add_test(paths, test_empty_db_recreated);
	tcase_add_test(paths, test_uninitialised_db);
	tcase_add_test(paths, test_lone_key_db_kept);
	tcase_add_test(paths, test_odd_path);
	tcase_add_test(paths, test_symlink_refused);
	tcase_add_test(paths, test_misuse_refused);
	tcase_add_test(paths, test_issuer_trust_refused);
	tcase_add_test(paths, test_primary_password);
	tcase_add_test(db, test_readonly_dir);
	tcase_add_test(paths, test_many_sequential);
	tcase_add_test(db, test_locked);
	tcase_add_loop_test(db, test_verify_table, 0, (int)(sizeof(vcases) / sizeof(vcases[0])));
	return s;
}

UCT_CHECK_MAIN(store_nss_suite)
