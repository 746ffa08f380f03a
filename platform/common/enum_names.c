/*
 * enum_names.c: the stable lower-case names of platform.h's enums (fetch
 * statuses, trust kinds, browsers) used in reports and JSON.
 */
#include "platform.h"

/* Names used in reports and JSON: stable, lower-case. */
const char *uct_fetch_status_name(enum uct_fetch_status s)
{
	switch (s) {
	case UCT_FETCH_NOT_RUN: return "not-run";
	case UCT_FETCH_OK: return "ok";
	case UCT_FETCH_DNS: return "dns";
	case UCT_FETCH_REFUSED: return "refused";
	case UCT_FETCH_TIMEOUT: return "timeout";
	case UCT_FETCH_TLS: return "tls";
	case UCT_FETCH_PROXY: return "proxy";
	case UCT_FETCH_ERROR: return "error";
	}
	return "error";
}

const char *uct_trust_name(enum uct_trust t)
{
	switch (t) {
	case UCT_TRUST_NONE: return "none";
	case UCT_TRUST_PEER: return "peer";
	case UCT_TRUST_PEER_ONLY: return "peer-only";
	case UCT_TRUST_ROOT: return "root";
	case UCT_TRUST_OVERRIDE: return "override";
	}
	return "none";
}

const char *uct_browser_name(enum uct_browser b)
{
	switch (b) {
	case UCT_BROWSER_CHROMIUM: return "chromium";
	case UCT_BROWSER_FIREFOX: return "firefox";
	case UCT_BROWSER_SYSTEM: return "system";
	}
	return "unknown";
}
