/*
 * queries_lookup.c
 *	  wes.outputs_lookup(ops wes_outpoint[]), the body of
 *	  wes_api.utxo_lookup_many and wes_utxo_lookup(wes_outpoint[]): the rows of
 *	  wes_api.outputs of many outpoints in one call.
 *
 * The outpoints are sorted and de-duplicated (NULL elements dropped) and
 * looked up in key order in wes.outputs' primary key with one walk of its
 * leaf level (btree_lookup.c).  The index entries found are sorted by tuple
 * id, so that the rows are fetched in the order of the table's pages, each
 * page pinned once for all the rows asked of it, as a bitmap heap scan does;
 * each row is the visible version of its HOT chain under the active snapshot.
 * Both walks read pages through the shared buffers they were last found in,
 * and have the CPU load the pages (and rows) of keys a few places ahead, so
 * that their cache misses overlap (recent_buffers.c).
 * A row of wes_api.outputs is made of it here (txid and output_index from the
 * outpoint, the kind's name) and returned, one per call, so that the rows
 * stream when the function is called in a select list.  Rows come in no
 * particular order, once per outpoint; outpoints without a visible row are
 * left out.  Nothing is written, so it runs on a hot standby.
 *
 * The function reads wes.outputs with no privilege check of its own, as the
 * views of wes_api read it with their owner's rights: EXECUTE on it is the
 * privilege, granted to wes_reader only (sql/40_api.sql).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_type_d.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "storage/bufmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "btree_lookup.h"
#include "recent_buffers.h"
#include "wes_types.h"

PG_FUNCTION_INFO_V1(wes_outputs_lookup);

/* ---------------------------------------------------------------------
 * The outpoints: sorted, without duplicates
 * ---------------------------------------------------------------------
 */

/* An outpoint of the argument, with its first 8 bytes as an integer for a quick compare */
typedef struct LookupKey
{
	uint64		prefix;
	const uint8 *op;			/* WES_OUTPOINT_LEN bytes in the array */
} LookupKey;

static inline int
lookup_key_cmp(const LookupKey *a, const LookupKey *b)
{
	if (a->prefix != b->prefix)
		return a->prefix < b->prefix ? -1 : 1;
	return memcmp(a->op, b->op, WES_OUTPOINT_LEN);
}

#define ST_SORT sort_lookup_keys
#define ST_ELEMENT_TYPE LookupKey
#define ST_COMPARE(a, b) lookup_key_cmp(a, b)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/* The non-NULL outpoints of arr (any shape), in byte order, each once; n receives the count */
static const uint8 **
sorted_keys(ArrayType *arr, int *n)
{
	int			count = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
	const bits8 *nulls = ARR_NULLBITMAP(arr);
	const uint8 *p = (const uint8 *) ARR_DATA_PTR(arr);
	LookupKey  *keys;
	const uint8 **ops;
	int			m = 0;

	if (get_typlen(ARR_ELEMTYPE(arr)) != WES_OUTPOINT_LEN)
		elog(ERROR, "wes.outputs_lookup takes an array of wes_outpoint");
	keys = palloc(sizeof(LookupKey) * Max(count, 1));
	for (int i = 0; i < count; i++)
	{
		uint64		prefix;

		if (nulls != NULL && (nulls[i / 8] & (1 << (i % 8))) == 0)
			continue;
		memcpy(&prefix, p, sizeof(prefix));
		keys[m].prefix = pg_ntoh64(prefix);
		keys[m].op = p;
		m++;
		p += WES_OUTPOINT_LEN;	/* char-aligned, fixed length: no padding */
	}
	sort_lookup_keys(keys, m);
	ops = palloc(sizeof(uint8 *) * Max(m, 1));
	*n = 0;
	for (int i = 0; i < m; i++)
		if (i == 0 || lookup_key_cmp(&keys[i - 1], &keys[i]) != 0)
			ops[(*n)++] = keys[i].op;
	pfree(keys);
	return ops;
}

/* ---------------------------------------------------------------------
 * The rows: a wes.outputs row as a row of wes_api.outputs
 * ---------------------------------------------------------------------
 */

typedef enum ColumnSource
{
	COL_COPY,					/* the column of wes.outputs as it is */
	COL_TXID,					/* the outpoint's txid */
	COL_INDEX,					/* the outpoint's output index (bigint) */
	COL_KIND					/* the kind's name (wes.kind_name) */
} ColumnSource;

/* The columns of wes_api.outputs, in order, and where each comes from in wes.outputs */
static const struct
{
	const char *name;
	ColumnSource source;
	const char *from;
}			output_columns[] =
{
	{"outpoint", COL_COPY, "outpoint"},
	{"txid", COL_TXID, "outpoint"},
	{"output_index", COL_INDEX, "outpoint"},
	{"kind", COL_KIND, "kind"},
	{"owner", COL_COPY, "owner"},
	{"amount", COL_COPY, "amount"},
	{"ref", COL_COPY, "ref"},
	{"lock", COL_COPY, "lock"},
	{"data", COL_COPY, "data"},
	{"created_height", COL_COPY, "height"},
	{"spent_by", COL_COPY, "spent_by"},
	{"spent_height", COL_COPY, "spent_height"},
};

#define N_OUTPUT_COLUMNS lengthof(output_columns)

/* One call's state, from the first row to the last */
typedef struct Lookup
{
	Relation	heap;
	Relation	index;
	TupleDesc	result;
	AttrNumber	from[N_OUTPUT_COLUMNS]; /* column of wes.outputs a COL_COPY or COL_KIND column reads */
	AttrNumber	outpoint;		/* wes.outputs.outpoint */
	Datum		kind_names[3];	/* text: asset, resource, state */
	const uint8 **keys;			/* the outpoints, sorted, distinct (pointing into the argument array) */
	int			nkeys;
	WesKeyEntry *entries;		/* the index entries of the keys, in heap order */
	int			nentries;
	int			next_entry;		/* the next to fetch */
	Snapshot	snapshot;
	WesRecentBuffers *heap_buffers; /* where wes.outputs' pages were last found */
	Buffer		page;			/* the heap page of the last row fetched: pinned; or invalid */
	HeapTupleData tuple;		/* the last row fetched (in page), stored in slot */
	TupleTableSlot *slot;
	ExprContext *econtext;		/* whose shutdown closes the lookup if it ends early */
	bool		open;
} Lookup;

/* The column of wes.outputs named name, of the type the result column needs */
static AttrNumber
source_column(Relation heap, const char *name, Oid type)
{
	TupleDesc	desc = RelationGetDescr(heap);

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0 && att->atttypid == type)
			return att->attnum;
	}
	elog(ERROR, "wes.outputs has no column \"%s\" of the type wes_api.outputs needs", name);
}

/* Map every column of the result (wes_api.outputs) to its source, checking names and types */
static void
map_columns(Lookup *l)
{
	if (l->result->natts != N_OUTPUT_COLUMNS)
		elog(ERROR, "wes_api.outputs has %d columns, not %d", l->result->natts, (int) N_OUTPUT_COLUMNS);
	for (int i = 0; i < N_OUTPUT_COLUMNS; i++)
	{
		Form_pg_attribute att = TupleDescAttr(l->result, i);
		bool		ok = strcmp(NameStr(att->attname), output_columns[i].name) == 0;

		switch (output_columns[i].source)
		{
			case COL_COPY:
				l->from[i] = source_column(l->heap, output_columns[i].from, att->atttypid);
				break;
			case COL_TXID:
				ok = ok && att->attlen == WES_HASH_LEN && !att->attbyval;
				break;
			case COL_INDEX:
				ok = ok && att->atttypid == INT8OID;
				break;
			case COL_KIND:
				ok = ok && att->atttypid == TEXTOID;
				l->from[i] = source_column(l->heap, output_columns[i].from, INT2OID);
				break;
		}
		if (!ok)
			elog(ERROR, "column %d of wes_api.outputs is not %s as wes.outputs_lookup builds it",
				 i + 1, output_columns[i].name);
	}
	l->outpoint = l->from[0];
	if (l->index->rd_index->indkey.values[0] != l->outpoint)
		elog(ERROR, "the primary key of wes.outputs is not its outpoint");
	/* as wes.kind_name spells them */
	for (int k = 0; k < lengthof(l->kind_names); k++)
		l->kind_names[k] = CStringGetTextDatum(wes_kind_name((uint8_t) k));
}

/* The row of wes_api.outputs made of the wes.outputs row in slot, found under outpoint key */
static Datum
make_row(Lookup *l, TupleTableSlot *slot, const uint8 *key)
{
	Datum		values[N_OUTPUT_COLUMNS];
	bool		nulls[N_OUTPUT_COLUMNS];
	const uint8 *op;

	slot_getallattrs(slot);
	op = (const uint8 *) DatumGetPointer(slot->tts_values[l->outpoint - 1]);
	if (memcmp(op, key, WES_OUTPOINT_LEN) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("an entry of index \"%s\" points to the row of another outpoint, %s:%u at (%u,%u)",
						RelationGetRelationName(l->index), wes_hex_encode(op, WES_HASH_LEN),
						wes_outpoint_get_index((const WesOutpoint *) op),
						ItemPointerGetBlockNumber(&slot->tts_tid), ItemPointerGetOffsetNumber(&slot->tts_tid)),
				 errhint("Run wes_verify().")));
	for (int i = 0; i < N_OUTPUT_COLUMNS; i++)
	{
		int			kind;

		nulls[i] = false;
		switch (output_columns[i].source)
		{
			case COL_COPY:
				values[i] = slot->tts_values[l->from[i] - 1];
				nulls[i] = slot->tts_isnull[l->from[i] - 1];
				break;
			case COL_TXID:
				values[i] = PointerGetDatum(op);	/* the outpoint's first 32 bytes */
				break;
			case COL_INDEX:
				values[i] = Int64GetDatum((int64) wes_outpoint_get_index((const WesOutpoint *) op));
				break;
			case COL_KIND:
				kind = slot->tts_isnull[l->from[i] - 1] ? -1 : DatumGetInt16(slot->tts_values[l->from[i] - 1]);
				nulls[i] = kind < 0 || kind >= lengthof(l->kind_names);
				values[i] = nulls[i] ? (Datum) 0 : l->kind_names[kind];
				break;
		}
	}
	return HeapTupleGetDatum(heap_form_tuple(l->result, values, nulls));
}

/* ---------------------------------------------------------------------
 * The lookup: every index entry first, then one row per call
 * ---------------------------------------------------------------------
 */

/* Release what the lookup holds (at its end, or when the query stops reading early) */
static void
lookup_close(Datum arg)
{
	Lookup	   *l = (Lookup *) DatumGetPointer(arg);

	if (!l->open)
		return;
	l->open = false;
	ExecDropSingleTupleTableSlot(l->slot);
	if (BufferIsValid(l->page))
		ReleaseBuffer(l->page);
	UnregisterSnapshot(l->snapshot);
	index_close(l->index, NoLock);
	table_close(l->heap, NoLock);
}

/* Open wes.outputs and its primary key and find the entries of the outpoints of arr (in the lookup's context) */
static Lookup *
lookup_open(FunctionCallInfo fcinfo, ArrayType *arr)
{
	Lookup	   *l = palloc0(sizeof(Lookup));
	Oid			relid = get_relname_relid("outputs", get_namespace_oid("wes", false));
	Oid			pk;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"wes.outputs\" does not exist")));
	if (get_call_result_type(fcinfo, NULL, &l->result) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "wes.outputs_lookup must return rows of wes_api.outputs");
	l->result = BlessTupleDesc(l->result);
	l->heap = table_open(relid, AccessShareLock);
	if (l->heap->rd_tableam != GetHeapamTableAmRoutine())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("wes.outputs_lookup reads wes.outputs as a heap table, and it uses another access method")));
	pk = RelationGetPrimaryKeyIndex(l->heap);
	if (!OidIsValid(pk))
		elog(ERROR, "wes.outputs has no primary key");
	l->index = index_open(pk, AccessShareLock);
	map_columns(l);
	l->keys = sorted_keys(arr, &l->nkeys);
	l->snapshot = RegisterSnapshot(GetActiveSnapshot());	/* the query's: rows come over many calls */
	l->entries = wes_btree_lookup_keys(l->index, l->snapshot, WES_OUTPOINT_LEN, wes_outpoint_cmp,
									   l->keys, l->nkeys, &l->nentries);
	l->heap_buffers = wes_recent_buffers(l->heap);
	l->page = InvalidBuffer;
	l->slot = table_slot_create(l->heap, NULL);
	l->econtext = ((ReturnSetInfo *) fcinfo->resultinfo)->econtext;
	l->open = true;
	RegisterExprContextCallback(l->econtext, lookup_close, PointerGetDatum(l));
	return l;
}

/* The next row (in the order of the table's pages); false after the last */
static bool
lookup_next(Lookup *l, Datum *row)
{
	while (l->next_entry < l->nentries)
	{
		int			i = l->next_entry++;

		if (wes_key_entry_fetch(l->heap_buffers, l->heap, l->snapshot, l->entries, l->nentries, i,
								&l->page, &l->tuple, l->slot))
		{
			*row = make_row(l, l->slot, l->keys[l->entries[i].key]);
			return true;
		}
	}
	return false;
}

/*
 * wes.outputs_lookup(ops wes_outpoint[]) (STRICT): the rows of
 * wes_api.outputs of the outpoints, once each, in no particular order, one
 * per call, so that a caller that reads them as they come (a set-returning
 * function in a select list) holds one row at a time
 */
Datum
wes_outputs_lookup(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	Lookup	   *l;
	Datum		row;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;

		funcctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		/* a copy of the outpoints, in the lookup's context: its entries point into it */
		funcctx->user_fctx = lookup_open(fcinfo, PG_GETARG_ARRAYTYPE_P_COPY(0));
		MemoryContextSwitchTo(old);
	}
	funcctx = SRF_PERCALL_SETUP();
	l = (Lookup *) funcctx->user_fctx;
	if (lookup_next(l, &row))
		SRF_RETURN_NEXT(funcctx, row);
	UnregisterExprContextCallback(l->econtext, lookup_close, PointerGetDatum(l));
	lookup_close(PointerGetDatum(l));
	SRF_RETURN_DONE(funcctx);
}
