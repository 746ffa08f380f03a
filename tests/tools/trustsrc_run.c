/*
 * trustsrc_run.c: runs the collector trust mode's source (agent/trustsrc.c)
 * once with the agent's own flags and prints what it decided, so that the
 * integration tests drive it against the real collector, on Linux and
 * under Wine.
 *
 *   uct-trustsrc check --node FQDN --trust collector --trust-url URL
 *                --trust-key FILE [--report-token-file FILE] [--state-dir DIR] ...
 *
 * Prints "ok serial=N approvals=N kept=0|1" (and "problem: ..." when the
 * kept document was used), or "refused FAULT: message"; exits 0, 1 when
 * refused, 2 when the configuration is refused.
 */
#include <inttypes.h>
#include <stdio.h>

#include "config.h"
#include "trustsrc.h"

int main(int argc, char **argv)
{
	struct uct_config cfg;
	struct uct_err err = {0};
	struct uct_trustsrc *src;
	const struct uct_trustdoc *doc = NULL;
	enum uct_trustdoc_fault fault = UCT_TRUSTDOC_NONE;
	int kept = 0, rc = 1;

	uct_config_init(&cfg);
	if (uct_config_load(&cfg, argc, argv, &err) < 0) {
		printf("config: %s\n", err.msg);
		uct_config_free(&cfg);
		return 2;
	}
	src = uct_trustsrc_start(&cfg, &err);
	if (src == NULL)
		printf("refused %s: %s\n", uct_trustdoc_fault_name(fault), err.msg);
	else if (uct_trustsrc_wait(src, &doc, &kept, &fault, &err) < 0)
		printf("refused %s: %s\n", uct_trustdoc_fault_name(fault), err.msg);
	else {
		printf("ok serial=%" PRId64 " approvals=%zu kept=%d\n", doc->serial, doc->n, kept);
		if (kept)
			printf("problem: %s\n", uct_trustsrc_problem(src));
		rc = 0;
	}
	uct_trustsrc_free(src);
	uct_config_free(&cfg);
	return rc;
}
