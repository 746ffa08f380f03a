/*
 * fuzz_cert_names.c: libFuzzer target for certificate name handling: the
 * platform's parser (uct_cert_parse) on arbitrary DER, then every function
 * a server's names go through: host matching, the FQDN test, the names the
 * state keeps (saved and loaded again), the analysis, and the text and
 * JSON renderings of the result.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyse.h"
#include "fuzz_util.h"
#include "report.h"
#include "run.h"
#include "state.h"

/* A run's clock: 2027-01-15. */
#define FUZZ_NOW INT64_C(1800000000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Names compared as DNS names: case-insensitive, one trailing dot ignored. */
static int names_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen > 0 && a[alen - 1] == '.')
		alen--;
	if (blen > 0 && b[blen - 1] == '.')
		blen--;
	return alen == blen && strncasecmp(a, b, alen) == 0;
}

/*
 * What a match may mean, written independently of uct_name_matches: the
 * same name, or "*." and at least two labels standing for exactly one
 * whole, non-empty leftmost label of host.
 */
static void check_match(const char *pattern, const char *host)
{
	const char *dot;

	if (!uct_name_matches(pattern, host))
		return;
	if (strncmp(pattern, "*.", 2) != 0) {
		UCT_FUZZ_CHECK(strchr(pattern, '*') == NULL, "a partial wildcard matched");
		UCT_FUZZ_CHECK(names_equal(pattern, strlen(pattern), host, strlen(host)),
			       "different names matched");
		return;
	}
	dot = strchr(host, '.');
	UCT_FUZZ_CHECK(dot != NULL && dot != host, "a wildcard matched an empty label");
	UCT_FUZZ_CHECK(strchr(pattern + 2, '*') == NULL, "two wildcards matched");
	UCT_FUZZ_CHECK(strchr(pattern + 2, '.') != NULL,
		       "a wildcard over a top-level domain matched");
	UCT_FUZZ_CHECK(names_equal(pattern + 1, strlen(pattern + 1), dot, strlen(dot)),
		       "a wildcard matched another domain");
}

static void check_names(const struct uct_cert *cert)
{
	static const char *const hosts[] = {"uccx1.example.com",
					    "www.victimbank.example",
					    "a.b.example.com",
					    "example.com",
					    "com",
					    ""};
	char wild[512];
	size_t i, k;

	for (i = 0; i < cert->san_dns.n; i++) {
		const char *name = cert->san_dns.v[i];

		(void)uct_is_fqdn(name);
		(void)uct_is_ip_literal(name);
		for (k = 0; k < sizeof(hosts) / sizeof(hosts[0]); k++)
			check_match(name, hosts[k]);
		check_match(name, name);
		/* The names a wildcard could stand for, built from the pattern. */
		if (name[0] == '*' &&
		    snprintf(wild, sizeof(wild), "x%s", name + 1) < (int)sizeof(wild))
			check_match(name, wild);
		for (k = 0; k < cert->san_dns.n; k++)
			check_match(name, cert->san_dns.v[k]);
		if (strchr(name, '*') == NULL && uct_is_fqdn(name))
			UCT_FUZZ_CHECK(uct_cert_matches_host(cert, name),
				       "a name does not match itself");
	}
	if (cert->subject_cn != NULL) {
		(void)uct_is_fqdn(cert->subject_cn);
		/* The CN is never consulted when matching. */
		(void)uct_cert_matches_host(cert, cert->subject_cn);
	}
}

/*
 * Whatever names a server's certificate holds, the state the agent writes
 * after approving it reads back intact: one record for that endpoint with
 * that fingerprint, and no record the names could have smuggled in. The
 * state may refuse or clean such names, never be damaged by them.
 */
static void check_state_names(const struct uct_cert *cert)
{
	const char *path = uct_fuzz_path("state");
	struct uct_state st = {0}, again;
	struct uct_err err = {0};
	int damaged = 0;

	uct_fuzz_unlink("state");
	uct_fuzz_unlink("state.last");
	uct_fuzz_unlink("state.damaged");
	if (uct_state_set_seen(&st, "uccx1.example.com:8445", cert, FUZZ_NOW) != 0)
		goto out;
	UCT_FUZZ_CHECK(uct_state_save(path, &st, &err) == 0, err.msg);
	UCT_FUZZ_CHECK(uct_state_load(path, &again, &damaged, &err) == 0, err.msg);
	UCT_FUZZ_CHECK(!damaged, "the state of one certificate reads back as damaged");
	UCT_FUZZ_CHECK(again.n_seen == 1 && again.n_installed == 0,
		       "the state of one certificate reads back as other records");
	UCT_FUZZ_CHECK(strcmp(again.seen[0].hostport, st.seen[0].hostport) == 0 &&
			       memcmp(again.seen[0].sha256, cert->sha256, UCT_SHA256_LEN) == 0,
		       "the seen record changed in a save and a load");
	uct_state_free(&again);
out:
	uct_state_free(&st);
}

/* Render one endpoint's result, as `check --json` and `check -v` do. */
static void check_report(const struct uct_cert *cert, const struct uct_chain *chain)
{
	struct uct_config cfg;
	struct uct_endpoint ep = {.name = "finesse",
				  .host = "uccx1.example.com",
				  .port = 8445,
				  .path = "/",
				  .url = "https://uccx1.example.com:8445/"};
	struct uct_fetch_target target = {.host = "uccx1.example.com",
					  .port = 8445,
					  .path = "/",
					  .status = UCT_FETCH_OK,
					  .chain = *chain};
	struct uct_store store = {.id = "nss:/fuzz", .path = "/fuzz", .group = "chromium"};
	struct uct_change change = {
		.store = &store, .trust = UCT_TRUST_PEER, .hostports = "uccx1.example.com:8445"};
	struct uct_ep_result res = {.ep = &ep, .target = &target, .verdict = UCT_V_NOT_TRUSTED};
	struct uct_run run = {0};
	struct uct_analyse_ctx actx;
	char *text = NULL;
	size_t len = 0;
	json_error_t jerr;
	json_t *doc;
	FILE *out;

	uct_config_init(&cfg);
	cfg.command = UCT_CMD_CHECK;
	run.record.state.n_seen = 0;
	actx = (struct uct_analyse_ctx){.cfg = &cfg, .state = &run.record.state, .now = FUZZ_NOW};
	uct_analyse(&actx, ep.host, ep.port, chain, &res.an);
	memcpy(change.sha256, cert->sha256, UCT_SHA256_LEN);
	change.subject = cert->subject != NULL ? cert->subject : "";
	run.cfg = &cfg;
	run.read.eps.v = &ep;
	run.read.eps.n = 1;
	run.read.eps.n_targets = 1;
	run.read.targets = &target;
	run.read.res = &res;
	run.plan.changes = &change;
	run.plan.n_changes = 1;
	run.outcome.started = FUZZ_NOW;

	out = open_memstream(&text, &len);
	UCT_FUZZ_CHECK(out != NULL, "open_memstream");
	uct_report_json(out, &run, NULL, 1);
	fclose(out);
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		fprintf(stderr, "uct-fuzz: %s\n%s\n", jerr.text, text);
	UCT_FUZZ_CHECK(doc != NULL, "--json output is not a valid JSON document");
	json_decref(doc);
	free(text);

	text = NULL;
	out = open_memstream(&text, &len);
	UCT_FUZZ_CHECK(out != NULL, "open_memstream");
	uct_report_text(out, &run, 1);
	fclose(out);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uct_cert *cert = NULL, *copy;
	struct uct_chain chain = {0};
	struct uct_err err = {0};

	if (uct_cert_parse(data, size, &cert, &err) != 0) {
		UCT_FUZZ_CHECK(cert == NULL && err.msg[0] != '\0',
			       "a failed parse without a reason");
		return 0;
	}
	UCT_FUZZ_CHECK(cert != NULL && cert->der_len > 0 && cert->der_len <= size,
		       "a parsed certificate without its DER");
	UCT_FUZZ_CHECK(cert->subject != NULL && cert->issuer != NULL, "no subject or issuer line");
	check_names(cert);
	check_state_names(cert);
	/* A chain of the certificate and its own copy (a server sending its
	 * leaf twice) goes through the analysis and the renderers. */
	copy = uct_cert_dup(cert);
	UCT_FUZZ_CHECK(copy != NULL, "uct_cert_dup failed");
	uct_chain_push(&chain, cert);
	check_report(cert, &chain);
	uct_chain_push(&chain, copy);
	check_report(cert, &chain);
	uct_chain_clear(&chain);
	return 0;
}
