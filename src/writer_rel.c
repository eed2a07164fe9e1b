/*
 * writer_rel.c
 *	  The writer's direct access to its tables: rows go in as COPY puts them
 *	  (table_multi_insert, then every index of the table through
 *	  ExecInsertIndexTuples, unique checks and partial-index predicates
 *	  included), and spent UTXO rows come out by the tuple id their probe found.
 *
 * No SQL is planned or executed per row, so a row costs what it costs COPY.
 * Probes look rows up by primary key and remember the tuple id, so that a
 * spent output's mark is set without a second search: one at a time (an
 * index scan), or many keys together (wes_writer_probe_many: one walk of the
 * key's leaves in key order, then the rows in page order).
 * The writer holds the chain-state row lock while it writes, so nothing else
 * changes these tables under it.  The tables have no triggers, rules or
 * foreign keys (wes_writer_rel_open refuses one that has triggers) and no
 * CHECK constraint a writer row could break; their NOT NULL columns are
 * always given values.  Every table is checked, block by block, against the
 * column layout the writer fills, so a changed schema is an error, not bad rows.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "storage/bufmgr.h"
#include "catalog/pg_amop.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "btree_lookup.h"
#include "recent_buffers.h"
#include "writer.h"

/* Rows collected before they go to the table together */
#define WES_REL_BATCH	1000

/* The tables the writer fills directly, with the columns it fills, in order */
typedef struct WesTableDef
{
	const char *name;
	const char *columns;		/* comma-separated, in attribute order */
} WesTableDef;

static const WesTableDef table_defs[WES_TABLE_COUNT] = {
	[WES_TABLE_BLOCKS] = {"blocks",
	"height,hash,prev_hash,tx_root,receipt_root,state_root,timestamp_ms,nonce,tx_count,size,header"},
	[WES_TABLE_TRANSACTIONS] = {"transactions",
	"txid,block_height,tx_index,input_count,output_count,raw,status,fee,receipt"},
	[WES_TABLE_OUTPUTS] = {"outputs", "outpoint,height,kind,owner,amount,ref,lock,data,spent_by,spent_height"},
	[WES_TABLE_INPUTS] = {"inputs", "txid,input_index,outpoint,reference,height,tx_index,unlock"},
	[WES_TABLE_JOURNAL] = {"journal", "height,created,spent"},
};

/* Check that the table has exactly the columns the writer fills, and no triggers */
static void
check_layout(Relation rel, const WesTableDef *def)
{
	TupleDesc	desc = RelationGetDescr(rel);
	char	   *cols = pstrdup(def->columns);
	char	   *save = NULL;
	int			att = 0;

	for (char *col = strtok_r(cols, ",", &save); col != NULL; col = strtok_r(NULL, ",", &save))
	{
		while (att < desc->natts && TupleDescAttr(desc, att)->attisdropped)
			att++;
		if (att >= desc->natts || strcmp(NameStr(TupleDescAttr(desc, att)->attname), col) != 0)
			elog(ERROR, "wes.%s does not have the columns the writer fills (%s)", def->name, def->columns);
		att++;
	}
	for (; att < desc->natts; att++)
		if (!TupleDescAttr(desc, att)->attisdropped)
			elog(ERROR, "wes.%s has a column the writer does not fill", def->name);
	if (rel->trigdesc != NULL)
		elog(ERROR, "wes.%s has triggers: the writer inserts its rows directly", def->name);
	pfree(cols);
}

/* Open the writer's tables and their indexes for one block (in the block's memory context) */
WesWriterRels *
wes_writer_rels_open(void)
{
	WesWriterRels *rels = palloc0(sizeof(WesWriterRels));
	Oid			nsp = get_namespace_oid("wes", false);

	rels->estate = CreateExecutorState();
	rels->cid = GetCurrentCommandId(true);
	for (int i = 0; i < WES_TABLE_COUNT; i++)
	{
		WesRel	   *r = &rels->rel[i];
		Oid			relid = get_relname_relid(table_defs[i].name, nsp);

		if (!OidIsValid(relid))
			elog(ERROR, "table wes.%s not found", table_defs[i].name);
		r->rels = rels;
		r->rel = table_open(relid, RowExclusiveLock);
		check_layout(r->rel, &table_defs[i]);
		r->rri = makeNode(ResultRelInfo);
		InitResultRelInfo(r->rri, r->rel, 1, NULL, 0);
		ExecOpenIndices(r->rri, false);
		r->desc = CreateTupleDescCopy(RelationGetDescr(r->rel));	/* not refcounted: slots stay cheap */
		r->slots = palloc0(WES_REL_BATCH * sizeof(TupleTableSlot *));
		r->rowcxt = AllocSetContextCreate(CurrentMemoryContext, "wes_writer rows",
										  ALLOCSET_DEFAULT_SIZES);
	}
	return rels;
}

/* An empty row of the table to fill: set tts_values[] (never null), then wes_writer_row_done() */
TupleTableSlot *
wes_writer_row(WesRel *r)
{
	TupleTableSlot *slot;

	if (r->nslots == WES_REL_BATCH)
		wes_writer_rel_flush(r);
	slot = r->slots[r->nslots];
	if (slot == NULL)
		slot = r->slots[r->nslots] = MakeSingleTupleTableSlot(r->desc, &TTSOpsHeapTuple);
	ExecClearTuple(slot);
	memset(slot->tts_isnull, 0, slot->tts_tupleDescriptor->natts * sizeof(bool));
	return slot;
}

/* The row handed out by wes_writer_row() is filled */
void
wes_writer_row_done(WesRel *r)
{
	ExecStoreVirtualTuple(r->slots[r->nslots]);
	r->nslots++;
}

/* A bytea Datum holding a copy of len bytes, living until the next flush */
Datum
wes_writer_bytea(WesRel *r, const uint8 *p, uint32 len)
{
	bytea	   *v = MemoryContextAlloc(r->rowcxt, VARHDRSZ + len);

	SET_VARSIZE(v, VARHDRSZ + len);
	if (len > 0)
		memcpy(VARDATA(v), p, len);
	return PointerGetDatum(v);
}

/*
 * Let rows into the table's primary key even when their key is already there,
 * and set r->duplicate instead of raising a unique violation: the caller runs
 * the check that names the duplicate (UNIQUE_CHECK_PARTIAL, as deferred
 * constraints and INSERT ... ON CONFLICT do).  The other unique indexes still
 * raise at once.
 */
void
wes_writer_rel_recheck_primary_key(WesRel *r)
{
	r->recheck_unique = list_make1_oid(RelationGetPrimaryKeyIndex(r->rel));
}

/*
 * Write the collected rows: the heap in one call, then each row's index
 * entries (unless heap_only)
 */
void
wes_writer_rel_flush(WesRel *r)
{
	WesWriterRels *rels = r->rels;
	MemoryContext old;

	if (r->nslots == 0)
		return;
	old = MemoryContextSwitchTo(GetPerTupleMemoryContext(rels->estate));
	table_multi_insert(r->rel, r->slots, r->nslots, rels->cid, 0, NULL);
	for (int i = 0; i < r->nslots && !rels->heap_only; i++)
		if (ExecInsertIndexTuples(r->rri, r->slots[i], rels->estate, false,
								  r->recheck_unique != NIL, NULL, r->recheck_unique) != NIL)
			r->duplicate = true;
	MemoryContextSwitchTo(old);
	for (int i = 0; i < r->nslots; i++)
		ExecClearTuple(r->slots[i]);
	r->nslots = 0;
	ResetPerTupleExprContext(rels->estate);
	MemoryContextReset(r->rowcxt);
}

/*
 * Begin probing a table by its primary key (one column).  The snapshot is the
 * one a statement would take now: it sees every committed block (the caller
 * holds the chain-state lock) and this transaction's earlier blocks.
 */
WesProbe *
wes_writer_probe_begin(WesRel *r)
{
	WesProbe   *p = palloc0(sizeof(WesProbe));
	Oid			pk = RelationGetPrimaryKeyIndex(r->rel);
	Oid			eq;

	for (int i = 0; i < r->rri->ri_NumIndices && p->index == NULL; i++)
		if (RelationGetRelid(r->rri->ri_IndexRelationDescs[i]) == pk)
			p->index = r->rri->ri_IndexRelationDescs[i];
	if (p->index == NULL || p->index->rd_index->indnkeyatts != 1)
		elog(ERROR, "wes.%s has no one-column primary key", RelationGetRelationName(r->rel));
	eq = get_opfamily_member(p->index->rd_opfamily[0], p->index->rd_opcintype[0],
							 p->index->rd_opcintype[0], BTEqualStrategyNumber);
	if (!OidIsValid(eq))
		elog(ERROR, "no equality operator for the primary key of wes.%s", RelationGetRelationName(r->rel));
	fmgr_info(get_opcode(eq), &p->eq);
	PushCopiedSnapshot(GetTransactionSnapshot());	/* as SPI does for a statement */
	UpdateActiveSnapshotCommandId();
	p->snapshot = GetActiveSnapshot();
	p->slot = MakeSingleTupleTableSlot(r->desc, &TTSOpsBufferHeapTuple);
	p->scan = index_beginscan(r->rel, p->index, p->snapshot, 1, 0);
	return p;
}

/* Look key up; when found, p->slot holds the row (until the next probe) and its tuple id */
bool
wes_writer_probe(WesProbe *p, Datum key)
{
	ScanKeyData skey;

	ScanKeyEntryInitializeWithInfo(&skey, 0, 1, BTEqualStrategyNumber, InvalidOid,
								   p->index->rd_indcollation[0], &p->eq, key);
	index_rescan(p->scan, &skey, 1, NULL, 0);
	return index_getnext_slot(p->scan, ForwardScanDirection, p->slot);
}

/*
 * Look up n keys at once (in ascending order, each once): the index entries
 * of every key with one walk of the primary key's leaves, then the rows in
 * the order of the table's pages, each page read once through the buffer it
 * was last found in (btree_lookup.c).  take(arg, i, slot) is called for each
 * key i with a visible row, the row in p->slot until take returns.
 */
void
wes_writer_probe_many(WesProbe *p, const uint8 *const *keys, int n, int keylen, PGFunction order,
					  void (*take) (void *arg, int key, TupleTableSlot *row), void *arg)
{
	Relation	heap = p->scan->heapRelation;
	WesRecentBuffers *buffers = wes_recent_buffers(heap);
	int			nentries;
	WesKeyEntry *entries = wes_btree_lookup_keys(p->index, p->snapshot, keylen, order, keys, n, &nentries);
	Buffer		page = InvalidBuffer;
	HeapTupleData tuple;

	for (int i = 0; i < nentries; i++)
		if (wes_key_entry_fetch(buffers, heap, p->snapshot, entries, nentries, i, &page, &tuple, p->slot))
		{
			take(arg, entries[i].key, p->slot);
			ExecClearTuple(p->slot);
		}
	if (BufferIsValid(page))
		ReleaseBuffer(page);
	pfree(entries);
}

void
wes_writer_probe_end(WesProbe *p)
{
	index_endscan(p->scan);
	ExecDropSingleTupleTableSlot(p->slot);
	PopActiveSnapshot();
	pfree(p);
}

/* Replace one row by its tuple id with the row in slot (HOT when no indexed column changes) */
void
wes_writer_rel_update(WesRel *r, ItemPointer tid, TupleTableSlot *slot)
{
	bool		update_indexes;

	simple_table_tuple_update(r->rel, tid, slot, GetActiveSnapshot(), &update_indexes);
	if (update_indexes)
		(void) ExecInsertIndexTuples(r->rri, slot, r->rels->estate, false, false, NULL, NIL);
}

/* Write the rows still collected for every table (they stay invisible until wes_writer_rels_close) */
void
wes_writer_rels_flush(WesWriterRels *rels)
{
	for (int i = 0; i < WES_TABLE_COUNT; i++)
		wes_writer_rel_flush(&rels->rel[i]);
}

/* Write what is left, close everything, and make the rows visible to what follows */
void
wes_writer_rels_close(WesWriterRels *rels)
{
	wes_writer_rels_flush(rels);
	for (int i = 0; i < WES_TABLE_COUNT; i++)
	{
		WesRel	   *r = &rels->rel[i];

		for (int s = 0; s < WES_REL_BATCH && r->slots[s] != NULL; s++)
			ExecDropSingleTupleTableSlot(r->slots[s]);
		ExecCloseIndices(r->rri);
		MemoryContextDelete(r->rowcxt);
		table_close(r->rel, NoLock);
	}
	FreeExecutorState(rels->estate);
	CommandCounterIncrement();
}
