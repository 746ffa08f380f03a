/*
 * send.h: delivery of run results to the central collector. Each result
 * goes to a spool directory first, then every spooled report is sent,
 * oldest first; what cannot be delivered now is sent by a later run.
 * Reporting never fails or blocks the install itself.
 */
#ifndef UCT_SEND_H
#define UCT_SEND_H

#include "run.h"

/* At most this many reports wait in the spool; older ones are dropped
 * (and counted in the next report's "reports_dropped"). */
#define UCT_SPOOL_MAX 50
/* Reports the collector refused (400, 413) are set aside next to the
 * spool, in spool.rejected, for the helpdesk; at most this many, the
 * oldest dropped. */
#define UCT_REJECTED_MAX 10
/* The whole delivery, all spooled reports together, is bounded by this. */
#define UCT_REPORT_BUDGET_MS 10000

struct uct_send_result {
	int enabled;       /* a collector is configured */
	int sent;          /* reports the collector accepted (2xx) */
	int waiting;       /* left in the spool for a later run */
	int rejected;      /* refused as malformed (400, 413): set aside in spool.rejected */
	int dropped;       /* dropped because the spool was full */
	char problem[512]; /* the last delivery problem, for people */
};

/* Render run (with a new report id) into the spool under state_dir, then
 * deliver the spool to cfg->report_url. Never fails the run: what went
 * wrong is in out->problem. */
void uct_send_report(const struct uct_config *cfg, const struct uct_run *run, int exit_code,
		     struct uct_send_result *out);

/* A new random (version 4) UUID as text into buf (37 bytes). */
int uct_uuid(char buf[37], struct uct_err *err);

#endif
