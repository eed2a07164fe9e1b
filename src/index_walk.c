/*
 * index_walk.c
 *	  Delete the rows of a table whose key (a wes_hash under a B-tree) is one
 *	  of a sorted list, walking the leaf level forward instead of descending
 *	  the tree once per key.
 *
 * A `key = ANY(array)` scan descends from the root once per key.  When the keys
 * are dense in the index (the txids of the last 100 blocks of a chain are a
 * tenth of its receipts) most of them sit on the same leaf pages, so reading
 * the leaf level forward and matching it against the sorted list costs far
 * less.  Across a gap too wide to read through, the walk descends again at the
 * next key.  Hashes are uniform, so the width of a gap in index entries is
 * estimated from the difference of the keys' first 8 bytes and the index's
 * tuple count; a cap on the entries read without a match bounds the cost where
 * that estimate is off.  A matching entry's row is fetched under the current
 * snapshot (following its HOT chain), checked to hold that key, and deleted in
 * place, as the writer inserts in place: nothing is collected, so a large
 * rollback holds no list of rows.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/nbtree.h"
#include "access/relscan.h"
#include "access/skey.h"
#include "access/tableam.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "index_walk.h"

/* Entries read forward, at most, in the hope of reaching the next key */
#define WALK_MAX_STEPS	64

/* The first 8 bytes of a hash as an unsigned integer in memcmp order */
static uint64
hash_prefix(const WesHash *h)
{
	uint64		v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | h->data[i];
	return v;
}

/* Is the next wanted key too far ahead of the entry just read to walk there? */
static bool
gap_too_wide(const WesHash *at, const WesHash *want, double entries, int steps)
{
	if (steps >= WALK_MAX_STEPS)
		return true;
	if (entries <= 0)
		return false;
	return (double) (hash_prefix(want) - hash_prefix(at)) / 18446744073709551616.0 * entries > WALK_MAX_STEPS;
}

/* The function of the index's >= operator on its first column */
static void
ge_function(Relation index, FmgrInfo *ge)
{
	Oid			opno = get_opfamily_member(index->rd_opfamily[0], index->rd_opcintype[0],
										   index->rd_opcintype[0], BTGreaterEqualStrategyNumber);

	if (!OidIsValid(opno))
		elog(ERROR, "index \"%s\" has no >= operator", RelationGetRelationName(index));
	fmgr_info(get_opcode(opno), ge);
}

/* Position the scan at the first entry >= key */
static void
descend(IndexScanDesc scan, FmgrInfo *ge, const WesHash *key)
{
	ScanKeyData skey;

	ScanKeyEntryInitializeWithInfo(&skey, 0, 1, BTGreaterEqualStrategyNumber, InvalidOid,
								   scan->indexRelation->rd_indcollation[0], ge, PointerGetDatum(key));
	index_rescan(scan, &skey, 1, NULL, 0);
}

/* Delete the visible row the scan's current entry (of key) leads to, if any */
static uint64
delete_current(IndexScanDesc scan, TupleTableSlot *slot, const WesHash *key)
{
	AttrNumber	column = scan->indexRelation->rd_index->indkey.values[0];
	bool		isnull;

	if (!index_fetch_heap(scan, slot))
		return 0;
	if (memcmp(DatumGetPointer(slot_getattr(slot, column, &isnull)), key->data, WES_HASH_LEN) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" leads to a row of another key", RelationGetRelationName(scan->indexRelation)),
				 errhint("Run wes_verify().")));
	simple_heap_delete(scan->heapRelation, &slot->tts_tid);
	return 1;
}

/*
 * Delete the rows of heap whose key, the first column of index (a B-tree on
 * a wes_hash), is one of keys[0..n-1] (sorted ascending, no duplicates);
 * returns how many went
 */
uint64
wes_index_walk_delete(Relation heap, Relation index, const WesHash *keys, int n)
{
	Snapshot	snapshot = RegisterSnapshot(GetTransactionSnapshot());
	IndexScanDesc scan = index_beginscan(heap, index, snapshot, 1, 0);
	TupleTableSlot *slot = table_slot_create(heap, NULL);
	double		entries = index->rd_rel->reltuples;
	uint64		deleted = 0;
	FmgrInfo	ge;
	int			j = 0;

	ge_function(index, &ge);
	scan->xs_want_itup = true;
	while (j < n)
	{
		int			steps = 0;
		ItemPointer tid;

		descend(scan, &ge, &keys[j]);
		while ((tid = index_getnext_tid(scan, ForwardScanDirection)) != NULL)
		{
			bool		isnull;
			const WesHash *at = (const WesHash *) DatumGetPointer(index_getattr(scan->xs_itup, 1, scan->xs_itupdesc,
																				 &isnull));
			int			c = 0;

			CHECK_FOR_INTERRUPTS();
			while (j < n && (c = memcmp(keys[j].data, at->data, WES_HASH_LEN)) < 0)
				j++;			/* not in the index */
			if (j == n)
				break;
			if (c == 0)
			{
				deleted += delete_current(scan, slot, &keys[j]);
				steps = 0;
			}
			else if (gap_too_wide(at, &keys[j], entries, ++steps))
				break;
		}
		if (tid == NULL)
			break;				/* the end of the index: the rest are not in it */
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	UnregisterSnapshot(snapshot);
	return deleted;
}
