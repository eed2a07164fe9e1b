/*
 * outpoint_lookup.h
 *	  Many outpoints looked up in wes.outputs' primary key at once: the keys
 *	  sorted, one walk of the index's leaf level (btree_lookup.c), and the
 *	  entries found sorted by tuple id, so that the rows are then read in the
 *	  order of the table's pages, each page pinned once for all of its rows
 *	  (outpoint_lookup.c).  wes_utxo_lookup(wes_outpoint[]) reads rows this
 *	  way.  The writer does not: see docs/storage.md for what that cost it.
 */
#ifndef OUTPOINT_LOOKUP_H
#define OUTPOINT_LOOKUP_H

#include "postgres.h"

#include "port/pg_bswap.h"
#include "storage/itemptr.h"
#include "utils/relcache.h"
#include "utils/snapshot.h"

#include "wes_types.h"

/* An outpoint to look up, with its first 8 bytes as an integer for a quick compare */
typedef struct WesOutpointKey
{
	uint64		prefix;
	const uint8 *op;			/* WES_OUTPOINT_LEN bytes of the caller's */
} WesOutpointKey;

/* An index entry found: the root of a row's HOT chain, and the key it was found under */
typedef struct WesOutpointEntry
{
	uint64		tid;			/* block << 16 | offset: sorts in page order */
	const uint8 *op;			/* the key's outpoint */
} WesOutpointEntry;

static inline void
wes_outpoint_key_set(WesOutpointKey *k, const uint8 *op)
{
	uint64		prefix;

	memcpy(&prefix, op, sizeof(prefix));
	k->prefix = pg_ntoh64(prefix);
	k->op = op;
}

static inline void
wes_outpoint_entry_tid(const WesOutpointEntry *e, ItemPointer tid)
{
	ItemPointerSet(tid, (BlockNumber) (e->tid >> 16), (OffsetNumber) (e->tid & 0xFFFF));
}

/* Sort keys in byte order and drop repeats; returns how many are left */
extern int	wes_outpoint_keys_sort(WesOutpointKey *keys, int n);

/*
 * The entries of index (wes.outputs' primary key) under the sorted, distinct
 * keys that a scan under snapshot reads, sorted by tuple id; *nentries
 * receives their count.  A key may have several (versions of its row).
 */
extern WesOutpointEntry *wes_outpoint_entries(Relation index, Snapshot snapshot,
											  const WesOutpointKey *keys, int nkeys, int *nentries);

/* XX002 when the row found at tid under entry e is not the outpoint e was found under */
extern void wes_outpoint_entry_check(Relation index, const WesOutpointEntry *e, const uint8 *row_op,
									 ItemPointer tid);

#endif							/* OUTPOINT_LOOKUP_H */
