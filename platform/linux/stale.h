/*
 * stale.h: finding and removing the temporary files and directories a
 * writer of the agent leaves behind when it is killed between creating
 * them and renaming them into place. Private to platform/linux.
 */
#ifndef UCT_STALE_H
#define UCT_STALE_H

/*
 * Remove the entries of dir whose name starts with prefix and holds marker
 * followed by the decimal pid of the process that made them and a '.' or
 * '-' (".state.tmp.123.0": prefix ".", marker ".tmp."), and which are stale:
 * owned by this user and either their writer is gone or they are older
 * than an hour (a pid may have been reused; a name without a pid is stale
 * by age only). A regular file is unlinked; with dirs set, a directory
 * holding only regular files is emptied and removed. Symbolic links and
 * anything else are left alone, and nothing is followed. Errors are only logged: a leftover costs
 * disk space, never trust.
 */
void uct_stale_clean(const char *dir, const char *prefix, const char *marker, int dirs);
/* The same in the directory open as dfd (reached by the safe walk); dir
 * only names it in log lines. dfd stays open. */
void uct_stale_clean_at(int dfd, const char *dir, const char *prefix, const char *marker, int dirs);

/* Empty the directory path of its regular files and remove it (a new NSS
 * database that was not moved into place). -1 when something stays. */
int uct_stale_remove_dir(const char *path);

#endif
