/*
 * outpoint_lookup.c
 *	  Many outpoints looked up in wes.outputs' primary key at once: sort the
 *	  keys, walk the index once in key order, sort what was found by tuple id.
 *	  See outpoint_lookup.h.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "btree_lookup.h"
#include "outpoint_lookup.h"

static inline int
key_cmp(const WesOutpointKey *a, const WesOutpointKey *b)
{
	if (a->prefix != b->prefix)
		return a->prefix < b->prefix ? -1 : 1;
	return memcmp(a->op, b->op, WES_OUTPOINT_LEN);
}

#define ST_SORT sort_keys
#define ST_ELEMENT_TYPE WesOutpointKey
#define ST_COMPARE(a, b) key_cmp(a, b)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

static inline int
entry_cmp(const WesOutpointEntry *a, const WesOutpointEntry *b)
{
	return a->tid < b->tid ? -1 : a->tid > b->tid;
}

#define ST_SORT sort_entries
#define ST_ELEMENT_TYPE WesOutpointEntry
#define ST_COMPARE(a, b) entry_cmp(a, b)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

int
wes_outpoint_keys_sort(WesOutpointKey *keys, int n)
{
	int			m = 0;

	sort_keys(keys, n);
	for (int i = 0; i < n; i++)
		if (m == 0 || key_cmp(&keys[m - 1], &keys[i]) != 0)
			keys[m++] = keys[i];
	return m;
}

WesOutpointEntry *
wes_outpoint_entries(Relation index, Snapshot snapshot, const WesOutpointKey *keys, int nkeys, int *nentries)
{
	WesBtreeLookup *walk = wes_btree_lookup_begin(index, snapshot, WES_OUTPOINT_LEN, wes_outpoint_cmp);
	MemoryContext keycxt = AllocSetContextCreate(CurrentMemoryContext, "wes outpoint lookup",
												 ALLOCSET_SMALL_SIZES);
	int			size = Max(nkeys, 1);
	int			n = 0;
	WesOutpointEntry *entries = palloc_extended(sizeof(WesOutpointEntry) * size, MCXT_ALLOC_HUGE);

	for (int i = 0; i < nkeys; i++)
	{
		MemoryContext old = MemoryContextSwitchTo(keycxt);
		const ItemPointerData *tids;
		int			ntids;

		CHECK_FOR_INTERRUPTS();
		ntids = wes_btree_lookup(walk, keys[i].op, &tids);
		MemoryContextSwitchTo(old);
		for (int t = 0; t < ntids; t++)
		{
			if (n == size)
			{
				size *= 2;		/* other versions of some rows */
				entries = repalloc_huge(entries, sizeof(WesOutpointEntry) * size);
			}
			entries[n].tid = (uint64) ItemPointerGetBlockNumber(&tids[t]) << 16 |
				ItemPointerGetOffsetNumber(&tids[t]);
			entries[n++].op = keys[i].op;
		}
		MemoryContextReset(keycxt);
	}
	MemoryContextDelete(keycxt);
	wes_btree_lookup_end(walk);
	sort_entries(entries, n);
	*nentries = n;
	return entries;
}

void
wes_outpoint_entry_check(Relation index, const WesOutpointEntry *e, const uint8 *row_op, ItemPointer tid)
{
	if (memcmp(row_op, e->op, WES_OUTPOINT_LEN) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("an entry of index \"%s\" points to the row of another outpoint, %s:%u at (%u,%u)",
						RelationGetRelationName(index), wes_hex_encode(row_op, WES_HASH_LEN),
						wes_outpoint_get_index((const WesOutpoint *) row_op),
						ItemPointerGetBlockNumber(tid), ItemPointerGetOffsetNumber(tid)),
				 errhint("Run wes_verify().")));
}
