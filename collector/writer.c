/*
 * writer.c: the single writer thread. HTTP threads queue validated reports
 * and sleep; the writer takes everything queued, stores it in one
 * transaction (one fsync for the group) and wakes them with the outcome, so
 * that no 202 is answered before its report is committed.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "col.h"

#define WRITER_MAX_BATCH 512

struct writer_item {
	struct col_report *report;
	struct writer_item *next;
	int done, dup, failed;
	struct col_err err;
};

struct col_writer {
	struct col_db *db;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	struct writer_item *head, *tail;
	int stopping;
	uint64_t batches;
};

static void writer_commit(struct col_writer *w, struct writer_item **items, size_t n)
{
	struct col_report *reports[WRITER_MAX_BATCH];
	int dup[WRITER_MAX_BATCH];
	struct col_err err = {0};
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		reports[i] = items[i]->report;
	rc = col_db_insert_batch(w->db, reports, n, dup, (int64_t)time(NULL), &err);
	pthread_mutex_lock(&w->lock);
	for (i = 0; i < n; i++) {
		items[i]->done = 1;
		items[i]->failed = rc < 0;
		items[i]->dup = rc == 0 ? dup[i] : 0;
		items[i]->err = err;
	}
	w->batches++;
	pthread_cond_broadcast(&w->done);
	pthread_mutex_unlock(&w->lock);
}

static void *writer_main(void *arg)
{
	struct col_writer *w = arg;
	struct writer_item *items[WRITER_MAX_BATCH];
	size_t n;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->head == NULL && !w->stopping)
			pthread_cond_wait(&w->work, &w->lock);
		if (w->head == NULL && w->stopping)
			break;
		for (n = 0; w->head != NULL && n < WRITER_MAX_BATCH; n++) {
			items[n] = w->head;
			w->head = w->head->next;
		}
		if (w->head == NULL)
			w->tail = NULL;
		pthread_mutex_unlock(&w->lock);
		writer_commit(w, items, n);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int col_writer_start(struct col_db *db, struct col_writer **out, struct col_err *err)
{
	struct col_writer *w;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		col_err_set(err, COL_REJ_STORAGE, "out of memory");
		return -1;
	}
	w->db = db;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->done, NULL);
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		col_err_set(err, COL_REJ_STORAGE, "cannot start the writer thread");
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->work);
		pthread_cond_destroy(&w->done);
		free(w);
		return -1;
	}
	*out = w;
	return 0;
}

int col_writer_submit(struct col_writer *w, struct col_report *r, int *dup, struct col_err *err)
{
	struct writer_item item = {.report = r};

	*dup = 0;
	pthread_mutex_lock(&w->lock);
	if (w->stopping) {
		pthread_mutex_unlock(&w->lock);
		col_err_set(err, COL_REJ_STORAGE, "the collector is shutting down");
		return -1;
	}
	if (w->tail != NULL)
		w->tail->next = &item;
	else
		w->head = &item;
	w->tail = &item;
	pthread_cond_signal(&w->work);
	while (!item.done)
		pthread_cond_wait(&w->done, &w->lock);
	pthread_mutex_unlock(&w->lock);
	if (item.failed) {
		col_err_set(err, COL_REJ_STORAGE, "%s", item.err.msg);
		return -1;
	}
	*dup = item.dup;
	return 0;
}

uint64_t col_writer_batches(const struct col_writer *w)
{
	return w->batches;
}

void col_writer_stop(struct col_writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->done);
	free(w);
}
