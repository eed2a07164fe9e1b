/*
 * verify_rows.c
 *	  The rows a raw transaction implies, as set-returning functions:
 *	  wes.tx_outputs(raw) and wes.tx_inputs(raw).  wes_verify compares them
 *	  with wes.outputs and wes.inputs, and wes_rebuild_indexes writes them back,
 *	  both as one set-based statement over wes.transactions.
 *
 * A raw transaction that does not decode yields no rows: the decode failure
 * is a finding of its own (check tx_decode), and the repair functions refuse
 * to rebuild from bytes that do not decode.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "storage/bufmgr.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "spi_walk.h"
#include "verify.h"

PG_FUNCTION_INFO_V1(wes_tx_outputs);
PG_FUNCTION_INFO_V1(wes_tx_inputs);
PG_FUNCTION_INFO_V1(wes_receipt_fields);

/* A palloc'd bytea holding a copy of n bytes */
bytea *
wes_bytes_to_bytea(const uint8 *p, size_t n)
{
	bytea	   *v = palloc(VARHDRSZ + n);

	SET_VARSIZE(v, VARHDRSZ + n);
	if (n > 0)
		memcpy(VARDATA(v), p, n);
	return v;
}

static Datum
bytes_datum(const uint8 *p, uint32 n)
{
	return PointerGetDatum(wes_bytes_to_bytea(p, n));
}

/* Start the result set and decode the raw argument; false (and no rows) when it does not decode */
static bool
begin_rows(FunctionCallInfo fcinfo, wes_tx *tx)
{
	bytea	   *raw = PG_GETARG_BYTEA_PP(0);
	wes_error	err;

	InitMaterializedSRF(fcinfo, 0);
	return wes_tx_decode((const uint8 *) VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw),
						 &wes_palloc_allocator, tx, &err) == WES_OK;
}

/*
 * wes.tx_outputs(raw bytea) RETURNS TABLE (output_index int, kind smallint,
 * owner wes_address, amount bigint, ref wes_hash, lock bytea, data bytea, encoding bytea)
 */
Datum
wes_tx_outputs(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	wes_tx		tx;

	if (!begin_rows(fcinfo, &tx))
		return (Datum) 0;
	for (uint32 i = 0; i < tx.n_outputs; i++)
	{
		const wes_output *o = &tx.outputs[i];
		Datum		v[8];
		bool		n[8] = {0};

		v[0] = Int32GetDatum((int32) i);
		v[1] = Int16GetDatum((int16) o->kind);
		v[2] = PointerGetDatum(o->owner);
		v[3] = Int64GetDatum((int64) o->amount);
		v[4] = PointerGetDatum(o->ref);
		v[5] = bytes_datum(o->lock.ptr, o->lock.len);
		v[6] = bytes_datum(o->data.ptr, o->data.len);
		v[7] = bytes_datum(o->encoding.ptr, o->encoding.len);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, n);
	}
	return (Datum) 0;
}

/*
 * wes.tx_inputs(raw bytea) RETURNS TABLE (input_index int, outpoint wes_outpoint,
 * reference boolean, unlock bytea)
 */
Datum
wes_tx_inputs(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	wes_tx		tx;

	if (!begin_rows(fcinfo, &tx))
		return (Datum) 0;
	for (uint32 i = 0; i < tx.n_inputs; i++)
	{
		const wes_input *in = &tx.inputs[i];
		WesOutpoint op;
		Datum		v[4];
		bool		n[4] = {0};

		wes_outpoint_set(&op, in->txid, in->index);
		v[0] = Int32GetDatum((int32) i);
		v[1] = PointerGetDatum(&op);
		v[2] = BoolGetDatum(in->flags == WES_INPUT_REFERENCE);
		v[3] = bytes_datum(in->unlock.ptr, in->unlock.len);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, n);
	}
	return (Datum) 0;
}

/* wes.receipt_fields(raw bytea, OUT status smallint, OUT fee bigint): NULLs when it does not decode */
Datum
wes_receipt_fields(PG_FUNCTION_ARGS)
{
	bytea	   *raw = PG_GETARG_BYTEA_PP(0);
	TupleDesc	desc;
	wes_receipt r;
	wes_error	err;
	Datum		v[2] = {0, 0};
	bool		n[2] = {true, true};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "wes.receipt_fields must return a record");
	desc = BlessTupleDesc(desc);
	if (wes_receipt_decode((const uint8 *) VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw),
						   &wes_palloc_allocator, &r, &err) == WES_OK)
	{
		v[0] = Int16GetDatum((int16) r.status);
		v[1] = Int64GetDatum((int64) r.fee);
		n[0] = n[1] = false;
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, v, n)));
}

/* ---- digests of the derived rows ---------------------------------------------------- */

/*
 * The digest of one element alone, to add to several digests: its two lanes
 * are the two halves of MurmurHash3 x64_128 (Austin Appleby's, public
 * domain), one pass over the bytes for 128 well-mixed bits.
 */
#define DIGEST_SEED		UINT64CONST(0x9e3779b97f4a7c15)
#define MURMUR_C1		UINT64CONST(0x87c37b91114253d5)
#define MURMUR_C2		UINT64CONST(0x4cf5ad432745937f)

static inline uint64
rotl64(uint64 x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64
fmix64(uint64 k)
{
	k ^= k >> 33;
	k *= UINT64CONST(0xff51afd7ed558ccd);
	k ^= k >> 33;
	k *= UINT64CONST(0xc4ceb9fe1a85ec53);
	k ^= k >> 33;
	return k;
}

/* A little-endian word of 8 bytes */
static inline uint64
word8(const uint8 *p)
{
	uint64		w;

	memcpy(&w, p, sizeof(w));
#ifdef WORDS_BIGENDIAN
	w = pg_bswap64(w);
#endif
	return w;
}

/* A little-endian word of n <= 8 bytes */
static inline uint64
word_le(const uint8 *p, size_t n)
{
	uint64		w = 0;

	for (size_t i = n; i > 0; i--)
		w = (w << 8) | p[i - 1];
	return w;
}

void
wes_digest_of(WesDigest *h, const uint8 *p, size_t len)
{
	uint64		h1 = DIGEST_SEED,
				h2 = DIGEST_SEED;
	size_t		n = len;

	for (; n >= 16; p += 16, n -= 16)
	{
		uint64		k1 = word8(p);
		uint64		k2 = word8(p + 8);

		h1 ^= rotl64(k1 * MURMUR_C1, 31) * MURMUR_C2;
		h1 = (rotl64(h1, 27) + h2) * 5 + 0x52dce729;
		h2 ^= rotl64(k2 * MURMUR_C2, 33) * MURMUR_C1;
		h2 = (rotl64(h2, 31) + h1) * 5 + 0x38495ab5;
	}
	if (n > 8)
		h2 ^= rotl64(word_le(p + 8, n - 8) * MURMUR_C2, 33) * MURMUR_C1;
	if (n > 0)
		h1 ^= rotl64(word_le(p, Min(n, 8)) * MURMUR_C1, 31) * MURMUR_C2;
	h1 ^= len;
	h2 ^= len;
	h1 += h2;
	h2 += h1;
	h1 = fmix64(h1);
	h2 = fmix64(h2);
	h1 += h2;
	h2 += h1;
	h->a = h1;
	h->b = h2;
	h->n = 1;
}

/* Add (sign 1) or remove (sign -1) the elements of digest h */
void
wes_digest_merge(WesDigest *d, const WesDigest *h, int sign)
{
	if (sign > 0)
	{
		d->a += h->a;
		d->b += h->b;
		d->n += h->n;
	}
	else
	{
		d->a -= h->a;
		d->b -= h->b;
		d->n -= h->n;
	}
}

/* Add (sign 1) or remove (sign -1) one element */
void
wes_digest_add(WesDigest *d, const uint8 *p, size_t len, int sign)
{
	WesDigest	h;

	wes_digest_of(&h, p, len);
	wes_digest_merge(d, &h, sign);
}

bool
wes_digest_equal(const WesDigest *x, const WesDigest *y)
{
	return x->a == y->a && x->b == y->b && x->n == y->n;
}

/* outpoint || u64 height || the output's encoding */
void
wes_output_element(StringInfo s, const uint8 *outpoint, int64 height, const uint8 *enc, size_t enc_len)
{
	resetStringInfo(s);
	appendBinaryStringInfo(s, (const char *) outpoint, WES_OUTPOINT_LEN);
	appendBinaryStringInfo(s, (const char *) &height, sizeof(height));
	appendBinaryStringInfo(s, (const char *) enc, (int) enc_len);
}

/* txid || index || outpoint || reference || height || unlock */
void
wes_input_element(StringInfo s, const uint8 *txid, int32 tx_index, int32 index, const uint8 *outpoint,
				  bool reference, int64 height, const uint8 *unlock, size_t unlock_len)
{
	resetStringInfo(s);
	appendBinaryStringInfo(s, (const char *) txid, WES_HASH_LEN);
	appendBinaryStringInfo(s, (const char *) &tx_index, sizeof(tx_index));
	appendBinaryStringInfo(s, (const char *) &index, sizeof(index));
	appendBinaryStringInfo(s, (const char *) outpoint, WES_OUTPOINT_LEN);
	appendStringInfoChar(s, reference ? 1 : 0);
	appendBinaryStringInfo(s, (const char *) &height, sizeof(height));
	appendBinaryStringInfo(s, (const char *) unlock, (int) unlock_len);
}

#define FETCH_ROWS	5000
#define MAX_COLS	10

/*
 * What the rows of a digest add to: the element built in element, into the
 * digest of the row's window; when w is set (a sequential scan of the whole
 * table), also into its marks, spends and UTXO sum, whatever the window.
 */
typedef struct RowDigest
{
	StringInfoData element;
	WesRowWindows *w;
} RowDigest;

/* One deformed row into d (NULL: the row is in no window) */
typedef void (*AddRowFn) (RowDigest *rd, const Datum *v, const bool *n, WesDigest *d);

/* outpoint || which of spender and height are there || spender || height: a spend mark or spend input */
static void
spend_element(StringInfo s, const uint8 *outpoint, const uint8 *spender, const int64 *height)
{
	static const uint8 none[WES_HASH_LEN];
	int64		h = height ? *height : 0;
	char		present = (spender ? 1 : 0) | (height ? 2 : 0);

	resetStringInfo(s);
	appendBinaryStringInfo(s, (const char *) outpoint, WES_OUTPOINT_LEN);
	appendStringInfoChar(s, present);
	appendBinaryStringInfo(s, (const char *) (spender ? spender : none), WES_HASH_LEN);
	appendBinaryStringInfo(s, (const char *) &h, sizeof(h));
}

typedef struct DigestWalk
{
	AddRowFn	add;
	RowDigest	rd;
	WesDigest  *d;
} DigestWalk;

static void
digest_row(HeapTuple row, TupleDesc desc, void *arg)
{
	DigestWalk *w = arg;
	Datum		v[MAX_COLS];
	bool		n[MAX_COLS];

	Assert(desc->natts <= MAX_COLS);
	heap_deform_tuple(row, desc, v, n);
	w->add(&w->rd, v, n, w->d);
}

/* Add every row of a statement over heights lo..hi to d, each element built by add */
static void
digest_rows(const char *sql, int64 lo, int64 hi, WesDigest *d, AddRowFn add)
{
	Oid			types[2] = {INT8OID, INT8OID};
	Datum		values[2] = {Int64GetDatum(lo), Int64GetDatum(hi)};
	Portal		portal = SPI_cursor_open_with_args(NULL, sql, 2, types, values, NULL,
												   wes_spi_is_read_only(), 0);
	DigestWalk	w = {add, {{0}, NULL}, d};

	initStringInfo(&w.rd.element);
	wes_spi_walk(portal, FETCH_ROWS, digest_row, &w);
	SPI_cursor_close(portal);
	pfree(w.rd.element.data);
}

/*
 * One wes.outputs row (outpoint, height, kind, owner, amount, ref, lock,
 * data[, spent_by, spent_height]): its encoding rebuilt from the columns by
 * the codec's encoder
 */
static void
add_output_row(RowDigest *rd, const Datum *v, const bool *n, WesDigest *d)
{
	const uint8 *outpoint = (const uint8 *) DatumGetPointer(v[0]);
	wes_output	o = {0};
	bytea	   *lock = DatumGetByteaPP(v[6]);
	bytea	   *data = DatumGetByteaPP(v[7]);
	wes_buf		enc;

	o.kind = (uint8) DatumGetInt16(v[2]);
	o.owner = (const uint8 *) DatumGetPointer(v[3]);
	o.amount = (uint64) DatumGetInt64(v[4]);
	o.ref = (const uint8 *) DatumGetPointer(v[5]);
	o.lock.ptr = (const uint8 *) VARDATA_ANY(lock);
	o.lock.len = VARSIZE_ANY_EXHDR(lock);
	o.data.ptr = (const uint8 *) VARDATA_ANY(data);
	o.data.len = VARSIZE_ANY_EXHDR(data);
	wes_buf_init(&enc, &wes_palloc_allocator, WES_MIN_OUTPUT_LEN + o.lock.len + o.data.len);
	wes_encode_output(&enc, &o);
	if (d != NULL)
	{
		wes_output_element(&rd->element, outpoint, DatumGetInt64(v[1]), enc.data, enc.len);
		wes_digest_add(d, (const uint8 *) rd->element.data, rd->element.len, 1);
	}
	if (rd->w == NULL)
		return;
	if (n[9])
	{
		/* no spent_height: in the UTXO set (as wes_utxo_scan selects it) */
		WesUtxoRow	u = {(const WesOutpoint *) outpoint, o.owner, DatumGetInt16(v[2]), o.ref,
		DatumGetInt64(v[4]), enc.data, enc.len};

		wes_utxo_sum_add(&rd->w->utxo, NULL, &u);
	}
	if (!n[8] || !n[9])
	{
		int64		h = n[9] ? 0 : DatumGetInt64(v[9]);

		spend_element(&rd->element, outpoint, n[8] ? NULL : (const uint8 *) DatumGetPointer(v[8]),
					  n[9] ? NULL : &h);
		wes_digest_add(&rd->w->marks, (const uint8 *) rd->element.data, rd->element.len, 1);
	}
}

/* One wes.inputs row (txid, input_index, outpoint, reference, height, tx_index, unlock) */
static void
add_input_row(RowDigest *rd, const Datum *v, const bool *n, WesDigest *d)
{
	bytea	   *unlock = DatumGetByteaPP(v[6]);
	int64		h = DatumGetInt64(v[4]);

	if (d != NULL)
	{
		wes_input_element(&rd->element, (const uint8 *) DatumGetPointer(v[0]), DatumGetInt32(v[5]),
						  DatumGetInt32(v[1]), (const uint8 *) DatumGetPointer(v[2]), DatumGetBool(v[3]), h,
						  (const uint8 *) VARDATA_ANY(unlock), VARSIZE_ANY_EXHDR(unlock));
		wes_digest_add(d, (const uint8 *) rd->element.data, rd->element.len, 1);
	}
	if (rd->w == NULL || DatumGetBool(v[3]))
		return;
	spend_element(&rd->element, (const uint8 *) DatumGetPointer(v[2]), (const uint8 *) DatumGetPointer(v[0]), &h);
	wes_digest_add(&rd->w->spends, (const uint8 *) rd->element.data, rd->element.len, 1);
}

/* Digests of the wes.outputs and wes.inputs rows of heights lo..hi, through the outputs' BRIN and the inputs' key */
void
wes_rows_digests(int64 lo, int64 hi, WesDigest *outputs, WesDigest *inputs)
{
	memset(outputs, 0, sizeof(*outputs));
	memset(inputs, 0, sizeof(*inputs));
	digest_rows("SELECT outpoint, height, kind, owner, amount, ref, lock, data FROM wes.outputs "
				"WHERE height BETWEEN $1 AND $2", lo, hi, outputs, add_output_row);
	digest_rows("SELECT txid, input_index, outpoint, reference, height, tx_index, unlock FROM wes.inputs "
				"WHERE height BETWEEN $1 AND $2", lo, hi, inputs, add_input_row);
}

/* The window of a row of height h, -1 when the windows do not take it */
static int64
window_of(const WesRowWindows *w, int64 h)
{
	if (h < w->from)
		return w->below ? 0 : -1;
	if (h > w->to)
		return w->above ? w->n - 1 : -1;
	return (h - w->from) / w->width;
}

/* Whether the table's first columns are these, in this order (as the add_row functions read them) */
static bool
columns_in_order(Relation rel, const char *const *names)
{
	for (int i = 0; names[i] != NULL; i++)
		if (get_attnum(RelationGetRelid(rel), names[i]) != i + 1)
			return false;
	return true;
}

/*
 * A sequential scan of rel that reads through a small ring of buffers, as
 * VACUUM and pg_amcheck read: heapam takes a ring by itself only for tables
 * over a quarter of shared_buffers, and a check that reads every row once
 * should neither evict a running node's working set nor first touch a fresh
 * server's buffers.  Pages already in shared buffers are read from there.
 */
static TableScanDesc
begin_ring_scan(Relation rel)
{
	TableScanDesc scan = table_beginscan(rel, GetActiveSnapshot(), 0, NULL);
	HeapScanDesc hscan = (HeapScanDesc) scan;

	if (rel->rd_tableam == GetHeapamTableAmRoutine() && hscan->rs_strategy == NULL)
		hscan->rs_strategy = GetAccessStrategy(BAS_BULKREAD);	/* heap_endscan frees it */
	return scan;
}

/* Every row of table wes.name into the digest of its window, by one sequential scan; false when its columns moved */
static bool
digest_table(const char *name, const char *const *cols, AttrNumber height_col, WesRowWindows *w,
			 WesDigest *d, AddRowFn add)
{
	Relation	rel = wes_verify_open(name, false);
	TableScanDesc scan;
	TupleTableSlot *slot;
	MemoryContext rowcxt;
	RowDigest	rd = {{0}, w};

	if (!columns_in_order(rel, cols) || RelationGetDescr(rel)->natts > MAX_COLS)
	{
		table_close(rel, AccessShareLock);
		return false;
	}
	scan = begin_ring_scan(rel);
	slot = table_slot_create(rel, NULL);
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "wes row digests", ALLOCSET_DEFAULT_SIZES);
	initStringInfo(&rd.element);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		MemoryContext old;
		int64		k;

		slot_getallattrs(slot);
		k = window_of(w, DatumGetInt64(slot->tts_values[height_col - 1]));
		old = MemoryContextSwitchTo(rowcxt);
		add(&rd, slot->tts_values, slot->tts_isnull, k >= 0 ? &d[k] : NULL);
		MemoryContextSwitchTo(old);
		MemoryContextReset(rowcxt);
		CHECK_FOR_INTERRUPTS();
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	MemoryContextDelete(rowcxt);
	pfree(rd.element.data);
	table_close(rel, AccessShareLock);
	return true;
}

/*
 * Digests of the wes.outputs and wes.inputs rows of every window at once, by
 * one sequential scan of each table on the active snapshot: cheaper than
 * wes_rows_digests window by window when the windows cover most of the
 * chain.  The same scans sum up the spend marks, the spend inputs and the
 * UTXO set over every row, for the state checks.  False (and the digests of
 * no use) when a table's columns are not where the add_row functions read them.
 */
bool
wes_rows_digests_scan(WesRowWindows *w)
{
	static const char *const out_cols[] = {"outpoint", "height", "kind", "owner", "amount", "ref", "lock",
	"data", "spent_by", "spent_height", NULL};
	static const char *const in_cols[] = {"txid", "input_index", "outpoint", "reference", "height", "tx_index",
	"unlock", NULL};

	w->outputs = palloc0(w->n * sizeof(WesDigest));
	w->inputs = palloc0(w->n * sizeof(WesDigest));
	memset(&w->marks, 0, sizeof(w->marks));
	memset(&w->spends, 0, sizeof(w->spends));
	wes_utxo_sum_init(&w->utxo);
	return digest_table("outputs", out_cols, 2, w, w->outputs, add_output_row) &&
		digest_table("inputs", in_cols, 5, w, w->inputs, add_input_row);
}
