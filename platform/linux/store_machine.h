/*
 * store_machine.h: helpers shared by the machine-scope stores of
 * platform/linux (the system anchors, Firefox's policies.json): tagged PEM
 * file names, world-readable directories, running the distribution's
 * update command. Not part of the portable interface: platform.h is.
 */
#ifndef UCT_STORE_MACHINE_H
#define UCT_STORE_MACHINE_H

#include "platform.h"

/* Every file a machine store writes is named "uccx-trust-<sha256 hex>"
 * plus an extension: the tag that says it is ours, and its fingerprint. */
#define MACHINE_TAG "uccx-trust-"

/* "DIR/uccx-trust-<hex>EXT", newly allocated (NULL when out of memory). */
char *uct_machine_file(const char *dir, const unsigned char sha256[UCT_SHA256_LEN],
		       const char *ext);
/* 0 and the fingerprint when base is "uccx-trust-<64 hex>EXT", else -1. */
int uct_machine_parse_name(const char *base, const char *ext, unsigned char sha256[UCT_SHA256_LEN]);
/* Write cert as PEM to path (atomically, mode 0644), after creating dir and
 * its missing parents with mode 0755 (a browser run by any user reads it).
 * Refuses a dir that is a symbolic link. */
int uct_machine_write_pem(const char *dir, const char *path, const struct uct_cert *cert,
			  struct uct_err *err);
/* Run argv (PATH searched; stdout discarded), wait for it; fails with
 * UCT_E_SYSTEM and the start of its stderr when it exits non-zero. */
int uct_machine_run(char *const argv[], struct uct_err *err);

#endif
