/*
 * writer_store.c
 *	  Write a checked block: one set-based statement per table
 *	  (INSERT ... SELECT ... FROM unnest($n, ...)), with the arrays built here
 *	  straight from the decoded block.  Called only after every rule holds, so
 *	  a constraint violation here is a bug, not a bad block.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/memutils.h"

#include "writer.h"

/* Every column the statements take, for one block */
typedef struct StoreArrays
{
	const wes_output **outs;	/* every output of the block, flat */
	WesOutpoint *outpoints;		/* their outpoints */
	uint32	   *sel;			/* flat indexes of the outputs a statement takes */
	Datum	   *scratch;		/* element Datums, reused array by array */
	wes_bytes  *bytes;			/* byte strings, reused array by array */
} StoreArrays;

/* An array of a fixed-length pass-by-reference type (wes_hash, wes_outpoint, ...) */
static Datum
fixed_array(Datum *elems, int n, Oid type, int len)
{
	return PointerGetDatum(construct_array(elems, n, type, len, false, TYPALIGN_CHAR));
}

/* An array of int2, int4, int8 or boolean */
static Datum
scalar_array(Datum *elems, int n, Oid type)
{
	switch (type)
	{
		case INT2OID:
			return PointerGetDatum(construct_array(elems, n, type, 2, true, TYPALIGN_SHORT));
		case INT4OID:
			return PointerGetDatum(construct_array(elems, n, type, 4, true, TYPALIGN_INT));
		case INT8OID:
			return PointerGetDatum(construct_array(elems, n, type, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		case BOOLOID:
			return PointerGetDatum(construct_array(elems, n, type, 1, true, TYPALIGN_CHAR));
	}
	elog(ERROR, "unexpected array element type %u", type);
}

/* A bytea[] built in one allocation straight from byte strings of the block */
static Datum
bytea_array(const wes_bytes *items, int n)
{
	Size		nbytes = 0;
	ArrayType  *a;
	char	   *p;

	if (n == 0)
		return PointerGetDatum(construct_empty_array(BYTEAOID));
	for (int i = 0; i < n; i++)
		nbytes += INTALIGN(VARHDRSZ + (Size) items[i].len);
	nbytes += ARR_OVERHEAD_NONULLS(1);
	if (!AllocSizeIsValid(nbytes))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("block too large: a column of it needs %zu bytes", nbytes)));
	a = palloc0(nbytes);
	SET_VARSIZE(a, nbytes);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = BYTEAOID;
	ARR_DIMS(a)[0] = n;
	ARR_LBOUND(a)[0] = 1;
	p = ARR_DATA_PTR(a);
	for (int i = 0; i < n; i++)
	{
		SET_VARSIZE(p, VARHDRSZ + items[i].len);
		if (items[i].len > 0)
			memcpy(VARDATA(p), items[i].ptr, items[i].len);
		p += INTALIGN(VARHDRSZ + (Size) items[i].len);
	}
	return PointerGetDatum(a);
}

/* A bytea of n bytes */
static Datum
bytea_datum(const uint8 *p, Size n)
{
	bytea	   *v = palloc(VARHDRSZ + n);

	SET_VARSIZE(v, VARHDRSZ + n);
	memcpy(VARDATA(v), p, n);
	return PointerGetDatum(v);
}

/* wes.blocks: one row */
static void
store_header(const WesBlockWork *w)
{
	const wes_block *b = &w->block;
	Datum		v[11];

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
	v[10] = bytea_datum(b->raw, WES_HEADER_LEN);
	wes_writer_exec(WES_PLAN_INSERT_BLOCK, v, NULL);
}

/* wes.transactions and wes.receipts: one row per transaction each */
static void
store_transactions(const WesBlockWork *w, StoreArrays *s)
{
	const wes_block *b = &w->block;
	const WesWriterTypes *t = wes_writer_types();
	int			n = b->n_tx;
	Datum		v[6];

	v[0] = Int64GetDatum((int64) b->header.height);
	for (int i = 0; i < n; i++)
		s->scratch[i] = PointerGetDatum(b->txs[i].txid);
	v[1] = fixed_array(s->scratch, n, t->hash, WES_HASH_LEN);
	for (int i = 0; i < n; i++)
		s->scratch[i] = Int32GetDatum(i);
	v[2] = scalar_array(s->scratch, n, INT4OID);
	for (int i = 0; i < n; i++)
		s->scratch[i] = Int32GetDatum((int32) b->txs[i].n_inputs);
	v[3] = scalar_array(s->scratch, n, INT4OID);
	for (int i = 0; i < n; i++)
		s->scratch[i] = Int32GetDatum((int32) b->txs[i].n_outputs);
	v[4] = scalar_array(s->scratch, n, INT4OID);
	for (int i = 0; i < n; i++)
		s->bytes[i] = b->txs[i].raw;
	v[5] = bytea_array(s->bytes, n);
	wes_writer_exec(WES_PLAN_INSERT_TXS, v, NULL);

	/* the receipts share the txid array */
	v[0] = v[1];
	for (int i = 0; i < n; i++)
		s->scratch[i] = Int16GetDatum((int16) b->receipts[i].status);
	v[1] = scalar_array(s->scratch, n, INT2OID);
	for (int i = 0; i < n; i++)
		s->scratch[i] = Int64GetDatum((int64) b->receipts[i].fee);
	v[2] = scalar_array(s->scratch, n, INT8OID);
	for (int i = 0; i < n; i++)
		s->bytes[i] = b->receipts[i].raw;
	v[3] = bytea_array(s->bytes, n);
	wes_writer_exec(WES_PLAN_INSERT_RECEIPTS, v, NULL);
}

/* The columns (outpoint, kind, owner, amount, ref) of the n outputs in s->sel, into v[0..4] */
static void
output_columns(StoreArrays *s, int n, Datum *v)
{
	const WesWriterTypes *t = wes_writer_types();

	for (int i = 0; i < n; i++)
		s->scratch[i] = PointerGetDatum(&s->outpoints[s->sel[i]]);
	v[0] = fixed_array(s->scratch, n, t->outpoint, WES_OUTPOINT_LEN);
	for (int i = 0; i < n; i++)
		s->scratch[i] = Int16GetDatum((int16) s->outs[s->sel[i]]->kind);
	v[1] = scalar_array(s->scratch, n, INT2OID);
	for (int i = 0; i < n; i++)
		s->scratch[i] = PointerGetDatum(s->outs[s->sel[i]]->owner);
	v[2] = fixed_array(s->scratch, n, t->address, WES_ADDR_LEN);
	for (int i = 0; i < n; i++)
		s->scratch[i] = Int64GetDatum((int64) s->outs[s->sel[i]]->amount);
	v[3] = scalar_array(s->scratch, n, INT8OID);
	for (int i = 0; i < n; i++)
		s->scratch[i] = PointerGetDatum(s->outs[s->sel[i]]->ref);
	v[4] = fixed_array(s->scratch, n, t->hash, WES_HASH_LEN);
}

/* wes.outputs: every output of the block */
static void
store_outputs(const WesBlockWork *w, StoreArrays *s)
{
	int			n = w->n_outputs;
	Datum		v[8];

	for (int i = 0; i < n; i++)
		s->sel[i] = i;
	v[0] = Int64GetDatum((int64) w->block.header.height);
	output_columns(s, n, v + 1);
	for (int i = 0; i < n; i++)
		s->bytes[i] = s->outs[i]->lock;
	v[6] = bytea_array(s->bytes, n);
	for (int i = 0; i < n; i++)
		s->bytes[i] = s->outs[i]->data;
	v[7] = bytea_array(s->bytes, n);
	wes_writer_exec(WES_PLAN_INSERT_OUTPUTS, v, NULL);
}

/* wes.utxos: the outputs of the block nobody in it spends; returns their outpoint array */
static Datum
store_new_utxos(const WesBlockWork *w, StoreArrays *s)
{
	int			n = 0;
	Datum		v[7];

	for (uint32 i = 0; i < w->n_outputs; i++)
		if (w->out_spent[i].tx < 0)
			s->sel[n++] = i;
	Assert(n == w->n_created);
	v[0] = Int64GetDatum((int64) w->block.header.height);
	output_columns(s, n, v + 1);
	for (int i = 0; i < n; i++)
		s->bytes[i] = s->outs[s->sel[i]]->encoding;
	v[6] = bytea_array(s->bytes, n);
	if (n > 0)
		wes_writer_exec(WES_PLAN_INSERT_UTXOS, v, NULL);
	return v[1];
}

/* wes.inputs: every input of the block (a spend input is its outpoint's spend mark) */
static void
store_inputs(const WesBlockWork *w, StoreArrays *s)
{
	const wes_block *b = &w->block;
	const WesWriterTypes *t = wes_writer_types();
	Size		n = Max(w->n_inputs, 1);
	WesOutpoint *ops = palloc_extended(n * sizeof(WesOutpoint), MCXT_ALLOC_HUGE);
	Datum	   *txid = palloc_extended(n * sizeof(Datum), MCXT_ALLOC_HUGE);
	Datum	   *index = palloc_extended(n * sizeof(Datum), MCXT_ALLOC_HUGE);
	Datum	   *op = palloc_extended(n * sizeof(Datum), MCXT_ALLOC_HUGE);
	Datum	   *ref = palloc_extended(n * sizeof(Datum), MCXT_ALLOC_HUGE);
	int			i = 0;
	Datum		v[6];

	for (uint32 tx = 0; tx < b->n_tx; tx++)
		for (uint32 k = 0; k < b->txs[tx].n_inputs; k++, i++)
		{
			const wes_input *in = &b->txs[tx].inputs[k];

			wes_outpoint_set(&ops[i], in->txid, in->index);
			txid[i] = PointerGetDatum(b->txs[tx].txid);
			index[i] = Int32GetDatum((int32) k);
			op[i] = PointerGetDatum(&ops[i]);
			ref[i] = BoolGetDatum(in->flags == WES_INPUT_REFERENCE);
			s->bytes[i] = in->unlock;
		}
	v[0] = Int64GetDatum((int64) b->header.height);
	v[1] = fixed_array(txid, i, t->hash, WES_HASH_LEN);
	v[2] = scalar_array(index, i, INT4OID);
	v[3] = fixed_array(op, i, t->outpoint, WES_OUTPOINT_LEN);
	v[4] = scalar_array(ref, i, BOOLOID);
	v[5] = bytea_array(s->bytes, i);
	wes_writer_exec(WES_PLAN_INSERT_INPUTS, v, NULL);
}

/* wes.utxos loses what the block spends; wes.journal records what it added and removed */
static void
store_spends_and_journal(const WesBlockWork *w, StoreArrays *s, Datum created)
{
	Datum		spent;
	Datum		v[3];

	for (uint32 i = 0; i < w->n_spent; i++)
		s->scratch[i] = PointerGetDatum(&w->spent[i].op);
	spent = fixed_array(s->scratch, w->n_spent, wes_writer_types()->outpoint, WES_OUTPOINT_LEN);
	if (w->n_spent > 0 && wes_writer_exec(WES_PLAN_DELETE_UTXOS, &spent, NULL) != w->n_spent)
		elog(ERROR, "wes.utxos changed under the chain-state lock");

	v[0] = Int64GetDatum((int64) w->block.header.height);
	v[1] = created;
	v[2] = spent;
	wes_writer_exec(WES_PLAN_INSERT_JOURNAL, v, NULL);
}

/* Lay out the block's outputs flat, with their outpoints, and size the scratch arrays */
static void
prepare_arrays(const WesBlockWork *w, StoreArrays *s)
{
	const wes_block *b = &w->block;
	Size		most = Max(Max(b->n_tx, w->n_outputs), Max(w->n_inputs, 1));

	s->outs = palloc_extended(Max(w->n_outputs, 1) * sizeof(wes_output *), MCXT_ALLOC_HUGE);
	s->outpoints = palloc_extended(Max(w->n_outputs, 1) * sizeof(WesOutpoint), MCXT_ALLOC_HUGE);
	s->sel = palloc_extended(Max(w->n_outputs, 1) * sizeof(uint32), MCXT_ALLOC_HUGE);
	s->scratch = palloc_extended(most * sizeof(Datum), MCXT_ALLOC_HUGE);
	s->bytes = palloc_extended(most * sizeof(wes_bytes), MCXT_ALLOC_HUGE);
	for (uint32 t = 0; t < b->n_tx; t++)
		for (uint32 i = 0; i < b->txs[t].n_outputs; i++)
		{
			uint32		flat = w->out_base[t] + i;

			s->outs[flat] = &b->txs[t].outputs[i];
			wes_outpoint_set(&s->outpoints[flat], b->txs[t].txid, i);
		}
}

/* Write everything a checked block implies, table by table */
void
wes_writer_store_block(const WesBlockWork *w)
{
	StoreArrays s;
	Datum		created;

	prepare_arrays(w, &s);
	store_header(w);
	if (w->block.n_tx > 0)
		store_transactions(w, &s);
	if (w->n_outputs > 0)
		store_outputs(w, &s);
	if (w->n_inputs > 0)
		store_inputs(w, &s);
	created = store_new_utxos(w, &s);
	store_spends_and_journal(w, &s, created);
	wes_writer_store_tip(w);
}
