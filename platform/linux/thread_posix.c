/*
 * thread_posix.c: the agent's threads (platform.h) with pthreads: a start
 * and a join, nothing more, for fetching the trust document in parallel.
 */
#include <pthread.h>
#include <stdlib.h>

#include "platform.h"

struct uct_thread {
	pthread_t id;
	void (*fn)(void *arg);
	void *arg;
};

static void *thread_main(void *arg)
{
	struct uct_thread *t = arg;

	t->fn(t->arg);
	return NULL;
}

int uct_thread_start(void (*fn)(void *arg), void *arg, struct uct_thread **out, struct uct_err *err)
{
	struct uct_thread *t = calloc(1, sizeof(*t));
	int rc;

	*out = NULL;
	if (t == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	t->fn = fn;
	t->arg = arg;
	rc = pthread_create(&t->id, NULL, thread_main, t);
	if (rc != 0) {
		free(t);
		return uct_err_set(err, UCT_E_SYSTEM, rc, "cannot start a thread (error %d)", rc);
	}
	*out = t;
	return 0;
}

void uct_thread_join(struct uct_thread *thread)
{
	if (thread == NULL)
		return;
	pthread_join(thread->id, NULL);
	free(thread);
}
