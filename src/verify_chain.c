/*
 * verify_chain.c
 *	  The chain itself, block by block: heights continuous, prev hashes linked,
 *	  every block hash recomputed from its stored header, the header columns
 *	  against the raw header, every raw transaction decoded and hashed to its
 *	  txid, every receipt decoded and against its columns, and tx_root and
 *	  receipt_root recomputed from the stored bytes.
 *
 * Blocks are read in windows of WINDOW_BLOCKS: the window's block rows first,
 * then its transactions with their receipts straight from the tables in
 * (block_height, tx_index) order (verify_scan.c), so memory does not grow
 * with the chain and every transaction is read once.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "verify.h"

#define WINDOW_BLOCKS	1000

static const uint8 zero_hash[WES_HASH_LEN];

/* One block row of the window, and what its transactions add up to */
typedef struct BlockInfo
{
	int64		height;
	uint8		hash[WES_HASH_LEN];		/* hash column */
	uint8		tx_root[WES_HASH_LEN];	/* from the raw header (the column when the header is unreadable) */
	uint8		receipt_root[WES_HASH_LEN];
	int32		tx_count;
	int32		size;
	int32		seen;					/* transaction rows met */
	int64		bytes;					/* their encoded sizes with length prefixes */
	WesDigest	created;				/* outpoints of every output of the block */
	WesDigest	inblock;				/* of those, the ones a later transaction of the block spends */
	WesDigest	spent;					/* outpoints of earlier blocks the block spends */
	bool		has_journal;			/* a journal row, with the digests of its arrays */
	WesDigest	j_created;
	WesDigest	j_spent;
} BlockInfo;

/* The state of one pass over the range */
typedef struct ChainScan
{
	WesFindings *f;
	const WesVerifyRange *r;
	const char *schema;
	int64		last;					/* the last height accounted for (from - 1 before the first) */
	bool		have_prev;				/* prev_hash holds the hash column of height last */
	uint8		prev_hash[WES_HASH_LEN];
	BlockInfo  *blocks;
	int			n_blocks;
	uint8		(*txids)[WES_HASH_LEN];	/* leaves of the current block */
	uint8		(*rhashes)[WES_HASH_LEN];
	int64		n_leaves_cap;
	int64		txs;
	/* the derived rows the window's raw transactions imply, and the history's outpoints */
	WesDigest	raw_outputs;
	WesDigest	raw_inputs;
	WesDigest	history;
	StringInfoData element;
	/* the outpoints created by the current block so far (in-block spends) */
	HTAB	   *block_outputs;
	int64		block_outputs_height;
	MemoryContext blockcxt;
	bool		has_journal_min;		/* the journal retains heights journal_min and up */
	int64		journal_min;
	WesRowWindows windows;				/* the derived rows' digests per window, when outputs is set */
	bool		outputs_differ;			/* some window's wes.outputs rows differ from its raw transactions */
} ChainScan;

/* A fixed-size column as bytes (NULL when null) */
static const uint8 *
col_bytes(HeapTuple row, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(row, desc, col, &isnull);

	return isnull ? NULL : (const uint8 *) DatumGetPointer(d);
}

static int64
col_int(HeapTuple row, TupleDesc desc, int col, bool is32)
{
	bool		isnull;
	Datum		d = SPI_getbinval(row, desc, col, &isnull);

	if (isnull)
		return 0;
	return is32 ? DatumGetInt32(d) : DatumGetInt64(d);
}

static bytea *
col_bytea(HeapTuple row, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(row, desc, col, &isnull);

	return isnull ? NULL : DatumGetByteaPP(d);
}

static char *
hex(const uint8 *p)
{
	return wes_hex_encode(p, WES_HASH_LEN);
}

/* Append ", name" to the list of header columns that disagree */
static void
disagree(StringInfo s, bool differs, const char *name)
{
	if (differs)
		appendStringInfo(s, "%s%s", s->len ? ", " : "", name);
}

/* The header columns against the raw header; fills b's roots from the header */
static void
check_header(ChainScan *c, BlockInfo *b, HeapTuple row, TupleDesc desc)
{
	bytea	   *raw = col_bytea(row, desc, 11);
	const uint8 *hp = (const uint8 *) VARDATA_ANY(raw);
	uint8		hash[WES_HASH_LEN];
	wes_header	h;
	StringInfoData s;

	if (VARSIZE_ANY_EXHDR(raw) != WES_HEADER_LEN)
	{
		wes_finding(c->f, "header_columns", b->height, "the raw header is %zu bytes, not %d",
					VARSIZE_ANY_EXHDR(raw), WES_HEADER_LEN);
		return;
	}
	wes_hash(hp, WES_HEADER_LEN, hash);
	if (memcmp(hash, b->hash, WES_HASH_LEN) != 0)
		wes_finding(c->f, "block_hash", b->height, "the hash column is %s, the stored header hashes to %s",
					hex(b->hash), hex(hash));
	wes_header_parse(hp, &h);
	initStringInfo(&s);
	disagree(&s, h.version != 1, "version");
	disagree(&s, h.height != (uint64) b->height, "height");
	disagree(&s, memcmp(h.prev_hash, col_bytes(row, desc, 3), WES_HASH_LEN) != 0, "prev_hash");
	disagree(&s, memcmp(h.tx_root, b->tx_root, WES_HASH_LEN) != 0, "tx_root");
	disagree(&s, memcmp(h.receipt_root, b->receipt_root, WES_HASH_LEN) != 0, "receipt_root");
	disagree(&s, memcmp(h.state_root, col_bytes(row, desc, 6), WES_HASH_LEN) != 0, "state_root");
	disagree(&s, h.timestamp_ms != (uint64) col_int(row, desc, 7, false), "timestamp_ms");
	disagree(&s, h.nonce != (uint64) col_int(row, desc, 8, false), "nonce");
	if (s.len > 0)
		wes_finding(c->f, "header_columns", b->height,
					"columns that disagree with the raw header: %s", s.data);
	/* the roots are checked against the header's own values, which its hash covers */
	memcpy(b->tx_root, h.tx_root, WES_HASH_LEN);
	memcpy(b->receipt_root, h.receipt_root, WES_HASH_LEN);
	if (c->have_prev && memcmp(h.prev_hash, c->prev_hash, WES_HASH_LEN) != 0)
		wes_finding(c->f, "prev_hash", b->height, "prev_hash is %s, the block at height "
					INT64_FORMAT " has hash %s", hex(h.prev_hash), b->height - 1, hex(c->prev_hash));
}

/* Heights missing between the last block seen and this one */
static void
check_gap(ChainScan *c, int64 through)
{
	int64		first = c->last + 1;	/* no overflow: last < through */

	if (through <= c->last)
		return;
	if (through == first)
		wes_finding(c->f, "height_continuity", first, "no block at height " INT64_FORMAT, first);
	else
		wes_finding(c->f, "height_continuity", first,
					"no blocks at heights " INT64_FORMAT " to " INT64_FORMAT, first, through);
	c->have_prev = false;
}

/* Read the window's block rows and check each header */
static void
read_blocks(ChainScan *c, int64 lo, int64 hi)
{
	int64		args[2] = {lo, hi};
	uint64		n;

	n = wes_spi_read("SELECT height, hash, prev_hash, tx_root, receipt_root, state_root, timestamp_ms, "
					 "nonce, tx_count, size, header FROM wes.blocks "
					 "WHERE height BETWEEN $1 AND $2 ORDER BY height", 2, args, NULL);
	c->n_blocks = 0;
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		BlockInfo  *b = &c->blocks[c->n_blocks++];

		memset(b, 0, sizeof(*b));
		b->height = col_int(row, desc, 1, false);
		memcpy(b->hash, col_bytes(row, desc, 2), WES_HASH_LEN);
		memcpy(b->tx_root, col_bytes(row, desc, 4), WES_HASH_LEN);
		memcpy(b->receipt_root, col_bytes(row, desc, 5), WES_HASH_LEN);
		b->tx_count = (int32) col_int(row, desc, 9, true);
		b->size = (int32) col_int(row, desc, 10, true);
		check_gap(c, b->height - 1);
		if (b->height == 0)
		{
			c->have_prev = true;
			memcpy(c->prev_hash, zero_hash, WES_HASH_LEN);
		}
		check_header(c, b, row, desc);
		c->last = b->height;
		c->have_prev = true;
		memcpy(c->prev_hash, b->hash, WES_HASH_LEN);
	}
	SPI_freetuptable(SPI_tuptable);
}

/*
 * The outpoints of a journal array (wes_outpoint[]) into d.  A NULL element
 * goes in as an empty one, which no outpoint of a block makes, so the
 * digests differ and the journal check names the row.
 */
static void
digest_outpoints(WesDigest *d, Datum array)
{
	ArrayType  *arr = DatumGetArrayTypeP(array);
	int			count = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
	Datum	   *elems;
	bool	   *nulls;

	if (!ARR_HASNULL(arr))
	{
		/* fixed-length elements aligned on bytes: one after the other */
		const uint8 *p = (const uint8 *) ARR_DATA_PTR(arr);

		for (int e = 0; e < count; e++)
			wes_digest_add(d, p + (size_t) e * WES_OUTPOINT_LEN, WES_OUTPOINT_LEN, 1);
		return;
	}
	deconstruct_array(arr, ARR_ELEMTYPE(arr), WES_OUTPOINT_LEN, false, TYPALIGN_CHAR, &elems, &nulls, &count);
	for (int e = 0; e < count; e++)
		wes_digest_add(d, nulls[e] ? (const uint8 *) "" : (const uint8 *) DatumGetPointer(elems[e]),
					   nulls[e] ? 0 : WES_OUTPOINT_LEN, 1);
}

/* The journal rows of the window, as digests of their arrays, onto their blocks */
static void
read_journal(ChainScan *c, int64 lo, int64 hi)
{
	int64		args[2] = {lo, hi};
	uint64		n;
	int			k = 0;
	MemoryContext rowcxt;

	if (!c->has_journal_min || hi < c->journal_min)
		return;
	n = wes_spi_read("SELECT height, created, spent FROM wes.journal WHERE height BETWEEN $1 AND $2 "
					 "ORDER BY height", 2, args, NULL);
	/* each row's arrays are detoasted into a context of their own, freed before the next */
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "wes_verify journal row", ALLOCSET_DEFAULT_SIZES);
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		int64		h = col_int(row, desc, 1, false);
		BlockInfo  *b;
		bool		isnull;
		MemoryContext old;

		while (k < c->n_blocks && c->blocks[k].height < h)
			k++;
		if (k == c->n_blocks || c->blocks[k].height != h)
			continue;			/* no block row: height_continuity names it */
		b = &c->blocks[k];
		b->has_journal = true;
		old = MemoryContextSwitchTo(rowcxt);
		digest_outpoints(&b->j_created, SPI_getbinval(row, desc, 2, &isnull));
		digest_outpoints(&b->j_spent, SPI_getbinval(row, desc, 3, &isnull));
		MemoryContextSwitchTo(old);
		MemoryContextReset(rowcxt);
	}
	MemoryContextDelete(rowcxt);
	SPI_freetuptable(SPI_tuptable);
}

/* The window's wes.outputs and wes.inputs rows against what its raw transactions imply */
static void
check_rows(ChainScan *c, int64 lo, int64 hi)
{
	WesDigest	outputs,
				inputs;
	int64		args[2];

	/* the first and last windows also take rows whose height lies outside the chain */
	args[0] = (lo == c->r->from && c->windows.below) ? PG_INT64_MIN : lo;
	args[1] = (hi == c->r->to && c->windows.above) ? PG_INT64_MAX : hi;
	if (c->windows.outputs != NULL)
	{
		outputs = c->windows.outputs[(lo - c->r->from) / WINDOW_BLOCKS];
		inputs = c->windows.inputs[(lo - c->r->from) / WINDOW_BLOCKS];
	}
	else
		wes_rows_digests(args[0], args[1], &outputs, &inputs);
	c->outputs_differ |= !wes_digest_equal(&outputs, &c->raw_outputs);
	if (!wes_digest_equal(&outputs, &c->raw_outputs) &&
		wes_verify_sql_check(c->f, "verify_outputs", 2, args) == 0)
		wes_finding(c->f, "outputs", lo, "the wes.outputs rows of heights " INT64_FORMAT " to " INT64_FORMAT
					" do not add up to the outputs of their raw transactions", lo, hi);
	if (!wes_digest_equal(&inputs, &c->raw_inputs) &&
		wes_verify_sql_check(c->f, "verify_inputs", 2, args) == 0)
		wes_finding(c->f, "inputs", lo, "the wes.inputs rows of heights " INT64_FORMAT " to " INT64_FORMAT
					" do not add up to the inputs of their raw transactions", lo, hi);
	memset(&c->raw_outputs, 0, sizeof(WesDigest));
	memset(&c->raw_inputs, 0, sizeof(WesDigest));
}

/*
 * When the range covers a good part of the chain, the derived rows of every
 * window are digested by one sequential scan of each table first; else
 * check_rows reads each window's rows through the height indexes.
 */
static void
digest_windows(ChainScan *c)
{
	const WesVerifyRange *r = c->r;
	WesRowWindows *w = &c->windows;

	w->from = r->from;
	w->to = r->to;
	w->width = WINDOW_BLOCKS;
	w->n = (r->to - r->from) / WINDOW_BLOCKS + 1;
	w->below = r->from == 0 && r->base == 0;
	w->above = r->global;
	w->outputs = w->inputs = NULL;
	if (wes_range_is_short(r, r->from, r->to))
		return;
	if (!wes_rows_digests_scan(w))
		w->outputs = w->inputs = NULL;
}

/* The hash column of the block below the range, so that the first block's link is checked */
static void
read_prev(ChainScan *c)
{
	int64		below = c->r->from - 1;

	c->have_prev = false;
	if (c->r->from == 0 || c->r->from <= c->r->base)
		return;
	if (wes_spi_read("SELECT hash FROM wes.blocks WHERE height = $1", 1, &below, NULL) == 1)
	{
		c->have_prev = true;
		memcpy(c->prev_hash, col_bytes(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1), WES_HASH_LEN);
	}
	SPI_freetuptable(SPI_tuptable);
}

/* Make room for one more leaf of the current block */
static void
leaf_room(ChainScan *c, int64 n)
{
	if (n < c->n_leaves_cap)
		return;
	c->n_leaves_cap = Max(c->n_leaves_cap * 2, 1024);
	c->txids = repalloc_huge(c->txids, c->n_leaves_cap * WES_HASH_LEN);
	c->rhashes = repalloc_huge(c->rhashes, c->n_leaves_cap * WES_HASH_LEN);
}

/* The journal row of a block against what its raw transactions created and spent */
static void
check_journal(ChainScan *c, BlockInfo *b)
{
	WesDigest	created = b->created;

	if (!c->has_journal_min || b->height < c->journal_min)
		return;
	if (!b->has_journal)
	{
		wes_finding(c->f, "journal", b->height, "the block has no journal row");
		return;
	}
	created.a -= b->inblock.a;
	created.b -= b->inblock.b;
	created.n -= b->inblock.n;
	if (!wes_digest_equal(&created, &b->j_created))
		wes_finding(c->f, "journal", b->height, "journal.created lists " INT64_FORMAT " outpoints, the block "
					"leaves " INT64_FORMAT " of its outputs unspent (or others)", b->j_created.n, created.n);
	if (!wes_digest_equal(&b->spent, &b->j_spent))
		wes_finding(c->f, "journal", b->height, "journal.spent lists " INT64_FORMAT " outpoints, the block "
					"spends " INT64_FORMAT " earlier outputs (or others)", b->j_spent.n, b->spent.n);
}

/* A block's transactions are all met: count, size, tx_root, receipt_root, journal */
static void
finish_block(ChainScan *c, BlockInfo *b)
{
	uint8		root[WES_HASH_LEN];

	check_journal(c, b);
	if (b->seen != b->tx_count)
		wes_finding(c->f, "tx_count", b->height, "tx_count is %d, wes.transactions holds %d",
					b->tx_count, b->seen);
	else if (WES_HEADER_LEN + 4 + b->bytes != b->size)
		wes_finding(c->f, "block_size", b->height, "size is %d, the stored transactions and receipts make "
					INT64_FORMAT " bytes", b->size, WES_HEADER_LEN + 4 + b->bytes);
	wes_merkle_root((const uint8 (*)[WES_HASH_LEN]) c->txids, b->seen, root);
	if (memcmp(root, b->tx_root, WES_HASH_LEN) != 0)
		wes_finding(c->f, "tx_root", b->height, "the header's tx_root is %s, the stored transactions give %s",
					hex(b->tx_root), hex(root));
	wes_merkle_root((const uint8 (*)[WES_HASH_LEN]) c->rhashes, b->seen, root);
	if (memcmp(root, b->receipt_root, WES_HASH_LEN) != 0)
		wes_finding(c->f, "receipt_root", b->height,
					"the header's receipt_root is %s, the stored receipts give %s",
					hex(b->receipt_root), hex(root));
}

/* The receipt of a transaction: raw decodes, status and fee agree; its hash is a leaf */
static void
check_receipt(ChainScan *c, BlockInfo *b, const WesTxRow *t)
{
	const uint8 *p;
	size_t		len;
	wes_receipt rc;
	wes_error	err;

	p = (const uint8 *) VARDATA_ANY(t->receipt);
	len = VARSIZE_ANY_EXHDR(t->receipt);
	b->bytes += 4 + len;
	wes_hash(p, len, c->rhashes[b->seen]);
	if (wes_receipt_decode(p, len, &wes_palloc_allocator, &rc, &err) != WES_OK)
		wes_finding(c->f, "receipt_decode", b->height, "the receipt of transaction %s does not decode: "
					"%s at byte offset %zu: %s", hex(t->txid), err.field, err.offset, err.message);
	else if (rc.status != t->status || (int64) rc.fee != t->fee)
		wes_finding(c->f, "receipt_columns", b->height,
					"the status or fee column of the receipt of transaction %s disagrees with its raw bytes",
					hex(t->txid));
}

/* The outpoints block b has created so far, reset when a new block starts */
static HTAB *
block_outputs(ChainScan *c, const BlockInfo *b)
{
	if (c->block_outputs == NULL || c->block_outputs_height != b->height)
	{
		HASHCTL		ctl;

		MemoryContextReset(c->blockcxt);
		ctl.keysize = WES_OUTPOINT_LEN;
		ctl.entrysize = WES_OUTPOINT_LEN;
		ctl.hcxt = c->blockcxt;
		c->block_outputs = hash_create("wes_verify block outputs", Max(b->tx_count, 16) * 2, &ctl,
									   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		c->block_outputs_height = b->height;
	}
	return c->block_outputs;
}

/* A decoded transaction's rows and outpoints into the digests: window, block (journal) and history */
static void
account_tx(ChainScan *c, BlockInfo *b, const wes_tx *tx, const WesTxRow *t)
{
	HTAB	   *made = block_outputs(c, b);
	WesOutpoint op;
	WesDigest	h;

	for (uint32 k = 0; k < tx->n_inputs; k++)
	{
		const wes_input *in = &tx->inputs[k];
		bool		spend = in->flags == WES_INPUT_SPEND;

		wes_outpoint_set(&op, in->txid, in->index);
		wes_input_element(&c->element, t->txid, t->index, (int32) k, op.data, !spend, b->height,
						  in->unlock.ptr, in->unlock.len);
		wes_digest_add(&c->raw_inputs, (const uint8 *) c->element.data, c->element.len, 1);
		if (!spend)
			continue;
		wes_digest_of(&h, op.data, WES_OUTPOINT_LEN);
		wes_digest_merge(&c->history, &h, -1);
		if (hash_search(made, op.data, HASH_FIND, NULL) != NULL)
			wes_digest_merge(&b->inblock, &h, 1);
		else
			wes_digest_merge(&b->spent, &h, 1);
	}
	for (uint32 i = 0; i < tx->n_outputs; i++)
	{
		wes_outpoint_set(&op, t->txid, i);
		wes_output_element(&c->element, op.data, b->height, tx->outputs[i].encoding.ptr,
						   tx->outputs[i].encoding.len);
		wes_digest_add(&c->raw_outputs, (const uint8 *) c->element.data, c->element.len, 1);
		wes_digest_of(&h, op.data, WES_OUTPOINT_LEN);
		wes_digest_merge(&c->history, &h, 1);
		wes_digest_merge(&b->created, &h, 1);
		hash_search(made, op.data, HASH_ENTER, NULL);
	}
}

/* One transaction row of block b */
static void
check_tx(ChainScan *c, BlockInfo *b, const WesTxRow *t)
{
	const uint8 *p = (const uint8 *) VARDATA_ANY(t->raw);
	size_t		len = VARSIZE_ANY_EXHDR(t->raw);
	uint8		hash[WES_HASH_LEN];
	wes_tx		tx;
	wes_error	err;

	leaf_room(c, b->seen + 1);
	if (t->index != b->seen)
		wes_finding(c->f, "transactions", b->height, "transaction %s has tx_index %d where %d is next",
					hex(t->txid), t->index, b->seen);
	memcpy(c->txids[b->seen], t->txid, WES_HASH_LEN);
	b->bytes += 4 + len;
	wes_hash(p, len, hash);
	if (memcmp(hash, t->txid, WES_HASH_LEN) != 0)
		wes_finding(c->f, "txid", b->height, "transaction %d: the txid column is %s, the raw bytes hash to %s",
					t->index, hex(t->txid), hex(hash));
	if (wes_tx_decode(p, len, &wes_palloc_allocator, &tx, &err) != WES_OK)
		wes_finding(c->f, "tx_decode", b->height, "transaction %s does not decode: %s at byte offset %zu: %s",
					hex(t->txid), err.field, err.offset, err.message);
	else
	{
		if (tx.n_inputs != t->input_count || tx.n_outputs != t->output_count)
			wes_finding(c->f, "tx_columns", b->height, "transaction %s: input_count %d and output_count %d, "
						"the raw bytes have %u and %u", hex(t->txid), t->input_count, t->output_count,
						tx.n_inputs, tx.n_outputs);
		account_tx(c, b, &tx, t);
	}
	check_receipt(c, b, t);
	b->seen++;
	c->txs++;
}

/* The window's transactions, in order, against its blocks */
static void
scan_transactions(ChainScan *c, WesTxScan *scan, int64 lo, int64 hi, MemoryContext rowcxt)
{
	int			cur = 0;
	WesTxRow	t;

	wes_txscan_range(scan, lo, hi);
	for (;;)
	{
		MemoryContext old = MemoryContextSwitchTo(rowcxt);
		bool		more = wes_txscan_next(scan, &t);

		if (more)
		{
			while (cur < c->n_blocks && c->blocks[cur].height < t.height)
				finish_block(c, &c->blocks[cur++]);
			if (cur < c->n_blocks && c->blocks[cur].height == t.height)
				check_tx(c, &c->blocks[cur], &t);
			else
				wes_finding(c->f, "transactions", t.height, "transaction %s names height " INT64_FORMAT
							", which has no block", hex(t.txid), t.height);
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(rowcxt);
		if (!more)
			break;
		CHECK_FOR_INTERRUPTS();
	}
	while (cur < c->n_blocks)
		finish_block(c, &c->blocks[cur++]);
}

/*
 * What the sequential scans of the derived rows summed up, for the state
 * checks: the UTXO set, and whether the spend marks are those the spend
 * inputs make.  The marks are taken as agreeing only when the digests say so
 * and every wes.outputs row of the whole history is an output of a raw
 * transaction (so no outpoint has two rows, which the digests cannot tell).
 */
static void
pass_sums(ChainScan *c)
{
	WesFindings *f = c->f;
	const WesRowWindows *w = &c->windows;

	f->utxo_known = w->outputs != NULL;
	if (f->utxo_known)
		f->utxo = w->utxo;
	f->marks_agree = f->utxo_known && f->history_known && !c->outputs_differ &&
		wes_digest_equal(&w->marks, &w->spends);
}

/* Every block of the range, window by window */
void
wes_verify_chain(WesFindings *f, const WesVerifyRange *r)
{
	ChainScan	c = {0};
	WesTxScan	scan;
	MemoryContext rowcxt = AllocSetContextCreate(CurrentMemoryContext, "wes_verify rows",
												 ALLOCSET_DEFAULT_SIZES);

	c.f = f;
	c.r = r;
	c.schema = r->schema;
	c.last = r->from - 1;
	c.blocks = palloc(WINDOW_BLOCKS * sizeof(BlockInfo));
	c.n_leaves_cap = 1024;
	c.blockcxt = AllocSetContextCreate(CurrentMemoryContext, "wes_verify block", ALLOCSET_DEFAULT_SIZES);
	initStringInfo(&c.element);
	if (wes_spi_read("SELECT min(height) FROM wes.journal", 0, NULL, NULL) == 1)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		c.has_journal_min = !isnull;
		c.journal_min = isnull ? 0 : DatumGetInt64(d);
	}
	c.txids = palloc_extended(c.n_leaves_cap * WES_HASH_LEN, MCXT_ALLOC_HUGE);
	c.rhashes = palloc_extended(c.n_leaves_cap * WES_HASH_LEN, MCXT_ALLOC_HUGE);
	read_prev(&c);
	wes_txscan_begin(&scan, wes_verify_snapshot_push());
	digest_windows(&c);
	/* windows.n of them, counted so that no height past r->to is formed (it may be 2^63-1) */
	for (int64 k = 0; k < c.windows.n; k++)
	{
		int64		lo = r->from + k * WINDOW_BLOCKS;
		int64		hi = lo + Min(WINDOW_BLOCKS - 1, r->to - lo);

		read_blocks(&c, lo, hi);
		read_journal(&c, lo, hi);
		scan_transactions(&c, &scan, lo, hi, rowcxt);
		check_rows(&c, lo, hi);
		wes_verify_progress("blocks", hi - r->from + 1, r->to - r->from + 1, c.txs);
	}
	wes_txscan_end(&scan);
	PopActiveSnapshot();
	check_gap(&c, r->to);
	/* the whole history was read: outpoints created minus spent must be the UTXO set */
	f->history_known = r->from == 0 && r->base == 0 && r->global;
	f->history = c.history;
	pass_sums(&c);
	MemoryContextDelete(rowcxt);
	MemoryContextDelete(c.blockcxt);
}
