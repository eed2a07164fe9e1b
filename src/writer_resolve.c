/*
 * writer_resolve.c
 *	  Rules 4 and 5 and the state change they imply: no transaction id twice;
 *	  every input names an output unspent at that point of the block; the
 *	  LtHash accumulator moves by the outputs the block adds to and removes
 *	  from the UTXO set.
 *
 * The UTXO set is read once per block: every outpoint the inputs name that
 * the block does not create itself is looked up once, in the window of the
 * run's earlier blocks (writer_window.c), else in wes.outputs, all of the
 * block's together in key order with one walk of its primary key.
 * The inputs are then walked in block order against that result and against
 * the block's own outputs, so the first input that breaks a rule is the one
 * reported.  Nothing here writes.
 */
#include "postgres.h"

#include "executor/tuptable.h"
#include "utils/array.h"
#include "utils/hsearch.h"

#include "wes_snapshot.h"
#include "writer.h"

/* A transaction of the block, by txid */
typedef struct TxidEntry
{
	uint8		txid[WES_HASH_LEN];
	int32		tx;
} TxidEntry;

/* An outpoint some input of the block names */
typedef struct NamedEntry
{
	WesOutpoint op;
	int32		last_tx;		/* last transaction naming it, with its input */
	int32		last_input;
	bool		found;			/* unspent in wes.outputs before the block */
	const uint8 *encoding;
	uint32		encoding_len;
	HeapTuple	row;			/* a copy of its wes.outputs row (t_self: where it is) */
	WesPendingOutput *pending;	/* or where the window holds it */
	WesInBlockSpend spent;		/* spent by an earlier input of the block */
} NamedEntry;

/* One input being resolved, for messages */
typedef struct InputRef
{
	const WesBlockWork *w;
	int32		tx;
	int32		input;
	const wes_input *in;
	const WesOutpoint *op;
} InputRef;

/* A dynahash table in the current (block) memory context */
static HTAB *
block_table(const char *name, Size keysize, Size entrysize, long nelem)
{
	HASHCTL		ctl;

	ctl.keysize = keysize;
	ctl.entrysize = entrysize;
	ctl.hcxt = CurrentMemoryContext;
	return hash_create(name, Max(nelem, 16), &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/* Rule 4, inside the block: index every txid, report the first that repeats */
static HTAB *
index_txids(const WesBlockWork *w)
{
	const wes_block *b = &w->block;
	HTAB	   *txids = block_table("wes block txids", WES_HASH_LEN, sizeof(TxidEntry), b->n_tx);

	for (uint32 t = 0; t < b->n_tx; t++)
	{
		bool		found;
		TxidEntry  *e = hash_search(txids, b->txs[t].txid, HASH_ENTER, &found);

		if (found)
			ereport(ERROR,
					(errcode(ERRCODE_WES_DUPLICATE_TXID),
					 errmsg("transaction %s appears twice in block %llu",
							wes_hex_encode(b->txs[t].txid, WES_HASH_LEN),
							(unsigned long long) b->header.height),
					 errdetail("Transactions %d and %u of the block have the same id.", e->tx, t)));
		e->tx = (int32) t;
	}
	return txids;
}

/* Whether transaction t of the block spends nothing (no input, or only references) */
static bool
spends_nothing(const wes_tx *tx)
{
	for (uint32 k = 0; k < tx->n_inputs; k++)
		if (tx->inputs[k].flags == WES_INPUT_SPEND)
			return false;
	return true;
}

/*
 * Whether wes.prior_txids lists one of the n txids: in a database started from
 * a snapshot, the transactions from before it that spent nothing.  Only such
 * a transaction can be written again (one that spends breaks rule 5), so only
 * those of a block are looked up, all in one statement.
 */
static bool
any_prior_txid(const uint8 *const *txids, int n)
{
	const WesWriterTypes *types = wes_writer_types();
	Datum	   *elems;
	Datum		arg;

	if (n == 0)
		return false;
	elems = palloc(n * sizeof(Datum));
	for (int i = 0; i < n; i++)
		elems[i] = PointerGetDatum(txids[i]);
	arg = PointerGetDatum(construct_array(elems, n, types->hash, WES_HASH_LEN, false, TYPALIGN_CHAR));
	return wes_writer_exec(WES_PLAN_PRIOR_TXID, &arg, NULL) > 0;
}

/* Whether transaction tx of the block spends nothing and wes.prior_txids lists it */
static bool
is_prior_txid(const WesBlockWork *w, const wes_tx *tx)
{
	const uint8 *txid = tx->txid;

	return w->base_height > 0 && spends_nothing(tx) && any_prior_txid(&txid, 1);
}

/*
 * Rule 4.  Inside the block: every txid is indexed, the first repeat
 * reported.  Against the chain, a txid in wes.prior_txids is found here;
 * one of wes.transactions or wes.outputs is found by their primary keys as
 * the block's rows go into them (writer_store.c).  Either way
 * wes_writer_check_chain_txids names the first transaction of the block
 * that has one.  So that the rules stay in their order, every rule-5 error
 * runs that check first too (report_input); rule 6 is checked once the rows
 * are in.
 */
void
wes_writer_check_duplicate_txids(WesBlockWork *w)
{
	const wes_block *b = &w->block;
	const uint8 **minted;
	int			n = 0;

	w->txids = index_txids(w);
	if (w->base_height == 0)
		return;
	minted = palloc(Max(b->n_tx, 1) * sizeof(uint8 *));
	for (uint32 t = 0; t < b->n_tx; t++)
		if (spends_nothing(&b->txs[t]))
			minted[n++] = b->txs[t].txid;
	if (any_prior_txid(minted, n))
		wes_writer_check_chain_txids(w);
	pfree(minted);
}

/* Report transaction t of the block as written before, at height (-1: before the snapshot the chain starts from) */
static pg_attribute_noreturn() void
report_chain_txid(const WesBlockWork *w, uint32 t, int64 height)
{
	ereport(ERROR,
			(errcode(ERRCODE_WES_DUPLICATE_TXID),
			 errmsg("transaction %s (transaction %u of block %llu) already exists",
					wes_hex_encode(w->block.txs[t].txid, WES_HASH_LEN), t,
					(unsigned long long) w->block.header.height),
			 height >= 0 ? errdetail("It was written in the block at height " INT64_FORMAT ".", height)
			 : errdetail("It was written below height " INT64_FORMAT ", before the snapshot this chain starts from "
						 "(wes.prior_txids).", w->base_height)));
}

/* The height column (attribute 2 of both tables) of the row a probe found */
static int64
probed_height(WesProbe *p)
{
	bool		isnull;

	return DatumGetInt64(slot_getattr(p->slot, 2, &isnull));
}

/*
 * Rule 4 against the chain: report the first transaction of the block, in
 * block order, whose txid a stored transaction has, or (in a database started
 * from a snapshot, which holds no transactions below its base) one of whose
 * outpoints a stored output has, or that wes.prior_txids lists.  Returns when
 * there is none.  The probes' snapshot does not see the rows of the block
 * being written.
 */
void
wes_writer_check_chain_txids(const WesBlockWork *w)
{
	const wes_block *b = &w->block;
	WesProbe   *txs = wes_writer_probe_begin(&w->rels->rel[WES_TABLE_TRANSACTIONS]);
	WesProbe   *outs = wes_writer_probe_begin(&w->rels->rel[WES_TABLE_OUTPUTS]);

	for (uint32 t = 0; t < b->n_tx; t++)
	{
		if (wes_writer_probe(txs, PointerGetDatum(b->txs[t].txid)))
			report_chain_txid(w, t, probed_height(txs));
		for (uint32 i = 0; i < b->txs[t].n_outputs; i++)
		{
			WesOutpoint op;

			wes_outpoint_set(&op, b->txs[t].txid, i);
			if (wes_writer_probe(outs, PointerGetDatum(&op)))
				report_chain_txid(w, t, probed_height(outs));
		}
		if (is_prior_txid(w, &b->txs[t]))
			report_chain_txid(w, t, -1);
	}
	wes_writer_probe_end(outs);
	wes_writer_probe_end(txs);
}

/* Report an input that breaks rule 5 (WE004) */
static pg_attribute_noreturn() void
report_input(const InputRef *r, const char *what, const char *detail)
{
	wes_writer_check_chain_txids(r->w);
	ereport(ERROR,
			(errcode(ERRCODE_WES_BAD_INPUT),
			 errmsg("input %d of transaction %d in block %llu %s outpoint %s, which %s",
					r->input, r->tx, (unsigned long long) r->w->block.header.height,
					r->in->flags == WES_INPUT_REFERENCE ? "references" : "spends",
					wes_outpoint_text(r->op), what),
			 detail ? errdetail_internal("%s", detail) : 0));
}

/* Report an outpoint an earlier block spent */
static pg_attribute_noreturn() void
report_spent_before(const InputRef *r, const uint8 *by, int64 height)
{
	report_input(r, "is already spent",
				 psprintf("Transaction %s spent it in the block at height " INT64_FORMAT ".",
						  wes_hex_encode(by, WES_HASH_LEN), height));
}

/* Report an outpoint that is not in the UTXO set: spent by an earlier block, or never created */
static pg_attribute_noreturn() void
report_missing(const InputRef *r, const NamedEntry *e)
{
	Datum		arg = PointerGetDatum(r->op);

	if (e->pending != NULL)
		report_spent_before(r, e->pending->spent_by, e->pending->spent_height);
	if (wes_writer_exec(WES_PLAN_FIND_SPENDER, &arg, NULL) > 0)
	{
		bool		isnull;
		HeapTuple	row = SPI_tuptable->vals[0];
		WesHash    *by = DatumGetWesHashP(SPI_getbinval(row, SPI_tuptable->tupdesc, 1, &isnull));

		report_spent_before(r, by->data, DatumGetInt64(SPI_getbinval(row, SPI_tuptable->tupdesc, 2, &isnull)));
	}
	report_input(r, "does not exist", NULL);
}

/* Report an outpoint an earlier input of this block has spent */
static pg_attribute_noreturn() void
report_spent_in_block(const InputRef *r, const WesInBlockSpend *s)
{
	report_input(r, "is already spent",
				 psprintf("Input %d of transaction %d of this block spends it.", s->input, s->tx));
}

/* Resolve an input naming an output of the block itself; spend it if it is a spend */
static void
resolve_in_block(WesBlockWork *w, const InputRef *r, int32 src)
{
	const wes_tx *creator = &w->block.txs[src];
	WesInBlockSpend *s;

	if (src > r->tx)
		report_input(r, "is created later in the same block",
					 psprintf("Transaction %d of this block creates it.", src));
	if (src == r->tx)
		report_input(r, "is created by the same transaction", NULL);
	if (r->in->index >= creator->n_outputs)
		report_input(r, "does not exist",
					 psprintf("Transaction %d of this block has %u outputs.", src, creator->n_outputs));
	s = &w->out_spent[w->out_base[src] + r->in->index];
	if (s->tx >= 0)
		report_spent_in_block(r, s);
	if (r->in->flags == WES_INPUT_SPEND)
	{
		s->tx = r->tx;
		s->input = r->input;
	}
}

/* Resolve an input naming an output of an earlier block; spend it if it is a spend */
static void
resolve_in_chain(WesBlockWork *w, const InputRef *r, NamedEntry *e)
{
	if (!e->found)
		report_missing(r, e);
	if (e->spent.tx >= 0)
		report_spent_in_block(r, &e->spent);
	if (r->in->flags == WES_INPUT_SPEND)
	{
		WesSpentOutput *out = &w->spent[w->n_spent++];

		e->spent.tx = r->tx;
		e->spent.input = r->input;
		out->op = e->op;
		out->encoding = e->encoding;
		out->encoding_len = e->encoding_len;
		out->row = e->row;
		out->pending = e->pending;
		out->spent_by = w->block.txs[r->tx].txid;
	}
}

/* Lay out the block's outputs flat (out_base, out_spent) and count inputs and outputs */
static void
layout_outputs(WesBlockWork *w)
{
	const wes_block *b = &w->block;

	w->out_base = palloc((b->n_tx + 1) * sizeof(uint32));
	w->n_outputs = 0;
	w->n_inputs = 0;
	for (uint32 t = 0; t < b->n_tx; t++)
	{
		w->out_base[t] = w->n_outputs;
		w->n_outputs += b->txs[t].n_outputs;
		w->n_inputs += b->txs[t].n_inputs;
	}
	w->out_base[b->n_tx] = w->n_outputs;
	w->out_spent = palloc_extended(Max(w->n_outputs, 1) * sizeof(WesInBlockSpend), MCXT_ALLOC_HUGE);
	for (uint32 i = 0; i < w->n_outputs; i++)
		w->out_spent[i].tx = w->out_spent[i].input = -1;
	w->spent = palloc_extended(Max(w->n_inputs, 1) * sizeof(WesSpentOutput), MCXT_ALLOC_HUGE);
	w->n_spent = 0;
}

/* A named outpoint not looked up yet: not found, named by no input */
static void
init_entry(NamedEntry *e)
{
	e->found = false;
	e->row = NULL;
	e->pending = NULL;
	e->last_tx = e->last_input = e->spent.tx = e->spent.input = -1;
}

/* The wes.outputs row of a named outpoint: unspent (no spend mark), its encoding and a copy of it */
static void
take_output(NamedEntry *e, TupleTableSlot *row)
{
	Datum	   *v = row->tts_values;
	bytea	   *enc;

	slot_getallattrs(row);
	e->found = row->tts_isnull[9];
	if (!e->found)
		return;
	enc = wes_output_encoding_from_columns(DatumGetInt16(v[2]), DatumGetWesAddressP(v[3]), DatumGetInt64(v[4]),
										   DatumGetWesHashP(v[5]), DatumGetByteaPP(v[6]), DatumGetByteaPP(v[7]));
	e->encoding = (const uint8 *) VARDATA(enc);
	e->encoding_len = VARSIZE(enc) - VARHDRSZ;
	e->row = ExecCopySlotHeapTuple(row);
}

/* An output the window holds: unspent unless an earlier block of the run spent it */
static void
take_pending(NamedEntry *e, WesPendingOutput *p)
{
	e->pending = p;
	e->found = p->spent_height < 0;
	e->encoding = p->out.encoding.ptr;
	e->encoding_len = (uint32) p->out.encoding.len;
}

/* Where an input of the block points: the entry of the outpoint it names, and the transaction of the block that made it (-1: an earlier block) */
typedef struct InputTarget
{
	NamedEntry *e;
	int32		src_tx;
} InputTarget;

static int
named_entry_cmp(const void *a, const void *b)
{
	return memcmp((*(NamedEntry *const *) a)->op.data, (*(NamedEntry *const *) b)->op.data, WES_OUTPOINT_LEN);
}

/* take_output for the key-th entry of a batch of probes (wes_writer_probe_many) */
static void
take_probed(void *arg, int key, TupleTableSlot *row)
{
	take_output(((NamedEntry **) arg)[key], row);
}

/*
 * Every outpoint the block's inputs name, once each; those the block does not
 * create are looked up in the window, else in wes.outputs: all of them
 * together, in key order, with one walk of its primary key.  Returns where
 * each input points, in block order.
 */
static InputTarget *
probe_outputs(const WesBlockWork *w)
{
	const wes_block *b = &w->block;
	HTAB	   *named = block_table("wes block inputs", WES_OUTPOINT_LEN, sizeof(NamedEntry), w->n_inputs);
	InputTarget *targets = palloc_extended(Max(w->n_inputs, 1) * sizeof(InputTarget), MCXT_ALLOC_HUGE);
	NamedEntry **stored = palloc_extended(Max(w->n_inputs, 1) * sizeof(NamedEntry *), MCXT_ALLOC_HUGE);
	const uint8 **keys;
	int			nstored = 0;
	uint32		i = 0;
	WesProbe   *probe;

	for (uint32 t = 0; t < b->n_tx; t++)
		for (uint32 k = 0; k < b->txs[t].n_inputs; k++, i++)
		{
			const wes_input *in = &b->txs[t].inputs[k];
			TxidEntry  *src = hash_search(w->txids, in->txid, HASH_FIND, NULL);
			WesOutpoint op;
			bool		seen;
			NamedEntry *e;
			WesPendingOutput *pending;

			wes_outpoint_set(&op, in->txid, in->index);
			e = hash_search(named, op.data, HASH_ENTER, &seen);
			targets[i] = (InputTarget) {e, src != NULL ? src->tx : -1};
			if (seen)
				continue;
			init_entry(e);
			if (src != NULL)
				continue;		/* an output of the block itself */
			if (w->window != NULL && (pending = wes_window_find(w->window, &op)) != NULL)
				take_pending(e, pending);
			else
				stored[nstored++] = e;
		}
	if (nstored == 0)
		return targets;
	qsort(stored, nstored, sizeof(NamedEntry *), named_entry_cmp);
	keys = palloc(sizeof(uint8 *) * nstored);
	for (int s = 0; s < nstored; s++)
		keys[s] = stored[s]->op.data;
	probe = wes_writer_probe_begin(&w->rels->rel[WES_TABLE_OUTPUTS]);
	wes_writer_probe_many(probe, keys, nstored, WES_OUTPOINT_LEN, wes_outpoint_cmp, take_probed, stored);
	wes_writer_probe_end(probe);
	return targets;
}

/* Rule 5: every input in block order, against the UTXO set and the block's earlier outputs */
void
wes_writer_resolve_inputs(WesBlockWork *w)
{
	const wes_block *b = &w->block;
	InputTarget *targets;
	uint32		i = 0;

	layout_outputs(w);
	targets = probe_outputs(w);
	for (uint32 t = 0; t < b->n_tx; t++)
		for (uint32 k = 0; k < b->txs[t].n_inputs; k++, i++)
		{
			NamedEntry *e = targets[i].e;
			InputRef	r = {w, (int32) t, (int32) k, &b->txs[t].inputs[k], &e->op};

			if (e->last_tx == (int32) t)
				report_input(&r, psprintf("input %d of the same transaction already names", e->last_input), NULL);
			e->last_tx = (int32) t;
			e->last_input = (int32) k;
			if (targets[i].src_tx >= 0)
				resolve_in_block(w, &r, targets[i].src_tx);
			else
				resolve_in_chain(w, &r, e);
		}
}
