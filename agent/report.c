/*
 * report.c: text and JSON renderings of struct uct_run. The JSON writer is
 * a few helpers over stdio: the document is small and written once.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report.h"

static const char *command_name(enum uct_command c)
{
	switch (c) {
	case UCT_CMD_CHECK: return "check";
	case UCT_CMD_INSTALL: return "install";
	case UCT_CMD_REMOVE: return "remove";
	case UCT_CMD_STATUS: return "status";
	case UCT_CMD_DOCTOR: return "doctor";
	case UCT_CMD_NONE: break;
	}
	return "none";
}

static void iso_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "1970-01-01T00:00:00Z");
}

/* ---- text ---- */

/*
 * Every string shown to a person goes through uct_text_escape (uct.h): a
 * name, a path or a message may hold what a server or a file put there,
 * and a terminal must not take it for a control. The escaped copies live
 * in k until the caller clears it.
 */
#define tx(k, s) uct_text_keep((k), (s))

/* The trust mode as --trust names it. */
static const char *mode_name(const struct uct_config *cfg)
{
	if (cfg == NULL)
		return "tofu";
	switch (cfg->mode) {
	case UCT_MODE_TOFU: return "tofu";
	case UCT_MODE_PINNED: return "pinned";
	case UCT_MODE_COLLECTOR: return "collector";
	}
	return "tofu";
}

static const char *verdict_words(enum uct_verdict v)
{
	switch (v) {
	case UCT_V_TRUSTED: return "trusted";
	case UCT_V_NOT_TRUSTED: return "NOT TRUSTED";
	case UCT_V_CANNOT_FIX: return "SERVER FIX";
	case UCT_V_DEFERRED: return "PENDING";
	case UCT_V_UNREACHABLE: return "UNREACHABLE";
	case UCT_V_REFUSED: return "REFUSED";
	case UCT_V_PENDING: return "WAITING";
	case UCT_V_UNKNOWN: break;
	}
	return "UNKNOWN";
}

static void text_endpoint(FILE *out, const struct uct_ep_result *r, int verbose, struct uct_strv *k)
{
	const struct uct_analysis *an = &r->an;
	char fp[UCT_FP_STRLEN], date[32];
	size_t g;
	unsigned bit;

	fprintf(out, "  %-12s %s", verdict_words(r->verdict), tx(k, r->ep->url));
	if (r->target->status != UCT_FETCH_OK) {
		fprintf(out, "\n               %s\n", tx(k, r->target->detail));
		return;
	}
	fprintf(out, "  (%s, %s)\n", uct_chain_kind_name(an->kind),
		uct_approval_name(an->approval));
	for (g = 0; g < r->n_gv; g++) {
		const struct uct_group_verdict *gv = &r->gv[g];
		if (gv->after == UCT_V_TRUSTED && !verbose && r->verdict == UCT_V_TRUSTED)
			continue;
		fprintf(out, "               %-28s %s%s%s\n", tx(k, gv->group),
			uct_verdict_name(gv->after), gv->code[0] ? ": " : "", tx(k, gv->code));
	}
	if (r->verdict != UCT_V_TRUSTED && an->reason[0] != '\0')
		fprintf(out, "               why: %s\n", tx(k, an->reason));
	for (bit = 1; bit <= UCT_F_LAST; bit <<= 1)
		if ((an->findings & bit) &&
		    (bit == UCT_F_WEAK_KEY || bit == UCT_F_EXPIRING ||
		     bit == UCT_F_WEAK_SIGNATURE || bit == UCT_F_NO_CA_FALSE))
			fprintf(out, "               note: %s%s\n", uct_finding_name(bit),
				bit == UCT_F_WEAK_KEY
					? " (RSA key under 2048 bits: replace it on the server)"
				: bit == UCT_F_NO_CA_FALSE
					? " (the certificate does not say CA:FALSE: trusted for this "
					  "server only, Firefox through an exception)"
					: "");
	if (verbose && an->leaf != NULL) {
		uct_fp_format(an->leaf->sha256, fp);
		iso_time(an->leaf->not_after, date, sizeof(date));
		fprintf(out,
			"               subject %s\n               issuer  %s\n"
			"               sha256  %s\n               expires %s\n",
			tx(k, an->leaf->subject), tx(k, an->leaf->issuer), fp, date);
	}
}

/* One line of the change list: what was (or would be) done, where. */
static void text_change(FILE *out, const struct uct_change *ch, struct uct_strv *k)
{
	const char *verb;

	verb = ch->action == UCT_CH_REMOVE   ? "removed"
	       : ch->action == UCT_CH_UPDATE ? "updated"
					     : "added";
	if (ch->status == UCT_CS_PLANNED)
		verb = ch->action == UCT_CH_REMOVE ? "remove" : "add";
	fprintf(out, "  %-8s %s (%s) %s [%s]%s%s%s\n", verb,
		tx(k, ch->subject[0] ? ch->subject : ch->hostports), uct_trust_name(ch->trust),
		tx(k, ch->store->path), tx(k, ch->store->group),
		ch->status == UCT_CS_FAILED ? " FAILED: " : "",
		ch->status == UCT_CS_DEFERRED ? " DEFERRED: " : "", tx(k, ch->error));
}

/* The problems, the advice and the closing count. */
static void text_closing(FILE *out, const struct uct_run *run, size_t trusted, struct uct_strv *k)
{
	size_t i;

	for (i = 0; i < run->outcome.problems.n; i++)
		fprintf(out, "%sproblem: %s\n", i == 0 ? "\n" : "",
			tx(k, run->outcome.problems.v[i]));
	if (run->outcome.notices.n > 0) {
		fprintf(out, "\nWhat to do:\n");
		for (i = 0; i < run->outcome.notices.n; i++)
			fprintf(out, "  - %s\n", tx(k, run->outcome.notices.v[i]));
	}
	if (run->stores.n == 0)
		fprintf(out, "\nNo browser certificate database was found for this user.\n");
	if (run->cfg->command == UCT_CMD_REMOVE)
		fprintf(out, "\n%zu objects removed.\n", run->plan.n_changes);
	else
		fprintf(out, "\n%zu of %zu endpoints trusted by every browser profile.\n", trusted,
			run->read.eps.n);
}

void uct_report_text(FILE *out, const struct uct_run *run, int verbose)
{
	struct uct_strv k = {0};
	size_t i, trusted = 0;

	fprintf(out, "uccx-trust %s: %zu endpoints on %zu servers, %zu stores (trust mode %s)\n\n",
		command_name(run->cfg->command), run->read.eps.n, run->read.eps.n_targets,
		run->stores.n, mode_name(run->cfg));
	for (i = 0; i < run->read.eps.n; i++) {
		text_endpoint(out, &run->read.res[i], verbose, &k);
		if (run->read.res[i].verdict == UCT_V_TRUSTED)
			trusted++;
	}
	if (run->plan.n_changes > 0) {
		fprintf(out, "\n%s:\n",
			run->cfg->command == UCT_CMD_CHECK ? "Would change" : "Changes");
		for (i = 0; i < run->plan.n_changes; i++)
			text_change(out, &run->plan.changes[i], &k);
	} else if (run->cfg->command != UCT_CMD_CHECK) {
		fprintf(out, "\nNothing to change.\n");
	}
	text_closing(out, run, trusted, &k);
	uct_strv_clear(&k);
}

void uct_report_status_text(FILE *out, const struct uct_run *run)
{
	const struct uct_state *st = &run->record.state;
	struct uct_strv k = {0};
	char date[32], fp[UCT_FP_STRLEN];
	size_t i;

	fprintf(out, "uccx-trust status (state in %s)\n", tx(&k, run->record.state_dir));
	if (st->last_run == 0) {
		fprintf(out, "  no run has installed anything yet\n");
		uct_strv_clear(&k);
		return;
	}
	iso_time(st->last_run, date, sizeof(date));
	fprintf(out, "  last %s: %s, exit %d: %s\n",
		tx(&k, st->last_command ? st->last_command : "run"), date, st->last_exit,
		tx(&k, st->last_summary));
	fprintf(out, "\nInstalled by uccx-trust (%zu):\n", st->n_installed);
	for (i = 0; i < st->n_installed; i++) {
		uct_fp_format(st->installed[i].sha256, fp);
		fprintf(out, "  %-9s %.23s... %s\n            for %s\n",
			uct_trust_name(st->installed[i].trust), fp,
			tx(&k, st->installed[i].store_id), tx(&k, st->installed[i].hostports));
	}
	fprintf(out, "\nApproved server certificates (%zu):\n", st->n_seen);
	for (i = 0; i < st->n_seen; i++) {
		uct_fp_format(st->seen[i].sha256, fp);
		iso_time(st->seen[i].not_after, date, sizeof(date));
		fprintf(out, "  %-40s %.23s... expires %s\n", tx(&k, st->seen[i].hostport), fp,
			date);
	}
	uct_strv_clear(&k);
}

/* ---- JSON ---- */

static void json_str(FILE *out, const char *s)
{
	const unsigned char *p;
	char *safe;

	if (s == NULL) {
		fputs("null", out);
		return;
	}
	/*
	 * Escaped first (uct.h), so that the document is always valid UTF-8
	 * whatever bytes a name held: a collector that refuses one bad field
	 * would otherwise lose the whole report. What is left for JSON to
	 * escape is the quote and the backslash.
	 */
	safe = uct_text_escape(s);
	fputc('"', out);
	for (p = (const unsigned char *)(safe != NULL ? safe : "(out of memory)"); *p != '\0';
	     p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', out);
		fputc(*p, out);
	}
	fputc('"', out);
	free(safe);
}

static void json_key(FILE *out, const char *key, int *first)
{
	if (!*first)
		fputc(',', out);
	*first = 0;
	json_str(out, key);
	fputc(':', out);
}

static void json_kv_str(FILE *out, const char *key, const char *value, int *first)
{
	json_key(out, key, first);
	json_str(out, value);
}

static void json_kv_int(FILE *out, const char *key, int64_t value, int *first)
{
	json_key(out, key, first);
	fprintf(out, "%" PRId64, value);
}

static void json_kv_bool(FILE *out, const char *key, int value, int *first)
{
	json_key(out, key, first);
	fputs(value ? "true" : "false", out);
}

static void json_fp(FILE *out, const char *key, const unsigned char *sha, int *first)
{
	char fp[UCT_FP_STRLEN];

	uct_fp_format(sha, fp);
	json_kv_str(out, key, fp, first);
}

static void json_strv(FILE *out, const char *key, const struct uct_strv *sv, int *first)
{
	size_t i;

	json_key(out, key, first);
	fputc('[', out);
	for (i = 0; i < sv->n; i++) {
		if (i > 0)
			fputc(',', out);
		json_str(out, sv->v[i]);
	}
	fputc(']', out);
}

static const char *key_algorithm(enum uct_key_type k)
{
	switch (k) {
	case UCT_KEY_RSA: return "rsa";
	case UCT_KEY_EC: return "ec";
	case UCT_KEY_ED: return "ed25519";
	case UCT_KEY_OTHER: break;
	}
	return "other";
}

/* Field names follow osquery's certificates table where one fits. */
static void json_cert(FILE *out, const struct uct_cert *c)
{
	int first = 1;

	fputc('{', out);
	json_kv_str(out, "common_name", c->subject_cn, &first);
	json_kv_str(out, "subject", c->subject, &first);
	json_kv_str(out, "issuer", c->issuer, &first);
	json_kv_str(out, "serial", c->serial_hex, &first);
	json_fp(out, "sha256", c->sha256, &first);
	json_kv_int(out, "not_valid_before", c->not_before, &first);
	json_kv_int(out, "not_valid_after", c->not_after, &first);
	json_kv_str(out, "key_algorithm", key_algorithm(c->key_type), &first);
	json_kv_int(out, "key_strength", c->key_bits, &first);
	json_kv_str(out, "signing_algorithm", c->sig_alg, &first);
	json_kv_bool(out, "ca", c->is_ca, &first);
	json_kv_bool(out, "self_signed", c->self_signed, &first);
	json_strv(out, "san_dns", &c->san_dns, &first);
	json_strv(out, "san_ip", &c->san_ip, &first);
	fputc('}', out);
}

static void json_endpoint(FILE *out, const struct uct_ep_result *r)
{
	const struct uct_analysis *an = &r->an;
	int first = 1, f2;
	size_t g;
	unsigned bit;

	fputc('{', out);
	json_kv_str(out, "name", r->ep->name, &first);
	json_kv_str(out, "url", r->ep->url, &first);
	json_kv_str(out, "host", r->ep->host, &first);
	json_kv_int(out, "port", r->ep->port, &first);
	json_kv_str(out, "verdict", uct_verdict_name(r->verdict), &first);
	json_kv_str(out, "fetch", uct_fetch_status_name(r->target->status), &first);
	json_kv_str(out, "fetch_detail",
		    r->target->status == UCT_FETCH_OK ? NULL : r->target->detail, &first);
	json_kv_int(out, "fetch_ms", r->target->elapsed_ms, &first);
	json_kv_str(out, "chain_kind", uct_chain_kind_name(an->kind), &first);
	json_kv_str(out, "approval", uct_approval_name(an->approval), &first);
	json_key(out, "certificate", &first);
	if (an->leaf != NULL)
		json_cert(out, an->leaf);
	else
		fputs("null", out);
	json_kv_int(out, "chain_length", (int64_t)r->target->chain.n, &first);
	json_key(out, "findings", &first);
	fputc('[', out);
	for (bit = 1, f2 = 1; bit <= UCT_F_LAST; bit <<= 1) {
		if (!(an->findings & bit))
			continue;
		if (!f2)
			fputc(',', out);
		f2 = 0;
		json_str(out, uct_finding_name(bit));
	}
	fputc(']', out);
	json_kv_str(out, "reason", an->reason[0] ? an->reason : NULL, &first);
	json_kv_str(out, "server_advice", an->server_advice[0] ? an->server_advice : NULL, &first);
	json_key(out, "browsers", &first);
	fputc('[', out);
	for (g = 0; g < r->n_gv; g++) {
		const struct uct_group_verdict *gv = &r->gv[g];
		if (g > 0)
			fputc(',', out);
		f2 = 1;
		fputc('{', out);
		json_kv_str(out, "profile", gv->group, &f2);
		json_kv_str(out, "browser", uct_browser_name(gv->browser), &f2);
		json_kv_str(out, "before", uct_verdict_name(gv->before), &f2);
		json_kv_str(out, "verdict", uct_verdict_name(gv->after), &f2);
		json_kv_str(out, "code", gv->code[0] ? gv->code : NULL, &f2);
		fputc('}', out);
	}
	fputs("]}", out);
}

static void json_change(FILE *out, const struct uct_change *ch)
{
	int first = 1;

	fputc('{', out);
	json_kv_str(out, "action", uct_change_action_name(ch->action), &first);
	json_kv_str(out, "status", uct_change_status_name(ch->status), &first);
	json_kv_str(out, "store", ch->store->id, &first);
	json_kv_str(out, "profile", ch->store->group, &first);
	json_kv_str(out, "trust", uct_trust_name(ch->trust), &first);
	json_fp(out, "sha256", ch->sha256, &first);
	json_kv_str(out, "subject", ch->subject[0] ? ch->subject : NULL, &first);
	json_kv_str(out, "endpoints", ch->hostports, &first);
	json_kv_str(out, "error", ch->error[0] ? ch->error : NULL, &first);
	fputc('}', out);
}

static void json_store(FILE *out, const struct uct_store *st, int failed, int64_t checked_at)
{
	int first = 1;

	fputc('{', out);
	json_kv_str(out, "id", st->id, &first);
	json_kv_str(out, "kind", st->ops->name, &first);
	json_kv_str(out, "browser", uct_browser_name(st->browser), &first);
	json_kv_str(out, "profile", st->group, &first);
	json_kv_str(out, "path", st->path, &first);
	json_kv_bool(out, "busy", st->busy, &first);
	json_kv_bool(out, "failed", failed, &first);
	/* An earlier run's time when that run's answers were used again. */
	if (checked_at > 0)
		json_kv_int(out, "verified_at", checked_at, &first);
	else
		json_kv_str(out, "verified_at", NULL, &first);
	fputc('}', out);
}

/* What `status` shows: the local record of installed objects, approved
 * certificates and the last run. Times are Unix seconds, as elsewhere. */
static void json_state(FILE *out, const struct uct_run *run)
{
	const struct uct_state *st = &run->record.state;
	int first = 1, f2;
	size_t i;

	fputc('{', out);
	json_kv_str(out, "dir", run->record.state_dir, &first);
	json_kv_int(out, "last_run", st->last_run, &first);
	json_kv_str(out, "last_command", st->last_command, &first);
	json_kv_int(out, "last_exit", st->last_exit, &first);
	json_kv_str(out, "last_summary", st->last_summary, &first);
	json_key(out, "installed", &first);
	fputc('[', out);
	for (i = 0; i < st->n_installed; i++) {
		f2 = 1;
		fputs(i > 0 ? ",{" : "{", out);
		json_kv_str(out, "store", st->installed[i].store_id, &f2);
		json_kv_str(out, "trust", uct_trust_name(st->installed[i].trust), &f2);
		json_fp(out, "sha256", st->installed[i].sha256, &f2);
		json_kv_str(out, "endpoints", st->installed[i].hostports, &f2);
		fputc('}', out);
	}
	fputc(']', out);
	json_key(out, "approved", &first);
	fputc('[', out);
	for (i = 0; i < st->n_seen; i++) {
		f2 = 1;
		fputs(i > 0 ? ",{" : "{", out);
		json_kv_str(out, "endpoint", st->seen[i].hostport, &f2);
		json_fp(out, "sha256", st->seen[i].sha256, &f2);
		json_kv_int(out, "not_valid_after", st->seen[i].not_after, &f2);
		json_kv_int(out, "first_seen", st->seen[i].first_seen, &f2);
		fputc('}', out);
	}
	fputs("]}", out);
}

void uct_report_json(FILE *out, const struct uct_run *run, const struct uct_err *err, int exit_code)
{
	uct_report_json_ex(out, run, err, exit_code, NULL, 0);
}

/* The items of the report's arrays, by index into the run. */
typedef void (*json_item_fn)(FILE *out, const struct uct_run *run, size_t i);

static void json_store_item(FILE *out, const struct uct_run *run, size_t i)
{
	json_store(out, run->stores.v[i], uct_run_store_failed(run, i),
		   uct_run_store_checked_at(run, i));
}

static void json_endpoint_item(FILE *out, const struct uct_run *run, size_t i)
{
	json_endpoint(out, &run->read.res[i]);
}

static void json_change_item(FILE *out, const struct uct_run *run, size_t i)
{
	json_change(out, &run->plan.changes[i]);
}

static void json_array(FILE *out, const char *key, const struct uct_run *run, size_t n,
		       json_item_fn item, int *first)
{
	size_t i;

	json_key(out, key, first);
	fputc('[', out);
	for (i = 0; i < n; i++) {
		if (i > 0)
			fputc(',', out);
		item(out, run, i);
	}
	fputc(']', out);
}

static void json_error(FILE *out, const struct uct_err *err, int *first)
{
	int f2 = 1;

	json_key(out, "error", first);
	if (err == NULL || err->code == UCT_E_NONE) {
		fputs("null", out);
		return;
	}
	fputc('{', out);
	json_kv_str(out, "code", uct_err_name(err->code), &f2);
	json_kv_int(out, "native", err->native, &f2);
	json_kv_str(out, "message", err->msg, &f2);
	fputc('}', out);
}

/* Who ran what, where and when: the report's first members. */
static void json_header(FILE *out, const struct uct_run *run, int *first)
{
	char now[32];
	char *host = uct_host_name(), *user = uct_user_name(), *os = uct_os_name();

	iso_time(run->outcome.started ? run->outcome.started : uct_now(), now, sizeof(now));
	json_kv_str(out, "agent", "uccx-trust", first);
	json_kv_str(out, "version", UCT_VERSION, first);
	json_kv_str(out, "command", run->cfg ? command_name(run->cfg->command) : NULL, first);
	json_kv_str(out, "time", now, first);
	json_kv_int(out, "elapsed_ms", run->outcome.elapsed_ms, first);
	json_kv_str(out, "host_name", host, first);
	json_kv_str(out, "user", user, first);
	json_kv_str(out, "os", os, first);
	json_kv_str(out, "scope", uct_is_privileged() ? "machine" : "user", first);
	json_kv_str(out, "trust_mode", mode_name(run->cfg), first);
	free(host);
	free(user);
	free(os);
}

void uct_report_json_ex(FILE *out, const struct uct_run *run, const struct uct_err *err,
			int exit_code, const char *report_id, long reports_dropped)
{
	int first = 1;

	fputc('{', out);
	json_kv_int(out, "schema", UCT_JSON_SCHEMA, &first);
	if (report_id != NULL) {
		json_kv_str(out, "report_id", report_id, &first);
		json_kv_int(out, "reports_dropped", reports_dropped, &first);
	}
	json_header(out, run, &first);
	json_kv_int(out, "exit_code", exit_code, &first);
	json_error(out, err, &first);
	json_array(out, "stores", run, run->stores.n, json_store_item, &first);
	json_array(out, "endpoints", run, run->read.res != NULL ? run->read.eps.n : 0,
		   json_endpoint_item, &first);
	json_array(out, "changes", run, run->plan.n_changes, json_change_item, &first);
	json_strv(out, "actions", &run->outcome.notices, &first);
	json_strv(out, "problems", &run->outcome.problems, &first);
	if (run->cfg != NULL && run->cfg->command == UCT_CMD_STATUS) {
		json_key(out, "state", &first);
		json_state(out, run);
	}
	fputs("}\n", out);
}
