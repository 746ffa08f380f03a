/*
 * doctor.c: `uccx-trust doctor`: runs a check and explains each endpoint
 * for a person on the helpdesk: what is wrong, whether the fix is on this
 * PC, the network or the server, and the exact next step. --bundle writes
 * everything a second-level engineer needs into one text file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor.h"
#include "log.h"
#include "machine.h"
#include "platform.h"
#include "report.h"
#include "trustsrc.h"

/* ---- explanations ---------------------------------------------------------- */

/* Why an endpoint could not be reached, and where to look. */
static void doctor_unreachable(FILE *out, const struct uct_ep_result *r)
{
	const struct uct_fetch_target *t = r->target;
	const char *host = r->ep->host;
	/* Messages and names shown here are escaped (uct.h). */
	struct uct_strv k = {0};

	switch (t->status) {
	case UCT_FETCH_DNS:
		fprintf(out,
			"    Problem (this PC or DNS): the name %s does not resolve.\n"
			"    Next step: run 'getent hosts %s'; fix the DNS server or search\n"
			"    domain of this PC, and check the name is the server's FQDN.\n",
			host, host);
		break;
	case UCT_FETCH_REFUSED:
		fprintf(out,
			"    Problem (server or firewall): %s refused the connection on port %d.\n"
			"    Next step: check the service is running on the server (Finesse,\n"
			"    CUIC, live data start after the node) and that no firewall blocks\n"
			"    port %d between this PC and the server.\n",
			host, r->ep->port, r->ep->port);
		break;
	case UCT_FETCH_TIMEOUT:
		fprintf(out,
			"    Problem (network): no answer from %s:%d in time.\n"
			"    Next step: check VPN, firewall and proxy between this PC and the\n"
			"    server; try 'curl -kv https://%s:%d/' from this PC.\n",
			host, r->ep->port, host, r->ep->port);
		break;
	case UCT_FETCH_PROXY:
		fprintf(out,
			"    Problem (proxy): the proxy refused or failed: %s.\n"
			"    Next step: exempt %s from the proxy (no_proxy) or set\n"
			"    proxy = direct in [network] of the configuration.\n",
			uct_text_keep(&k, t->detail), host);
		break;
	default:
		fprintf(out,
			"    Problem (server or network): %s.\n"
			"    Next step: check the server's web services, and whether a\n"
			"    TLS-inspecting proxy sits between this PC and the server.\n",
			t->detail[0] ? uct_text_keep(&k, t->detail) : "the TLS handshake failed");
		break;
	}
	uct_strv_clear(&k);
}

/* The group's name for people: a label one of its stores gives, else the
 * group itself. */
static const char *doctor_browser(const struct uct_run *run, const struct uct_group_verdict *gv)
{
	size_t s;

	for (s = 0; s < run->stores.n; s++)
		if (run->stores.v[s]->label != NULL &&
		    strcmp(run->stores.v[s]->group, gv->group) == 0)
			return run->stores.v[s]->label;
	return gv->group;
}

/* Why the machine-wide stores take nothing for a leaf, in plain words. */
static const char *doctor_machine_why(const struct uct_cert *leaf)
{
	if (leaf == NULL)
		return "it is signed by a private CA";
	switch (uct_cert_ca_claim(leaf)) {
	case UCT_CLAIM_CA: return "it says CA:TRUE";
	case UCT_CLAIM_NONE: return "it does not say CA:FALSE, so its key could sign for any site";
	case UCT_CLAIM_END_ENTITY: break;
	}
	return "it is signed by a private CA";
}

/* 1 when a machine store of this group can hold nothing for the endpoint:
 * the user's own run at login does it. */
static int doctor_machine_cannot(const struct uct_run *run, size_t i, const char *group)
{
	struct uct_want want;

	for (size_t s = 0; s < run->stores.n; s++) {
		if (strcmp(run->stores.v[s]->group, group) != 0 ||
		    !uct_store_is_machine(run->stores.v[s]))
			continue;
		uct_machine_want(&run->read.res[i].an, &want);
		return want.cert == NULL;
	}
	return 0;
}

static void doctor_not_trusted(FILE *out, const struct uct_run *run, size_t i)
{
	const struct uct_ep_result *r = &run->read.res[i];
	struct uct_strv k = {0};
	int install = 0;

	for (size_t g = 0; g < r->n_gv; g++) {
		const struct uct_group_verdict *gv = &r->gv[g];

		if (gv->after == UCT_V_TRUSTED)
			continue;
		fprintf(out, "    - %s: %s%s%s\n", uct_text_keep(&k, doctor_browser(run, gv)),
			uct_verdict_name(gv->after), gv->code[0] ? ", " : "",
			uct_text_keep(&k, gv->code));
		if (gv->after == UCT_V_DEFERRED)
			fprintf(out,
				"      Next step: close Firefox, then run 'uccx-trust install'.\n");
		else if (gv->after == UCT_V_NOT_TRUSTED && doctor_machine_cannot(run, i, gv->group))
			fprintf(out,
				"      The machine-wide stores do not take this certificate (%s);\n"
				"      the user's own run at login installs it for their browsers,\n"
				"      or approve its CA (ca_files) or pin it (pins) for the machine.\n",
				doctor_machine_why(r->an.leaf));
		else if (gv->after == UCT_V_NOT_TRUSTED)
			install = 1;
	}
	if (install)
		fprintf(out,
			"    Problem (this PC): the certificate is approved but not installed.\n"
			"    Next step: run 'uccx-trust install' as this user%s.\n",
			run->cfg->scope == UCT_SCOPE_MACHINE ? " (machine scope: as root)" : "");
	uct_strv_clear(&k);
}

static void doctor_endpoint(FILE *out, const struct uct_run *run, size_t i)
{
	const struct uct_ep_result *r = &run->read.res[i];
	const struct uct_analysis *an = &r->an;
	struct uct_strv k = {0};

	fprintf(out, "%s:%d (%s): %s\n", r->ep->host, r->ep->port, r->ep->name,
		uct_verdict_name(r->verdict));
	switch (r->verdict) {
	case UCT_V_TRUSTED: break;
	case UCT_V_UNREACHABLE: doctor_unreachable(out, r); break;
	case UCT_V_CANNOT_FIX:
		fprintf(out,
			"    Problem (server): no trust on a PC makes every browser accept it%s%s.\n"
			"    Next step, on the server %s: %s\n",
			an->reason[0] ? ": " : "", uct_text_keep(&k, an->reason), r->ep->host,
			an->server_advice[0]
				? uct_text_keep(&k, an->server_advice)
				: "install a certificate signed by a CA, with the FQDN "
				  "in its Subject Alternative Name");
		break;
	case UCT_V_REFUSED:
		fprintf(out,
			"    Problem (trust policy): %s\n"
			"    Next step: confirm the certificate's SHA-256 with the UCCX\n"
			"    administrator (Cisco OS Administration, Certificate Management);\n"
			"    if it is right, run 'uccx-trust install --accept-change' or add it\n"
			"    to pins in [trust]. If it is not, someone may be intercepting.\n",
			an->reason[0] ? uct_text_keep(&k, an->reason) : "not approved");
		break;
	case UCT_V_PENDING:
		fprintf(out,
			"    Problem (trust policy): %s\n"
			"    Next step: the collector's administrator confirms the certificate's\n"
			"    SHA-256 and approves it in the dashboard; the next run installs it.\n",
			an->reason[0] ? uct_text_keep(&k, an->reason) : "not approved");
		break;
	default: doctor_not_trusted(out, run, i); break;
	}
	if (an->findings & UCT_F_EXPIRING)
		fprintf(out,
			"    Note (server): the certificate expires within %d days: renew it "
			"on the server.\n",
			UCT_EXPIRING_DAYS);
	if (an->findings & UCT_F_WEAK_KEY)
		fprintf(out,
			"    Note (server): the key is weak (under 2048 bits): regenerate it.\n");
	uct_strv_clear(&k);
}

void uct_doctor_text(FILE *out, const struct uct_run *run)
{
	struct uct_strv k = {0};
	size_t i, bad = 0;

	fprintf(out, "uccx-trust doctor (%s scope, %zu stores)\n\n",
		run->cfg->scope == UCT_SCOPE_MACHINE ? "machine" : "user", run->stores.n);
	for (i = 0; i < run->read.eps.n; i++) {
		doctor_endpoint(out, run, i);
		bad += run->read.res[i].verdict != UCT_V_TRUSTED;
	}
	if (run->stores.n == 0)
		fprintf(out,
			"\nNo browser store was found%s: start each browser once, then run "
			"uccx-trust again.\n",
			run->cfg->scope == UCT_SCOPE_MACHINE ? " for the machine"
							     : " for this user");
	for (i = 0; i < run->outcome.problems.n; i++)
		fprintf(out, "\nStore problem (this PC): %s\n",
			uct_text_keep(&k, run->outcome.problems.v[i]));
	for (i = 0; i < run->outcome.notices.n; i++)
		fprintf(out, "\nNote: %s\n", uct_text_keep(&k, run->outcome.notices.v[i]));
	fprintf(out, "\n%s\n",
		bad == 0 ? "Everything is trusted: nothing to do."
			 : "Give this text (or the --bundle file) to the helpdesk.");
	uct_strv_clear(&k);
}

/* ---- the support bundle ------------------------------------------------------- */

static void doctor_pem(FILE *out, const struct uct_cert *cert)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, col = 0;

	fprintf(out, "-----BEGIN CERTIFICATE-----\n");
	for (i = 0; i < cert->der_len; i += 3) {
		unsigned v = (unsigned)cert->der[i] << 16;
		size_t left = cert->der_len - i;

		if (left > 1)
			v |= (unsigned)cert->der[i + 1] << 8;
		if (left > 2)
			v |= cert->der[i + 2];
		fputc(b64[(v >> 18) & 63], out);
		fputc(b64[(v >> 12) & 63], out);
		fputc(left > 1 ? b64[(v >> 6) & 63] : '=', out);
		fputc(left > 2 ? b64[v & 63] : '=', out);
		col += 4;
		if (col == 64) {
			fputc('\n', out);
			col = 0;
		}
	}
	if (col != 0)
		fputc('\n', out);
	fprintf(out, "-----END CERTIFICATE-----\n");
}

/* A file copied into the bundle (the state, which a person or a program
 * other than the agent may have edited): line by line, each escaped. */
static void doctor_lines(FILE *out, char *text)
{
	char *line, *next, *safe;

	for (line = text; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		safe = uct_text_escape(line);
		fprintf(out, "%s\n", safe != NULL ? safe : "(out of memory)");
		free(safe);
	}
}

static void doctor_section(FILE *out, const char *title)
{
	fprintf(out, "\n==== %s ====\n", title);
}

/*
 * The bundle, written out to path at once (uct_file_write_atomic): a link
 * planted at path, a file of another user there or a directory on the way
 * that another user controls is refused, never written through; run as
 * root, a bundle path under /tmp must not become a way to overwrite a file.
 */
static int doctor_bundle_save(FILE *out, const char *path, struct uct_err *err)
{
	char *buf = NULL;
	long size;
	int rc;

	if (fflush(out) != 0 || (size = ftell(out)) < 0 || fseek(out, 0, SEEK_SET) != 0)
		return uct_err_set(err, UCT_E_IO, errno, "cannot write the bundle %s: %s", path,
				   strerror(errno));
	buf = malloc((size_t)size + 1);
	if (buf == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory writing the bundle %s",
				   path);
	if (fread(buf, 1, (size_t)size, out) != (size_t)size) {
		free(buf);
		return uct_err_set(err, UCT_E_IO, errno, "cannot write the bundle %s: %s", path,
				   strerror(errno));
	}
	rc = uct_file_write_atomic(path, buf, (size_t)size, 0600, err);
	free(buf);
	return rc;
}

/* Who and where: the first lines of the bundle. */
static void bundle_header(FILE *out, const struct uct_run *run, struct uct_strv *k)
{
	char *host = uct_host_name(), *user = uct_user_name(), *os = uct_os_name();

	fprintf(out, "uccx-trust %s support bundle\nhost: %s\nuser: %s\nos: %s\nconfig: %s\n",
		UCT_VERSION, uct_text_keep(k, host ? host : "?"),
		uct_text_keep(k, user ? user : "?"), uct_text_keep(k, os ? os : "?"),
		uct_text_keep(k, run->cfg->config_path ? run->cfg->config_path : "(none)"));
	free(host);
	free(user);
	free(os);
}

static void bundle_stores(FILE *out, const struct uct_run *run, struct uct_strv *k)
{
	size_t i;

	doctor_section(out, "stores");
	for (i = 0; i < run->stores.n; i++)
		fprintf(out, "%s group=%s type=%s%s%s%s\n", uct_text_keep(k, run->stores.v[i]->id),
			uct_text_keep(k, run->stores.v[i]->group), run->stores.v[i]->ops->name,
			run->stores.v[i]->busy ? " busy" : "",
			run->stores.v[i]->created ? " not-yet-created" : "",
			uct_run_store_failed(run, i) ? " FAILED" : "");
}

static void bundle_chains(FILE *out, const struct uct_run *run, struct uct_strv *k)
{
	char fp[UCT_FP_STRLEN];
	size_t i, c;

	doctor_section(out, "chains (as each server sent them, leaf first)");
	for (i = 0; run->read.targets != NULL && i < run->read.eps.n_targets; i++) {
		const struct uct_fetch_target *t = &run->read.targets[i];

		fprintf(out, "# %s:%d %s%s%s\n", t->host, t->port, uct_fetch_status_name(t->status),
			t->detail[0] ? ": " : "", uct_text_keep(k, t->detail));
		for (c = 0; c < t->chain.n; c++) {
			uct_fp_format(t->chain.certs[c]->sha256, fp);
			fprintf(out, "# [%zu] %s\n# sha256 %s\n", c,
				uct_text_keep(k, t->chain.certs[c]->subject), fp);
			doctor_pem(out, t->chain.certs[c]);
		}
	}
}

static void bundle_state(FILE *out, const struct uct_run *run, struct uct_strv *k)
{
	struct uct_err serr = {0};
	char *state_path, *state = NULL;

	doctor_section(out, "state file");
	/* Not from a directory another user controls: its "state" could be a
	 * link to any file root can read. */
	state_path = run->record.state_dir && uct_dir_check(run->record.state_dir, &serr) == 0
			     ? uct_asprintf("%s/state", run->record.state_dir)
			     : NULL;
	if (state_path != NULL && uct_file_read(state_path, 1 << 20, &state, NULL, &serr) == 0) {
		fprintf(out, "# %s\n", uct_text_keep(k, state_path));
		doctor_lines(out, state);
	} else {
		fprintf(out, "# %s: %s\n", uct_text_keep(k, state_path ? state_path : "?"),
			uct_text_keep(k, serr.msg));
	}
	free(state_path);
	free(state);
}

int uct_doctor_bundle(const char *path, const struct uct_run *run, const struct uct_err *run_err,
		      int exit_code, const struct uct_strv *log, struct uct_err *err)
{
	struct uct_strv k = {0};
	FILE *out;
	size_t i;
	int rc;

	out = tmpfile();
	if (out == NULL)
		return uct_err_set(err, UCT_E_IO, errno, "cannot write the bundle %s: %s", path,
				   strerror(errno));
	/* Every value below may hold what a server or a file put there: each is
	 * escaped (uct.h), so the bundle reads safely in any terminal. */
	bundle_header(out, run, &k);
	doctor_section(out, "explanation");
	if (run_err != NULL)
		fprintf(out, "The run failed: %s\n", uct_text_keep(&k, run_err->msg));
	else
		uct_doctor_text(out, run);
	doctor_section(out, "result.json");
	uct_report_json(out, run, run_err, exit_code);
	doctor_section(out, "log");
	for (i = 0; log != NULL && i < log->n; i++)
		fprintf(out, "%s\n", uct_text_keep(&k, log->v[i]));
	bundle_stores(out, run, &k);
	bundle_chains(out, run, &k);
	bundle_state(out, run, &k);
	rc = doctor_bundle_save(out, path, err);
	fclose(out);
	uct_strv_clear(&k);
	return rc;
}

/* ---- the command ------------------------------------------------------------ */

struct doctor_log {
	struct uct_strv lines;
	int level; /* what also goes to stderr */
};

/* Every log line goes into the bundle; stderr gets the usual level. */
static void doctor_log_sink(enum uct_log_level level, const char *msg, void *ctx)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	struct doctor_log *dl = ctx;
	char *line = uct_asprintf("%s: %s", names[level], msg);

	if (line != NULL)
		uct_strv_push(&dl->lines, line);
	free(line);
	if ((int)level <= dl->level)
		uct_log_stderr(level, msg, NULL);
}

/* What the platform finds on this PC that undoes installed trust (a
 * browser policy, an old browser, a name where Firefox takes no
 * exception): one more thing for the person to do, in text and JSON. */
static void doctor_platform_notes(struct uct_run *run)
{
	struct uct_strv hosts = {0}, notes = {0};
	size_t i;

	for (i = 0; i < run->read.eps.n; i++)
		if (!uct_strv_contains(&hosts, run->read.eps.v[i].host))
			uct_strv_push(&hosts, run->read.eps.v[i].host);
	uct_platform_doctor_notes(&hosts, &notes);
	for (i = 0; i < notes.n; i++)
		if (!uct_strv_contains(&run->outcome.notices, notes.v[i]))
			uct_strv_push(&run->outcome.notices, notes.v[i]);
	uct_strv_clear(&hosts);
	uct_strv_clear(&notes);
}

int uct_doctor_main(struct uct_config *cfg, FILE *out, int log_level)
{
	struct doctor_log dl = {.level = log_level};
	struct uct_run run;
	struct uct_run_inputs in = {0};
	struct uct_err err = {0}, berr = {0};
	int failed, code;

	uct_log_set_sink(doctor_log_sink, &dl, UCT_LOG_DEBUG);
	/* The pipeline runs a check: doctor changes nothing. Someone is looking
	 * at a problem now: every database is verified again, no kept answer. */
	cfg->command = UCT_CMD_CHECK;
	cfg->recheck = 1;
	failed = uct_trustsrc_attach(cfg, &in, &err) < 0 ||
		 uct_run_execute_with(&run, cfg, &in, &err) < 0;
	if (failed)
		code = (err.code == UCT_E_USAGE || err.code == UCT_E_CONFIG) ? 2 : 3;
	else
		code = run.outcome.exit_code;
	if (!failed)
		doctor_platform_notes(&run);
	if (cfg->json)
		uct_report_json(out, &run, failed ? &err : NULL, code);
	else if (failed)
		fprintf(stderr, "uccx-trust: %s\n", err.msg);
	else
		uct_doctor_text(out, &run);
	if (cfg->bundle_path != NULL) {
		if (uct_doctor_bundle(cfg->bundle_path, &run, failed ? &err : NULL, code, &dl.lines,
				      &berr) < 0) {
			fprintf(stderr, "uccx-trust: %s\n", berr.msg);
			code = 3;
		} else if (!cfg->quiet) {
			fprintf(stderr, "uccx-trust: support bundle written to %s\n",
				cfg->bundle_path);
		}
	}
	uct_log_set_sink(uct_log_stderr, NULL, (enum uct_log_level)log_level);
	uct_run_free(&run);
	uct_trustsrc_free(in.trust_ctx); /* after the run: it borrows the document */
	uct_strv_clear(&dl.lines);
	return code;
}
