/*
 * analyse.c: from a chain as the server sent it to what must be trusted,
 * following the browser behaviour measured in DESIGN.md and its trust
 * safety rules. Pure: no I/O, so the whole table of cases is unit-tested.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <stdlib.h>
#include <time.h>

#include "analyse.h"
#include "approved.h"

#define DAY (24 * 60 * 60)
#define MAX_DEPTH 10

const char *uct_finding_name(unsigned finding)
{
	switch (finding) {
	case UCT_F_NO_SAN: return "no-san";
	case UCT_F_NAME_MISMATCH: return "name-mismatch";
	case UCT_F_EXPIRED: return "expired";
	case UCT_F_NOT_YET_VALID: return "not-yet-valid";
	case UCT_F_WEAK_KEY: return "weak-key";
	case UCT_F_CA_LEAF: return "ca-leaf";
	case UCT_F_UNKNOWN_CRITICAL: return "unknown-critical-extension";
	case UCT_F_EXPIRING: return "expiring-soon";
	case UCT_F_WEAK_SIGNATURE: return "weak-signature";
	case UCT_F_INCOMPLETE_CHAIN: return "incomplete-chain";
	case UCT_F_NO_SERVER_AUTH: return "no-server-auth";
	case UCT_F_NO_CA_FALSE: return "no-ca-false";
	}
	return "unknown";
}

const char *uct_chain_kind_name(enum uct_chain_kind kind)
{
	switch (kind) {
	case UCT_CK_NONE: return "none";
	case UCT_CK_SELF_SIGNED: return "self-signed";
	case UCT_CK_SELF_SIGNED_CA: return "self-signed-ca";
	case UCT_CK_PRIVATE_CA: return "ca-issued";
	}
	return "none";
}

const char *uct_approval_name(enum uct_approval ap)
{
	switch (ap) {
	case UCT_AP_NONE: return "none";
	case UCT_AP_FIRST_USE: return "first-use";
	case UCT_AP_KNOWN: return "known";
	case UCT_AP_RENEWAL: return "renewal";
	case UCT_AP_ACCEPTED_CHANGE: return "accepted-change";
	case UCT_AP_PINNED: return "pinned";
	case UCT_AP_CA_FILE: return "ca-file";
	case UCT_AP_REFUSED_CHANGED: return "refused-changed";
	case UCT_AP_REFUSED_UNPINNED: return "refused-unpinned";
	case UCT_AP_COLLECTOR: return "collector";
	case UCT_AP_COLLECTOR_CA: return "collector-ca";
	case UCT_AP_PENDING: return "pending";
	}
	return "none";
}

int uct_approval_ok(enum uct_approval ap)
{
	return ap != UCT_AP_NONE && ap != UCT_AP_REFUSED_CHANGED && ap != UCT_AP_REFUSED_UNPINNED &&
	       ap != UCT_AP_PENDING;
}

/* SHA-1 or MD5 in a signature algorithm name, in any case: OpenSSL says
 * "sha1WithRSAEncryption", "ecdsa-with-SHA1". (No strcasestr: it is not in
 * the C library on every platform.) */
static int sig_alg_weak(const char *alg)
{
	char lower[sizeof(((struct uct_cert *)0)->sig_alg)];
	size_t i;

	for (i = 0; alg[i] != '\0' && i + 1 < sizeof(lower); i++)
		lower[i] = (char)tolower((unsigned char)alg[i]);
	lower[i] = '\0';
	return strstr(lower, "sha1") != NULL || strstr(lower, "md5") != NULL;
}

static void fmt_date(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%d", &tm) == 0)
		snprintf(buf, len, "?");
}

/* The names a certificate is for, for messages. */
/* The name a message shows for cert. A name longer than any DNS name
 * (253) is quoted shortened into buf, so that it cannot push the reason
 * and the advice out of the message. */
static const char *cert_name(const struct uct_cert *cert, char *buf, size_t size)
{
	const char *name = cert->san_dns.n > 0        ? cert->san_dns.v[0]
			   : cert->subject_cn != NULL ? cert->subject_cn
						      : cert->subject;

	return name != NULL && strlen(name) > 253 ? uct_text_quote(name, buf, size) : name;
}

static unsigned leaf_findings(const struct uct_cert *leaf, const char *host, int64_t now)
{
	unsigned f = 0;

	if (leaf->san_dns.n == 0 && leaf->san_ip.n == 0) {
		f |= UCT_F_NO_SAN;
		/* Only Firefox's override can still help, and only when the
		 * legacy CN names this host. */
		if (leaf->subject_cn == NULL || !uct_name_matches(leaf->subject_cn, host))
			f |= UCT_F_NAME_MISMATCH;
	} else if (!uct_cert_matches_host(leaf, host)) {
		f |= UCT_F_NAME_MISMATCH;
	}
	if (now > leaf->not_after)
		f |= UCT_F_EXPIRED;
	else if (leaf->not_after - now < (int64_t)UCT_EXPIRING_DAYS * DAY)
		f |= UCT_F_EXPIRING;
	if (now < leaf->not_before)
		f |= UCT_F_NOT_YET_VALID;
	if (leaf->key_type == UCT_KEY_RSA && leaf->key_bits < 2048)
		f |= UCT_F_WEAK_KEY;
	if (uct_cert_ca_claim(leaf) == UCT_CLAIM_CA)
		f |= UCT_F_CA_LEAF;
	else if (uct_cert_ca_claim(leaf) == UCT_CLAIM_NONE)
		f |= UCT_F_NO_CA_FALSE;
	if (sig_alg_weak(leaf->sig_alg))
		f |= UCT_F_WEAK_SIGNATURE;
	if (leaf->has_eku && !leaf->eku_server_auth)
		f |= UCT_F_NO_SERVER_AUTH;
	return f;
}

static const struct uct_cert *find_issuer(const struct uct_cert *cert,
					  const struct uct_chain *chain,
					  const struct uct_chain *extra)
{
	const struct uct_chain *lists[2] = {chain, extra};
	size_t l, i;

	for (l = 0; l < 2; l++) {
		if (lists[l] == NULL)
			continue;
		for (i = 0; i < lists[l]->n; i++) {
			const struct uct_cert *cand = lists[l]->certs[i];
			/* Only a certificate that says CA:TRUE is an issuer
			 * here: one that says nothing is never a root. */
			if (cand != cert && uct_cert_ca_claim(cand) == UCT_CLAIM_CA &&
			    uct_cert_signed_by(cert, cand))
				return cand;
		}
	}
	return NULL;
}

/* Walk up from the leaf through the sent chain and the approved CAs to a
 * self-signed root; NULL when the top is not known. */
static const struct uct_cert *find_root(const struct uct_cert *leaf, const struct uct_chain *chain,
					const struct uct_chain *ca_certs)
{
	const struct uct_cert *cur = leaf, *next;
	int depth;

	for (depth = 0; depth < MAX_DEPTH; depth++) {
		if (cur->self_signed)
			return cur == leaf ? NULL : cur;
		next = find_issuer(cur, chain, ca_certs);
		if (next == NULL)
			return NULL;
		cur = next;
	}
	return NULL;
}

static int is_pinned(const struct uct_config *cfg, const struct uct_cert *cert)
{
	size_t i;

	for (i = 0; i < cfg->n_pins; i++)
		if (memcmp(cfg->pins[i], cert->sha256, UCT_SHA256_LEN) == 0)
			return 1;
	return 0;
}

static int in_list(const struct uct_chain *list, const struct uct_cert *cert)
{
	size_t i;

	for (i = 0; list != NULL && i < list->n; i++)
		if (memcmp(list->certs[i]->sha256, cert->sha256, UCT_SHA256_LEN) == 0)
			return 1;
	return 0;
}

/*
 * The topmost certificate an approval lets become a root (a pinned CA or
 * one from a CA file), or the pinned leaf itself; NULL when approval came
 * from tofu. The topmost, not the first: a CA file with the root and the
 * issuing CA, or pins on both, must anchor at the root, since a browser
 * takes a CA as an anchor only from a root store (Windows' CA store holds
 * intermediates, which Chromium and Firefox never take as anchors).
 */
static const struct uct_cert *approved_anchor(const struct uct_analyse_ctx *ctx,
					      const struct uct_chain *chain,
					      const struct uct_cert *root, enum uct_approval *ap)
{
	const struct uct_cert *cur = chain->certs[0], *top = NULL;
	int depth;

	/* Walk the path actually used (leaf, its issuers, the root) so that a
	 * pin on an unrelated certificate sent along does not count. */
	for (depth = 0; cur != NULL && depth < MAX_DEPTH; depth++) {
		if (is_pinned(ctx->cfg, cur)) {
			*ap = UCT_AP_PINNED;
			top = cur;
		} else if (cur != chain->certs[0] && in_list(ctx->ca_certs, cur)) {
			*ap = UCT_AP_CA_FILE;
			top = cur;
		}
		if (cur->self_signed || cur == root)
			break;
		cur = find_issuer(cur, chain, ctx->ca_certs);
	}
	return top;
}

static int is_renewal(const struct uct_seen *seen, const struct uct_cert *leaf, unsigned findings,
		      int64_t now)
{
	char *names;
	int same;

	/*
	 * A renewal the agent can tell apart from an attack: the same names,
	 * a new certificate that is valid now and outlives the old one, and an
	 * old one that has expired or is about to. Anything else is a change
	 * that needs a person's approval.
	 */
	if (findings & (UCT_F_EXPIRED | UCT_F_NOT_YET_VALID))
		return 0;
	/* Compared without subtracting: not_after comes from the state file,
	 * and a forged one near INT64_MIN would overflow. */
	if (seen->not_after > now + (int64_t)UCT_EXPIRING_DAYS * DAY)
		return 0;
	if (leaf->not_after <= seen->not_after)
		return 0;
	names = uct_state_cert_names(leaf);
	same = names != NULL && strcasecmp(names, seen->names) == 0;
	free(names);
	return same;
}

static void decide_approval(const struct uct_analyse_ctx *ctx, const char *host, int port,
			    const struct uct_chain *chain, struct uct_analysis *out,
			    const struct uct_cert **anchor)
{
	char hostport[300], fp[UCT_FP_STRLEN], date[32];
	const struct uct_seen *seen;

	*anchor = approved_anchor(ctx, chain, out->root, &out->approval);
	if (*anchor != NULL)
		return;
	uct_fp_format(out->leaf->sha256, fp);
	if (ctx->cfg->mode == UCT_MODE_PINNED) {
		out->approval = UCT_AP_REFUSED_UNPINNED;
		/* A private CA whose root the server does not send cannot match a
		 * pinned root: say how to give the root instead. */
		snprintf(out->reason, sizeof(out->reason),
			 "no certificate of the chain matches a configured pin (server certificate "
			 "%s); if it is genuine, add it to pins%s",
			 fp,
			 (out->findings & UCT_F_INCOMPLETE_CHAIN)
				 ? ", or give the CA's root certificate with --ca-file (the server "
				   "does not send it)"
				 : "");
		return;
	}
	snprintf(hostport, sizeof(hostport), "%s:%d", host, port);
	seen = ctx->state != NULL ? uct_state_find_seen(ctx->state, hostport) : NULL;
	if (seen == NULL)
		out->approval = UCT_AP_FIRST_USE;
	else if (memcmp(seen->sha256, out->leaf->sha256, UCT_SHA256_LEN) == 0)
		out->approval = UCT_AP_KNOWN;
	else if (is_renewal(seen, out->leaf, out->findings, ctx->now))
		out->approval = UCT_AP_RENEWAL;
	else if (ctx->cfg->accept_change)
		out->approval = UCT_AP_ACCEPTED_CHANGE;
	else {
		out->approval = UCT_AP_REFUSED_CHANGED;
		fmt_date(seen->first_seen, date, sizeof(date));
		snprintf(out->reason, sizeof(out->reason),
			 "the server now presents a different certificate (%.23s...) than the one "
			 "approved on %s, and it is not a normal renewal; if the change is "
			 "expected, run again with --accept-change or pin it",
			 fp, date);
	}
}

/* The topmost CA of the path the chain takes (through the CA certificates
 * the run knows) that the document approves for host, as approved_anchor
 * does for a CA file; NULL when none is. */
static const struct uct_cert *collector_ca(const struct uct_analyse_ctx *ctx, const char *host,
					   const struct uct_chain *chain,
					   const struct uct_cert *root)
{
	const struct uct_cert *leaf = chain->certs[0], *cur = leaf, *top = NULL;
	int depth;

	for (depth = 0; cur != NULL && depth < MAX_DEPTH; depth++) {
		if (cur != leaf && uct_approved_ca(ctx->trustdoc, cur->sha256, host))
			top = cur;
		if (cur->self_signed || cur == root)
			break;
		cur = find_issuer(cur, chain, ctx->ca_certs);
	}
	return top;
}

/*
 * The collector mode: only the signed trust document approves. A server
 * certificate approved for the endpoint or its host is trusted as tofu
 * trusts it (the narrowest trust its kind allows); a CA approved for the
 * host becomes the anchor, as a CA file does. Anything else waits for an
 * administrator, and with no valid document everything does: pins, CA
 * files and the state's earlier approvals approve nothing here.
 */
static void decide_collector(const struct uct_analyse_ctx *ctx, const char *host, int port,
			     const struct uct_chain *chain, struct uct_analysis *out,
			     const struct uct_cert **anchor)
{
	char fp[UCT_FP_STRLEN];

	*anchor = NULL;
	if (ctx->trustdoc != NULL) {
		*anchor = collector_ca(ctx, host, chain, out->root);
		if (*anchor != NULL) {
			out->approval = UCT_AP_COLLECTOR_CA;
			return;
		}
		if (uct_approved_leaf(ctx->trustdoc, out->leaf->sha256, host, port)) {
			out->approval = UCT_AP_COLLECTOR;
			return;
		}
	}
	out->approval = UCT_AP_PENDING;
	uct_fp_format(out->leaf->sha256, fp);
	if (ctx->trustdoc == NULL)
		snprintf(out->reason, sizeof(out->reason),
			 "no valid trust document from the collector (%s): nothing is installed "
			 "or removed",
			 ctx->trust_problem != NULL ? ctx->trust_problem : "none was given");
	else
		snprintf(out->reason, sizeof(out->reason),
			 "waiting for approval at the collector (server certificate %s)", fp);
}

/* Neither browser can be helped: the error each one shows. */
static void refuse_both(struct uct_analysis *out, const char *chromium_code,
			const char *firefox_code)
{
	out->chromium_fixable = out->firefox_fixable = 0;
	snprintf(out->chromium_code, sizeof(out->chromium_code), "%s", chromium_code);
	snprintf(out->firefox_code, sizeof(out->firefox_code), "%s", firefox_code);
}

static void refuse_name(const char *host, struct uct_analysis *out)
{
	refuse_both(out, "ERR_CERT_COMMON_NAME_INVALID", "SSL_ERROR_BAD_CERT_DOMAIN");
	snprintf(out->reason, sizeof(out->reason),
		 "the certificate is issued for %s, not %s: it is never installed (a wrong "
		 "server, a wrong name in the configuration, or a man in the middle)",
		 cert_name(out->leaf, (char[UCT_QUOTE_BUF]){0}, UCT_QUOTE_BUF), host);
	snprintf(out->server_advice, sizeof(out->server_advice),
		 "regenerate its certificate with %s in its Subject Alternative Name, "
		 "or use the name it was issued for",
		 host);
}

static void refuse_dates(unsigned f, struct uct_analysis *out)
{
	char date[32];

	refuse_both(out, "ERR_CERT_DATE_INVALID",
		    (f & UCT_F_EXPIRED) ? "SEC_ERROR_EXPIRED_CERTIFICATE"
					: "MOZILLA_PKIX_ERROR_NOT_YET_VALID_CERTIFICATE");
	fmt_date((f & UCT_F_EXPIRED) ? out->leaf->not_after : out->leaf->not_before, date,
		 sizeof(date));
	snprintf(out->reason, sizeof(out->reason), "the certificate %s %s",
		 (f & UCT_F_EXPIRED) ? "expired on" : "is not valid before", date);
	snprintf(out->server_advice, sizeof(out->server_advice),
		 "regenerate or renew its certificate (Cisco Unified OS Administration > "
		 "Security > Certificate Management) and check its clock");
}

static void refuse_usage(unsigned f, struct uct_analysis *out)
{
	refuse_both(out, "ERR_CERT_INVALID",
		    (f & UCT_F_NO_SERVER_AUTH) ? "SEC_ERROR_INADEQUATE_CERT_TYPE"
					       : "SEC_ERROR_UNKNOWN_CRITICAL_EXTENSION");
	snprintf(out->reason, sizeof(out->reason), "the certificate %s",
		 (f & UCT_F_NO_SERVER_AUTH)
			 ? "is not allowed for server authentication (extended key usage)"
			 : "has a critical extension browsers do not understand");
	snprintf(out->server_advice, sizeof(out->server_advice),
		 "reissue the server certificate as a standard TLS server certificate");
}

/* Chrome 58 and later ignore the CN; nothing on a PC helps Chromium. */
static void refuse_no_san(const char *host, struct uct_analysis *out)
{
	out->chromium_fixable = 0;
	snprintf(out->chromium_code, sizeof(out->chromium_code), "ERR_CERT_COMMON_NAME_INVALID");
	snprintf(out->reason, sizeof(out->reason),
		 "the certificate has no Subject Alternative Name: Chrome and Edge reject it "
		 "whatever is installed; Firefox only with an exception");
	snprintf(out->server_advice, sizeof(out->server_advice),
		 "regenerate its certificate with a Subject Alternative Name for %s, or "
		 "have it signed by a CA",
		 host);
}

/* Which browser can be helped at all, and the error each shows otherwise. */
static void decide_fixable(const char *host, struct uct_analysis *out)
{
	unsigned f = out->findings;

	out->chromium_fixable = out->firefox_fixable = 1;
	if (f & UCT_F_NAME_MISMATCH)
		refuse_name(host, out);
	else if (f & (UCT_F_EXPIRED | UCT_F_NOT_YET_VALID))
		refuse_dates(f, out);
	else if (f & (UCT_F_UNKNOWN_CRITICAL | UCT_F_NO_SERVER_AUTH))
		refuse_usage(f, out);
	else if (f & UCT_F_NO_SAN)
		refuse_no_san(host, out);
}

static void set_want(struct uct_want *w, const struct uct_cert *cert, enum uct_trust trust)
{
	w->cert = cert;
	w->trust = trust;
}

/*
 * DESIGN.md's trust table, one row per kind of chain. Trust that lets a
 * key sign (NSS "C") is given only where uct_cert_may_be_issuer allows it:
 * to a leaf that says CA:FALSE, or to a CA a pin or a CA file approved.
 * Every other leaf is trusted as that server only ("P,,"), and Firefox,
 * which ignores "P" on a server certificate, gets an exception instead.
 */
static void decide_wants(struct uct_analysis *out, const struct uct_cert *anchor)
{
	const struct uct_cert *leaf = out->leaf;
	/* An approved CA above the leaf; approved_anchor only walks issuers
	 * that say CA:TRUE. */
	int ca_anchor = anchor != NULL && anchor != leaf && uct_cert_may_be_issuer(anchor, 1) &&
			uct_cert_ca_claim(anchor) == UCT_CLAIM_CA;
	/* A pinned self-signed leaf is approved as its own CA. */
	int leaf_approved = anchor == leaf && leaf->self_signed;
	int leaf_signs = uct_cert_may_be_issuer(leaf, leaf_approved);

	if (out->chromium_fixable) {
		if (ca_anchor)
			set_want(&out->chromium, anchor, UCT_TRUST_ROOT);
		else if (!leaf_signs)
			/* CA:TRUE unapproved, or a certificate that does not
			 * say CA:FALSE: trusted as this server only. */
			set_want(&out->chromium, leaf, UCT_TRUST_PEER_ONLY);
		else if (uct_cert_ca_claim(leaf) == UCT_CLAIM_CA)
			/* A pinned self-signed CA:TRUE certificate may become a root. */
			set_want(&out->chromium, leaf, UCT_TRUST_ROOT);
		else
			set_want(&out->chromium, leaf, UCT_TRUST_PEER);
	}
	if (!out->firefox_fixable)
		return;
	/* Firefox rejects a CA:TRUE end-entity and a SAN-less certificate
	 * whatever the trust flags, and takes a leaf that does not say
	 * CA:FALSE only with "C", which would let its key sign for any name:
	 * only the per-host override is left. */
	if (uct_cert_ca_claim(leaf) == UCT_CLAIM_CA || (out->findings & UCT_F_NO_SAN))
		out->firefox_override = 1;
	else if (ca_anchor)
		set_want(&out->firefox, anchor, UCT_TRUST_ROOT);
	else if (uct_cert_may_be_issuer(leaf, 0))
		set_want(&out->firefox, leaf, UCT_TRUST_PEER);
	else
		out->firefox_override = 1;
}

const char *uct_browser_refuses(const struct uct_analysis *an, enum uct_browser browser)
{
	if (an->leaf == NULL)
		return NULL;
	if (browser == UCT_BROWSER_FIREFOX && uct_cert_ca_claim(an->leaf) == UCT_CLAIM_CA)
		return "MOZILLA_PKIX_ERROR_CA_CERT_USED_AS_END_ENTITY";
	if (an->findings & UCT_F_NO_SAN)
		return "SSL_ERROR_BAD_CERT_DOMAIN";
	return NULL;
}

/* Firefox refuses a CA:TRUE server certificate and one without SAN
 * whatever the flags, and takes one that does not say CA:FALSE only with
 * "C": where decide_wants chose an exception, database trust is not
 * enough. */
const char *uct_firefox_db_refusal(const struct uct_analysis *an)
{
	if (an->leaf == NULL || (!an->firefox_override && !(an->findings & UCT_F_NO_SAN)))
		return NULL;
	switch (uct_cert_ca_claim(an->leaf)) {
	case UCT_CLAIM_CA: return "MOZILLA_PKIX_ERROR_CA_CERT_USED_AS_END_ENTITY";
	case UCT_CLAIM_NONE:
		return an->leaf->self_signed ? "MOZILLA_PKIX_ERROR_SELF_SIGNED_CERT"
					     : "SEC_ERROR_UNKNOWN_ISSUER";
	case UCT_CLAIM_END_ENTITY: break;
	}
	return "SSL_ERROR_BAD_CERT_DOMAIN";
}

void uct_analyse(const struct uct_analyse_ctx *ctx, const char *host, int port,
		 const struct uct_chain *chain, struct uct_analysis *out)
{
	const struct uct_cert *anchor = NULL;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (chain == NULL || chain->n == 0)
		return;
	out->leaf = chain->certs[0];
	out->findings = leaf_findings(out->leaf, host, ctx->now);
	for (i = 1; i < chain->n; i++)
		if (chain->certs[i]->unknown_critical)
			out->findings |= UCT_F_UNKNOWN_CRITICAL;
	if (out->leaf->unknown_critical)
		out->findings |= UCT_F_UNKNOWN_CRITICAL;
	if (out->leaf->self_signed) {
		out->kind = uct_cert_ca_claim(out->leaf) == UCT_CLAIM_CA ? UCT_CK_SELF_SIGNED_CA
									 : UCT_CK_SELF_SIGNED;
	} else {
		out->kind = UCT_CK_PRIVATE_CA;
		out->root = find_root(out->leaf, chain, ctx->ca_certs);
		if (out->root == NULL)
			out->findings |= UCT_F_INCOMPLETE_CHAIN;
	}
	decide_fixable(host, out);
	if (!out->chromium_fixable && !out->firefox_fixable)
		return;
	if (ctx->cfg->mode == UCT_MODE_COLLECTOR)
		decide_collector(ctx, host, port, chain, out, &anchor);
	else
		decide_approval(ctx, host, port, chain, out, &anchor);
	if (!uct_approval_ok(out->approval)) {
		out->chromium_fixable = out->firefox_fixable = 0;
		return;
	}
	decide_wants(out, anchor);
}
