/*
 * sig_ossl.c: checks an ECDSA P-256 / SHA-256 signature with OpenSSL: the
 * signature of the collector's trust document (platform/common/trustdoc.c).
 */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "platform.h"

/* Only a PEM SubjectPublicKeyInfo of an EC key on P-256. */
static EVP_PKEY *sig_read_p256(const char *pem)
{
	BIO *mem = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *pkey = mem != NULL ? PEM_read_bio_PUBKEY(mem, NULL, NULL, NULL) : NULL;
	char group[64];
	size_t len = 0;

	BIO_free(mem);
	if (pkey != NULL && (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC ||
			     EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
							    sizeof(group), &len) != 1 ||
			     strcmp(group, "prime256v1") != 0)) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	return pkey;
}

int uct_sig_check_key_p256(const char *pubkey_pem, struct uct_err *err)
{
	EVP_PKEY *pkey = sig_read_p256(pubkey_pem);
	int rc = 0;

	if (pkey == NULL)
		rc = uct_err_set(err, UCT_E_CONFIG, (long)ERR_peek_last_error(),
				 "not an ECDSA P-256 public key in PEM");
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	return rc;
}

int uct_sig_verify_p256(const char *pubkey_pem, const void *data, size_t len,
			const unsigned char *sig_der, size_t sig_len, struct uct_err *err)
{
	EVP_PKEY *pkey = sig_read_p256(pubkey_pem);
	EVP_MD_CTX *md = NULL;
	int rc = -1, ok;

	if (pkey == NULL) {
		uct_err_set(err, UCT_E_CONFIG, (long)ERR_peek_last_error(),
			    "the trust key is not an ECDSA P-256 public key in PEM; give the "
			    "output of 'uccx-trust-collector --print-trust-key'");
		goto out;
	}
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) != 1) {
		uct_err_set(err, UCT_E_CRYPTO, (long)ERR_peek_last_error(),
			    "OpenSSL cannot set up an ECDSA P-256 check");
		goto out;
	}
	/* 1: verified; 0 or a negative value: a wrong signature or DER that
	 * does not decode (OpenSSL refuses DER that is not canonical). */
	ok = EVP_DigestVerify(md, sig_der, sig_len, data, len);
	if (ok == 1)
		rc = 0;
	else
		uct_err_set(err, UCT_E_CRYPTO, 0,
			    "the signature does not verify with the trust key");
out:
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	return rc;
}

int uct_sig_key_id(const char *pubkey_pem, unsigned char id[UCT_SHA256_LEN], struct uct_err *err)
{
	EVP_PKEY *pkey = sig_read_p256(pubkey_pem);
	unsigned char point[65];
	size_t len = 0;
	int rc = 0;

	if (pkey == NULL ||
	    EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
					    sizeof(point), &len) != 1 ||
	    len != sizeof(point) || point[0] != 0x04)
		rc = uct_err_set(err, UCT_E_CONFIG, (long)ERR_peek_last_error(),
				 "not an ECDSA P-256 public key in PEM");
	else
		SHA256(point, len, id);
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	return rc;
}
