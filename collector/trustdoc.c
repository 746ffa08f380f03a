/*
 * trustdoc.c: the trust document's canonical form and ECDSA P-256 signature
 * (OpenSSL), and the signing key file the collector keeps: created private
 * on first start, refused when others can read it.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "trustdoc.h"

struct col_trust_key {
	EVP_PKEY *pkey;
};

/* The largest key file read: a P-256 PEM key is about 250 bytes. */
#define TRUST_KEY_MAX 16384

static int trust_fail(struct col_trust_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int trust_fail(struct col_trust_err *err, const char *fmt, ...)
{
	va_list ap;

	if (err->msg[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	ERR_clear_error();
	return -1;
}

/* Only ECDSA over P-256: the curve the agents verify with (BCrypt too). */
static int trust_is_p256(EVP_PKEY *pkey)
{
	char group[64];
	size_t len = 0;

	if (pkey == NULL || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC)
		return 0;
	if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
					   &len) != 1)
		return 0;
	return strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0;
}

/*
 * Writes a new key to path, which must not exist; the file is synced, then
 * its directory. 1 when the file appeared meanwhile.
 */
static int trust_key_create(const char *path, struct col_trust_key *key, struct col_trust_err *err)
{
	BIO *mem = NULL;
	char *pem, *dir_copy;
	long len;
	int fd, dfd, rc = -1;

	key->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (key->pkey == NULL || (mem = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PrivateKey(mem, key->pkey, NULL, NULL, 0, NULL, NULL) != 1)
		return trust_fail(err, "cannot generate a P-256 signing key (OpenSSL)");
	len = BIO_get_mem_data(mem, &pem);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		rc = 1; /* created meanwhile by another collector sharing the file */
		goto out;
	}
	if (fd < 0) {
		trust_fail(err, "cannot create the signing key %s: %s; check the directory", path,
			   strerror(errno));
		goto out;
	}
	if (write(fd, pem, (size_t)len) != (ssize_t)len || fsync(fd) != 0) {
		trust_fail(err, "cannot write the signing key %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		goto out;
	}
	close(fd);
	/* The new name must survive a power cut too. */
	if ((dir_copy = strdup(path)) != NULL) {
		if ((dfd = open(dirname(dir_copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
			fsync(dfd);
			close(dfd);
		}
		free(dir_copy);
	}
	rc = 0;
out:
	BIO_free(mem);
	return rc;
}

/* Reads the key at fd (already checked for its mode). */
static int trust_key_read(int fd, const char *path, struct col_trust_key *key,
			  struct col_trust_err *err)
{
	char *buf = malloc(TRUST_KEY_MAX);
	ssize_t n, len = 0;
	BIO *mem;

	if (buf == NULL)
		return trust_fail(err, "out of memory reading %s", path);
	while (len < TRUST_KEY_MAX && (n = read(fd, buf + len, (size_t)(TRUST_KEY_MAX - len))) > 0)
		len += n;
	mem = BIO_new_mem_buf(buf, (int)len);
	key->pkey = mem != NULL ? PEM_read_bio_PrivateKey(mem, NULL, NULL, NULL) : NULL;
	BIO_free(mem);
	OPENSSL_cleanse(buf, (size_t)len);
	free(buf);
	if (key->pkey == NULL)
		return trust_fail(err,
				  "%s holds no PEM private key; remove it to have a new key "
				  "created, or give the right file",
				  path);
	if (!trust_is_p256(key->pkey))
		return trust_fail(
			err,
			"%s is not an ECDSA P-256 key; create one with "
			"'openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256'",
			path);
	return 0;
}

int col_trust_key_load(const char *path, struct col_trust_key **out, struct col_trust_err *err)
{
	struct col_trust_key *key = calloc(1, sizeof(*key));
	struct stat st;
	int fd, rc;

	*out = NULL;
	if (key == NULL)
		return trust_fail(err, "out of memory");
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		rc = trust_key_create(path, key, err);
		if (rc <= 0)
			goto done;
		/* Another collector sharing the file created it first: take that one. */
		EVP_PKEY_free(key->pkey);
		key->pkey = NULL;
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		rc = trust_fail(err, "cannot open the signing key %s: %s", path, strerror(errno));
		goto done;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		rc = trust_fail(err, "the signing key %s is not a regular file", path);
	else if ((st.st_mode & 077) != 0)
		rc = trust_fail(err,
				"the signing key %s is readable or writable by group or others "
				"(mode %04o); run 'chmod 600 %s'",
				path, (unsigned)(st.st_mode & 07777), path);
	else
		rc = trust_key_read(fd, path, key, err);
	close(fd);
done:
	if (rc < 0) {
		col_trust_key_free(key);
		return -1;
	}
	*out = key;
	return 0;
}

void col_trust_key_free(struct col_trust_key *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

char *col_trust_key_public_pem(const struct col_trust_key *key)
{
	BIO *mem = BIO_new(BIO_s_mem());
	char *pem = NULL, *data;
	long len;

	if (mem != NULL && PEM_write_bio_PUBKEY(mem, key->pkey) == 1 &&
	    (len = BIO_get_mem_data(mem, &data)) > 0 && (pem = malloc((size_t)len + 1)) != NULL) {
		memcpy(pem, data, (size_t)len);
		pem[len] = '\0';
	}
	BIO_free(mem);
	return pem;
}

char *col_trust_canonical(const json_t *doc)
{
	json_t *copy = json_deep_copy(doc);
	char *text;

	if (copy == NULL)
		return NULL;
	json_object_del(copy, "signature");
	text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	json_decref(copy);
	return text;
}

int col_trust_key_id(const struct col_trust_key *key, char id[COL_TRUST_KEY_ID_LEN + 1])
{
	unsigned char point[65], hash[SHA256_DIGEST_LENGTH];
	size_t len = 0, i;

	if (EVP_PKEY_get_octet_string_param(key->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
					    sizeof(point), &len) != 1 ||
	    len != sizeof(point) || point[0] != 0x04) {
		ERR_clear_error();
		return -1;
	}
	SHA256(point, len, hash);
	for (i = 0; i < sizeof(hash); i++)
		snprintf(id + 2 * i, 3, "%02x", hash[i]);
	return 0;
}

int col_trust_sign(const struct col_trust_key *key, json_t *doc, struct col_trust_err *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[128];
	char b64[4 * sizeof(sig) / 3 + 8], id[COL_TRUST_KEY_ID_LEN + 1];
	size_t sig_len = sizeof(sig);
	char *canon = NULL;
	int rc = -1;

	/* The key's id is signed with the rest: a PC given another key says
	 * so rather than calling the document tampered. */
	if (col_trust_key_id(key, id) < 0) {
		trust_fail(err, "cannot read the signing key's public point (OpenSSL)");
		goto out;
	}
	if (json_object_set_new(doc, "key_id", json_string(id)) == 0)
		canon = col_trust_canonical(doc);
	if (md == NULL || canon == NULL) {
		trust_fail(err, "out of memory signing the trust document");
		goto out;
	}
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key->pkey) != 1 ||
	    EVP_DigestSign(md, sig, &sig_len, (const unsigned char *)canon, strlen(canon)) != 1) {
		trust_fail(err, "cannot sign the trust document (OpenSSL)");
		goto out;
	}
	EVP_EncodeBlock((unsigned char *)b64, sig, (int)sig_len);
	rc = json_object_set_new(doc, "signature", json_string(b64)) == 0
		     ? 0
		     : trust_fail(err, "out of memory signing the trust document");
out:
	free(canon);
	EVP_MD_CTX_free(md);
	return rc;
}

/* Base64 (standard alphabet, padded) into at most cap bytes; -1 when malformed. */
static int trust_unbase64(const char *b64, unsigned char *out, size_t cap, size_t *len)
{
	size_t n = strlen(b64), pad = 0;
	int got;

	if (n == 0 || n % 4 != 0 || n / 4 * 3 > cap)
		return -1;
	if (b64[n - 1] == '=')
		pad = b64[n - 2] == '=' ? 2 : 1;
	got = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)n);
	if (got < 0 || (size_t)got < pad)
		return -1;
	*len = (size_t)got - pad;
	return 0;
}

static EVP_PKEY *trust_read_public(const char *public_pem)
{
	BIO *mem = BIO_new_mem_buf(public_pem, -1);
	EVP_PKEY *pkey = mem != NULL ? PEM_read_bio_PUBKEY(mem, NULL, NULL, NULL) : NULL;

	BIO_free(mem);
	return pkey;
}

int col_trust_verify(const char *text, size_t len, const char *public_pem,
		     struct col_trust_err *err)
{
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	const char *b64 = json_string_value(json_object_get(doc, "signature"));
	EVP_PKEY *pkey = trust_read_public(public_pem);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[256];
	size_t sig_len;
	char *canon = NULL;
	int rc = -1;

	if (pkey == NULL || !trust_is_p256(pkey))
		trust_fail(err, "the trust key is not an ECDSA P-256 public key in PEM; give the "
				"output of 'uccx-trust-collector --print-trust-key'");
	else if (!json_is_object(doc))
		trust_fail(err, "the trust document is not a JSON object");
	else if (b64 == NULL || trust_unbase64(b64, sig, sizeof(sig), &sig_len) < 0)
		trust_fail(err, "the trust document has no readable \"signature\" (base64)");
	else if ((canon = col_trust_canonical(doc)) == NULL || md == NULL)
		trust_fail(err, "out of memory checking the trust document");
	else if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) != 1 ||
		 EVP_DigestVerify(md, sig, sig_len, (const unsigned char *)canon, strlen(canon)) !=
			 1)
		trust_fail(err,
			   "bad signature: the trust document was changed or signed by another "
			   "key than the one configured");
	else
		rc = 0;
	free(canon);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	json_decref(doc);
	return rc;
}
