/*
 * run.h: one run of the agent (check, install, remove, status) from the
 * configuration to a result structure that report.c renders as text or
 * JSON. The pipeline: endpoints -> fetch -> analyse -> per store: list,
 * verify, plan, apply, verify -> state.
 */
#ifndef UCT_RUN_H
#define UCT_RUN_H

#include "analyse.h"
#include "config.h"
#include "endpoints.h"
#include "platform.h"
#include "state.h"
#include "vcache.h"

enum uct_verdict {
	UCT_V_UNKNOWN = 0,
	UCT_V_TRUSTED,
	UCT_V_NOT_TRUSTED, /* this PC could trust it, and does not (yet) */
	UCT_V_CANNOT_FIX,  /* no trust on a PC helps: the fix is on the server */
	UCT_V_DEFERRED,    /* written when the browser closes (Firefox running) */
	UCT_V_UNREACHABLE,
	UCT_V_REFUSED, /* not approved by the trust mode: not installed */
	UCT_V_PENDING, /* collector mode: waiting for approval, not installed */
};
const char *uct_verdict_name(enum uct_verdict v);

/* One endpoint as seen by one browser profile (a group of stores). */
struct uct_group_verdict {
	const char *group; /* borrowed from the store */
	enum uct_browser browser;
	enum uct_verdict before, after;
	char code[64]; /* the browser's or NSS's error name when not trusted */
};

struct uct_ep_result {
	const struct uct_endpoint *ep;         /* borrowed from run->read.eps */
	const struct uct_fetch_target *target; /* borrowed from run->read.targets */
	struct uct_analysis an;
	struct uct_group_verdict *gv;
	size_t n_gv;
	enum uct_verdict verdict; /* the worst over all groups */
};

enum uct_change_action { UCT_CH_ADD = 0, UCT_CH_UPDATE, UCT_CH_REMOVE };
enum uct_change_status { UCT_CS_PLANNED = 0, UCT_CS_DONE, UCT_CS_FAILED, UCT_CS_DEFERRED };
const char *uct_change_action_name(enum uct_change_action a);
const char *uct_change_status_name(enum uct_change_status s);

struct uct_change {
	const struct uct_store *store; /* borrowed */
	enum uct_change_action action;
	enum uct_trust trust;
	unsigned char sha256[UCT_SHA256_LEN];
	char *subject;   /* for people */
	char *hostports; /* endpoints it serves */
	enum uct_change_status status;
	char error[512];
	int recorded_ahead; /* its record was saved before the store was written */
};

/* What one store answered for each endpoint, before and after the run's
 * changes (the store's verify op), and whether it could be used at all. */
struct uct_store_answers {
	struct uct_verify_result *before; /* eps.n, one per endpoint */
	struct uct_verify_result *after;
	int failed;         /* the store could not be opened or used */
	int64_t checked_at; /* when its answers were obtained; 0: not read */
};

/*
 * What a caller gives a run in place of what it finds on the PC. main()
 * gives nothing (NULL): the run discovers the user's or the machine's
 * stores and fetches every chain from its server. A test gives stores that
 * live in memory and chains it made.
 */
struct uct_run_inputs {
	/* Borrowed, used in this order, never freed by the run (a caller reads
	 * them afterwards); NULL: discover the stores. */
	struct uct_store **stores;
	size_t n_stores;
	/* NULL: uct_fetch_chains. Otherwise called in its place, with the same
	 * contract: fill each target's status and chain, -1 with err only when
	 * nothing could be fetched at all. */
	int (*fetch)(struct uct_fetch_target *targets, size_t n, void *ctx, struct uct_err *err);
	void *fetch_ctx;
	/* Collector mode: called once, after the servers were fetched, for
	 * the checked trust document. 0 with *doc (borrowed from the caller,
	 * valid until the run is freed), or -1 with err saying why there is
	 * no valid document. NULL: there is none ("no trust document source").
	 * Never called in the other modes, nor by remove and status. */
	int (*trust)(void *ctx, const struct uct_trustdoc **doc, struct uct_err *err);
	void *trust_ctx;
};

/* What the run read and analysed: the endpoints, the chains their servers
 * sent, the configured CA files, and one result per endpoint. */
struct uct_run_read {
	struct uct_endpoints eps;
	struct uct_fetch_target *targets; /* eps.n_targets */
	struct uct_chain ca_certs; /* and, in collector mode, the CAs the document approves */
	struct uct_ep_result *res; /* eps.n */
	/* Collector mode: the trust document (borrowed from inputs.trust), or
	 * NULL and then trust_problem says why (owned). */
	const struct uct_trustdoc *trustdoc;
	char *trust_problem;
};

/* The stores the run drives, in order, and what each answered. */
struct uct_run_stores {
	struct uct_store **v;
	size_t n;
	struct uct_store_answers *answers; /* n; NULL until the stores are known */
};

/* The changes planned for the stores, with how each went. */
struct uct_run_plan {
	struct uct_change *changes;
	size_t n_changes;
};

/* What the run keeps between runs: the state file of what the agent
 * installed and the verification cache, both under state_dir. */
struct uct_run_record {
	struct uct_state state;
	char *state_dir;
	int state_damaged;
	struct uct_vcache vcache; /* answers of unchanged stores, from earlier runs */
	int vcache_on;            /* use it (not with --recheck) */
};

/* What the run tells the user and the caller. */
struct uct_run_outcome {
	struct uct_strv notices;  /* what the user must do */
	struct uct_strv problems; /* store and system errors, for people */
	int exit_code;
	int64_t started;
	int64_t elapsed_ms;
};

/*
 * One run, one struct per step. The steps of a store (plan.h, reconcile.h,
 * recall.h) take only the parts they use; report.h, doctor.h and send.h
 * take the whole run, since they render all of it.
 */
struct uct_run {
	const struct uct_config *cfg; /* borrowed */
	struct uct_run_inputs inputs; /* what the caller gave (pointers borrowed) */
	struct uct_run_read read;
	struct uct_run_stores stores;
	struct uct_run_plan plan;
	struct uct_run_record record;
	struct uct_run_outcome outcome;
};

/*
 * Run cfg->command. Returns 0 when the run completed (its outcome is in
 * run->exit_code: 0 all trusted, 1 some not), -1 on a usage, configuration
 * or system error (err says which; the caller maps it to exit 2 or 3).
 * run is overwritten; free with uct_run_free().
 */
int uct_run_execute(struct uct_run *run, const struct uct_config *cfg, struct uct_err *err);
/* The same with what the caller gives in place of discovery and the network
 * (in may be NULL: uct_run_execute). */
int uct_run_execute_with(struct uct_run *run, const struct uct_config *cfg,
			 const struct uct_run_inputs *in, struct uct_err *err);
void uct_run_free(struct uct_run *run); /* NULL-safe */

/* The answers of store s, NULL when the run did not get as far as the
 * stores (status). Borrowed from run. */
struct uct_store_answers *uct_run_answers(const struct uct_run *run, size_t s);
/* The same from the stores alone. */
struct uct_store_answers *uct_run_stores_answers(const struct uct_run_stores *stores, size_t s);
/* 1 when store s could not be opened or used. */
int uct_run_store_failed(const struct uct_run *run, size_t s);
/* When the answers of store s were obtained (seconds since the epoch; 0:
 * not read, or from the cache: when the cache got them). */
int64_t uct_run_store_checked_at(const struct uct_run *run, size_t s);

/* The chain that endpoint i of run is verified with: what its server sent,
 * or NULL when it was not reached. Borrowed from run. */
const struct uct_chain *uct_run_chain(const struct uct_run *run, size_t i);
/* The same from what the run read alone. */
const struct uct_chain *uct_run_read_chain(const struct uct_run_read *read, size_t i);

#endif
