/*
 * lthash_worker.c
 *	  LtHash moves of a batch of outputs, computed on a thread of their own
 *	  while the caller does something else (the writer: a block's rows go in
 *	  meanwhile, on the other core).
 *
 * One job at a time: wes_lthash_worker_submit hands over an array of items,
 * which the caller keeps alive and unchanged until wes_lthash_worker_wait
 * returns the job's sum (what it adds minus what it removes).  The thread
 * takes the items a chunk at a time; a caller that comes to wait while
 * chunks are left takes them too, rather than sleep while the thread waits
 * for a core (the sum does not depend on who adds what, or in which order).
 * The thread only hashes: it calls nothing of the caller's, allocates nothing
 * and cannot fail, and it runs with every signal blocked, so that signals
 * reach the caller's thread alone (a PostgreSQL backend's handlers assume that).
 */
#include <pthread.h>
#include <stdlib.h>

#include "wes_codec.h"

/* Items taken at a time: about 64 microseconds of ChaCha20 */
#define CHUNK 64

struct wes_lthash_worker
{
	pthread_t	thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* signalled when a job is submitted, a chunk done, or on stop */
	const wes_lthash_item *items;
	size_t		n;
	size_t		next;			/* the first item nobody has taken */
	bool		busy;			/* a job submitted and not waited for yet */
	bool		in_flight;		/* the thread works on a chunk */
	bool		stop;
	wes_lthash	sum;			/* the thread's part of the job */
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

/* Take the next chunk of the job (under the lock): its first item, its length in *n */
static const wes_lthash_item *
take_chunk(wes_lthash_worker *w, size_t *n)
{
	const wes_lthash_item *first = w->items + w->next;

	*n = w->n - w->next < CHUNK ? w->n - w->next : CHUNK;
	w->next += *n;
	return first;
}

static void *
worker_main(void *arg)
{
	wes_lthash_worker *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;)
	{
		const wes_lthash_item *chunk;
		size_t		n;

		while (!w->stop && !(w->busy && w->next < w->n))
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->stop)
			break;
		chunk = take_chunk(w, &n);
		w->in_flight = true;
		pthread_mutex_unlock(&w->lock);

		wes_lthash_apply(&w->sum, chunk, n);

		pthread_mutex_lock(&w->lock);
		w->in_flight = false;
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
	wes_lthash	ignored;

	if (w->busy)				/* a caller always waits first; this keeps one job at a time */
		wes_lthash_worker_wait(w, &ignored);
	pthread_mutex_lock(&w->lock);
	w->items = items;
	w->n = n;
	w->next = 0;
	wes_lthash_init(&w->sum);
	w->busy = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

/*
 * Finish the job submitted last, taking the chunks the thread has not, and
 * return its sum in sum (the empty sum when there was none)
 */
void
wes_lthash_worker_wait(wes_lthash_worker *w, wes_lthash *sum)
{
	wes_lthash	mine;

	wes_lthash_init(&mine);
	pthread_mutex_lock(&w->lock);
	while (w->busy && w->next < w->n)
	{
		size_t		n;
		const wes_lthash_item *chunk = take_chunk(w, &n);

		pthread_mutex_unlock(&w->lock);
		wes_lthash_apply(&mine, chunk, n);
		pthread_mutex_lock(&w->lock);
	}
	while (w->in_flight)
		pthread_cond_wait(&w->cond, &w->lock);
	if (w->busy)
		wes_lthash_combine(&mine, &w->sum, false);
	w->busy = false;
	pthread_mutex_unlock(&w->lock);
	*sum = mine;
}

/*
 * Drop the job submitted last: the chunks nobody has taken are left, and the
 * one the thread works on is waited for, so that on return nothing reads the
 * job's items any more
 */
void
wes_lthash_worker_abandon(wes_lthash_worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->next = w->n;
	while (w->in_flight)
		pthread_cond_wait(&w->cond, &w->lock);
	w->busy = false;
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
