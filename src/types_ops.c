/*
 * types_ops.c
 *	  Operators of wes_hash, wes_address and wes_outpoint: comparison, hashing,
 *	  B-tree sort support with abbreviated keys, and hex prefix search (^@),
 *	  which a B-tree serves through planner_support.c.
 *
 * Order is memcmp order of the bytes; for an outpoint that is txid bytes,
 * then index, because the index is stored big-endian.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "fmgr.h"
#include "lib/hyperloglog.h"
#include "port/pg_bswap.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/sortsupport.h"

#include "types_internal.h"

/* ---------------------------------------------------------------------
 * Comparison and hashing
 * ---------------------------------------------------------------------
 */

/* <prefix>_cmp_internal and the thin lt/le/eq/ne/ge/gt/cmp/hash wrappers of one type */
#define WES_CMP_FUNCS(prefix, Type, LEN) \
static inline int \
prefix##_cmp_internal(FunctionCallInfo fcinfo) \
{ \
	return wes_bytes_cmp(((Type *) PG_GETARG_POINTER(0))->data, \
						 ((Type *) PG_GETARG_POINTER(1))->data, LEN); \
} \
PG_FUNCTION_INFO_V1(prefix##_lt); \
Datum prefix##_lt(PG_FUNCTION_ARGS) { PG_RETURN_BOOL(prefix##_cmp_internal(fcinfo) < 0); } \
PG_FUNCTION_INFO_V1(prefix##_le); \
Datum prefix##_le(PG_FUNCTION_ARGS) { PG_RETURN_BOOL(prefix##_cmp_internal(fcinfo) <= 0); } \
PG_FUNCTION_INFO_V1(prefix##_eq); \
Datum prefix##_eq(PG_FUNCTION_ARGS) { PG_RETURN_BOOL(prefix##_cmp_internal(fcinfo) == 0); } \
PG_FUNCTION_INFO_V1(prefix##_ne); \
Datum prefix##_ne(PG_FUNCTION_ARGS) { PG_RETURN_BOOL(prefix##_cmp_internal(fcinfo) != 0); } \
PG_FUNCTION_INFO_V1(prefix##_ge); \
Datum prefix##_ge(PG_FUNCTION_ARGS) { PG_RETURN_BOOL(prefix##_cmp_internal(fcinfo) >= 0); } \
PG_FUNCTION_INFO_V1(prefix##_gt); \
Datum prefix##_gt(PG_FUNCTION_ARGS) { PG_RETURN_BOOL(prefix##_cmp_internal(fcinfo) > 0); } \
PG_FUNCTION_INFO_V1(prefix##_cmp); \
Datum prefix##_cmp(PG_FUNCTION_ARGS) { PG_RETURN_INT32(prefix##_cmp_internal(fcinfo)); } \
PG_FUNCTION_INFO_V1(prefix##_hash); \
Datum \
prefix##_hash(PG_FUNCTION_ARGS) \
{ \
	return hash_any(((Type *) PG_GETARG_POINTER(0))->data, LEN); \
} \
PG_FUNCTION_INFO_V1(prefix##_hash_extended); \
Datum \
prefix##_hash_extended(PG_FUNCTION_ARGS) \
{ \
	return hash_any_extended(((Type *) PG_GETARG_POINTER(0))->data, LEN, PG_GETARG_INT64(1)); \
}

WES_FOR_EACH_TYPE(WES_CMP_FUNCS)

/* ---------------------------------------------------------------------
 * B-tree sort support: abbreviated keys are the first 8 bytes, as for uuid
 * ---------------------------------------------------------------------
 */

typedef struct BytesSortState
{
	size_t		len;			/* bytes per value */
	int64		input_count;	/* values abbreviated so far */
	bool		estimating;		/* still estimating abbreviated cardinality? */
	hyperLogLogState abbr_card; /* distinct abbreviated keys */
} BytesSortState;

/* Full comparison of two values */
static int
bytes_fast_cmp(Datum x, Datum y, SortSupport ssup)
{
	BytesSortState *st = ssup->ssup_extra;

	return wes_bytes_cmp((const uint8 *) DatumGetPointer(x),
						 (const uint8 *) DatumGetPointer(y), st->len);
}

/* The first bytes, as an unsigned integer whose order is their memcmp order */
static Datum
bytes_abbrev_convert(Datum original, SortSupport ssup)
{
	BytesSortState *st = ssup->ssup_extra;
	Datum		res;

	memcpy(&res, DatumGetPointer(original), sizeof(Datum));
	st->input_count += 1;
	if (st->estimating)
	{
		uint32		tmp;

#if SIZEOF_DATUM == 8
		tmp = (uint32) res ^ (uint32) ((uint64) res >> 32);
#else
		tmp = (uint32) res;
#endif
		addHyperLogLog(&st->abbr_card, DatumGetUInt32(hash_uint32(tmp)));
	}
	return DatumBigEndianToNative(res);
}

/*
 * Give up abbreviation when the leading bytes barely distinguish the values
 * (say, many outputs of few transactions); same thresholds as uuid.
 */
static bool
bytes_abbrev_abort(int memtupcount, SortSupport ssup)
{
	BytesSortState *st = ssup->ssup_extra;
	double		abbr_card;

	if (memtupcount < 10000 || st->input_count < 10000 || !st->estimating)
		return false;
	abbr_card = estimateHyperLogLog(&st->abbr_card);
#ifdef TRACE_SORT
	if (trace_sort)
		elog(LOG, "wes_persist abbreviated keys: %d tuples, %.1f distinct keys estimated",
			 memtupcount, abbr_card);
#endif
	if (abbr_card > 100000.0)
	{
		/* clearly worth it: stop paying for the estimate */
		st->estimating = false;
		return false;
	}
	return abbr_card < st->input_count / 2000.0 + 0.5;
}

/* Set up sorting of len-byte values */
static void
bytes_sortsupport(SortSupport ssup, size_t len)
{
	MemoryContext oldcontext = MemoryContextSwitchTo(ssup->ssup_cxt);
	BytesSortState *st = palloc0(sizeof(BytesSortState));

	st->len = len;
	ssup->ssup_extra = st;
	ssup->comparator = bytes_fast_cmp;
	if (ssup->abbreviate)
	{
		st->estimating = true;
		initHyperLogLog(&st->abbr_card, 10);
		ssup->comparator = ssup_datum_unsigned_cmp;
		ssup->abbrev_converter = bytes_abbrev_convert;
		ssup->abbrev_abort = bytes_abbrev_abort;
		ssup->abbrev_full_comparator = bytes_fast_cmp;
	}
	MemoryContextSwitchTo(oldcontext);
}

/* <prefix>_sortsupport(internal) */
#define WES_SORTSUPPORT(prefix, Type, LEN) \
PG_FUNCTION_INFO_V1(prefix##_sortsupport); \
Datum \
prefix##_sortsupport(PG_FUNCTION_ARGS) \
{ \
	bytes_sortsupport((SortSupport) PG_GETARG_POINTER(0), LEN); \
	PG_RETURN_VOID(); \
}

WES_FOR_EACH_TYPE(WES_SORTSUPPORT)

/* ---------------------------------------------------------------------
 * Prefix search: value ^@ text
 * ---------------------------------------------------------------------
 */

/* Does a len-byte value start with the hex digits of prefix? */
static bool
bytes_starts_with(FunctionCallInfo fcinfo, size_t len, const char *typname)
{
	const uint8 *v = (const uint8 *) PG_GETARG_POINTER(0);
	const WesPrefixBounds *b = wes_prefix_bounds_cached(fcinfo->flinfo, PG_GETARG_TEXT_PP(1),
														len, typname);

	return wes_bytes_cmp(v, b->lo, len) >= 0 && wes_bytes_cmp(v, b->hi, len) <= 0;
}

/* <prefix>_starts_with(value, text): the function behind ^@ */
#define WES_STARTS_WITH(prefix, Type, LEN) \
PG_FUNCTION_INFO_V1(prefix##_starts_with); \
Datum \
prefix##_starts_with(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_BOOL(bytes_starts_with(fcinfo, LEN, #prefix)); \
}

WES_FOR_EACH_HEX_TYPE(WES_STARTS_WITH)
