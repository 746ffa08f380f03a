/*
 * fuzz_state_load.c: libFuzzer target for the state loader (agent/state.c).
 * The input is the state file or, when it starts as one, PATH.last; a state
 * that loads must be saved and loaded again to the same records, and a
 * damaged one must be set aside, never half used. What loads is then used
 * as a run uses it: to approve a certificate, and shown by `status`.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyse.h"
#include "fuzz_util.h"
#include "report.h"
#include "run.h"
#include "state.h"

/* A run's clock: 2027-01-15. */
#define FUZZ_NOW INT64_C(1800000000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void state_check_fields(const struct uct_state *st)
{
	size_t i;

	for (i = 0; i < st->n_seen; i++) {
		UCT_FUZZ_CHECK(st->seen[i].hostport != NULL && st->seen[i].names != NULL,
			       "a seen record without host or names");
		UCT_FUZZ_CHECK(strpbrk(st->seen[i].hostport, "\t\n") == NULL &&
				       strpbrk(st->seen[i].names, "\t\n") == NULL,
			       "a seen field holding a separator");
	}
	for (i = 0; i < st->n_installed; i++) {
		UCT_FUZZ_CHECK(st->installed[i].store_id != NULL &&
				       st->installed[i].hostports != NULL,
			       "an installed record without store or endpoints");
		UCT_FUZZ_CHECK(strpbrk(st->installed[i].store_id, "\t\n") == NULL &&
				       strpbrk(st->installed[i].hostports, "\t\n") == NULL,
			       "an installed field holding a separator");
	}
}

/* Saved and loaded again, a state keeps exactly its records. */
static void state_round_trip(struct uct_state *st)
{
	const char *again = uct_fuzz_path("state2");
	struct uct_state st2;
	struct uct_err err = {0};
	int damaged = 0;
	char *records;

	uct_fuzz_unlink("state2");
	uct_fuzz_unlink("state2.last");
	uct_fuzz_unlink("state2.damaged");
	/* Forget what was read, so that the save writes the records. */
	records = st->saved_records;
	st->saved_records = NULL;
	UCT_FUZZ_CHECK(uct_state_save(again, st, &err) == 0, err.msg);
	UCT_FUZZ_CHECK(uct_state_load(again, &st2, &damaged, &err) == 0, err.msg);
	UCT_FUZZ_CHECK(!damaged, "a state the agent wrote reads back as damaged");
	/* No state file (only PATH.last) is no records. */
	UCT_FUZZ_CHECK(st2.saved_records != NULL &&
			       strcmp(records != NULL ? records : "", st2.saved_records) == 0,
		       "records changed by a save and a load");
	UCT_FUZZ_CHECK(st2.n_seen == st->n_seen && st2.n_installed == st->n_installed,
		       "record count changed by a save and a load");
	free(records);
	uct_state_free(&st2);
}

/* The approval of a server's certificate against the loaded records
 * (first use, known, renewal or change, whatever the record says). */
static void state_use(const struct uct_state *st)
{
	static char name[] = "uccx1.example.com";
	static char *names[] = {name};
	struct uct_cert leaf = {.subject = "CN=uccx1.example.com",
				.issuer = "CN=uccx1.example.com",
				.subject_cn = name,
				.san_dns = {.v = names, .n = 1},
				.not_before = FUZZ_NOW - 86400,
				.not_after = FUZZ_NOW + 86400 * 365,
				.has_basic_constraints = 1,
				.self_issued = 1,
				.self_signed = 1};
	struct uct_cert *certs[1] = {&leaf};
	struct uct_chain chain = {.certs = certs, .n = 1};
	struct uct_config cfg;
	struct uct_analyse_ctx ctx = {.cfg = &cfg, .state = st, .now = FUZZ_NOW};
	struct uct_analysis an;

	uct_config_init(&cfg);
	memset(leaf.sha256, 0x5a, sizeof(leaf.sha256));
	uct_analyse(&ctx, "uccx1.example.com", 8445, &chain, &an);
	UCT_FUZZ_CHECK(an.approval != UCT_AP_KNOWN ||
			       memcmp(uct_state_find_seen(st, "uccx1.example.com:8445")->sha256,
				      leaf.sha256, UCT_SHA256_LEN) == 0,
		       "known without the recorded fingerprint");
}

/* `status` and `status --json` show the records as they are. */
static void state_show(const struct uct_state *st)
{
	struct uct_config cfg;
	struct uct_run run = {0};
	json_error_t jerr;
	json_t *doc;
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	uct_config_init(&cfg);
	cfg.command = UCT_CMD_STATUS;
	run.cfg = &cfg;
	run.record.state = *st;
	run.record.state_dir = "/fuzz";
	run.outcome.started = FUZZ_NOW;
	out = open_memstream(&text, &len);
	UCT_FUZZ_CHECK(out != NULL, "open_memstream");
	uct_report_status_text(out, &run);
	fclose(out);
	free(text);

	text = NULL;
	out = open_memstream(&text, &len);
	UCT_FUZZ_CHECK(out != NULL, "open_memstream");
	uct_report_json(out, &run, NULL, 0);
	fclose(out);
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		fprintf(stderr, "uct-fuzz: %s\n", jerr.text);
	UCT_FUZZ_CHECK(doc != NULL, "status --json is not a valid JSON document");
	json_decref(doc);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = uct_fuzz_path("state");
	struct uct_state st;
	struct uct_err err = {0};
	int damaged = -1;

	/* An input that looks like PATH.last is that file, with no state
	 * beside it (the first run's outcome); anything else is the state. */
	uct_fuzz_unlink("state");
	uct_fuzz_unlink("state.last");
	uct_fuzz_unlink("state.damaged");
	if (size >= 19 && memcmp(data, "uccx-trust-last-run", 19) == 0)
		uct_fuzz_file("state.last", data, size);
	else
		uct_fuzz_file("state", data, size);
	UCT_FUZZ_CHECK(uct_state_load(path, &st, &damaged, &err) == 0, err.msg);
	if (damaged) {
		UCT_FUZZ_CHECK(st.n_seen == 0 && st.n_installed == 0 && st.saved_records == NULL,
			       "a damaged state still holds records");
		UCT_FUZZ_CHECK(access(path, F_OK) != 0 &&
				       access(uct_fuzz_path("state.damaged"), F_OK) == 0,
			       "a damaged state was not set aside");
	} else {
		state_check_fields(&st);
		state_round_trip(&st);
		state_use(&st);
		state_show(&st);
	}
	uct_state_free(&st);
	return 0;
}
