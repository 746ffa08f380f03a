/*
 * state.h: the agent's small local memory: which certificate each endpoint
 * presented when it was approved (trust on first use), what the agent
 * installed in which store, and the last run's outcome. A text file written
 * atomically; a damaged file is set aside, never trusted.
 */
#ifndef UCT_STATE_H
#define UCT_STATE_H

#include "platform.h"
#include "uct.h"

/* The certificate an endpoint was last approved with. */
struct uct_seen {
	char *hostport; /* "host:port" */
	unsigned char sha256[UCT_SHA256_LEN];
	int64_t not_after;
	char *names; /* sorted SAN dNSNames (or CN) joined by ',' */
	int64_t first_seen;
};

/* One object the agent installed in one store. */
struct uct_installed {
	char *store_id;
	unsigned char sha256[UCT_SHA256_LEN];
	enum uct_trust trust;
	char *hostports; /* endpoints it serves, "h:p,h:p" (for overrides: one) */
	int collector;   /* installed for an approval of the collector's document */
};

struct uct_state {
	struct uct_seen *seen;
	size_t n_seen;
	struct uct_installed *installed;
	size_t n_installed;
	int64_t last_run;
	int last_exit;
	char *last_command;
	char *last_summary;  /* one line: "11/13 endpoints trusted" */
	char *saved_records; /* the records as last read or written (internal) */
	/* Set by a run in the collector trust mode with a valid document:
	 * every record added or merged from then on is marked collector. */
	int mark_collector;
};

/* Load path into st (cleared on entry). A missing file is an empty state.
 * A damaged file is renamed to PATH.damaged, st is left empty and
 * *damaged is set (the caller warns); only I/O errors fail. */
int uct_state_load(const char *path, struct uct_state *st, int *damaged, struct uct_err *err);
/* Write st to path atomically and durably (mode 0600) when its records
 * changed since loaded or saved; otherwise only the last run's outcome, to
 * PATH.last (atomic, not waited for: its loss costs nothing, and failing to
 * write it is only logged). Loading takes the newer outcome of the two. */
int uct_state_save(const char *path, struct uct_state *st, struct uct_err *err);
void uct_state_free(struct uct_state *st); /* NULL-safe; leaves st empty */

/* Lookups return borrowed pointers into st, or NULL. */
struct uct_seen *uct_state_find_seen(const struct uct_state *st, const char *hostport);
struct uct_installed *uct_state_find_installed(const struct uct_state *st, const char *store_id,
					       const unsigned char sha256[UCT_SHA256_LEN]);
/* Record (replace) the approved certificate for hostport. */
int uct_state_set_seen(struct uct_state *st, const char *hostport, const struct uct_cert *leaf,
		       int64_t now);
/* Record an installed object; merges hostport into an existing record.
 * With st->mark_collector the record is marked collector. */
int uct_state_add_installed(struct uct_state *st, const char *store_id,
			    const unsigned char sha256[UCT_SHA256_LEN], enum uct_trust trust,
			    const char *hostport);
void uct_state_drop_installed(struct uct_state *st, const char *store_id,
			      const unsigned char sha256[UCT_SHA256_LEN]);
/* The names of a certificate as the state keeps them (newly allocated). */
char *uct_state_cert_names(const struct uct_cert *cert);

#endif
