/*
 * override_linux.c: the Linux side of the Firefox override store
 * (override_os.h): the profile lock of a running Firefox, and reading and
 * replacing cert_override.txt without following a symlink.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "../common/override_os.h"
#include "log.h"
#include "safepath.h"
#include "stale.h"

/* ---- profile lock: is Firefox running on this profile? ---------------- */

/* Firefox on Linux makes `lock` a symlink to "IP:+PID". A dangling link from
 * a crash names a dead PID; kill(pid, 0) tells (EPERM: alive, not ours). */
static int ovr_lock_link_alive(const char *profile_dir, long *pid)
{
	char path[PATH_MAX], target[256];
	const char *plus;
	char *end;
	ssize_t len;

	if (snprintf(path, sizeof(path), "%s/lock", profile_dir) >= (int)sizeof(path))
		return 0;
	len = readlink(path, target, sizeof(target) - 1);
	if (len < 0)
		return 0;
	target[len] = '\0';
	plus = strrchr(target, '+');
	if (plus == NULL)
		return 0;
	errno = 0;
	*pid = strtol(plus + 1, &end, 10);
	if (errno != 0 || end == plus + 1 || *end != '\0' || *pid <= 0 || *pid > INT_MAX)
		return 0;
	return kill((pid_t)*pid, 0) == 0 || errno == EPERM;
}

/* The running Firefox also holds an fcntl write lock on `.parentlock`. This
 * check works across PID namespaces (Flatpak), where the PID in the symlink
 * means nothing to us. F_GETLK does not see our own process's locks, which is
 * what we want. */
static int ovr_parentlock_held(const char *profile_dir, long *pid)
{
	struct flock fl;
	char path[PATH_MAX];
	int fd, held = 0;

	if (snprintf(path, sizeof(path), "%s/.parentlock", profile_dir) >= (int)sizeof(path))
		return 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK) {
		held = 1;
		*pid = fl.l_pid;
	}
	close(fd);
	return held;
}

/* 1 when a Firefox process runs on profile_dir (logged with its PID). */
int uct_ovr_os_busy(const char *profile_dir)
{
	long pid = 0;

	if (ovr_lock_link_alive(profile_dir, &pid) || ovr_parentlock_held(profile_dir, &pid)) {
		uct_log(UCT_LOG_DEBUG, "Firefox (pid %ld) holds profile %s", pid, profile_dir);
		return 1;
	}
	return 0;
}

/* ---- reading and writing ---------------------------------------------- */

/* O_NOFOLLOW refuses a symlink; O_NONBLOCK keeps a FIFO planted there from
 * blocking the open. */
int uct_ovr_os_read(const char *path, char **out, size_t *len, struct uct_err *err)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t r;
	int fd;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 && errno == ELOOP)
		return uct_err_set(err, UCT_E_IO, ELOOP,
				   "%s is a symbolic link: refusing to use it (remove the link)",
				   path);
	if (fd < 0)
		return uct_err_set(err, UCT_E_IO, errno, "cannot open %s: %s", path,
				   strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > UCT_OVR_MAX_SIZE) {
		uct_err_set(err, UCT_E_IO, 0, "%s is not a regular file of sensible size", path);
		goto err;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		uct_err_set(err, UCT_E_NOMEM, 0, "out of memory reading %s", path);
		goto err;
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			uct_err_set(err, UCT_E_IO, errno, "cannot read %s: %s", path,
				    strerror(errno));
			goto err;
		}
		if (r == 0)
			break; /* shrank while we read: take what is there */
		got += (size_t)r;
	}
	buf[got] = '\0';
	close(fd);
	*out = buf;
	*len = got;
	return 0;
err:
	free(buf);
	close(fd);
	return -1;
}

/*
 * Replace path with data: a temporary file in the same directory, fsync,
 * rename, all relative to the profile directory reached by the safe walk
 * (safepath.c): a profile that is, or lies under, another user's directory
 * or link is refused, and renameat replaces a link put at the file's place
 * rather than writing through it.
 */
static int ovr_write_at(int dfd, const char *path, const char *data, size_t len,
			struct uct_err *err)
{
	static unsigned counter;
	const char *base = uct_path_base(path);
	char tmp[NAME_MAX + 1];
	size_t off = 0;
	ssize_t w;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.uct-%ld-%u", base, (long)getpid(), counter++) >=
	    (int)sizeof(tmp))
		return uct_err_set(err, UCT_E_IO, 0, "path too long: %s", path);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return uct_err_set(err, UCT_E_IO, errno, "cannot create a file next to %s: %s",
				   path, strerror(errno));
	if (fchmod(fd, 0600) != 0)
		goto err_errno;
	while (off < len) {
		w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto err_errno;
		off += (size_t)w;
	}
	if (fsync(fd) != 0)
		goto err_errno;
	if (close(fd) != 0) {
		fd = -1;
		goto err_errno;
	}
	fd = -1;
	if (renameat(dfd, tmp, dfd, base) != 0)
		goto err_errno;
	/* Make the rename itself durable. */
	fsync(dfd);
	return 0;
err_errno:
	uct_err_set(err, UCT_E_IO, errno, "cannot write %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlinkat(dfd, tmp, 0);
	return -1;
}

/* Refuse a symlink (or anything but a regular file) at the override path:
 * the agent must not be steered into writing elsewhere. */
static int ovr_check_target(int dfd, const char *path, struct uct_err *err)
{
	struct stat st;

	if (fstatat(dfd, uct_path_base(path), &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0
				       : uct_err_set(err, UCT_E_IO, errno, "cannot inspect %s: %s",
						     path, strerror(errno));
	if (S_ISLNK(st.st_mode))
		return uct_err_set(
			err, UCT_E_IO, ELOOP,
			"%s is a symbolic link: refusing to write through it (remove the link)",
			path);
	if (!S_ISREG(st.st_mode))
		return uct_err_set(err, UCT_E_IO, 0, "%s is not a regular file", path);
	return 0;
}

int uct_ovr_os_write(const char *path, const char *data, size_t len, struct uct_err *err)
{
	char *dir = uct_path_dir(path);
	int dfd, rc;

	if (dir == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	dfd = uct_safe_dir_open(dir, 0, err);
	if (dfd < 0) {
		free(dir);
		return -1;
	}
	/* Temporary files of writes killed before their rename (the pid in
	 * their names tells whether the writer is gone). */
	uct_stale_clean_at(dfd, dir, uct_path_base(path), ".uct-", 0);
	free(dir);
	rc = ovr_check_target(dfd, path, err) == 0 ? ovr_write_at(dfd, path, data, len, err) : -1;
	close(dfd);
	return rc;
}

void uct_ovr_os_tidy(const char *path)
{
	struct uct_err err = {0};
	char *dir = uct_path_dir(path);
	int dfd;

	if (dir == NULL)
		return;
	/* Only where the agent would write: the same safe walk. */
	dfd = uct_safe_dir_open(dir, 0, &err);
	if (dfd >= 0) {
		uct_stale_clean_at(dfd, dir, uct_path_base(path), ".uct-", 0);
		close(dfd);
	} else if (err.native != ENOENT) {
		uct_log(UCT_LOG_DEBUG, "%s: not tidied: %s", dir, err.msg);
	}
	free(dir);
}

/* Firefox on Linux trusts what its profile's NSS database holds (a store of
 * its own) and nothing of the system's: no other source to consult. */
int uct_ovr_os_verify(const struct uct_chain *chain, const char *host,
		      struct uct_verify_result *out, struct uct_err *err)
{
	(void)chain;
	(void)host;
	(void)err;
	memset(out, 0, sizeof(*out));
	return 0;
}
