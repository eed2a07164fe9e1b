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
#include "storage/itemptr.h"
#include "utils/relcache.h"
#include "utils/snapshot.h"

typedef struct WesBtreeLookup WesBtreeLookup;

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

#endif							/* BTREE_LOOKUP_H */
