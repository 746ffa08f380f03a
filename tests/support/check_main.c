/*
 * check_main.c: the temporary directory fixture and the suite runner that
 * every Check test program shares (check_main.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* program_invocation_short_name, nftw's FTW_PHYS */
#endif
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"

static char tmpdir[PATH_MAX];

void uct_check_tmpdir_setup(void)
{
	int n = snprintf(tmpdir, sizeof(tmpdir), "/tmp/%s-XXXXXX", program_invocation_short_name);

	ck_assert_msg(n > 0 && (size_t)n < sizeof(tmpdir), "program name too long");
	ck_assert_msg(mkdtemp(tmpdir) != NULL, "cannot make a directory %s: %s", tmpdir,
		      strerror(errno));
}

/* A test may leave directories without write or search permission (to
 * check that reading needs none): give them back before removing. */
static int tmpdir_unlock(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_D || type == FTW_DNR)
		chmod(path, (st->st_mode & 07777) | S_IRWXU);
	return 0;
}

static int tmpdir_remove(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((type == FTW_DP ? rmdir(path) : unlink(path)) != 0) {
		fprintf(stderr, "cannot remove %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

void uct_check_tmpdir_teardown(void)
{
	if (tmpdir[0] == '\0')
		return;
	nftw(tmpdir, tmpdir_unlock, 16, FTW_PHYS);
	ck_assert_msg(nftw(tmpdir, tmpdir_remove, 16, FTW_DEPTH | FTW_PHYS) == 0,
		      "cannot remove the test directory %s (see above)", tmpdir);
	tmpdir[0] = '\0';
}

const char *uct_check_tmpdir(void)
{
	ck_assert_msg(tmpdir[0] != '\0', "no test directory: add uct_check_tmpdir_setup");
	return tmpdir;
}

char *uct_check_path(const char *name)
{
	static char bufs[8][PATH_MAX];
	static unsigned next;
	char *b = bufs[next++ % 8];
	int n = snprintf(b, PATH_MAX, "%s/%s", uct_check_tmpdir(), name);

	ck_assert_msg(n > 0 && n < PATH_MAX, "path too long: %s", name);
	return b;
}

long uct_check_dead_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	return (long)pid;
}

TCase *uct_check_tcase(Suite *suite, const char *name, int with_tmpdir)
{
	TCase *tc = tcase_create(name);

	if (with_tmpdir)
		tcase_add_checked_fixture(tc, uct_check_tmpdir_setup, uct_check_tmpdir_teardown);
	suite_add_tcase(suite, tc);
	return tc;
}

/* CK_FORK_GETENV leaves the choice to Check (CK_FORK in the environment,
 * forking by default). */
static int check_run(Suite *suite, enum fork_status fork)
{
	SRunner *sr = srunner_create(suite);
	int failed;

	if (fork != CK_FORK_GETENV)
		srunner_set_fork_status(sr, fork);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int uct_check_run(Suite *suite)
{
	return check_run(suite, CK_FORK_GETENV);
}

int uct_check_run_nofork(Suite *suite)
{
	return check_run(suite, CK_NOFORK);
}
