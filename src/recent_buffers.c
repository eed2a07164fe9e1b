/*
 * recent_buffers.c
 *	  Read a relation's pages through the shared buffer each was last found
 *	  in, and bring pages about to be read into the CPU's caches.
 *
 * ReadBuffer finds a page in the shared buffer mapping table, a hash table
 * with an entry per shared buffer (half a million of them in 4 GB), under one
 * of its partition locks.  A page that is not hot in the CPU's caches costs
 * two or three cache misses there before its own; a batched lookup reads
 * about 17k such pages for 10k outpoints, and the mapping table was a fifth
 * of its profile.  This module keeps, for each relation a backend reads this
 * way, the buffer each block was last found in: an array indexed by block
 * number, 4 bytes a block (200 kB for a 400 MB table), in the backend's top
 * memory context for the backend's life.  A block is read with
 * ReadRecentBuffer, which checks the buffer's tag under the buffer header's
 * lock and pins it; when the buffer holds another page by now, ReadBuffer
 * finds it as usual and the map learns the new buffer.  A stale entry costs
 * one failed check, never a wrong page.  (ReadRecentBuffer does not raise the
 * buffer's usage count, as ReadBuffer does, so pages read only this way age
 * out of shared buffers sooner under memory pressure.)
 *
 * The map also tells where a page about to be read lies in memory, so that a
 * caller that knows its next pages (a lookup walking sorted keys or tuple
 * ids) can have the CPU load their first cache lines some reads ahead, and
 * the misses of many pages overlap instead of following one another.  A
 * prefetch is a hint: it reads the page without a pin or a lock, so what it
 * finds there may already belong to another page, and it only ever uses what
 * it reads as an address to prefetch, bounded to the page.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "pgstat.h"
#include "storage/buf_internals.h"
#include "storage/bufmgr.h"
#include "storage/bufpage.h"
#include "storage/itemid.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "recent_buffers.h"
#include "wes_persist.h"

/* Blocks beyond this are read without the map (a 16 MB array: a 32 GB relation) */
#define MAX_MAPPED_BLOCKS	(1U << 22)

/* Relations mapped at a time; the least recently opened one is forgotten */
#define MAX_MAPPED_RELATIONS	8

#define CACHE_LINE	64

struct WesRecentBuffers
{
	Oid			relid;			/* InvalidOid: a free slot */
	RelFileNode node;			/* the relation's file when the map was made */
	Buffer	   *buffers;		/* by block number; InvalidBuffer: not known */
	BlockNumber size;			/* entries in buffers */
	uint64		opened;			/* when wes_recent_buffers last returned it */
};

static WesRecentBuffers maps[MAX_MAPPED_RELATIONS];
static uint64 opens;

static void
forget(WesRecentBuffers *r)
{
	if (r->buffers != NULL)
		pfree(r->buffers);
	memset(r, 0, sizeof(*r));
}

WesRecentBuffers *
wes_recent_buffers(Relation rel)
{
	WesRecentBuffers *oldest = &maps[0];

	if (!wes_recent_buffers_on || RelationUsesLocalBuffers(rel))
		return NULL;
	for (int i = 0; i < MAX_MAPPED_RELATIONS; i++)
	{
		WesRecentBuffers *r = &maps[i];

		if (r->relid == RelationGetRelid(rel))
		{
			if (!RelFileNodeEquals(r->node, rel->rd_node))
				forget(r);		/* truncated or rewritten since: other blocks */
			else
			{
				r->opened = ++opens;
				return r;
			}
		}
		if (r->opened < oldest->opened)
			oldest = r;
	}
	forget(oldest);
	oldest->relid = RelationGetRelid(rel);
	oldest->node = rel->rd_node;
	oldest->opened = ++opens;
	return oldest;
}

/* The buffer blk was last read from, or InvalidBuffer */
static inline Buffer
recent(const WesRecentBuffers *r, BlockNumber blk)
{
	return r != NULL && blk < r->size ? r->buffers[blk] : InvalidBuffer;
}

/* Remember that blk was read from buf, growing the map as needed */
static void
remember(WesRecentBuffers *r, BlockNumber blk, Buffer buf)
{
	if (r == NULL || blk >= MAX_MAPPED_BLOCKS || BufferIsLocal(buf))
		return;
	if (blk >= r->size)
	{
		BlockNumber size = Max(Min((BlockNumber) MAX_MAPPED_BLOCKS, Max(blk + 1, r->size * 2)), 1024);
		Size		bytes = sizeof(Buffer) * size;

		r->buffers = r->buffers == NULL ?
			MemoryContextAllocExtended(TopMemoryContext, bytes, MCXT_ALLOC_HUGE) :
			repalloc_huge(r->buffers, bytes);
		memset(r->buffers + r->size, 0, sizeof(Buffer) * (size - r->size));	/* InvalidBuffer is 0 */
		r->size = size;
	}
	r->buffers[blk] = buf;
}

Buffer
wes_recent_read(WesRecentBuffers *r, Relation rel, BlockNumber blk)
{
	Buffer		buf = recent(r, blk);

	if (BufferIsValid(buf) && ReadRecentBuffer(rel->rd_node, MAIN_FORKNUM, blk, buf))
	{
		/* counted as ReadBuffer counts a hit */
		pgstat_count_buffer_read(rel);
		pgstat_count_buffer_hit(rel);
		return buf;
	}
	buf = ReadBuffer(rel, blk);
	remember(r, blk, buf);
	return buf;
}

Buffer
wes_recent_release_and_read(WesRecentBuffers *r, Buffer buf, Relation rel, BlockNumber blk)
{
	if (BufferIsValid(buf))
	{
		if (BufferGetBlockNumber(buf) == blk)
			return buf;
		ReleaseBuffer(buf);
	}
	return wes_recent_read(r, rel, blk);
}

bool
wes_recent_fetch(WesRecentBuffers *r, Relation rel, Buffer *page, ItemPointer tid, Snapshot snapshot, HeapTuple tuple)
{
	Buffer		prev = *page;
	ItemPointerData found_tid = *tid;
	bool		all_dead;
	bool		found;

	*page = wes_recent_release_and_read(r, *page, rel, ItemPointerGetBlockNumber(tid));
	if (*page != prev)
		heap_page_prune_opt(rel, *page);	/* once per page, as an index scan prunes */
	LockBuffer(*page, BUFFER_LOCK_SHARE);
	found = heap_hot_search_buffer(&found_tid, rel, *page, snapshot, tuple, &all_dead, true);
	tuple->t_self = found_tid;	/* the version found */
	tuple->t_tableOid = RelationGetRelid(rel);
	LockBuffer(*page, BUFFER_LOCK_UNLOCK);
	return found;
}

/* Whether the line pointer of item off lies within a page */
static inline bool
item_on_page(unsigned off)
{
	return off >= FirstOffsetNumber && SizeOfPageHeaderData + off * sizeof(ItemIdData) <= BLCKSZ;
}

void
wes_recent_prefetch_page(WesRecentBuffers *r, BlockNumber blk, OffsetNumber off)
{
	Buffer		buf = recent(r, blk);
	const char *page;

	if (!BufferIsValid(buf))
		return;
	page = (const char *) BufferGetPage(buf);
	__builtin_prefetch(GetBufferDescriptor(buf - 1));
	__builtin_prefetch(page);
	if (off == InvalidOffsetNumber)
		__builtin_prefetch(page + BLCKSZ - 1);	/* the special space is at the end */
	else if (item_on_page(off))
		__builtin_prefetch(PageGetItemId((Page) page, off));
}

int
wes_recent_page_items(WesRecentBuffers *r, BlockNumber blk)
{
#ifndef USE_VALGRIND			/* the page is read unpinned, which Valgrind builds forbid */
	Buffer		buf = recent(r, blk);
	LocationIndex lower;

	if (!BufferIsValid(buf))
		return 0;
	lower = ((PageHeader) BufferGetPage(buf))->pd_lower;	/* a hint: bounded before use */
	if (lower > SizeOfPageHeaderData && lower <= BLCKSZ)
		return (lower - SizeOfPageHeaderData) / sizeof(ItemIdData);
#endif
	return 0;
}

void
wes_recent_prefetch_item(WesRecentBuffers *r, BlockNumber blk, OffsetNumber off)
{
#ifndef USE_VALGRIND			/* the page is read unpinned, which Valgrind builds forbid */
	Buffer		buf = recent(r, blk);
	const char *page;
	ItemIdData	lp;

	if (!BufferIsValid(buf) || !item_on_page(off))
		return;
	page = (const char *) BufferGetPage(buf);
	lp = *PageGetItemId((Page) page, off);	/* a hint: bounded before use */
	if (lp.lp_flags == LP_REDIRECT && item_on_page(lp.lp_off))
		lp = *PageGetItemId((Page) page, lp.lp_off);	/* the root of a pruned HOT chain */
	if (lp.lp_flags != LP_NORMAL || lp.lp_off + lp.lp_len > BLCKSZ)
		return;
	for (uintptr_t line = (uintptr_t) (page + lp.lp_off) & ~(uintptr_t) (CACHE_LINE - 1);
		 line < (uintptr_t) (page + lp.lp_off + lp.lp_len); line += CACHE_LINE)
		__builtin_prefetch((const void *) line);
#endif
}
