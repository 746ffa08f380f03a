/*
 * cert_ossl.c: the Linux certificate parser. OpenSSL 3 decodes X.509 and
 * this file fills the portable struct uct_cert, so that the analysis in
 * agent/ never sees an X509 *.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../common/chain_found.h"
#include "cert_ossl.h"
#include "log.h"
#include "platform.h"

/* A certificate file larger than this is not a certificate file. */
#define OSSL_FILE_MAX (4L * 1024 * 1024)

/* The OpenSSL reason for the last failure, and an empty error queue. */
static const char *ossl_reason(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		snprintf(buf, len, "unknown OpenSSL error");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

static char *ossl_name_line(const X509_NAME *name)
{
	/*
	 * RFC 2253 order and escaping, but UTF-8 kept as is: XN_FLAG_RFC2253
	 * alone turns every non-ASCII byte into "\XX", which makes the
	 * Chinese or accented organisation names of real deployments
	 * unreadable in a report.
	 */
	unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
	BIO *bio = BIO_new(BIO_s_mem());
	char *line = NULL, *mem;
	long len;

	if (bio == NULL)
		return NULL;
	/* The printed name is data from the server: escaped (uct.h) so that
	 * no byte of it can end a record or reach a terminal as a control. */
	if (X509_NAME_print_ex(bio, name, 0, flags) >= 0) {
		len = BIO_get_mem_data(bio, &mem);
		line = uct_text_escape_n(mem, (size_t)len);
	} else {
		/* Bytes that are not valid in their string type (bad UTF-8):
		 * print every non-ASCII byte as \XX rather than fail the parse. */
		ERR_clear_error();
		(void)BIO_reset(bio);
		if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
			len = BIO_get_mem_data(bio, &mem);
			line = uct_text_escape_n(mem, (size_t)len);
		}
	}
	BIO_free(bio);
	return line;
}

/* The last CN of the subject (the most specific one), in UTF-8. */
static int ossl_subject_cn(X509 *x, struct uct_cert *cert)
{
	const X509_NAME *name = X509_get_subject_name(x);
	int idx = -1, next;
	unsigned char *utf8;
	int len;

	while ((next = X509_NAME_get_index_by_NID(name, NID_commonName, idx)) >= 0)
		idx = next;
	if (idx < 0)
		return 0;
	len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx)));
	if (len < 0)
		return -1;
	/* Escaped, not cut: a CN with an embedded NUL must not read as a
	 * shorter, different name, and a marked name never matches a host. */
	cert->subject_cn = uct_text_escape_n((const char *)utf8, (size_t)len);
	OPENSSL_free(utf8);
	return cert->subject_cn == NULL ? -1 : 0;
}

static int ossl_serial(X509 *x, struct uct_cert *cert)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex;

	if (bn == NULL)
		return -1;
	hex = BN_bn2hex(bn); /* uppercase, no separators; "0" for zero */
	BN_free(bn);
	if (hex == NULL)
		return -1;
	cert->serial_hex = uct_strdup(hex);
	OPENSSL_free(hex);
	return cert->serial_hex == NULL ? -1 : 0;
}

/*
 * A dNSName as data: a name with an embedded NUL ("a.com\0.evil"), a
 * control byte or bytes that are not UTF-8 is kept in its escaped form
 * (uct.h), so that it is shown for what it is, can never end a field of
 * a record, and never matches a host (a backslash is not a DNS character).
 */
static int ossl_push_name(struct uct_strv *sv, const unsigned char *p, int len)
{
	char *name = uct_text_escape_n((const char *)p, (size_t)len);
	int rc;

	if (name == NULL)
		return -1;
	rc = uct_strv_push(sv, name);
	free(name);
	return rc;
}

static int ossl_sans(X509 *x, struct uct_cert *cert)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	char ip[INET6_ADDRSTRLEN];
	const unsigned char *p;
	int i, len, rc = 0;

	for (i = 0; names != NULL && i < sk_GENERAL_NAME_num(names) && rc == 0; i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);

		if (gn->type == GEN_DNS) {
			p = ASN1_STRING_get0_data(gn->d.dNSName);
			len = ASN1_STRING_length(gn->d.dNSName);
			rc = ossl_push_name(&cert->san_dns, p, len);
		} else if (gn->type == GEN_IPADD) {
			p = ASN1_STRING_get0_data(gn->d.iPAddress);
			len = ASN1_STRING_length(gn->d.iPAddress);
			if (len != 4 && len != 16)
				continue; /* a name-constraint range, not an address */
			inet_ntop(len == 4 ? AF_INET : AF_INET6, p, ip, sizeof(ip));
			rc = uct_strv_push(&cert->san_ip, ip);
		}
	}
	GENERAL_NAMES_free(names);
	return rc;
}

/*
 * ASN1_TIME_to_tm understands both UTCTime and GeneralizedTime, and timegm
 * with a 64-bit time_t covers dates past 2038 and before 1970.
 */
static int ossl_time(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

static void ossl_key(X509 *x, struct uct_cert *cert)
{
	EVP_PKEY *key = X509_get0_pubkey(x);

	if (key == NULL)
		return;
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS: cert->key_type = UCT_KEY_RSA; break;
	case EVP_PKEY_EC: cert->key_type = UCT_KEY_EC; break;
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448: cert->key_type = UCT_KEY_ED; break;
	default: cert->key_type = UCT_KEY_OTHER;
	}
	/* RSA: modulus bits; EC: field bits (256 for P-256); Ed25519: 256. */
	cert->key_bits = EVP_PKEY_get_bits(key);
}

static void ossl_sig_alg(X509 *x, struct uct_cert *cert)
{
	const X509_ALGOR *alg;
	const ASN1_OBJECT *obj;
	int nid = X509_get_signature_nid(x);

	if (nid != NID_undef) {
		snprintf(cert->sig_alg, sizeof(cert->sig_alg), "%s", OBJ_nid2ln(nid));
		return;
	}
	X509_get0_signature(NULL, &alg, x);
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	OBJ_obj2txt(cert->sig_alg, sizeof(cert->sig_alg), obj, 1);
}

/* Key usage bits in RFC 5280 order (bit n of the BIT STRING -> 1 << n). */
static unsigned ossl_key_usage(uint32_t ku)
{
	static const struct {
		uint32_t ossl;
		unsigned bit;
	} map[] = {
		{KU_DIGITAL_SIGNATURE, 0}, {KU_NON_REPUDIATION, 1}, {KU_KEY_ENCIPHERMENT, 2},
		{KU_DATA_ENCIPHERMENT, 3}, {KU_KEY_AGREEMENT, 4},   {KU_KEY_CERT_SIGN, 5},
		{KU_CRL_SIGN, 6},          {KU_ENCIPHER_ONLY, 7},   {KU_DECIPHER_ONLY, 8},
	};
	unsigned out = 0;
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (ku & map[i].ossl)
			out |= 1u << map[i].bit;
	return out;
}

static void ossl_constraints(X509 *x, struct uct_cert *cert)
{
	BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	int i;

	/* X509_get_ext_d2i gives NULL for an extension that is absent, that
	 * does not decode, or that appears more than once: each is a
	 * certificate that does not say CA:FALSE, and is trusted as one. */
	if (bc != NULL) {
		cert->has_basic_constraints = 1;
		cert->is_ca = bc->ca != 0;
		BASIC_CONSTRAINTS_free(bc);
	}
	if (X509_get_extension_flags(x) & EXFLAG_KUSAGE) {
		cert->has_key_usage = 1;
		cert->key_usage = ossl_key_usage(X509_get_key_usage(x));
	}
	/*
	 * Only an explicit serverAuth counts: browsers do not all accept
	 * anyExtendedKeyUsage in a server certificate.
	 */
	if (eku != NULL) {
		cert->has_eku = 1;
		for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++)
			if (OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) == NID_server_auth)
				cert->eku_server_auth = 1;
		EXTENDED_KEY_USAGE_free(eku);
	}
}

/*
 * RFC 5280 4.2: a certificate with a critical extension the verifier does
 * not understand must be rejected, and Chromium and Firefox do so. These are
 * the critical extensions both browsers process.
 */
static int ossl_unknown_critical(X509 *x)
{
	static const int known[] = {
		NID_basic_constraints,  NID_key_usage,
		NID_ext_key_usage,      NID_subject_alt_name,
		NID_name_constraints,   NID_policy_constraints,
		NID_inhibit_any_policy, NID_certificate_policies,
	};
	int i, nid;
	size_t k;

	for (i = 0; i < X509_get_ext_count(x); i++) {
		X509_EXTENSION *ext = X509_get_ext(x, i);

		if (!X509_EXTENSION_get_critical(ext))
			continue;
		nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (nid == known[k])
				break;
		if (k == sizeof(known) / sizeof(known[0]))
			return 1;
	}
	return 0;
}

static int ossl_url_ok(const unsigned char *p, int len)
{
	int i;

	for (i = 0; i < len; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f)
			return 0;
	return len > 0;
}

static int ossl_aia(X509 *x, struct uct_cert *cert)
{
	AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(x, NID_info_access, NULL, NULL);
	const unsigned char *p;
	int i, len;

	for (i = 0; aia != NULL && i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
		ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);

		if (OBJ_obj2nid(ad->method) != NID_ad_ca_issuers || ad->location->type != GEN_URI)
			continue;
		p = ASN1_STRING_get0_data(ad->location->d.uniformResourceIdentifier);
		len = ASN1_STRING_length(ad->location->d.uniformResourceIdentifier);
		/* A URL the agent may fetch: printable ASCII only, never one
		 * whose bytes would need escaping to be shown. */
		if (!ossl_url_ok(p, len))
			continue;
		cert->aia_ca_issuers = uct_strdup((const char *)p);
		break;
	}
	AUTHORITY_INFO_ACCESS_free(aia);
	return 0;
}

/* Fill every derived field of cert from x. -1 only on allocation failure. */
static int ossl_fill(X509 *x, struct uct_cert *cert)
{
	EVP_PKEY *key;

	cert->subject = ossl_name_line(X509_get_subject_name(x));
	cert->issuer = ossl_name_line(X509_get_issuer_name(x));
	if (cert->subject == NULL || cert->issuer == NULL)
		return -1;
	if (ossl_subject_cn(x, cert) < 0 || ossl_serial(x, cert) < 0 || ossl_sans(x, cert) < 0)
		return -1;
	ossl_key(x, cert);
	ossl_sig_alg(x, cert);
	/* The encoded value counts from 0 (v1); anything else is unknown. */
	if (X509_get_version(x) >= X509_VERSION_1 && X509_get_version(x) <= X509_VERSION_3)
		cert->version = (int)X509_get_version(x) + 1;
	ossl_constraints(x, cert);
	cert->unknown_critical = ossl_unknown_critical(x);
	ossl_aia(x, cert);
	cert->self_issued = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
	key = X509_get0_pubkey(x);
	cert->self_signed = cert->self_issued && key != NULL && X509_verify(x, key) == 1;
	EVP_Digest(cert->der, cert->der_len, cert->sha256, NULL, EVP_sha256(), NULL);
	ERR_clear_error();
	return 0;
}

/* A uct_cert for x, whose DER encoding is der (copied). */
static int ossl_cert_new(X509 *x, const unsigned char *der, size_t len, struct uct_cert **out,
			 struct uct_err *err)
{
	struct uct_cert *cert = NULL;

	*out = NULL;
	if (ossl_time(X509_get0_notBefore(x), &(int64_t){0}) < 0 ||
	    ossl_time(X509_get0_notAfter(x), &(int64_t){0}) < 0) {
		ERR_clear_error();
		return uct_err_set(err, UCT_E_PARSE, 0,
				   "the certificate has an unreadable validity date");
	}
	cert = calloc(1, sizeof(*cert));
	if (cert == NULL || (cert->der = malloc(len)) == NULL)
		goto nomem;
	memcpy(cert->der, der, len);
	cert->der_len = len;
	ossl_time(X509_get0_notBefore(x), &cert->not_before);
	ossl_time(X509_get0_notAfter(x), &cert->not_after);
	if (ossl_fill(x, cert) < 0)
		goto nomem;
	/* Kept for uct_cert_signed_by: its public key is already decoded. */
	if (X509_up_ref(x) == 1)
		cert->native = x;
	*out = cert;
	return 0;
nomem:
	ERR_clear_error();
	uct_cert_free(cert);
	return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory parsing a certificate");
}

int uct_cert_parse(const unsigned char *der, size_t len, struct uct_cert **out, struct uct_err *err)
{
	const unsigned char *p = der;
	char reason[256];
	X509 *x;
	int rc;

	*out = NULL;
	if (der == NULL || len == 0 || len > OSSL_FILE_MAX)
		return uct_err_set(err, UCT_E_PARSE, 0, "not a DER certificate (%zu bytes)", len);
	ERR_clear_error();
	x = d2i_X509(NULL, &p, (long)len);
	if (x == NULL)
		return uct_err_set(err, UCT_E_PARSE, (long)ERR_peek_last_error(),
				   "not a DER certificate: %s",
				   ossl_reason(reason, sizeof(reason)));
	if ((size_t)(p - der) != len)
		rc = uct_err_set(err, UCT_E_PARSE, 0,
				 "%zu bytes of trailing data after the certificate",
				 len - (size_t)(p - der));
	else
		rc = ossl_cert_new(x, der, len, out, err);
	ERR_clear_error();
	X509_free(x);
	return rc;
}

void uct_ossl_seen_clear(struct uct_ossl_seen *seen)
{
	size_t k;

	if (seen == NULL)
		return;
	for (k = 0; k < seen->n; k++)
		uct_cert_free(seen->certs[k]);
	free(seen->certs);
	seen->certs = NULL;
	seen->n = 0;
}

/* The certificate of seen whose encoding is der, or NULL. */
static const struct uct_cert *ossl_seen_find(const struct uct_ossl_seen *seen,
					     const unsigned char *der, size_t len)
{
	size_t k;

	for (k = 0; seen != NULL && k < seen->n; k++)
		if (seen->certs[k]->der_len == len && memcmp(seen->certs[k]->der, der, len) == 0)
			return seen->certs[k];
	return NULL;
}

/* Remember a copy of cert in seen; without memory it is simply not remembered. */
static void ossl_seen_add(struct uct_ossl_seen *seen, const struct uct_cert *cert)
{
	struct uct_cert **grown, *copy;

	if (seen == NULL || (copy = uct_cert_dup(cert)) == NULL)
		return;
	grown = realloc(seen->certs, (seen->n + 1) * sizeof(*grown));
	if (grown == NULL) {
		uct_cert_free(copy);
		return;
	}
	seen->certs = grown;
	seen->certs[seen->n++] = copy;
}

/*
 * The cert is filled from x itself: decoding the DER again would decode the
 * public key again, one of OpenSSL 3's slowest steps.
 */
int uct_ossl_push_x509(X509 *x, struct uct_chain *chain, struct uct_ossl_seen *seen,
		       struct uct_err *err)
{
	const struct uct_cert *known;
	unsigned char *der = NULL;
	struct uct_cert *cert;
	int len = i2d_X509(x, &der);

	if (len <= 0)
		return uct_err_set(err, UCT_E_PARSE, 0, "cannot encode a certificate");
	known = ossl_seen_find(seen, der, (size_t)len);
	if (known != NULL) {
		cert = uct_cert_dup(known);
		if (cert == NULL) {
			OPENSSL_free(der);
			return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
		}
	} else if (ossl_cert_new(x, der, (size_t)len, &cert, err) < 0) {
		OPENSSL_free(der);
		return -1;
	} else {
		ossl_seen_add(seen, cert);
	}
	OPENSSL_free(der);
	if (uct_chain_push(chain, cert) < 0)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	return 0;
}

static int ossl_parse_pem(const unsigned char *buf, size_t len, const char *what,
			  struct uct_chain *chain, struct uct_err *err)
{
	BIO *bio = BIO_new_mem_buf(buf, (int)len);
	char reason[256];
	unsigned long e;
	X509 *x;
	int rc = 0;

	if (bio == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	ERR_clear_error();
	/* PEM_read_bio_X509 skips blocks of other types (keys, CRLs). */
	while (rc == 0 && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		rc = uct_ossl_push_x509(x, chain, NULL, err);
		X509_free(x);
	}
	e = ERR_peek_last_error();
	/* "no start line" is how the loop ends when no block is left. */
	if (rc == 0 && e != 0 &&
	    !(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE))
		rc = uct_err_set(err, UCT_E_PARSE, (long)e, "%s: bad PEM certificate: %s", what,
				 ossl_reason(reason, sizeof(reason)));
	ERR_clear_error();
	BIO_free(bio);
	return rc;
}

int uct_ossl_parse_any(const unsigned char *buf, size_t len, const char *what,
		       struct uct_chain *chain, struct uct_err *err)
{
	struct uct_chain found = {0};
	struct uct_cert *cert;

	if (len > OSSL_FILE_MAX)
		return uct_err_set(err, UCT_E_PARSE, 0, "%s: too large for a certificate", what);
	if (memmem(buf, len, "-----BEGIN", 10) != NULL) {
		if (ossl_parse_pem(buf, len, what, &found, err) < 0) {
			uct_chain_clear(&found);
			return -1;
		}
	} else if (len > 0 && buf[0] == 0x30 && uct_cert_parse(buf, len, &cert, NULL) == 0) {
		/* found was empty: nothing to free when this fails. */
		if (uct_chain_push(&found, cert) < 0)
			return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	}
	return uct_chain_append_found(chain, &found, what, err);
}

int uct_cert_read_mem(const void *buf, size_t len, const char *what, struct uct_chain *chain,
		      struct uct_err *err)
{
	return uct_ossl_parse_any(buf, len, what, chain, err);
}

int uct_cert_read_file(const char *path, struct uct_chain *chain, struct uct_err *err)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	FILE *fp;
	int rc = -1;
	long size;

	fp = fopen(path, "rb");
	if (fp == NULL)
		return uct_err_set(err, UCT_E_IO, errno, "%s: cannot open: %s", path,
				   strerror(errno));
	if (fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0) {
		uct_err_set(err, UCT_E_IO, errno, "%s: cannot read: %s", path, strerror(errno));
		goto out;
	}
	if (size > OSSL_FILE_MAX) {
		uct_err_set(err, UCT_E_PARSE, 0,
			    "%s: %ld bytes is too large for a certificate file", path, size);
		goto out;
	}
	buf = malloc((size_t)size + 1);
	if (buf == NULL) {
		uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
		goto out;
	}
	len = fread(buf, 1, (size_t)size, fp);
	if (ferror(fp)) {
		uct_err_set(err, UCT_E_IO, errno, "%s: cannot read: %s", path, strerror(errno));
		goto out;
	}
	rc = uct_ossl_parse_any(buf, len, path, chain, err);
	if (rc == 0)
		uct_log(UCT_LOG_DEBUG, "%s: %zu certificate(s)", path, chain->n);
out:
	free(buf);
	fclose(fp);
	return rc;
}

/*
 * The analysis asks the same question several times per endpoint (walking
 * to the root, then along the approved path) and again for every endpoint
 * that shares a chain; each answer costs a signature check (20-30 us with
 * RSA), plus two certificate decodes for a cert without its X509. Answers
 * depend only on the two encodings, so a few are remembered, by fingerprint.
 */
#define OSSL_SIGNED_MEMO 32

struct ossl_signed_memo {
	unsigned char child[UCT_SHA256_LEN];
	unsigned char issuer[UCT_SHA256_LEN];
	int ok;
};

static struct ossl_signed_memo ossl_signed_memo[OSSL_SIGNED_MEMO];
static size_t ossl_signed_memo_n, ossl_signed_memo_next;
static pthread_mutex_t ossl_signed_lock = PTHREAD_MUTEX_INITIALIZER;

static int ossl_signed_recall(const struct uct_cert *child, const struct uct_cert *issuer, int *ok)
{
	size_t k;
	int found = 0;

	pthread_mutex_lock(&ossl_signed_lock);
	for (k = 0; k < ossl_signed_memo_n && !found; k++) {
		if (memcmp(ossl_signed_memo[k].child, child->sha256, UCT_SHA256_LEN) == 0 &&
		    memcmp(ossl_signed_memo[k].issuer, issuer->sha256, UCT_SHA256_LEN) == 0) {
			*ok = ossl_signed_memo[k].ok;
			found = 1;
		}
	}
	pthread_mutex_unlock(&ossl_signed_lock);
	return found;
}

static void ossl_signed_remember(const struct uct_cert *child, const struct uct_cert *issuer,
				 int ok)
{
	struct ossl_signed_memo *m;

	pthread_mutex_lock(&ossl_signed_lock);
	m = &ossl_signed_memo[ossl_signed_memo_next];
	memcpy(m->child, child->sha256, UCT_SHA256_LEN);
	memcpy(m->issuer, issuer->sha256, UCT_SHA256_LEN);
	m->ok = ok;
	ossl_signed_memo_next = (ossl_signed_memo_next + 1) % OSSL_SIGNED_MEMO;
	if (ossl_signed_memo_n < OSSL_SIGNED_MEMO)
		ossl_signed_memo_n++;
	pthread_mutex_unlock(&ossl_signed_lock);
}

void *uct_cert_native_ref(void *native)
{
	/* A failed up-ref leaves the copy without a handle, which is valid:
	 * uct_cert_signed_by then decodes the DER. */
	if (native == NULL || X509_up_ref(native) != 1)
		return NULL;
	return native;
}

void uct_cert_native_free(void *native)
{
	X509_free(native);
}

void uct_ossl_signed_forget(void)
{
	pthread_mutex_lock(&ossl_signed_lock);
	ossl_signed_memo_n = 0;
	ossl_signed_memo_next = 0;
	pthread_mutex_unlock(&ossl_signed_lock);
}

/* The parser's X509 for cert (borrowed, *owned NULL), or one decoded from
 * its DER now (*owned set: the caller frees it). NULL when it does not decode. */
static X509 *ossl_x509_of(const struct uct_cert *cert, X509 **owned)
{
	const unsigned char *p = cert->der;

	*owned = NULL;
	if (cert->native != NULL)
		return cert->native;
	*owned = d2i_X509(NULL, &p, (long)cert->der_len);
	return *owned;
}

int uct_cert_signed_by(const struct uct_cert *child, const struct uct_cert *issuer)
{
	X509 *c, *i, *c_owned = NULL, *i_owned = NULL;
	EVP_PKEY *key;
	int ok = 0;

	if (child == NULL || issuer == NULL || child->der == NULL || issuer->der == NULL)
		return 0;
	if (ossl_signed_recall(child, issuer, &ok))
		return ok;
	c = ossl_x509_of(child, &c_owned);
	i = ossl_x509_of(issuer, &i_owned);
	if (c == NULL || i == NULL)
		goto out;
	if (X509_NAME_cmp(X509_get_issuer_name(c), X509_get_subject_name(i)) != 0)
		goto out;
	key = X509_get0_pubkey(i);
	ok = key != NULL && X509_verify(c, key) == 1;
out:
	ERR_clear_error();
	X509_free(c_owned);
	X509_free(i_owned);
	if (c != NULL && i != NULL)
		ossl_signed_remember(child, issuer, ok);
	return ok;
}
