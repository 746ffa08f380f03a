/*
 * sig_bcrypt.c: checks an ECDSA P-256 / SHA-256 signature with BCrypt: the
 * signature of the collector's trust document (platform/common/trustdoc.c).
 * crypt32 decodes the PEM SubjectPublicKeyInfo; BCrypt wants the point as a
 * BCRYPT_ECCPUBLIC_BLOB and the signature as r||s, so the DER signature is
 * decoded here, as strictly as OpenSSL does on Linux.
 */
#include <stdlib.h>
#include <string.h>

#include <windows.h>
#include <wincrypt.h>
#include <bcrypt.h>

#include "win.h"

#define SIG_P256_LEN 32
/* The DER of the OID 1.2.840.10045.3.1.7 (prime256v1): the curve parameter
 * of an EC SubjectPublicKeyInfo (RFC 5480, 2.1.1). */
static const unsigned char sig_p256_oid[] = {0x06, 0x08, 0x2A, 0x86, 0x48,
					     0xCE, 0x3D, 0x03, 0x01, 0x07};

/*
 * One DER INTEGER at *p (n bytes left), positive and minimally encoded
 * (X.690 8.3.2), at most 32 bytes of value, left-padded into out. Moves *p
 * past it. -1 when it is not such an integer.
 */
static int sig_der_int(const unsigned char **p, size_t *n, unsigned char out[SIG_P256_LEN])
{
	const unsigned char *s = *p;
	size_t len;

	if (*n < 3 || s[0] != 0x02 || s[1] >= 0x80 || s[1] == 0 || (size_t)s[1] + 2 > *n)
		return -1;
	len = s[1];
	*p += len + 2;
	*n -= len + 2;
	s += 2;
	if (s[0] & 0x80)
		return -1; /* negative */
	if (s[0] == 0 && len > 1) {
		if (!(s[1] & 0x80))
			return -1; /* a leading zero that is not needed */
		s++;
		len--;
	}
	if (len > SIG_P256_LEN)
		return -1;
	memset(out, 0, SIG_P256_LEN);
	memcpy(out + SIG_P256_LEN - len, s, len);
	return 0;
}

/* DER SEQUENCE { r INTEGER, s INTEGER } (at most 72 bytes: a short length)
 * into r||s; -1 when malformed or followed by anything. */
static int sig_der_to_rs(const unsigned char *der, size_t len, unsigned char rs[2 * SIG_P256_LEN])
{
	size_t n;

	if (len < 8 || der[0] != 0x30 || der[1] >= 0x80 || (size_t)der[1] + 2 != len)
		return -1;
	der += 2;
	n = len - 2;
	if (sig_der_int(&der, &n, rs) < 0 || sig_der_int(&der, &n, rs + SIG_P256_LEN) < 0)
		return -1;
	return n == 0 ? 0 : -1;
}

/* The PEM public key as the 65 bytes of an uncompressed P-256 point; -1
 * when it is not a PEM SubjectPublicKeyInfo of a P-256 key. */
static int sig_read_point(const char *pem, unsigned char point[1 + 2 * SIG_P256_LEN])
{
	static const char begin[] = "-----BEGIN PUBLIC KEY-----",
			  end[] = "-----END PUBLIC KEY-----";
	const char *b = strstr(pem, begin), *e = b != NULL ? strstr(b, end) : NULL;
	CERT_PUBLIC_KEY_INFO *info = NULL;
	unsigned char *der = NULL;
	DWORD n = 0, size = 0, span;
	int rc = -1;

	/* Only the PUBLIC KEY block: crypt32 would take any PEM label. */
	if (e == NULL)
		return -1;
	span = (DWORD)(e + sizeof(end) - 1 - b);
	if (!CryptStringToBinaryA(b, span, CRYPT_STRING_BASE64HEADER, NULL, &n, NULL, NULL) ||
	    (der = malloc(n)) == NULL ||
	    !CryptStringToBinaryA(b, span, CRYPT_STRING_BASE64HEADER, der, &n, NULL, NULL) ||
	    !CryptDecodeObjectEx(X509_ASN_ENCODING, X509_PUBLIC_KEY_INFO, der, n,
				 CRYPT_DECODE_ALLOC_FLAG, NULL, &info, &size))
		goto out;
	if (strcmp(info->Algorithm.pszObjId, szOID_ECC_PUBLIC_KEY) == 0 &&
	    info->Algorithm.Parameters.cbData == sizeof(sig_p256_oid) &&
	    memcmp(info->Algorithm.Parameters.pbData, sig_p256_oid, sizeof(sig_p256_oid)) == 0 &&
	    info->PublicKey.cbData == 1 + 2 * SIG_P256_LEN && info->PublicKey.cUnusedBits == 0 &&
	    info->PublicKey.pbData[0] == 0x04) {
		memcpy(point, info->PublicKey.pbData, 1 + 2 * SIG_P256_LEN);
		rc = 0;
	}
out:
	LocalFree(info);
	free(der);
	return rc;
}

/* The point as a BCrypt key on P-256; -1 when BCrypt refuses it. */
static int sig_import(const unsigned char point[1 + 2 * SIG_P256_LEN], BCRYPT_ALG_HANDLE *alg,
		      BCRYPT_KEY_HANDLE *key)
{
	unsigned char blob[sizeof(BCRYPT_ECCKEY_BLOB) + 2 * SIG_P256_LEN];
	BCRYPT_ECCKEY_BLOB head = {.dwMagic = BCRYPT_ECDSA_PUBLIC_P256_MAGIC,
				   .cbKey = SIG_P256_LEN};

	memcpy(blob, &head, sizeof(head));
	memcpy(blob + sizeof(head), point + 1, 2 * SIG_P256_LEN);
	if (BCryptOpenAlgorithmProvider(alg, BCRYPT_ECDSA_P256_ALGORITHM, NULL, 0) != 0) {
		*alg = NULL;
		return -1;
	}
	return BCryptImportKeyPair(*alg, NULL, BCRYPT_ECCPUBLIC_BLOB, key, blob, sizeof(blob), 0) ==
			       0
		       ? 0
		       : -1;
}

int uct_sig_check_key_p256(const char *pubkey_pem, struct uct_err *err)
{
	unsigned char point[1 + 2 * SIG_P256_LEN];
	BCRYPT_ALG_HANDLE alg = NULL;
	BCRYPT_KEY_HANDLE key = NULL;
	int rc = 0;

	if (sig_read_point(pubkey_pem, point) < 0 || sig_import(point, &alg, &key) < 0)
		rc = uct_err_set(err, UCT_E_CONFIG, 0, "not an ECDSA P-256 public key in PEM");
	if (key != NULL)
		BCryptDestroyKey(key);
	if (alg != NULL)
		BCryptCloseAlgorithmProvider(alg, 0);
	return rc;
}

int uct_sig_verify_p256(const char *pubkey_pem, const void *data, size_t len,
			const unsigned char *sig_der, size_t sig_len, struct uct_err *err)
{
	unsigned char point[1 + 2 * SIG_P256_LEN], rs[2 * SIG_P256_LEN], hash[UCT_SHA256_LEN];
	BCRYPT_ALG_HANDLE alg = NULL;
	BCRYPT_KEY_HANDLE key = NULL;
	NTSTATUS st;
	int rc = -1;

	/* A point off the curve is refused on import, as OpenSSL refuses it
	 * when it reads the key. */
	if (sig_read_point(pubkey_pem, point) < 0 || sig_import(point, &alg, &key) < 0) {
		uct_err_set(err, UCT_E_CONFIG, 0,
			    "the trust key is not an ECDSA P-256 public key in "
			    "PEM; give the output of 'uccx-trust-collector "
			    "--print-trust-key'");
		goto out;
	}
	if (uct_capi_sha256(data, len, hash) < 0) {
		uct_err_set(err, UCT_E_CRYPTO, 0, "BCrypt cannot set up an ECDSA P-256 check");
		goto out;
	}
	if (sig_der_to_rs(sig_der, sig_len, rs) < 0) {
		uct_err_set(err, UCT_E_CRYPTO, 0,
			    "the signature does not verify with the trust key");
		goto out;
	}
	st = BCryptVerifySignature(key, NULL, hash, sizeof(hash), rs, sizeof(rs), 0);
	if (st == 0)
		rc = 0;
	else
		uct_err_set(err, UCT_E_CRYPTO, (long)st,
			    "the signature does not verify with the trust key");
out:
	if (key != NULL)
		BCryptDestroyKey(key);
	if (alg != NULL)
		BCryptCloseAlgorithmProvider(alg, 0);
	return rc;
}

int uct_sig_key_id(const char *pubkey_pem, unsigned char id[UCT_SHA256_LEN], struct uct_err *err)
{
	unsigned char point[1 + 2 * SIG_P256_LEN];

	if (sig_read_point(pubkey_pem, point) < 0)
		return uct_err_set(err, UCT_E_CONFIG, 0, "not an ECDSA P-256 public key in PEM");
	if (uct_capi_sha256(point, sizeof(point), id) < 0)
		return uct_err_set(err, UCT_E_CRYPTO, 0, "BCrypt cannot compute SHA-256");
	return 0;
}
