/*
 * test_sys.c: the Linux system helpers: INI reading with line numbers,
 * atomic writes (replace, no leftovers, symlinks, disk full), the run lock,
 * and the refusal of paths through another user's links and directories.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"
#include "platform.h"

/* A path under this test's own directory (check_main.h). */
static char *path_in(const char *name)
{
	return uct_check_path(name);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* Number of directory entries other than . and .. */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* ---- INI ------------------------------------------------------------- */

struct seen {
	char text[2048];
	int stop_at_line;
};

static int record(void *ctx, const char *section, const char *key, const char *value, int line)
{
	struct seen *seen = ctx;
	size_t used = strlen(seen->text);

	snprintf(seen->text + used, sizeof(seen->text) - used, "%d[%s]%s=%s|", line, section, key,
		 value);
	return line == seen->stop_at_line ? 7 : 0;
}

START_TEST(ini_pairs_and_line_numbers)
{
	struct seen seen = {"", 0};
	struct uct_err err = {0};
	char *path = path_in("a.ini");

	write_text(path, "\xef\xbb\xbf; comment\n"
			 "# another\n"
			 "\n"
			 "[uccx]\n"
			 "  nodes = a.example.com, b.example.com  ; inline comment\n"
			 "urls=https://x.example.com/page#top\r\n"
			 "[ trust ]  # comment\n"
			 "mode = \"pinned\"\n"
			 "empty =\n");
	ck_assert_int_eq(uct_ini_parse(path, record, &seen, &err), 0);
	ck_assert_str_eq(seen.text, "5[uccx]nodes=a.example.com, b.example.com|"
				    "6[uccx]urls=https://x.example.com/page#top|"
				    "8[trust]mode=pinned|9[trust]empty=|");
}
END_TEST

START_TEST(ini_long_line_is_one_value)
{
	struct seen seen = {"", 0};
	struct uct_err err = {0};
	char *path = path_in("long.ini"), line[1200];
	size_t i;

	/* Longer than the 200 bytes at which a line-buffered reader splits. */
	strcpy(line, "[uccx]\nurls = ");
	for (i = 0; i < 20; i++)
		strcat(line, "https://server.example.com:8445/a/b/c, ");
	strcat(line, "https://last.example.com/\n");
	write_text(path, line);
	ck_assert_int_eq(uct_ini_parse(path, record, &seen, &err), 0);
	ck_assert_ptr_null(strstr(seen.text, "|3["));
	ck_assert_ptr_nonnull(strstr(seen.text, "https://last.example.com/|"));
}
END_TEST

START_TEST(ini_syntax_error_names_line)
{
	static const char *const bad[] = {
		"[uccx]\nnodes = a.example.com\nthis line has no equals\n",
		"[uccx]\nnodes = a.example.com\n[unclosed\n",
		"[uccx]\nnodes = a.example.com\n = value\n",
		"[uccx]\nnodes = a.example.com\n[]\n",
	};
	char *path = path_in("bad.ini"), want[600];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct seen seen = {"", 0};
		struct uct_err err = {0};

		write_text(path, bad[i]);
		ck_assert_int_eq(uct_ini_parse(path, record, &seen, &err), -1);
		ck_assert_int_eq(err.code, UCT_E_CONFIG);
		snprintf(want, sizeof(want),
			 "%s:3: syntax error: expected 'key = value' or '[section]'", path);
		ck_assert_str_eq(err.msg, want);
	}
}
END_TEST

START_TEST(ini_handler_stops_parse)
{
	struct seen seen = {"", 2};
	struct uct_err err = {0};
	char *path = path_in("stop.ini");

	write_text(path, "[a]\nx = 1\ny = 2\n");
	ck_assert_int_eq(uct_ini_parse(path, record, &seen, &err), 7);
	ck_assert_str_eq(seen.text, "2[a]x=1|");
}
END_TEST

START_TEST(ini_missing_file)
{
	struct seen seen = {"", 0};
	struct uct_err err = {0};

	ck_assert_int_eq(uct_ini_parse(path_in("absent.ini"), record, &seen, &err), -1);
	ck_assert_int_eq(err.code, UCT_E_IO);
	ck_assert_int_eq(err.native, ENOENT);
}
END_TEST

/* ---- files ------------------------------------------------------------- */

START_TEST(atomic_write_creates_and_replaces)
{
	struct uct_err err = {0};
	char *path = path_in("deep/er/state.json"), *text = NULL;
	struct stat st;
	size_t len;

	ck_assert_int_eq(uct_file_write_atomic(path, "first", 5, 0600, &err), 0);
	ck_assert_int_eq(stat(path_in("deep"), &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(uct_file_write_atomic(path, "second!", 7, 0640, &err), 0);
	ck_assert_int_eq(uct_file_read(path, 100, &text, &len, &err), 0);
	ck_assert_str_eq(text, "second!");
	ck_assert_uint_eq(len, 7);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0640);
	/* Only the file itself: no temporary left next to it. */
	ck_assert_int_eq(count_entries(path_in("deep/er")), 1);
	free(text);
}
END_TEST

/*
 * A write killed before its rename leaves ".NAME.tmp.PID.N" behind. The
 * next write in that directory removes those whose writer is gone, of any
 * name (a run does not write the state every time); one whose writer runs
 * is a write in progress and stays, and so do files that only look alike.
 */
START_TEST(atomic_write_removes_stale_temporaries)
{
	struct uct_err err = {0};
	char dead[64], live[64], keep[3][64];
	struct stat st;
	long gone = uct_check_dead_pid();
	int i;

	snprintf(dead, sizeof(dead), "st/.state.tmp.%ld.0", gone);
	snprintf(live, sizeof(live), "st/.verify-cache.tmp.%ld.3", (long)getppid());
	snprintf(keep[0], sizeof(keep[0]), "st/state.tmp.%ld.0", gone);
	snprintf(keep[1], sizeof(keep[1]), "st/.state.tmp.x%ld.0", gone);
	snprintf(keep[2], sizeof(keep[2]), "st/.state.tmp.%ld", gone);
	ck_assert_int_eq(uct_file_write_atomic(path_in("st/state"), "1", 1, 0600, &err), 0);
	write_text(path_in(dead), "torn");
	write_text(path_in(live), "in progress");
	for (i = 0; i < 3; i++)
		write_text(path_in(keep[i]), "not ours");
	ck_assert_int_eq(uct_file_write_replace(path_in("st/state.last"), "2", 1, 0600, &err), 0);
	ck_assert_int_eq(stat(path_in(dead), &st), -1);
	ck_assert_int_eq(stat(path_in(live), &st), 0);
	for (i = 0; i < 3; i++)
		ck_assert_msg(stat(path_in(keep[i]), &st) == 0, "%s removed", keep[i]);
}
END_TEST

START_TEST(atomic_write_refuses_symlink)
{
	struct uct_err err = {0};
	char *target = path_in("target"), *link = path_in("link"), *text = NULL;

	write_text(target, "keep");
	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert_int_eq(uct_file_write_atomic(link, "evil", 4, 0600, &err), -1);
	ck_assert_int_eq(err.code, UCT_E_IO);
	ck_assert_ptr_nonnull(strstr(err.msg, "symbolic link"));
	ck_assert_int_eq(uct_file_read(target, 100, &text, NULL, &err), 0);
	ck_assert_str_eq(text, "keep");
	ck_assert_int_eq(count_entries(uct_check_tmpdir()), 2);
	free(text);
}
END_TEST

/* A full disk in a private mount namespace (nothing outside the child
 * process sees the 64 KiB tmpfs). */
START_TEST(atomic_write_disk_full_keeps_old_file)
{
	char *mnt = path_in("small");
	static char big[256 * 1024];
	struct uct_err err = {0};
	char *text = NULL, file[600];
	int status;
	pid_t pid;

	ck_assert_int_eq(mkdir(mnt, 0700), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("tmpfs", mnt, "tmpfs", 0, "size=64k") < 0)
			_exit(77);
		snprintf(file, sizeof(file), "%s/state.json", mnt);
		if (uct_file_write_atomic(file, "old", 3, 0600, &err) < 0)
			_exit(10);
		memset(big, 'x', sizeof(big));
		if (uct_file_write_atomic(file, big, sizeof(big), 0600, &err) == 0)
			_exit(11);
		if (strstr(err.msg, "disk full") == NULL || err.native != ENOSPC)
			_exit(12);
		if (uct_file_read(file, 100, &text, NULL, &err) < 0 || strcmp(text, "old") != 0)
			_exit(13);
		_exit(count_entries(mnt) == 1 ? 0 : 14);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77) {
		fprintf(stderr,
			"test_sys: no mount namespace (not root?): disk-full case skipped\n");
		return;
	}
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	(void)text;
}
END_TEST

START_TEST(file_read_is_bounded)
{
	struct uct_err err = {0};
	char *path = path_in("ten"), *text = NULL;
	size_t len = 99;

	write_text(path, "0123456789");
	ck_assert_int_eq(uct_file_read(path, 10, &text, &len, &err), 0);
	ck_assert_uint_eq(len, 10);
	free(text);
	ck_assert_int_eq(uct_file_read(path, 9, &text, &len, &err), -1);
	ck_assert_ptr_null(text);
	ck_assert_int_eq(err.code, UCT_E_IO);
}
END_TEST

/* ---- lock ---------------------------------------------------------------- */

START_TEST(lock_second_run_waits_then_fails)
{
	char *path = path_in("run/lock");
	struct uct_lock *lock = NULL;
	struct uct_err err = {0};
	int pipefd[2], status;
	int64_t start, took;
	char want[64];
	pid_t pid;

	ck_assert_int_eq(uct_lock_acquire(path, 0, &lock, &err), 0);
	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct uct_lock *second = NULL;
		struct uct_err cerr = {0};
		int64_t t0 = uct_monotonic_ms(), ms;

		close(pipefd[0]);
		if (uct_lock_acquire(path, 300, &second, &cerr) == 0)
			_exit(1);
		ms = uct_monotonic_ms() - t0;
		if (write(pipefd[1], &ms, sizeof(ms)) != sizeof(ms) ||
		    write(pipefd[1], &cerr, sizeof(cerr)) != sizeof(cerr))
			_exit(2);
		_exit(0);
	}
	close(pipefd[1]);
	ck_assert_int_eq(read(pipefd[0], &took, sizeof(took)), sizeof(took));
	ck_assert_int_eq(read(pipefd[0], &err, sizeof(err)), sizeof(err));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_ge(took, 300);
	ck_assert_int_lt(took, 2000);
	ck_assert_int_eq(err.code, UCT_E_LOCKED);
	snprintf(want, sizeof(want), "(pid %ld)", (long)getpid());
	ck_assert_ptr_nonnull(strstr(err.msg, want));
	close(pipefd[0]);

	/* Released: the next run gets it at once. */
	uct_lock_release(lock);
	memset(&err, 0, sizeof(err));
	start = uct_monotonic_ms();
	ck_assert_int_eq(uct_lock_acquire(path, 1000, &lock, &err), 0);
	ck_assert_int_lt(uct_monotonic_ms() - start, 200);
	uct_lock_release(lock);
}
END_TEST

START_TEST(lock_waiter_gets_it_when_holder_exits)
{
	char *path = path_in("lock");
	struct uct_lock *lock = NULL;
	struct uct_err err = {0};
	pid_t pid;
	int status;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct uct_lock *held = NULL;

		if (uct_lock_acquire(path, 0, &held, NULL) < 0)
			_exit(1);
		usleep(200 * 1000);
		_exit(0); /* exit releases the lock without uct_lock_release */
	}
	usleep(50 * 1000);
	ck_assert_int_eq(uct_lock_acquire(path, 5000, &lock, &err), 0);
	uct_lock_release(lock);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* ---- host facts ------------------------------------------------------------ */

START_TEST(defaults_and_facts)
{
	char *dir, *os, *host, *user;

	setenv("XDG_STATE_HOME", "/xdg/state", 1);
	dir = uct_default_state_dir();
	ck_assert_str_eq(dir, geteuid() == 0 ? "/var/lib/uccx-trust" : "/xdg/state/uccx-trust");
	free(dir);
	/* A home given with --home keeps its own state. */
	dir = uct_home_state_dir("/srv/kiosk");
	ck_assert_str_eq(dir, "/srv/kiosk/.local/state/uccx-trust");
	free(dir);
	ck_assert_str_eq(uct_default_config_path(), "/etc/uccx-trust/agent.ini");
	ck_assert_int_eq(uct_is_privileged(), geteuid() == 0);
	os = uct_os_name();
	host = uct_host_name();
	user = uct_user_name();
	ck_assert_ptr_nonnull(strstr(os, "Linux"));
	ck_assert_uint_gt(strlen(host), 0);
	ck_assert_uint_gt(strlen(user), 0);
	ck_assert_int_gt(uct_now(), 1700000000);
	free(os);
	free(host);
	free(user);
}
END_TEST

/* ---- paths of another user ---------------------------------------------- */

/* A directory of "another user" (nobody) holding one file, as a victim's
 * directory the agent must never write into, list or trim. Needs root. */
static const char *victim_dir(void)
{
	char *dir = path_in("victim");

	ck_assert_int_eq(mkdir(dir, 0755), 0);
	write_text(path_in("victim/1-precious.json"), "victim's");
	ck_assert_int_eq(chown(path_in("victim/1-precious.json"), 65534, 65534), 0);
	ck_assert_int_eq(chown(dir, 65534, 65534), 0);
	return dir;
}

/* The victim's directory is as it was: its one file, unchanged. */
static void assert_victim_intact(void)
{
	char *text = NULL;
	struct uct_err err = {0};

	ck_assert_int_eq(count_entries(path_in("victim")), 1);
	ck_assert_int_eq(uct_file_read(path_in("victim/1-precious.json"), 100, &text, NULL, &err),
			 0);
	ck_assert_str_eq(text, "victim's");
	free(text);
}

/* A state or spool directory that is a link into another user's directory:
 * root neither writes, locks, lists nor removes there. */
START_TEST(paths_through_foreign_link_refused)
{
	struct uct_err err = {0};
	struct uct_strv names = {0};
	struct uct_lock *lock = NULL;

	if (geteuid() != 0)
		return; /* only root can give a directory away */
	ck_assert_int_eq(symlink(victim_dir(), path_in("spool")), 0);
	ck_assert_int_eq(uct_file_write_atomic(path_in("spool/2-new.json"), "x", 1, 0600, &err),
			 -1);
	ck_assert_int_eq(err.code, UCT_E_IO);
	ck_assert_msg(strstr(err.msg, "belongs to another user (uid 65534)") != NULL, "%s",
		      err.msg);
	uct_err_clear(&err);
	ck_assert_int_eq(uct_dir_list(path_in("spool"), &names, &err), -1);
	ck_assert_uint_eq(names.n, 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "belongs to another user"));
	uct_err_clear(&err);
	ck_assert_int_eq(uct_file_remove(path_in("spool/1-precious.json"), &err), -1);
	uct_err_clear(&err);
	ck_assert_int_eq(uct_lock_acquire(path_in("spool/lock"), 0, &lock, &err), -1);
	ck_assert_ptr_null(lock);
	uct_err_clear(&err);
	/* Deeper: a directory to create under the victim's. */
	ck_assert_int_eq(uct_file_write_atomic(path_in("spool/sub/state"), "x", 1, 0600, &err), -1);
	assert_victim_intact();
}
END_TEST

/* A link of another user is not followed even to a directory of ours; a
 * directory others may change (not sticky) is refused; a link of our own,
 * relative and through "..", is followed. */
START_TEST(paths_foreign_link_and_open_dir)
{
	struct uct_err err = {0};
	char *text = NULL;

	ck_assert_int_eq(mkdir(path_in("open"), 0777), 0);
	ck_assert_int_eq(chmod(path_in("open"), 0777), 0);
	ck_assert_int_eq(uct_file_write_atomic(path_in("open/state"), "x", 1, 0600, &err), -1);
	ck_assert_msg(strstr(err.msg, "other users can change it (mode 0777)") != NULL, "%s",
		      err.msg);
	ck_assert_int_eq(count_entries(path_in("open")), 0);
	uct_err_clear(&err);

	ck_assert_int_eq(mkdir(path_in("mine"), 0700), 0);
	ck_assert_int_eq(mkdir(path_in("mine/a"), 0700), 0);
	ck_assert_int_eq(symlink("../b", path_in("mine/a/link")), 0);
	ck_assert_int_eq(uct_file_write_atomic(path_in("mine/a/link/state"), "ok", 2, 0600, &err),
			 0);
	ck_assert_int_eq(uct_file_read(path_in("mine/b/state"), 100, &text, NULL, &err), 0);
	ck_assert_str_eq(text, "ok");
	free(text);

	if (geteuid() != 0)
		return;
	ck_assert_int_eq(lchown(path_in("mine/a/link"), 65534, 65534), 0);
	ck_assert_int_eq(uct_file_write_atomic(path_in("mine/a/link/state"), "no", 2, 0600, &err),
			 -1);
	ck_assert_msg(strstr(err.msg, "a symbolic link of another user (uid 65534)") != NULL, "%s",
		      err.msg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sys");
	TCase *tc = uct_check_tcase(s, "sys", 1);

	tcase_add_test(tc, ini_pairs_and_line_numbers);
	tcase_add_test(tc, ini_long_line_is_one_value);
	tcase_add_test(tc, ini_syntax_error_names_line);
	tcase_add_test(tc, ini_handler_stops_parse);
	tcase_add_test(tc, ini_missing_file);
	tcase_add_test(tc, atomic_write_creates_and_replaces);
	tcase_add_test(tc, atomic_write_refuses_symlink);
	tcase_add_test(tc, atomic_write_removes_stale_temporaries);
	tcase_add_test(tc, atomic_write_disk_full_keeps_old_file);
	tcase_add_test(tc, file_read_is_bounded);
	tcase_add_test(tc, lock_second_run_waits_then_fails);
	tcase_add_test(tc, lock_waiter_gets_it_when_holder_exits);
	tcase_add_test(tc, defaults_and_facts);
	tcase_add_test(tc, paths_through_foreign_link_refused);
	tcase_add_test(tc, paths_foreign_link_and_open_dir);
	return uct_check_run(s);
}
