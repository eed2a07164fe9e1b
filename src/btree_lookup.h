/*
 * btree_lookup.h
 *	  Look up many keys of a one-column B-tree in ascending order, reading
 *	  each leaf from the level-1 page above it instead of descending from the
 *	  root for each key (btree_lookup.c).
 */
#ifndef BTREE_LOOKUP_H
#define BTREE_LOOKUP_H

#include "postgres.h"

#include "fmgr.h"
#include "access/htup.h"
#include "storage/block.h"
#include "storage/buf.h"
#include "storage/itemptr.h"
#include "storage/off.h"
#include "utils/relcache.h"
#include "utils/snapshot.h"

typedef struct WesBtreeLookup WesBtreeLookup;
struct WesRecentBuffers;
struct TupleTableSlot;

/*
 * Begin looking up keys of index: a B-tree whose one key column is a
 * fixed-length keylen-byte type ordered by order (a comparison in memcmp order
 * of the bytes, checked against the index's own).  The entries found are
 * those a scan under snapshot (MVCC) reads; the caller checks the rows.
 */
extern WesBtreeLookup *wes_btree_lookup_begin(Relation index, Snapshot snapshot, int keylen, PGFunction order);

/*
 * The heap tuple ids of the entries of key, at most one per row version;
 * keys must come in strictly ascending order.  *tids stays valid until the
 * next call.  No buffer lock is held on return.
 */
extern int	wes_btree_lookup(WesBtreeLookup *w, const uint8 *key, const ItemPointerData **tids);

/*
 * Have the CPU load, without waiting, the parts of the leaf page where key is
 * likely found that its lookup will read: called for each key, in the order
 * of the lookups, some keys ahead of them (the loads of a key are spread over
 * the calls for the keys after it, each using what the one before loaded)
 */
extern void wes_btree_lookup_prefetch(WesBtreeLookup *w, const uint8 *key);

extern void wes_btree_lookup_end(WesBtreeLookup *w);

/* An index entry of one of a batch of keys: its heap tuple id as one integer, in tuple id order */
typedef struct WesKeyEntry
{
	uint64		tid;			/* block << 16 | offset */
	int			key;			/* which of the keys */
} WesKeyEntry;

static inline BlockNumber
wes_key_entry_block(const WesKeyEntry *e)
{
	return (BlockNumber) (e->tid >> 16);
}

static inline OffsetNumber
wes_key_entry_offset(const WesKeyEntry *e)
{
	return (OffsetNumber) (e->tid & 0xFFFF);
}

/*
 * The index entries of n keys (in ascending order, each once) found with one
 * walk, sorted by heap tuple id so that their rows can be read in the order
 * of the table's pages; *nentries receives their count (a key has more than
 * one when its row has other versions).  The arguments before keys are
 * wes_btree_lookup_begin's.
 */
extern WesKeyEntry *wes_btree_lookup_keys(Relation index, Snapshot snapshot, int keylen, PGFunction order,
										  const uint8 *const *keys, int n, int *nentries);

/*
 * The row of entries[i] (of n, read in that order), as an index scan's heap
 * fetch finds it (wes_recent_fetch, through buffers, the table's map in
 * recent_buffers.c), stored in slot; the CPU is first asked to load, without
 * waiting, the pages and rows of the entries a few places ahead.  *page and
 * tuple are wes_recent_fetch's.  False when snapshot sees no version of it.
 */
extern bool wes_key_entry_fetch(struct WesRecentBuffers *buffers, Relation heap, Snapshot snapshot,
								const WesKeyEntry *entries, int n, int i,
								Buffer *page, HeapTuple tuple, struct TupleTableSlot *slot);

#endif							/* BTREE_LOOKUP_H */
