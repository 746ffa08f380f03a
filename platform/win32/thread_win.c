/*
 * thread_win.c: the agent's threads (platform.h) on Windows: a start with
 * _beginthreadex (which sets up the C runtime for the thread, unlike
 * CreateThread with an old msvcrt) and a join.
 */
#include <windows.h>
#include <errno.h>
#include <process.h>
#include <stdlib.h>

#include "win.h"

struct uct_thread {
	HANDLE handle;
	void (*fn)(void *arg);
	void *arg;
};

static unsigned __stdcall thread_main(void *arg)
{
	struct uct_thread *t = arg;

	t->fn(t->arg);
	return 0;
}

int uct_thread_start(void (*fn)(void *arg), void *arg, struct uct_thread **out, struct uct_err *err)
{
	struct uct_thread *t = calloc(1, sizeof(*t));
	uintptr_t h;

	*out = NULL;
	if (t == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	t->fn = fn;
	t->arg = arg;
	h = _beginthreadex(NULL, 0, thread_main, t, 0, NULL);
	if (h == 0) {
		free(t);
		return uct_err_set(err, UCT_E_SYSTEM, errno, "cannot start a thread");
	}
	t->handle = (HANDLE)h;
	*out = t;
	return 0;
}

void uct_thread_join(struct uct_thread *thread)
{
	if (thread == NULL)
		return;
	WaitForSingleObject(thread->handle, INFINITE);
	CloseHandle(thread->handle);
	free(thread);
}
