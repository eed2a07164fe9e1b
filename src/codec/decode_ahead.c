/*
 * decode_ahead.c
 *	  The blocks of a run decoded, hashed and their Merkle roots computed on a
 *	  thread of their own, a few blocks ahead of the caller (the writer: while
 *	  one block's rows go in, the next ones are made ready on the other core).
 *
 * The caller hands over the run's buffers, which must stay alive and
 * unchanged until wes_decode_ahead_stop returns, and takes the blocks in
 * order.  A block taken is the caller's: its arrays are one malloc'd
 * allocation (block.mem) that the caller frees.  A block that does not decode
 * comes back with its error, and the thread goes no further: the caller stops
 * at the first bad block, so the ones after it are never needed.  The same
 * holds for a run's missing block (a NULL buffer).  The thread never gets
 * more than `depth` blocks ahead of the last block taken, calls nothing of
 * the caller's, and runs with every signal blocked.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "wes_codec.h"

struct wes_decode_ahead
{
	pthread_t	thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* signalled when a block is ready or taken, or on stop */
	const uint8_t *const *bufs;
	const size_t *lens;
	size_t		n;
	size_t		depth;
	wes_ready_block *ready;		/* one per block of the run */
	size_t		done;			/* blocks [0, done) are ready */
	size_t		taken;			/* blocks [0, taken) are the caller's */
	bool		finished;		/* the thread makes no more ready */
	bool		stop;
};

/* Decode, hash and compute the roots of one block: what the thread does, and the writer for a block the thread did not reach */
void
wes_block_make_ready(const uint8_t *buf, size_t len, const wes_allocator *a, wes_ready_block *r)
{
	r->status = wes_block_decode(buf, len, a, &r->block, &r->err);
	if (r->status != WES_OK)
		return;
	wes_block_hash_all(&r->block);
	wes_block_roots(&r->block, r->tx_root, r->receipt_root);
}

static void *
ahead_main(void *arg)
{
	wes_decode_ahead *d = arg;

	for (size_t i = 0; i < d->n && d->bufs[i] != NULL; i++)
	{
		bool		stopped,
					bad;

		pthread_mutex_lock(&d->lock);
		while (!d->stop && i >= d->taken + d->depth)
			pthread_cond_wait(&d->cond, &d->lock);
		stopped = d->stop;
		pthread_mutex_unlock(&d->lock);
		if (stopped)
			break;

		wes_block_make_ready(d->bufs[i], d->lens[i], &wes_malloc_allocator, &d->ready[i]);
		bad = d->ready[i].status != WES_OK;	/* read now: once done passes it, the slot is the caller's */

		pthread_mutex_lock(&d->lock);
		d->done = i + 1;
		pthread_cond_broadcast(&d->cond);
		pthread_mutex_unlock(&d->lock);
		if (bad)
			break;
	}
	pthread_mutex_lock(&d->lock);
	d->finished = true;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

/*
 * Start making the n blocks of a run ready, at most depth (>= 1) ahead of the
 * caller; NULL when no thread or memory is to be had (the caller decodes them
 * itself).  bufs[i] NULL: the run has no block i, and the thread stops there.
 */
wes_decode_ahead *
wes_decode_ahead_start(const uint8_t *const *bufs, const size_t *lens, size_t n, size_t depth)
{
	wes_decode_ahead *d = calloc(1, sizeof(wes_decode_ahead));

	if (d == NULL || (d->ready = calloc(n > 0 ? n : 1, sizeof(wes_ready_block))) == NULL)
	{
		free(d);
		return NULL;
	}
	d->bufs = bufs;
	d->lens = lens;
	d->n = n;
	d->depth = depth > 0 ? depth : 1;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	if (wes_thread_create(&d->thread, ahead_main, d) != 0)
	{
		pthread_cond_destroy(&d->cond);
		pthread_mutex_destroy(&d->lock);
		free(d->ready);
		free(d);
		return NULL;
	}
	return d;
}

/*
 * Block i of the run, which must be the next one (0, 1, ...): waits until it
 * is ready and moves it to out.  False when the thread did not make it ready
 * (it stopped before, at a bad or missing block): the caller decodes it itself.
 */
bool
wes_decode_ahead_take(wes_decode_ahead *d, size_t i, wes_ready_block *out)
{
	bool		ok;

	pthread_mutex_lock(&d->lock);
	while (d->done <= i && !d->finished)
		pthread_cond_wait(&d->cond, &d->lock);
	ok = i < d->done;
	if (ok)
	{
		*out = d->ready[i];
		memset(&d->ready[i], 0, sizeof(wes_ready_block));
	}
	d->taken = i + 1;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	return ok;
}

/* End the thread and free the blocks it made ready that were not taken */
void
wes_decode_ahead_stop(wes_decode_ahead *d)
{
	pthread_mutex_lock(&d->lock);
	d->stop = true;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
	for (size_t i = 0; i < d->done; i++)
		free(d->ready[i].block.mem);
	pthread_cond_destroy(&d->cond);
	pthread_mutex_destroy(&d->lock);
	free(d->ready);
	free(d);
}
