/*
 * platform_win.h: the part of the Windows platform that Windows programs
 * other than the agent (the installer's helper) may use: UTF-8 <-> UTF-16
 * conversion and the environment as UTF-8. Windows builds only; the rest of
 * platform/win32 stays private to it (win.h).
 */
#ifndef UCT_PLATFORM_WIN_H
#define UCT_PLATFORM_WIN_H

#include <wchar.h>

/* New UTF-16 copy of a UTF-8 string, NULL on failure (or for NULL). Owned
 * by the caller. */
wchar_t *uct_win_wide(const char *utf8);
/* New UTF-8 copy of a UTF-16 string, NULL on failure (or for NULL). Owned
 * by the caller. */
char *uct_win_utf8(const wchar_t *wide);
/* The value of an environment variable as UTF-8, newly allocated; NULL when
 * unset or out of memory. */
char *uct_win_getenv(const char *name);

#endif
