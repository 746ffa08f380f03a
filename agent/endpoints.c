/*
 * endpoints.c: the agent's endpoints, from its configuration through the
 * derivation it shares with the collector's probe (core/endpoints.c).
 */
#include "endpoints.h"

int uct_endpoints_build(const struct uct_config *cfg, struct uct_endpoints *out,
			struct uct_err *err)
{
	struct uct_endpoint_spec spec = {
		.nodes = cfg->nodes,
		.socialminer = cfg->socialminer,
		.urls = cfg->urls,
		.roles = cfg->roles,
	};

	return uct_endpoints_derive(&spec, out, err);
}
