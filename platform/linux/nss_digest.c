/*
 * nss_digest.c: a digest of what an NSS database answers with, so that the
 * agent can tell, without opening it, that a database is unchanged since
 * it last asked (agent/vcache.c keeps the answers).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "nss_digest.h"
#include "nss_dl.h"

/* Feed one file to the digest, its length first so that two files cannot
 * run together. A missing file counts as absent, not as empty. */
static int digest_file(EVP_MD_CTX *md, const char *path, struct uct_err *err)
{
	unsigned char buf[16384];
	unsigned long long total = 0;
	struct stat st;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc = -1;

	if (fd < 0) {
		if (errno == ENOENT)
			return EVP_DigestUpdate(md, "-", 1) == 1 ? 0 : -1;
		return uct_err_set(err, UCT_E_IO, errno, "cannot read %s: %s", path,
				   strerror(errno));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		uct_err_set(err, UCT_E_IO, errno, "%s is not a regular file", path);
		goto out;
	}
	total = (unsigned long long)st.st_size;
	if (EVP_DigestUpdate(md, &total, sizeof(total)) != 1)
		goto out;
	while ((got = read(fd, buf, sizeof(buf))) > 0)
		if (EVP_DigestUpdate(md, buf, (size_t)got) != 1)
			goto out;
	if (got < 0) {
		uct_err_set(err, UCT_E_IO, errno, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

/* The identity of an NSS library file: a package update replaces it. */
static int digest_library(EVP_MD_CTX *md, const char *path)
{
	struct stat st;
	long long id[5];

	if (stat(path, &st) != 0)
		return -1;
	id[0] = (long long)st.st_dev;
	id[1] = (long long)st.st_ino;
	id[2] = (long long)st.st_size;
	id[3] = (long long)st.st_mtim.tv_sec;
	id[4] = (long long)st.st_mtim.tv_nsec;
	if (EVP_DigestUpdate(md, path, strlen(path) + 1) != 1 ||
	    EVP_DigestUpdate(md, id, sizeof(id)) != 1)
		return -1;
	return 0;
}

/*
 * What list and verify depend on: the certificates and trust of cert9.db
 * (with a write-ahead log, if some program left one), the NSS that
 * verifies (the identity of libnss3.so and libsoftokn3.so, read without
 * loading them), the agent's version (its reading of the answers may
 * change) and the browser whose rules apply. key4.db holds keys only, and
 * pkcs11.txt is not read (NSS_INIT_NOMODDB). A journal means a write is
 * under way or was cut short: no digest then.
 */
int uct_nss_db_digest(const char *dir, enum uct_browser browser_id,
		      unsigned char out[UCT_SHA256_LEN], struct uct_err *err)
{
	static const char *const parts[] = {"cert9.db", "cert9.db-wal"};
	const char *browser = uct_browser_name(browser_id);
	char *path = uct_asprintf("%s/cert9.db-journal", dir);
	char nss[4096], softokn[4096 + 32], *slash;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t i;
	int rc = -1;

	if (path == NULL || md == NULL) {
		uct_err_set(err, UCT_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	if (access(path, F_OK) == 0) {
		uct_err_set(err, UCT_E_LOCKED, 0, "%s: a write is in progress", dir);
		goto out;
	}
	if (uct_nss_library_path(nss, sizeof(nss)) < 0 || (slash = strrchr(nss, '/')) == NULL) {
		uct_err_set(err, UCT_E_SYSTEM, 0, "cannot tell where the NSS library is");
		goto out;
	}
	snprintf(softokn, sizeof(softokn), "%.*s/libsoftokn3.so", (int)(slash - nss), nss);
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 || digest_library(md, nss) < 0 ||
	    digest_library(md, softokn) < 0 ||
	    EVP_DigestUpdate(md, UCT_VERSION, sizeof(UCT_VERSION)) != 1 ||
	    EVP_DigestUpdate(md, browser, strlen(browser) + 1) != 1) {
		uct_err_set(err, UCT_E_SYSTEM, 0, "cannot identify the NSS library in %s", nss);
		goto out;
	}
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		free(path);
		if ((path = uct_asprintf("%s/%s", dir, parts[i])) == NULL ||
		    digest_file(md, path, err) < 0)
			goto out;
	}
	rc = EVP_DigestFinal_ex(md, out, NULL) == 1 ? 0 : -1;
out:
	if (rc < 0 && err->msg[0] == '\0')
		uct_err_set(err, UCT_E_NOMEM, 0, "cannot compute a digest of %s", dir);
	EVP_MD_CTX_free(md);
	free(path);
	return rc;
}
