/*
 * sys.c: the Linux system helpers of platform.h: atomic and bounded file
 * I/O, the run lock, default paths, host facts and clocks.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "platform.h"
#include "safepath.h"
#include "stale.h"

/* ---- files ------------------------------------------------------------- */

int uct_file_read(const char *path, size_t max, char **out, size_t *len, struct uct_err *err)
{
	char *buf = NULL;
	size_t used = 0;
	ssize_t got;
	int fd;

	*out = NULL;
	if (len != NULL)
		*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return uct_err_set(err, UCT_E_IO, errno, "cannot read %s: %s", path,
				   strerror(errno));
	buf = malloc(max + 1);
	if (buf == NULL) {
		uct_err_set(err, UCT_E_NOMEM, 0, "out of memory reading %s", path);
		goto err;
	}
	/* Read one byte past max to tell "exactly max" from "too big". */
	for (;;) {
		got = read(fd, buf + used, max + 1 - used);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			uct_err_set(err, UCT_E_IO, errno, "cannot read %s: %s", path,
				    strerror(errno));
			goto err;
		}
		if (got == 0)
			break;
		used += (size_t)got;
		if (used > max) {
			uct_err_set(err, UCT_E_IO, EFBIG, "%s is larger than %zu bytes", path, max);
			goto err;
		}
	}
	close(fd);
	buf[used] = '\0';
	*out = buf;
	if (len != NULL)
		*len = used;
	return 0;
err:
	free(buf);
	close(fd);
	return -1;
}

static int sys_write_error(const char *path, int e, struct uct_err *err)
{
	if (e == ENOSPC || e == EDQUOT || e == EFBIG)
		return uct_err_set(
			err, UCT_E_IO, e,
			"disk full while writing %s (%s): free some space and run again; "
			"the previous file was left unchanged",
			path, strerror(e));
	return uct_err_set(err, UCT_E_IO, e, "cannot write %s: %s", path, strerror(e));
}

static int sys_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t put;

	while (len > 0) {
		put = write(fd, p, len);
		if (put < 0 && errno == EINTR)
			continue;
		if (put < 0)
			return -1;
		p += put;
		len -= (size_t)put;
	}
	return 0;
}

/*
 * Temp file, rename; durable: the data and the rename reach the disk first.
 * Everything happens relative to the directory reached by the safe walk
 * (safepath.c), so neither a link in the path nor one put at the file's
 * place redirects the write: renameat replaces a link, never writes
 * through it.
 */
/* Refuse to replace a link or anything but a regular file at base. */
static int sys_check_target(int dfd, const char *base, const char *path, struct uct_err *err)
{
	struct stat st;

	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return 0;
	if (S_ISLNK(st.st_mode))
		return uct_err_set(err, UCT_E_IO, ELOOP,
				   "refusing to write %s: it is a symbolic link (remove it and run "
				   "again)",
				   path);
	if (!S_ISREG(st.st_mode))
		return uct_err_set(err, UCT_E_IO, EINVAL,
				   "refusing to write %s: not a regular file", path);
	return 0;
}

/* Write data to tmp, a name in dfd that must not exist yet. On failure a
 * file this call created is removed; a name that was taken (O_EXCL failed)
 * is not ours and stays. */
static int sys_write_tmp(int dfd, const char *tmp, const char *path, const void *data, size_t len,
			 int mode, int durable, struct uct_err *err)
{
	int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			mode & 07777);

	if (fd < 0)
		return sys_write_error(path, errno, err);
	/* The umask must not make a state file unreadable to its owner. */
	if (fchmod(fd, (mode_t)(mode & 07777)) < 0 || sys_write_all(fd, data, len) < 0 ||
	    (durable && fsync(fd) < 0)) {
		sys_write_error(path, errno, err);
		close(fd);
		unlinkat(dfd, tmp, 0);
		return -1;
	}
	if (close(fd) < 0) {
		sys_write_error(path, errno, err);
		unlinkat(dfd, tmp, 0);
		return -1;
	}
	return 0;
}

static int sys_write_file(const char *path, const void *data, size_t len, int mode, int durable,
			  struct uct_err *err)
{
	static unsigned counter;
	const char *base = uct_path_base(path);
	char *dir = uct_path_dir(path), *tmp = NULL;
	int dfd = -1, rc = -1;

	if (dir == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	dfd = uct_safe_dir_open(dir, UCT_SAFE_CREATE, err);
	if (dfd < 0 || sys_check_target(dfd, base, path, err) < 0)
		goto out;
	/* Temporary files of writes killed before their rename (".NAME.tmp.
	 * PID.N"), of any name: a run writes the state, its outcome and the
	 * cache here, not always all three. */
	uct_stale_clean_at(dfd, dir, ".", ".tmp.", 0);
	tmp = uct_asprintf(".%s.tmp.%ld.%u", base, (long)getpid(), counter++);
	if (tmp == NULL) {
		uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
		goto out;
	}
	if (sys_write_tmp(dfd, tmp, path, data, len, mode, durable, err) < 0)
		goto out;
	if (renameat(dfd, tmp, dfd, base) < 0) {
		sys_write_error(path, errno, err);
		unlinkat(dfd, tmp, 0);
		goto out;
	}
	/* The rename itself is durable once the directory is. */
	if (durable)
		fsync(dfd);
	rc = 0;
out:
	if (dfd >= 0)
		close(dfd);
	free(tmp);
	free(dir);
	return rc;
}

int uct_file_write_atomic(const char *path, const void *data, size_t len, int mode,
			  struct uct_err *err)
{
	return sys_write_file(path, data, len, mode, 1, err);
}

int uct_file_write_replace(const char *path, const void *data, size_t len, int mode,
			   struct uct_err *err)
{
	return sys_write_file(path, data, len, mode, 0, err);
}

/* ---- run lock ---------------------------------------------------------- */

struct uct_lock {
	int fd;
};

static long lock_holder(int fd)
{
	char text[32];
	ssize_t got;

	got = pread(fd, text, sizeof(text) - 1, 0);
	if (got <= 0)
		return 0;
	text[got] = '\0';
	return strtol(text, NULL, 10);
}

/* Wait for the lock on fd until wait_ms have passed. */
static int lock_wait(int fd, const char *path, long wait_ms, struct uct_err *err)
{
	int64_t deadline = uct_monotonic_ms() + (wait_ms > 0 ? wait_ms : 0);
	long holder;

	/* flock, not fcntl: fcntl locks vanish when any descriptor of the file
	 * is closed by this process, which library code may do behind us. */
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return uct_err_set(err, UCT_E_SYSTEM, errno, "cannot lock %s: %s", path,
					   strerror(errno));
		if (uct_monotonic_ms() >= deadline) {
			holder = lock_holder(fd);
			if (holder > 0)
				return uct_err_set(
					err, UCT_E_LOCKED, holder,
					"another uccx-trust run (pid %ld) is in progress; "
					"run again when it has finished (lock %s)",
					holder, path);
			return uct_err_set(err, UCT_E_LOCKED, 0,
					   "another uccx-trust run is in progress; run again "
					   "when it has finished (lock %s)",
					   path);
		}
		usleep(20 * 1000);
	}
	return 0;
}

int uct_lock_acquire(const char *path, long wait_ms, struct uct_lock **out, struct uct_err *err)
{
	struct uct_lock *lock;
	char pid[32], *dir;
	int fd, dfd;

	*out = NULL;
	dir = uct_path_dir(path);
	if (dir == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	dfd = uct_safe_dir_open(dir, UCT_SAFE_CREATE, err);
	free(dir);
	if (dfd < 0)
		return -1;
	fd = openat(dfd, uct_path_base(path), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	close(dfd);
	if (fd < 0)
		return uct_err_set(err, UCT_E_IO, errno, "cannot open lock file %s: %s", path,
				   strerror(errno));
	if (lock_wait(fd, path, wait_ms, err) < 0)
		goto err;
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	/* The pid is only a hint for the message above: a failed write of it
	 * does not make the lock any less held. */
	if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, strlen(pid), 0) < 0) {
		/* Nothing to undo. */
	}
	lock = malloc(sizeof(*lock));
	if (lock == NULL) {
		uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
		goto err;
	}
	lock->fd = fd;
	*out = lock;
	return 0;
err:
	close(fd);
	return -1;
}

void uct_lock_release(struct uct_lock *lock)
{
	if (lock == NULL)
		return;
	/* Leave the file in place: unlinking it would let a waiter lock an
	 * inode nobody else can see any more. */
	if (ftruncate(lock->fd, 0) < 0) {
		/* Only the pid hint is stale; the lock itself is released below. */
	}
	flock(lock->fd, LOCK_UN);
	close(lock->fd);
	free(lock);
}

/* ---- paths and host facts ---------------------------------------------- */

static const char *sys_home(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home != NULL && home[0] == '/')
		return home;
	pw = getpwuid(geteuid());
	return pw != NULL ? pw->pw_dir : NULL;
}

char *uct_default_state_dir(void)
{
	const char *xdg, *home;

	if (uct_is_privileged())
		return uct_strdup("/var/lib/uccx-trust");
	/* The XDG base directory spec ignores relative values. */
	xdg = getenv("XDG_STATE_HOME");
	if (xdg != NULL && xdg[0] == '/')
		return uct_asprintf("%s/uccx-trust", xdg);
	home = sys_home();
	if (home == NULL)
		return NULL;
	return uct_asprintf("%s/.local/state/uccx-trust", home);
}

char *uct_home_state_dir(const char *home)
{
	char *cwd, *dir;

	if (home[0] == '/')
		return uct_asprintf("%s/.local/state/uccx-trust", home);
	cwd = getcwd(NULL, 0);
	dir = cwd != NULL ? uct_asprintf("%s/%s/.local/state/uccx-trust", cwd, home) : NULL;
	free(cwd);
	return dir;
}

const char *uct_default_config_path(void)
{
	return "/etc/uccx-trust/agent.ini";
}

int uct_is_privileged(void)
{
	return geteuid() == 0;
}

char *uct_host_name(void)
{
	char name[HOST_NAME_MAX + 1];

	if (gethostname(name, sizeof(name)) < 0)
		return uct_strdup("unknown");
	name[sizeof(name) - 1] = '\0';
	return uct_strdup(name);
}

char *uct_user_name(void)
{
	struct passwd *pw = getpwuid(geteuid());

	if (pw != NULL && pw->pw_name != NULL)
		return uct_strdup(pw->pw_name);
	return uct_asprintf("uid %ld", (long)geteuid());
}

/* PRETTY_NAME from os-release(5), unquoted; NULL when absent. */
static char *sys_pretty_name(void)
{
	static const char *const files[] = {"/etc/os-release", "/usr/lib/os-release"};
	char *text = NULL, *line, *value, *end, *name = NULL, *save = NULL;
	size_t i, n;

	for (i = 0; i < sizeof(files) / sizeof(files[0]) && name == NULL; i++) {
		if (uct_file_read(files[i], 64 * 1024, &text, NULL, NULL) < 0)
			continue;
		for (line = strtok_r(text, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save)) {
			if (strncmp(line, "PRETTY_NAME=", 12) != 0)
				continue;
			value = line + 12;
			n = strlen(value);
			if (n >= 2 && (value[0] == '"' || value[0] == '\'')) {
				end = strrchr(value + 1, value[0]);
				if (end != NULL)
					*end = '\0';
				value++;
			}
			name = uct_strdup(value);
			break;
		}
		free(text);
		text = NULL;
	}
	return name;
}

char *uct_os_name(void)
{
	struct utsname un;
	char *pretty = sys_pretty_name(), *out;

	if (uname(&un) < 0) {
		if (pretty != NULL)
			return pretty;
		return uct_strdup("Linux");
	}
	if (pretty != NULL)
		out = uct_asprintf("%s (%s %s %s)", pretty, un.sysname, un.release, un.machine);
	else
		out = uct_asprintf("%s %s %s", un.sysname, un.release, un.machine);
	free(pretty);
	return out;
}

int64_t uct_now(void)
{
	return (int64_t)time(NULL);
}

int64_t uct_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- doctor ------------------------------------------------------------- */

/* On Linux the agent manages the browsers' own databases and the system
 * anchors directly: no policy hides them, and doctor says nothing more. */
void uct_platform_doctor_notes(const struct uct_strv *hosts, struct uct_strv *notes)
{
	(void)hosts;
	(void)notes;
}

/* ---- process set-up ----------------------------------------------------- */

/* Interactive runs and systemd units alike: stderr reaches the terminal or
 * the journal. */
uct_log_sink uct_platform_log_sink(void **ctx)
{
	*ctx = NULL;
	return uct_log_stderr;
}

int uct_platform_init(struct uct_err *err)
{
	(void)err;
	/* A server that closes mid-handshake must give an error, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	/* libcurl is loaded by the first network call, not here (curl_dl.c). */
	return 0;
}

void uct_platform_cleanup(void)
{
	/* libcurl, if still loaded, is left to the process exit: unmapping
	 * it library by library (dlclose) costs about a millisecond that the
	 * exit does for free, and it holds nothing that must be flushed. */
}
