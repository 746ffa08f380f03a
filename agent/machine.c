/*
 * machine.c: what a machine-scope store (the system anchors, Firefox's
 * policies.json, /etc/pki/nssdb) may hold for an endpoint. Those stores
 * trust for every program and every user of the PC, so they take less than
 * a browser's own database (DESIGN.md, "Trust safety").
 */
#include <string.h>

#include "machine.h"

int uct_store_is_machine(const struct uct_store *store)
{
	return uct_store_supports(store, UCT_STORE_MACHINE);
}

void uct_machine_want(const struct uct_analysis *an, struct uct_want *want)
{
	const struct uct_cert *cert = an->chromium.cert;

	memset(want, 0, sizeof(*want));
	if (cert == NULL)
		return;
	/* A root only when a pin or a CA file approved it: a first-use CA
	 * would let whoever answered first sign for any name, machine-wide. */
	if (an->chromium.trust == UCT_TRUST_ROOT &&
	    (an->approval == UCT_AP_PINNED || an->approval == UCT_AP_CA_FILE) &&
	    uct_cert_may_be_issuer(cert, 1)) {
		*want = an->chromium;
		return;
	}
	/* A self-signed certificate that says CA:FALSE is its own anchor for
	 * OpenSSL and Firefox, and signs nothing else. A private CA's leaf is
	 * not: OpenSSL accepts a non-self-signed anchor only with partial
	 * chains, which no program enables by default. A CA:TRUE leaf never
	 * goes here unpinned, nor one that says nothing (v1, no
	 * basicConstraints): every file here is an issuer for every program. */
	if (an->chromium.trust == UCT_TRUST_PEER && cert->self_signed &&
	    uct_cert_may_be_issuer(cert, 0))
		*want = an->chromium;
}

const char *uct_machine_advice(const struct uct_analysis *an)
{
	struct uct_want want;

	if (an->leaf == NULL || !an->chromium_fixable || !an->firefox_fixable)
		return NULL;
	uct_machine_want(an, &want);
	/* Firefox refuses a CA:TRUE certificate as a server's own
	 * (MOZILLA_PKIX_ERROR_CA_CERT_USED_AS_END_ENTITY) whatever root store
	 * holds it: only an exception in each profile helps. */
	if (an->leaf->is_ca && an->leaf->self_signed && want.cert != NULL)
		return "its self-signed certificate says CA:TRUE, which Firefox never accepts as a "
		       "server's certificate from the machine's policy; each user's login run "
		       "(uccx-trust install --scope user) adds a Firefox exception for it";
	if (an->leaf->is_ca && an->leaf->self_signed)
		return "its self-signed certificate says CA:TRUE: made a machine anchor it could "
		       "sign for any name, so the machine scope installs it only when pinned, and "
		       "Firefox never accepts it that way; each user's login run (uccx-trust "
		       "install --scope user) adds it for that user (Chromium for this server "
		       "only, Firefox as an exception)";
	if (want.cert == NULL)
		return "its certificate comes from a private CA that was not approved, and the "
		       "machine scope trusts only approved CAs and self-signed CA:FALSE "
		       "certificates; each user's login run (uccx-trust install --scope user) adds "
		       "it for that user, or pin the CA (--pin) or give it with --ca-file to trust "
		       "it machine-wide";
	return NULL;
}
