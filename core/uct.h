/*
 * uct.h: the vocabulary shared by the agent, its platforms and the
 * collector: certificates, chains, fingerprints, host names, owned strings
 * and text escaping (errors come from uct_err.h). Nothing here knows an
 * operating system or a crypto library; native types stay in platform/,
 * and so does the lifetime of a parsed certificate (platform.h).
 */
#ifndef UCT_H
#define UCT_H

#include <stddef.h>
#include <stdint.h>

#include "uct_err.h"

#define UCT_VERSION "0.1.0"
#define UCT_JSON_SCHEMA 1

/* ---- growable arrays of owned strings -------------------------------- */

struct uct_strv {
	char **v;
	size_t n;
};
/* Append a copy of s. Returns 0, or -1 on allocation failure. */
int uct_strv_push(struct uct_strv *sv, const char *s);
int uct_strv_contains(const struct uct_strv *sv, const char *s);
void uct_strv_clear(struct uct_strv *sv); /* frees members, NULL-safe */

/* strdup that returns NULL for NULL. */
char *uct_strdup(const char *s);
/* Formats into a newly allocated string; NULL on failure. */
char *uct_asprintf(const char *fmt, ...) __attribute__((format(UCT_PRINTF_FORMAT, 1, 2)));

/* ---- text from outside ------------------------------------------------ */

/*
 * Every string that came from a server or a file is data. Before it reaches a
 * terminal, JSON, a report, a log line or a record it goes through this
 * escaping: the result is valid UTF-8 without C0 or C1 controls, DEL, the
 * line and paragraph separators U+2028/U+2029 or the bidirectional controls
 * (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069), which could forge
 * lines or reorder what a person reads. A forbidden ASCII byte or a byte that
 * is not part of valid UTF-8 becomes "\xNN", a forbidden character
 * "\u{XXXX}". A backslash is kept as it is, so escaping is idempotent (text
 * escaped once is left alone) but not reversible: the result is for display
 * and comparison, never to be decoded.
 */
/* The escaped copy of the len bytes at s (which may hold NULs); NULL when
 * out of memory. Owned by the caller. */
char *uct_text_escape_n(const char *s, size_t len);
/* The same for a NUL-terminated string; NULL for NULL or out of memory. */
char *uct_text_escape(const char *s);
/* The escaped copy of s (NULL: "") kept in keep, which owns it until
 * uct_strv_clear(keep): for renderers that print many values in one
 * statement. Never NULL: out of memory gives a static "(out of memory)". */
const char *uct_text_keep(struct uct_strv *keep, const char *s);
/* 1 when the len bytes at s are left unchanged by uct_text_escape_n. */
int uct_text_is_safe_n(const char *s, size_t len);
int uct_text_is_safe(const char *s); /* NUL-terminated; NULL is safe */
/*
 * A value quoted for a message, into buf (size bytes, UCT_QUOTE_BUF is
 * always enough): escaped, and when longer than UCT_QUOTE_MAX bytes cut at
 * a character boundary and followed by "... (N bytes)", so that a huge
 * value never crowds out the reason and the fix of the message around it.
 * Returns buf; NULL s is "".
 */
#define UCT_QUOTE_MAX 64
#define UCT_QUOTE_BUF (UCT_QUOTE_MAX * 4 + 48)
const char *uct_text_quote(const char *s, char *buf, size_t size);
/* The same into a buffer of the enclosing block (a compound literal), for
 * a message argument: uct_err_set(err, ..., "'%s' is ...", UCT_QUOTED(v)). */
#define UCT_QUOTED(s) uct_text_quote((s), (char[UCT_QUOTE_BUF]){0}, UCT_QUOTE_BUF)

/* ---- certificates ------------------------------------------------------ */

#define UCT_SHA256_LEN 32
/* "AA:BB:..." uppercase, 95 chars + NUL */
#define UCT_FP_STRLEN (UCT_SHA256_LEN * 3)

enum uct_key_type { UCT_KEY_OTHER = 0, UCT_KEY_RSA, UCT_KEY_EC, UCT_KEY_ED };

/* X.509 key usage bits, in the RFC 5280 order. */
#define UCT_KU_DIGITAL_SIGNATURE 0x01u
#define UCT_KU_KEY_ENCIPHERMENT 0x04u
#define UCT_KU_KEY_CERT_SIGN 0x20u

/*
 * One parsed certificate, filled by the platform's parser (OpenSSL on Linux,
 * crypt32 on Windows) so that the analysis is the same code everywhere.
 * All strings and arrays are owned by the struct.
 * A struct made by hand (tests, calloc) leaves native NULL. Freed with
 * uct_cert_free (platform.h), which also releases the native handle.
 */
struct uct_cert {
	unsigned char *der;
	size_t der_len;
	char *subject; /* one line, RFC 2253 order: "CN=x,O=y" */
	char *issuer;
	char *subject_cn;        /* NULL when absent */
	char *serial_hex;        /* uppercase hex, no separators */
	struct uct_strv san_dns; /* dNSName entries as written */
	struct uct_strv san_ip;  /* iPAddress entries, printable form */
	int64_t not_before;      /* seconds since the epoch, UTC */
	int64_t not_after;
	enum uct_key_type key_type;
	int key_bits;              /* RSA modulus bits, EC field bits */
	char sig_alg[48];          /* e.g. "sha256WithRSAEncryption" */
	int version;               /* X.509 version as people count it: 1, 2 or 3; 0 unknown */
	int has_basic_constraints; /* exactly one basicConstraints that decodes */
	int is_ca;                 /* basicConstraints cA; 0 when the extension is absent */
	int has_key_usage;
	unsigned key_usage; /* UCT_KU_* */
	int has_eku;
	int eku_server_auth;
	int self_issued;      /* subject == issuer */
	int self_signed;      /* self-issued and the signature verifies with its own key */
	int unknown_critical; /* a critical extension the browsers do not know */
	char *aia_ca_issuers; /* first caIssuers URL, NULL when absent */
	unsigned char sha256[UCT_SHA256_LEN];
	/*
	 * The platform's decoded certificate (an X509 *, a PCCERT_CONTEXT),
	 * one reference owned by this struct, or NULL. Decoding is the costly
	 * part of a signature check with OpenSSL 3 (the public key), so the
	 * parser keeps what it decoded and uct_cert_signed_by reuses it.
	 * Opaque here: only platform/ looks inside; NULL is always valid.
	 */
	void *native;
};

/* What a certificate explicitly says about signing other certificates. */
enum uct_ca_claim {
	/* Nothing: X.509 v1 or v2, or v3 without basicConstraints. Browsers
	 * then let a trusted certificate's key sign for any name (NSS takes
	 * a v1 certificate trusted with "C" as a CA; Chromium does not check
	 * an anchor's own constraints). */
	UCT_CLAIM_NONE = 0,
	UCT_CLAIM_END_ENTITY, /* v3, basicConstraints with cA FALSE */
	UCT_CLAIM_CA,         /* v3, basicConstraints with cA TRUE */
};
enum uct_ca_claim uct_cert_ca_claim(const struct uct_cert *cert);
/*
 * The one rule for trust that lets a certificate's key act as an issuer
 * (NSS "C", the Windows Root store, the Linux system anchors, Firefox's
 * Certificates.Install). 1 when cert may hold such trust: an explicit
 * CA:FALSE (its own constraint keeps its key from signing anything, so the
 * trust covers this certificate only), or an explicit CA:TRUE that a pin or
 * a CA file approved as a CA (ca_approved). Never for a certificate that
 * says nothing: trust is decided from what it says, not from what it
 * leaves out. 0 for NULL.
 */
int uct_cert_may_be_issuer(const struct uct_cert *cert, int ca_approved);
/* Uppercase colon-separated SHA-256 into buf (UCT_FP_STRLEN bytes). */
void uct_fp_format(const unsigned char sha256[UCT_SHA256_LEN], char *buf);
/* Parse a fingerprint: 64 hex digits, colons/spaces and case optional.
 * Returns 0, or -1 when the text is not a SHA-256 fingerprint. */
int uct_fp_parse(const char *text, unsigned char out[UCT_SHA256_LEN]);

/* A chain as the server sent it: certs[0] is the leaf. Owns its certs
 * (uct_chain_push and uct_chain_clear, platform.h). */
struct uct_chain {
	struct uct_cert **certs;
	size_t n;
};

/* ---- hostnames ---------------------------------------------------------- */

/* 1 when s is an IPv4 or IPv6 literal. */
int uct_is_ip_literal(const char *s);
/* 1 when s looks like an FQDN: at least two labels, LDH syntax, not an IP. */
int uct_is_fqdn(const char *s);
/* RFC 6125 match of host against one dNSName pattern (leftmost '*' only,
 * no partial-label wildcards, case-insensitive). */
int uct_name_matches(const char *pattern, const char *host);
/* 1 when any SAN dNSName of cert matches host (CN is not consulted). */
int uct_cert_matches_host(const struct uct_cert *cert, const char *host);

#endif
