/*
 * analyse.h: what the agent concludes about one endpoint's chain: facts
 * about the certificate (findings), whether the browsers could accept it
 * once trusted, whether it is approved under the trust mode, and exactly
 * which certificate each kind of store must hold, scoped as narrowly as
 * the browsers allow (DESIGN.md, "Trust safety").
 */
#ifndef UCT_ANALYSE_H
#define UCT_ANALYSE_H

#include "config.h"
#include "platform.h"
#include "state.h"
#include "uct.h"

/* Findings: results about a certificate, not errors. */
#define UCT_F_NO_SAN 0x0001u        /* CN only: Chromium cannot accept it at all */
#define UCT_F_NAME_MISMATCH 0x0002u /* not issued for this host: never installed */
#define UCT_F_EXPIRED 0x0004u
#define UCT_F_NOT_YET_VALID 0x0008u
#define UCT_F_WEAK_KEY 0x0010u /* RSA under 2048 bits */
#define UCT_F_CA_LEAF 0x0020u  /* the server's own certificate says CA:TRUE */
#define UCT_F_UNKNOWN_CRITICAL 0x0040u
#define UCT_F_EXPIRING 0x0080u         /* expires within UCT_EXPIRING_DAYS */
#define UCT_F_WEAK_SIGNATURE 0x0100u   /* SHA-1 or MD5 signature */
#define UCT_F_INCOMPLETE_CHAIN 0x0200u /* a private CA whose root is not known */
#define UCT_F_NO_SERVER_AUTH 0x0400u   /* EKU present without serverAuth */
/* The server's certificate does not say CA:FALSE (X.509 v1, or no
 * basicConstraints): browsers would let its key sign for any name if it
 * were trusted as a CA, so it is trusted as this server only. */
#define UCT_F_NO_CA_FALSE 0x0800u
#define UCT_F_LAST UCT_F_NO_CA_FALSE /* the highest bit: loops over findings end here */

#define UCT_EXPIRING_DAYS 30

/* Stable names for findings, for JSON ("no-san", ...). */
const char *uct_finding_name(unsigned finding);

enum uct_chain_kind {
	UCT_CK_NONE = 0,       /* no chain (unreachable) */
	UCT_CK_SELF_SIGNED,    /* self-signed, CA:FALSE or saying nothing (v1, no BC) */
	UCT_CK_SELF_SIGNED_CA, /* self-signed, CA:TRUE (appliance style) */
	UCT_CK_PRIVATE_CA,     /* issued by a CA */
};
const char *uct_chain_kind_name(enum uct_chain_kind kind);

enum uct_approval {
	UCT_AP_NONE = 0,
	UCT_AP_FIRST_USE,        /* tofu: never seen before */
	UCT_AP_KNOWN,            /* tofu: the certificate approved before */
	UCT_AP_RENEWAL,          /* tofu: a normal renewal of the known certificate */
	UCT_AP_ACCEPTED_CHANGE,  /* tofu: changed, and --accept-change was given */
	UCT_AP_PINNED,           /* a certificate of the chain is pinned */
	UCT_AP_CA_FILE,          /* the chain leads to an approved CA file */
	UCT_AP_REFUSED_CHANGED,  /* tofu: changed, not a renewal: refused */
	UCT_AP_REFUSED_UNPINNED, /* pinned mode, nothing in the chain pinned */
	UCT_AP_COLLECTOR,        /* collector: the server certificate is approved */
	UCT_AP_COLLECTOR_CA,     /* collector: a CA of the chain is approved for the host */
	UCT_AP_PENDING,          /* collector: not approved (or no valid document) */
};
const char *uct_approval_name(enum uct_approval ap);
/* 1 for the approvals that allow installing. */
int uct_approval_ok(enum uct_approval ap);

/* One certificate a store should hold, and how. */
struct uct_want {
	const struct uct_cert *cert; /* borrowed from the chain or the CA list; NULL: nothing */
	enum uct_trust trust;
};

struct uct_analysis {
	const struct uct_cert *leaf; /* borrowed from the chain */
	const struct uct_cert *root; /* the CA at the top, when known */
	enum uct_chain_kind kind;
	unsigned findings;
	enum uct_approval approval;
	/* What each kind of store must hold for this endpoint (nothing when the
	 * endpoint is not approved or cannot be fixed on a PC). */
	struct uct_want chromium; /* Chromium / Chrome NSS databases */
	struct uct_want firefox;  /* a Firefox profile's NSS database */
	int firefox_override;     /* a cert_override.txt line for host:port */
	/* Whether any trust on this PC can make each browser load the page. */
	int chromium_fixable, firefox_fixable;
	char chromium_code[64], firefox_code[64]; /* browser error when not fixable */
	char reason[384];                         /* plain words: why not installed / not fixable */
	char server_advice[256]; /* what to do on the server, when that is the fix */
};

struct uct_analyse_ctx {
	const struct uct_config *cfg;
	const struct uct_chain *ca_certs; /* --ca-file certificates */
	const struct uct_state *state;
	int64_t now;
	/* Collector mode: the checked trust document (borrowed), or NULL when
	 * there is none, and then why, for people. */
	const struct uct_trustdoc *trustdoc;
	const char *trust_problem;
};

/* The error the browser shows for the endpoint whatever trust a
 * certificate database of its gives the certificate, or NULL: Firefox
 * refuses a CA:TRUE server certificate (mozilla::pkix), and every browser
 * one without SAN (Chrome 58 and later, Firefox ignore the CN); measured
 * with Firefox ESR 153 and Chromium through NSS (DESIGN.md). */
const char *uct_browser_refuses(const struct uct_analysis *an, enum uct_browser browser);
/* The error Firefox shows when only its profile's database (or its machine
 * policy) trusts the certificate and the analysis wants an exception
 * instead, or NULL when that trust makes the page load. */
const char *uct_firefox_db_refusal(const struct uct_analysis *an);

/* Analyse the chain presented by host:port. Never fails: what it finds is
 * the result. out is overwritten; it borrows from chain and ctx. */
void uct_analyse(const struct uct_analyse_ctx *ctx, const char *host, int port,
		 const struct uct_chain *chain, struct uct_analysis *out);

#endif
