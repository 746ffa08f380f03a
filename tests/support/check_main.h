/*
 * check_main.h: what every Check test program shares: a fresh temporary
 * directory for each test (a checked fixture, so that it is made again in
 * each test's own process) and the main() that runs one suite.
 */
#ifndef UCT_CHECK_MAIN_H
#define UCT_CHECK_MAIN_H

#include <check.h>

/*
 * The checked fixture: uct_check_tmpdir_setup makes a new directory (0700,
 * /tmp/PROGRAM-XXXXXX) for the test about to run, failing the test when it
 * cannot; uct_check_tmpdir_teardown removes it with everything in it, even
 * what the test made read-only, and fails the test when it cannot. Add
 * both with tcase_add_checked_fixture (or use uct_check_tcase) before any
 * fixture of the test's own that uses the directory: Check runs setups in
 * the order they were added and teardowns in the reverse order.
 */
void uct_check_tmpdir_setup(void);
void uct_check_tmpdir_teardown(void);

/* The running test's directory (borrowed; valid until its teardown). */
const char *uct_check_tmpdir(void);

/* "DIR/name" under the running test's directory, in one of eight static
 * buffers used in turn: copy it to keep it past seven more calls. */
char *uct_check_path(const char *name);

/* The pid of a process that has exited and was reaped: a writer that is
 * gone, as a lock or temporary file names it. Fails the test when it
 * cannot fork. */
long uct_check_dead_pid(void);

/* A new test case called name, added to suite, with the temporary
 * directory fixture when tmpdir is set. */
TCase *uct_check_tcase(Suite *suite, const char *name, int tmpdir);

/* Runs every test of suite (Check's normal output; CK_RUN_CASE and the
 * other CK_ variables apply) and frees it. EXIT_SUCCESS when no test
 * failed, EXIT_FAILURE otherwise: the program's exit status for ctest. */
int uct_check_run(Suite *suite);

/* The same, running every test in this process (CK_NOFORK): for suites
 * whose tests share what one of them made, and that need no fixture. */
int uct_check_run_nofork(Suite *suite);

/* A test program whose main() only runs the suite make_suite() returns. */
#define UCT_CHECK_MAIN(make_suite)                  \
	int main(void)                              \
	{                                           \
		return uct_check_run(make_suite()); \
	}

#endif
