/*
 * writer_store.c
 *	  Write a checked block: the rows of every table, filled straight from the
 *	  decoded block and handed to writer_rel.c, which writes them as COPY does.
 *	  Called only after every rule holds, so a constraint violation here is a
 *	  bug, not a bad block.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/memutils.h"

#include "writer.h"

/* An array of a fixed-length pass-by-reference type (wes_outpoint) */
static Datum
fixed_array(Datum *elems, int n, Oid type, int len)
{
	return PointerGetDatum(construct_array(elems, n, type, len, false, TYPALIGN_CHAR));
}

/* wes.blocks: one row */
static void
store_header(const WesBlockWork *w, WesRel *r)
{
	const wes_block *b = &w->block;
	Datum	   *v = wes_writer_row(r)->tts_values;

	v[0] = Int64GetDatum((int64) b->header.height);
	v[1] = PointerGetDatum(b->hash);
	v[2] = PointerGetDatum(b->header.prev_hash);
	v[3] = PointerGetDatum(b->header.tx_root);
	v[4] = PointerGetDatum(b->header.receipt_root);
	v[5] = PointerGetDatum(b->header.state_root);
	v[6] = Int64GetDatum((int64) b->header.timestamp_ms);
	v[7] = Int64GetDatum((int64) b->header.nonce);
	v[8] = Int32GetDatum((int32) b->n_tx);
	v[9] = Int32GetDatum((int32) b->size);
	v[10] = wes_writer_bytea(r, b->raw, WES_HEADER_LEN);
	wes_writer_row_done(r);
}

/* wes.transactions: one row per transaction, with its receipt */
static void
store_transaction(const WesBlockWork *w, uint32 t, WesRel *txs)
{
	const wes_tx *tx = &w->block.txs[t];
	const wes_receipt *rc = &w->block.receipts[t];
	Datum	   *v = wes_writer_row(txs)->tts_values;

	v[0] = PointerGetDatum(tx->txid);
	v[1] = Int64GetDatum((int64) w->block.header.height);
	v[2] = Int32GetDatum((int32) t);
	v[3] = Int32GetDatum((int32) tx->n_inputs);
	v[4] = Int32GetDatum((int32) tx->n_outputs);
	v[5] = wes_writer_bytea(txs, tx->raw.ptr, tx->raw.len);
	v[6] = Int16GetDatum((int16) rc->status);
	v[7] = Int64GetDatum((int64) rc->fee);
	v[8] = wes_writer_bytea(txs, rc->raw.ptr, rc->raw.len);
	wes_writer_row_done(txs);
}

/*
 * The spend mark of a wes.outputs row in slot (columns spent_by and
 * spent_height): the spending txid and its block's height, or none when
 * spent_by is NULL
 */
void
wes_writer_set_spend_mark(TupleTableSlot *slot, const uint8 *spent_by, int64 height)
{
	slot->tts_isnull[8] = slot->tts_isnull[9] = spent_by == NULL;
	slot->tts_values[8] = spent_by == NULL ? (Datum) 0 : PointerGetDatum(spent_by);
	slot->tts_values[9] = spent_by == NULL ? (Datum) 0 : Int64GetDatum(height);
}

/*
 * The columns of a wes.outputs row in slot: outpoint op, made at height,
 * output o, and the spend mark spent_by/spent_height (none when NULL)
 */
void
wes_writer_output_row(WesRel *outputs, TupleTableSlot *slot, Datum op, int64 height,
					  const wes_output *o, const uint8 *spent_by, int64 spent_height)
{
	Datum	   *v = slot->tts_values;

	v[0] = op;
	v[1] = Int64GetDatum(height);
	v[2] = Int16GetDatum((int16) o->kind);
	v[3] = PointerGetDatum(o->owner);
	v[4] = Int64GetDatum((int64) o->amount);
	v[5] = PointerGetDatum(o->ref);
	v[6] = wes_writer_bytea(outputs, o->lock.ptr, o->lock.len);
	v[7] = wes_writer_bytea(outputs, o->data.ptr, o->data.len);
	wes_writer_set_spend_mark(slot, spent_by, spent_height);
}

/*
 * wes.outputs: output i of transaction t, with its spend when the block itself
 * spends it; held in the window instead when the block leaves it unspent
 */
static void
store_output(const WesBlockWork *w, uint32 t, uint32 i, const WesOutpoint *op, WesRel *outputs)
{
	const wes_output *o = &w->block.txs[t].outputs[i];
	const WesInBlockSpend *s = &w->out_spent[w->out_base[t] + i];
	int64		height = (int64) w->block.header.height;

	if (s->tx < 0 && w->window != NULL)
	{
		if (!wes_window_hold(w->window, op, height, o))
		{
			/* an earlier block of the run wrote the transaction: rule 4 names it */
			wes_writer_check_chain_txids(w);
			elog(ERROR, "outpoint %s is held twice by the writer", wes_outpoint_text(op));
		}
		return;
	}
	wes_writer_output_row(outputs, wes_writer_row(outputs), PointerGetDatum(op), height, o,
						  s->tx >= 0 ? w->block.txs[s->tx].txid : NULL, height);
	wes_writer_row_done(outputs);
}

/* wes.inputs: input k of transaction t (a spend input is its outpoint's spend mark) */
static void
store_input(const WesBlockWork *w, uint32 t, uint32 k, const WesOutpoint *op, WesRel *inputs)
{
	const wes_input *in = &w->block.txs[t].inputs[k];
	Datum	   *v = wes_writer_row(inputs)->tts_values;

	v[0] = PointerGetDatum(w->block.txs[t].txid);
	v[1] = Int32GetDatum((int32) k);
	v[2] = PointerGetDatum(op);
	v[3] = BoolGetDatum(in->flags == WES_INPUT_REFERENCE);
	v[4] = Int64GetDatum((int64) w->block.header.height);
	v[5] = Int32GetDatum((int32) t);
	v[6] = wes_writer_bytea(inputs, in->unlock.ptr, in->unlock.len);
	wes_writer_row_done(inputs);
}

/* The outputs of earlier blocks that the block spends get their spend mark (in the window when held there) */
static void
mark_spent(const WesBlockWork *w, WesRel *outputs)
{
	TupleTableSlot *slot = MakeSingleTupleTableSlot(outputs->desc, &TTSOpsVirtual);
	int64		height = (int64) w->block.header.height;

	for (uint32 i = 0; i < w->n_spent; i++)
	{
		const WesSpentOutput *s = &w->spent[i];

		if (s->pending != NULL)
		{
			wes_window_spend(s->pending, s->spent_by, height);
			continue;
		}
		ExecClearTuple(slot);
		heap_deform_tuple(s->row, outputs->desc, slot->tts_values, slot->tts_isnull);
		wes_writer_set_spend_mark(slot, s->spent_by, height);
		ExecStoreVirtualTuple(slot);
		wes_writer_rel_update(outputs, &s->row->t_self, slot);
	}
	ExecDropSingleTupleTableSlot(slot);
}

/* wes.journal: the outpoints the block added to the UTXO set and removed from it */
static void
store_journal(const WesBlockWork *w, const WesOutpoint *outpoints, WesRel *journal)
{
	Oid			type = wes_writer_types()->outpoint;
	Datum	   *elems = palloc_extended(Max(Max(w->n_created, w->n_spent), 1) * sizeof(Datum),
										MCXT_ALLOC_HUGE);
	Datum	   *v = wes_writer_row(journal)->tts_values;
	int			n = 0;

	for (uint32 i = 0; i < w->n_outputs; i++)
		if (w->out_spent[i].tx < 0)
			elems[n++] = PointerGetDatum(&outpoints[i]);
	Assert(n == w->n_created);
	v[0] = Int64GetDatum((int64) w->block.header.height);
	v[1] = fixed_array(elems, n, type, WES_OUTPOINT_LEN);
	for (uint32 i = 0; i < w->n_spent; i++)
		elems[i] = PointerGetDatum(&w->spent[i].op);
	v[2] = fixed_array(elems, w->n_spent, type, WES_OUTPOINT_LEN);
	wes_writer_row_done(journal);
}

/* Write the rows a block implies (all but the chain-state row: wes_writer_store_tip) */
void
wes_writer_store_rows(const WesBlockWork *w)
{
	const wes_block *b = &w->block;
	WesOutpoint *outpoints = palloc_extended(Max(w->n_outputs, 1) * sizeof(WesOutpoint),
											 MCXT_ALLOC_HUGE);
	WesOutpoint *in_op = palloc_extended(Max(w->n_inputs, 1) * sizeof(WesOutpoint), MCXT_ALLOC_HUGE);
	WesWriterRels *rels = w->rels;

	/* a txid already in the chain is found by the primary keys (rule 4) */
	wes_writer_rel_recheck_primary_key(&rels->rel[WES_TABLE_TRANSACTIONS]);
	wes_writer_rel_recheck_primary_key(&rels->rel[WES_TABLE_OUTPUTS]);
	mark_spent(w, &rels->rel[WES_TABLE_OUTPUTS]);
	store_header(w, &rels->rel[WES_TABLE_BLOCKS]);
	for (uint32 t = 0; t < b->n_tx; t++)
	{
		const wes_tx *tx = &b->txs[t];

		store_transaction(w, t, &rels->rel[WES_TABLE_TRANSACTIONS]);
		for (uint32 k = 0; k < tx->n_inputs; k++, in_op++)
		{
			wes_outpoint_set(in_op, tx->inputs[k].txid, tx->inputs[k].index);
			store_input(w, t, k, in_op, &rels->rel[WES_TABLE_INPUTS]);
		}
		for (uint32 i = 0; i < tx->n_outputs; i++)
		{
			WesOutpoint *op = &outpoints[w->out_base[t] + i];

			wes_outpoint_set(op, tx->txid, i);
			store_output(w, t, i, op, &rels->rel[WES_TABLE_OUTPUTS]);
		}
	}
	store_journal(w, outpoints, &rels->rel[WES_TABLE_JOURNAL]);
	wes_writer_rels_flush(rels);
	if (rels->rel[WES_TABLE_TRANSACTIONS].duplicate || rels->rel[WES_TABLE_OUTPUTS].duplicate)
	{
		wes_writer_check_chain_txids(w);
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("a primary key of wes.transactions or wes.outputs of block %llu is already in its index, "
						"but no row has it", (unsigned long long) b->header.height),
				 errhint("Run wes_verify(); wes_repair() rebuilds the indexes.")));
	}
	wes_writer_rels_close(rels);
}
