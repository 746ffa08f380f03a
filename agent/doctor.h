/*
 * doctor.h: `uccx-trust doctor`, the helpdesk's command: a check whose
 * result is explained per endpoint for a person (what is wrong, on the PC
 * or on the server, and the next step), and an optional support bundle.
 */
#ifndef UCT_DOCTOR_H
#define UCT_DOCTOR_H

#include <stdio.h>

#include "config.h"
#include "run.h"

/* Run cfg (command doctor) as a check, print the explanation (or the JSON
 * with --json) to out, write cfg->bundle_path when set. Returns the exit
 * code main returns: 0 all trusted, 1 not, 2 usage, 3 system error (the
 * bundle could not be written counts as 3). Logs go to stderr at
 * log_level and, all of them, into the bundle. */
int uct_doctor_main(struct uct_config *cfg, FILE *out, int log_level);

/* The explanation of a finished run (exposed for tests). */
void uct_doctor_text(FILE *out, const struct uct_run *run);
/* The support bundle: one text file with the explanation, the JSON result,
 * the log lines, every chain as PEM, the state file and the stores.
 * log may be NULL. Fails with UCT_E_IO. */
int uct_doctor_bundle(const char *path, const struct uct_run *run, const struct uct_err *run_err,
		      int exit_code, const struct uct_strv *log, struct uct_err *err);

#endif
