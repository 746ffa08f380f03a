/*
 * probe.c: the collector's own view of the UCCX servers. A thread derives
 * the agents' URLs from [probe] (core/uct_endpoints.h), fetches each
 * HOST:PORT's chain every interval with the agent's fetch code (platform.h),
 * and records the leaf it saw in the store (probe_db.c), which approves it
 * when auto_approve = probe.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "col.h"
#include "platform.h"
#include "uct_endpoints.h"

/* One round may take this long per target set: the fetch runs them at once. */
#define PROBE_CONNECT_MS 5000
#define PROBE_TOTAL_MS 15000

struct col_probe {
	const struct col_probe_config *cfg; /* borrowed */
	struct col_db *db;                  /* borrowed */
	struct uct_endpoints eps;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* signalled by col_probe_stop */
	int stop;
};

/* Records one target's chain; the fingerprints live on the stack. */
static void probe_record(struct col_probe *p, size_t t, const struct uct_fetch_target *ft,
			 int64_t now)
{
	char fps[8][UCT_FP_STRLEN];
	const char *chain[8], *urls[16];
	struct col_probe_sight s = {.host = ft->host, .port = (unsigned)ft->port};
	struct col_probe_change change;
	struct col_err err = {0};
	size_t i;

	for (i = 0; i < ft->chain.n && i < 8; i++) {
		uct_fp_format(ft->chain.certs[i]->sha256, fps[i]);
		chain[i] = fps[i];
	}
	s.chain_sha256 = chain;
	s.n_chain = i;
	s.sha256 = fps[0];
	for (i = 0; i < p->eps.n && s.n_urls < 16; i++)
		if (p->eps.v[i].target == t)
			urls[s.n_urls++] = p->eps.v[i].url;
	s.urls = urls;
	if (col_db_probe_record(p->db, &s, p->cfg->auto_approve, now, &change, &err) < 0) {
		col_log("error", "probe: %s:%d: cannot record what it saw: %s", ft->host, ft->port,
			err.msg);
		return;
	}
	if (change.approved_id != 0)
		col_log("info", "probe: %s:%d serves %s: approved (approval %lld)", ft->host,
			ft->port, s.sha256, (long long)change.approved_id);
	if (change.revoked != 0)
		col_log("info", "probe: %s:%d: %zu earlier approval(s) of the probe revoked",
			ft->host, ft->port, change.revoked);
}

/* One round: every HOST:PORT fetched at once, each leaf recorded. */
static void probe_round(struct col_probe *p)
{
	struct uct_net_opts opts = {.connect_timeout_ms = PROBE_CONNECT_MS,
				    .total_timeout_ms = PROBE_TOTAL_MS,
				    .connect_to = &p->cfg->connect_to};
	struct uct_fetch_target *targets;
	struct uct_err err = {0};
	int64_t now = (int64_t)time(NULL);
	size_t i;

	targets = calloc(p->eps.n_targets, sizeof(*targets));
	if (targets == NULL) {
		col_log("error", "probe: out of memory");
		return;
	}
	for (i = 0; i < p->eps.n_targets; i++) {
		targets[i].host = p->eps.targets[i].host;
		targets[i].port = p->eps.targets[i].port;
		targets[i].path = p->eps.targets[i].path;
	}
	if (uct_fetch_chains(targets, p->eps.n_targets, &opts, &err) < 0) {
		col_log("error", "probe: cannot fetch: %s", err.msg);
		goto out;
	}
	for (i = 0; i < p->eps.n_targets; i++) {
		if (targets[i].status != UCT_FETCH_OK || targets[i].chain.n == 0)
			col_log("warning", "probe: %s:%d: %s (%s)", targets[i].host,
				targets[i].port, uct_fetch_status_name(targets[i].status),
				targets[i].detail);
		else
			probe_record(p, i, &targets[i], now);
	}
out:
	for (i = 0; i < p->eps.n_targets; i++)
		uct_chain_clear(&targets[i].chain);
	free(targets);
}

static void *probe_main(void *arg)
{
	struct col_probe *p = arg;
	struct timespec until;
	int stop;

	for (;;) {
		probe_round(p);
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += (time_t)p->cfg->interval_s;
		pthread_mutex_lock(&p->lock);
		while (!p->stop && pthread_cond_timedwait(&p->wake, &p->lock, &until) != ETIMEDOUT)
			;
		stop = p->stop;
		pthread_mutex_unlock(&p->lock);
		if (stop)
			return NULL;
	}
}

int col_probe_start(const struct col_probe_config *cfg, struct col_db *db, struct col_probe **out,
		    struct col_err *err)
{
	struct uct_endpoint_spec spec = {.nodes = cfg->nodes, .socialminer = cfg->socialminer};
	struct col_probe *p;
	struct uct_err why = {0};
	pthread_condattr_t attr;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		col_err_set(err, COL_REJ_CONFIG, "probe: out of memory");
		return -1;
	}
	p->cfg = cfg;
	p->db = db;
	if (uct_endpoints_derive(&spec, &p->eps, &why) < 0) {
		col_err_set(err, COL_REJ_CONFIG, "probe: %s", why.msg);
		free(p);
		return -1;
	}
	/* The wait is on the monotonic clock: a clock change neither skips
	 * nor stretches a round. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&p->wake, &attr);
	pthread_condattr_destroy(&attr);
	pthread_mutex_init(&p->lock, NULL);
	if (pthread_create(&p->thread, NULL, probe_main, p) != 0) {
		col_err_set(err, COL_REJ_CONFIG, "probe: cannot start its thread");
		pthread_cond_destroy(&p->wake);
		pthread_mutex_destroy(&p->lock);
		uct_endpoints_free(&p->eps);
		free(p);
		return -1;
	}
	*out = p;
	return 0;
}

void col_probe_stop(struct col_probe *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	uct_net_release();
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	uct_endpoints_free(&p->eps);
	free(p);
}

size_t col_probe_targets(const struct col_probe *p)
{
	return p->eps.n_targets;
}
