/*
 * override_win.c: the Windows side of the Firefox override store
 * (override_os.h): Firefox's parent.lock, reading and replacing
 * cert_override.txt without going through a reparse point, and the
 * enterprise roots Firefox imports from the Windows stores.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/override_os.h"
#include "log.h"
#include "win.h"

/*
 * While Firefox runs on a profile it holds parent.lock there open with no
 * sharing at all, so any other open fails with ERROR_SHARING_VIOLATION. A
 * lock file left by a crash opens normally: nobody holds it. Our own handle
 * lives for microseconds only, so a Firefox starting at that moment is not
 * kept out in practice.
 */
int uct_ovr_os_busy(const char *profile_dir)
{
	char *path = uct_asprintf("%s\\parent.lock", profile_dir);
	wchar_t *wpath = uct_win_wide(path);
	HANDLE h = INVALID_HANDLE_VALUE;
	int busy = 0;

	if (wpath != NULL)
		h = CreateFileW(wpath, GENERIC_READ, 0, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL,
				NULL);
	if (h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
	else if (wpath != NULL && GetLastError() == ERROR_SHARING_VIOLATION)
		busy = 1;
	if (busy)
		uct_log(UCT_LOG_DEBUG, "Firefox holds %s", path);
	free(wpath);
	free(path);
	return busy;
}

/* 0 when path is absent or a plain file; else err says why it is refused. */
static int ovr_win_check_target(const char *path, int *exists, struct uct_err *err)
{
	wchar_t *wpath = uct_win_wide(path);
	DWORD attr, e;

	*exists = 0;
	if (wpath == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	attr = GetFileAttributesW(wpath);
	e = GetLastError();
	free(wpath);
	if (attr == INVALID_FILE_ATTRIBUTES) {
		if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND)
			return 0;
		return uct_win_err(err, UCT_E_IO, e, "cannot inspect %s", path);
	}
	if (attr & FILE_ATTRIBUTE_REPARSE_POINT)
		return uct_err_set(err, UCT_E_IO, ELOOP,
				   "%s is a symbolic link: refusing to use it (remove the link)",
				   path);
	if (attr & FILE_ATTRIBUTE_DIRECTORY)
		return uct_err_set(err, UCT_E_IO, 0, "%s is not a regular file", path);
	*exists = 1;
	return 0;
}

int uct_ovr_os_read(const char *path, char **out, size_t *len, struct uct_err *err)
{
	struct uct_err e = {0};
	int exists;

	*out = NULL;
	*len = 0;
	if (ovr_win_check_target(path, &exists, err) != 0)
		return -1;
	if (!exists)
		return 0;
	if (uct_file_read(path, UCT_OVR_MAX_SIZE, out, len, &e) == 0)
		return 0;
	/* Deleted between the two looks: as absent. */
	if (e.code == UCT_E_IO && e.native == ENOENT)
		return 0;
	*err = err->code == UCT_E_NONE ? e : *err;
	return -1;
}

int uct_ovr_os_write(const char *path, const char *data, size_t len, struct uct_err *err)
{
	int exists;

	if (ovr_win_check_target(path, &exists, err) != 0)
		return -1;
	/* uct_file_write_atomic refuses a reparse point again, just before the
	 * write, and replaces the file with MoveFileEx in one step. */
	return uct_file_write_atomic(path, data, len, 0600, err);
}

/* A write killed before its rename leaves "cert_override.txt.tmp.PID.N"
 * (win_write_file); the next write of the file removes it too. */
void uct_ovr_os_tidy(const char *path)
{
	uct_win_stale_beside(path);
}

/*
 * Firefox 120 and later (and older ones with the ImportEnterpriseRoots
 * policy) trust the roots of the Windows Root stores, machine and user, as
 * their own; not TrustedPeople. Windows' SSL policy with the user's chain
 * engine sees the same roots. A CA:TRUE leaf and one without SAN stay
 * refused by Firefox's own rules whatever the root (DESIGN.md), so the
 * enterprise roots do not apply to them: only an exception does.
 */
int uct_ovr_os_verify(const struct uct_chain *chain, const char *host,
		      struct uct_verify_result *out, struct uct_err *err)
{
	const struct uct_cert *leaf;
	enum uct_capi_chain result;

	memset(out, 0, sizeof(*out));
	if (chain == NULL || chain->n == 0)
		return 0;
	leaf = chain->certs[0];
	if (uct_cert_ca_claim(leaf) == UCT_CLAIM_CA || leaf->san_dns.n + leaf->san_ip.n == 0)
		return 0;
	if (uct_capi_chain_check(chain, host, 0, &result, out->code, sizeof(out->code), err) < 0)
		return -1;
	/* Only an anchor in Root: Firefox never reads TrustedPeople. */
	if (result == UCT_CAPI_ROOTED) {
		out->trusted = 1;
		snprintf(out->detail, sizeof(out->detail),
			 "trusted through the Windows Root store (Firefox imports it)");
	} else {
		snprintf(out->detail, sizeof(out->detail),
			 "Windows does not trust the chain (%s), so neither does Firefox",
			 out->code);
	}
	return 0;
}
