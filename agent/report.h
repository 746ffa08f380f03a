/*
 * report.h: the two renderings of a run's result: text for a person and
 * one JSON document (schema in docs/json-schema.md) for scripts and the
 * collector. Both read the same struct uct_run.
 */
#ifndef UCT_REPORT_H
#define UCT_REPORT_H

#include <stdio.h>

#include "run.h"

/* Human output: one line per endpoint, what changed, what to do. verbose
 * adds certificate details. */
void uct_report_text(FILE *out, const struct uct_run *run, int verbose);
/* The state for `status`: what is installed where, the last run. */
void uct_report_status_text(FILE *out, const struct uct_run *run);
/* One JSON document (schema UCT_JSON_SCHEMA) followed by a newline.
 * For a failed run (err set) it still writes a document with "error". */
void uct_report_json(FILE *out, const struct uct_run *run, const struct uct_err *err,
		     int exit_code);
/* The same, as sent to the collector: with its report id and the number of
 * earlier reports dropped from a full spool. */
void uct_report_json_ex(FILE *out, const struct uct_run *run, const struct uct_err *err,
			int exit_code, const char *report_id, long reports_dropped);

#endif
