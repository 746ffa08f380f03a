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
	/* The Windows stores ("capi") are machine-wide too, but they place each
	 * certificate by its trust themselves (Root, TrustedPeople, CA), so a
	 * server-only leaf stays scoped there: they take the browser's rule. */
	if (strcmp(store->ops->name, "capi") == 0)
		return 0;
	return store->browser == UCT_BROWSER_SYSTEM || strcmp(store->ops->name, "ff-policy") == 0;
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
