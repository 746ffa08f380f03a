/*
 * stale_win.c: removing the temporary files of writes killed before their
 * rename (win_write_file in sys.c writes "NAME.tmp.PID.N" next to NAME and
 * moves it over NAME): cert_override.txt's in a Firefox profile, the
 * state's and the cache's in the state directory.
 */
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "log.h"
#include "win.h"

/* An hour is far longer than any write of a run (a run waits at most a
 * minute for the lock and a few seconds for a server); Windows reuses
 * process ids soon, so an old file whose id names a live process is
 * stale all the same. */
#define STALE_AGE_S 3600

/* The number of decimal digits at s (at most 10, a DWORD), or 0. */
static size_t stale_digits(const wchar_t *s, DWORD *value)
{
	unsigned long long v = 0;
	size_t n = 0;

	while (s[n] >= L'0' && s[n] <= L'9' && n < 10)
		v = v * 10 + (unsigned)(s[n++] - L'0');
	if (n == 0 || (s[n] >= L'0' && s[n] <= L'9') || v > 0xffffffffull)
		return 0;
	*value = (DWORD)v;
	return n;
}

/* 1 when name is exactly BASE.tmp.PID.N (base NULL: any non-empty BASE),
 * with *pid set. */
static int stale_name(const wchar_t *name, const wchar_t *base, DWORD *pid)
{
	const wchar_t *p = NULL, *q;
	size_t n;
	DWORD seq;

	if (base != NULL) {
		n = wcslen(base);
		if (wcsncmp(name, base, n) != 0 || wcsncmp(name + n, L".tmp.", 5) != 0)
			return 0;
		p = name + n + 5;
	} else {
		/* The last ".tmp." after at least one character. */
		for (q = wcsstr(name + 1, L".tmp."); q != NULL; q = wcsstr(q + 1, L".tmp."))
			p = q + 5;
		if (p == NULL)
			return 0;
	}
	n = stale_digits(p, pid);
	if (n == 0 || p[n] != L'.')
		return 0;
	p += n + 1;
	n = stale_digits(p, &seq);
	return n > 0 && p[n] == L'\0';
}

/* 1 when no process pid runs now (another one than ours). */
static int stale_pid_gone(DWORD pid)
{
	HANDLE h;
	DWORD code;
	int gone;

	if (pid == GetCurrentProcessId())
		return 0;
	h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
	if (h == NULL)
		return GetLastError() == ERROR_INVALID_PARAMETER;
	/* A process that ended stays while handles to it are open. */
	gone = GetExitCodeProcess(h, &code) && code != STILL_ACTIVE;
	CloseHandle(h);
	return gone;
}

static int stale_old(const FILETIME *written)
{
	FILETIME now;
	ULARGE_INTEGER a, b;

	GetSystemTimeAsFileTime(&now);
	a.LowPart = now.dwLowDateTime;
	a.HighPart = now.dwHighDateTime;
	b.LowPart = written->dwLowDateTime;
	b.HighPart = written->dwHighDateTime;
	/* FILETIME counts 100 ns. */
	return a.QuadPart > b.QuadPart && a.QuadPart - b.QuadPart > STALE_AGE_S * 10000000ull;
}

#define STALE_PATH_MAX 32768
/* stale_delete: the name is a link, a directory or a link's target. */
#define STALE_NOT_PLAIN ((DWORD)-1)

/* Windows' final name of the file or directory open as h, newly allocated. */
static wchar_t *stale_final(HANDLE h)
{
	wchar_t *out = malloc(STALE_PATH_MAX * sizeof(*out));
	DWORD n;

	if (out == NULL)
		return NULL;
	n = GetFinalPathNameByHandleW(h, out, STALE_PATH_MAX,
				      FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
	if (n == 0 || n >= STALE_PATH_MAX) {
		free(out);
		return NULL;
	}
	return out;
}

/* 1 when the file open as h is the entry name of the directory whose final
 * name is dir_final, not something a link there leads to. */
static int stale_same(HANDLE h, const wchar_t *dir_final, const wchar_t *name)
{
	wchar_t *final = stale_final(h);
	size_t n = wcslen(dir_final);
	int same;

	same = final != NULL && _wcsnicmp(final, dir_final, n) == 0 && final[n] == L'\\' &&
	       _wcsicmp(final + n + 1, name) == 0;
	free(final);
	return same;
}

/* Delete a plain file, never a reparse point (the handle is the link's
 * own, looked at again, and must be the entry itself: Wine shows a Unix
 * symbolic link as its target) nor a file anybody holds open. */
static DWORD stale_delete(const wchar_t *path, const wchar_t *dir_final, const wchar_t *name)
{
	FILE_DISPOSITION_INFO del = {TRUE};
	BY_HANDLE_FILE_INFORMATION info;
	DWORD e = 0;
	HANDLE h;

	h = CreateFileW(path, DELETE | FILE_READ_ATTRIBUTES, 0, NULL, OPEN_EXISTING,
			FILE_FLAG_OPEN_REPARSE_POINT, NULL);
	if (h == INVALID_HANDLE_VALUE)
		return GetLastError();
	if (!GetFileInformationByHandle(h, &info))
		e = GetLastError();
	else if (info.dwFileAttributes &
			 (FILE_ATTRIBUTE_REPARSE_POINT | FILE_ATTRIBUTE_DIRECTORY) ||
		 !stale_same(h, dir_final, name))
		e = STALE_NOT_PLAIN;
	else if (!SetFileInformationByHandle(h, FileDispositionInfo, &del, sizeof(del)))
		e = GetLastError();
	CloseHandle(h);
	return e;
}

/* The entry found is ours and stale: remove it, saying so. */
static void stale_remove(const char *dir, const wchar_t *wdir, const wchar_t *dir_final,
			 const wchar_t *name)
{
	size_t n = wcslen(wdir) + wcslen(name) + 2;
	wchar_t *path = malloc(n * sizeof(*path));
	char *uname = uct_win_utf8(name);
	DWORD e;

	if (path == NULL || uname == NULL) {
		free(path);
		free(uname);
		return;
	}
	swprintf(path, n, L"%ls\\%ls", wdir, name);
	e = stale_delete(path, dir_final, name);
	if (e == 0)
		uct_log(UCT_LOG_INFO, "removed %s\\%s, left by an interrupted run", dir, uname);
	else if (e == STALE_NOT_PLAIN)
		uct_log(UCT_LOG_DEBUG, "%s\\%s is not a plain file: left alone", dir, uname);
	else
		uct_log(UCT_LOG_WARN,
			"cannot remove %s\\%s, left by an interrupted run (error %lu)", dir, uname,
			(unsigned long)e);
	free(path);
	free(uname);
}

/* The final name of directory wdir (its links resolved), newly allocated. */
static wchar_t *stale_dir_final(const wchar_t *wdir)
{
	HANDLE h = CreateFileW(wdir, FILE_READ_ATTRIBUTES,
			       FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
			       OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
	wchar_t *out;

	if (h == INVALID_HANDLE_VALUE)
		return NULL;
	out = stale_final(h);
	CloseHandle(h);
	return out;
}

void uct_win_stale_clean(const char *dir, const char *base)
{
	wchar_t *wdir = uct_win_wide(dir), *wbase = base != NULL ? uct_win_wide(base) : NULL;
	wchar_t *pattern = NULL, *dir_final = NULL;
	WIN32_FIND_DATAW fd;
	HANDLE find = INVALID_HANDLE_VALUE;
	DWORD pid;
	size_t n;

	if (wdir == NULL || (base != NULL && wbase == NULL))
		goto out;
	/* Links in dir's own path are resolved alike for it and its entries. */
	if ((dir_final = stale_dir_final(wdir)) == NULL)
		goto out;
	n = wcslen(wdir) + 3;
	if ((pattern = malloc(n * sizeof(*pattern))) == NULL)
		goto out;
	/* Every name, matched here: Windows' wildcards also match short names. */
	swprintf(pattern, n, L"%ls\\*", wdir);
	find = FindFirstFileExW(pattern, FindExInfoBasic, &fd, FindExSearchNameMatch, NULL, 0);
	if (find == INVALID_HANDLE_VALUE)
		goto out;
	do {
		if ((fd.dwFileAttributes &
		     (FILE_ATTRIBUTE_REPARSE_POINT | FILE_ATTRIBUTE_DIRECTORY)) ||
		    !stale_name(fd.cFileName, wbase, &pid))
			continue;
		if (stale_old(&fd.ftLastWriteTime) || stale_pid_gone(pid))
			stale_remove(dir, wdir, dir_final, fd.cFileName);
	} while (FindNextFileW(find, &fd));
	FindClose(find);
out:
	free(dir_final);
	free(pattern);
	free(wbase);
	free(wdir);
}

void uct_win_stale_beside(const char *path)
{
	const char *sep = path + strlen(path);
	char *dir;

	while (sep > path && sep[-1] != '\\' && sep[-1] != '/')
		sep--;
	if (sep == path || sep[0] == '\0')
		return;
	dir = uct_asprintf("%.*s", (int)(sep - 1 - path), path);
	if (dir != NULL)
		uct_win_stale_clean(dir, sep);
	free(dir);
}
