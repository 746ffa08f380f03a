/*
 * stale.c: removing the temporary files of writers that were killed (see
 * stale.h): the state's and cache's ".NAME.tmp.PID.N", the Firefox
 * override file's "cert_override.txt.uct-PID-XXXXXX", a new NSS database's
 * "nssdb.uct-PID-XXXXXX" directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "stale.h"

/* An hour is far longer than any write of a run (a run waits at most a
 * minute for the lock and a few seconds for a server). */
#define STALE_AGE_S 3600

/* 1 when name is one of ours (prefix, marker, pid) and its writer is
 * gone, or it is too old to be anybody's write in progress. */
static int stale_writer_gone(const char *name, const char *prefix, const char *marker,
			     const struct stat *st)
{
	const char *digits;
	char *end;
	long pid;

	if (strncmp(name, prefix, strlen(prefix)) != 0 || st->st_uid != geteuid() ||
	    (digits = strstr(name + strlen(prefix), marker)) == NULL)
		return 0;
	if (time(NULL) - st->st_mtime > STALE_AGE_S)
		return 1;
	/* Without a pid (an older agent's "cert_override.txt.uct-XXXXXX")
	 * only the age tells. */
	digits += strlen(marker);
	errno = 0;
	pid = strtol(digits, &end, 10);
	if (end == digits || errno != 0 || pid <= 0 || (*end != '.' && *end != '-'))
		return 0;
	if (pid == (long)getpid())
		return 0;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

/* Empty a directory of regular files (an unfinished NSS database) and
 * remove it; anything else inside leaves it in place. */
static int stale_remove_dir(int parent, const char *name)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, rc = 0;

	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || unlinkat(dirfd(d), de->d_name, 0) < 0)
			rc = -1;
	}
	closedir(d);
	return rc == 0 ? unlinkat(parent, name, AT_REMOVEDIR) : -1;
}

int uct_stale_remove_dir(const char *path)
{
	return stale_remove_dir(AT_FDCWD, path);
}

void uct_stale_clean_at(int dfd, const char *dir, const char *prefix, const char *marker, int dirs)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, rc;

	/* A descriptor of its own: closedir closes it, never the caller's. */
	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !stale_writer_gone(de->d_name, prefix, marker, &st))
			continue;
		if (S_ISREG(st.st_mode))
			rc = unlinkat(dirfd(d), de->d_name, 0);
		else if (dirs && S_ISDIR(st.st_mode))
			rc = stale_remove_dir(dirfd(d), de->d_name);
		else
			continue;
		if (rc == 0)
			uct_log(UCT_LOG_INFO, "removed %s/%s, left by an interrupted run", dir,
				de->d_name);
		else
			uct_log(UCT_LOG_WARN, "cannot remove %s/%s, left by an interrupted run: %s",
				dir, de->d_name, strerror(errno));
	}
	closedir(d);
}

void uct_stale_clean(const char *dir, const char *prefix, const char *marker, int dirs)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (dfd < 0)
		return;
	uct_stale_clean_at(dfd, dir, prefix, marker, dirs);
	close(dfd);
}

void uct_dir_tidy(const char *dir)
{
	/* The atomic writes' ".NAME.tmp.PID.N" (sys.c). */
	uct_stale_clean(dir, ".", ".tmp.", 0);
}
