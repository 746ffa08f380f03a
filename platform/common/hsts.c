/*
 * hsts.c: the top-level domains that browsers preload whole as HTTPS-only
 * (HSTS with subdomains), a rule every platform's tests see. Firefox
 * refuses a certificate exception for an HSTS host (RFC 6797, 12.1: no
 * user recourse), so a UCCX server named under one of them can never be
 * fixed with an exception line.
 */
#include <string.h>
#include <strings.h>

#include "platform.h"

/*
 * The "gTLDs and eTLDs" section of Chromium's
 * net/http/transport_security_state_static.json, each entry
 * "policy": "public-suffix", "mode": "force-https", "include_subdomains":
 * true. Firefox builds its own preload list from that file
 * (security/manager/tools/getHSTSPreloadList.js).
 */
static const char *const hsts_tlds[] = {
	"android", "app",    "bank",      "chrome", "day",  "dev",  "foo",
	"gle",     "google", "insurance", "new",    "page", "play", "youtube",
};

const char *uct_hsts_preloaded_tld(const char *host)
{
	const char *dot;
	size_t len, i;
	char tld[32];

	if (host == NULL || (dot = strrchr(host, '.')) == NULL)
		return NULL;
	len = strlen(dot + 1);
	/* A fully qualified name may end in a dot: look before it. */
	if (len == 0) {
		const char *end = dot;

		while (dot > host && *(dot - 1) != '.')
			dot--;
		if (dot == host)
			return NULL;
		len = (size_t)(end - dot);
		dot--;
	}
	if (len == 0 || len >= sizeof(tld))
		return NULL;
	memcpy(tld, dot + 1, len);
	tld[len] = '\0';
	for (i = 0; i < sizeof(hsts_tlds) / sizeof(hsts_tlds[0]); i++)
		if (strcasecmp(tld, hsts_tlds[i]) == 0)
			return hsts_tlds[i];
	return NULL;
}
