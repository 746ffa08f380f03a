/*
 * approved.h: what the collector's signed trust document approves, asked
 * by the collector trust mode: a server certificate for one endpoint or
 * for every port of a host, or a CA for a list of hosts (DESIGN.md's
 * trust safety rules hold for both).
 */
#ifndef UCT_APPROVED_H
#define UCT_APPROVED_H

#include "platform.h"
#include "uct.h"

/* 1 when doc approves the server certificate with this SHA-256 at
 * host:port: an endpoint approval for host:port or a host approval for
 * host (names compared without regard to case). 0 otherwise, and for a
 * NULL doc. */
int uct_approved_leaf(const struct uct_trustdoc *doc, const unsigned char sha256[UCT_SHA256_LEN],
		      const char *host, int port);
/* 1 when doc approves the CA certificate with this SHA-256 for host. */
int uct_approved_ca(const struct uct_trustdoc *doc, const unsigned char sha256[UCT_SHA256_LEN],
		    const char *host);
/* 1 when doc approves the certificate with this SHA-256, in any way, for
 * one of the endpoints of hostports ("h:p,h:p"). */
int uct_approved_for_any(const struct uct_trustdoc *doc, const unsigned char sha256[UCT_SHA256_LEN],
			 const char *hostports);

/*
 * Append to chain the CA certificates doc approves (their PEM), so that
 * a chain whose server leaves out its root still reaches it and the run
 * can install it. A PEM that does not hold a certificate with the
 * approved fingerprint is left out and named in *skipped (one line each,
 * NULL allowed). -1 only when out of memory (err).
 */
int uct_approved_ca_certs(const struct uct_trustdoc *doc, struct uct_chain *chain,
			  struct uct_strv *skipped, struct uct_err *err);

#endif
