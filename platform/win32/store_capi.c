/*
 * store_capi.c: the Windows certificate stores as one uct_store. Per the
 * trust table of DESIGN.md, an approved CA and a self-signed CA:FALSE
 * server certificate go to Root, a CA:TRUE self-signed certificate and a
 * private CA's leaf to TrustedPeople (trusted leaves for Chrome and Edge,
 * never an anchor that could sign for other names), an approved
 * intermediate to CA. LocalMachine needs administrator rights and asks
 * nothing; CurrentUser\Root shows a dialog no program can suppress.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "win.h"

#include <wincrypt.h>

#include "../common/store_vec.h"
#include "log.h"

/* Every certificate the agent installs has a friendly name starting with
 * this; nothing without it is ever listed, changed or removed. The name is
 * "uccx-trust <trust> <subject CN or host>". */
#define CAPI_TAG L"uccx-trust "
#define CAPI_TAG_LEN 11

enum capi_which { CAPI_ROOT = 0, CAPI_PEOPLE, CAPI_CA, CAPI_N };
static const wchar_t *const capi_store_names[CAPI_N] = {L"Root", L"TrustedPeople", L"CA"};

struct capi_impl {
	int machine; /* LocalMachine, else CurrentUser */
	int rw;
	HCERTSTORE stores[CAPI_N]; /* NULL when closed */
};

static DWORD capi_location(const struct capi_impl *im)
{
	return im->machine ? CERT_SYSTEM_STORE_LOCAL_MACHINE : CERT_SYSTEM_STORE_CURRENT_USER;
}

static int capi_is_tagged(const CERT_CONTEXT *ctx);

/* 1 when the machine's Root or CA store holds a certificate of ours: what
 * Firefox imports as enterprise roots (TrustedPeople it does not read). */
static int capi_has_roots(struct capi_impl *im)
{
	const CERT_CONTEXT *c;
	int i, found = 0;

	for (i = 0; i < CAPI_N && !found; i++) {
		if (i == CAPI_PEOPLE || im->stores[i] == NULL)
			continue;
		for (c = NULL;
		     !found && (c = CertEnumCertificatesInStore(im->stores[i], c)) != NULL;)
			found = capi_is_tagged(c);
		if (c != NULL)
			CertFreeCertificateContext(c);
	}
	return found;
}

/* After a change to the machine's stores, Firefox's policy follows: on
 * while the agent has roots there, off (if it set it) after. The user's
 * stores leave the machine's policy alone. */
static void capi_update_browser_policy(struct uct_store *store)
{
	struct capi_impl *im = store->impl;

	if (im->rw && im->machine && im->stores[0] != NULL)
		uct_win_ffpolicy_apply(capi_has_roots(im));
}

static void capi_close(struct uct_store *store)
{
	struct capi_impl *im;
	int i;

	if (store == NULL || (im = store->impl) == NULL)
		return;
	for (i = 0; i < CAPI_N; i++) {
		if (im->stores[i] == NULL)
			continue;
		/* Wine drops uncommitted changes of a system store at close. */
		if (im->rw)
			CertControlStore(im->stores[i], 0, CERT_STORE_CTRL_COMMIT, NULL);
		CertCloseStore(im->stores[i], 0);
		im->stores[i] = NULL;
	}
	im->rw = 0;
}

static int capi_open(struct uct_store *store, int rw, struct uct_err *err)
{
	struct capi_impl *im = store->impl;
	DWORD flags;
	int i;

	if (im->stores[0] != NULL && (im->rw || !rw))
		return 0;
	capi_close(store);
	for (i = 0; i < CAPI_N; i++) {
		/* TrustedPeople may not exist yet on a fresh PC: create on write. */
		flags = capi_location(im) |
			(rw ? 0 : CERT_STORE_READONLY_FLAG | CERT_STORE_OPEN_EXISTING_FLAG);
		im->stores[i] =
			CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0, flags, capi_store_names[i]);
		if (im->stores[i] == NULL && !rw) {
			/* Read-only: an absent store is an empty one. */
			im->stores[i] = CertOpenStore(CERT_STORE_PROV_MEMORY, 0, 0, 0, NULL);
		}
		if (im->stores[i] == NULL) {
			DWORD e = GetLastError();

			capi_close(store);
			if (e == ERROR_ACCESS_DENIED)
				return uct_win_err(
					err, UCT_E_SYSTEM, e,
					"cannot open %s\\%ls for writing (run as administrator)",
					im->machine ? "LocalMachine" : "CurrentUser",
					capi_store_names[i]);
			return uct_win_err(err, UCT_E_SYSTEM, e, "cannot open the %ls store",
					   capi_store_names[i]);
		}
	}
	im->rw = rw;
	return 0;
}

static int capi_require_open(struct uct_store *store, int rw, struct uct_err *err)
{
	struct capi_impl *im = store->impl;

	if (im->stores[0] == NULL || (rw && !im->rw))
		return capi_open(store, rw, err);
	return 0;
}

/* The friendly name of ctx, newly allocated, or NULL: *nomem says
 * whether for want of memory rather than because it has none. */
static wchar_t *capi_friendly_or_nomem(const CERT_CONTEXT *ctx, int *nomem)
{
	DWORD size = 0;
	wchar_t *name;

	*nomem = 0;
	if (!CertGetCertificateContextProperty(ctx, CERT_FRIENDLY_NAME_PROP_ID, NULL, &size) ||
	    size < sizeof(wchar_t))
		return NULL;
	name = calloc(1, size + sizeof(wchar_t));
	*nomem = name == NULL;
	if (name != NULL &&
	    !CertGetCertificateContextProperty(ctx, CERT_FRIENDLY_NAME_PROP_ID, name, &size)) {
		free(name);
		return NULL;
	}
	return name;
}

/* The friendly name of ctx (newly allocated), NULL when it has none. */
static wchar_t *capi_friendly(const CERT_CONTEXT *ctx)
{
	int nomem;

	return capi_friendly_or_nomem(ctx, &nomem);
}

static int capi_is_tagged(const CERT_CONTEXT *ctx)
{
	wchar_t *name = capi_friendly(ctx);
	int tagged = name != NULL && wcsncmp(name, CAPI_TAG, CAPI_TAG_LEN) == 0;

	free(name);
	return tagged;
}

/* Which store holds a certificate trusted this way (the portable rule,
 * platform/common/anchor.c); -1 for none. */
static int capi_which_for(const struct uct_anchor *anchor)
{
	switch (uct_win_store_for(anchor)) {
	case UCT_WIN_ROOT: return CAPI_ROOT;
	case UCT_WIN_PEOPLE: return CAPI_PEOPLE;
	case UCT_WIN_CA: return CAPI_CA;
	case UCT_WIN_NONE: break;
	}
	return -1;
}

static enum uct_trust capi_trust_of_name(const wchar_t *name, int which)
{
	const wchar_t *t = name + CAPI_TAG_LEN;

	if (wcsncmp(t, L"peer-only ", 10) == 0)
		return UCT_TRUST_PEER_ONLY;
	if (wcsncmp(t, L"peer ", 5) == 0)
		return UCT_TRUST_PEER;
	if (wcsncmp(t, L"root ", 5) == 0)
		return UCT_TRUST_ROOT;
	return which == CAPI_PEOPLE ? UCT_TRUST_PEER_ONLY : UCT_TRUST_ROOT;
}

/* The copy of cert in hs, or NULL. For removing what an earlier run
 * installed, the run may know only the SHA-256 (cert->der NULL). */
static const CERT_CONTEXT *capi_find(HCERTSTORE hs, const struct uct_cert *cert)
{
	const CERT_CONTEXT *probe, *found;
	unsigned char sha[UCT_SHA256_LEN];

	if (cert->der == NULL) {
		for (found = NULL; (found = CertEnumCertificatesInStore(hs, found)) != NULL;)
			if (uct_capi_sha256(found->pbCertEncoded, found->cbCertEncoded, sha) == 0 &&
			    memcmp(sha, cert->sha256, UCT_SHA256_LEN) == 0)
				return found; /* the enumeration's reference becomes the caller's */
		return NULL;
	}
	probe = CertCreateCertificateContext(X509_ASN_ENCODING, cert->der, (DWORD)cert->der_len);
	if (probe == NULL)
		return NULL;
	found = CertFindCertificateInStore(hs, X509_ASN_ENCODING, 0, CERT_FIND_EXISTING, probe,
					   NULL);
	CertFreeCertificateContext(probe);
	return found;
}

/* Tag ctx and restrict it to server authentication, so that a trusted
 * self-signed certificate can never sign code or mail. */
static int capi_set_props(const CERT_CONTEXT *ctx, const struct uct_anchor *anchor,
			  struct uct_err *err)
{
	char *label;
	wchar_t *wlabel;
	CRYPT_DATA_BLOB blob;
	CERT_ENHKEY_USAGE eku;
	LPSTR server_auth = szOID_PKIX_KP_SERVER_AUTH;
	BYTE *enc = NULL;
	DWORD enc_len = 0;
	int rc = -1;

	label = uct_asprintf("uccx-trust %s %s", uct_trust_name(anchor->trust),
			     anchor->host != NULL               ? anchor->host
			     : anchor->cert->subject_cn != NULL ? anchor->cert->subject_cn
								: "certificate");
	wlabel = uct_win_wide(label);
	free(label);
	if (wlabel == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	blob.pbData = (BYTE *)wlabel;
	blob.cbData = (DWORD)((wcslen(wlabel) + 1) * sizeof(wchar_t));
	if (!CertSetCertificateContextProperty(ctx, CERT_FRIENDLY_NAME_PROP_ID, 0, &blob)) {
		uct_win_err(err, UCT_E_SYSTEM, GetLastError(), "cannot name the certificate");
		goto out;
	}
	eku.cUsageIdentifier = 1;
	eku.rgpszUsageIdentifier = &server_auth;
	if (!CryptEncodeObjectEx(X509_ASN_ENCODING, X509_ENHANCED_KEY_USAGE, &eku,
				 CRYPT_ENCODE_ALLOC_FLAG, NULL, &enc, &enc_len)) {
		uct_win_err(err, UCT_E_CRYPTO, GetLastError(), "cannot encode the purposes");
		goto out;
	}
	blob.pbData = enc;
	blob.cbData = enc_len;
	if (!CertSetCertificateContextProperty(ctx, CERT_ENHKEY_USAGE_PROP_ID, 0, &blob)) {
		uct_win_err(err, UCT_E_SYSTEM, GetLastError(),
			    "cannot restrict the certificate to server authentication");
		goto out;
	}
	rc = 0;
out:
	if (enc != NULL)
		LocalFree(enc);
	free(wlabel);
	return rc;
}

static int capi_commit(HCERTSTORE hs, const char *what, struct uct_err *err)
{
	if (!CertControlStore(hs, 0, CERT_STORE_CTRL_COMMIT, NULL))
		return uct_win_err(err, UCT_E_SYSTEM, GetLastError(), "cannot save the %s", what);
	return 0;
}

/* Remove tagged copies of cert from every store but keep (so that a change
 * of trust moves it rather than leaving it in two places). */
static int capi_remove_except(struct capi_impl *im, const struct uct_cert *cert, int keep,
			      struct uct_err *err)
{
	const CERT_CONTEXT *found;
	char fp[UCT_FP_STRLEN];
	const char *what = cert->subject;
	int i;

	if (what == NULL) {
		uct_fp_format(cert->sha256, fp);
		what = fp;
	}
	for (i = 0; i < CAPI_N; i++) {
		if (i == keep || (found = capi_find(im->stores[i], cert)) == NULL)
			continue;
		if (!capi_is_tagged(found)) {
			uct_log(UCT_LOG_INFO,
				"%ls holds %s, not installed by uccx-trust: left alone",
				capi_store_names[i], what);
			CertFreeCertificateContext(found);
			continue;
		}
		/* CertDeleteCertificateFromStore frees found, even on failure. */
		if (!CertDeleteCertificateFromStore(found))
			return uct_win_err(err, UCT_E_SYSTEM, GetLastError(),
					   "cannot remove %s from %ls", what, capi_store_names[i]);
		uct_log(UCT_LOG_INFO, "removed %s from %ls", what, capi_store_names[i]);
		if (capi_commit(im->stores[i], "certificate store", err) < 0)
			return -1;
	}
	return 0;
}

static int capi_add(struct uct_store *store, const struct uct_anchor *anchor, struct uct_err *err)
{
	struct capi_impl *im = store->impl;
	const CERT_CONTEXT *ctx = NULL;
	int which, rc = -1;

	if (capi_require_open(store, 1, err) < 0)
		return -1;
	/* The check first: its message says why a certificate is refused. */
	if (uct_anchor_check(anchor, store->id, err) < 0)
		return -1;
	if ((which = capi_which_for(anchor)) < 0)
		return uct_err_set(err, UCT_E_USAGE, 0,
				   "a Windows store holds peer, peer-only or root trust, not %s",
				   uct_trust_name(anchor->trust));
	ctx = capi_find(im->stores[which], anchor->cert);
	if (ctx != NULL && !capi_is_tagged(ctx)) {
		/* The user or an administrator put it there: theirs to keep. */
		uct_log(UCT_LOG_INFO, "%ls already holds %s (not ours): left unchanged",
			capi_store_names[which], anchor->cert->subject);
		CertFreeCertificateContext(ctx);
		return 0;
	}
	if (ctx == NULL &&
	    !CertAddEncodedCertificateToStore(im->stores[which], X509_ASN_ENCODING,
					      anchor->cert->der, (DWORD)anchor->cert->der_len,
					      CERT_STORE_ADD_REPLACE_EXISTING, &ctx)) {
		DWORD e = GetLastError();

		if (e == ERROR_CANCELLED || e == (DWORD)SCARD_W_CANCELLED_BY_USER)
			return uct_win_err(err, UCT_E_SYSTEM, e,
					   "the user declined adding %s to the %ls store",
					   anchor->cert->subject, capi_store_names[which]);
		return uct_win_err(err, UCT_E_SYSTEM, e, "cannot add %s to the %ls store",
				   anchor->cert->subject, capi_store_names[which]);
	}
	if (capi_set_props(ctx, anchor, err) < 0 ||
	    capi_commit(im->stores[which], "certificate store", err) < 0)
		goto out;
	uct_log(UCT_LOG_INFO, "added %s to %s\\%ls as %s", anchor->cert->subject,
		im->machine ? "LocalMachine" : "CurrentUser", capi_store_names[which],
		uct_trust_name(anchor->trust));
	rc = capi_remove_except(im, anchor->cert, which, err);
out:
	CertFreeCertificateContext(ctx);
	return rc;
}

static int capi_remove(struct uct_store *store, const struct uct_anchor *anchor,
		       struct uct_err *err)
{
	if (capi_require_open(store, 1, err) < 0)
		return -1;
	if (anchor == NULL || anchor->cert == NULL)
		return uct_err_set(err, UCT_E_USAGE, 0, "nothing to remove");
	return capi_remove_except(store->impl, anchor->cert, -1, err);
}

/* Report one tagged certificate of store i to cb: what uct_entry_call
 * returns. A certificate that does not parse is skipped. */
static int capi_list_one(const CERT_CONTEXT *c, const wchar_t *name, int i, uct_entry_cb cb,
			 void *ctx, struct uct_err *err)
{
	struct uct_store_entry entry;
	struct uct_cert *cert;
	char *label;
	int rc;

	memset(&entry, 0, sizeof(entry));
	if (uct_cert_parse(c->pbCertEncoded, c->cbCertEncoded, &cert, NULL) < 0)
		return 0;
	memcpy(entry.sha256, cert->sha256, UCT_SHA256_LEN);
	uct_cert_free(cert);
	entry.trust = capi_trust_of_name(name, i);
	if ((label = uct_win_utf8(name)) == NULL)
		return uct_err_set(err, UCT_E_NOMEM, ENOMEM,
				   "out of memory listing the Windows stores");
	entry.label = label;
	rc = uct_entry_call(cb, &entry, ctx, err);
	free(label);
	return rc;
}

static int capi_list(struct uct_store *store, uct_entry_cb cb, void *ctx, struct uct_err *err)
{
	struct capi_impl *im = store->impl;
	const CERT_CONTEXT *c;
	wchar_t *name;
	int i, rc = 0, nomem;

	if (capi_require_open(store, 0, err) < 0)
		return -1;
	for (i = 0; i < CAPI_N && rc == 0; i++) {
		for (c = NULL;
		     rc == 0 && (c = CertEnumCertificatesInStore(im->stores[i], c)) != NULL;) {
			/* A name that could not be read for want of memory would
			 * leave one of ours out of the listing: fail instead. */
			name = capi_friendly_or_nomem(c, &nomem);
			if (nomem)
				rc = uct_err_set(err, UCT_E_NOMEM, ENOMEM,
						 "out of memory listing the Windows stores");
			else if (name != NULL && wcsncmp(name, CAPI_TAG, CAPI_TAG_LEN) == 0)
				rc = capi_list_one(c, name, i, cb, ctx, err);
			free(name);
		}
		if (c != NULL)
			CertFreeCertificateContext(c);
	}
	return rc < 0 ? -1 : 0;
}

/* A stable name for a chain-policy error, as reports show it. */
static void capi_error_name(DWORD e, char *buf, size_t len)
{
	static const struct {
		DWORD code;
		const char *name;
	} names[] = {
		{(DWORD)CERT_E_UNTRUSTEDROOT, "CERT_E_UNTRUSTEDROOT"},
		{(DWORD)CERT_E_CHAINING, "CERT_E_CHAINING"},
		{(DWORD)CERT_E_EXPIRED, "CERT_E_EXPIRED"},
		{(DWORD)CERT_E_CN_NO_MATCH, "CERT_E_CN_NO_MATCH"},
		{(DWORD)CERT_E_WRONG_USAGE, "CERT_E_WRONG_USAGE"},
		{(DWORD)CERT_E_REVOKED, "CERT_E_REVOKED"},
		{(DWORD)TRUST_E_CERT_SIGNATURE, "TRUST_E_CERT_SIGNATURE"},
		{(DWORD)CERT_E_INVALID_NAME, "CERT_E_INVALID_NAME"},
		{(DWORD)TRUST_E_BASIC_CONSTRAINTS, "TRUST_E_BASIC_CONSTRAINTS"},
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].code == e) {
			snprintf(buf, len, "%s", names[i].name);
			return;
		}
	snprintf(buf, len, "0x%08lX", (unsigned long)e);
}

/*
 * Chain error bits a browser does not hold against a chain. Revocation
 * that could not be checked (unknown, offline) is soft-fail in Chrome,
 * Edge and Firefox, and the agent asks crypt32 for no revocation check at
 * all; time nesting is a Windows 2000 rule no browser applies; no issuance
 * policy was requested. Every other bit (partial chain, untrusted root,
 * revoked, not time valid, bad signature, usage, basic or name
 * constraints, unsupported critical extension, explicit distrust, weak
 * signature) is a failure: Wine's SSL policy passes some of them (a chain
 * that stops short of a root), and its "trusted" must never stand in for
 * a browser's.
 */
#define CAPI_IGNORED_ERRORS                                                     \
	(CERT_TRUST_IS_NOT_TIME_NESTED | CERT_TRUST_REVOCATION_STATUS_UNKNOWN | \
	 CERT_TRUST_IS_OFFLINE_REVOCATION | CERT_TRUST_NO_ISSUANCE_CHAIN_POLICY)

/* The name of the first chain error bit in bits, as reports show it. */
static void capi_status_name(DWORD bits, char *buf, size_t len)
{
	static const struct {
		DWORD bit;
		const char *name;
	} names[] = {
		{CERT_TRUST_IS_PARTIAL_CHAIN, "CERT_TRUST_IS_PARTIAL_CHAIN"},
		{CERT_TRUST_IS_UNTRUSTED_ROOT, "CERT_TRUST_IS_UNTRUSTED_ROOT"},
		{CERT_TRUST_IS_EXPLICIT_DISTRUST, "CERT_TRUST_IS_EXPLICIT_DISTRUST"},
		{CERT_TRUST_IS_REVOKED, "CERT_TRUST_IS_REVOKED"},
		{CERT_TRUST_IS_NOT_TIME_VALID, "CERT_TRUST_IS_NOT_TIME_VALID"},
		{CERT_TRUST_IS_NOT_SIGNATURE_VALID, "CERT_TRUST_IS_NOT_SIGNATURE_VALID"},
		{CERT_TRUST_IS_NOT_VALID_FOR_USAGE, "CERT_TRUST_IS_NOT_VALID_FOR_USAGE"},
		{CERT_TRUST_INVALID_BASIC_CONSTRAINTS, "CERT_TRUST_INVALID_BASIC_CONSTRAINTS"},
		{CERT_TRUST_HAS_WEAK_SIGNATURE, "CERT_TRUST_HAS_WEAK_SIGNATURE"},
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (bits & names[i].bit) {
			snprintf(buf, len, "%s", names[i].name);
			return;
		}
	snprintf(buf, len, "CERT_TRUST_0x%08lX", (unsigned long)bits);
}

/* 1 when the system store name of this scope holds ctx. Chrome and Edge
 * read the current user's stores and the machine's; a machine run sees
 * the machine's only. */
static int capi_in_system_store(const CERT_CONTEXT *ctx, const wchar_t *name, int machine)
{
	static const DWORD where[2] = {CERT_SYSTEM_STORE_LOCAL_MACHINE,
				       CERT_SYSTEM_STORE_CURRENT_USER};
	const CERT_CONTEXT *found = NULL;
	HCERTSTORE hs;
	int i;

	for (i = 0; i < (machine ? 1 : 2) && found == NULL; i++) {
		hs = CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0,
				   where[i] | CERT_STORE_READONLY_FLAG |
					   CERT_STORE_OPEN_EXISTING_FLAG,
				   name);
		if (hs == NULL)
			continue;
		found = CertFindCertificateInStore(hs, X509_ASN_ENCODING, 0, CERT_FIND_EXISTING,
						   ctx, NULL);
		CertCloseStore(hs, 0);
	}
	if (found == NULL)
		return 0;
	CertFreeCertificateContext(found);
	return 1;
}

/* 1 when ctx names itself as issuer and its own key verifies its signature. */
static int capi_self_signed(const CERT_CONTEXT *ctx)
{
	return CertCompareCertificateName(X509_ASN_ENCODING, &ctx->pCertInfo->Subject,
					  &ctx->pCertInfo->Issuer) &&
	       CryptVerifyCertificateSignatureEx(0, X509_ASN_ENCODING,
						 CRYPT_VERIFY_CERT_SIGN_SUBJECT_CERT, (void *)ctx,
						 CRYPT_VERIFY_CERT_SIGN_ISSUER_CERT, (void *)ctx, 0,
						 NULL);
}

/*
 * The chain error bits a CA in Root may carry as the place where a browser
 * stops: crypt32 calls a Root certificate that is not self-signed an
 * untrusted root of a partial chain, but Chromium takes every certificate
 * of the Root stores as an anchor (trust_store_win.cc, kRootCertTrust is
 * ForTrustAnchorOrLeaf, with no self-signed requirement for an anchor) and
 * so does Firefox (EnterpriseRoots.cpp marks everything of ROOT mIsRoot).
 */
#define CAPI_ANCHOR_BITS (CERT_TRUST_IS_UNTRUSTED_ROOT | CERT_TRUST_IS_PARTIAL_CHAIN)

/*
 * 1 when a CA above the leaf is in Root of this scope and the leaf and
 * every certificate up to that CA have no error bit a browser holds
 * against them (time, signature, usage, constraints: what crypt32 records
 * per element), and the leaf is for host: a browser stops at that anchor.
 */
static int capi_anchored_in_root(const CERT_SIMPLE_CHAIN *simple, DWORD policy_error,
				 const struct uct_cert *leaf, const char *host, int machine)
{
	DWORD i, k, bits;

	/* A name the policy did check and refused, or any other policy
	 * error than the missing root, is a failure whatever the anchor. */
	if (policy_error != 0 && policy_error != (DWORD)CERT_E_UNTRUSTEDROOT &&
	    policy_error != (DWORD)CERT_E_CHAINING)
		return 0;
	if (!uct_cert_matches_host(leaf, host))
		return 0;
	for (k = 1; k < simple->cElement; k++)
		if (capi_in_system_store(simple->rgpElement[k]->pCertContext, L"Root", machine))
			break;
	if (k >= simple->cElement)
		return 0;
	for (i = 0; i <= k; i++) {
		bits = simple->rgpElement[i]->TrustStatus.dwErrorStatus &
		       ~(DWORD)(CAPI_IGNORED_ERRORS | CAPI_ANCHOR_BITS);
		if (bits != 0)
			return 0;
	}
	return 1;
}

/*
 * Judge a built chain as Chromium's trust_store_win.cc and BoringSSL's
 * path builder would: an anchor is a certificate in Root (of this scope),
 * the leaf's own only when self-signed, anything in Disallowed wins over
 * all, and a chain that stops short of an anchor is no chain at all. A
 * lone self-signed leaf whose only fault is that Root lacks it may still
 * be a trusted leaf from LocalMachine\TrustedPeople; the caller decides.
 */
static enum uct_capi_chain capi_judge(const CERT_CHAIN_CONTEXT *cc, DWORD policy_error,
				      const struct uct_chain *chain, const char *host, int machine,
				      char *code, size_t code_len)
{
	const CERT_SIMPLE_CHAIN *simple;
	const CERT_CONTEXT *top;
	DWORD errors = cc->TrustStatus.dwErrorStatus & ~(DWORD)CAPI_IGNORED_ERRORS;
	DWORD i;

	if (cc->cChain < 1 || cc->rgpChain[0]->cElement < 1) {
		snprintf(code, code_len, "NO_CHAIN");
		return UCT_CAPI_UNTRUSTED;
	}
	simple = cc->rgpChain[0];
	top = simple->rgpElement[simple->cElement - 1]->pCertContext;
	for (i = 0; i < simple->cElement; i++)
		if (capi_in_system_store(simple->rgpElement[i]->pCertContext, L"Disallowed",
					 machine)) {
			snprintf(code, code_len, "CERT_TRUST_IS_EXPLICIT_DISTRUST");
			return UCT_CAPI_UNTRUSTED;
		}
	if (policy_error == 0 && errors == 0 && capi_self_signed(top) &&
	    capi_in_system_store(top, L"Root", machine))
		return UCT_CAPI_ROOTED;
	if ((errors & ~(DWORD)CAPI_ANCHOR_BITS) == 0 &&
	    capi_anchored_in_root(simple, policy_error, chain->certs[0], host, machine))
		return UCT_CAPI_ROOTED;
	if (simple->cElement == 1 && errors == CERT_TRUST_IS_UNTRUSTED_ROOT &&
	    (policy_error == 0 || policy_error == (DWORD)CERT_E_UNTRUSTEDROOT) &&
	    capi_self_signed(top)) {
		capi_error_name((DWORD)CERT_E_UNTRUSTEDROOT, code, code_len);
		return UCT_CAPI_SELF_SIGNED_LEAF;
	}
	if (policy_error == 0 && errors == 0)
		/* Wine passed a chain whose top is no anchor of ours. */
		snprintf(code, code_len, "CERT_TRUST_IS_PARTIAL_CHAIN");
	else if (errors != 0)
		capi_status_name(errors, code, code_len);
	else
		capi_error_name(policy_error, code, code_len);
	return UCT_CAPI_UNTRUSTED;
}

/*
 * A new engine each time: the default engines cache the stores, and a
 * verification right after this run's own change must see it (Wine's
 * default engine never noticed; Windows' resyncs only eventually).
 */
static int capi_new_engine(int machine, HCERTCHAINENGINE *engine, struct uct_err *err)
{
	CERT_CHAIN_ENGINE_CONFIG ecfg;

	memset(&ecfg, 0, sizeof(ecfg));
	ecfg.cbSize = sizeof(ecfg);
	ecfg.dwFlags = machine ? CERT_CHAIN_USE_LOCAL_MACHINE_STORE : 0;
	if (!CertCreateCertificateChainEngine(&ecfg, engine)) {
		*engine = NULL;
		return uct_win_err(err, UCT_E_CRYPTO, GetLastError(),
				   "cannot start chain building");
	}
	return 0;
}

/* The chain of leaf for server authentication, extra holding what the
 * server sent besides. */
static int capi_get_chain(HCERTCHAINENGINE engine, const CERT_CONTEXT *leaf, HCERTSTORE extra,
			  const char *host, const CERT_CHAIN_CONTEXT **out, struct uct_err *err)
{
	LPSTR server_auth = szOID_PKIX_KP_SERVER_AUTH;
	CERT_CHAIN_PARA para;

	memset(&para, 0, sizeof(para));
	para.cbSize = sizeof(para);
	para.RequestedUsage.dwType = USAGE_MATCH_TYPE_AND;
	para.RequestedUsage.Usage.cUsageIdentifier = 1;
	para.RequestedUsage.Usage.rgpszUsageIdentifier = &server_auth;
	if (!CertGetCertificateChain(engine, leaf, NULL, extra, &para, 0, NULL, out)) {
		*out = NULL;
		return uct_win_err(err, UCT_E_CRYPTO, GetLastError(),
				   "cannot build the chain for %s", host);
	}
	return 0;
}

/* Windows' SSL policy with the server name on it: *policy_error is its
 * verdict (0 when it passes). */
static int capi_ssl_policy(const CERT_CHAIN_CONTEXT *cc, wchar_t *whost, const char *host,
			   DWORD *policy_error, struct uct_err *err)
{
	CERT_CHAIN_POLICY_PARA pp;
	CERT_CHAIN_POLICY_STATUS ps;
	SSL_EXTRA_CERT_CHAIN_POLICY_PARA ssl;

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
		return uct_win_err(err, UCT_E_CRYPTO, GetLastError(),
				   "cannot verify the chain for %s", host);
	*policy_error = ps.dwError;
	return 0;
}

/* Build the chain of the leaf with the intermediates the server sent, and
 * run Windows' SSL policy with the server name on it. */
static int capi_build(const struct uct_chain *chain, const char *host, int machine,
		      const CERT_CHAIN_CONTEXT **out, DWORD *policy_error, struct uct_err *err)
{
	const CERT_CONTEXT *leaf = NULL;
	HCERTSTORE extra = NULL;
	HCERTCHAINENGINE engine = NULL;
	wchar_t *whost = NULL;
	size_t i;
	int rc = -1;

	*out = NULL;
	extra = CertOpenStore(CERT_STORE_PROV_MEMORY, 0, 0, 0, NULL);
	leaf = CertCreateCertificateContext(X509_ASN_ENCODING, chain->certs[0]->der,
					    (DWORD)chain->certs[0]->der_len);
	whost = uct_win_wide(host);
	if (extra == NULL || leaf == NULL || whost == NULL) {
		uct_win_err(err, UCT_E_CRYPTO, GetLastError(), "cannot prepare the verification");
		goto out;
	}
	for (i = 1; i < chain->n; i++)
		CertAddEncodedCertificateToStore(extra, X509_ASN_ENCODING, chain->certs[i]->der,
						 (DWORD)chain->certs[i]->der_len,
						 CERT_STORE_ADD_USE_EXISTING, NULL);
	if (capi_new_engine(machine, &engine, err) < 0 ||
	    capi_get_chain(engine, leaf, extra, host, out, err) < 0 ||
	    capi_ssl_policy(*out, whost, host, policy_error, err) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0 && *out != NULL) {
		CertFreeCertificateChain(*out);
		*out = NULL;
	}
	if (engine != NULL)
		CertFreeCertificateChainEngine(engine);
	if (leaf != NULL)
		CertFreeCertificateContext(leaf);
	if (extra != NULL)
		CertCloseStore(extra, 0);
	free(whost);
	return rc;
}

int uct_capi_chain_check(const struct uct_chain *chain, const char *host, int machine,
			 enum uct_capi_chain *result, char *code, size_t code_len,
			 struct uct_err *err)
{
	const CERT_CHAIN_CONTEXT *cc = NULL;
	DWORD policy_error = 0;

	*result = UCT_CAPI_UNTRUSTED;
	if (code_len > 0)
		code[0] = '\0';
	if (capi_build(chain, host, machine, &cc, &policy_error, err) < 0)
		return -1;
	*result = capi_judge(cc, policy_error, chain, host, machine, code, code_len);
	CertFreeCertificateChain(cc);
	return 0;
}

/*
 * Chromium takes a certificate from TrustedPeople as a trusted leaf only
 * when it is self-signed and only from the LocalMachine locations
 * (trust_store_win.cc: kTrustedPeopleTrust is
 * ForTrustedLeaf().WithRequireLeafSelfSigned(), gathered from
 * LOCAL_MACHINE, LOCAL_MACHINE_GROUP_POLICY and LOCAL_MACHINE_ENTERPRISE;
 * "Trusted end-entity certs are only allowed for server auth in the local
 * machine store"). So a CA-issued leaf there never counts, nor one in
 * CurrentUser\TrustedPeople; a user's run sees what the machine's holds.
 */
static int capi_trusted_leaf(const struct uct_cert *leaf, const char *host)
{
	const CERT_CONTEXT *ctx;
	int64_t now = uct_now();
	int found;

	if (!leaf->self_signed || !uct_cert_matches_host(leaf, host) || now < leaf->not_before ||
	    now > leaf->not_after)
		return 0;
	ctx = CertCreateCertificateContext(X509_ASN_ENCODING, leaf->der, (DWORD)leaf->der_len);
	if (ctx == NULL)
		return 0;
	found = capi_in_system_store(ctx, L"TrustedPeople", 1);
	CertFreeCertificateContext(ctx);
	return found;
}

/*
 * An administrator's CAPlatformIntegrationEnabled = 0 makes Chrome or Edge
 * ignore what the Windows stores hold beyond Microsoft's roots: what the
 * stores would trust, that browser does not. The stores serve both
 * browsers as one, so the verdict is the stricter one.
 */
static void capi_policy_verdict(struct uct_verify_result *out)
{
	char where[160];

	if (!out->trusted || !uct_win_ca_policy_off(where, sizeof(where)))
		return;
	out->trusted = 0;
	snprintf(out->code, sizeof(out->code), "CA_PLATFORM_INTEGRATION_DISABLED");
	snprintf(out->detail, sizeof(out->detail),
		 "%s ignores the Windows stores: the policy CAPlatformIntegrationEnabled is 0 "
		 "there; the administrator must remove it or set it to 1",
		 where);
}

static int capi_verify(struct uct_store *store, const struct uct_chain *chain, const char *host,
		       int port, struct uct_verify_result *out, struct uct_err *err)
{
	struct capi_impl *im = store->impl;
	enum uct_capi_chain result;

	(void)port;
	memset(out, 0, sizeof(*out));
	if (capi_require_open(store, 0, err) < 0)
		return -1;
	if (chain == NULL || chain->n == 0) {
		snprintf(out->code, sizeof(out->code), "NO_CHAIN");
		return 0;
	}
	if (uct_capi_chain_check(chain, host, im->machine, &result, out->code, sizeof(out->code),
				 err) < 0)
		return -1;
	if (result == UCT_CAPI_ROOTED) {
		out->trusted = 1;
	} else if (result == UCT_CAPI_SELF_SIGNED_LEAF &&
		   capi_trusted_leaf(chain->certs[0], host)) {
		out->trusted = 1;
		out->code[0] = '\0';
		snprintf(
			out->detail, sizeof(out->detail),
			"trusted as a self-signed server certificate in LocalMachine\\TrustedPeople "
			"(Chrome and Edge)");
	} else if (!chain->certs[0]->self_signed) {
		snprintf(out->detail, sizeof(out->detail),
			 "Windows does not trust the chain (%s); Chrome and Edge take no CA-issued "
			 "server certificate on its own: approve its CA with --ca-file or a pin",
			 out->code);
	} else {
		snprintf(out->detail, sizeof(out->detail), "Windows does not trust the chain (%s)",
			 out->code);
	}
	capi_policy_verdict(out);
	return 0;
}

static void capi_destroy(struct uct_store *store)
{
	if (store == NULL)
		return;
	capi_close(store);
	uct_store_free_base(store);
}

static const struct uct_store_ops capi_ops = {
	.name = "capi",
	.caps = UCT_STORE_NO_CA_ISSUED_LEAF,
	.open = capi_open,
	.list = capi_list,
	.add = capi_add,
	.remove = capi_remove,
	.verify = capi_verify,
	.update_browser_policy = capi_update_browser_policy,
	.close = capi_close,
	.destroy = capi_destroy,
};

struct uct_store *uct_store_capi_new(int machine, struct uct_err *err)
{
	struct uct_store *store = calloc(1, sizeof(*store));
	struct capi_impl *im = calloc(1, sizeof(*im));
	const char *where = machine ? "LocalMachine" : "CurrentUser";

	if (store == NULL || im == NULL) {
		free(store);
		free(im);
		uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
		return NULL;
	}
	im->machine = machine;
	store->ops = &capi_ops;
	store->impl = im;
	store->browser = UCT_BROWSER_SYSTEM;
	store->id = uct_asprintf("capi:%s", where);
	store->path = uct_asprintf("%s\\Root,TrustedPeople,CA", where);
	store->group = uct_strdup("windows");
	if (store->id == NULL || store->path == NULL || store->group == NULL) {
		capi_destroy(store);
		uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
		return NULL;
	}
	return store;
}
