/*
 * main.c: uccx-trust-collector: reads the configuration and secrets, opens
 * the database, starts the writer and the HTTP server, and on SIGTERM or
 * SIGINT finishes the requests in progress before it exits.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "col.h"

/* Reads a whole PEM file into a string; NULL with errno on failure. */
static char *main_read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			char *p;
			cap = cap ? cap * 2 : 8192;
			if ((p = realloc(buf, cap)) == NULL)
				break;
			buf = p;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0) {
			fclose(f);
			buf[len] = '\0';
			return buf;
		}
	}
	fclose(f);
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	struct col_config cfg;
	struct col_err err = {0};
	struct col_tokens agent = {0}, admin = {0};
	struct col_db *db = NULL;
	struct col_writer *writer = NULL;
	struct col_server *server = NULL;
	char *cert = NULL, *key = NULL, db_shown[512];
	sigset_t stop;
	unsigned port = 0;
	int sig = 0, rc = 1;

	if (col_config_load(argc, argv, &cfg, &err) < 0) {
		fprintf(stderr, "uccx-trust-collector: %s (see --help)\n", err.msg);
		return 2;
	}
	if (cfg.help) {
		col_config_usage(stdout);
		col_config_free(&cfg);
		return 0;
	}
	if (cfg.version) {
		printf("uccx-trust-collector %s\n", COL_VERSION);
		col_config_free(&cfg);
		return 0;
	}
	if (cfg.db_path == NULL || cfg.agent_token_file == NULL || cfg.admin_token_file == NULL) {
		fprintf(stderr, "uccx-trust-collector: --db, --agent-token-file and "
				"--admin-token-file are required (see --help)\n");
		col_config_free(&cfg);
		return 2;
	}
	if ((cfg.tls_cert == NULL) != (cfg.tls_key == NULL)) {
		fprintf(stderr, "uccx-trust-collector: --tls-cert and --tls-key go together\n");
		col_config_free(&cfg);
		return 2;
	}
	if (col_tokens_load(cfg.agent_token_file, &agent, &err) < 0 ||
	    col_tokens_load(cfg.admin_token_file, &admin, &err) < 0) {
		col_log("error", "%s", err.msg);
		goto out;
	}
	if (cfg.tls_cert != NULL) {
		if ((cert = main_read_file(cfg.tls_cert)) == NULL ||
		    (key = main_read_file(cfg.tls_key)) == NULL) {
			col_log("error", "cannot read the TLS certificate or key: %s", strerror(errno));
			goto out;
		}
	}

	/* Signals are taken by sigwait below: every thread started from here
	 * on inherits the mask, so none of them is interrupted by SIGTERM. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	col_db_target_display(cfg.db_path, db_shown, sizeof(db_shown));
	if (col_db_open(cfg.db_path, cfg.sync, &db, &err) < 0) {
		col_log("error", "database %s: %s", db_shown, err.msg);
		goto out;
	}
	if (col_writer_start(db, &writer, &err) < 0) {
		col_log("error", "%s", err.msg);
		goto out;
	}
	{
		struct col_server_opts o = {.cfg = &cfg, .db = db, .writer = writer, .agent = &agent,
					    .admin = &admin, .tls_cert_pem = cert, .tls_key_pem = key};
		if (col_server_start(&o, &server, &port, &err) < 0) {
			col_log("error", "%s", err.msg);
			goto out;
		}
	}
	if (cert == NULL)
		col_log("warning", "no --tls-cert/--tls-key: plain HTTP, loopback only");
	col_log("info", "listening on %s://%.*s:%u, database %s (%s), synchronous=%s",
		cert ? "https" : "http", (int)(strrchr(cfg.listen, ':') - cfg.listen), cfg.listen,
		port, db_shown, col_db_backend_name(db),
		cfg.sync == COL_SYNC_FULL ? "full" : "normal");

	while (sigwait(&stop, &sig) != 0)
		;
	col_log("info", "signal %d: finishing requests in progress", sig);
	col_server_drain(server, 10000);
	rc = 0;
out:
	col_server_stop(server);
	col_writer_stop(writer);
	col_db_close(db);
	col_tokens_free(&agent);
	col_tokens_free(&admin);
	free(cert);
	if (key != NULL) {
		memset(key, 0, strlen(key));
		free(key);
	}
	col_config_free(&cfg);
	if (rc == 0)
		col_log("info", "stopped");
	return rc;
}
