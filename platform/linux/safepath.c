/*
 * safepath.c: the walk to a directory the agent writes into. Run as root
 * for a home, the agent must not be steered by a link or a directory that
 * another user controls (an absolute Path= in profiles.ini, a symlinked
 * profile, a planted bundle or spool path) into writing somewhere else.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safepath.h"

/* As the kernel's own limit on links followed in one lookup. */
#define SAFE_MAX_LINKS 40

struct safe_walk {
	int fd;               /* the directory reached so far (O_PATH) */
	char shown[PATH_MAX]; /* its path, for messages */
	char via[PATH_MAX];   /* the last link followed to get there, or "" */
	char *rest;           /* what is left to walk, owned */
	int links;
	int strict;       /* a sticky bit no longer excuses a writable directory */
	struct stat home; /* strict from this directory down (st_nlink 0: none) */
};

/* Whose directories and links the agent may rely on: its own and root's
 * (root can change anything anyway). */
static int safe_owner_ok(uid_t uid)
{
	return uid == geteuid() || uid == 0;
}

/* No one but the owner may add, rename or remove entries; in a sticky
 * directory (/tmp) others may add entries but not touch ours, which is
 * enough above a home, not within it (w->strict). */
static int safe_dir_ok(int fd, struct safe_walk *w, struct uct_err *err)
{
	const char *shown = w->shown;
	char via[PATH_MAX + 32] = "";
	struct stat st;

	if (w->via[0] != '\0')
		snprintf(via, sizeof(via), " (reached through the link %s)", w->via);
	if (fstat(fd, &st) != 0)
		return uct_err_set(err, UCT_E_IO, errno, "cannot inspect %s: %s", shown,
				   strerror(errno));
	if (!safe_owner_ok(st.st_uid))
		return uct_err_set(
			err, UCT_E_IO, EPERM,
			"refusing to write under %s%s: it belongs to another user (uid %u), "
			"who could redirect what uccx-trust writes there; run uccx-trust as "
			"that user, or use a directory of your own",
			shown, via, (unsigned)st.st_uid);
	if (w->home.st_nlink != 0 && st.st_dev == w->home.st_dev && st.st_ino == w->home.st_ino)
		w->strict = 1;
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && ((st.st_mode & S_ISVTX) == 0 || w->strict))
		return uct_err_set(
			err, UCT_E_IO, EPERM,
			"refusing to write under %s%s: other users can change it (mode %04o); "
			"make it writable by its owner only (chmod go-w %s)",
			shown, via, (unsigned)(st.st_mode & 07777), shown);
	return 0;
}

static void safe_show_append(struct safe_walk *w, const char *name)
{
	size_t n = strlen(w->shown);

	snprintf(w->shown + n, sizeof(w->shown) - n, "%s%s", n > 1 ? "/" : "", name);
}

static void safe_show_up(struct safe_walk *w)
{
	char *slash = strrchr(w->shown, '/');

	if (slash != NULL && slash != w->shown)
		*slash = '\0';
	else
		strcpy(w->shown, "/");
}

/* Move to the directory fd (taking it) after checking it. */
static int safe_enter(struct safe_walk *w, int fd, struct uct_err *err)
{
	if (safe_dir_ok(fd, w, err) < 0) {
		close(fd);
		return -1;
	}
	if (w->fd >= 0)
		close(w->fd);
	w->fd = fd;
	return 0;
}

static int safe_root(struct safe_walk *w, struct uct_err *err)
{
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return uct_err_set(err, UCT_E_IO, errno, "cannot open /: %s", strerror(errno));
	strcpy(w->shown, "/");
	return safe_enter(w, fd, err);
}

/* name is a symbolic link in the current directory: the walk goes on with
 * its target followed by rest (from "/" for an absolute target). */
static int safe_follow(struct safe_walk *w, const char *name, const struct stat *st,
		       const char *rest, struct uct_err *err)
{
	char target[PATH_MAX], *joined;
	ssize_t len;

	if (!safe_owner_ok(st->st_uid))
		return uct_err_set(
			err, UCT_E_IO, EPERM,
			"refusing to follow %s%s%s: a symbolic link of another user (uid %u), "
			"who could point it anywhere; remove it",
			w->shown, strlen(w->shown) > 1 ? "/" : "", name, (unsigned)st->st_uid);
	if (++w->links > SAFE_MAX_LINKS)
		return uct_err_set(err, UCT_E_IO, ELOOP, "too many symbolic links under %s",
				   w->shown);
	len = readlinkat(w->fd, name, target, sizeof(target) - 1);
	if (len < 0)
		return uct_err_set(err, UCT_E_IO, errno, "cannot read the link %s/%s: %s", w->shown,
				   name, strerror(errno));
	target[len] = '\0';
	if (snprintf(w->via, sizeof(w->via), "%s%s%s", w->shown, strlen(w->shown) > 1 ? "/" : "",
		     name) >= (int)sizeof(w->via))
		w->via[sizeof(w->via) - 2] = '~'; /* only a message: shortened, and marked so */
	joined = uct_asprintf("%s/%s", target, rest);
	if (joined == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	free(w->rest);
	w->rest = joined;
	if (target[0] != '/')
		return 0;
	/* Elsewhere from "/": strict again only once the home is reached. */
	w->strict = 0;
	return safe_root(w, err);
}

/* One component of the walk. *rest is what follows it in w->rest. */
static int safe_step(struct safe_walk *w, const char *name, const char *rest, int flags,
		     struct uct_err *err)
{
	struct stat st;
	int fd;

	if (strcmp(name, ".") == 0)
		return 0;
	if (strcmp(name, "..") == 0) {
		fd = openat(w->fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return uct_err_set(err, UCT_E_IO, errno, "cannot open %s/..: %s", w->shown,
					   strerror(errno));
		safe_show_up(w);
		return safe_enter(w, fd, err);
	}
	if (fstatat(w->fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno != ENOENT || !(flags & UCT_SAFE_CREATE))
			return uct_err_set(err, UCT_E_IO, errno, "cannot use %s%s%s: %s", w->shown,
					   strlen(w->shown) > 1 ? "/" : "", name, strerror(errno));
		if (mkdirat(w->fd, name, 0700) != 0 && errno != EEXIST)
			return uct_err_set(err, UCT_E_IO, errno,
					   "cannot create directory %s/%s: %s", w->shown, name,
					   strerror(errno));
	} else if (S_ISLNK(st.st_mode)) {
		return safe_follow(w, name, &st, rest, err);
	}
	/* O_NOFOLLOW: a link swapped in since the fstatat is refused, not followed. */
	fd = openat(w->fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	safe_show_append(w, name);
	if (fd < 0 && (errno == ELOOP || errno == ENOTDIR))
		return uct_err_set(
			err, UCT_E_IO, errno,
			"refusing to write under %s: not a directory (or it changed into a "
			"symbolic link while being checked)",
			w->shown);
	if (fd < 0)
		return uct_err_set(err, UCT_E_IO, errno, "cannot open %s: %s", w->shown,
				   strerror(errno));
	return safe_enter(w, fd, err);
}

/* The walk proper; w->rest holds the absolute path. */
static int safe_walk_all(struct safe_walk *w, int flags, struct uct_err *err)
{
	char *name, *end, *copy;
	int rc;

	if (safe_root(w, err) < 0)
		return -1;
	for (;;) {
		name = w->rest;
		while (*name == '/')
			name++;
		if (*name == '\0')
			return 0;
		end = strchr(name, '/');
		/* safe_step may replace w->rest: work on a copy of the component. */
		copy = end ? uct_asprintf("%.*s", (int)(end - name), name) : uct_strdup(name);
		if (copy == NULL)
			return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
		memmove(w->rest, end ? end : name + strlen(name), strlen(end ? end : "") + 1);
		rc = safe_step(w, copy, w->rest, flags, err);
		free(copy);
		if (rc < 0)
			return -1;
	}
}

/* The walk of path into w (set up by the caller); the O_PATH descriptor
 * it reached is left in w->fd. */
static int safe_walk_path(struct safe_walk *w, const char *path, int flags, struct uct_err *err)
{
	char *cwd;
	int rc;

	if (path[0] == '/') {
		w->rest = uct_strdup(path);
	} else {
		cwd = getcwd(NULL, 0);
		if (cwd == NULL)
			return uct_err_set(err, UCT_E_IO, errno,
					   "cannot find the working directory: %s",
					   strerror(errno));
		w->rest = uct_asprintf("%s/%s", cwd, path);
		free(cwd);
	}
	if (w->rest == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	rc = safe_walk_all(w, flags, err);
	free(w->rest);
	w->rest = NULL;
	if (rc < 0 && w->fd >= 0) {
		close(w->fd);
		w->fd = -1;
	}
	return rc;
}

/* A real descriptor for the directory w reached, where it can be read
 * (fsync and fdopendir need one); the O_PATH one serves for *at() calls. */
static int safe_walk_result(struct safe_walk *w)
{
	int fd = openat(w->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return w->fd;
	close(w->fd);
	return fd;
}

int uct_safe_dir_open(const char *path, int flags, struct uct_err *err)
{
	struct safe_walk w = {.fd = -1};

	if (safe_walk_path(&w, path, flags, err) < 0)
		return -1;
	return safe_walk_result(&w);
}

int uct_safe_db_dir_open(const char *path, const char *home, struct uct_err *err)
{
	struct safe_walk w = {.fd = -1};
	int fd;

	if (home != NULL) {
		/* The home is walked as any path is: its identity is only
		 * trusted when the way to it is. */
		if ((fd = uct_safe_dir_open(home, 0, err)) < 0)
			return -1;
		if (fstat(fd, &w.home) != 0)
			w.home.st_nlink = 0;
		close(fd);
	}
	if (safe_walk_path(&w, path, 0, err) < 0)
		return -1;
	/* The database directory itself: never excused by a sticky bit. */
	w.strict = 1;
	if (safe_dir_ok(w.fd, &w, err) < 0) {
		close(w.fd);
		return -1;
	}
	return safe_walk_result(&w);
}

int uct_safe_file_check(int dirfd, const char *dir, const char *name, struct uct_err *err)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT
			       ? 0
			       : uct_err_set(err, UCT_E_IO, errno, "cannot inspect %s/%s: %s", dir,
					     name, strerror(errno));
	if (S_ISLNK(st.st_mode))
		return uct_err_set(
			err, UCT_E_IO, ELOOP,
			"refusing to use %s/%s: it is a symbolic link (remove it and run "
			"again)",
			dir, name);
	if (!S_ISREG(st.st_mode))
		return uct_err_set(err, UCT_E_IO, EINVAL,
				   "refusing to use %s/%s: not a regular file", dir, name);
	if (!safe_owner_ok(st.st_uid))
		return uct_err_set(
			err, UCT_E_IO, EPERM,
			"refusing to use %s/%s: it belongs to another user (uid %u); run "
			"uccx-trust as that user",
			dir, name, (unsigned)st.st_uid);
	if (st.st_nlink > 1)
		return uct_err_set(
			err, UCT_E_IO, EMLINK,
			"refusing to use %s/%s: it has other hard links, so writing it would "
			"change another file too (replace it with a copy)",
			dir, name);
	return 0;
}

/* uct_safe_dir_check and uct_safe_db_dir_check: db selects the stricter
 * walk of uct_safe_db_dir_open. */
static int safe_check(const char *dir, int db, const char *home, const char *const *files,
		      struct uct_err *err)
{
	struct uct_err e = {0};
	int fd, rc = 0;

	fd = db ? uct_safe_db_dir_open(dir, home, &e) : uct_safe_dir_open(dir, 0, &e);
	if (fd < 0) {
		/* Not there yet: what exists of its path was checked. */
		if (e.code == UCT_E_IO && e.native == ENOENT)
			return 0;
		return uct_err_set(err, e.code, e.native, "%s", e.msg);
	}
	for (size_t i = 0; files != NULL && files[i] != NULL && rc == 0; i++)
		rc = uct_safe_file_check(fd, dir, files[i], err);
	close(fd);
	return rc;
}

int uct_safe_dir_check(const char *dir, const char *const *files, struct uct_err *err)
{
	return safe_check(dir, 0, NULL, files, err);
}

int uct_safe_db_dir_check(const char *dir, const char *home, const char *const *files,
			  struct uct_err *err)
{
	return safe_check(dir, 1, home, files, err);
}

char *uct_path_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return uct_strdup(".");
	if (slash == path)
		return uct_strdup("/");
	return uct_asprintf("%.*s", (int)(slash - path), path);
}

const char *uct_path_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

int uct_dir_check(const char *dir, struct uct_err *err)
{
	return uct_safe_dir_check(dir, NULL, err);
}
