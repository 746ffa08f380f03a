/*
 * override_os.h: what the Firefox override store (platform/common/
 * store_override.c, portable) asks of each operating system: reading and
 * replacing the file without following a link, telling whether Firefox
 * runs on a profile, and any trust Firefox finds outside the file.
 * Private to platform/; platform.h is the interface.
 */
#ifndef UCT_OVERRIDE_OS_H
#define UCT_OVERRIDE_OS_H

#include "platform.h"

/* A profile's override file is a few KiB; anything past this is not one. */
#define UCT_OVR_MAX_SIZE (16u * 1024 * 1024)

/* 1 when a Firefox process runs on profile_dir now (logged at debug level
 * with what tells), else 0. */
int uct_ovr_os_busy(const char *profile_dir);

/* Read the whole file at path, refusing a symbolic link (or reparse point)
 * and anything but a regular file of at most UCT_OVR_MAX_SIZE bytes. A
 * missing file is success with *out NULL; otherwise *out is a
 * NUL-terminated buffer owned by the caller and *len its length. */
int uct_ovr_os_read(const char *path, char **out, size_t *len, struct uct_err *err);

/* Replace the file at path with data in one step, after refusing a symbolic
 * link or anything but a regular file there. */
int uct_ovr_os_write(const char *path, const char *data, size_t len, struct uct_err *err);

/* Remove the temporary files that writes of path killed before their
 * rename left next to it (their writer gone); failures are only logged. */
void uct_ovr_os_tidy(const char *path);

/*
 * Trust Firefox gives chain for host without an exception line, beyond
 * what the profile's NSS database holds (a separate store). Sets
 * out->trusted, or leaves it 0 and may set out->code and out->detail to
 * say why not (left empty when this source does not apply: the caller
 * then reports the missing exception). 0, or -1 with err set.
 */
int uct_ovr_os_verify(const struct uct_chain *chain, const char *host,
		      struct uct_verify_result *out, struct uct_err *err);

#endif
