/*
 * store_nss.c: one NSS sql: database (Chromium's ~/.pki/nssdb, a Firefox
 * profile) as a trust store, driven through the NSS library with one
 * NSS_InitContext at a time (see DESIGN.md, "NSS facts").
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cert.h>
#include <certdb.h>
#include <nss.h>
#include <pk11pub.h>
#include <prerror.h>
#include <secerr.h>
#include <sslerr.h>

#include "log.h"
#include "nss_calls.h"
#include "nss_digest.h"
#include "platform.h"
#include "safepath.h"
#include "stale.h"
#include "../common/store_vec.h"
#include "store_nss.h"

/* Every certificate the agent installs carries a nickname with this prefix;
 * nothing without it is ever listed, changed or removed. The nickname is
 * "uccx-trust <CN or host> <first 8 hex digits of its SHA-256>". It holds
 * no ':' because NSS reads "a:b" as "token:label". */
#define NSS_TAG "uccx-trust "

/* A held SQLite lock makes NSS_InitContext fail after about 2 s (measured
 * with NSS 3.87: about 1 s each for cert9.db and key4.db) with
 * SEC_ERROR_PKCS11_GENERAL_ERROR. A browser holds it only for a commit, so
 * a few more tries cover it without hanging a run for long (about 7 s). */
#define NSS_OPEN_TRIES 3
#define NSS_RETRY_MS 200

/* Verification answers of the open database, by chain and host name.
 * Endpoints on several ports of one server share a chain, and NSS trust
 * does not depend on the port: one check each is enough. Any write or
 * close forgets them. */
#define NSS_MEMO_MAX 16
#define NSS_MEMO_DEPTH 4

struct nss_memo {
	unsigned char sha256[NSS_MEMO_DEPTH][UCT_SHA256_LEN];
	size_t n;
	char *host;
	struct uct_verify_result result;
};

struct nss_impl {
	NSSInitContext *ctx; /* NULL when closed */
	int rw;
	int nodb;   /* read-only open of a database that does not exist yet */
	char *home; /* the home the database belongs to, or NULL (nss_guard) */
	struct nss_memo memo[NSS_MEMO_MAX];
	size_t n_memo;
};

/* NSS contexts must not overlap (every write would go to the first
 * database), so the process has at most one open NSS store. */
static struct uct_store *nss_open_store;

static int nss_fail(struct uct_err *err, int code, const char *what)
{
	PRErrorCode e = PR_GetError();
	const char *name = PR_ErrorToName(e);

	return uct_err_set(err, code, (long)e, "%s: %s", what, name ? name : "unknown NSS error");
}

static void nss_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Size of dir/name, or -1 when it is not there (or not a regular file). */
static long long nss_file_size(const char *dir, const char *name)
{
	char *file = uct_asprintf("%s/%s", dir, name);
	struct stat st;
	long long size = -1;

	if (file != NULL && lstat(file, &st) == 0 && S_ISREG(st.st_mode))
		size = (long long)st.st_size;
	free(file);
	return size;
}

/*
 * 1 when dir holds a database. A cert9.db of 0 bytes (with key4.db absent
 * or as empty) is not one: a creation killed before SQLite wrote its first
 * page leaves exactly that, nothing anybody put there can be in it, and it
 * is made again in its place.
 */
static int nss_db_exists(const char *dir)
{
	long long cert = nss_file_size(dir, "cert9.db"), key = nss_file_size(dir, "key4.db");

	return cert > 0 || (cert == 0 && key > 0);
}

/* 1 when SQLite left a rollback journal with content next to a database: a
 * write (ours, a browser's) was killed before it committed. */
static int nss_has_journal(const char *dir)
{
	return nss_file_size(dir, "cert9.db-journal") > 0 ||
	       nss_file_size(dir, "key4.db-journal") > 0;
}

/* Create the missing parents of dir with mode 0700. */
static int nss_make_parents(const char *dir, struct uct_err *err)
{
	char *copy, *p;
	int rc = -1;

	if ((copy = uct_strdup(dir)) == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	for (p = copy + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(copy, 0700) == -1 && errno != EEXIST) {
			uct_err_set(err, UCT_E_IO, errno, "mkdir %s: %s", copy, strerror(errno));
			goto out;
		}
		*p = '/';
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

/* An existing dir must be a real directory: the agent writes only where it
 * expects to. 1 when it exists, 0 when not, -1 with err. */
static int nss_check_dir(const char *dir, struct uct_err *err)
{
	struct stat st;

	if (lstat(dir, &st) == -1)
		return errno == ENOENT
			       ? 0
			       : uct_err_set(err, UCT_E_IO, errno, "%s: %s", dir, strerror(errno));
	if (S_ISLNK(st.st_mode))
		return uct_err_set(
			err, UCT_E_IO, 0,
			"%s is a symbolic link: refusing to create an NSS database there", dir);
	if (!S_ISDIR(st.st_mode))
		return uct_err_set(err, UCT_E_IO, 0, "%s is not a directory", dir);
	return 1;
}

static void nss_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/*
 * Each NSS_InitContext loads the softoken with its SQLite and freebl, and
 * each NSS_ShutdownContext unloads them again: 2-3 ms of mapping and
 * relocation per database, three or more times a run. Holding one extra
 * reference on the modules NSS itself loaded keeps them mapped between
 * contexts; the next init only counts the reference up. NSS supports
 * modules that outlive a shutdown (its NSS_DISABLE_UNLOAD setting does the
 * same) and re-initialises them with C_Initialize. RTLD_NOLOAD never loads
 * anything: a module that is not loaded yet is pinned after a later open.
 * The references last until the process exits; the pages are those already
 * resident while a database is open.
 */
static void nss_pin_modules(void)
{
	static const char *const sonames[] = {"libsoftokn3.so", "libfreeblpriv3.so"};
	static void *pinned[2];
	size_t i;

	for (i = 0; i < 2; i++)
		if (pinned[i] == NULL)
			pinned[i] = dlopen(sonames[i], RTLD_LAZY | RTLD_LOCAL | RTLD_NOLOAD);
}

static NSSInitContext *nss_init(const char *dir, int rw, int nodb)
{
	PRUint32 flags = NSS_INIT_NOMODDB | NSS_INIT_NOROOTINIT | NSS_INIT_OPTIMIZESPACE;
	NSSInitContext *ctx;
	char *config;

	if (nodb)
		return NSS_InitContext("", "", "", "", NULL,
				       flags | NSS_INIT_READONLY | NSS_INIT_NOCERTDB);
	if (!rw)
		flags |= NSS_INIT_READONLY;
	if ((config = uct_asprintf("sql:%s", dir)) == NULL)
		return NULL;
	ctx = NSS_InitContext(config, "", "", "", NULL, flags);
	free(config);
	return ctx;
}

/* What a new database brings, cert9.db last: its presence is what says a
 * database is there. pkcs11.txt only when NSS wrote one. */
static const char *const nss_db_files[] = {"key4.db", "pkcs11.txt", "cert9.db"};

/* Make a database in the empty directory tmp and give its key slot the
 * empty password browsers expect, so that it opens without a prompt. */
static int nss_init_in(const char *tmp, struct uct_err *err)
{
	NSSInitContext *ctx = nss_init(tmp, 1, 0);
	PK11SlotInfo *slot;
	int rc = 0;

	if (ctx == NULL)
		return nss_fail(err, UCT_E_NSS, "cannot create an NSS database");
	if ((slot = PK11_GetInternalKeySlot()) == NULL) {
		rc = nss_fail(err, UCT_E_NSS, "no internal key slot");
	} else {
		if (PK11_NeedUserInit(slot) && PK11_InitPin(slot, NULL, "") != SECSuccess)
			rc = nss_fail(err, UCT_E_NSS, "cannot initialise the new database");
		PK11_FreeSlot(slot);
	}
	if (NSS_ShutdownContext(ctx) != SECSuccess && rc == 0)
		rc = nss_fail(err, UCT_E_NSS, "cannot close the new database");
	return rc;
}

/* Rename dir_from/name to dir_to/name; a file tmp lacks is skipped. */
static int nss_move_file(const char *from_dir, const char *to_dir, const char *name,
			 struct uct_err *err)
{
	char *from = uct_asprintf("%s/%s", from_dir, name),
	     *to = uct_asprintf("%s/%s", to_dir, name);
	int rc = 0;

	if (from == NULL || to == NULL)
		rc = uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	else if (rename(from, to) == -1 && errno != ENOENT)
		rc = uct_err_set(err, UCT_E_IO, errno, "cannot move %s to %s: %s", from, to,
				 strerror(errno));
	free(from);
	free(to);
	return rc;
}

/*
 * Put the new database of tmp in place: the directory itself when dir does
 * not exist, else file by file into dir, which holds no database (at most
 * the empty files of a killed creation). Those go first, journals included:
 * a stale journal next to the new cert9.db would be rolled back into it.
 */
static int nss_move_into(const char *tmp, const char *dir, int dir_exists, struct uct_err *err)
{
	static const char *const old[] = {"cert9.db-journal", "key4.db-journal", "cert9.db",
					  "key4.db"};
	char *file;
	size_t i;

	if (!dir_exists) {
		if (rename(tmp, dir) == -1)
			return uct_err_set(err, UCT_E_IO, errno, "cannot rename %s to %s: %s", tmp,
					   dir, strerror(errno));
		return 0;
	}
	for (i = 0; i < sizeof(old) / sizeof(old[0]); i++) {
		if ((file = uct_asprintf("%s/%s", dir, old[i])) == NULL)
			return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
		if (unlink(file) == -1 && errno != ENOENT) {
			uct_err_set(err, UCT_E_IO, errno, "cannot remove %s: %s", file,
				    strerror(errno));
			free(file);
			return -1;
		}
		free(file);
	}
	for (i = 0; i < sizeof(nss_db_files) / sizeof(nss_db_files[0]); i++) {
		/* A module list the user keeps stays theirs. */
		if (strcmp(nss_db_files[i], "pkcs11.txt") == 0 &&
		    nss_file_size(dir, "pkcs11.txt") >= 0)
			continue;
		if (nss_move_file(tmp, dir, nss_db_files[i], err) == -1)
			return -1;
	}
	uct_stale_remove_dir(tmp);
	return 0;
}

/*
 * Create the database of store: made and initialised in a new directory
 * next to it ("nssdb.uct-PID-XXXXXX"), then renamed into place, so that a
 * run killed on the way leaves either no database or a whole one, never
 * the empty or uninitialised files no later run could open; what such a
 * run left of its own directory is removed first.
 */
static int nss_create(struct uct_store *store, struct uct_err *err)
{
	const char *slash = strrchr(store->path, '/');
	char *parent = NULL, *tmp = NULL;
	int exists, rc = -1;

	if ((exists = nss_check_dir(store->path, err)) == -1)
		return -1;
	if (exists && nss_file_size(store->path, "key4.db") > 0)
		return uct_err_set(
			err, UCT_E_NSS, 0,
			"%s holds a key4.db but no cert9.db: not creating a database "
			"over it (move key4.db aside if it is not needed, then run again)",
			store->path);
	if (nss_make_parents(store->path, err) == -1)
		return -1;
	parent = slash == store->path
			 ? uct_strdup("/")
			 : uct_asprintf("%.*s", (int)(slash - store->path), store->path);
	tmp = uct_asprintf("%s.uct-%ld-XXXXXX", store->path, (long)getpid());
	if (parent == NULL || tmp == NULL) {
		uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
		goto out;
	}
	uct_stale_clean(parent, slash + 1, ".uct-", 1);
	if (mkdtemp(tmp) == NULL) {
		uct_err_set(err, UCT_E_IO, errno, "cannot create a directory next to %s: %s",
			    store->path, strerror(errno));
		goto out;
	}
	if (nss_init_in(tmp, err) == -1 || nss_move_into(tmp, store->path, exists, err) == -1) {
		uct_stale_remove_dir(tmp);
		goto out;
	}
	nss_sync_dir(parent);
	if (exists)
		nss_sync_dir(store->path);
	uct_log(UCT_LOG_INFO, "created NSS database %s", store->path);
	rc = 0;
out:
	free(parent);
	free(tmp);
	return rc;
}

/*
 * A journal next to the database means a write (the agent's, a browser's)
 * was killed before it committed, and a read-only open then fails with
 * SEC_ERROR_BAD_DATABASE: it may not roll the journal back. One read-write
 * open lets SQLite do so, back to what was last committed, as the
 * browser's next start would; SQLite leaves a journal alone while its
 * writer still holds the lock. Failing here leaves the open to report.
 */
static void nss_recover(struct uct_store *store)
{
	NSSInitContext *ctx;

	if (!nss_has_journal(store->path))
		return;
	if ((ctx = nss_init(store->path, 1, 0)) == NULL) {
		uct_log(UCT_LOG_DEBUG, "%s: journal not rolled back: %s", store->path,
			PR_ErrorToName(PR_GetError()));
		return;
	}
	if (NSS_ShutdownContext(ctx) != SECSuccess)
		uct_log(UCT_LOG_ERROR, "NSS shutdown of %s failed (%s)", store->path,
			PR_ErrorToName(PR_GetError()));
	else if (!nss_has_journal(store->path))
		uct_log(UCT_LOG_INFO, "%s: an interrupted write was rolled back", store->path);
}

/*
 * A key database without any password (its creation killed before the
 * password was set, by an older agent or a browser) makes every trust
 * write fail as if a Primary Password were set. Browsers give such a
 * database the empty password on first use; the agent does too, but only
 * while it holds no certificate, so that nobody's content is at stake.
 */
static int nss_init_pin(struct uct_store *store, struct uct_err *err)
{
	PK11SlotInfo *slot = PK11_GetInternalKeySlot();
	CERTCertList *list;
	int empty, rc = 0;

	if (slot == NULL)
		return nss_fail(err, UCT_E_NSS, "no internal key slot");
	if (PK11_NeedUserInit(slot)) {
		list = PK11_ListCertsInSlot(slot);
		empty = list != NULL && CERT_LIST_EMPTY(list);
		if (list != NULL)
			CERT_DestroyCertList(list);
		if (empty && PK11_InitPin(slot, NULL, "") != SECSuccess)
			rc = nss_fail(err, UCT_E_NSS, "cannot initialise the key database");
		else if (empty)
			uct_log(UCT_LOG_INFO, "%s had no password at all: given the empty one",
				store->path);
	}
	PK11_FreeSlot(slot);
	return rc;
}

/* The directories of creations killed before their rename
 * ("nssdb.uct-PID-XXXXXX", nss_create) next to the database. */
static void nss_tidy(struct uct_store *store)
{
	struct uct_err err = {0};
	char *parent = uct_path_dir(store->path);
	int dfd;

	if (parent == NULL)
		return;
	dfd = uct_safe_dir_open(parent, 0, &err);
	if (dfd >= 0) {
		uct_stale_clean_at(dfd, parent, uct_path_base(store->path), ".uct-", 1);
		close(dfd);
	} else if (err.native != ENOENT) {
		uct_log(UCT_LOG_DEBUG, "%s: not tidied: %s", parent, err.msg);
	}
	free(parent);
}

/* What NSS and SQLite open by name in a database directory. */
static const char *const nss_guarded_files[] = {"cert9.db",         "key4.db",         "pkcs11.txt",
						"cert9.db-journal", "key4.db-journal", NULL};

/*
 * NSS opens the database by its path, not by a descriptor: right before it
 * does, the directory and the way to it are checked (safepath.c: no link
 * or directory of another user, nothing writable by others from the home
 * down, the database directory not even when sticky) and its identity
 * goes into *st. A directory that does not exist yet passes with
 * st_nlink 0 when missing_ok (what exists of its path was checked).
 */
static int nss_guard(struct uct_store *store, struct stat *st, int missing_ok, struct uct_err *err)
{
	const struct nss_impl *impl = store->impl;
	struct uct_err e = {0};
	int fd, rc = 0;

	memset(st, 0, sizeof(*st));
	fd = uct_safe_db_dir_open(store->path, impl->home, &e);
	if (fd < 0 && missing_ok && e.code == UCT_E_IO && e.native == ENOENT)
		return 0;
	if (fd < 0)
		return uct_err_set(err, e.code, e.native, "NSS database %s left alone: %s",
				   store->path, e.msg);
	for (size_t i = 0; nss_guarded_files[i] != NULL && rc == 0; i++)
		rc = uct_safe_file_check(fd, store->path, nss_guarded_files[i], err);
	if (rc == 0 && fstat(fd, st) != 0)
		rc = uct_err_set(err, UCT_E_IO, errno, "cannot inspect %s: %s", store->path,
				 strerror(errno));
	close(fd);
	return rc;
}

/* The directory checked now (its identity in *now) is the one checked
 * before, when there was one: nothing was swapped in between. */
static int nss_same_dir(struct uct_store *store, const struct stat *before, struct stat *now,
			struct uct_err *err)
{
	if (nss_guard(store, now, 0, err) < 0)
		return -1;
	if (before->st_nlink == 0 ||
	    (now->st_dev == before->st_dev && now->st_ino == before->st_ino))
		return 0;
	return uct_err_set(err, UCT_E_IO, EXDEV,
			   "NSS database %s left alone: the directory was replaced by another one "
			   "while uccx-trust opened it; make sure no other user can write to any "
			   "directory on its path (chmod go-w), then run again",
			   store->path);
}

/* Everything before the open proper: the database checked, its journal
 * rolled back or a new one created, checked again; *st is its identity
 * (st_nlink 0 when reading a database that does not exist). */
static int nss_prepare(struct uct_store *store, int rw, struct stat *st, struct uct_err *err)
{
	struct nss_impl *impl = store->impl;
	struct stat first;

	if (nss_guard(store, &first, 1, err) < 0)
		return -1;
	if (nss_db_exists(store->path))
		nss_recover(store);
	else if (rw && nss_create(store, err) == -1)
		return -1;
	/* Reading a database that does not exist yet: an NSS with no database
	 * answers exactly as the empty database would. */
	impl->nodb = !rw && !nss_db_exists(store->path);
	if (impl->nodb) {
		memset(st, 0, sizeof(*st));
		return 0;
	}
	return nss_same_dir(store, &first, st, err);
}

/* Why NSS_InitContext failed, with what to do about it. */
static int nss_open_failed(const struct uct_store *store, struct uct_err *err)
{
	const struct nss_impl *impl = store->impl;

	if (!impl->nodb && PR_GetError() == SEC_ERROR_PKCS11_GENERAL_ERROR)
		return uct_err_set(err, UCT_E_LOCKED, PR_GetError(),
				   "NSS database %s stayed busy (locked by a browser or "
				   "another program): try again later",
				   store->path);
	if (PR_GetError() == SEC_ERROR_BAD_DATABASE)
		return uct_err_set(err, UCT_E_NSS, PR_GetError(),
				   "NSS database %s is damaged or not an NSS database "
				   "(SEC_ERROR_BAD_DATABASE): with the browser closed, move "
				   "cert9.db and key4.db aside and start the browser once (it "
				   "makes new ones), then run again",
				   store->path);
	return uct_err_set(err, UCT_E_NSS, PR_GetError(), "cannot open NSS database %s: %s",
			   store->path, PR_ErrorToName(PR_GetError()));
}

static int nss_open(struct uct_store *store, int rw, struct uct_err *err)
{
	struct nss_impl *impl = store->impl;
	struct stat st, now;
	int tries;

	if (impl->ctx != NULL && (impl->rw || !rw))
		return 0;
	if (nss_open_store != NULL && nss_open_store != store)
		return uct_err_set(err, UCT_E_NSS, 0,
				   "cannot open %s: NSS database %s is still open in this process",
				   store->path, nss_open_store->path);
	if (impl->ctx != NULL)
		store->ops->close(store); /* upgrading to read-write */
	/* libcurl's tree and NSS together would pass the memory target: the
	 * run ends its network phase (uct_net_release) before a store opens. */
	if (uct_nss_load(err) < 0)
		return -1;

	if (nss_prepare(store, rw, &st, err) < 0)
		return -1;
	for (tries = 1;; tries++) {
		impl->ctx = nss_init(store->path, rw, impl->nodb);
		if (impl->ctx != NULL || impl->nodb || tries == NSS_OPEN_TRIES ||
		    PR_GetError() != SEC_ERROR_PKCS11_GENERAL_ERROR)
			break;
		uct_log(UCT_LOG_DEBUG, "NSS database %s busy, retrying", store->path);
		nss_sleep_ms(NSS_RETRY_MS);
	}
	if (impl->ctx == NULL)
		return nss_open_failed(store, err);
	impl->rw = rw;
	nss_open_store = store;
	nss_pin_modules();
	if (!impl->nodb && nss_same_dir(store, &st, &now, err) < 0) {
		store->ops->close(store);
		return -1;
	}
	if (rw && nss_init_pin(store, err) == -1) {
		store->ops->close(store);
		return -1;
	}
	return 0;
}

static void nss_memo_forget(struct nss_impl *impl)
{
	size_t i;

	for (i = 0; i < impl->n_memo; i++)
		free(impl->memo[i].host);
	impl->n_memo = 0;
}

static int nss_memo_matches(const struct nss_memo *m, const struct uct_chain *chain,
			    const char *host)
{
	size_t i;

	if (m->n != chain->n || strcasecmp(m->host, host) != 0)
		return 0;
	for (i = 0; i < chain->n; i++)
		if (memcmp(m->sha256[i], chain->certs[i]->sha256, UCT_SHA256_LEN) != 0)
			return 0;
	return 1;
}

static const struct uct_verify_result *
nss_memo_find(const struct nss_impl *impl, const struct uct_chain *chain, const char *host)
{
	size_t i;

	for (i = 0; i < impl->n_memo; i++)
		if (nss_memo_matches(&impl->memo[i], chain, host))
			return &impl->memo[i].result;
	return NULL;
}

/* Remember an answer while there is room (a run has few distinct chains). */
static void nss_memo_add(struct nss_impl *impl, const struct uct_chain *chain, const char *host,
			 const struct uct_verify_result *result)
{
	struct nss_memo *m;
	size_t i;

	if (impl->n_memo == NSS_MEMO_MAX || chain->n > NSS_MEMO_DEPTH)
		return;
	m = &impl->memo[impl->n_memo];
	if ((m->host = uct_strdup(host)) == NULL)
		return;
	for (i = 0; i < chain->n; i++)
		memcpy(m->sha256[i], chain->certs[i]->sha256, UCT_SHA256_LEN);
	m->n = chain->n;
	m->result = *result;
	impl->n_memo++;
}

static void nss_close(struct uct_store *store)
{
	struct nss_impl *impl;

	if (store == NULL || (impl = store->impl) == NULL || impl->ctx == NULL)
		return;
	/* A failure here means an NSS object leaked: NSS then stays up and
	 * every later open in this process fails. Say so loudly. */
	if (NSS_ShutdownContext(impl->ctx) != SECSuccess)
		uct_log(UCT_LOG_ERROR, "NSS shutdown of %s failed (%s): an object leaked",
			store->path, PR_ErrorToName(PR_GetError()));
	impl->ctx = NULL;
	impl->rw = 0;
	impl->nodb = 0;
	nss_memo_forget(impl);
	if (nss_open_store == store)
		nss_open_store = NULL;
}

static void nss_destroy(struct uct_store *store)
{
	if (store == NULL)
		return;
	nss_close(store);
	if (store->impl != NULL)
		free(((struct nss_impl *)store->impl)->home);
	uct_store_free_base(store);
}

static int nss_require_open(struct uct_store *store, int rw, struct uct_err *err)
{
	struct nss_impl *impl = store->impl;

	if (impl->ctx == NULL || (rw && !impl->rw))
		return uct_err_set(err, UCT_E_NSS, 0, "NSS database %s is not open%s", store->path,
				   rw ? " for writing" : "");
	return 0;
}

/* ---- trust flags -------------------------------------------------------- */

/* certutil's "C" sets TRUSTED_CA and VALID_CA, "P" sets TRUSTED and
 * TERMINAL_RECORD; only the two "trusted" bits decide what a browser does. */
static enum uct_trust nss_trust_from_flags(unsigned int ssl)
{
	int ca = (ssl & CERTDB_TRUSTED_CA) != 0;
	int peer = (ssl & CERTDB_TRUSTED) != 0;

	if (ca && peer)
		return UCT_TRUST_PEER;
	if (peer)
		return UCT_TRUST_PEER_ONLY;
	if (ca)
		return UCT_TRUST_ROOT;
	return UCT_TRUST_NONE;
}

static const char *nss_trust_string(enum uct_trust t)
{
	switch (t) {
	case UCT_TRUST_PEER: return "CP,,";
	case UCT_TRUST_PEER_ONLY: return "P,,";
	case UCT_TRUST_ROOT: return "C,,";
	default: return NULL;
	}
}

static enum uct_trust nss_cert_trust(CERTCertificate *cert)
{
	CERTCertTrust trust;

	if (CERT_GetCertTrust(cert, &trust) != SECSuccess)
		return UCT_TRUST_NONE;
	return nss_trust_from_flags(trust.sslFlags);
}

/* The nickname without its token. NSS reads "a:b" as "token:label", so a
 * label holding ':' (as the tag does) comes back from the database as
 * "NSS Certificate DB:uccx-trust: ..." (certutil -L prints it so too, and
 * `certutil -n` needs that form); a freshly imported certificate's not. */
static const char *nss_nickname_of(PK11SlotInfo *slot, const CERTCertificate *cert)
{
	const char *token = PK11_GetTokenName(slot);
	size_t len = token ? strlen(token) : 0;

	if (cert->nickname == NULL)
		return "";
	if (len > 0 && strncmp(cert->nickname, token, len) == 0 && cert->nickname[len] == ':')
		return cert->nickname + len + 1;
	return cert->nickname;
}

static int nss_is_tagged(PK11SlotInfo *slot, const CERTCertificate *cert)
{
	return strncmp(nss_nickname_of(slot, cert), NSS_TAG, strlen(NSS_TAG)) == 0;
}

/* The certificate whose SHA-256 is sha256, or NULL: for removing what an
 * earlier run installed when this run has only its fingerprint. */
static CERTCertificate *nss_find_by_sha(PK11SlotInfo *slot, const unsigned char *sha256)
{
	unsigned char digest[UCT_SHA256_LEN];
	CERTCertificate *found = NULL;
	CERTCertListNode *node;
	CERTCertList *list = PK11_ListCertsInSlot(slot);

	if (list == NULL)
		return NULL;
	for (node = CERT_LIST_HEAD(list); !CERT_LIST_END(node, list); node = CERT_LIST_NEXT(node)) {
		if (PK11_HashBuf(SEC_OID_SHA256, digest, node->cert->derCert.data,
				 (PRInt32)node->cert->derCert.len) == SECSuccess &&
		    memcmp(digest, sha256, UCT_SHA256_LEN) == 0) {
			found = CERT_DupCertificate(node->cert);
			break;
		}
	}
	CERT_DestroyCertList(list);
	return found;
}

/* The certificate with exactly these DER bytes in the database (or, when
 * only the fingerprint is known, that SHA-256), or NULL. */
static CERTCertificate *nss_find(PK11SlotInfo *slot, const struct uct_cert *c)
{
	SECItem der = {siDERCertBuffer, c->der, (unsigned int)c->der_len};

	if (c->der == NULL)
		return nss_find_by_sha(slot, c->sha256);
	return PK11_FindCertFromDERCertItem(slot, &der, NULL);
}

/* A Primary Password makes the trust write fail after the certificate went
 * in; the agent never prompts, so it refuses before writing anything. */
static int nss_check_login(struct uct_store *store, PK11SlotInfo *slot, struct uct_err *err)
{
	if (PK11_NeedLogin(slot) && !PK11_IsLoggedIn(slot, NULL))
		return uct_err_set(
			err, UCT_E_LOGIN, SEC_ERROR_TOKEN_NOT_LOGGED_IN,
			"this database is protected by a Primary Password: %s was not "
			"changed (the user must add the certificate, or remove the password)",
			store->path);
	return 0;
}

/* "uccx-trust <CN or host> <first 8 hex of SHA-256>": readable in the
 * browser's certificate manager and unique per certificate. */
static char *nss_nickname(const struct uct_anchor *anchor)
{
	const char *name = anchor->cert->subject_cn;
	char clean[65];
	size_t i;

	if (name == NULL || *name == '\0')
		name = anchor->host;
	if (name == NULL || *name == '\0')
		name = "certificate";
	for (i = 0; name[i] != '\0' && i < sizeof(clean) - 1; i++)
		clean[i] = (name[i] > 0x20 && name[i] < 0x7f && name[i] != ':') ? name[i] : '_';
	clean[i] = '\0';
	return uct_asprintf(NSS_TAG "%s %02x%02x%02x%02x", clean, anchor->cert->sha256[0],
			    anchor->cert->sha256[1], anchor->cert->sha256[2],
			    anchor->cert->sha256[3]);
}

static int nss_set_trust(struct uct_store *store, CERTCertificate *cert, enum uct_trust t,
			 struct uct_err *err)
{
	CERTCertTrust trust;

	if (CERT_DecodeTrustString(&trust, nss_trust_string(t)) != SECSuccess)
		return nss_fail(err, UCT_E_NSS, "bad trust string");
	if (CERT_ChangeCertTrust(CERT_GetDefaultCertDB(), cert, &trust) != SECSuccess)
		return uct_err_set(err, UCT_E_NSS, PR_GetError(), "cannot set trust %s in %s: %s",
				   nss_trust_string(t), store->path, PR_ErrorToName(PR_GetError()));
	return 0;
}

static int nss_import(struct uct_store *store, PK11SlotInfo *slot, const struct uct_anchor *anchor,
		      struct uct_err *err)
{
	SECItem der = {siDERCertBuffer, anchor->cert->der, (unsigned int)anchor->cert->der_len};
	CERTCertificate *cert;
	char *nick;
	int rc = -1;

	if ((nick = nss_nickname(anchor)) == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	cert = CERT_NewTempCertificate(CERT_GetDefaultCertDB(), &der, NULL, PR_FALSE, PR_TRUE);
	if (cert == NULL) {
		nss_fail(err, UCT_E_PARSE, "NSS cannot decode the certificate");
		goto out;
	}
	if (PK11_ImportCert(slot, cert, CK_INVALID_HANDLE, nick, PR_FALSE) != SECSuccess) {
		nss_fail(err, UCT_E_NSS, "cannot import the certificate");
		goto out;
	}
	if (nss_set_trust(store, cert, anchor->trust, err) == -1) {
		/* Leave no untrusted copy behind to be mistaken for the user's. */
		SEC_DeletePermCertificate(cert);
		goto out;
	}
	uct_log(UCT_LOG_INFO, "added \"%s\" (%s) to %s", nick, nss_trust_string(anchor->trust),
		store->path);
	rc = 0;
out:
	if (cert != NULL)
		CERT_DestroyCertificate(cert);
	free(nick);
	return rc;
}

static int nss_add(struct uct_store *store, const struct uct_anchor *anchor, struct uct_err *err)
{
	PK11SlotInfo *slot;
	CERTCertificate *cert;
	int rc = -1;

	if (nss_require_open(store, 1, err) == -1)
		return -1;
	nss_memo_forget(store->impl);
	if (anchor == NULL || anchor->cert == NULL || nss_trust_string(anchor->trust) == NULL)
		return uct_err_set(err, UCT_E_USAGE, 0,
				   "an NSS database holds peer, peer-only or "
				   "root trust, not %s",
				   anchor ? uct_trust_name(anchor->trust) : "nothing");
	if (uct_anchor_check(anchor, store->id, err) < 0)
		return -1;
	if ((slot = PK11_GetInternalKeySlot()) == NULL)
		return nss_fail(err, UCT_E_NSS, "no internal key slot");
	cert = nss_find(slot, anchor->cert);
	if (cert != NULL && !nss_is_tagged(slot, cert)) {
		/* The user put it there: their trust is theirs to keep. */
		uct_log(UCT_LOG_INFO,
			"%s already holds this certificate as \"%s\" (not ours): "
			"left unchanged",
			store->path, nss_nickname_of(slot, cert));
		rc = 0;
	} else if (cert != NULL && nss_cert_trust(cert) == anchor->trust) {
		rc = 0;
	} else if (nss_check_login(store, slot, err) == -1) {
		rc = -1;
	} else if (cert != NULL) {
		rc = nss_set_trust(store, cert, anchor->trust, err);
		if (rc == 0)
			uct_log(UCT_LOG_INFO, "changed \"%s\" in %s to %s",
				nss_nickname_of(slot, cert), store->path,
				nss_trust_string(anchor->trust));
	} else {
		rc = nss_import(store, slot, anchor, err);
	}
	if (cert != NULL)
		CERT_DestroyCertificate(cert);
	PK11_FreeSlot(slot);
	return rc;
}

static int nss_remove(struct uct_store *store, const struct uct_anchor *anchor, struct uct_err *err)
{
	PK11SlotInfo *slot;
	CERTCertificate *cert;
	int rc = 0;

	if (nss_require_open(store, 1, err) == -1)
		return -1;
	nss_memo_forget(store->impl);
	if (anchor == NULL || anchor->cert == NULL)
		return uct_err_set(err, UCT_E_USAGE, 0, "nothing to remove");
	if ((slot = PK11_GetInternalKeySlot()) == NULL)
		return nss_fail(err, UCT_E_NSS, "no internal key slot");
	if ((cert = nss_find(slot, anchor->cert)) == NULL)
		goto out;
	if (!nss_is_tagged(slot, cert)) {
		uct_log(UCT_LOG_INFO, "%s holds \"%s\", not installed by uccx-trust: left alone",
			store->path, nss_nickname_of(slot, cert));
		goto out;
	}
	uct_log(UCT_LOG_INFO, "removing \"%s\" from %s", nss_nickname_of(slot, cert), store->path);
	/* SEC_DeletePermCertificate clears the trust object too (a leftover
	 * one would come back on the next import of the same certificate);
	 * PK11_DeleteTokenCertAndKey would do nothing for a certificate
	 * without a key. */
	if (SEC_DeletePermCertificate(cert) != SECSuccess) {
		if (nss_check_login(store, slot, err) == 0)
			nss_fail(err, UCT_E_NSS, "cannot delete the certificate");
		rc = -1;
		goto out;
	}
out:
	if (cert != NULL)
		CERT_DestroyCertificate(cert);
	PK11_FreeSlot(slot);
	return rc;
}

static int nss_list(struct uct_store *store, uct_entry_cb cb, void *ctx, struct uct_err *err)
{
	struct nss_impl *impl = store->impl;
	struct uct_store_entry entry;
	PK11SlotInfo *slot;
	CERTCertList *list;
	CERTCertListNode *node;
	int rc = 0;

	if (nss_require_open(store, 0, err) == -1)
		return -1;
	if (impl->nodb)
		return 0;
	if ((slot = PK11_GetInternalKeySlot()) == NULL)
		return nss_fail(err, UCT_E_NSS, "no internal key slot");
	if ((list = PK11_ListCertsInSlot(slot)) == NULL) {
		PK11_FreeSlot(slot);
		return nss_fail(err, UCT_E_NSS, "cannot list certificates");
	}
	for (node = CERT_LIST_HEAD(list); !CERT_LIST_END(node, list); node = CERT_LIST_NEXT(node)) {
		CERTCertificate *cert = node->cert;

		if (!nss_is_tagged(slot, cert))
			continue;
		memset(&entry, 0, sizeof(entry));
		if (PK11_HashBuf(SEC_OID_SHA256, entry.sha256, cert->derCert.data,
				 (PRInt32)cert->derCert.len) != SECSuccess) {
			rc = nss_fail(err, UCT_E_NSS, "SHA-256 failed");
			break;
		}
		entry.trust = nss_cert_trust(cert);
		entry.label = nss_nickname_of(slot, cert);
		if ((rc = uct_entry_call(cb, &entry, ctx, err)) != 0)
			break;
	}
	CERT_DestroyCertList(list);
	PK11_FreeSlot(slot);
	return rc < 0 ? -1 : 0;
}

/* libssl registers its error names only when SSL is initialised, which a
 * store never does; the one SSL code a name check sets is spelled here. */
static void nss_error_name(PRErrorCode e, char *buf, size_t size)
{
	const char *name = PR_ErrorToName(e);

	if (name != NULL)
		snprintf(buf, size, "%s", name);
	else if (e == SSL_ERROR_BAD_CERT_DOMAIN)
		snprintf(buf, size, "SSL_ERROR_BAD_CERT_DOMAIN");
	else
		snprintf(buf, size, "NSS_ERROR_%ld", (long)e);
}

static void nss_verdict(struct uct_verify_result *out, const char *what)
{
	PRErrorCode e = PR_GetError();
	const char *text = PR_ErrorToString(e, PR_LANGUAGE_I_DEFAULT);

	out->trusted = 0;
	nss_error_name(e, out->code, sizeof(out->code));
	if (e == SSL_ERROR_BAD_CERT_DOMAIN || text == NULL || strcmp(text, "Unknown code") == 0)
		snprintf(out->detail, sizeof(out->detail), "%s", what);
	else
		snprintf(out->detail, sizeof(out->detail), "%s: %s", what, text);
}

/* basicConstraints cA as written. CERT_IsCACert would not do: it also
 * answers yes for a CA:FALSE certificate trusted with "C". */
static int nss_has_ca_constraint(CERTCertificate *cert)
{
	CERTBasicConstraints bc;
	SECItem ext = {siBuffer, NULL, 0};
	int ca;

	if (CERT_FindCertExtension(cert, SEC_OID_X509_BASIC_CONSTRAINTS, &ext) != SECSuccess)
		return 0;
	ca = CERT_DecodeBasicConstraintValue(&bc, &ext) == SECSuccess && bc.isCA;
	SECITEM_FreeItem(&ext, PR_FALSE);
	return ca;
}

/* Trusted as a leaf by Chromium: the certificate itself carries SSL peer
 * trust in this database and is within its validity period. */
static int nss_chromium_trusted_leaf(CERTCertificate *leaf)
{
	CERTCertTrust trust;

	if (CERT_GetCertTrust(leaf, &trust) != SECSuccess)
		return 0;
	/* P on any leaf; C only on a self-signed CA:TRUE one, which Chromium
	 * then takes as its own trust anchor (C on a CA:FALSE certificate
	 * fails there with ERR_CERT_INVALID). */
	if (!(trust.sslFlags & CERTDB_TRUSTED) &&
	    !((trust.sslFlags & CERTDB_TRUSTED_CA) && leaf->isRoot && nss_has_ca_constraint(leaf)))
		return 0;
	return CERT_CheckCertValidTimes(leaf, PR_Now(), PR_FALSE) == secCertTimeValid;
}

/* A self-signed certificate whose own trust is "P" without "C". */
static int nss_self_signed_peer_only(CERTCertificate *leaf)
{
	CERTCertTrust trust;

	if (!leaf->isRoot || CERT_GetCertTrust(leaf, &trust) != SECSuccess)
		return 0;
	return (trust.sslFlags & CERTDB_TRUSTED) && !(trust.sslFlags & CERTDB_TRUSTED_CA);
}

static void nss_check_chain(CERTCertificate *leaf, const char *host, enum uct_browser browser,
			    struct uct_verify_result *out)
{
	if (browser != UCT_BROWSER_FIREFOX && nss_chromium_trusted_leaf(leaf)) {
		/* Chromium's own verifier reads NSS trust and accepts a server
		 * certificate that is itself trusted for SSL (P) as a trusted
		 * leaf, CA:TRUE or not (measured, DESIGN.md); NSS's classic
		 * verifier refuses the CA:TRUE one as an end entity. */
		if (CERT_VerifyCertName(leaf, host) != SECSuccess)
			nss_verdict(out, "the certificate does not name the host");
		else
			out->trusted = 1;
	} else if (browser == UCT_BROWSER_FIREFOX && nss_self_signed_peer_only(leaf) &&
		   !nss_has_ca_constraint(leaf)) {
		/* mozilla::pkix takes a server certificate as its own anchor
		 * only with "C"; "P" alone, which NSS's classic verifier
		 * accepts, leaves it an untrusted self-signed certificate
		 * (measured with Firefox ESR 153, whatever its constraints). */
		out->trusted = 0;
		snprintf(out->code, sizeof(out->code), "MOZILLA_PKIX_ERROR_SELF_SIGNED_CERT");
		snprintf(out->detail, sizeof(out->detail),
			 "Firefox does not take a server certificate trusted with \"P\" alone");
	} else if (CERT_VerifyCertNow(CERT_GetDefaultCertDB(), leaf, PR_TRUE, certUsageSSLServer,
				      NULL) != SECSuccess) {
		nss_verdict(out, "the certificate chain is not trusted");
	} else if (CERT_VerifyCertName(leaf, host) != SECSuccess) {
		nss_verdict(out, "the certificate does not name the host");
	} else {
		/* What the trust says only: a browser's refusal of a CA:TRUE
		 * or SAN-less server certificate is the analysis' rule
		 * (uct_browser_refuses), applied over this answer. */
		out->trusted = 1;
	}
}

static int nss_verify(struct uct_store *store, const struct uct_chain *chain, const char *host,
		      int port, struct uct_verify_result *out, struct uct_err *err)
{
	const struct uct_verify_result *known;
	CERTCertificate **certs;
	size_t i;
	int rc = -1;

	(void)port; /* NSS trust does not depend on the port */
	memset(out, 0, sizeof(*out));
	if (nss_require_open(store, 0, err) == -1)
		return -1;
	if (chain == NULL || chain->n == 0 || host == NULL)
		return uct_err_set(err, UCT_E_USAGE, 0, "nothing to verify");
	if ((known = nss_memo_find(store->impl, chain, host)) != NULL) {
		*out = *known;
		return 0;
	}
	if ((certs = calloc(chain->n, sizeof(*certs))) == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	/* The server's intermediates are known only for this check: as
	 * temporary certificates, destroyed below, they never reach the db. */
	for (i = 0; i < chain->n; i++) {
		SECItem der = {siDERCertBuffer, chain->certs[i]->der,
			       (unsigned int)chain->certs[i]->der_len};

		certs[i] = CERT_NewTempCertificate(CERT_GetDefaultCertDB(), &der, NULL, PR_FALSE,
						   PR_TRUE);
		if (certs[i] == NULL) {
			nss_fail(err, UCT_E_PARSE, "NSS cannot decode a certificate of the chain");
			goto out;
		}
	}
	nss_check_chain(certs[0], host, store->browser, out);
	nss_memo_add(store->impl, chain, host, out);
	rc = 0;
out:
	for (i = 0; i < chain->n; i++)
		if (certs[i] != NULL)
			CERT_DestroyCertificate(certs[i]);
	free(certs);
	return rc;
}

/* The digest lives in nss_digest.c (plain file reading and OpenSSL). */
static int nss_digest(struct uct_store *store, unsigned char out[UCT_SHA256_LEN],
		      struct uct_err *err)
{
	return uct_nss_db_digest(store->path, store->browser, out, err);
}

static const struct uct_store_ops nss_ops = {
	.name = "nss",
	.caps = UCT_STORE_TRUST_ONLY,
	.open = nss_open,
	.list = nss_list,
	.add = nss_add,
	.remove = nss_remove,
	.verify = nss_verify,
	.digest = nss_digest,
	.tidy = nss_tidy,
	.close = nss_close,
	.destroy = nss_destroy,
};

struct uct_store *uct_store_nss_new(const char *dir, const char *group, enum uct_browser browser,
				    struct uct_err *err)
{
	struct uct_store *store;

	if (dir == NULL || dir[0] != '/') {
		uct_err_set(err, UCT_E_USAGE, 0, "an NSS database needs an absolute path");
		return NULL;
	}
	if ((store = calloc(1, sizeof(*store))) == NULL)
		goto nomem;
	store->ops = &nss_ops;
	store->browser = browser;
	/* The machine's database (/etc/pki/nssdb) trusts for every user. */
	if (browser == UCT_BROWSER_SYSTEM) {
		store->caps = UCT_STORE_MACHINE;
		store->label = "/etc/pki/nssdb";
	}
	store->path = uct_strdup(dir);
	store->group = uct_strdup(group);
	store->impl = calloc(1, sizeof(struct nss_impl));
	if (store->path == NULL || (group && !store->group) || store->impl == NULL)
		goto nomem;
	/* Trailing slashes would make two ids for one database. */
	while (strlen(store->path) > 1 && store->path[strlen(store->path) - 1] == '/')
		store->path[strlen(store->path) - 1] = '\0';
	if ((store->id = uct_asprintf("nss:%s", store->path)) == NULL)
		goto nomem;
	store->created = !nss_db_exists(store->path);
	return store;
nomem:
	nss_destroy(store);
	uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	return NULL;
}

int uct_store_nss_set_home(struct uct_store *store, const char *home, struct uct_err *err)
{
	struct nss_impl *impl = store->impl;

	free(impl->home);
	impl->home = home != NULL ? uct_strdup(home) : NULL;
	if (home != NULL && impl->home == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	return 0;
}
