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
	/* Not the Windows stores, although they are the machine's: the store
	 * itself puts each trust where Chrome and Edge read it as narrowly as
	 * they allow (a CA:TRUE leaf in TrustedPeople, never Root). */
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
	    (an->approval == UCT_AP_PINNED || an->approval == UCT_AP_CA_FILE)) {
		*want = an->chromium;
		return;
	}
	/* A self-signed CA:FALSE certificate is its own anchor for OpenSSL and
	 * Firefox, and signs nothing else. A private CA's leaf is not: OpenSSL
	 * accepts a non-self-signed anchor only with partial chains, which no
	 * program enables by default. A CA:TRUE leaf never goes here unpinned. */
	if (an->chromium.trust == UCT_TRUST_PEER && cert->self_signed && !cert->is_ca)
		*want = an->chromium;
}
