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
#include "trustdoc.h"

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

/* --print-trust-key: the public key of --signing-key (created when missing), as PEM. */
static int main_print_trust_key(const struct col_config *cfg)
{
	struct col_trust_key *key = NULL;
	struct col_trust_err err = {{0}};
	char *pem;

	if (cfg->signing_key == NULL) {
		fprintf(stderr,
			"uccx-trust-collector: --print-trust-key needs --signing-key FILE\n");
		return 2;
	}
	if (col_trust_key_load(cfg->signing_key, &key, &err) < 0) {
		fprintf(stderr, "uccx-trust-collector: %s\n", err.msg);
		return 1;
	}
	pem = col_trust_key_public_pem(key);
	col_trust_key_free(key);
	if (pem == NULL) {
		fprintf(stderr, "uccx-trust-collector: out of memory\n");
		return 1;
	}
	fputs(pem, stdout);
	free(pem);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* What the flags ask before any start: an exit status, or -1 to start. */
static int main_early_exit(const struct col_config *cfg)
{
	if (cfg->help) {
		col_config_usage(stdout);
		return 0;
	}
	if (cfg->version) {
		printf("uccx-trust-collector %s\n", COL_VERSION);
		return 0;
	}
	if (cfg->print_trust_key)
		return main_print_trust_key(cfg);
	if (cfg->db_path == NULL || cfg->agent_token_file == NULL ||
	    cfg->admin_token_file == NULL) {
		fprintf(stderr, "uccx-trust-collector: --db, --agent-token-file and "
				"--admin-token-file are required (see --help)\n");
		return 2;
	}
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL)) {
		fprintf(stderr, "uccx-trust-collector: --tls-cert and --tls-key go together\n");
		return 2;
	}
	return -1;
}

/* The files a server needs before it starts: tokens, the signing key, TLS. */
struct main_secrets {
	struct col_tokens agent, admin;
	struct col_trust_key *trust_key;
	char *cert, *key;
};

/*
 * Every PC holds the agent token, so one that is also in the admin file
 * would let any PC approve certificates for the whole fleet: refused.
 */
static int main_tokens_shared(const struct main_secrets *m)
{
	size_t i;

	for (i = 0; i < m->agent.n; i++)
		if (col_tokens_match(&m->admin, m->agent.v[i])) {
			col_log("error",
				"token %zu of the agent token file is also an admin token; "
				"every PC holds the agent token, so give the admins tokens of "
				"their own",
				i + 1);
			return -1;
		}
	return 0;
}

static int main_load_secrets(const struct col_config *cfg, struct main_secrets *m)
{
	struct col_err err = {0};
	struct col_trust_err trust_err = {{0}};

	if (col_tokens_load(cfg->agent_token_file, &m->agent, &err) < 0 ||
	    col_tokens_load(cfg->admin_token_file, &m->admin, &err) < 0) {
		col_log("error", "%s", err.msg);
		return -1;
	}
	if (main_tokens_shared(m) < 0)
		return -1;
	if (cfg->signing_key != NULL &&
	    col_trust_key_load(cfg->signing_key, &m->trust_key, &trust_err) < 0) {
		col_log("error", "%s", trust_err.msg);
		return -1;
	}
	if (cfg->tls_cert != NULL && ((m->cert = main_read_file(cfg->tls_cert)) == NULL ||
				      (m->key = main_read_file(cfg->tls_key)) == NULL)) {
		col_log("error", "cannot read the TLS certificate or key: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void main_secrets_free(struct main_secrets *m)
{
	col_tokens_free(&m->agent);
	col_tokens_free(&m->admin);
	col_trust_key_free(m->trust_key);
	free(m->cert);
	if (m->key != NULL) {
		memset(m->key, 0, strlen(m->key));
		free(m->key);
	}
}

/* The start-up lines the tests and the operators read. */
static void main_log_listening(const struct col_config *cfg, const struct main_secrets *m,
			       unsigned port, const char *db_shown, const struct col_db *db)
{
	if (m->cert == NULL)
		col_log("warning", "no --tls-cert/--tls-key: plain HTTP, loopback only");
	col_log("info", "listening on %s://%.*s:%u, database %s (%s), synchronous=%s%s",
		m->cert ? "https" : "http", (int)(strrchr(cfg->listen, ':') - cfg->listen),
		cfg->listen, port, db_shown, col_db_backend_name(db),
		cfg->sync == COL_SYNC_FULL ? "full" : "normal",
		m->trust_key != NULL ? ", trust documents signed" : "");
}

/* The probe of [probe], when one is configured; -1 when it cannot start. */
static int main_probe_start(const struct col_config *cfg, struct col_db *db,
			    struct col_probe **probe)
{
	struct col_err err = {0};

	if (!cfg->probe.enabled)
		return 0;
	if (col_probe_start(&cfg->probe, db, probe, &err) < 0) {
		col_log("error", "%s", err.msg);
		return -1;
	}
	col_log("info", "probe: %zu HOST:PORT every %u s, auto_approve = %s",
		col_probe_targets(*probe), cfg->probe.interval_s,
		cfg->probe.auto_approve == COL_AUTO_PROBE ? "probe" : "never");
	return 0;
}

/*
 * SIGTERM and SIGINT are taken by sigwait in main_run: every thread started
 * after this inherits the mask, so none of them is interrupted by them.
 */
static void main_block_signals(sigset_t *stop)
{
	sigemptyset(stop);
	sigaddset(stop, SIGTERM);
	sigaddset(stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, stop, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Opens the store, serves until SIGTERM or SIGINT, and stops; the exit status. */
static int main_run(const struct col_config *cfg, const struct main_secrets *m)
{
	struct col_err err = {0};
	struct col_db *db = NULL;
	struct col_writer *writer = NULL;
	struct col_server *server = NULL;
	struct col_probe *probe = NULL;
	char db_shown[512];
	sigset_t stop;
	unsigned port = 0;
	int sig = 0, rc = 1;

	main_block_signals(&stop);
	col_db_target_display(cfg->db_path, db_shown, sizeof(db_shown));
	if (col_db_open(cfg->db_path, cfg->sync, &db, &err) < 0) {
		col_log("error", "database %s: %s", db_shown, err.msg);
		goto out;
	}
	if (col_writer_start(db, &writer, &err) < 0) {
		col_log("error", "%s", err.msg);
		goto out;
	}
	{
		struct col_server_opts o = {.cfg = cfg,
					    .db = db,
					    .writer = writer,
					    .agent = &m->agent,
					    .admin = &m->admin,
					    .trust_key = m->trust_key,
					    .tls_cert_pem = m->cert,
					    .tls_key_pem = m->key};
		if (col_server_start(&o, &server, &port, &err) < 0) {
			col_log("error", "%s", err.msg);
			goto out;
		}
	}
	main_log_listening(cfg, m, port, db_shown, db);

	if (main_probe_start(cfg, db, &probe) < 0)
		goto out;
	while (sigwait(&stop, &sig) != 0)
		;
	col_log("info", "signal %d: finishing requests in progress", sig);
	col_server_drain(server, 10000);
	rc = 0;
out:
	col_probe_stop(probe);
	col_server_stop(server);
	col_writer_stop(writer);
	col_db_close(db);
	return rc;
}

int main(int argc, char **argv)
{
	struct col_config cfg;
	struct col_err err = {0};
	struct main_secrets m = {0};
	int rc;

	if (col_config_load(argc, argv, &cfg, &err) < 0) {
		fprintf(stderr, "uccx-trust-collector: %s (see --help)\n", err.msg);
		return 2;
	}
	if ((rc = main_early_exit(&cfg)) >= 0) {
		col_config_free(&cfg);
		return rc;
	}
	rc = main_load_secrets(&cfg, &m) == 0 ? main_run(&cfg, &m) : 1;
	main_secrets_free(&m);
	col_config_free(&cfg);
	if (rc == 0)
		col_log("info", "stopped");
	return rc;
}
