/*
 * store_system.c: the machine's system anchors as a trust store: one PEM
 * file per certificate in the distribution's local anchor directory
 * (Debian: /usr/local/share/ca-certificates/uccx-trust, then
 * update-ca-certificates; Red Hat: /etc/pki/ca-trust/source/anchors, then
 * update-ca-trust extract), verified with OpenSSL's default paths.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "platform.h"
#include "safepath.h"
#include "../common/store_vec.h"
#include "store_machine.h"

extern char **environ;

/* In the anchor directory while the update command is owed: written (and
 * synced) before the first file of a run changes, removed once the command
 * has succeeded. A run killed in between leaves it, and the next run that
 * opens the store runs the command: the files alone list as ours with the
 * right trust, so nothing else would ever make that run rebuild the bundle.
 * Neither update-ca-certificates (*.crt only) nor p11-kit (skips what is
 * not a certificate) reads it as an anchor. */
#define SYSTEM_OWED MACHINE_TAG "update-owed"

struct system_impl {
	char *argv[4];     /* the update command, NULL-terminated */
	char *links_dir;   /* where that command links each anchor, or NULL */
	char *owed_path;   /* anchor_dir/SYSTEM_OWED */
	int dirty;         /* files changed since the last update command */
	int owed;          /* SYSTEM_OWED is on disk */
	X509_STORE *trust; /* OpenSSL's default paths, loaded once per update */
};

/* ---- helpers shared with store_ffpolicy.c ---------------------------------- */

char *uct_machine_file(const char *dir, const unsigned char sha256[UCT_SHA256_LEN], const char *ext)
{
	char hex[UCT_SHA256_LEN * 2 + 1];

	for (size_t i = 0; i < UCT_SHA256_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", sha256[i]);
	return uct_asprintf("%s/" MACHINE_TAG "%s%s", dir, hex, ext);
}

int uct_machine_parse_name(const char *base, const char *ext, unsigned char sha256[UCT_SHA256_LEN])
{
	size_t tag = strlen(MACHINE_TAG), hex = UCT_SHA256_LEN * 2;
	char digits[UCT_SHA256_LEN * 2 + 1];

	if (strncmp(base, MACHINE_TAG, tag) != 0 || strlen(base) != tag + hex + strlen(ext) ||
	    strcmp(base + tag + hex, ext) != 0)
		return -1;
	memcpy(digits, base + tag, hex);
	digits[hex] = '\0';
	for (size_t i = 0; i < hex; i++)
		if (!((digits[i] >= '0' && digits[i] <= '9') ||
		      (digits[i] >= 'a' && digits[i] <= 'f')))
			return -1;
	return uct_fp_parse(digits, sha256);
}

/* mkdir -p with mode 0755; an existing component must be a real directory
 * when it is the last one (the agent writes only where it expects to). */
static int machine_make_dir(const char *dir, struct uct_err *err)
{
	char *copy = uct_strdup(dir), *p;
	struct stat st;
	int rc = -1;

	if (copy == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	for (p = copy + 1;; p++) {
		p = strchr(p, '/');
		if (p != NULL)
			*p = '\0';
		if (mkdir(copy, 0755) < 0 && errno != EEXIST) {
			uct_err_set(err, UCT_E_IO, errno, "cannot create directory %s: %s", copy,
				    strerror(errno));
			goto out;
		}
		if (p == NULL)
			break;
		*p = '/';
	}
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		uct_err_set(err, UCT_E_IO, ENOTDIR,
			    "refusing to write into %s: not a directory (a symbolic link?)", dir);
		goto out;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

int uct_machine_write_pem(const char *dir, const char *path, const struct uct_cert *cert,
			  struct uct_err *err)
{
	const unsigned char *p = cert->der;
	BIO *bio = NULL;
	X509 *x = NULL;
	char *pem;
	long len;
	int rc = -1;

	if (cert->der == NULL)
		return uct_err_set(err, UCT_E_PARSE, 0, "no certificate to write to %s", path);
	if (machine_make_dir(dir, err) < 0)
		return -1;
	x = d2i_X509(NULL, &p, (long)cert->der_len);
	bio = BIO_new(BIO_s_mem());
	if (x == NULL || bio == NULL || PEM_write_bio_X509(bio, x) != 1) {
		uct_err_set(err, UCT_E_CRYPTO, (long)ERR_peek_last_error(),
			    "cannot encode the certificate as PEM");
		goto out;
	}
	len = BIO_get_mem_data(bio, &pem);
	rc = uct_file_write_atomic(path, pem, (size_t)len, 0644, err);
out:
	ERR_clear_error();
	BIO_free(bio);
	X509_free(x);
	return rc;
}

int uct_machine_run(char *const argv[], struct uct_err *err)
{
	posix_spawn_file_actions_t fa;
	char out[400] = "";
	size_t used = 0;
	ssize_t got;
	int pipefd[2], status, e;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return uct_err_set(err, UCT_E_SYSTEM, errno, "pipe: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (e != 0) {
		close(pipefd[0]);
		return uct_err_set(err, UCT_E_SYSTEM, e, "cannot run %s: %s", argv[0], strerror(e));
	}
	/* Keep the start of stderr for the message; drain the rest so the
	 * command never blocks on a full pipe. */
	for (;;) {
		char scratch[512];

		got = read(pipefd[0], scratch, sizeof(scratch));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		if (used + 1 < sizeof(out)) {
			size_t take = (size_t)got < sizeof(out) - 1 - used ? (size_t)got
									   : sizeof(out) - 1 - used;
			memcpy(out + used, scratch, take);
			used += take;
			out[used] = '\0';
		}
	}
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return uct_err_set(err, UCT_E_SYSTEM, errno, "waitpid: %s",
					   strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	out[strcspn(out, "\n")] = '\0';
	return uct_err_set(err, UCT_E_SYSTEM, status, "%s failed (status %d)%s%s", argv[0],
			   WIFEXITED(status) ? WEXITSTATUS(status) : -1, out[0] ? ": " : "", out);
}

/* ---- the store --------------------------------------------------------------- */

static struct system_impl *sys_impl(struct uct_store *store)
{
	return store->impl;
}

/* A directory of our own (Debian's layout) is removed once empty; a
 * distribution's shared anchor directory never is. */
static void system_rmdir_own(struct uct_store *store)
{
	const char *slash = strrchr(store->path, '/');

	if (strcmp(slash != NULL ? slash + 1 : "", "uccx-trust") == 0)
		rmdir(store->path);
}

/* An earlier run that changed files here and was stopped (kill -9, power
 * cut, a failing update command) before the update command succeeded left
 * SYSTEM_OWED: this run owes that command, and runs it at its first
 * verification or at close. A store without it is only read. */
static int system_open(struct uct_store *store, int rw, struct uct_err *err)
{
	struct system_impl *impl = sys_impl(store);
	struct stat st;

	(void)rw;
	(void)err;
	if (impl->dirty || lstat(impl->owed_path, &st) != 0)
		return 0;
	uct_log(UCT_LOG_WARN,
		"%s: an earlier run changed the anchors there but %s did not "
		"finish; running it now",
		store->path, impl->argv[0]);
	impl->owed = 1;
	impl->dirty = 1;
	return 0;
}

/* Make the update owed on disk before the first file changes. */
static int system_owe(struct uct_store *store, struct uct_err *err)
{
	static const char note[] =
		"uccx-trust changed the anchors in this directory and the update command has\n"
		"not finished since: the next run of uccx-trust in machine scope runs it.\n";
	struct system_impl *impl = sys_impl(store);

	if (impl->owed)
		return 0;
	if (machine_make_dir(store->path, err) < 0 ||
	    uct_file_write_atomic(impl->owed_path, note, sizeof(note) - 1, 0644, err) < 0)
		return -1;
	impl->owed = 1;
	return 0;
}

/* The fingerprint of a link name or target "uccx-trust-<hex>.pem" (any
 * directory before it). */
static int system_pem_sha(const char *name, unsigned char sha[UCT_SHA256_LEN])
{
	return uct_machine_parse_name(uct_path_base(name), ".pem", sha);
}

static void system_unlink_links(const char *links_dir, const char *file);

/*
 * Links of ours in links_dir (NAME.pem, and HASH.N leading to one) whose
 * anchor file is gone: a remove stopped between its unlink and the links
 * leaves them for the next update to find. Collected first, then taken
 * out, so the walk never sees its own changes.
 */
static void system_unlink_dangling(struct uct_store *store)
{
	const char *links_dir = sys_impl(store)->links_dir;
	unsigned char sha[UCT_SHA256_LEN];
	struct uct_strv gone = {0};
	struct uct_err e = {0};
	struct dirent *de;
	struct stat st;
	char target[PATH_MAX], *file;
	ssize_t len;
	DIR *dir;
	int dfd;

	if (links_dir == NULL || (dfd = uct_safe_dir_open(links_dir, 0, &e)) < 0)
		return;
	dir = fdopendir(dup(dfd));
	while (dir != NULL && (de = readdir(dir)) != NULL) {
		len = readlinkat(dfd, de->d_name, target, sizeof(target) - 1);
		if (len < 0)
			continue;
		target[len] = '\0';
		if (system_pem_sha(de->d_name, sha) < 0 && system_pem_sha(target, sha) < 0)
			continue;
		file = uct_machine_file(store->path, sha, ".crt");
		if (file != NULL && lstat(file, &st) != 0 && errno == ENOENT &&
		    !uct_strv_contains(&gone, file))
			uct_strv_push(&gone, file);
		free(file);
	}
	if (dir != NULL)
		closedir(dir);
	close(dfd);
	for (size_t i = 0; i < gone.n; i++)
		system_unlink_links(links_dir, gone.v[i]);
	uct_strv_clear(&gone);
}

/* Rerun the distribution's command so the bundle and hashed directory
 * OpenSSL (and curl, and every TLS client of the machine) read include the
 * files, and forget the verification store loaded from the old ones. */
static int system_flush(struct uct_store *store, struct uct_err *err)
{
	struct system_impl *impl = sys_impl(store);

	if (!impl->dirty)
		return 0;
	if (uct_machine_run(impl->argv, err) < 0)
		return -1;
	system_unlink_dangling(store);
	impl->dirty = 0;
	X509_STORE_free(impl->trust);
	impl->trust = NULL;
	/* Owed no more: only now, so a kill before this line reruns it. */
	if (impl->owed && unlink(impl->owed_path) != 0 && errno != ENOENT)
		return uct_err_set(err, UCT_E_IO, errno, "cannot remove %s: %s", impl->owed_path,
				   strerror(errno));
	impl->owed = 0;
	system_rmdir_own(store);
	return 0;
}

static int system_list(struct uct_store *store, uct_entry_cb cb, void *ctx, struct uct_err *err)
{
	struct uct_store_entry entry;
	struct uct_chain chain = {0};
	struct uct_err rerr;
	struct dirent *de;
	DIR *dir;
	char *path;
	int rc = 0;

	dir = opendir(store->path);
	if (dir == NULL) {
		if (errno == ENOENT)
			return 0;
		return uct_err_set(err, UCT_E_IO, errno, "cannot read %s: %s", store->path,
				   strerror(errno));
	}
	while (rc == 0 && (de = readdir(dir)) != NULL) {
		memset(&entry, 0, sizeof(entry));
		if (uct_machine_parse_name(de->d_name, ".crt", entry.sha256) < 0)
			continue;
		path = uct_asprintf("%s/%s", store->path, de->d_name);
		if (path == NULL) {
			rc = uct_err_set(err, UCT_E_NOMEM, ENOMEM, "out of memory listing %s",
					 store->path);
			break;
		}
		uct_err_clear(&rerr);
		/* A file whose content does not match its name is listed by the
		 * name (so remove can still take it out), with no trust. */
		if (uct_cert_read_file(path, &chain, &rerr) == 0 && chain.n == 1 &&
		    memcmp(chain.certs[0]->sha256, entry.sha256, UCT_SHA256_LEN) == 0)
			entry.trust = uct_cert_ca_claim(chain.certs[0]) == UCT_CLAIM_CA
					      ? UCT_TRUST_ROOT
					      : UCT_TRUST_PEER;
		else
			uct_log(UCT_LOG_WARN, "%s: not the certificate its name says", path);
		uct_chain_clear(&chain);
		entry.label = de->d_name;
		rc = uct_entry_call(cb, &entry, ctx, err);
		free(path);
	}
	closedir(dir);
	return rc < 0 ? -1 : 0;
}

/*
 * Only what OpenSSL's verifier and the trust-safety rules (DESIGN.md) let
 * the machine trust: an approved CA as a root, or a self-signed certificate
 * that says CA:FALSE (which OpenSSL accepts as its own anchor and which can
 * sign nothing else). Every file here is an anchor for every program of
 * the machine, so a certificate that could sign for other names (CA:TRUE
 * without approval, no basicConstraints, X.509 v1) never goes here.
 */
static int system_add(struct uct_store *store, const struct uct_anchor *anchor, struct uct_err *err)
{
	const struct uct_cert *cert;
	char *path;
	int rc;

	if (uct_anchor_check(anchor, store->id, err) < 0)
		return -1;
	cert = anchor->cert;
	if (!uct_trust_lets_sign(anchor->trust))
		return uct_err_set(err, UCT_E_USAGE, 0,
				   "%s: the system store holds roots and "
				   "self-signed server certificates only, not %s trust",
				   store->id, uct_trust_name(anchor->trust));
	if (anchor->trust == UCT_TRUST_PEER && !cert->self_signed)
		return uct_err_set(err, UCT_E_USAGE, 0,
				   "%s: %.200s is not self-signed, so OpenSSL would not take it as "
				   "an anchor; only its approved CA can be one",
				   store->id, cert->subject ? cert->subject : "?");
	path = uct_machine_file(store->path, cert->sha256, ".crt");
	if (path == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	rc = system_owe(store, err);
	if (rc == 0)
		rc = uct_machine_write_pem(store->path, path, cert, err);
	free(path);
	if (rc == 0)
		sys_impl(store)->dirty = 1;
	return rc;
}

/* "0123abcd.N": a name `openssl rehash` gives a certificate's link. */
static int system_hash_name(const char *name, char hash[9])
{
	size_t i;

	for (i = 0; i < 8; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	if (name[8] != '.' || name[9] == '\0' || strspn(name + 9, "0123456789") != strlen(name + 9))
		return 0;
	memcpy(hash, name, 8);
	hash[8] = '\0';
	return 1;
}

/* OpenSSL looks HASH.0, HASH.1, ... up and stops at the first missing one:
 * after a removal, the links of that hash are numbered again from 0. */
static void system_renumber(int dfd, const char *hash)
{
	char from[32], to[32];
	struct stat st;
	int next = 0;

	for (int i = 0; i < 256; i++) {
		snprintf(from, sizeof(from), "%s.%d", hash, i);
		if (fstatat(dfd, from, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		snprintf(to, sizeof(to), "%s.%d", hash, next++);
		if (strcmp(from, to) != 0 && renameat(dfd, from, dfd, to) != 0)
			uct_log(UCT_LOG_WARN, "cannot rename %s to %s: %s", from, to,
				strerror(errno));
	}
}

/* 1 when the link name in dfd points at want (or, want_rel, at that name). */
static int system_link_is(int dfd, const char *name, const char *want, const char *want_rel)
{
	char target[PATH_MAX];
	ssize_t len = readlinkat(dfd, name, target, sizeof(target) - 1);

	if (len < 0)
		return 0;
	target[len] = '\0';
	return strcmp(target, want) == 0 || (want_rel != NULL && strcmp(target, want_rel) == 0);
}

/*
 * update-ca-certificates links each anchor into /etc/ssl/certs (NAME.pem to
 * the file, HASH.N to NAME.pem) but, when a file of the local directory is
 * gone, removes neither: they would dangle there for good. Take out exactly
 * the links that lead to our file, nothing else of that directory.
 */
static void system_unlink_links(const char *links_dir, const char *file)
{
	const char *base = uct_path_base(file);
	char *pem = NULL, *pem_abs = NULL, hash[9];
	struct uct_err e = {0};
	struct dirent *de;
	struct uct_strv hashes = {0};
	DIR *dir;
	int dfd;

	pem = uct_asprintf("%.*s.pem", (int)(strlen(base) - strlen(".crt")), base);
	pem_abs = uct_asprintf("%s/%s", links_dir, pem ? pem : "");
	dfd = uct_safe_dir_open(links_dir, 0, &e);
	if (pem == NULL || pem_abs == NULL || dfd < 0) {
		if (dfd < 0 && e.native != ENOENT)
			uct_log(UCT_LOG_WARN, "links of %s not removed: %s", file, e.msg);
		goto out;
	}
	if (system_link_is(dfd, pem, file, NULL) && unlinkat(dfd, pem, 0) != 0)
		uct_log(UCT_LOG_WARN, "cannot remove %s: %s", pem_abs, strerror(errno));
	dir = fdopendir(dup(dfd));
	while (dir != NULL && (de = readdir(dir)) != NULL)
		if (system_hash_name(de->d_name, hash) &&
		    system_link_is(dfd, de->d_name, pem_abs, pem) &&
		    unlinkat(dfd, de->d_name, 0) == 0 && !uct_strv_contains(&hashes, hash))
			uct_strv_push(&hashes, hash);
	if (dir != NULL)
		closedir(dir);
	for (size_t i = 0; i < hashes.n; i++)
		system_renumber(dfd, hashes.v[i]);
out:
	if (dfd >= 0)
		close(dfd);
	uct_strv_clear(&hashes);
	free(pem);
	free(pem_abs);
}

static int system_remove(struct uct_store *store, const struct uct_anchor *anchor,
			 struct uct_err *err)
{
	char *path = uct_machine_file(store->path, anchor->cert->sha256, ".crt");
	struct stat st;
	int rc = 0;

	if (path == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	if (lstat(path, &st) == 0 && system_owe(store, err) < 0)
		rc = -1;
	else if (unlink(path) == 0)
		sys_impl(store)->dirty = 1;
	else if (errno != ENOENT)
		rc = uct_err_set(err, UCT_E_IO, errno, "cannot remove %s: %s", path,
				 strerror(errno));
	if (rc == 0 && sys_impl(store)->links_dir != NULL)
		system_unlink_links(sys_impl(store)->links_dir, path);
	free(path);
	if (rc == 0)
		system_rmdir_own(store);
	return rc;
}

/* Names for the verification errors a server certificate usually meets. */
static const char *system_code(int e)
{
	switch (e) {
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		return "X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT";
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN: return "X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN";
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
		return "X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY";
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		return "X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE";
	case X509_V_ERR_CERT_HAS_EXPIRED: return "X509_V_ERR_CERT_HAS_EXPIRED";
	case X509_V_ERR_CERT_NOT_YET_VALID: return "X509_V_ERR_CERT_NOT_YET_VALID";
	case X509_V_ERR_HOSTNAME_MISMATCH: return "X509_V_ERR_HOSTNAME_MISMATCH";
	case X509_V_ERR_INVALID_PURPOSE: return "X509_V_ERR_INVALID_PURPOSE";
	case X509_V_ERR_EE_KEY_TOO_SMALL: return "X509_V_ERR_EE_KEY_TOO_SMALL";
	default: return "X509_V_ERR_OTHER";
	}
}

static X509 *system_x509(const struct uct_cert *cert)
{
	const unsigned char *p = cert->der;

	return d2i_X509(NULL, &p, (long)cert->der_len);
}

/* As curl or any OpenSSL client of the machine would: the default paths
 * (which honour SSL_CERT_FILE and SSL_CERT_DIR), the server purpose and the
 * host name. */
static int system_verify(struct uct_store *store, const struct uct_chain *chain, const char *host,
			 int port, struct uct_verify_result *out, struct uct_err *err)
{
	struct system_impl *impl = sys_impl(store);
	STACK_OF(X509) *untrusted = NULL;
	X509_STORE_CTX *ctx = NULL;
	X509 *leaf = NULL, *x;
	int rc = -1, e;

	(void)port;
	memset(out, 0, sizeof(*out));
	if (chain->n == 0)
		return 0;
	if (system_flush(store, err) < 0)
		return -1;
	if (impl->trust == NULL) {
		impl->trust = X509_STORE_new();
		if (impl->trust == NULL || X509_STORE_set_default_paths(impl->trust) != 1) {
			uct_err_set(err, UCT_E_CRYPTO, (long)ERR_peek_last_error(),
				    "cannot load the system's trusted certificates");
			goto out;
		}
	}
	leaf = system_x509(chain->certs[0]);
	untrusted = sk_X509_new_null();
	ctx = X509_STORE_CTX_new();
	if (leaf == NULL || untrusted == NULL || ctx == NULL)
		goto crypto;
	for (size_t i = 1; i < chain->n; i++) {
		x = system_x509(chain->certs[i]);
		if (x == NULL || !sk_X509_push(untrusted, x)) {
			X509_free(x);
			goto crypto;
		}
	}
	if (X509_STORE_CTX_init(ctx, impl->trust, leaf, untrusted) != 1)
		goto crypto;
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
	X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(ctx), host, 0);
	if (X509_verify_cert(ctx) == 1) {
		out->trusted = 1;
	} else {
		e = X509_STORE_CTX_get_error(ctx);
		snprintf(out->code, sizeof(out->code), "%s", system_code(e));
		snprintf(out->detail, sizeof(out->detail), "%s", X509_verify_cert_error_string(e));
	}
	rc = 0;
	goto out;
crypto:
	uct_err_set(err, UCT_E_CRYPTO, (long)ERR_peek_last_error(),
		    "OpenSSL verification set-up failed");
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(untrusted, X509_free);
	X509_free(leaf);
	return rc;
}

/* A close after writes still runs the update command: the files alone do
 * nothing until the bundle is rebuilt. Failure here can only be logged. */
static void system_close(struct uct_store *store)
{
	struct uct_err err = {0};

	if (store == NULL || store->impl == NULL)
		return;
	if (system_flush(store, &err) < 0)
		uct_log(UCT_LOG_ERROR, "%s", err.msg);
}

static void system_destroy(struct uct_store *store)
{
	struct system_impl *impl;

	if (store == NULL)
		return;
	system_close(store);
	impl = store->impl;
	if (impl != NULL) {
		for (size_t i = 0; impl->argv[i] != NULL; i++)
			free(impl->argv[i]);
		free(impl->links_dir);
		free(impl->owed_path);
		X509_STORE_free(impl->trust);
	}
	uct_store_free_base(store);
}

static const struct uct_store_ops system_ops = {
	.name = "system",
	.caps = UCT_STORE_MACHINE,
	.open = system_open,
	.list = system_list,
	.add = system_add,
	.remove = system_remove,
	.verify = system_verify,
	.close = system_close,
	.destroy = system_destroy,
};

struct uct_store *uct_store_system_new(const char *anchor_dir, const char *links_dir,
				       const char *const *update_argv, struct uct_err *err)
{
	struct uct_store *store = calloc(1, sizeof(*store));
	struct system_impl *impl = calloc(1, sizeof(*impl));
	size_t i;

	if (store == NULL || impl == NULL)
		goto nomem;
	store->ops = &system_ops;
	store->impl = impl;
	store->browser = UCT_BROWSER_SYSTEM;
	store->path = uct_strdup(anchor_dir);
	store->id = uct_asprintf("system:%s", anchor_dir);
	store->group = uct_strdup("system");
	store->label = "the system's trusted certificates";
	if (links_dir != NULL && (impl->links_dir = uct_strdup(links_dir)) == NULL)
		goto nomem;
	for (i = 0; i < 3 && update_argv[i] != NULL; i++)
		if ((impl->argv[i] = uct_strdup(update_argv[i])) == NULL)
			goto nomem;
	impl->owed_path = uct_asprintf("%s/" SYSTEM_OWED, anchor_dir);
	if (store->path == NULL || store->id == NULL || store->group == NULL ||
	    impl->owed_path == NULL || i == 0)
		goto nomem;
	return store;
nomem:
	if (store == NULL)
		free(impl);
	system_destroy(store);
	uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	return NULL;
}
