/*
 * cert_capi.c: the Windows certificate parser. crypt32 decodes X.509 and
 * this file fills the portable struct uct_cert exactly as the Linux parser
 * (cert_ossl.c) does, so that agent/ draws the same conclusions on both;
 * tests/integration/test_wine.sh compares the two on the same files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <winsock2.h>
#include <ws2tcpip.h>
#include <wincrypt.h>
#include <bcrypt.h>

#include "../common/chain_found.h"
#include "log.h"
#include "win.h"

#define CAPI_ENC (X509_ASN_ENCODING | PKCS_7_ASN_ENCODING)
/* A certificate file larger than this is not a certificate file. */
#define CAPI_FILE_MAX (4u * 1024 * 1024)

/* ---- names ------------------------------------------------------------- */

/* The attribute names OpenSSL prints in RFC 2253 mode; others as the OID. */
static const char *capi_attr_name(const char *oid)
{
	static const struct {
		const char *oid, *name;
	} names[] = {
		{"2.5.4.3", "CN"},
		{"2.5.4.6", "C"},
		{"2.5.4.7", "L"},
		{"2.5.4.8", "ST"},
		{"2.5.4.10", "O"},
		{"2.5.4.11", "OU"},
		{"2.5.4.9", "STREET"},
		{"0.9.2342.19200300.100.1.25", "DC"},
		{"0.9.2342.19200300.100.1.1", "UID"},
		{"1.2.840.113549.1.9.1", "emailAddress"},
		{"2.5.4.5", "serialNumber"},
		{"2.5.4.4", "SN"},
		{"2.5.4.42", "GN"},
		{"2.5.4.12", "title"},
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(oid, names[i].oid) == 0)
			return names[i].name;
	return oid;
}

/* Append s to the growing buffer *buf (length *len), escaped per RFC 2253
 * when escape is set. -1 on allocation failure. */
static int capi_append(char **buf, size_t *len, const char *s, int escape)
{
	size_t n = strlen(s), i, j = 0;
	char *grown = realloc(*buf, *len + 2 * n + 1);

	if (grown == NULL)
		return -1;
	*buf = grown;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (escape && (strchr(",+\"\\<>;", c) != NULL ||
			       (i == 0 && (c == '#' || c == ' ')) || (i == n - 1 && c == ' ')))
			grown[*len + j++] = '\\';
		grown[*len + j++] = c;
	}
	*len += j;
	grown[*len] = '\0';
	return 0;
}

/* One line, most specific RDN first ("CN=x,O=y"), UTF-8: what OpenSSL's
 * RFC 2253 printing gives for ordinary names. */
static char *capi_name_line(const CERT_NAME_BLOB *blob)
{
	CERT_NAME_INFO *info = NULL;
	DWORD size = 0, i, j, n;
	wchar_t *wvalue;
	char *line = NULL, *value;
	size_t len = 0;
	int ok = 1;

	if (!CryptDecodeObjectEx(CAPI_ENC, X509_NAME, blob->pbData, blob->cbData,
				 CRYPT_DECODE_ALLOC_FLAG, NULL, &info, &size))
		return NULL;
	line = calloc(1, 1);
	for (i = info->cRDN; ok && line != NULL && i-- > 0;) {
		const CERT_RDN *rdn = &info->rgRDN[i];

		for (j = 0; ok && j < rdn->cRDNAttr; j++) {
			const CERT_RDN_ATTR *attr = &rdn->rgRDNAttr[j];

			if (len > 0 && capi_append(&line, &len, j > 0 ? "+" : ",", 0) < 0)
				ok = 0;
			if (ok &&
			    (capi_append(&line, &len, capi_attr_name(attr->pszObjId), 0) < 0 ||
			     capi_append(&line, &len, "=", 0) < 0))
				ok = 0;
			n = CertRDNValueToStrW(attr->dwValueType,
					       (CERT_RDN_VALUE_BLOB *)&attr->Value, NULL, 0);
			wvalue = ok ? malloc(n * sizeof(*wvalue)) : NULL;
			if (wvalue == NULL) {
				ok = 0;
				break;
			}
			CertRDNValueToStrW(attr->dwValueType, (CERT_RDN_VALUE_BLOB *)&attr->Value,
					   wvalue, n);
			value = uct_win_utf8(wvalue);
			free(wvalue);
			if (value == NULL || capi_append(&line, &len, value, 1) < 0)
				ok = 0;
			free(value);
		}
	}
	LocalFree(info);
	if (!ok) {
		free(line);
		return NULL;
	}
	/* Data from the server: escaped as on Linux (uct.h). */
	value = uct_text_escape(line);
	free(line);
	return value;
}

/*
 * The n UTF-16 units at w (embedded NULs included) as escaped UTF-8, the
 * form cert_ossl.c gives: a NUL shows as "\x00" and the name, marked,
 * never reads as a shorter one.
 */
static char *capi_wide_escaped(const wchar_t *w, size_t n)
{
	char *out = calloc(1, 1), *part, *esc, *grown;
	size_t len = 0, pos = 0, add;

	/* w[n] is the terminating NUL: each segment ends at a NUL. */
	while (out != NULL) {
		part = uct_win_utf8(w + pos);
		esc = uct_text_escape(part);
		free(part);
		pos += wcslen(w + pos);
		add = esc != NULL ? strlen(esc) : 0;
		grown = esc != NULL ? realloc(out, len + add + 5) : NULL;
		if (grown == NULL) {
			free(esc);
			free(out);
			return NULL;
		}
		out = grown;
		memcpy(out + len, esc, add);
		len += add;
		out[len] = '\0';
		free(esc);
		if (pos >= n)
			break;
		memcpy(out + len, "\\x00", 5);
		len += 4;
		pos++;
	}
	return out;
}

/* The last CN of the subject (the most specific one), in UTF-8. */
static int capi_subject_cn(const CERT_INFO *ci, struct uct_cert *cert)
{
	CERT_NAME_INFO *info = NULL;
	const CERT_RDN_ATTR *cn = NULL;
	DWORD size = 0, i, j, n;
	wchar_t *w;
	int rc = 0;

	if (!CryptDecodeObjectEx(CAPI_ENC, X509_NAME, ci->Subject.pbData, ci->Subject.cbData,
				 CRYPT_DECODE_ALLOC_FLAG, NULL, &info, &size))
		return -1;
	for (i = 0; i < info->cRDN; i++)
		for (j = 0; j < info->rgRDN[i].cRDNAttr; j++)
			if (strcmp(info->rgRDN[i].rgRDNAttr[j].pszObjId, szOID_COMMON_NAME) == 0)
				cn = &info->rgRDN[i].rgRDNAttr[j];
	if (cn != NULL) {
		n = CertRDNValueToStrW(cn->dwValueType, (CERT_RDN_VALUE_BLOB *)&cn->Value, NULL, 0);
		w = malloc(n * sizeof(*w));
		if (w == NULL) {
			rc = -1;
		} else {
			CertRDNValueToStrW(cn->dwValueType, (CERT_RDN_VALUE_BLOB *)&cn->Value, w,
					   n);
			/* n counts the terminating NUL. */
			cert->subject_cn = capi_wide_escaped(w, n > 0 ? n - 1 : 0);
			if (cert->subject_cn == NULL)
				rc = -1;
			free(w);
		}
	}
	LocalFree(info);
	return rc;
}

/* ---- fields ------------------------------------------------------------ */

/* crypt32 keeps the serial little-endian; OpenSSL prints it big-endian,
 * uppercase, no leading zero bytes, "0" for zero. */
static int capi_serial(const CERT_INFO *ci, struct uct_cert *cert)
{
	const CRYPT_INTEGER_BLOB *s = &ci->SerialNumber;
	char *hex = malloc(s->cbData * 2 + 2), *p;
	DWORD i = s->cbData;

	if (hex == NULL)
		return -1;
	while (i > 0 && s->pbData[i - 1] == 0)
		i--;
	p = hex;
	if (i == 0)
		*p++ = '0';
	while (i-- > 0)
		p += sprintf(p, "%02X", s->pbData[i]);
	*p = '\0';
	cert->serial_hex = hex;
	return 0;
}

/* DER length at *p (within end); -1 when malformed. */
static long capi_der_len(const BYTE **p, const BYTE *end)
{
	long len = 0;
	int n;

	if (*p >= end)
		return -1;
	if (**p < 0x80)
		return *(*p)++;
	n = *(*p)++ & 0x7f;
	if (n == 0 || n > 3)
		return -1;
	while (n-- > 0) {
		if (*p >= end)
			return -1;
		len = (len << 8) | *(*p)++;
	}
	return len;
}

/*
 * subjectAltName read from the DER directly rather than through
 * CryptDecodeObjectEx: its UTF-16 dNSName would hide an embedded NUL
 * ("a.example\0.evil"), which must show, escaped, as on Linux.
 */
static int capi_sans(const CERT_EXTENSION *ext, struct uct_cert *cert)
{
	const BYTE *p = ext->Value.pbData, *end = p + ext->Value.cbData;
	char text[64], *name;
	long len;
	int rc = 0;

	if (p >= end || *p++ != 0x30 || (len = capi_der_len(&p, end)) < 0 || p + len > end)
		return 0;
	end = p + len;
	while (p < end && rc == 0) {
		BYTE tag = *p++;

		if ((len = capi_der_len(&p, end)) < 0 || p + len > end)
			break;
		if (tag == 0x82) { /* [2] dNSName, escaped as cert_ossl.c does */
			name = uct_text_escape_n((const char *)p, (size_t)len);
			if (name == NULL)
				return -1;
			rc = uct_strv_push(&cert->san_dns, name);
			free(name);
		} else if (tag == 0x87 && (len == 4 || len == 16)) { /* [7] iPAddress */
			if (inet_ntop(len == 4 ? AF_INET : AF_INET6, (void *)p, text,
				      sizeof(text)) != NULL)
				rc = uct_strv_push(&cert->san_ip, text);
		}
		p += len;
	}
	return rc;
}

static void capi_key(const CERT_INFO *ci, struct uct_cert *cert)
{
	const char *oid = ci->SubjectPublicKeyInfo.Algorithm.pszObjId;

	if (strcmp(oid, szOID_RSA_RSA) == 0 || strcmp(oid, "1.2.840.113549.1.1.10") == 0)
		cert->key_type = UCT_KEY_RSA;
	else if (strcmp(oid, szOID_ECC_PUBLIC_KEY) == 0)
		cert->key_type = UCT_KEY_EC;
	else if (strcmp(oid, "1.3.101.112") == 0 || strcmp(oid, "1.3.101.113") == 0)
		cert->key_type = UCT_KEY_ED;
	else
		cert->key_type = UCT_KEY_OTHER;
	/* RSA: modulus bits; EC: 256 for P-256, as OpenSSL's EVP_PKEY_get_bits. */
	cert->key_bits =
		(int)CertGetPublicKeyLength(X509_ASN_ENCODING,
					    (CERT_PUBLIC_KEY_INFO *)&ci->SubjectPublicKeyInfo);
	/* Wine answers 0 for EC keys: the field size follows from the
	 * uncompressed point (04 || X || Y); P-521's 66-byte coordinates hold
	 * 521 bits. */
	if (cert->key_type == UCT_KEY_EC && cert->key_bits == 0) {
		DWORD pt = ci->SubjectPublicKeyInfo.PublicKey.cbData;

		if (pt > 1 && ci->SubjectPublicKeyInfo.PublicKey.pbData[0] == 0x04)
			cert->key_bits = (pt - 1) / 2 == 66 ? 521 : (int)((pt - 1) / 2 * 8);
	}
	if (cert->key_type == UCT_KEY_ED && cert->key_bits == 0)
		cert->key_bits = strcmp(oid, "1.3.101.112") == 0 ? 256 : 456;
}

/* OpenSSL's long names, so reports read the same on both platforms. */
static void capi_sig_alg(const CERT_CONTEXT *ctx, struct uct_cert *cert)
{
	static const struct {
		const char *oid, *name;
	} algs[] = {
		{"1.2.840.113549.1.1.4", "md5WithRSAEncryption"},
		{"1.2.840.113549.1.1.5", "sha1WithRSAEncryption"},
		{"1.2.840.113549.1.1.11", "sha256WithRSAEncryption"},
		{"1.2.840.113549.1.1.12", "sha384WithRSAEncryption"},
		{"1.2.840.113549.1.1.13", "sha512WithRSAEncryption"},
		{"1.2.840.113549.1.1.14", "sha224WithRSAEncryption"},
		{"1.2.840.113549.1.1.10", "rsassaPss"},
		{"1.2.840.10045.4.1", "ecdsa-with-SHA1"},
		{"1.2.840.10045.4.3.2", "ecdsa-with-SHA256"},
		{"1.2.840.10045.4.3.3", "ecdsa-with-SHA384"},
		{"1.2.840.10045.4.3.4", "ecdsa-with-SHA512"},
		{"1.3.101.112", "ED25519"},
		{"1.3.101.113", "ED448"},
	};
	const char *oid = ctx->pCertInfo->SignatureAlgorithm.pszObjId;
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcmp(oid, algs[i].oid) == 0) {
			snprintf(cert->sig_alg, sizeof(cert->sig_alg), "%s", algs[i].name);
			return;
		}
	snprintf(cert->sig_alg, sizeof(cert->sig_alg), "%s", oid);
}

static DWORD capi_ext_count(const CERT_INFO *ci, const char *oid)
{
	DWORD i, n = 0;

	for (i = 0; i < ci->cExtension; i++)
		if (strcmp(ci->rgExtension[i].pszObjId, oid) == 0)
			n++;
	return n;
}

static void capi_constraints(const CERT_INFO *ci, struct uct_cert *cert)
{
	CERT_BASIC_CONSTRAINTS2_INFO *bc = NULL;
	CERT_ENHKEY_USAGE *eku = NULL;
	CERT_EXTENSION *ext;
	BYTE ku[2] = {0, 0};
	DWORD size = 0, i;

	/* CertFindExtension returns the first of several: a certificate that
	 * carries basicConstraints twice says nothing reliable (browsers
	 * reject it), so it is read as saying nothing, as OpenSSL does. */
	ext = CertFindExtension(szOID_BASIC_CONSTRAINTS2, ci->cExtension, ci->rgExtension);
	if (capi_ext_count(ci, szOID_BASIC_CONSTRAINTS2) > 1)
		ext = NULL;
	if (ext != NULL &&
	    CryptDecodeObjectEx(CAPI_ENC, X509_BASIC_CONSTRAINTS2, ext->Value.pbData,
				ext->Value.cbData, CRYPT_DECODE_ALLOC_FLAG, NULL, &bc, &size)) {
		cert->has_basic_constraints = 1;
		cert->is_ca = bc->fCA ? 1 : 0;
		LocalFree(bc);
	}
	/* Bit n of the BIT STRING (RFC 5280 order) is bit 7 - n%8 of byte n/8. */
	if (CertGetIntendedKeyUsage(X509_ASN_ENCODING, (CERT_INFO *)ci, ku, sizeof(ku))) {
		cert->has_key_usage = 1;
		for (i = 0; i < 9; i++)
			if (ku[i / 8] & (0x80u >> (i % 8)))
				cert->key_usage |= 1u << i;
	}
	/* Only an explicit serverAuth counts, as on Linux. */
	ext = CertFindExtension(szOID_ENHANCED_KEY_USAGE, ci->cExtension, ci->rgExtension);
	if (ext != NULL &&
	    CryptDecodeObjectEx(CAPI_ENC, X509_ENHANCED_KEY_USAGE, ext->Value.pbData,
				ext->Value.cbData, CRYPT_DECODE_ALLOC_FLAG, NULL, &eku, &size)) {
		cert->has_eku = 1;
		for (i = 0; i < eku->cUsageIdentifier; i++)
			if (strcmp(eku->rgpszUsageIdentifier[i], szOID_PKIX_KP_SERVER_AUTH) == 0)
				cert->eku_server_auth = 1;
		LocalFree(eku);
	}
}

/* RFC 5280 4.2: the critical extensions both browsers process (the same
 * list as cert_ossl.c). */
static int capi_unknown_critical(const CERT_INFO *ci)
{
	static const char *const known[] = {
		"2.5.29.19", "2.5.29.15", "2.5.29.37", "2.5.29.17",
		"2.5.29.30", "2.5.29.36", "2.5.29.54", "2.5.29.32",
	};
	DWORD i;
	size_t k;

	for (i = 0; i < ci->cExtension; i++) {
		if (!ci->rgExtension[i].fCritical)
			continue;
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (strcmp(ci->rgExtension[i].pszObjId, known[k]) == 0)
				break;
		if (k == sizeof(known) / sizeof(known[0]))
			return 1;
	}
	return 0;
}

static void capi_aia(const CERT_INFO *ci, struct uct_cert *cert)
{
	CERT_AUTHORITY_INFO_ACCESS *aia = NULL;
	CERT_EXTENSION *ext;
	DWORD size = 0, i;
	const char *p;

	ext = CertFindExtension(szOID_AUTHORITY_INFO_ACCESS, ci->cExtension, ci->rgExtension);
	if (ext == NULL ||
	    !CryptDecodeObjectEx(CAPI_ENC, X509_AUTHORITY_INFO_ACCESS, ext->Value.pbData,
				 ext->Value.cbData, CRYPT_DECODE_ALLOC_FLAG, NULL, &aia, &size))
		return;
	for (i = 0; i < aia->cAccDescr; i++) {
		const CERT_ACCESS_DESCRIPTION *ad = &aia->rgAccDescr[i];

		if (strcmp(ad->pszAccessMethod, szOID_PKIX_CA_ISSUERS) != 0 ||
		    ad->AccessLocation.dwAltNameChoice != CERT_ALT_NAME_URL)
			continue;
		cert->aia_ca_issuers = uct_win_utf8(ad->AccessLocation.pwszURL);
		/* A URL the agent may fetch: printable ASCII only, as on Linux. */
		for (p = cert->aia_ca_issuers; p != NULL && *p != '\0'; p++)
			if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
				break;
		if (p != NULL && (*p != '\0' || p == cert->aia_ca_issuers)) {
			free(cert->aia_ca_issuers);
			cert->aia_ca_issuers = NULL;
			continue;
		}
		break;
	}
	LocalFree(aia);
}

static int64_t capi_time(const FILETIME *ft)
{
	ULARGE_INTEGER t;

	t.LowPart = ft->dwLowDateTime;
	t.HighPart = ft->dwHighDateTime;
	/* Floor division: times before 1970 stay exact to the second. */
	return (int64_t)(t.QuadPart / 10000000ULL) - 11644473600LL;
}

int uct_capi_sha256(const unsigned char *data, size_t len, unsigned char out[UCT_SHA256_LEN])
{
	BCRYPT_ALG_HANDLE alg = NULL;
	BCRYPT_HASH_HANDLE hash = NULL;
	int rc = -1;

	if (BCryptOpenAlgorithmProvider(&alg, BCRYPT_SHA256_ALGORITHM, NULL, 0) != 0)
		return -1;
	if (BCryptCreateHash(alg, &hash, NULL, 0, NULL, 0, 0) == 0 &&
	    BCryptHashData(hash, (PUCHAR)data, (ULONG)len, 0) == 0 &&
	    BCryptFinishHash(hash, out, UCT_SHA256_LEN, 0) == 0)
		rc = 0;
	if (hash != NULL)
		BCryptDestroyHash(hash);
	BCryptCloseAlgorithmProvider(alg, 0);
	return rc;
}

static int capi_verify_sig(const CERT_CONTEXT *child, const CERT_CONTEXT *issuer)
{
	return CryptVerifyCertificateSignatureEx(0, X509_ASN_ENCODING,
						 CRYPT_VERIFY_CERT_SIGN_SUBJECT_CERT, (void *)child,
						 CRYPT_VERIFY_CERT_SIGN_ISSUER_CERT, (void *)issuer,
						 0, NULL)
		       ? 1
		       : 0;
}

static int capi_fill(const CERT_CONTEXT *ctx, struct uct_cert *cert)
{
	const CERT_INFO *ci = ctx->pCertInfo;
	CERT_EXTENSION *ext;

	cert->subject = capi_name_line(&ci->Subject);
	cert->issuer = capi_name_line(&ci->Issuer);
	if (cert->subject == NULL || cert->issuer == NULL)
		return -1;
	if (capi_subject_cn(ci, cert) < 0 || capi_serial(ci, cert) < 0)
		return -1;
	ext = CertFindExtension(szOID_SUBJECT_ALT_NAME2, ci->cExtension, ci->rgExtension);
	if (ext != NULL && capi_sans(ext, cert) < 0)
		return -1;
	cert->not_before = capi_time(&ci->NotBefore);
	cert->not_after = capi_time(&ci->NotAfter);
	capi_key(ci, cert);
	capi_sig_alg(ctx, cert);
	/* CERT_V1 is 0: people count from 1. */
	if (ci->dwVersion <= CERT_V3)
		cert->version = (int)ci->dwVersion + 1;
	capi_constraints(ci, cert);
	cert->unknown_critical = capi_unknown_critical(ci);
	capi_aia(ci, cert);
	cert->self_issued =
		CertCompareCertificateName(X509_ASN_ENCODING, (CERT_NAME_BLOB *)&ci->Subject,
					   (CERT_NAME_BLOB *)&ci->Issuer)
			? 1
			: 0;
	cert->self_signed = cert->self_issued && capi_verify_sig(ctx, ctx);
	return uct_capi_sha256(cert->der, cert->der_len, cert->sha256);
}

int uct_cert_parse(const unsigned char *der, size_t len, struct uct_cert **out, struct uct_err *err)
{
	const CERT_CONTEXT *ctx;
	struct uct_cert *cert;

	*out = NULL;
	if (len == 0 || len > CAPI_FILE_MAX)
		return uct_err_set(err, UCT_E_PARSE, 0, "not a certificate (%zu bytes)", len);
	ctx = CertCreateCertificateContext(X509_ASN_ENCODING, der, (DWORD)len);
	if (ctx == NULL)
		return uct_win_err(err, UCT_E_PARSE, GetLastError(),
				   "cannot parse the certificate");
	cert = calloc(1, sizeof(*cert));
	if (cert == NULL)
		goto nomem;
	/* The context may accept trailing bytes; keep exactly what it parsed. */
	cert->der_len = ctx->cbCertEncoded;
	cert->der = malloc(cert->der_len);
	if (cert->der == NULL)
		goto nomem;
	memcpy(cert->der, ctx->pbCertEncoded, cert->der_len);
	if (capi_fill(ctx, cert) < 0)
		goto nomem;
	/* The context is kept (the cert owns its reference now) so that
	 * uct_cert_signed_by need not decode the certificate again. */
	cert->native = (void *)ctx;
	*out = cert;
	return 0;
nomem:
	CertFreeCertificateContext(ctx);
	uct_cert_free(cert);
	return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory parsing a certificate");
}

/* ---- files ------------------------------------------------------------- */

static const char *capi_find(const char *hay, const char *end, const char *needle)
{
	size_t n = strlen(needle);

	for (; hay + n <= end; hay++)
		if (memcmp(hay, needle, n) == 0)
			return hay;
	return NULL;
}

/* Every "BEGIN CERTIFICATE" block of a PEM text, in order. */
static int capi_parse_pem(const char *text, size_t len, const char *what, struct uct_chain *chain,
			  struct uct_err *err)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	static const char endm[] = "-----END CERTIFICATE-----";
	const char *p = text, *end = text + len, *b, *e;
	struct uct_cert *cert;
	BYTE *der = NULL;
	DWORD n;

	while ((b = capi_find(p, end, begin)) != NULL) {
		e = capi_find(b, end, endm);
		if (e == NULL)
			return uct_err_set(err, UCT_E_PARSE, 0,
					   "%s: bad PEM certificate: no END line", what);
		e += sizeof(endm) - 1;
		n = 0;
		if (!CryptStringToBinaryA(b, (DWORD)(e - b), CRYPT_STRING_BASE64HEADER, NULL, &n,
					  NULL, NULL) ||
		    (der = malloc(n)) == NULL ||
		    !CryptStringToBinaryA(b, (DWORD)(e - b), CRYPT_STRING_BASE64HEADER, der, &n,
					  NULL, NULL)) {
			free(der);
			return uct_err_set(err, UCT_E_PARSE, 0,
					   "%s: bad PEM certificate: bad base64", what);
		}
		if (uct_cert_parse(der, n, &cert, err) < 0) {
			free(der);
			return -1;
		}
		free(der);
		der = NULL;
		if (uct_chain_push(chain, cert) < 0)
			return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
		p = e;
	}
	return 0;
}

int uct_capi_parse_any(const char *buf, size_t len, const char *what, struct uct_chain *chain,
		       struct uct_err *err)
{
	struct uct_chain found = {0};
	struct uct_cert *cert;

	if (capi_find(buf, buf + len, "-----BEGIN") != NULL) {
		if (capi_parse_pem(buf, len, what, &found, err) < 0) {
			uct_chain_clear(&found);
			return -1;
		}
	} else if (len > 0 && (unsigned char)buf[0] == 0x30 &&
		   uct_cert_parse((const unsigned char *)buf, len, &cert, NULL) == 0) {
		/* found was empty: nothing to free when this fails. */
		if (uct_chain_push(&found, cert) < 0)
			return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	}
	return uct_chain_append_found(chain, &found, what, err);
}

int uct_cert_read_mem(const void *buf, size_t len, const char *what, struct uct_chain *chain,
		      struct uct_err *err)
{
	return uct_capi_parse_any(buf, len, what, chain, err);
}

int uct_cert_read_file(const char *path, struct uct_chain *chain, struct uct_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if (uct_file_read(path, CAPI_FILE_MAX, &buf, &len, err) < 0)
		return -1;
	rc = uct_capi_parse_any(buf, len, path, chain, err);
	if (rc == 0)
		uct_log(UCT_LOG_DEBUG, "%s: %zu certificate(s)", path, chain->n);
	free(buf);
	return rc;
}

void *uct_cert_native_ref(void *native)
{
	return native == NULL ? NULL : (void *)CertDuplicateCertificateContext(native);
}

void uct_cert_native_free(void *native)
{
	if (native != NULL)
		CertFreeCertificateContext(native);
}

/* The parser's context for cert (borrowed, *owned NULL), or one made from
 * its DER now (*owned set: the caller frees it). NULL when it does not decode. */
static const CERT_CONTEXT *capi_context_of(const struct uct_cert *cert, const CERT_CONTEXT **owned)
{
	*owned = NULL;
	if (cert->native != NULL)
		return cert->native;
	if (cert->der == NULL)
		return NULL;
	*owned = CertCreateCertificateContext(X509_ASN_ENCODING, cert->der, (DWORD)cert->der_len);
	return *owned;
}

int uct_cert_signed_by(const struct uct_cert *child, const struct uct_cert *issuer)
{
	const CERT_CONTEXT *c, *i, *c_owned = NULL, *i_owned = NULL;
	int ok = 0;

	if (child == NULL || issuer == NULL)
		return 0;
	c = capi_context_of(child, &c_owned);
	i = capi_context_of(issuer, &i_owned);
	if (c != NULL && i != NULL &&
	    CertCompareCertificateName(X509_ASN_ENCODING, &c->pCertInfo->Issuer,
				       &i->pCertInfo->Subject))
		ok = capi_verify_sig(c, i);
	if (c_owned != NULL)
		CertFreeCertificateContext(c_owned);
	if (i_owned != NULL)
		CertFreeCertificateContext(i_owned);
	return ok;
}
