/*
 * safepath.h: reaching the directories the agent writes into without being
 * steered elsewhere by another user's link or directory (safepath.c).
 * Private to platform/linux; platform.h is the interface.
 */
#ifndef UCT_SAFEPATH_H
#define UCT_SAFEPATH_H

#include "platform.h"

/* Create missing directories (mode 0700) instead of failing. */
#define UCT_SAFE_CREATE 1

/*
 * Open the directory at path (absolute, or relative to the working
 * directory) for writing into it. The path is walked from "/" one component
 * at a time with O_NOFOLLOW; a symbolic link is followed only when it
 * belongs to this user or root. Every directory on the way must belong to
 * this user or root and be writable by no one else (a sticky directory such
 * as /tmp excepted): otherwise another user could put a link or a directory
 * of their own in the agent's way. Returns a directory descriptor owned by
 * the caller, or -1 with err set (UCT_E_IO; native ENOENT when a component
 * is missing and create was not asked, the components before it checked).
 */
int uct_safe_dir_open(const char *path, int flags, struct uct_err *err);

/*
 * Open an NSS database directory as uct_safe_dir_open does, stricter: the
 * directory itself and, when home is not NULL, every directory from home
 * down to it must not be writable by group or other even with the sticky
 * bit (others could plant a journal or a database file in it, or a
 * directory of their own in the way). The home must pass
 * uct_safe_dir_open itself. A descriptor (O_RDONLY) owned by the caller,
 * or -1 with err set (UCT_E_IO; native ENOENT when a component is missing).
 */
int uct_safe_db_dir_open(const char *path, const char *home, struct uct_err *err);

/*
 * Check the entry name of the directory dirfd (shown as dir in messages)
 * before the agent writes it or lets a library open it: absent, or a
 * regular file, not a symbolic link, of this user or root, with no other
 * hard link. 0 when so; -1 with err set (UCT_E_IO) otherwise.
 */
int uct_safe_file_check(int dirfd, const char *dir, const char *name, struct uct_err *err);

/*
 * Both: the directory dir is safe to write into and each of the names in
 * files (NULL-terminated, may be NULL) passes uct_safe_file_check. A
 * directory that does not exist yet passes when its existing ancestors do.
 */
int uct_safe_dir_check(const char *dir, const char *const *files, struct uct_err *err);

/* The same for an NSS database directory (or a Firefox profile, which
 * is one), with the rules of uct_safe_db_dir_open. */
int uct_safe_db_dir_check(const char *dir, const char *home, const char *const *files,
			  struct uct_err *err);

/* The directory part of path ("." when it has none) and the last
 * component; newly allocated, NULL when out of memory. */
char *uct_path_dir(const char *path);
const char *uct_path_base(const char *path);

#endif
