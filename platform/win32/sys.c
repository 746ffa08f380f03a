/*
 * sys.c: the Windows system helpers of platform.h: bounded and atomic file
 * I/O, the run lock, default paths under %ProgramData% / %LOCALAPPDATA%,
 * host facts and clocks. Paths are UTF-8; '/' and '\' both separate.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "win.h"

/* ---- files ------------------------------------------------------------- */

/* Open path to read; "no such file" is told by errno, as on Linux (an
 * absent default configuration file is not an error). */
static HANDLE win_open_read(const char *path, struct uct_err *err)
{
	wchar_t *wpath = uct_win_wide(path);
	HANDLE h;
	DWORD e;

	if (wpath == NULL) {
		uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
		return INVALID_HANDLE_VALUE;
	}
	h = CreateFileW(wpath, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
			NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	e = GetLastError();
	free(wpath);
	if (h != INVALID_HANDLE_VALUE)
		return h;
	if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND)
		uct_err_set(err, UCT_E_IO, ENOENT, "cannot read %s: no such file", path);
	else
		uct_win_err(err, UCT_E_IO, e, "cannot read %s", path);
	return INVALID_HANDLE_VALUE;
}

/* Read all of h into buf (max + 1 bytes): one byte past max tells "exactly
 * max" from "too big". */
static int win_read_all(HANDLE h, const char *path, char *buf, size_t max, size_t *used,
			struct uct_err *err)
{
	DWORD got, want;

	*used = 0;
	for (;;) {
		want = (DWORD)((max + 1 - *used) > 0x10000000 ? 0x10000000 : max + 1 - *used);
		if (!ReadFile(h, buf + *used, want, &got, NULL))
			return uct_win_err(err, UCT_E_IO, GetLastError(), "cannot read %s", path);
		if (got == 0)
			return 0;
		*used += got;
		if (*used > max)
			return uct_err_set(err, UCT_E_IO, 0, "%s is larger than %zu bytes", path,
					   max);
	}
}

int uct_file_read(const char *path, size_t max, char **out, size_t *len, struct uct_err *err)
{
	HANDLE h;
	char *buf;
	size_t used = 0;

	*out = NULL;
	if (len != NULL)
		*len = 0;
	h = win_open_read(path, err);
	if (h == INVALID_HANDLE_VALUE)
		return -1;
	buf = malloc(max + 1);
	if (buf == NULL) {
		CloseHandle(h);
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory reading %s", path);
	}
	if (win_read_all(h, path, buf, max, &used, err) < 0) {
		CloseHandle(h);
		free(buf);
		return -1;
	}
	CloseHandle(h);
	buf[used] = '\0';
	*out = buf;
	if (len != NULL)
		*len = used;
	return 0;
}

static int win_is_sep(wchar_t c)
{
	return c == L'/' || c == L'\\';
}

/* mkdir -p for the parents of wpath (a drive "C:" or share prefix is skipped
 * by CreateDirectory failing with "exists" / "access denied" on it). */
static int win_make_parents(const wchar_t *wpath, const char *path, struct uct_err *err)
{
	size_t n = wcslen(wpath), i;
	wchar_t *copy = malloc((n + 1) * sizeof(*copy));
	DWORD attr, e;
	int rc = -1;

	if (copy == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	memcpy(copy, wpath, (n + 1) * sizeof(*copy));
	for (i = 1; i < n; i++) {
		if (!win_is_sep(copy[i]) || copy[i - 1] == L':' || win_is_sep(copy[i - 1]))
			continue;
		copy[i] = L'\0';
		if (!CreateDirectoryW(copy, NULL)) {
			e = GetLastError();
			attr = GetFileAttributesW(copy);
			if (attr == INVALID_FILE_ATTRIBUTES) {
				uct_win_err(err, UCT_E_IO, e, "cannot create the directory of %s",
					    path);
				goto out;
			}
			if (!(attr & FILE_ATTRIBUTE_DIRECTORY)) {
				uct_err_set(err, UCT_E_IO, 0,
					    "cannot create %s: a parent is not a directory", path);
				goto out;
			}
		}
		copy[i] = wpath[i];
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

static int win_write_error(const char *path, DWORD e, struct uct_err *err)
{
	if (e == ERROR_DISK_FULL || e == ERROR_HANDLE_DISK_FULL)
		return uct_win_err(err, UCT_E_IO, e,
				   "disk full while writing %s (free some space and run again; the "
				   "previous file was left unchanged)",
				   path);
	return uct_win_err(err, UCT_E_IO, e, "cannot write %s", path);
}

/* A reparse point (symbolic link, junction) is never written through,
 * nor is a directory replaced. */
static int win_check_target(const wchar_t *wpath, const char *path, struct uct_err *err)
{
	DWORD attr = GetFileAttributesW(wpath);

	if (attr != INVALID_FILE_ATTRIBUTES && (attr & FILE_ATTRIBUTE_REPARSE_POINT))
		return uct_err_set(
			err, UCT_E_IO, 0,
			"refusing to write %s: it is a symbolic link (remove it and run again)",
			path);
	if (attr != INVALID_FILE_ATTRIBUTES && (attr & FILE_ATTRIBUTE_DIRECTORY))
		return uct_err_set(err, UCT_E_IO, 0, "refusing to write %s: not a regular file",
				   path);
	return 0;
}

/* All of data to h; FALSE with GetLastError() set when a write fails. */
static BOOL win_write_all(HANDLE h, const char *p, size_t len)
{
	DWORD put;

	while (len > 0) {
		DWORD chunk = len > 0x10000000 ? 0x10000000 : (DWORD)len;

		if (!WriteFile(h, p, chunk, &put, NULL))
			return FALSE;
		p += put;
		len -= put;
	}
	return TRUE;
}

/* Temp file, MoveFileEx; durable: flushed and written through first. */
static int win_write_file(const char *path, const void *data, size_t len, int mode, int durable,
			  struct uct_err *err)
{
	static unsigned counter;
	wchar_t *wpath = uct_win_wide(path), *wtmp = NULL;
	HANDLE h = INVALID_HANDLE_VALUE;
	char *tmp = NULL;
	int rc = -1;

	(void)mode; /* the ACL is inherited from the directory (see sys_state_dir) */
	if (wpath == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	if (win_check_target(wpath, path, err) < 0 || win_make_parents(wpath, path, err) < 0)
		goto out;
	/* What earlier writes of path killed before their rename left: only
	 * path's own, as this may be a Firefox profile or the user's directory. */
	uct_win_stale_beside(path);
	tmp = uct_asprintf("%s.tmp.%lu.%u", path, (unsigned long)GetCurrentProcessId(), counter++);
	wtmp = uct_win_wide(tmp);
	if (tmp == NULL || wtmp == NULL) {
		uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
		goto out;
	}
	h = CreateFileW(wtmp, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		win_write_error(tmp, GetLastError(), err);
		goto out;
	}
	if (!win_write_all(h, data, len) || (durable && !FlushFileBuffers(h))) {
		win_write_error(path, GetLastError(), err);
		goto out;
	}
	CloseHandle(h);
	h = INVALID_HANDLE_VALUE;
	/* MoveFileEx replaces the target in one step, as rename() does. */
	if (!MoveFileExW(wtmp, wpath,
			 MOVEFILE_REPLACE_EXISTING | (durable ? MOVEFILE_WRITE_THROUGH : 0))) {
		win_write_error(path, GetLastError(), err);
		goto out;
	}
	rc = 0;
out:
	if (h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
	if (rc < 0 && wtmp != NULL)
		DeleteFileW(wtmp);
	free(wtmp);
	free(tmp);
	free(wpath);
	return rc;
}

int uct_file_write_atomic(const char *path, const void *data, size_t len, int mode,
			  struct uct_err *err)
{
	return win_write_file(path, data, len, mode, 1, err);
}

int uct_file_write_replace(const char *path, const void *data, size_t len, int mode,
			   struct uct_err *err)
{
	return win_write_file(path, data, len, mode, 0, err);
}

/* ---- run lock ---------------------------------------------------------- */

struct uct_lock {
	HANDLE file;
};

int uct_lock_acquire(const char *path, long wait_ms, struct uct_lock **out, struct uct_err *err)
{
	wchar_t *wpath = uct_win_wide(path);
	struct uct_lock *lock = NULL;
	HANDLE h = INVALID_HANDLE_VALUE;
	OVERLAPPED ov;
	int64_t deadline;
	DWORD e;

	*out = NULL;
	if (wpath == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	if (win_make_parents(wpath, path, err) < 0)
		goto err;
	h = CreateFileW(wpath, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
			NULL, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		uct_win_err(err, UCT_E_IO, GetLastError(), "cannot open lock file %s", path);
		goto err;
	}
	/* A byte-range lock dies with the process, so a crashed run never
	 * leaves the agent locked out. */
	deadline = uct_monotonic_ms() + (wait_ms > 0 ? wait_ms : 0);
	for (;;) {
		memset(&ov, 0, sizeof(ov));
		if (LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0,
			       &ov))
			break;
		e = GetLastError();
		if (e != ERROR_LOCK_VIOLATION && e != ERROR_IO_PENDING) {
			uct_win_err(err, UCT_E_SYSTEM, e, "cannot lock %s", path);
			goto err;
		}
		if (uct_monotonic_ms() >= deadline) {
			uct_err_set(err, UCT_E_LOCKED, 0,
				    "another uccx-trust run is in progress; run again when it has "
				    "finished (lock %s)",
				    path);
			goto err;
		}
		Sleep(20);
	}
	lock = malloc(sizeof(*lock));
	if (lock == NULL) {
		uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
		goto err;
	}
	lock->file = h;
	*out = lock;
	free(wpath);
	return 0;
err:
	if (h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
	free(wpath);
	return -1;
}

void uct_lock_release(struct uct_lock *lock)
{
	OVERLAPPED ov;

	if (lock == NULL)
		return;
	memset(&ov, 0, sizeof(ov));
	UnlockFileEx(lock->file, 0, 1, 0, &ov);
	CloseHandle(lock->file);
	free(lock);
}

/* ---- paths and host facts ---------------------------------------------- */

/* %ProgramData% (C:\ProgramData when the variable is missing, as for a
 * service started with an empty environment). */
static char *sys_program_data(void)
{
	char *dir = uct_win_getenv("ProgramData");

	return dir != NULL ? dir : uct_strdup("C:\\ProgramData");
}

char *uct_default_state_dir(void)
{
	char *base, *out;

	if (uct_is_privileged())
		base = sys_program_data();
	else
		base = uct_win_getenv("LOCALAPPDATA");
	if (base == NULL)
		return NULL;
	out = uct_asprintf("%s\\uccx-trust", base);
	free(base);
	return out;
}

/* Windows has no other user's directory to be steered into under the
 * paths the agent uses (its own profile, ProgramData): nothing to check. */
int uct_dir_check(const char *dir, struct uct_err *err)
{
	(void)dir;
	(void)err;
	return 0;
}

void uct_dir_tidy(const char *dir)
{
	uct_win_stale_clean(dir, NULL);
}

char *uct_home_state_dir(const char *home)
{
	(void)home;
	return uct_default_state_dir();
}

const char *uct_default_config_path(void)
{
	static char path[MAX_PATH * 3];
	char *base;

	if (path[0] == '\0') {
		base = sys_program_data();
		snprintf(path, sizeof(path), "%s\\uccx-trust\\agent.ini",
			 base != NULL ? base : "C:\\ProgramData");
		free(base);
	}
	return path;
}

/*
 * Administrator rights that are in effect: with UAC, an administrator's
 * normal token holds the Administrators group as "deny only", and
 * CheckTokenMembership then answers no, as it should (LocalMachine stores
 * cannot be written from it).
 */
int uct_is_privileged(void)
{
	SID_IDENTIFIER_AUTHORITY nt = SECURITY_NT_AUTHORITY;
	PSID admins = NULL;
	BOOL member = FALSE;

	if (!AllocateAndInitializeSid(&nt, 2, SECURITY_BUILTIN_DOMAIN_RID, DOMAIN_ALIAS_RID_ADMINS,
				      0, 0, 0, 0, 0, 0, &admins))
		return 0;
	if (!CheckTokenMembership(NULL, admins, &member))
		member = FALSE;
	FreeSid(admins);
	return member ? 1 : 0;
}

char *uct_host_name(void)
{
	wchar_t name[256];
	DWORD n = sizeof(name) / sizeof(name[0]);

	if (GetComputerNameExW(ComputerNameDnsFullyQualified, name, &n) && n > 0)
		return uct_win_utf8(name);
	n = sizeof(name) / sizeof(name[0]);
	if (GetComputerNameW(name, &n))
		return uct_win_utf8(name);
	return uct_strdup("unknown");
}

char *uct_user_name(void)
{
	wchar_t name[257];
	DWORD n = sizeof(name) / sizeof(name[0]);

	if (GetUserNameW(name, &n))
		return uct_win_utf8(name);
	return uct_strdup("unknown");
}

/* The true version: GetVersionEx lies to programs without a manifest, so
 * ask ntdll, as Windows' own tools do. */
char *uct_os_name(void)
{
	typedef LONG(WINAPI * rtl_get_version_fn)(OSVERSIONINFOW *);
	OSVERSIONINFOW vi;
	rtl_get_version_fn get;
	HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
	FARPROC proc;

	memset(&vi, 0, sizeof(vi));
	vi.dwOSVersionInfoSize = sizeof(vi);
	proc = ntdll != NULL ? GetProcAddress(ntdll, "RtlGetVersion") : NULL;
	memcpy(&get, &proc, sizeof(get));
	if (get != NULL && get(&vi) == 0)
		return uct_asprintf("Windows %lu.%lu build %lu", (unsigned long)vi.dwMajorVersion,
				    (unsigned long)vi.dwMinorVersion,
				    (unsigned long)vi.dwBuildNumber);
	return uct_strdup("Windows");
}

int64_t uct_now(void)
{
	FILETIME ft;
	ULARGE_INTEGER t;

	/* 100 ns ticks since 1601-01-01; the Unix epoch is 11644473600 s later. */
	GetSystemTimeAsFileTime(&ft);
	t.LowPart = ft.dwLowDateTime;
	t.HighPart = ft.dwHighDateTime;
	return (int64_t)(t.QuadPart / 10000000ULL) - 11644473600LL;
}

int64_t uct_monotonic_ms(void)
{
	return (int64_t)GetTickCount64();
}

/* ---- process set-up ----------------------------------------------------- */

int uct_platform_init(struct uct_err *err)
{
	(void)err;
	/* A failing disk or missing DLL must be an error message, not a dialog
	 * box that blocks an unattended run. */
	SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOOPENFILEERRORBOX);
	return 0;
}

void uct_platform_cleanup(void)
{
}
