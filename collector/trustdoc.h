/*
 * trustdoc.h: the signed trust document: its canonical bytes, the ECDSA
 * P-256 / SHA-256 signature over them, the collector's signing key file,
 * and the check a PC runs on a fetched document. Needs only jansson and
 * OpenSSL (no collector types), so that the agent can verify with it.
 */
#ifndef COL_TRUSTDOC_H
#define COL_TRUSTDOC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* A message for a person: what failed and what to do about it. */
struct col_trust_err {
	char msg[256];
};

/* The signing key (an ECDSA P-256 private key); opaque. */
struct col_trust_key;

/*
 * Loads the PEM private key at path, or creates it (mode 0600, O_EXCL,
 * fsync'ed with its directory) when no file is there. A file readable by
 * group or others, a symlink, or a key that is not ECDSA P-256 is refused.
 * *out is the caller's (col_trust_key_free); -1 with err otherwise.
 */
int col_trust_key_load(const char *path, struct col_trust_key **out, struct col_trust_err *err);
void col_trust_key_free(struct col_trust_key *key); /* NULL-safe */

/* The public key as PEM (SubjectPublicKeyInfo), malloc'd, the caller's; NULL when out of memory. */
char *col_trust_key_public_pem(const struct col_trust_key *key);

/*
 * The canonical bytes of a document: doc without its "signature" member,
 * dumped by jansson with JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII
 * (docs/report-schema.md defines them for other implementations).
 * malloc'd, the caller's; NULL when out of memory.
 */
char *col_trust_canonical(const json_t *doc);

/* The key id: lower-case hex SHA-256 of the public key's uncompressed
 * point (04 || X || Y), as the agent computes it from the PEM public key.
 * -1 when OpenSSL cannot give the point. */
#define COL_TRUST_KEY_ID_LEN 64
int col_trust_key_id(const struct col_trust_key *key, char id[COL_TRUST_KEY_ID_LEN + 1]);

/*
 * Signs doc: sets its "key_id" member and then its "signature" member to the base64 of the DER ECDSA
 * signature over the canonical bytes. -1 with err on failure.
 */
int col_trust_sign(const struct col_trust_key *key, json_t *doc, struct col_trust_err *err);

/*
 * Checks the document text against the public key (PEM): the JSON parses,
 * "signature" is there and verifies over the canonical bytes. Expiry and
 * serial are the caller's to judge. 0 when it verifies; -1 with a message
 * naming the cause otherwise.
 */
int col_trust_verify(const char *text, size_t len, const char *public_pem,
		     struct col_trust_err *err);

#endif
