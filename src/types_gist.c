/*
 * types_gist.c
 *	  GiST operator classes of wes_hash, wes_address and wes_outpoint, after
 *	  contrib btree_gist: a key is a range {lower, upper} of values, so the
 *	  types can sit in multicolumn GiST indexes beside ranges (live ranges of
 *	  outputs, exclusion constraints) and serve =, <>, <, <=, >=, > and the
 *	  hex prefix search ^@.
 *
 * The key is a bytea: a leaf holds the value itself (lower = upper, half the
 * size), an inner key lower || upper.  Every function below reads both forms
 * through gkey_bounds().
 */
#include "postgres.h"

#include <float.h>

#include "access/gist.h"
#include "access/stratnum.h"
#include "fmgr.h"
#include "utils/sortsupport.h"

#include "types_internal.h"

/* Strategy of ^@ (as for text in SP-GiST) */
#define WES_PREFIX_STRATEGY		RTPrefixStrategyNumber
/* Strategy of <> (as in btree_gist) */
#define WES_NE_STRATEGY			6

/* ---------------------------------------------------------------------
 * Keys
 * ---------------------------------------------------------------------
 */

/* The bounds of a key, either form */
static inline void
gkey_bounds(Datum key, size_t len, const uint8 **lo, const uint8 **hi)
{
	struct varlena *k = PG_DETOAST_DATUM_PACKED(key);
	const uint8 *d = (const uint8 *) VARDATA_ANY(k);
	size_t		n = VARSIZE_ANY_EXHDR(k);

	if (n != len && n != 2 * len)
		elog(ERROR, "GiST key of %zu bytes where %zu or %zu were expected", n, len, 2 * len);
	*lo = d;
	*hi = n == len ? d : d + len;
}

/* A key for [lo, hi]: the short form when both are the same value */
static bytea *
gkey_make(const uint8 *lo, const uint8 *hi, size_t len)
{
	bool		single = wes_bytes_cmp(lo, hi, len) == 0;
	size_t		n = single ? len : 2 * len;
	bytea	   *k = palloc(VARHDRSZ + n);

	SET_VARSIZE(k, VARHDRSZ + n);
	memcpy(VARDATA(k), lo, len);
	if (!single)
		memcpy(VARDATA(k) + len, hi, len);
	return k;
}

/* ---------------------------------------------------------------------
 * GiST support
 * ---------------------------------------------------------------------
 */

/*
 * Compress: a leaf value becomes a single-value key; inner keys are already
 * keys.
 */
static GISTENTRY *
gist_compress(GISTENTRY *entry, size_t len)
{
	GISTENTRY  *retval;
	const uint8 *v;

	if (!entry->leafkey)
		return entry;
	v = (const uint8 *) DatumGetPointer(entry->key);
	retval = palloc(sizeof(GISTENTRY));
	gistentryinit(*retval, PointerGetDatum(gkey_make(v, v, len)),
				  entry->rel, entry->page, entry->offset, false);
	return retval;
}

/* Fetch: the value of a leaf key, for index-only scans */
static GISTENTRY *
gist_fetch(GISTENTRY *entry, size_t len)
{
	GISTENTRY  *retval = palloc(sizeof(GISTENTRY));
	const uint8 *lo, *hi;
	uint8	   *v = palloc(len);

	gkey_bounds(entry->key, len, &lo, &hi);
	memcpy(v, lo, len);
	gistentryinit(*retval, PointerGetDatum(v), entry->rel, entry->page, entry->offset, false);
	return retval;
}

/*
 * Consistent: can the subtree under key [lo, hi] (or the leaf value lo = hi)
 * hold a value that satisfies "value <strategy> query"?  On a leaf the answer
 * is exact, so nothing is rechecked.
 */
static bool
gist_consistent(FunctionCallInfo fcinfo, size_t len, const char *typname)
{
	GISTENTRY  *entry = (GISTENTRY *) PG_GETARG_POINTER(0);
	StrategyNumber strategy = (StrategyNumber) PG_GETARG_UINT16(2);
	bool	   *recheck = (bool *) PG_GETARG_POINTER(4);
	const uint8 *lo, *hi, *q;
	const WesPrefixBounds *p;

	*recheck = false;
	gkey_bounds(entry->key, len, &lo, &hi);
	if (strategy == WES_PREFIX_STRATEGY)
	{
		p = wes_prefix_bounds_cached(fcinfo->flinfo, PG_GETARG_TEXT_PP(1), len, typname);
		return wes_bytes_cmp(lo, p->hi, len) <= 0 && wes_bytes_cmp(hi, p->lo, len) >= 0;
	}
	q = (const uint8 *) PG_GETARG_POINTER(1);
	switch (strategy)
	{
		case BTLessStrategyNumber:
			return wes_bytes_cmp(lo, q, len) < 0;
		case BTLessEqualStrategyNumber:
			return wes_bytes_cmp(lo, q, len) <= 0;
		case BTEqualStrategyNumber:
			return wes_bytes_cmp(lo, q, len) <= 0 && wes_bytes_cmp(hi, q, len) >= 0;
		case BTGreaterEqualStrategyNumber:
			return wes_bytes_cmp(hi, q, len) >= 0;
		case BTGreaterStrategyNumber:
			return wes_bytes_cmp(hi, q, len) > 0;
		case WES_NE_STRATEGY:
			/* only a subtree holding nothing but q can be skipped */
			return !(wes_bytes_cmp(lo, q, len) == 0 && wes_bytes_cmp(hi, q, len) == 0);
	}
	elog(ERROR, "unrecognized strategy number %d for a GiST index on %s", strategy, typname);
	return false;
}

/* Union: the smallest key covering every entry */
static bytea *
gist_union(GistEntryVector *entryvec, int *size, size_t len)
{
	const uint8 *minlo, *maxhi, *lo, *hi;
	bytea	   *k;

	gkey_bounds(entryvec->vector[0].key, len, &minlo, &maxhi);
	for (int i = 1; i < entryvec->n; i++)
	{
		gkey_bounds(entryvec->vector[i].key, len, &lo, &hi);
		if (wes_bytes_cmp(lo, minlo, len) < 0)
			minlo = lo;
		if (wes_bytes_cmp(hi, maxhi, len) > 0)
			maxhi = hi;
	}
	k = gkey_make(minlo, maxhi, len);
	*size = VARSIZE(k);
	return k;
}

/* Up to 8 bytes from offset off, big-endian, as a number (missing bytes are 0) */
static double
bytes_to_double(const uint8 *p, size_t off, size_t len)
{
	uint64		v = 0;

	for (size_t i = 0; i < 8; i++)
		v = (v << 8) | (off + i < len ? p[off + i] : 0);
	return (double) v;
}

/*
 * Penalty: how much key [ol, oh] must grow to take [nl, nh], relative to its
 * width.  The bytes are read from the first byte where the grown key's bounds
 * differ, so that values sharing a long prefix (the outpoints of one
 * transaction) still get distinct penalties.
 */
static float
gist_penalty(Datum orig, Datum add, size_t len)
{
	const uint8 *ol, *oh, *nl, *nh, *ul, *uh;
	size_t		off = 0;
	double		grow, width;

	gkey_bounds(orig, len, &ol, &oh);
	gkey_bounds(add, len, &nl, &nh);
	ul = wes_bytes_cmp(nl, ol, len) < 0 ? nl : ol;
	uh = wes_bytes_cmp(nh, oh, len) > 0 ? nh : oh;
	if (ul == ol && uh == oh)
		return 0.0f;
	while (off < len && ul[off] == uh[off])
		off++;
	grow = (bytes_to_double(ol, off, len) - bytes_to_double(ul, off, len)) +
		(bytes_to_double(uh, off, len) - bytes_to_double(oh, off, len));
	width = bytes_to_double(oh, off, len) - bytes_to_double(ol, off, len);
	/* FLT_MIN: any growth costs more than none, even below double precision */
	return FLT_MIN + (float) (grow / (grow + width + 1.0));
}

/* Same: are two keys equal? */
static bool
gist_same(Datum a, Datum b, size_t len)
{
	const uint8 *al, *ah, *bl, *bh;

	gkey_bounds(a, len, &al, &ah);
	gkey_bounds(b, len, &bl, &bh);
	return wes_bytes_cmp(al, bl, len) == 0 && wes_bytes_cmp(ah, bh, len) == 0;
}

typedef struct SplitItem
{
	OffsetNumber off;
	const uint8 *lo;
	const uint8 *hi;
} SplitItem;

/* Order split items by lower bound, then upper bound */
static int
split_item_cmp(const void *a, const void *b, void *arg)
{
	const SplitItem *x = a, *y = b;
	size_t		len = *(const size_t *) arg;
	int			c = wes_bytes_cmp(x->lo, y->lo, len);

	return c != 0 ? c : wes_bytes_cmp(x->hi, y->hi, len);
}

/* Put items [from, to) on one side of a split; returns the side's union key */
static Datum
split_side(SplitItem *items, int from, int to, OffsetNumber *offs, int *n, size_t len)
{
	const uint8 *lo = items[from].lo, *hi = items[from].hi;

	*n = 0;
	for (int i = from; i < to; i++)
	{
		offs[(*n)++] = items[i].off;
		if (wes_bytes_cmp(items[i].hi, hi, len) > 0)
			hi = items[i].hi;
	}
	return PointerGetDatum(gkey_make(lo, hi, len));
}

/*
 * Picksplit: sort by lower bound and split at the median, as seg.c does for
 * one-dimensional data ("easier and more robust").
 */
static void
gist_picksplit(GistEntryVector *entryvec, GIST_SPLITVEC *v, size_t len)
{
	int			n = entryvec->n - FirstOffsetNumber;
	SplitItem  *items = palloc(n * sizeof(SplitItem));
	int			half = n / 2;

	for (int i = 0; i < n; i++)
	{
		items[i].off = i + FirstOffsetNumber;
		gkey_bounds(entryvec->vector[items[i].off].key, len, &items[i].lo, &items[i].hi);
	}
	qsort_arg(items, n, sizeof(SplitItem), split_item_cmp, &len);
	v->spl_left = palloc(n * sizeof(OffsetNumber));
	v->spl_right = palloc(n * sizeof(OffsetNumber));
	v->spl_ldatum = split_side(items, 0, half, v->spl_left, &v->spl_nleft, len);
	v->spl_rdatum = split_side(items, half, n, v->spl_right, &v->spl_nright, len);
}

/* Order two leaf keys by value, for sorted index builds */
static int
gist_key_cmp(Datum a, Datum b, SortSupport ssup)
{
	size_t		len = *(const size_t *) ssup->ssup_extra;
	const uint8 *al, *ah, *bl, *bh;

	gkey_bounds(a, len, &al, &ah);
	gkey_bounds(b, len, &bl, &bh);
	return wes_bytes_cmp(al, bl, len);
}

/*
 * Sort support: lets CREATE INDEX sort the values and pack the leaves in
 * order instead of inserting them one by one (much faster, tighter pages).
 */
static void
gist_sortsupport(SortSupport ssup, size_t len)
{
	size_t	   *extra = MemoryContextAlloc(ssup->ssup_cxt, sizeof(size_t));

	*extra = len;
	ssup->ssup_extra = extra;
	ssup->comparator = gist_key_cmp;
}

/* ---------------------------------------------------------------------
 * Per-type SQL functions
 * ---------------------------------------------------------------------
 */

/* <prefix>_gist_{consistent,union,compress,fetch,penalty,picksplit,sortsupport,same} */
#define WES_GIST_FUNCS(prefix, Type, LEN) \
PG_FUNCTION_INFO_V1(prefix##_gist_consistent); \
Datum \
prefix##_gist_consistent(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_BOOL(gist_consistent(fcinfo, LEN, #prefix)); \
} \
PG_FUNCTION_INFO_V1(prefix##_gist_union); \
Datum \
prefix##_gist_union(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_POINTER(gist_union((GistEntryVector *) PG_GETARG_POINTER(0), \
								 (int *) PG_GETARG_POINTER(1), LEN)); \
} \
PG_FUNCTION_INFO_V1(prefix##_gist_compress); \
Datum \
prefix##_gist_compress(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_POINTER(gist_compress((GISTENTRY *) PG_GETARG_POINTER(0), LEN)); \
} \
PG_FUNCTION_INFO_V1(prefix##_gist_fetch); \
Datum \
prefix##_gist_fetch(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_POINTER(gist_fetch((GISTENTRY *) PG_GETARG_POINTER(0), LEN)); \
} \
PG_FUNCTION_INFO_V1(prefix##_gist_penalty); \
Datum \
prefix##_gist_penalty(PG_FUNCTION_ARGS) \
{ \
	float	   *result = (float *) PG_GETARG_POINTER(2); \
	*result = gist_penalty(((GISTENTRY *) PG_GETARG_POINTER(0))->key, \
						   ((GISTENTRY *) PG_GETARG_POINTER(1))->key, LEN); \
	PG_RETURN_POINTER(result); \
} \
PG_FUNCTION_INFO_V1(prefix##_gist_picksplit); \
Datum \
prefix##_gist_picksplit(PG_FUNCTION_ARGS) \
{ \
	gist_picksplit((GistEntryVector *) PG_GETARG_POINTER(0), \
				   (GIST_SPLITVEC *) PG_GETARG_POINTER(1), LEN); \
	PG_RETURN_POINTER(PG_GETARG_POINTER(1)); \
} \
PG_FUNCTION_INFO_V1(prefix##_gist_sortsupport); \
Datum \
prefix##_gist_sortsupport(PG_FUNCTION_ARGS) \
{ \
	gist_sortsupport((SortSupport) PG_GETARG_POINTER(0), LEN); \
	PG_RETURN_VOID(); \
} \
PG_FUNCTION_INFO_V1(prefix##_gist_same); \
Datum \
prefix##_gist_same(PG_FUNCTION_ARGS) \
{ \
	bool	   *result = (bool *) PG_GETARG_POINTER(2); \
	*result = gist_same(PG_GETARG_DATUM(0), PG_GETARG_DATUM(1), LEN); \
	PG_RETURN_POINTER(result); \
}

WES_FOR_EACH_TYPE(WES_GIST_FUNCS)
