/*
 * main.c: the uccx-trust command. Parses the configuration, picks the log
 * sink, runs the command and maps the outcome to an exit code a script can
 * use: 0 all trusted, 1 some endpoint not trusted or unreachable, 2 usage
 * or configuration error, 3 system error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "doctor.h"
#include "log.h"
#include "platform.h"
#include "report.h"
#include "run.h"
#include "send.h"
#include "trustsrc.h"

#define EXIT_NOT_TRUSTED 1
#define EXIT_USAGE 2
#define EXIT_SYSTEM 3

/* A message on stderr: it may quote a value from a file or a server, so it
 * is escaped (uct.h) before it reaches the terminal. */
static void say(const char *what, const char *msg)
{
	char *safe = uct_text_escape(msg);

	fprintf(stderr, "uccx-trust: %s%s\n", what, safe != NULL ? safe : "(out of memory)");
	free(safe);
}

/* Reporting never changes the outcome: it only says how it went. */
static void report_to_collector(const struct uct_config *cfg, const struct uct_run *run, int code)
{
	struct uct_send_result sent;

	uct_send_report(cfg, run, code, &sent);
	if (!sent.enabled || cfg->quiet)
		return;
	if (sent.problem[0] != '\0')
		say("report: ", sent.problem);
	if (!cfg->json)
		printf("Report: %d sent to the collector, %d waiting for the next run%s\n",
		       sent.sent, sent.waiting,
		       sent.dropped > 0 ? " (the spool was full: oldest dropped)" : "");
}

/* The log level the flags ask for. */
static enum uct_log_level log_level(const struct uct_config *cfg)
{
	return cfg->quiet ? UCT_LOG_ERROR : cfg->verbose ? UCT_LOG_DEBUG : UCT_LOG_WARN;
}

/* Load the configuration and answer --help and --version. Returns the exit
 * code when the program is done here, -1 when a command is to run. */
static int load(struct uct_config *cfg, int argc, char **argv)
{
	struct uct_err err = {0};

	if (uct_config_load(cfg, argc, argv, &err) < 0) {
		say("", err.msg);
		if (err.code == UCT_E_USAGE)
			fprintf(stderr, "Run 'uccx-trust --help' for the commands and options.\n");
		return EXIT_USAGE;
	}
	if (cfg->help) {
		fputs(uct_config_usage(), stdout);
		return 0;
	}
	if (cfg->version) {
		printf("uccx-trust %s (JSON schema %d)\n", UCT_VERSION, UCT_JSON_SCHEMA);
		return 0;
	}
	return -1;
}

/* check, install, remove or status: run it, show the outcome, report it. */
static int run_command(const struct uct_config *cfg)
{
	struct uct_run run;
	struct uct_run_inputs in = {0};
	struct uct_err err = {0};
	int code, failed;

	memset(&run, 0, sizeof(run));
	failed = uct_trustsrc_attach(cfg, &in, &err) < 0 ||
		 uct_run_execute_with(&run, cfg, &in, &err) < 0;
	if (failed) {
		/* A run that stopped early may not have waited for the
		 * document: the fetch is joined before anything else. */
		uct_trustsrc_free(in.trust_ctx);
		in.trust_ctx = NULL;
		code = (err.code == UCT_E_USAGE || err.code == UCT_E_CONFIG) ? EXIT_USAGE
									     : EXIT_SYSTEM;
		if (cfg->json)
			uct_report_json(stdout, &run, &err, code);
		say("", err.msg);
	} else {
		code = cfg->command == UCT_CMD_STATUS ? 0 : run.outcome.exit_code;
		if (cfg->json)
			uct_report_json(stdout, &run, NULL, code);
		else if (cfg->command == UCT_CMD_STATUS)
			uct_report_status_text(stdout, &run);
		else if (!cfg->quiet)
			uct_report_text(stdout, &run, cfg->verbose);
	}
	/* status only reports when asked: it runs at every login and changes
	 * nothing, so the fleet would otherwise fill with identical reports. */
	if (cfg->command != UCT_CMD_STATUS || cfg->status_report)
		report_to_collector(cfg, &run, code);
	uct_run_free(&run);
	uct_trustsrc_free(in.trust_ctx); /* after the run: it borrows the document */
	return code;
}

int main(int argc, char **argv)
{
	struct uct_config cfg;
	struct uct_err err = {0};
	void *log_ctx = NULL;
	uct_log_sink log_sink;
	size_t i;
	int code;

	uct_config_init(&cfg);
	code = load(&cfg, argc, argv);
	if (code >= 0) {
		uct_config_free(&cfg);
		return code;
	}
	log_sink = uct_platform_log_sink(&log_ctx);
	uct_log_set_sink(log_sink, log_ctx, log_level(&cfg));
	for (i = 0; i < cfg.warnings.n && !cfg.quiet; i++)
		say("warning: ", cfg.warnings.v[i]);
	if (uct_platform_init(&err) < 0) {
		say("", err.msg);
		uct_config_free(&cfg);
		return EXIT_SYSTEM;
	}
	if (cfg.command == UCT_CMD_DOCTOR)
		code = uct_doctor_main(&cfg, stdout, log_level(&cfg));
	else
		code = run_command(&cfg);
	uct_config_free(&cfg);
	uct_platform_cleanup();
	return code;
}
