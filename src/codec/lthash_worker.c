/*
 * lthash_worker.c
 *	  LtHash moves of a batch of outputs, computed on a thread of their own
 *	  while the caller does something else (the writer: a block's rows go in
 *	  meanwhile, on the other core).
 *
 * One job at a time: wes_lthash_worker_submit hands over an array of items,
 * which the caller keeps alive and unchanged until wes_lthash_worker_wait
 * returns the job's sum (what it adds minus what it removes).  The thread
 * only hashes: it calls nothing of the caller's, allocates nothing and cannot
 * fail, and it runs with every signal blocked, so that signals reach the
 * caller's thread alone (a PostgreSQL backend's handlers assume that).
 */
#include <pthread.h>
#include <stdlib.h>

#include "wes_codec.h"

struct wes_lthash_worker
{
	pthread_t	thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* signalled when a job is submitted or done, or on stop */
	const wes_lthash_item *items;
	size_t		n;
	bool		busy;			/* a job submitted and not done yet */
	bool		stop;
	wes_lthash	sum;			/* the last job's */
};

/* Apply each item to acc: add an output to the set, or remove it */
void
wes_lthash_apply(wes_lthash *acc, const wes_lthash_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		const wes_lthash_item *it = &items[i];

		if (it->remove)
			wes_lthash_remove(acc, it->txid, it->index, it->output, it->output_len);
		else
			wes_lthash_add(acc, it->txid, it->index, it->output, it->output_len);
	}
}

static void *
worker_main(void *arg)
{
	wes_lthash_worker *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;)
	{
		const wes_lthash_item *items;
		size_t		n;
		wes_lthash	sum;

		while (!w->busy && !w->stop)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->stop)
			break;
		items = w->items;
		n = w->n;
		pthread_mutex_unlock(&w->lock);

		wes_lthash_init(&sum);
		wes_lthash_apply(&sum, items, n);

		pthread_mutex_lock(&w->lock);
		w->sum = sum;
		w->busy = false;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* A worker thread, started with every signal blocked; NULL when it cannot be started */
wes_lthash_worker *
wes_lthash_worker_start(void)
{
	wes_lthash_worker *w = calloc(1, sizeof(wes_lthash_worker));

	if (w == NULL)
		return NULL;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (wes_thread_create(&w->thread, worker_main, w) != 0)
	{
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return NULL;
	}
	return w;
}

/* Start a job: the sum of items[0..n-1], which must stay as they are until wait returns */
void
wes_lthash_worker_submit(wes_lthash_worker *w, const wes_lthash_item *items, size_t n)
{
	pthread_mutex_lock(&w->lock);
	while (w->busy)				/* a caller always waits first; this keeps one job at a time */
		pthread_cond_wait(&w->cond, &w->lock);
	w->items = items;
	w->n = n;
	w->busy = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

/* Wait for the job submitted last and return its sum in sum (the empty sum when none was) */
void
wes_lthash_worker_wait(wes_lthash_worker *w, wes_lthash *sum)
{
	pthread_mutex_lock(&w->lock);
	while (w->busy)
		pthread_cond_wait(&w->cond, &w->lock);
	*sum = w->sum;
	wes_lthash_init(&w->sum);
	pthread_mutex_unlock(&w->lock);
}

/* Let the job in progress finish, end the thread and free the worker */
void
wes_lthash_worker_stop(wes_lthash_worker *w)
{
	wes_lthash	ignored;

	wes_lthash_worker_wait(w, &ignored);
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
