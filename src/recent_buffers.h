/*
 * recent_buffers.h
 *	  Read a relation's pages through the shared buffer each was last found in,
 *	  and bring pages about to be read into the CPU's caches (recent_buffers.c).
 */
#ifndef RECENT_BUFFERS_H
#define RECENT_BUFFERS_H

#include "postgres.h"

#include "access/htup.h"
#include "storage/block.h"
#include "storage/buf.h"
#include "storage/off.h"
#include "storage/itemptr.h"
#include "utils/relcache.h"
#include "utils/snapshot.h"

typedef struct WesRecentBuffers WesRecentBuffers;

/*
 * The backend's map of rel's blocks to the buffers they were last read from
 * (kept for the life of the backend); NULL for a relation whose pages are not
 * in shared buffers, or when wes_persist.recent_buffers is off.  The functions
 * below accept NULL: they read as ReadBuffer does, and prefetch nothing.
 */
extern WesRecentBuffers *wes_recent_buffers(Relation rel);

/* Pin block blk of rel's main fork, as ReadBuffer does */
extern Buffer wes_recent_read(WesRecentBuffers *r, Relation rel, BlockNumber blk);

/* As ReleaseAndReadBuffer, for buf of rel (or invalid): keep buf when it holds blk, else release it and read blk */
extern Buffer wes_recent_release_and_read(WesRecentBuffers *r, Buffer buf, Relation rel, BlockNumber blk);

/*
 * The version snapshot sees of the heap row whose HOT chain starts at tid, as
 * an index scan's heap fetch finds it (heapam_index_fetch_tuple): into tuple,
 * which points into the page then pinned in *page.  *page is the page of the
 * fetch before (or InvalidBuffer): kept when it holds tid's block, else
 * released.  False when snapshot sees no version of the row.
 */
extern bool wes_recent_fetch(WesRecentBuffers *r, Relation rel, Buffer *page, ItemPointer tid,
							 Snapshot snapshot, HeapTuple tuple);

/*
 * Ask the CPU to load, without waiting, what reading item off of block blk
 * will touch first: the buffer's descriptor, the page's header and the line
 * pointer of off (off 0: the page's special space instead).  Nothing happens
 * when the map has no buffer for blk.
 */
extern void wes_recent_prefetch_page(WesRecentBuffers *r, BlockNumber blk, OffsetNumber off);

/*
 * The number of items on block blk's page as the map's buffer holds it now: a
 * hint read without a pin (0 when unknown)
 */
extern int	wes_recent_page_items(WesRecentBuffers *r, BlockNumber blk);

/*
 * Ask the CPU to load item off of block blk, found through its line pointer:
 * some time after wes_recent_prefetch_page of the same item
 */
extern void wes_recent_prefetch_item(WesRecentBuffers *r, BlockNumber blk, OffsetNumber off);

#endif							/* RECENT_BUFFERS_H */
