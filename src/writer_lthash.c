/*
 * writer_lthash.c
 *	  A block's moves of the LtHash accumulator (what it spends leaves the
 *	  UTXO set, what it creates and nobody in it spends joins it), computed on
 *	  a second thread while the block's rows go in (lthash_worker.c).
 *
 * Each element expands to 2 KB of ChaCha20 keystream: about a microsecond,
 * four times a transaction on a chain of 2-in, 2-out transactions, the
 * largest part of the writer's own work and the one part that needs nothing
 * of PostgreSQL.  The thread reads only the block's memory (its decoded
 * outputs, the encodings of the outputs it spends, rows the window holds),
 * which stays as it is until the block ends; the writer waits for the thread
 * before it checks the state root (rule 6) and, should an error cut the
 * block short, before the error goes on and that memory can go.  A backend
 * starts the thread the first time it writes a block and keeps it for its
 * life.  With wes_persist.lthash_thread off, or when no thread can be
 * started, the backend computes the moves itself, as the block's rows wait.
 */
#include "postgres.h"

#include "wes_persist.h"
#include "writer.h"

static wes_lthash_worker *worker = NULL;
static bool worker_failed = false;

/* This backend's thread, started on first use; NULL when it cannot be */
static wes_lthash_worker *
get_worker(void)
{
	if (worker == NULL && !worker_failed)
	{
		worker = wes_lthash_worker_start();
		worker_failed = worker == NULL;
		if (worker_failed)
			ereport(LOG,
					(errmsg("wes_persist could not start its LtHash thread; blocks compute their state root in the backend")));
	}
	return worker;
}

/*
 * The block's moves: remove what it spends of the old set, add what it
 * creates and keeps.  Counting them here sets w->n_created (the journal's
 * count of added outpoints) and moves w->utxo_count.
 */
static wes_lthash_item *
block_items(WesBlockWork *w, size_t *n)
{
	const wes_block *b = &w->block;
	wes_lthash_item *items = palloc_extended(Max(w->n_spent + w->n_outputs, 1) * sizeof(wes_lthash_item),
											 MCXT_ALLOC_HUGE);
	size_t		k = 0;

	for (uint32 i = 0; i < w->n_spent; i++, k++)
	{
		const WesSpentOutput *s = &w->spent[i];

		items[k] = (wes_lthash_item) {s->op.data, s->encoding, wes_outpoint_get_index(&s->op),
		s->encoding_len, true};
	}
	w->n_created = 0;
	for (uint32 t = 0; t < b->n_tx; t++)
		for (uint32 i = 0; i < b->txs[t].n_outputs; i++)
		{
			const wes_output *o = &b->txs[t].outputs[i];

			if (w->out_spent[w->out_base[t] + i].tx >= 0)
				continue;
			items[k++] = (wes_lthash_item) {b->txs[t].txid, o->encoding.ptr, i, (uint32) o->encoding.len, false};
			w->n_created++;
		}
	w->utxo_count += (int64) w->n_created - (int64) w->n_spent;
	*n = k;
	return items;
}

/* Start moving the accumulator: on the thread, or here when there is none */
void
wes_writer_lthash_begin(WesBlockWork *w)
{
	size_t		n;
	wes_lthash_item *items = block_items(w, &n);
	wes_lthash_worker *wk = wes_lthash_thread ? get_worker() : NULL;

	if (wk == NULL)
	{
		wes_lthash_apply(&w->acc, items, n);
		return;
	}
	wes_lthash_worker_submit(wk, items, n);
	w->lthash_running = true;
}

/* Wait for the thread's sum of the block's moves; false when it has none */
static bool
wait_for_thread(WesBlockWork *w, wes_lthash *sum)
{
	if (!w->lthash_running)
		return false;
	wes_lthash_worker_wait(worker, sum);
	w->lthash_running = false;
	return true;
}

/* The accumulator after the block: the thread's sum added to the one before */
void
wes_writer_lthash_end(WesBlockWork *w)
{
	wes_lthash	sum;

	if (wait_for_thread(w, &sum))
		wes_lthash_combine(&w->acc, &sum, false);
}

/* An error is leaving the block: stop the thread's work on it, which reads the block's memory */
void
wes_writer_lthash_abandon(WesBlockWork *w)
{
	if (!w->lthash_running)
		return;
	wes_lthash_worker_abandon(worker);
	w->lthash_running = false;
}

/*
 * The backend is leaving through proc_exit (a FATAL error), past the
 * PG_CATCH that would abandon the block: stop the thread's work, if any,
 * before the transaction's abort frees what it reads
 */
void
wes_writer_lthash_quiesce(void)
{
	if (worker != NULL)
		wes_lthash_worker_abandon(worker);
}
