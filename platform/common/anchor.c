/*
 * anchor.c: the check every store makes before it writes an anchor, so that
 * no store can be asked for trust wider than the certificate allows, even
 * by a caller with a bug (defence in depth behind the analysis), and which
 * Windows store an anchor goes to, as a rule every platform's tests see.
 */
#include <stdio.h>

#include "platform.h"

int uct_trust_lets_sign(enum uct_trust trust)
{
	return trust == UCT_TRUST_PEER || trust == UCT_TRUST_ROOT;
}

/* Why a certificate may not act as an issuer, for the message. */
static const char *anchor_why(const struct uct_cert *cert)
{
	switch (uct_cert_ca_claim(cert)) {
	case UCT_CLAIM_CA:
		return "says CA:TRUE and was not approved as a CA (pin it or give it with "
		       "--ca-file to make it a root)";
	case UCT_CLAIM_END_ENTITY: return "says CA:FALSE";
	case UCT_CLAIM_NONE: break;
	}
	if (cert->version != 3)
		return "is X.509 v1 or v2 and says nothing about being a CA (regenerate it on "
		       "the server as X.509 v3 with basicConstraints CA:FALSE)";
	return "has no basicConstraints and so does not say CA:FALSE (regenerate it on the "
	       "server with basicConstraints CA:FALSE)";
}

enum uct_win_store uct_win_store_for(const struct uct_anchor *anchor)
{
	if (anchor == NULL || anchor->cert == NULL)
		return UCT_WIN_NONE;
	switch (anchor->trust) {
	case UCT_TRUST_ROOT:
		/* An approved CA is an anchor only in Root, self-signed or not
		 * (Chromium's trust_store_win.cc reads Root with
		 * ForTrustAnchorOrLeaf and CA as intermediates only; Firefox's
		 * EnterpriseRoots.cpp never takes CA as anchors): never CA. */
		return uct_cert_may_be_issuer(anchor->cert, 1) ? UCT_WIN_ROOT : UCT_WIN_NONE;
	case UCT_TRUST_PEER:
		/* A self-signed certificate that says CA:FALSE is its own
		 * anchor and can sign nothing; a CA's leaf helps no browser in
		 * any Windows store (see below). */
		if (!uct_cert_may_be_issuer(anchor->cert, 0))
			return UCT_WIN_NONE;
		return anchor->cert->self_signed ? UCT_WIN_ROOT : UCT_WIN_NONE;
	case UCT_TRUST_PEER_ONLY:
		/* Chrome and Edge take a leaf from TrustedPeople only when it is
		 * self-signed (kTrustedPeopleTrust = ForTrustedLeaf()
		 * .WithRequireLeafSelfSigned()), and Firefox never reads it: a
		 * CA-issued leaf there would help no browser. */
		return anchor->cert->self_signed ? UCT_WIN_PEOPLE : UCT_WIN_NONE;
	default: return UCT_WIN_NONE;
	}
}

int uct_anchor_check(const struct uct_anchor *anchor, const char *store_id, struct uct_err *err)
{
	char fp[UCT_FP_STRLEN];

	if (anchor == NULL || anchor->cert == NULL)
		return uct_err_set(err, UCT_E_USAGE, 0, "%s: nothing to install", store_id);
	if (!uct_trust_lets_sign(anchor->trust))
		return 0;
	/* Only the analysis asks for a root, and only for an approved CA; a
	 * store cannot see the approval but can see the shape. */
	if (uct_cert_may_be_issuer(anchor->cert, anchor->trust == UCT_TRUST_ROOT))
		return 0;
	uct_fp_format(anchor->cert->sha256, fp);
	return uct_err_set(err, UCT_E_USAGE, 0,
			   "%s: refusing %s trust for %.200s (SHA-256 %.23s...): the certificate "
			   "%s; that trust would let its key sign certificates for any site, so it "
			   "is trusted for its own server only",
			   store_id, uct_trust_name(anchor->trust),
			   anchor->cert->subject != NULL ? anchor->cert->subject : "a certificate",
			   fp, anchor_why(anchor->cert));
}
