/*
 * writer_window.c
 *	  The outputs of a run of blocks written by one wes_write_blocks call,
 *	  held back from wes.outputs until the run ends, so that an output a later
 *	  block of the run spends goes in once, with its spend mark already set.
 *
 * Without the window, an output spent one block after the one that made it
 * costs a row insert with its index entries, a primary-key probe when the
 * spend is resolved, and a heap update for the mark.  Inside a run, the probe
 * is a hash lookup here and the mark is set before the row is written.  What
 * the blocks of the run see is the same either way: the writer consults the
 * window before wes.outputs (writer_resolve.c), nothing else reads wes.outputs
 * while the run is written (an automatic snapshot copies the chain-state row),
 * and the window is written out when wes_write_blocks returns, or after a
 * block that brings it to wes_persist.write_window outputs (0: no window).
 * A rejected block aborts the whole call and its transaction, so rows held
 * here never need undoing.  The window holds each output as decoded: its
 * fields point into its block's bytes, which the call's array keeps alive
 * until after the window is written out; nothing is copied until the row
 * goes in.
 *
 * The window is used only in a database that holds its whole history
 * (base_height 0): there, an outpoint already in wes.outputs always has its
 * transaction in wes.transactions, whose primary key reports a txid written
 * twice (rule 4) as the block goes in.  From a snapshot, that check also rests
 * on the primary key of wes.outputs, so every output goes in with its block.
 */
#include "postgres.h"

#include "utils/rel.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "wes_persist.h"
#include "writer.h"

struct WesWindow
{
	MemoryContext cxt;			/* the outpoint table and the order array */
	HTAB	   *outputs;		/* outpoint -> WesPendingOutput */
	WesPendingOutput **order;	/* in the order the blocks made them */
	uint32		n;
	uint32		cap;
};

/* An empty window: the outpoint table and the order array in the window's own context */
static void
window_reset(WesWindow *win)
{
	HASHCTL		ctl;

	MemoryContextReset(win->cxt);
	ctl.keysize = WES_OUTPOINT_LEN;
	ctl.entrysize = sizeof(WesPendingOutput);
	ctl.hcxt = win->cxt;
	win->outputs = hash_create("wes writer window", 4096, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	win->cap = 4096;
	win->order = MemoryContextAlloc(win->cxt, win->cap * sizeof(WesPendingOutput *));
	win->n = 0;
}

/* A window for one wes_write_blocks call, in the current memory context */
WesWindow *
wes_window_begin(void)
{
	WesWindow  *win = palloc0(sizeof(WesWindow));

	win->cxt = AllocSetContextCreate(CurrentMemoryContext, "wes writer window", ALLOCSET_DEFAULT_SIZES);
	window_reset(win);
	return win;
}

/* The output held under op, or NULL */
WesPendingOutput *
wes_window_find(WesWindow *win, const WesOutpoint *op)
{
	return hash_search(win->outputs, op->data, HASH_FIND, NULL);
}

/*
 * Hold output o, made at height, instead of writing it: the decoded fields
 * only, which point into its block's bytes (alive until the call ends).
 * False, holding nothing, when the window holds op already: an earlier block
 * of the run made it, so its transaction is written twice (rule 4).
 */
bool
wes_window_hold(WesWindow *win, const WesOutpoint *op, int64 height, const wes_output *o)
{
	bool		found;
	WesPendingOutput *p = hash_search(win->outputs, op->data, HASH_ENTER, &found);

	if (found)
		return false;
	p->height = height;
	p->out = *o;
	p->spent_height = -1;
	if (win->n == win->cap)
	{
		win->cap *= 2;
		win->order = repalloc_huge(win->order, win->cap * sizeof(WesPendingOutput *));
	}
	win->order[win->n++] = p;
	return true;
}

/* Set the spend mark of a held output */
void
wes_window_spend(WesPendingOutput *p, const uint8 *spent_by, int64 height)
{
	memcpy(p->spent_by, spent_by, WES_HASH_LEN);
	p->spent_height = height;
}

/* Write the held rows that are spent (spent true) or unspent (false) */
static void
write_rows(WesWindow *win, WesRel *outputs, bool spent)
{
	for (uint32 i = 0; i < win->n; i++)
	{
		const WesPendingOutput *p = win->order[i];

		if ((p->spent_height >= 0) != spent)
			continue;
		wes_writer_output_row(outputs, wes_writer_row(outputs), PointerGetDatum(&p->op), p->height,
							  &p->out, spent ? p->spent_by : NULL, p->spent_height);
		wes_writer_row_done(outputs);
	}
	wes_writer_rel_flush(outputs);
}

/*
 * Write the rows that are spent already with their pages filled.  wes.outputs
 * keeps half of each page free (fillfactor 50) so that a spend mark set later
 * is a heap-only update; a row written with its mark never gets one (only a
 * rollback clears it), so that room would stay empty for good: the table
 * would be larger and every read of it slower.  The heap takes the fill
 * factor from the relation's options each time it picks a page, so the
 * cached options say 100 while these rows go in.  Should the relation cache
 * entry be rebuilt meanwhile, the new options hold the table's own setting,
 * and are left as they are.
 */
static void
write_spent_rows_packed(WesWindow *win, WesRel *outputs)
{
	StdRdOptions *opts = (StdRdOptions *) outputs->rel->rd_options;
	volatile int fillfactor = 0;

	if (opts != NULL)			/* NULL: no options, so no free room kept */
	{
		fillfactor = opts->fillfactor;
		opts->fillfactor = HEAP_DEFAULT_FILLFACTOR;	/* 100: full pages */
	}
	PG_TRY();
	{
		write_rows(win, outputs, true);
	}
	PG_FINALLY();
	{
		if (opts != NULL && outputs->rel->rd_options == (bytea *) opts)
			opts->fillfactor = fillfactor;
	}
	PG_END_TRY();
}

/*
 * Write every held row to wes.outputs and empty the window: the spent ones,
 * with their marks, on full pages, then the unspent ones as any row goes in
 */
void
wes_window_flush(WesWindow *win)
{
	MemoryContext old;
	WesWriterRels *rels;

	if (win->n == 0)
		return;
	old = MemoryContextSwitchTo(win->cxt);	/* what the tables leave goes with the window */
	rels = wes_writer_rels_open();
	write_spent_rows_packed(win, &rels->rel[WES_TABLE_OUTPUTS]);
	write_rows(win, &rels->rel[WES_TABLE_OUTPUTS], false);
	wes_writer_rels_close(rels);
	MemoryContextSwitchTo(old);
	window_reset(win);
}

/* After a block is stored: write the window out when it holds wes_persist.write_window outputs */
void
wes_window_after_block(WesWindow *win)
{
	if (win->n >= (uint32) wes_write_window)
		wes_window_flush(win);
}

/* Flush what is left and free the window */
void
wes_window_end(WesWindow *win)
{
	wes_window_flush(win);
	MemoryContextDelete(win->cxt);
	pfree(win);
}
