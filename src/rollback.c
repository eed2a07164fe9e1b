/*
 * rollback.c
 *	  wes_rollback_to(height): undo every block above height, so that the state
 *	  is the state right after block height, proved by its state_root.
 *
 * The journal says, per block, which outpoints it added to the UTXO set and
 * which it removed.  Undoing blocks h+1 .. tip nets out to: every outpoint
 * they added that none of them removed leaves the UTXO set (its output row
 * goes with the history below); every outpoint they removed that none of them
 * added (so created at or below h) loses its spend mark and so comes back, its
 * element rebuilt with the output's exact encoding.  That netting
 * is done here, oldest block first, in a hash table that holds only what the
 * blocks read so far left live, one journal array in memory at a time; so
 * each side is one `outpoint = ANY($1)` statement over only what really
 * changes.  The accumulator moves by the same elements (LtHash remove and
 * add), and its root must equal block h's state_root: anything else is
 * internal corruption and aborts the call.  Then the history rows of the
 * undone blocks go (blocks, transactions with their receipts, inputs = spend
 * marks, outputs, journal, snapshots above h): by height through the B-tree
 * of blocks, transactions, inputs and journal and the BRIN of outputs (the
 * function runs with enable_seqscan off, so that a large rollback still takes
 * them, and with jit off: the disabled plans' costs would otherwise compile
 * every statement).  The cost grows with what is undone, not with the chain.
 *
 * The chain-state row is locked first, exactly as the writer locks it, so a
 * rollback and a writer serialise and never deadlock.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/lsyscache.h"

#include "wes_persist.h"
#include "wes_snapshot.h"
#include "writer.h"

PG_FUNCTION_INFO_V1(wes_rollback_to);

/* The state a rollback goes back to */
typedef struct RollbackTarget
{
	int64		height;			/* -1: the empty chain */
	bool		has_hash;
	uint8		hash[WES_HASH_LEN];
	uint8		state_root[WES_HASH_LEN];
} RollbackTarget;

static const uint8 zero_lanes[WES_LTHASH_BYTES];

/* Refuse a request the journal and the stored history cannot serve (WE006) */
static void
check_reach(const WesBlockWork *w, int64 h, const char *schema)
{
	Oid			types[2] = {INT8OID, INT8OID};
	Datum		values[2];
	bool		isnull;
	int64		have;

	if (h > w->tip_height)
		ereport(ERROR,
				(errcode(ERRCODE_WES_UNSERVABLE),
				 errmsg("cannot roll back to height " INT64_FORMAT ": the tip is at " INT64_FORMAT,
						h, w->tip_height)));
	if (h < -1)
		ereport(ERROR,
				(errcode(ERRCODE_WES_UNSERVABLE),
				 errmsg("cannot roll back to height " INT64_FORMAT ": the lowest is -1, the empty chain", h)));
	if (h < w->base_height - 1)
		ereport(ERROR,
				(errcode(ERRCODE_WES_UNSERVABLE),
				 errmsg("cannot roll back to height " INT64_FORMAT ": this database starts at height " INT64_FORMAT,
						h, w->base_height),
				 errdetail("It was started from a snapshot at height " INT64_FORMAT ".", w->base_height - 1)));

	values[0] = Int64GetDatum(h);
	values[1] = Int64GetDatum(w->tip_height);
	wes_spi_run("SELECT count(*) FROM wes.journal WHERE height > $1 AND height <= $2",
				NULL, 2, types, values, NULL, true);
	have = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (have != w->tip_height - h)
		ereport(ERROR,
				(errcode(ERRCODE_WES_UNSERVABLE),
				 errmsg("cannot roll back to height " INT64_FORMAT ": the journal does not reach that far", h),
				 errdetail("The journal holds " INT64_FORMAT " of the " INT64_FORMAT " blocks above it "
						   "(wes_persist.journal_depth = %d).", have, w->tip_height - h, wes_journal_depth)));
}

/* Block h's hash and state_root (from wes.blocks, or from the snapshot a database started from) */
static void
read_target(RollbackTarget *t, int64 h)
{
	Oid			type = INT8OID;
	Datum		value = Int64GetDatum(h);
	bool		isnull;

	t->height = h;
	t->has_hash = h >= 0;
	if (h < 0)
	{
		wes_hash(zero_lanes, WES_LTHASH_BYTES, t->state_root);
		return;
	}
	if (wes_spi_run("SELECT hash, state_root FROM wes.blocks WHERE height = $1 "
					"UNION ALL SELECT block_hash, state_root FROM wes.snapshots WHERE height = $1 LIMIT 1",
					NULL, 1, &type, &value, NULL, true) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("block " INT64_FORMAT " is neither in wes.blocks nor a snapshot", h),
				 errhint("Run wes_verify().")));
	memcpy(t->hash, DatumGetWesHashP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull))->data,
		   WES_HASH_LEN);
	memcpy(t->state_root, DatumGetWesHashP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull))->data,
		   WES_HASH_LEN);
}

/* Move the accumulator by every (outpoint, encoding) row of SPI_tuptable */
static void
lthash_rows(wes_lthash *acc, bool add)
{
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		bool		isnull;
		WesOutpoint *op = DatumGetWesOutpointP(SPI_getbinval(row, SPI_tuptable->tupdesc, 1, &isnull));
		bytea	   *enc = DatumGetByteaPP(SPI_getbinval(row, SPI_tuptable->tupdesc, 2, &isnull));

		if (add)
			wes_lthash_add(acc, op->data, wes_outpoint_get_index(op),
						   (const uint8 *) VARDATA_ANY(enc), VARSIZE_ANY_EXHDR(enc));
		else
			wes_lthash_remove(acc, op->data, wes_outpoint_get_index(op),
							  (const uint8 *) VARDATA_ANY(enc), VARSIZE_ANY_EXHDR(enc));
	}
}

/*
 * The netting set: the outpoints the undone blocks read so far added to the
 * UTXO set and no later one removed.  An open-addressing table keyed by the
 * 36 outpoint bytes (simplehash).
 */
typedef struct LiveEntry
{
	WesOutpoint op;
	char		status;			/* simplehash's slot state */
} LiveEntry;

#define SH_PREFIX		live
#define SH_ELEMENT_TYPE LiveEntry
#define SH_KEY_TYPE		WesOutpoint
#define SH_KEY			op
#define SH_HASH_KEY(tb, key) hash_bytes((const unsigned char *) (key).data, WES_OUTPOINT_LEN)
#define SH_EQUAL(tb, a, b) (memcmp((a).data, (b).data, WES_OUTPOINT_LEN) == 0)
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* A growing list of outpoints */
typedef struct OutpointList
{
	WesOutpoint *ops;
	int			n;
	int			cap;
} OutpointList;

static void
list_add(OutpointList *l, const WesOutpoint *op)
{
	if (l->n == l->cap)
	{
		l->cap = l->cap ? l->cap * 2 : 1024;
		l->ops = l->ops ? repalloc_huge(l->ops, (Size) l->cap * sizeof(WesOutpoint))
			: palloc_extended((Size) l->cap * sizeof(WesOutpoint), MCXT_ALLOC_HUGE);
	}
	l->ops[l->n++] = *op;
}

/* The list as a wes_outpoint[] Datum (wes_outpoint is fixed-length and char-aligned: packed) */
static Datum
outpoint_array(const OutpointList *l)
{
	Size		nbytes = ARR_OVERHEAD_NONULLS(1) + (Size) l->n * WES_OUTPOINT_LEN;
	ArrayType  *a;

	if (l->n == 0)
		return PointerGetDatum(construct_empty_array(wes_writer_types()->outpoint));
	a = palloc_extended(nbytes, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	SET_VARSIZE(a, nbytes);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = wes_writer_types()->outpoint;
	*ARR_DIMS(a) = l->n;
	*ARR_LBOUND(a) = 1;
	memcpy(ARR_DATA_PTR(a), l->ops, (Size) l->n * WES_OUTPOINT_LEN);
	return PointerGetDatum(a);
}

/*
 * One journal column of row r (a wes_outpoint[], no NULLs): spent ones leave
 * the netting set, or go to back when an earlier block added them; created
 * ones join it.  The column is detoasted, read and freed, so that a large
 * rollback never holds the whole journal in memory.
 */
static void
net_column(uint64 r, int column, live_hash *set, OutpointList *back)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, column, &isnull);
	ArrayType  *a = DatumGetArrayTypeP(d);
	const WesOutpoint *ops = (const WesOutpoint *) ARR_DATA_PTR(a);
	int			n = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
	bool		found;

	if (ARR_HASNULL(a) || ARR_ELEMTYPE(a) != wes_writer_types()->outpoint)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("a wes.journal row holds NULLs in its outpoints or is not a wes_outpoint[]"),
				 errhint("Run wes_verify(); wes_repair() rebuilds the journal.")));
	for (int i = 0; i < n; i++)
	{
		if (back == NULL)
			live_insert(set, ops[i], &found);
		else if (!live_delete(set, ops[i]))
			list_add(back, &ops[i]);
	}
	if ((Pointer) a != DatumGetPointer(d))
		pfree(a);
}

/*
 * From the journal of the undone blocks, oldest first: the outpoints to take
 * out of the UTXO set (added by them and not removed by a later one of them) and
 * those to put back (removed by them and added before them), as
 * wes_outpoint[] Datums.  A block's spent outpoints existed before it and its
 * created ones were not spent inside it, so each block's spends are netted
 * before its creations join the set.
 */
static void
net_changes(int64 h, Datum *take_out, Datum *put_back, int *n_out, int *n_back)
{
	Oid			type = INT8OID;
	Datum		value = Int64GetDatum(h);
	live_hash  *set = live_create(CurrentMemoryContext, 1024, NULL);
	OutpointList back = {0},
				out = {0};
	live_iterator it;
	LiveEntry  *e;

	wes_spi_run("SELECT created, spent FROM wes.journal WHERE height > $1 ORDER BY height",
				NULL, 1, &type, &value, NULL, true);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		net_column(r, 2, set, &back);
		net_column(r, 1, set, NULL);
	}
	SPI_freetuptable(SPI_tuptable);
	live_start_iterate(set, &it);
	while ((e = live_iterate(set, &it)) != NULL)
		list_add(&out, &e->op);
	*put_back = outpoint_array(&back);
	*take_out = outpoint_array(&out);
	*n_back = back.n;
	*n_out = out.n;
}

/* The UTXO set missed an outpoint the journal names: internal corruption */
static void
check_moved(const char *what, uint64 moved, int expected, int64 h)
{
	if (moved != (uint64) expected)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("rollback to height " INT64_FORMAT " %s " UINT64_FORMAT " outputs of the %d the journal names",
						h, what, moved, expected),
				 errhint("Run wes_verify().")));
}

/*
 * The UTXO set goes back: what the undone blocks added leaves it, what they
 * removed loses its spend mark (its encoding rebuilt from its columns); the
 * accumulator follows
 */
static void
undo_utxos(WesBlockWork *w, int64 h, const char *schema)
{
	Oid			types[2] = {wes_writer_types()->outpoint_array, INT8OID};
	Datum		take_out,
				put_back;
	Datum		back_args[2];
	int			n_out,
				n_back;

	net_changes(h, &take_out, &put_back, &n_out, &n_back);
	back_args[0] = put_back;
	back_args[1] = Int64GetDatum(h);

	wes_spi_run("SELECT o.outpoint, wes.output_encoding(o.kind, o.owner, o.amount, o.ref, o.lock, o.data) "
				"FROM wes.outputs o WHERE o.outpoint OPERATOR(%1$s.=) ANY ($1) AND o.spent_height IS NULL",
				schema, 1, types, &take_out, NULL, false);
	check_moved("removes", SPI_processed, n_out, h);
	lthash_rows(&w->acc, false);
	w->utxo_count -= SPI_processed;
	SPI_freetuptable(SPI_tuptable);

	wes_spi_run("UPDATE wes.outputs o SET spent_by = NULL, spent_height = NULL "
				"WHERE o.outpoint OPERATOR(%1$s.=) ANY ($1) AND o.spent_height > $2 "
				"RETURNING o.outpoint, wes.output_encoding(o.kind, o.owner, o.amount, o.ref, o.lock, o.data)",
				schema, 2, types, back_args, NULL, false);
	check_moved("restores", SPI_processed, n_back, h);
	lthash_rows(&w->acc, true);
	w->utxo_count += SPI_processed;
	SPI_freetuptable(SPI_tuptable);
}

/* The history rows of the undone blocks, each table through an index */
static void
delete_history(int64 h, const char *schema)
{
	static const char *const statements[] = {
		"DELETE FROM wes.transactions WHERE block_height > $1",
		"DELETE FROM wes.inputs WHERE height > $1",
		"DELETE FROM wes.outputs WHERE height > $1",
		"DELETE FROM wes.journal WHERE height > $1",
		"DELETE FROM wes.snapshots WHERE height > $1",
		"DELETE FROM wes.blocks WHERE height > $1",
	};
	Oid			type = INT8OID;
	Datum		value = Int64GetDatum(h);

	for (int i = 0; i < lengthof(statements); i++)
		wes_spi_run(statements[i], schema, 1, &type, &value, NULL, false);
}

/* Check the state root against block h's, then move the chain-state row there */
static void
store_target(const WesBlockWork *w, const RollbackTarget *t)
{
	uint8		root[WES_HASH_LEN];
	bytea	   *acc = palloc(VARHDRSZ + WES_LTHASH_BYTES);
	Oid			types[5] = {INT8OID, wes_writer_types()->hash, wes_writer_types()->hash, BYTEAOID, INT8OID};
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};

	wes_lthash_root(&w->acc, root);
	if (memcmp(root, t->state_root, WES_HASH_LEN) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("rollback to height " INT64_FORMAT " does not give that block's state_root", t->height),
				 errdetail("The UTXO set commits to %s, block " INT64_FORMAT " to %s; run wes_verify().",
						   wes_hex_encode(root, WES_HASH_LEN), t->height,
						   wes_hex_encode(t->state_root, WES_HASH_LEN))));

	SET_VARSIZE(acc, VARHDRSZ + WES_LTHASH_BYTES);
	wes_lthash_to_bytes(&w->acc, (uint8 *) VARDATA(acc));
	values[0] = Int64GetDatum(t->height);
	nulls[0] = t->has_hash ? ' ' : 'n';
	values[1] = PointerGetDatum(t->hash);
	nulls[1] = t->has_hash ? ' ' : 'n';
	values[2] = PointerGetDatum(t->state_root);
	values[3] = PointerGetDatum(acc);
	values[4] = Int64GetDatum(w->utxo_count);
	if (wes_spi_run("UPDATE wes.chain_state SET height = $1, hash = $2, state_root = $3, "
					"accumulator = $4, utxo_count = $5", NULL, 5, types, values, nulls, false) != 1)
		wes_report_chain_state_damaged("it does not hold exactly one row");
}

/* wes_rollback_to(height bigint) RETURNS bigint: blocks undone */
Datum
wes_rollback_to(PG_FUNCTION_ARGS)
{
	int64		h;
	char	   *schema = wes_function_schema(fcinfo);
	WesBlockWork *w = palloc0(sizeof(WesBlockWork));
	RollbackTarget target;
	int64		undone;

	wes_require_arg(fcinfo, 0, "height");
	h = PG_GETARG_INT64(0);
	wes_snapshot_import_refuse("wes_rollback_to");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	wes_writer_lock_tip(w);
	check_reach(w, h, schema);
	undone = w->tip_height - h;
	if (undone > 0)
	{
		read_target(&target, h);
		undo_utxos(w, h, schema);
		store_target(w, &target);
		delete_history(h, schema);
	}
	SPI_finish();
	PG_RETURN_INT64(undone);
}
