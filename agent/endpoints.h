/*
 * endpoints.h: the UCCX URLs a PC must trust, derived from the agent's
 * configuration by the shared derivation of core/uct_endpoints.h.
 */
#ifndef UCT_AGENT_ENDPOINTS_H
#define UCT_AGENT_ENDPOINTS_H

#include "config.h"
#include "uct_endpoints.h"

/* uct_endpoints_derive over cfg's nodes, SocialMiner, extra URLs and
 * roles; same failures and ownership. */
int uct_endpoints_build(const struct uct_config *cfg, struct uct_endpoints *out,
			struct uct_err *err);

#endif
