/*
 * fuzz_collector_report.c: libFuzzer target for the collector's report
 * parser (col_report_parse), the code that reads untrusted POST bodies.
 * Built with -DUCT_FUZZ=ON and clang; seeds in tests/fuzz/corpus.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "col.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct col_report *r = NULL;
	struct col_err err = {0};

	if (col_report_parse((const char *)data, size, &r, &err) == 0) {
		/* An accepted report has what the store relies on. */
		if (r->host_name == NULL || strlen(r->report_id) != 36 ||
		    r->n_problem_endpoints > r->n_endpoints)
			__builtin_trap();
		col_report_free(r);
	} else if (r != NULL || err.msg[0] == '\0') {
		__builtin_trap();
	}
	return 0;
}
