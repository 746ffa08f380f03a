/*
 * uct_err.h: the error type of every uccx-trust program (the agent and the
 * collector), and the printf dialect their format checks use. The base
 * layer: nothing here knows an operating system or a library.
 */
#ifndef UCT_ERR_H
#define UCT_ERR_H

/* The printf dialect checked by -Wformat, defined here only. On Windows
 * it is gnu_printf: to mingw's gcc plain "printf" means the Microsoft
 * CRT's, which has no %zu, while the build uses mingw's C99-conforming
 * stdio (__USE_MINGW_ANSI_STDIO, CMakeLists.txt). */
#ifdef _WIN32
#define UCT_PRINTF_FORMAT gnu_printf
#else
#define UCT_PRINTF_FORMAT printf
#endif

/* Stable error codes: they go into reports, so never renumber. */
enum uct_err_code {
	UCT_E_NONE = 0,
	UCT_E_USAGE = 1,  /* bad command line */
	UCT_E_CONFIG = 2, /* bad configuration file or value */
	UCT_E_SYSTEM = 3, /* OS call failed */
	UCT_E_NOMEM = 4,
	UCT_E_IO = 5,      /* file read/write */
	UCT_E_PARSE = 6,   /* certificate or data could not be parsed */
	UCT_E_NSS = 7,     /* NSS library call failed */
	UCT_E_NET = 8,     /* network set-up (not a per-endpoint verdict) */
	UCT_E_LOCKED = 9,  /* another run holds the lock / database busy */
	UCT_E_LOGIN = 10,  /* store needs a password (NSS Primary Password) */
	UCT_E_CRYPTO = 11, /* OpenSSL / crypt32 failure */
};

/*
 * An error as libtls keeps it: a small stable code, the native value
 * (errno, PR_GetError(), ERR_get_error(), GetLastError()) and a message for a
 * person. The first error set wins; later ones are dropped.
 */
struct uct_err {
	int code;
	long native;
	char msg[512];
};

/* Set err (if not already set). Always returns -1 so callers can
 * `return uct_err_set(...)`. err may be NULL. */
int uct_err_set(struct uct_err *err, int code, long native, const char *fmt, ...)
	__attribute__((format(UCT_PRINTF_FORMAT, 4, 5)));
void uct_err_clear(struct uct_err *err);
/* Name of a code, e.g. "config" for UCT_E_CONFIG (static string). */
const char *uct_err_name(int code);

#endif
