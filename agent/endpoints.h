/*
 * endpoints.h: the UCCX URLs a PC must trust, built from the configuration
 * (the table of DESIGN.md), and their grouping by host:port so that each
 * server is contacted once.
 */
#ifndef UCT_ENDPOINTS_H
#define UCT_ENDPOINTS_H

#include "config.h"

struct uct_endpoint {
	char *name; /* "appadmin", "notification", "finesse", "cfadmin", "cuic",
			 "livedata", "socialminer", "url" */
	char *host; /* lower-case FQDN */
	int port;
	char *path; /* "/appadmin/main" */
	char *url;  /* "https://host:port/path" as a user would type it */
	unsigned roles;
	size_t target; /* index of its distinct host:port in uct_endpoints.targets */
};

struct uct_hostport {
	char *host;
	int port;
	char *path; /* the first endpoint's path (used for the handshake) */
};

struct uct_endpoints {
	struct uct_endpoint *v;
	size_t n;
	struct uct_hostport *targets; /* distinct host:port, in first-seen order */
	size_t n_targets;
};

/* Build the endpoint list for cfg's nodes, SocialMiner, extra URLs and
 * roles. Fails (UCT_E_CONFIG) for a malformed URL or when nothing is
 * configured. out is cleared on entry and owned by the caller. */
int uct_endpoints_build(const struct uct_config *cfg, struct uct_endpoints *out,
			struct uct_err *err);
void uct_endpoints_free(struct uct_endpoints *eps); /* NULL-safe */

/* Split "https://host[:port][/path]" (https only). Port defaults to 443,
 * path to "/". host is lower-cased. Outputs owned by the caller. */
int uct_url_parse(const char *url, char **host, int *port, char **path, struct uct_err *err);

#endif
