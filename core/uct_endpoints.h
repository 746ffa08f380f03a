/*
 * uct_endpoints.h: the UCCX URLs to trust, derived from the UCCX nodes,
 * SocialMiner, extra URLs and roles (the table of DESIGN.md), and their
 * grouping by host:port so that each server is contacted once. Shared by
 * the agent and the collector's probe, so that both see the same URLs.
 */
#ifndef UCT_ENDPOINTS_H
#define UCT_ENDPOINTS_H

#include "uct.h"

/* Roles select endpoints (see endpoints.c for the table). */
#define UCT_ROLE_AGENT 0x1u
#define UCT_ROLE_SUPERVISOR 0x2u
#define UCT_ROLE_REPORTING 0x4u
#define UCT_ROLE_ADMIN 0x8u
#define UCT_ROLE_ALL 0xfu

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

/* What the endpoints are derived from; every member is borrowed. */
struct uct_endpoint_spec {
	struct uct_strv nodes;   /* UCCX node FQDNs */
	const char *socialminer; /* FQDN or NULL */
	struct uct_strv urls;    /* extra https URLs */
	unsigned roles;          /* UCT_ROLE_* mask; 0: all */
};

/* Derive the endpoint list of spec's nodes, SocialMiner, extra URLs and
 * roles. Fails (UCT_E_CONFIG) for a malformed URL or when nothing is
 * configured. out is cleared on entry and owned by the caller. */
int uct_endpoints_derive(const struct uct_endpoint_spec *spec, struct uct_endpoints *out,
			 struct uct_err *err);
void uct_endpoints_free(struct uct_endpoints *eps); /* NULL-safe */

/* Split "https://host[:port][/path]" (https only). Port defaults to 443,
 * path to "/". host is lower-cased. Outputs owned by the caller. */
int uct_url_parse(const char *url, char **host, int *port, char **path, struct uct_err *err);

#endif
