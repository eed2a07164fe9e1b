/*
 * writer.c
 *	  The DataWriter's block path: wes_write_block(bytea), wes_write_blocks(bytea[])
 *	  and wes_write_block_bytes(), which the JSON form calls too.
 *
 * write_block() reads as the path of architecture.md, one call per
 * arrow; the rules of wire-format.md are checked in their order, and the first
 * broken one is reported.  All of them hold before the first write but one
 * part of rule 4, a txid already in the chain: the primary keys find that as
 * the rows go in (writer_store.c), and the error then aborts those writes with
 * the caller's transaction, so a rejected block leaves nothing behind either way.
 * Rule 6 is checked once the rows are in too: the accumulator it checks is
 * computed on a second thread while they go in (writer_lthash.c).
 * Everything runs inside the caller's transaction; nothing here commits.  The
 * chain-state row is read and moved through SPI; the block's rows go straight
 * into the tables and their indexes (writer_rel.c).  A block's memory (its
 * decoded arrays, hash tables, the rows waiting to go in) lives in a context
 * of its own and in SPI's procedure context, both deleted when the block is
 * done, so a long run of blocks does not grow.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "storage/ipc.h"
#include "utils/array.h"
#include "utils/memutils.h"

#include "wes_persist.h"
#include "wes_snapshot.h"
#include "writer.h"

/* How many blocks of a run the thread may decode ahead of the one being written */
#define WES_DECODE_AHEAD_DEPTH	4

PG_FUNCTION_INFO_V1(wes_write_block);
PG_FUNCTION_INFO_V1(wes_write_blocks);

/* The decode thread of the wes_write_blocks call in progress, if any */
static wes_decode_ahead *running_ahead = NULL;

/*
 * A FATAL error (pg_terminate_backend, shutdown, a lost client) leaves the
 * backend through proc_exit, past every PG_TRY of the writer, and the abort
 * of its transaction then frees the memory that the decode and LtHash threads
 * read: a thread still at work would crash the backend, and the postmaster
 * would restart the whole cluster.  So the threads are stopped here first:
 * registered with before_shmem_exit after InitPostgres registered its own
 * ShutdownPostgres, this runs before that abort.
 */
static void
stop_threads_at_exit(int code, Datum arg)
{
	if (running_ahead != NULL)
	{
		wes_decode_ahead_stop(running_ahead);
		running_ahead = NULL;
	}
	wes_writer_lthash_quiesce();
}

/* Register stop_threads_at_exit, once per backend; each entry point calls it before a thread starts */
static void
guard_threads(void)
{
	static bool registered = false;

	if (!registered)
	{
		before_shmem_exit(stop_threads_at_exit, (Datum) 0);
		registered = true;
	}
}

/*
 * Rule 1: the bytes decode exactly (22P03 naming the field and byte offset);
 * then the block's hashes, and the roots its contents give (rule 3 compares
 * them).  In a run, a thread has done all that ahead of the writer, unless it
 * stopped before this block; the arrays it decoded into are malloc'd, and go
 * when the block's memory context does.
 */
static void
decode_block(WesBlockWork *w, const uint8 *buf, size_t len, wes_decode_ahead *ahead, int index)
{
	MemoryContextCallback *free_arrays = palloc(sizeof(MemoryContextCallback));
	wes_ready_block r;

	if (ahead != NULL && wes_decode_ahead_take(ahead, index, &r))
	{
		free_arrays->func = free;
		free_arrays->arg = r.block.mem;
		MemoryContextRegisterResetCallback(CurrentMemoryContext, free_arrays);
	}
	else
		wes_block_make_ready(buf, len, &wes_palloc_allocator, &r);
	if (r.status != WES_OK)
		wes_report_decode_error("block", &r.err);
	w->block = r.block;
	memcpy(w->tx_root, r.tx_root, WES_HASH_LEN);
	memcpy(w->receipt_root, r.receipt_root, WES_HASH_LEN);
}

/*
 * Write the block's rows while the LtHash thread works on its moves; should
 * an error stop the writes, the thread is waited for before the error goes
 * on, since it reads the block's memory
 */
static void
store_rows(WesBlockWork *w)
{
	PG_TRY();
	{
		wes_writer_store_rows(w);
	}
	PG_CATCH();
	{
		wes_writer_lthash_abandon(w);
		PG_RE_THROW();
	}
	PG_END_TRY();
}

/*
 * Validate one block in wire format and write everything it implies; returns
 * its hash, palloc'd in the caller's memory context.  In a run of blocks (one
 * wes_write_blocks call), ahead, when not NULL, decodes the run's blocks on a
 * thread, the block being its block index; the outputs the block
 * leaves unspent are held in window instead of going to wes.outputs at once
 * (writer_window.c).
 */
static WesHash *
write_block(const uint8 *buf, size_t len, WesWindow *window, wes_decode_ahead *ahead, int index)
{
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext blockcxt = AllocSetContextCreate(caller, "wes_write_block",
												   ALLOCSET_DEFAULT_SIZES);
	WesBlockWork *w;
	WesHash    *hash;

	MemoryContextSwitchTo(blockcxt);
	w = palloc0(sizeof(WesBlockWork));

	wes_snapshot_import_refuse("wes_write_block");
	decode_block(w, buf, len, ahead, index);	/* decode, hash (or the thread did) */

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(blockcxt);
	wes_writer_lock_tip(w);					/* lock tip */
	w->window = w->base_height == 0 ? window : NULL;	/* whole history here: see writer_window.c */
	w->rels = wes_writer_rels_open();		/* open the tables */
	wes_writer_check_order(w);				/* rule 2: height, prev_hash */
	wes_writer_check_merkle_roots(w);		/* rule 3: tx_root, receipt_root */
	wes_writer_check_duplicate_txids(w);	/* rule 4: txids (in the block) */
	wes_writer_resolve_inputs(w);			/* rule 5: resolve */
	wes_writer_lthash_begin(w);				/* commit root, on a second thread */
	store_rows(w);							/* write, meanwhile */
	wes_writer_lthash_end(w);				/* commit root: the thread's sum */
	wes_writer_check_state_root(w);			/* rule 6: state_root */
	wes_writer_store_tip(w);				/* tip */
	if (w->window != NULL)
		wes_window_after_block(w->window);	/* written out when full */
	wes_after_block_stored((int64) w->block.header.height);	/* journal depth, snapshots */
	SPI_finish();

	MemoryContextSwitchTo(caller);
	hash = wes_hash_from_bytes(w->block.hash);
	MemoryContextDelete(blockcxt);
	return hash;
}

/* One block on its own (wes_write_block, and the JSON form) */
WesHash *
wes_write_block_bytes(const uint8 *buf, size_t len)
{
	guard_threads();
	return write_block(buf, len, NULL, NULL, 0);
}

/* wes_write_block(block bytea) RETURNS wes_hash */
Datum
wes_write_block(PG_FUNCTION_ARGS)
{
	bytea	   *block;

	wes_require_arg(fcinfo, 0, "block");
	block = PG_GETARG_BYTEA_PP(0);
	PG_RETURN_WESHASH_P(wes_write_block_bytes((const uint8 *) VARDATA_ANY(block),
											  VARSIZE_ANY_EXHDR(block)));
}

/* Which block of a wes_write_blocks array an error belongs to */
typedef struct BlocksErrorContext
{
	int			position;
	int			count;
} BlocksErrorContext;

/* Add "block N of M in the array" to errors raised while writing a run of blocks */
static void
blocks_error_callback(void *arg)
{
	BlocksErrorContext *c = arg;

	errcontext("block %d of %d in the array", c->position, c->count);
}

/*
 * The blocks of a bytea[], as buffers a thread can read: bufs[i] NULL where
 * the array has a null; each element is detoasted once, and stays so until
 * the call ends
 */
static int
run_buffers(ArrayType *blocks, const uint8 ***bufs, size_t **lens)
{
	ArrayIterator it = array_create_iterator(blocks, 0, NULL);
	int			n = ArrayGetNItems(ARR_NDIM(blocks), ARR_DIMS(blocks));
	Datum		value;
	bool		isnull;

	*bufs = palloc0(Max(n, 1) * sizeof(uint8 *));
	*lens = palloc0(Max(n, 1) * sizeof(size_t));
	for (int i = 0; array_iterate(it, &value, &isnull); i++)
	{
		bytea	   *block = isnull ? NULL : DatumGetByteaPP(value);

		(*bufs)[i] = isnull ? NULL : (const uint8 *) VARDATA_ANY(block);
		(*lens)[i] = isnull ? 0 : VARSIZE_ANY_EXHDR(block);
	}
	array_free_iterator(it);
	return n;
}

/* Write the n blocks of a run in order, in one window; the thread (ahead) may be NULL */
static void
write_run(const uint8 **bufs, const size_t *lens, BlocksErrorContext *ctx, wes_decode_ahead *ahead)
{
	WesWindow  *window = wes_write_window > 0 ? wes_window_begin() : NULL;

	for (int i = 0; i < ctx->count; i++)
	{
		ctx->position = i + 1;
		if (bufs[i] == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("block %d of the array is null", ctx->position)));
		/* the first block is decoded here while the thread starts on the second */
		pfree(write_block(bufs[i], lens[i], window, i > 0 ? ahead : NULL, i - 1));
	}
	if (window != NULL)
		wes_window_end(window);
}

/*
 * wes_write_blocks(blocks bytea[]) RETURNS bigint: each block in array order,
 * as wes_write_block would; returns how many were written.  The first block
 * rejected aborts the call, and with it the caller's transaction.  The blocks
 * share a window: an output that a later block of the array spends goes into
 * wes.outputs once, with its spend mark, when the call ends.  Unless
 * wes_persist.decode_thread is off, a thread decodes and hashes the blocks
 * after the first, a few ahead of the one being written; it ends with the
 * call, error or not, before the array's memory can go.
 */
Datum
wes_write_blocks(PG_FUNCTION_ARGS)
{
	const uint8 **bufs;
	size_t	   *lens;
	BlocksErrorContext ctx = {0, 0};
	ErrorContextCallback cb = {error_context_stack, blocks_error_callback, &ctx};
	wes_decode_ahead *volatile ahead = NULL;	/* set before PG_TRY, read in PG_FINALLY */

	wes_require_arg(fcinfo, 0, "blocks");
	ctx.count = run_buffers(PG_GETARG_ARRAYTYPE_P(0), &bufs, &lens);

	guard_threads();
	if (wes_decode_thread && ctx.count > 1)
		running_ahead = ahead = wes_decode_ahead_start(bufs + 1, lens + 1, ctx.count - 1, WES_DECODE_AHEAD_DEPTH);
	error_context_stack = &cb;
	PG_TRY();
	{
		write_run(bufs, lens, &ctx, ahead);
	}
	PG_FINALLY();
	{
		running_ahead = NULL;
		if (ahead != NULL)
			wes_decode_ahead_stop(ahead);
	}
	PG_END_TRY();
	error_context_stack = cb.previous;
	PG_RETURN_INT64(ctx.position);
}
