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
#include "utils/array.h"
#include "utils/memutils.h"

#include "wes_persist.h"
#include "writer.h"

PG_FUNCTION_INFO_V1(wes_write_block);
PG_FUNCTION_INFO_V1(wes_write_blocks);

/* Rule 1: the bytes decode exactly (22P03 naming the field and byte offset) */
static void
decode_block(WesBlockWork *w, const uint8 *buf, size_t len)
{
	wes_error	err;

	if (wes_block_decode(buf, len, &wes_palloc_allocator, &w->block, &err) != WES_OK)
		wes_report_decode_error("block", &err);
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
 * its hash, palloc'd in the caller's memory context.  With a window (a run of
 * blocks in one call), the outputs the block leaves unspent are held there
 * instead of going to wes.outputs at once (writer_window.c).
 */
static WesHash *
write_block(const uint8 *buf, size_t len, WesWindow *window)
{
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext blockcxt = AllocSetContextCreate(caller, "wes_write_block",
												   ALLOCSET_DEFAULT_SIZES);
	WesBlockWork *w;
	WesHash    *hash;

	MemoryContextSwitchTo(blockcxt);
	w = palloc0(sizeof(WesBlockWork));

	decode_block(w, buf, len);				/* decode */
	wes_block_hash_all(&w->block);			/* hash */

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
	return write_block(buf, len, NULL);
}

/* wes_write_block(block bytea) RETURNS wes_hash */
Datum
wes_write_block(PG_FUNCTION_ARGS)
{
	bytea	   *block = PG_GETARG_BYTEA_PP(0);

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
 * wes_write_blocks(blocks bytea[]) RETURNS bigint: each block in array order,
 * as wes_write_block would; returns how many were written.  The first block
 * rejected aborts the call, and with it the caller's transaction.  The blocks
 * share a window: an output that a later block of the array spends goes into
 * wes.outputs once, with its spend mark, when the call ends.
 */
Datum
wes_write_blocks(PG_FUNCTION_ARGS)
{
	ArrayType  *blocks = PG_GETARG_ARRAYTYPE_P(0);
	ArrayIterator it = array_create_iterator(blocks, 0, NULL);
	BlocksErrorContext ctx = {0, ArrayGetNItems(ARR_NDIM(blocks), ARR_DIMS(blocks))};
	ErrorContextCallback cb = {error_context_stack, blocks_error_callback, &ctx};
	WesWindow  *window = wes_write_window > 0 ? wes_window_begin() : NULL;
	Datum		value;
	bool		isnull;

	error_context_stack = &cb;
	while (array_iterate(it, &value, &isnull))
	{
		bytea	   *block;

		ctx.position++;
		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("block %d of the array is null", ctx.position)));
		block = DatumGetByteaPP(value);
		pfree(write_block((const uint8 *) VARDATA_ANY(block), VARSIZE_ANY_EXHDR(block), window));
		if ((Pointer) block != DatumGetPointer(value))
			pfree(block);
	}
	error_context_stack = cb.previous;
	if (window != NULL)
		wes_window_end(window);
	array_free_iterator(it);
	PG_RETURN_INT64(ctx.position);
}
