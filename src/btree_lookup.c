/*
 * btree_lookup.c
 *	  Look up many keys of a one-column B-tree in ascending order with one
 *	  walk of its leaf level.  wes_utxo_lookup(wes_outpoint[]) finds its
 *	  outpoints this way (queries_lookup.c), and so does the writer the
 *	  stored outputs a block spends (writer_rel.c).
 *
 * An index scan per key (or `key = ANY(array)`, which is the same thing)
 * descends from the root for every key, comparing through the operator
 * class's function at each level.  Here the keys come sorted, and the walk
 * keeps two pages pinned (not locked) between keys: the leaf where the last
 * key was found and the level-1 page above it.  A key is looked for on that
 * leaf first; when it lies beyond the leaf's high key, the level-1 page gives
 * the leaf it is on (one page locked at a time, as in a descent), and only a
 * key beyond that level-1 page's high key descends from the root again.
 * Pages are searched comparing bytes, with no function call per compare.  The
 * keys are hashes, spread evenly between any two bounds, so a leaf is first
 * probed where the key's place between the page's bounds says it should be
 * (interpolation), and binary-searched only in the few entries left.  With
 * 10k random keys among 2M entries, about 7k leaves are read, nearly every one
 * straight from the level-1 page above it, in 4.3 probes a key where a binary
 * search takes 7.2: every probe of a page out of the CPU's caches is a miss.
 * Leaves are read through the shared buffer each was last found in, and a
 * caller can have the CPU load the first lines of the leaf of a key ahead
 * (wes_btree_lookup_prefetch; recent_buffers.c).
 *
 * The rules are those of nbtree's own scans (nbtsearch.c): a page is read
 * under a share lock; Lehman and Yao's right-links make a step right safe
 * without holding the left page, and a split that happened while the page was
 * unlocked moved entries to the right only, so the high key tells whether to
 * move on; deleted and half-dead pages are skipped; entries marked dead are
 * skipped except in a transaction that started in recovery (the marks may be
 * the primary's); a key equal to the high key may have more entries on the
 * right page (other versions of its row); a leaf reached from a level-1 page
 * read earlier may have split since, so the walk moves right from it as
 * _bt_moveright does.  A level-1 page kept pinned cannot be recycled while
 * the walk's snapshot is held, and if it was split or deleted since, its high
 * key or its flags say so.  Under an MVCC snapshot the tuple
 * ids need no pin on the leaf once read (a slot VACUUM frees and reuses can
 * only hold a row the snapshot cannot see).  Leaf pages read are
 * predicate-locked, as a scan's are, for serializable transactions.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/nbtree.h"
#include "access/xact.h"
#include "catalog/pg_am_d.h"
#include "pgstat.h"
#include "executor/tuptable.h"
#include "port/pg_bswap.h"
#include "storage/bufmgr.h"
#include "storage/predicate.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "btree_lookup.h"
#include "recent_buffers.h"

/*
 * wes_btree_lookup_prefetch's guesses for the keys ahead: the leaf a level-1
 * page points to for the key, its bounds there, and the item of the leaf that
 * interpolation will probe first.  The CPU is asked to load the leaf's first
 * lines at once, the line pointers around that probe LINES_LAG calls later
 * (the header says how many items the page has by then) and the entries they
 * point to ROWS_LAG calls later: in three steps, each reading only what the
 * step before loaded.
 */
#define LEAF_GUESSES	8		/* a power of two, more than ROWS_LAG */
#define LINES_LAG		4
#define ROWS_LAG		6
#define PROBE_SPREAD	4		/* items on either side of a first probe, for the probes after */

typedef struct LeafGuess
{
	BlockNumber leaf;			/* InvalidBlockNumber: no guess */
	uint64		low;			/* the leaf's bounds in the level-1 page (first 8 bytes of keys) */
	uint64		high;
	uint64		key;			/* the key's first 8 bytes */
	OffsetNumber probe;			/* the first probe, once known; or InvalidOffsetNumber */
} LeafGuess;

struct WesBtreeLookup
{
	Relation	index;
	Snapshot	snapshot;
	int			keylen;
	WesRecentBuffers *buffers;	/* where the index's pages were last found */
	bool		skip_dead;		/* skip entries marked dead (not in a transaction started in recovery) */
	BTScanInsertData search;	/* key of a descent from the root */
	Buffer		buf;			/* the leaf page read last: pinned, unlocked between keys; or invalid */
	Buffer		parent;			/* the level-1 page the last descent went through: pinned, unlocked; or invalid */
	uint64		low;			/* no key on the leaf in buf begins below this (its first 8 bytes as an integer) */
	LeafGuess	guesses[LEAF_GUESSES];	/* of wes_btree_lookup_prefetch */
	uint32		nguesses;
	ItemPointerData *tids;		/* the entries of the current key (in the context of begin) */
	int			ntids;
	int			maxtids;
};

WesBtreeLookup *
wes_btree_lookup_begin(Relation index, Snapshot snapshot, int keylen, PGFunction order)
{
	WesBtreeLookup *w = palloc0(sizeof(WesBtreeLookup));
	Form_pg_attribute att = TupleDescAttr(RelationGetDescr(index), 0);
	FmgrInfo   *proc;

	if (keylen < sizeof(uint64) || index->rd_rel->relam != BTREE_AM_OID || IndexRelationGetNumberOfKeyAttributes(index) != 1 ||
		att->attlen != keylen || att->attbyval || (index->rd_indoption[0] & INDOPTION_DESC) != 0)
		elog(ERROR, "index \"%s\" is not an ascending B-tree on one %d-byte key", RelationGetRelationName(index), keylen);
	proc = index_getprocinfo(index, 1, BTORDER_PROC);
	if (proc->fn_addr != order)
		elog(ERROR, "index \"%s\" does not use the byte order of its key type", RelationGetRelationName(index));
	if (!IsMVCCSnapshot(snapshot))
		elog(ERROR, "a B-tree lookup needs an MVCC snapshot");

	w->index = index;
	w->snapshot = snapshot;
	w->keylen = keylen;
	w->buffers = wes_recent_buffers(index);
	w->skip_dead = !TransactionStartedDuringRecovery();
	_bt_metaversion(index, &w->search.heapkeyspace, &w->search.allequalimage);
	w->search.anynullkeys = false;
	w->search.nextkey = false;	/* the first entry >= key */
	w->search.pivotsearch = false;
	w->search.scantid = NULL;
	w->search.keysz = 1;
	ScanKeyEntryInitializeWithInfo(&w->search.scankeys[0], 0, 1, InvalidStrategy, InvalidOid,
								   index->rd_indcollation[0], proc, (Datum) 0);
	w->buf = InvalidBuffer;
	w->parent = InvalidBuffer;
	w->maxtids = 8;
	w->tids = palloc(w->maxtids * sizeof(ItemPointerData));
	pgstat_count_index_scan(index);
	return w;
}

void
wes_btree_lookup_end(WesBtreeLookup *w)
{
	if (BufferIsValid(w->buf))
		ReleaseBuffer(w->buf);
	if (BufferIsValid(w->parent))
		ReleaseBuffer(w->parent);
	pfree(w->tids);
	pfree(w);
}

/* The page just locked in w->buf was reached by a descent, a step right or from a level-1 page */
static void
arrived(WesBtreeLookup *w)
{
	TestForOldSnapshot(w->snapshot, w->index, BufferGetPage(w->buf));
	PredicateLockPage(w->index, BufferGetBlockNumber(w->buf), w->snapshot);
}

/*
 * Pin the level-1 page that a descent went through last (the top of its
 * stack), for the keys after: most are found from it without a descent
 */
static void
keep_parent(WesBtreeLookup *w, BTStack stack)
{
	if (stack == NULL || !w->search.heapkeyspace)
	{
		/* the root is a leaf (or the index predates heap keys): descend each time */
		if (BufferIsValid(w->parent))
			ReleaseBuffer(w->parent);
		w->parent = InvalidBuffer;
	}
	else if (!BufferIsValid(w->parent) || BufferGetBlockNumber(w->parent) != stack->bts_blkno)
		w->parent = ReleaseAndReadBuffer(w->parent, w->index, stack->bts_blkno);
}

/*
 * Descend from the root to the leaf page where key belongs (locked), leaving
 * the leaf of the key before (unlocked); false on an empty index
 */
static bool
descend(WesBtreeLookup *w, const uint8 *key)
{
	BTStack		stack;

	if (BufferIsValid(w->buf))
		ReleaseBuffer(w->buf);
	w->buf = InvalidBuffer;
	w->low = 0;
	w->search.scankeys[0].sk_argument = PointerGetDatum(key);
	stack = _bt_search(w->index, &w->search, &w->buf, BT_READ, w->snapshot);
	keep_parent(w, stack);
	_bt_freestack(stack);
	if (!BufferIsValid(w->buf))
		return false;
	arrived(w);
	return true;
}

/* Move from the locked page in w->buf to its live right sibling (locked); false at the right end */
static bool
step_right(WesBtreeLookup *w)
{
	for (;;)
	{
		BlockNumber next = BTPageGetOpaque(BufferGetPage(w->buf))->btpo_next;

		if (next == P_NONE)
		{
			_bt_relbuf(w->index, w->buf);
			w->buf = InvalidBuffer;
			return false;
		}
		w->buf = _bt_relandgetbuf(w->index, w->buf, next, BT_READ);
		w->low = 0;
		TestForOldSnapshot(w->snapshot, w->index, BufferGetPage(w->buf));
		if (!P_IGNORE(BTPageGetOpaque(BufferGetPage(w->buf))))
		{
			arrived(w);
			return true;
		}
	}
}

/* The first 8 bytes of a key as an integer in memcmp order */
static inline uint64
key_prefix(const uint8 *key)
{
	uint64		v;

	memcpy(&v, key, sizeof(v));
	return pg_ntoh64(v);
}

/* The key of index tuple itup (NULL when the key is NULL) */
static inline const uint8 *
tuple_key(IndexTuple itup)
{
	if (IndexTupleHasNulls(itup))
		return NULL;
	return (const uint8 *) itup + IndexInfoFindDataOffset(itup->t_info);
}

/*
 * key against the key of index tuple itup, in index order (a NULL key sorts
 * last).  The first 8 bytes, compared as an integer, settle almost every
 * comparison of hashes without a call of memcmp.
 */
static inline int
key_cmp(const WesBtreeLookup *w, const uint8 *key, IndexTuple itup)
{
	const uint8 *k = tuple_key(itup);
	uint64		a;
	uint64		b;

	if (k == NULL)
		return -1;
	a = key_prefix(key);
	b = key_prefix(k);
	if (a != b)
		return a < b ? -1 : 1;
	return memcmp(key + sizeof(a), k + sizeof(b), w->keylen - sizeof(a));
}

/* The first 8 bytes of the key of index tuple itup as an integer (NULL sorts last) */
static inline uint64
tuple_prefix(IndexTuple itup)
{
	const uint8 *k = tuple_key(itup);

	return k == NULL ? PG_UINT64_MAX : key_prefix(k);
}

/*
 * key against pivot tuple itup of an internal page (or a high key), as
 * _bt_compare orders them: a pivot whose key column is truncated is minus
 * infinity, and key is above a pivot of the same key whose heap tuple id was
 * truncated (every entry of key is then on the right of it)
 */
static inline int
pivot_cmp(const WesBtreeLookup *w, const uint8 *key, IndexTuple itup)
{
	int			c;

	if (BTreeTupleGetNAtts(itup, w->index) < 1)
		return 1;
	c = key_cmp(w, key, itup);
	if (c == 0 && BTreeTupleGetHeapTID(itup) == NULL)
		return 1;
	return c;
}

/*
 * The offset of the first item in lo..hi-1 of the locked page that is not
 * below key (hi when there is none): leaf entries, or the pivots of an
 * internal page
 */
static OffsetNumber
binary_search(const WesBtreeLookup *w, Page page, const uint8 *key, OffsetNumber lo, OffsetNumber hi, bool pivots)
{
	while (lo < hi)
	{
		OffsetNumber mid = lo + (hi - lo) / 2;
		IndexTuple	itup = (IndexTuple) PageGetItem(page, PageGetItemId(page, mid));

		if ((pivots ? pivot_cmp(w, key, itup) : key_cmp(w, key, itup)) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Where a key whose first 8 bytes are k falls among items lo .. hi - 1, if the
 * keys there spread evenly from low to high; InvalidOffsetNumber when k is not
 * between them (the interpolation of first_not_below, and of first_probe's guess)
 */
static inline OffsetNumber
interpolate(uint64 k, uint64 low, uint64 high, OffsetNumber lo, OffsetNumber hi)
{
	OffsetNumber at;

	if (k < low || k > high || low >= high)
		return InvalidOffsetNumber;
	at = lo + (OffsetNumber) ((double) (k - low) / (double) (high - low) * (hi - lo));
	return Min(at, hi - 1);
}

/*
 * The offset of the first entry >= key on the locked leaf page (past the last
 * when there is none).  The keys are hashes, spread evenly: a key's rank on
 * the page is about where its first 8 bytes fall between the page's bounds
 * (w->low and the high key), so a few probes at the interpolated rank narrow
 * the range before a binary search of what is left.  Each probe is a random
 * tuple of the page, out of the CPU's caches: fewer probes, fewer misses.
 */
static OffsetNumber
first_not_below(const WesBtreeLookup *w, Page page, const uint8 *key)
{
	OffsetNumber lo = P_FIRSTDATAKEY(BTPageGetOpaque(page));
	OffsetNumber hi = PageGetMaxOffsetNumber(page) + 1;
	uint64		k = key_prefix(key);
	uint64		low = w->low;
	uint64		high = P_RIGHTMOST(BTPageGetOpaque(page)) ? PG_UINT64_MAX :
		tuple_prefix((IndexTuple) PageGetItem(page, PageGetItemId(page, P_HIKEY)));

	for (int probe = 0; probe < 8 && hi - lo > 1; probe++)
	{
		OffsetNumber mid = interpolate(k, low, high, lo, hi);
		IndexTuple	itup;

		if (mid == InvalidOffsetNumber)
			break;
		itup = (IndexTuple) PageGetItem(page, PageGetItemId(page, mid));
		if (key_cmp(w, key, itup) > 0)
		{
			lo = mid + 1;
			low = tuple_prefix(itup);
		}
		else
		{
			hi = mid;
			high = tuple_prefix(itup);
		}
	}
	return binary_search(w, page, key, lo, hi, false);
}

static void
add_tid(WesBtreeLookup *w, ItemPointer tid)
{
	if (w->ntids == w->maxtids)
	{
		w->maxtids *= 2;
		w->tids = repalloc(w->tids, w->maxtids * sizeof(ItemPointerData));
	}
	w->tids[w->ntids++] = *tid;
}

/*
 * Add the tuple ids of the entries of key on the locked page; true when the
 * page ended before an entry greater than key (so that more may follow)
 */
static bool
collect(WesBtreeLookup *w, Page page, const uint8 *key)
{
	OffsetNumber maxoff = PageGetMaxOffsetNumber(page);

	for (OffsetNumber lo = first_not_below(w, page, key); lo <= maxoff; lo++)
	{
		ItemId		iid = PageGetItemId(page, lo);
		IndexTuple	itup = (IndexTuple) PageGetItem(page, iid);

		if (key_cmp(w, key, itup) != 0)
			return false;
		if (w->skip_dead && ItemIdIsDead(iid))
			continue;
		if (BTreeTupleIsPosting(itup))
			for (int i = 0; i < BTreeTupleGetNPosting(itup); i++)
				add_tid(w, BTreeTupleGetPostingN(itup, i));
		else
			add_tid(w, &itup->t_tid);
	}
	return true;
}

/* key against the high key of the locked page: < 0 when key cannot be to the right of it */
static int
high_key_cmp(WesBtreeLookup *w, Page page, const uint8 *key)
{
	IndexTuple	high;

	if (P_RIGHTMOST(BTPageGetOpaque(page)))
		return -1;
	high = (IndexTuple) PageGetItem(page, PageGetItemId(page, P_HIKEY));
	if (BTreeTupleGetNAtts(high, w->index) < 1)
		elog(ERROR, "leaf page %u of index \"%s\" has a high key without its key column",
			 BufferGetBlockNumber(w->buf), RelationGetRelationName(w->index));
	return key_cmp(w, key, high);
}

/* The first 8 bytes of pivot tuple itup's key as an integer (if_none when it is minus infinity) */
static inline uint64
pivot_prefix(const WesBtreeLookup *w, IndexTuple itup, uint64 if_none)
{
	return BTreeTupleGetNAtts(itup, w->index) < 1 ? if_none : tuple_prefix(itup);
}

/*
 * The child of the locked internal page that key belongs under: the downlink
 * of the last pivot below key, whose key bounds the child's from below
 * (*low); the next pivot, or the page's high key, bounds it from above (*high,
 * unless high is NULL)
 */
static BlockNumber
child_block(const WesBtreeLookup *w, Page page, const uint8 *key, uint64 *low, uint64 *high)
{
	OffsetNumber maxoff = PageGetMaxOffsetNumber(page);

	/* the first pivot is minus infinity: the search starts after it */
	OffsetNumber lo = binary_search(w, page, key, P_FIRSTDATAKEY(BTPageGetOpaque(page)) + 1, maxoff + 1, true);
	IndexTuple	itup = (IndexTuple) PageGetItem(page, PageGetItemId(page, lo - 1));

	*low = pivot_prefix(w, itup, 0);
	if (high != NULL)
	{
		/* the next pivot, else the high key, else nothing: the rightmost page */
		OffsetNumber next = lo <= maxoff ? lo : P_RIGHTMOST(BTPageGetOpaque(page)) ? InvalidOffsetNumber : P_HIKEY;

		*high = next == InvalidOffsetNumber ? PG_UINT64_MAX :
			pivot_prefix(w, (IndexTuple) PageGetItem(page, PageGetItemId(page, next)), PG_UINT64_MAX);
	}
	return BTreeTupleGetDownLink(itup);
}

/*
 * The leaf that the level-1 page of the last descent points to for key, as a
 * descent would find it there (the page is locked for the read); false when
 * key is beyond that level-1 page or the page was deleted (high may be NULL)
 */
static bool
child_via_parent(const WesBtreeLookup *w, const uint8 *key, BlockNumber *child, uint64 *low, uint64 *high)
{
	Page		page;
	BTPageOpaque opaque;
	bool		covers;

	if (!BufferIsValid(w->parent))
		return false;
	_bt_lockbuf(w->index, w->parent, BT_READ);
	_bt_checkpage(w->index, w->parent);
	page = BufferGetPage(w->parent);
	TestForOldSnapshot(w->snapshot, w->index, page);
	opaque = BTPageGetOpaque(page);
	covers = !P_IGNORE(opaque) && opaque->btpo_level == 1 &&
		(P_RIGHTMOST(opaque) || pivot_cmp(w, key, (IndexTuple) PageGetItem(page, PageGetItemId(page, P_HIKEY))) <= 0);
	if (covers)
		*child = child_block(w, page, key, low, high);
	_bt_unlockbuf(w->index, w->parent);
	return covers;
}

/*
 * Lock the leaf page that the level-1 page of the last descent points to for
 * key, as a descent would reach it from there (with the same care: no lock is
 * held on both pages, and a split since is met by moving right); false, with
 * no page locked, when key is beyond that level-1 page or it was deleted
 */
static bool
via_parent(WesBtreeLookup *w, const uint8 *key)
{
	BlockNumber child;
	uint64		low;

	if (!child_via_parent(w, key, &child, &low, NULL))
		return false;
	w->buf = wes_recent_release_and_read(w->buffers, w->buf, w->index, child);
	w->low = low;
	_bt_lockbuf(w->index, w->buf, BT_READ);
	_bt_checkpage(w->index, w->buf);
	arrived(w);
	return true;
}

/* Collect the entries of key into w->tids; the buffer, if any is left, is unlocked */
static void
find_key(WesBtreeLookup *w, const uint8 *key)
{
	bool		searched = false;	/* on a page a search for key led to: only right of it, if anywhere */
	bool		continued = false;	/* collecting versions of key on a page further right */

	if (BufferIsValid(w->buf))
	{
		_bt_lockbuf(w->index, w->buf, BT_READ);
		TestForOldSnapshot(w->snapshot, w->index, BufferGetPage(w->buf));
	}
	else if (!descend(w, key))
		return;
	else
		searched = true;
	while (BufferIsValid(w->buf))
	{
		Page		page = BufferGetPage(w->buf);
		int			c;

		if (P_IGNORE(BTPageGetOpaque(page)))
		{
			/* deleted since it was read: whatever it held moved right */
			step_right(w);
			continue;
		}
		c = high_key_cmp(w, page, key);
		if (c > 0 && !continued)
		{
			/*
			 * Beyond this page.  From the page of the key before: the leaf
			 * the level-1 page above points to, else a descent.  From a
			 * page a search led to: a split moved key to the right.
			 */
			if (searched)
				step_right(w);
			else
			{
				_bt_unlockbuf(w->index, w->buf);
				if (!via_parent(w, key))
					descend(w, key);
			}
			searched = true;
			continue;
		}
		if (c > 0 || !collect(w, page, key) || c < 0)
			break;
		/* key equals the high key: versions of its row may go on to the right */
		step_right(w);
		continued = true;
	}
	if (BufferIsValid(w->buf))
		_bt_unlockbuf(w->index, w->buf);
}

/*
 * The item of leaf g->leaf that first_not_below will probe first for g's key,
 * as the page looks now (a hint read: 0 when unknown)
 */
static OffsetNumber
first_probe(const WesBtreeLookup *w, const LeafGuess *g)
{
	int			maxoff = wes_recent_page_items(w->buffers, g->leaf);
	OffsetNumber lo = g->high == PG_UINT64_MAX ? P_HIKEY : P_FIRSTKEY;	/* the rightmost leaf has no high key */

	if (maxoff < lo)
		return InvalidOffsetNumber;
	return interpolate(g->key, g->low, g->high, lo, maxoff + 1);
}

void
wes_btree_lookup_prefetch(WesBtreeLookup *w, const uint8 *key)
{
	LeafGuess  *g;

	if (w->buffers == NULL)
		return;					/* no map: nothing tells where the pages are */
	g = &w->guesses[w->nguesses++ % LEAF_GUESSES];

	/* key's leaf: its descriptor, its header (and line pointers up to the high key's) and its special space */
	if (child_via_parent(w, key, &g->leaf, &g->low, &g->high))
	{
		g->key = key_prefix(key);
		g->probe = InvalidOffsetNumber;
		wes_recent_prefetch_page(w->buffers, g->leaf, InvalidOffsetNumber);
	}
	else
		g->leaf = InvalidBlockNumber;

	/* the key LINES_LAG calls back: the high key, and the line pointers around its first probe */
	g = &w->guesses[(w->nguesses - 1 - LINES_LAG) % LEAF_GUESSES];
	if (w->nguesses > LINES_LAG && g->leaf != InvalidBlockNumber)
	{
		wes_recent_prefetch_item(w->buffers, g->leaf, P_HIKEY);
		g->probe = first_probe(w, g);
		if (g->probe != InvalidOffsetNumber)
		{
			wes_recent_prefetch_page(w->buffers, g->leaf, Max(g->probe - PROBE_SPREAD, P_FIRSTKEY));
			wes_recent_prefetch_page(w->buffers, g->leaf, g->probe + PROBE_SPREAD);
		}
	}

	/* the key ROWS_LAG calls back: the entries around its first probe */
	g = &w->guesses[(w->nguesses - 1 - ROWS_LAG) % LEAF_GUESSES];
	if (w->nguesses > ROWS_LAG && g->leaf != InvalidBlockNumber && g->probe != InvalidOffsetNumber)
		for (int off = Max(g->probe - PROBE_SPREAD / 2, P_FIRSTKEY); off <= g->probe + PROBE_SPREAD / 2; off++)
			wes_recent_prefetch_item(w->buffers, g->leaf, off);
}

int
wes_btree_lookup(WesBtreeLookup *w, const uint8 *key, const ItemPointerData **tids)
{
	w->ntids = 0;
	find_key(w, key);
	*tids = w->tids;			/* after collecting: the array may have moved */
	return w->ntids;
}

/* ---------------------------------------------------------------------
 * A batch of keys, and the rows of their entries
 * ---------------------------------------------------------------------
 */

#define ST_SORT sort_key_entries
#define ST_ELEMENT_TYPE WesKeyEntry
#define ST_COMPARE(a, b) ((a)->tid < (b)->tid ? -1 : (a)->tid > (b)->tid)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/* Keys ahead whose leaf the CPU is asked to load while the current one is looked up */
#define PREFETCH_LEAF	8

WesKeyEntry *
wes_btree_lookup_keys(Relation index, Snapshot snapshot, int keylen, PGFunction order,
					  const uint8 *const *keys, int n, int *nentries)
{
	WesBtreeLookup *walk = wes_btree_lookup_begin(index, snapshot, keylen, order);
	MemoryContext keycxt = AllocSetContextCreate(CurrentMemoryContext, "wes B-tree lookup", ALLOCSET_SMALL_SIZES);
	int			size = Max(n, 1);
	WesKeyEntry *entries = palloc(sizeof(WesKeyEntry) * size);
	int			count = 0;

	for (int i = 0; i < n; i++)
	{
		MemoryContext old;
		const ItemPointerData *tids;
		int			ntids;

		CHECK_FOR_INTERRUPTS();
		if (i > 0 && memcmp(keys[i - 1], keys[i], keylen) >= 0)
			elog(ERROR, "the keys of a B-tree lookup must come in ascending order, each once");
		old = MemoryContextSwitchTo(keycxt);
		if (i + PREFETCH_LEAF < n)
			wes_btree_lookup_prefetch(walk, keys[i + PREFETCH_LEAF]);
		ntids = wes_btree_lookup(walk, keys[i], &tids);
		MemoryContextSwitchTo(old);
		for (int t = 0; t < ntids; t++)
		{
			if (count == size)
			{
				size *= 2;		/* other versions of some rows */
				entries = repalloc_huge(entries, sizeof(WesKeyEntry) * size);
			}
			entries[count].tid = (uint64) ItemPointerGetBlockNumber(&tids[t]) << 16 | ItemPointerGetOffsetNumber(&tids[t]);
			entries[count++].key = i;
		}
		MemoryContextReset(keycxt);
	}
	MemoryContextDelete(keycxt);
	wes_btree_lookup_end(walk);
	sort_key_entries(entries, count);
	*nentries = count;
	return entries;
}

/*
 * The CPU is asked to load the first lines of the page of the entry
 * PREFETCH_PAGE ahead, and the row of the entry PREFETCH_ROW ahead (found
 * through its line pointer, loaded by then), so that the cache misses of
 * several rows overlap
 */
#define PREFETCH_PAGE	16
#define PREFETCH_ROW	8

static void
prefetch_entries(WesRecentBuffers *heap, const WesKeyEntry *entries, int n, int next)
{
	if (next + PREFETCH_PAGE < n)
		wes_recent_prefetch_page(heap, wes_key_entry_block(&entries[next + PREFETCH_PAGE]),
								 wes_key_entry_offset(&entries[next + PREFETCH_PAGE]));
	if (next + PREFETCH_ROW < n)
		wes_recent_prefetch_item(heap, wes_key_entry_block(&entries[next + PREFETCH_ROW]),
								 wes_key_entry_offset(&entries[next + PREFETCH_ROW]));
}

bool
wes_key_entry_fetch(WesRecentBuffers *buffers, Relation heap, Snapshot snapshot,
					const WesKeyEntry *entries, int n, int i,
					Buffer *page, HeapTuple tuple, TupleTableSlot *slot)
{
	ItemPointerData tid;

	prefetch_entries(buffers, entries, n, i);
	ItemPointerSet(&tid, wes_key_entry_block(&entries[i]), wes_key_entry_offset(&entries[i]));
	if (!wes_recent_fetch(buffers, heap, page, &tid, snapshot, tuple))
		return false;
	ExecStoreBufferHeapTuple(tuple, slot, *page);
	return true;
}
