/*
 * shapecert.c: makes one certificate of an exact shape for the trust-safety
 * property test (tests/property/). Unlike tests/support/testcert.c it can
 * write every shape a server may present: X.509 v1, basicConstraints absent,
 * CA:FALSE or CA:TRUE, critical or not, pathlen 0, keyCertSign without CA,
 * any EKU, name constraints.
 *
 *   uct-shapecert OUT key=value...
 *
 * writes OUT.pem (the certificate) and OUT.key (its private key, 0600).
 *
 *   cn=NAME          subject CN (required); ou=TEXT adds an OU
 *   v=1|3            X.509 version; a v1 certificate has no extension at all
 *   bc=none|false|false-crit|true|true-crit   basicConstraints
 *   pathlen=N        with bc=true*: pathLenConstraint
 *   ku=none|leaf|sign                          keyUsage (critical):
 *                    leaf digitalSignature+keyEncipherment (EC: digitalSignature),
 *                    sign keyCertSign+cRLSign+digitalSignature
 *   eku=none|server|client|any                 extendedKeyUsage
 *   san=none|LIST    subjectAltName in openssl.cnf syntax (DNS:a,IP:127.0.0.1)
 *   nc=DOMAIN        critical nameConstraints permitting DNS:DOMAIN only
 *   key=ec|rsa       P-256 or RSA-2048
 *   issuer=PREFIX    signed by PREFIX.pem / PREFIX.key; default self-signed
 *
 * Validity is now - 1 day .. now + 365 days; the serial is 127 random bits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

struct shape {
	const char *cn, *ou, *bc, *ku, *eku, *san, *nc, *key, *issuer;
	int version, pathlen;
};

static int sc_usage(const char *why)
{
	fprintf(stderr,
		"uct-shapecert: %s\nusage: uct-shapecert OUT cn=NAME [v=1|3] [bc=...] "
		"[pathlen=N] [ku=...] [eku=...] [san=...] [nc=DOMAIN] [key=ec|rsa] "
		"[issuer=PREFIX]\n",
		why);
	return 2;
}

static int sc_parse(int argc, char **argv, struct shape *s)
{
	int i;

	*s = (struct shape){.bc = "false-crit",
			    .ku = "leaf",
			    .eku = "server",
			    .san = "none",
			    .key = "ec",
			    .version = 3,
			    .pathlen = -1};
	for (i = 2; i < argc; i++) {
		char *v = strchr(argv[i], '=');
		const char **slot = NULL;

		if (v == NULL)
			return -1;
		*v++ = '\0';
		if (strcmp(argv[i], "v") == 0)
			s->version = atoi(v);
		else if (strcmp(argv[i], "pathlen") == 0)
			s->pathlen = atoi(v);
		else if (strcmp(argv[i], "cn") == 0)
			slot = &s->cn;
		else if (strcmp(argv[i], "ou") == 0)
			slot = &s->ou;
		else if (strcmp(argv[i], "bc") == 0)
			slot = &s->bc;
		else if (strcmp(argv[i], "ku") == 0)
			slot = &s->ku;
		else if (strcmp(argv[i], "eku") == 0)
			slot = &s->eku;
		else if (strcmp(argv[i], "san") == 0)
			slot = &s->san;
		else if (strcmp(argv[i], "nc") == 0)
			slot = &s->nc;
		else if (strcmp(argv[i], "key") == 0)
			slot = &s->key;
		else if (strcmp(argv[i], "issuer") == 0)
			slot = &s->issuer;
		else
			return -1;
		if (slot != NULL)
			*slot = v;
	}
	return s->cn != NULL && (s->version == 1 || s->version == 3) ? 0 : -1;
}

/* Add one extension given in openssl.cnf syntax; "" adds nothing. */
static int sc_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext;
	int ok;

	if (value == NULL || value[0] == '\0')
		return 0;
	ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	if (ext == NULL)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

/* One keyword of the command line as the value openssl.cnf would hold. */
static const char *sc_word(const char *word, const char *const table[][2], size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(word, table[i][0]) == 0)
			return table[i][1];
	return NULL;
}

#define SC_WORD(w, t) sc_word((w), (t), sizeof(t) / sizeof((t)[0]))

static int sc_extensions(X509 *x, X509 *issuer, const struct shape *s, int ec)
{
	static const char *const bcs[][2] = {{"none", ""},
					     {"false", "CA:FALSE"},
					     {"false-crit", "critical,CA:FALSE"},
					     {"true", "CA:TRUE"},
					     {"true-crit", "critical,CA:TRUE"}};
	static const char *const kus[][2] = {
		{"none", ""},
		{"leaf", "critical,digitalSignature,keyEncipherment"},
		{"sign", "critical,digitalSignature,keyCertSign,cRLSign"}};
	static const char *const ekus[][2] = {{"none", ""},
					      {"server", "serverAuth"},
					      {"client", "clientAuth"},
					      {"any", "anyExtendedKeyUsage"}};
	const char *bc = SC_WORD(s->bc, bcs), *ku = SC_WORD(s->ku, kus),
		   *eku = SC_WORD(s->eku, ekus);
	char bcbuf[64], ncbuf[512];
	X509V3_CTX ctx;

	if (bc == NULL || ku == NULL || eku == NULL)
		return -1;
	if (s->pathlen >= 0 && strstr(bc, "CA:TRUE") != NULL) {
		snprintf(bcbuf, sizeof(bcbuf), "%s,pathlen:%d", bc, s->pathlen);
		bc = bcbuf;
	}
	/* An EC key cannot encipher: digitalSignature alone, as servers do. */
	if (ec && strcmp(s->ku, "leaf") == 0)
		ku = "critical,digitalSignature";
	ncbuf[0] = '\0';
	if (s->nc != NULL)
		snprintf(ncbuf, sizeof(ncbuf), "critical,permitted;DNS:%s", s->nc);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if (sc_ext(x, &ctx, NID_basic_constraints, bc) < 0 ||
	    sc_ext(x, &ctx, NID_key_usage, ku) < 0 || sc_ext(x, &ctx, NID_ext_key_usage, eku) < 0 ||
	    sc_ext(x, &ctx, NID_subject_alt_name, strcmp(s->san, "none") == 0 ? "" : s->san) < 0 ||
	    sc_ext(x, &ctx, NID_name_constraints, ncbuf) < 0 ||
	    sc_ext(x, &ctx, NID_subject_key_identifier, "hash") < 0)
		return -1;
	/* keyid of the issuer's SKID; a self-signed certificate carries none. */
	if (x != issuer && X509_get0_subject_key_id(issuer) != NULL)
		return sc_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
	return 0;
}

static int sc_load_issuer(const char *prefix, X509 **cert, EVP_PKEY **key)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s.pem", prefix);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	*cert = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	snprintf(path, sizeof(path), "%s.key", prefix);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	*key = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	return *cert != NULL && *key != NULL ? 0 : -1;
}

static int sc_subject(X509 *x, const struct shape *s)
{
	X509_NAME *name = X509_get_subject_name(x);

	if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
					(const unsigned char *)"uccx-trust property test", -1, -1,
					0))
		return -1;
	if (s->ou != NULL && !X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_UTF8,
							 (const unsigned char *)s->ou, -1, -1, 0))
		return -1;
	return X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)s->cn,
					  -1, -1, 0)
		       ? 0
		       : -1;
}

static int sc_serial(X509 *x)
{
	BIGNUM *bn = BN_new();
	int ok = bn != NULL && BN_rand(bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) &&
		 BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;

	BN_free(bn);
	return ok ? 0 : -1;
}

static X509 *sc_make(const struct shape *s, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey)
{
	X509 *x = X509_new();
	int ec = EVP_PKEY_is_a(key, "EC");

	if (x == NULL || !X509_set_version(x, s->version == 1 ? X509_VERSION_1 : X509_VERSION_3) ||
	    sc_serial(x) < 0 || sc_subject(x, s) < 0 || !X509_set_pubkey(x, key) ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -86400L) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 365L * 86400L) == NULL)
		goto err;
	if (!X509_set_issuer_name(x, X509_get_subject_name(issuer != NULL ? issuer : x)))
		goto err;
	if (s->version == 3 && sc_extensions(x, issuer != NULL ? issuer : x, s, ec) < 0)
		goto err;
	if (!X509_sign(x, ikey != NULL ? ikey : key, EVP_sha256()))
		goto err;
	return x;
err:
	X509_free(x);
	return NULL;
}

static int sc_write(const char *out, X509 *x, EVP_PKEY *key)
{
	char path[4096];
	FILE *fp;
	int ok;

	snprintf(path, sizeof(path), "%s.pem", out);
	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	ok = PEM_write_X509(fp, x);
	if (fclose(fp) != 0 || !ok)
		return -1;
	snprintf(path, sizeof(path), "%s.key", out);
	umask(077);
	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	ok = PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL);
	return fclose(fp) == 0 && ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct shape s;
	X509 *issuer = NULL, *x = NULL;
	EVP_PKEY *ikey = NULL, *key = NULL;
	int rc = 1;

	if (argc < 3 || sc_parse(argc, argv, &s) < 0)
		return sc_usage("a key=value argument is unknown or cn= is missing");
	if (s.issuer != NULL && sc_load_issuer(s.issuer, &issuer, &ikey) < 0) {
		fprintf(stderr, "uct-shapecert: cannot read the issuer %s.pem and %s.key\n",
			s.issuer, s.issuer);
		goto out;
	}
	key = strcmp(s.key, "rsa") == 0 ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
	if (key == NULL || (x = sc_make(&s, key, issuer, ikey)) == NULL ||
	    sc_write(argv[1], x, key) < 0) {
		fprintf(stderr,
			"uct-shapecert: cannot make %s: a value is not one OpenSSL takes "
			"(see the usage in tests/tools/shapecert.c)\n",
			argv[1]);
		ERR_print_errors_fp(stderr);
		goto out;
	}
	rc = 0;
out:
	X509_free(x);
	X509_free(issuer);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ikey);
	return rc;
}
