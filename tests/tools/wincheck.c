/*
 * wincheck.c: an independent look at the Windows stores for the Wine
 * tests, with crypt32 only (none of the agent's code):
 *   wincheck verify HOST FILE.pem   does LocalMachine trust that chain for HOST?
 *   wincheck list                   every uccx-trust certificate: store, name,
 *                                   SHA-1 thumbprint, purposes
 *   wincheck verify-strict HOST FILE.pem [HOST FILE.pem]...
 *                                   one line per pair: "root" when the chain
 *                                   passes the SSL policy for HOST, has no
 *                                   error status and ends at a certificate
 *                                   of LocalMachine\Root; "peer" when the
 *                                   leaf itself is in TrustedPeople (what
 *                                   Chrome and Edge accept); else "untrusted"
 *                                   and the codes. Wine's policy alone
 *                                   accepts partial chains (DESIGN.md).
 *   wincheck delete SHA1            delete that uccx-trust certificate
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>
#include <wincrypt.h>

static int wc_verify(const char *host, const char *path)
{
	static char pem[65536];
	BYTE der[16384];
	DWORD n, len;
	FILE *fp = fopen(path, "rb");
	const char *p, *e;
	HCERTSTORE extra = CertOpenStore(CERT_STORE_PROV_MEMORY, 0, 0, 0, NULL);
	const CERT_CONTEXT *leaf = NULL;
	const CERT_CHAIN_CONTEXT *cc = NULL;
	CERT_CHAIN_ENGINE_CONFIG ecfg;
	HCERTCHAINENGINE engine = NULL;
	CERT_CHAIN_PARA para;
	CERT_CHAIN_POLICY_PARA pp;
	CERT_CHAIN_POLICY_STATUS ps;
	SSL_EXTRA_CERT_CHAIN_POLICY_PARA ssl;
	wchar_t whost[256];

	if (fp == NULL)
		return 2;
	len = (DWORD)fread(pem, 1, sizeof(pem) - 1, fp);
	fclose(fp);
	pem[len] = '\0';
	for (p = pem; (p = strstr(p, "-----BEGIN CERTIFICATE-----")) != NULL; p = e) {
		e = strstr(p, "-----END CERTIFICATE-----");
		if (e == NULL)
			return 2;
		e += 25;
		n = sizeof(der);
		if (!CryptStringToBinaryA(p, (DWORD)(e - p), CRYPT_STRING_BASE64HEADER, der, &n,
					  NULL, NULL))
			return 2;
		if (leaf == NULL)
			leaf = CertCreateCertificateContext(X509_ASN_ENCODING, der, n);
		else
			CertAddEncodedCertificateToStore(extra, X509_ASN_ENCODING, der, n,
							 CERT_STORE_ADD_USE_EXISTING, NULL);
	}
	if (leaf == NULL)
		return 2;
	memset(&ecfg, 0, sizeof(ecfg));
	ecfg.cbSize = sizeof(ecfg);
	ecfg.dwFlags = CERT_CHAIN_USE_LOCAL_MACHINE_STORE;
	memset(&para, 0, sizeof(para));
	para.cbSize = sizeof(para);
	if (!CertCreateCertificateChainEngine(&ecfg, &engine) ||
	    !CertGetCertificateChain(engine, leaf, NULL, extra, &para, 0, NULL, &cc))
		return 2;
	MultiByteToWideChar(CP_UTF8, 0, host, -1, whost, 256);
	memset(&ssl, 0, sizeof(ssl));
	ssl.cbSize = sizeof(ssl);
	ssl.dwAuthType = AUTHTYPE_SERVER;
	ssl.pwszServerName = whost;
	memset(&pp, 0, sizeof(pp));
	pp.cbSize = sizeof(pp);
	pp.pvExtraPolicyPara = &ssl;
	memset(&ps, 0, sizeof(ps));
	ps.cbSize = sizeof(ps);
	if (!CertVerifyCertificateChainPolicy(CERT_CHAIN_POLICY_SSL, cc, &pp, &ps))
		return 2;
	printf("%s 0x%08lX\n", ps.dwError == 0 ? "trusted" : "untrusted",
	       (unsigned long)ps.dwError);
	return ps.dwError == 0 ? 0 : 1;
}

static int wc_list(void)
{
	static const wchar_t *const names[] = {L"Root", L"TrustedPeople", L"CA"};
	const CERT_CONTEXT *c;
	HCERTSTORE hs;
	wchar_t fname[256];
	BYTE eku_buf[512], thumb[20];
	CERT_ENHKEY_USAGE *eku = (CERT_ENHKEY_USAGE *)eku_buf;
	DWORD size, i, k;

	for (i = 0; i < 3; i++) {
		hs = CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0,
				   CERT_SYSTEM_STORE_LOCAL_MACHINE | CERT_STORE_READONLY_FLAG,
				   names[i]);
		if (hs == NULL)
			continue;
		for (c = NULL; (c = CertEnumCertificatesInStore(hs, c)) != NULL;) {
			size = sizeof(fname);
			if (!CertGetCertificateContextProperty(c, CERT_FRIENDLY_NAME_PROP_ID, fname,
							       &size) ||
			    wcsncmp(fname, L"uccx-trust ", 11) != 0)
				continue;
			printf("%ls\t%ls\t", names[i], fname);
			size = sizeof(thumb);
			if (CertGetCertificateContextProperty(c, CERT_SHA1_HASH_PROP_ID, thumb,
							      &size))
				for (k = 0; k < size; k++)
					printf("%02X", thumb[k]);
			printf("\t");
			size = sizeof(eku_buf);
			if (CertGetEnhancedKeyUsage(c, CERT_FIND_PROP_ONLY_ENHKEY_USAGE_FLAG, eku,
						    &size))
				for (k = 0; k < eku->cUsageIdentifier; k++)
					printf("%s%s", k ? "," : "", eku->rgpszUsageIdentifier[k]);
			printf("\n");
		}
		CertCloseStore(hs, 0);
	}
	return 0;
}

/* The first certificate of a PEM file, the others added to extra. */
static const CERT_CONTEXT *wc_load(const char *path, HCERTSTORE extra)
{
	static char pem[65536];
	BYTE der[16384];
	DWORD n, len;
	FILE *fp = fopen(path, "rb");
	const char *p, *e;
	const CERT_CONTEXT *leaf = NULL;

	if (fp == NULL)
		return NULL;
	len = (DWORD)fread(pem, 1, sizeof(pem) - 1, fp);
	fclose(fp);
	pem[len] = '\0';
	for (p = pem; (p = strstr(p, "-----BEGIN CERTIFICATE-----")) != NULL; p = e) {
		e = strstr(p, "-----END CERTIFICATE-----");
		if (e == NULL)
			break;
		e += 25;
		n = sizeof(der);
		if (!CryptStringToBinaryA(p, (DWORD)(e - p), CRYPT_STRING_BASE64HEADER, der, &n,
					  NULL, NULL))
			break;
		if (leaf == NULL)
			leaf = CertCreateCertificateContext(X509_ASN_ENCODING, der, n);
		else
			CertAddEncodedCertificateToStore(extra, X509_ASN_ENCODING, der, n,
							 CERT_STORE_ADD_USE_EXISTING, NULL);
	}
	return leaf;
}

/* Is this very certificate in that LocalMachine store? */
static int wc_in_store(const wchar_t *name, const CERT_CONTEXT *cert)
{
	HCERTSTORE hs =
		CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0,
			      CERT_SYSTEM_STORE_LOCAL_MACHINE | CERT_STORE_READONLY_FLAG, name);
	const CERT_CONTEXT *found;

	if (hs == NULL)
		return 0;
	found = CertFindCertificateInStore(hs, X509_ASN_ENCODING, 0, CERT_FIND_EXISTING, cert,
					   NULL);
	if (found != NULL)
		CertFreeCertificateContext(found);
	CertCloseStore(hs, 0);
	return found != NULL;
}

static void wc_strict_one(const char *host, const char *path)
{
	HCERTSTORE extra = CertOpenStore(CERT_STORE_PROV_MEMORY, 0, 0, 0, NULL);
	const CERT_CONTEXT *leaf = wc_load(path, extra), *top;
	const CERT_CHAIN_CONTEXT *cc = NULL;
	CERT_CHAIN_ENGINE_CONFIG ecfg = {.cbSize = sizeof(ecfg)};
	HCERTCHAINENGINE engine = NULL;
	CERT_CHAIN_PARA para = {.cbSize = sizeof(para)};
	SSL_EXTRA_CERT_CHAIN_POLICY_PARA ssl = {.cbSize = sizeof(ssl)};
	CERT_CHAIN_POLICY_PARA pp = {.cbSize = sizeof(pp)};
	CERT_CHAIN_POLICY_STATUS ps = {.cbSize = sizeof(ps)};
	const CERT_SIMPLE_CHAIN *sc;
	wchar_t whost[256];

	ecfg.dwFlags = CERT_CHAIN_USE_LOCAL_MACHINE_STORE;
	if (leaf == NULL || !CertCreateCertificateChainEngine(&ecfg, &engine) ||
	    !CertGetCertificateChain(engine, leaf, NULL, extra, &para, 0, NULL, &cc)) {
		printf("untrusted cannot-build-chain %s\n", path);
		goto out;
	}
	MultiByteToWideChar(CP_UTF8, 0, host, -1, whost, 256);
	ssl.dwAuthType = AUTHTYPE_SERVER;
	ssl.pwszServerName = whost;
	pp.pvExtraPolicyPara = &ssl;
	if (!CertVerifyCertificateChainPolicy(CERT_CHAIN_POLICY_SSL, cc, &pp, &ps))
		ps.dwError = (DWORD)-1;
	sc = cc->rgpChain[0];
	top = sc->rgpElement[sc->cElement - 1]->pCertContext;
	if (ps.dwError == 0 && cc->TrustStatus.dwErrorStatus == 0 && wc_in_store(L"Root", top))
		printf("root depth %lu\n", (unsigned long)sc->cElement);
	else if (wc_in_store(L"TrustedPeople", leaf))
		printf("peer\n");
	else
		printf("untrusted policy 0x%08lX chain 0x%08lX depth %lu top-in-root %d\n",
		       (unsigned long)ps.dwError, (unsigned long)cc->TrustStatus.dwErrorStatus,
		       (unsigned long)sc->cElement, wc_in_store(L"Root", top));
out:
	if (cc != NULL)
		CertFreeCertificateChain(cc);
	if (engine != NULL)
		CertFreeCertificateChainEngine(engine);
	if (leaf != NULL)
		CertFreeCertificateContext(leaf);
	CertCloseStore(extra, 0);
}

static int wc_delete(const char *sha1)
{
	static const wchar_t *const names[] = {L"Root", L"TrustedPeople", L"CA"};
	BYTE thumb[20];
	CRYPT_HASH_BLOB blob = {.cbData = sizeof(thumb), .pbData = thumb};
	const CERT_CONTEXT *c;
	HCERTSTORE hs;
	DWORD i, n = sizeof(thumb);
	int gone = 0;

	if (!CryptStringToBinaryA(sha1, 0, CRYPT_STRING_HEX, thumb, &n, NULL, NULL) || n != 20)
		return 2;
	for (i = 0; i < 3; i++) {
		hs = CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0, CERT_SYSTEM_STORE_LOCAL_MACHINE,
				   names[i]);
		if (hs == NULL)
			continue;
		while ((c = CertFindCertificateInStore(hs, X509_ASN_ENCODING, 0,
						       CERT_FIND_SHA1_HASH, &blob, NULL)) != NULL &&
		       CertDeleteCertificateFromStore(c))
			gone++;
		CertControlStore(hs, 0, CERT_STORE_CTRL_COMMIT, NULL);
		CertCloseStore(hs, 0);
	}
	return gone > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	int i;

	if (argc >= 4 && argc % 2 == 0 && strcmp(argv[1], "verify-strict") == 0) {
		for (i = 2; i + 1 < argc; i += 2)
			wc_strict_one(argv[i], argv[i + 1]);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "delete") == 0)
		return wc_delete(argv[2]);
	if (argc == 4 && strcmp(argv[1], "verify") == 0)
		return wc_verify(argv[2], argv[3]);
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return wc_list();
	fprintf(stderr, "usage: wincheck verify HOST FILE.pem | wincheck list | "
			"wincheck verify-strict HOST FILE.pem... | wincheck delete SHA1\n");
	return 2;
}
