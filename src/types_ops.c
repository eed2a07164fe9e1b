/*
 * types_ops.c
 *	  Operators of wes_hash, wes_address and wes_outpoint: comparison, hashing,
 *	  B-tree sort support with abbreviated keys, hex prefix search (^@) with
 *	  the planner support that lets a B-tree serve it, and the planner support
 *	  of = on wes_hash that lets a B-tree on outpoints serve a lookup by txid.
 *
 * Order is memcmp order of the bytes; for an outpoint that is txid bytes,
 * then index, because the index is stored big-endian.
 */
#include "postgres.h"

#include "access/stratnum.h"
#include "catalog/pg_am_d.h"
#include "catalog/pg_type_d.h"
#include "commands/defrem.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "lib/hyperloglog.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/pathnodes.h"
#include "nodes/supportnodes.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "parser/parse_func.h"
#include "port/pg_bswap.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
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

/* A Const of a fixed-length by-reference type holding a copy of bytes */
static Const *
bytes_const(Oid typid, const uint8 *bytes, int len)
{
	void	   *copy = palloc(len);

	memcpy(copy, bytes, len);
	return makeConst(typid, -1, InvalidOid, len, PointerGetDatum(copy), false, false);
}

/*
 * Turn "col ^@ 'prefix'" into "col >= lower AND col <= upper" for a B-tree
 * on col, as PostgreSQL does for text ^@.  The range holds exactly the
 * values with that prefix, so the index condition is not lossy.
 */
static List *
prefix_index_condition(SupportRequestIndexCondition *req)
{
	List	   *args;
	Node	   *col;
	Const	   *pat;
	Oid			keytype, ge, le;
	int16		len;
	uint8		lo[WES_MAX_TYPE_LEN];
	uint8		hi[WES_MAX_TYPE_LEN];

	if (req->index->relam != BTREE_AM_OID || req->indexarg != 0)
		return NIL;
	if (is_opclause(req->node))
		args = ((OpExpr *) req->node)->args;
	else if (is_funcclause(req->node))
		args = ((FuncExpr *) req->node)->args;
	else
		return NIL;
	if (list_length(args) != 2)
		return NIL;
	col = linitial(args);
	pat = (Const *) lsecond(args);
	if (!IsA(pat, Const) || pat->constisnull || pat->consttype != TEXTOID)
		return NIL;
	keytype = exprType(col);
	len = get_typlen(keytype);
	ge = get_opfamily_member(req->opfamily, keytype, keytype, BTGreaterEqualStrategyNumber);
	le = get_opfamily_member(req->opfamily, keytype, keytype, BTLessEqualStrategyNumber);
	if (!OidIsValid(ge) || !OidIsValid(le) || len <= 0 || len > WES_MAX_TYPE_LEN)
		return NIL;
	wes_prefix_range(DatumGetTextPP(pat->constvalue), len, format_type_be(keytype), lo, hi);
	req->lossy = false;
	return list_make2(make_opclause(ge, BOOLOID, false, (Expr *) col,
									(Expr *) bytes_const(keytype, lo, len), InvalidOid, InvalidOid),
					  make_opclause(le, BOOLOID, false, (Expr *) col,
									(Expr *) bytes_const(keytype, hi, len), InvalidOid, InvalidOid));
}

PG_FUNCTION_INFO_V1(wes_prefix_support);
/* Planner support for the ^@ functions: B-tree index conditions */
Datum
wes_prefix_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);

	if (IsA(rawreq, SupportRequestIndexCondition))
		PG_RETURN_POINTER(prefix_index_condition((SupportRequestIndexCondition *) rawreq));
	PG_RETURN_POINTER(NULL);
}

/* ---------------------------------------------------------------------
 * Lookups by txid: wes_outpoint_txid(op) = h as a range of outpoints
 * ---------------------------------------------------------------------
 */

/* Is node a call of wes_outpoint_txid, the one in the schema of the function eqfunc? */
static bool
is_txid_call(Node *node, Oid eqfunc)
{
	FuncExpr   *f = (FuncExpr *) node;
	char	   *name;

	if (!IsA(node, FuncExpr) || list_length(f->args) != 1 || f->funcretset)
		return false;
	if (get_func_namespace(f->funcid) != get_func_namespace(eqfunc))
		return false;
	name = get_func_name(f->funcid);
	return name != NULL && strcmp(name, "wes_outpoint_txid") == 0;
}

/*
 * Can expr stand twice in a query, once in each bound, and mean the same?
 * It must not change within a scan of the table (no Var of this query level:
 * a join on txid stays a join the planner can hash), nor be volatile, nor
 * return a set, nor hold a sub-select or an aggregate that would run twice.
 */
static bool
is_pseudo_constant(Node *expr)
{
	return !contain_vars_of_level(expr, 0) && !contain_volatile_functions(expr) &&
		!expression_returns_set(expr) && !contain_subplans(expr) &&
		!contain_agg_clause(expr) && !contain_window_function(expr);
}

/*
 * The bound wes_outpoint(txid, index): a Const when txid is one, else a call
 * of the constructor in the schema of the type's functions.  NULL when that
 * function cannot be found (the rewrite is then skipped).
 */
static Expr *
outpoint_bound(Node *txid, Oid optype, Oid eqfunc, uint32 index)
{
	Oid			argtypes[2] = {exprType(txid), INT8OID};
	List	   *name;
	Oid			make;

	if (IsA(txid, Const))
	{
		WesOutpoint *op = wes_outpoint_make(((WesHash *) DatumGetPointer(((Const *) txid)->constvalue))->data,
											index);

		return (Expr *) bytes_const(optype, op->data, WES_OUTPOINT_LEN);
	}
	name = list_make2(makeString(get_namespace_name(get_func_namespace(eqfunc))),
					  makeString("wes_outpoint"));
	make = LookupFuncName(name, 2, argtypes, true);
	if (!OidIsValid(make))
		return NULL;
	return (Expr *) makeFuncExpr(make, optype,
								 list_make2(txid, makeConst(INT8OID, -1, InvalidOid, 8,
															Int64GetDatum(index), false, true)),
								 InvalidOid, InvalidOid, COERCE_EXPLICIT_CALL);
}

/*
 * Turn "wes_outpoint_txid(op) = h" (either way round, h constant within the
 * query) into "op >= wes_outpoint(h, 0) AND op <= wes_outpoint(h, 4294967295)".
 * Outpoints sort by txid, then index, so the range holds exactly the outpoints
 * of h: the same rows, but a B-tree on op (outputs_pkey) can serve it, and
 * wes_api.outputs WHERE txid = h becomes one index range instead of a scan.
 */
static Node *
txid_equality_simplify(SupportRequestSimplify *req)
{
	FuncExpr   *eq = req->fcall;
	Node	   *left, *right, *call, *txid, *op;
	Oid			optype, opfamily, ge, le;
	Expr	   *lo, *hi;

	if (list_length(eq->args) != 2)
		return NULL;
	left = linitial(eq->args);
	right = lsecond(eq->args);
	if (is_txid_call(left, eq->funcid))
		call = left, txid = right;
	else if (is_txid_call(right, eq->funcid))
		call = right, txid = left;
	else
		return NULL;
	if ((IsA(txid, Const) && ((Const *) txid)->constisnull) || !is_pseudo_constant(txid))
		return NULL;
	op = linitial(((FuncExpr *) call)->args);
	optype = exprType(op);
	opfamily = get_opclass_family(GetDefaultOpClass(optype, BTREE_AM_OID));
	ge = get_opfamily_member(opfamily, optype, optype, BTGreaterEqualStrategyNumber);
	le = get_opfamily_member(opfamily, optype, optype, BTLessEqualStrategyNumber);
	lo = outpoint_bound(txid, optype, eq->funcid, 0);
	hi = outpoint_bound(copyObject(txid), optype, eq->funcid, PG_UINT32_MAX);
	if (!OidIsValid(ge) || !OidIsValid(le) || lo == NULL || hi == NULL)
		return NULL;
	return (Node *) make_andclause(list_make2(
		make_opclause(ge, BOOLOID, false, (Expr *) op, lo, InvalidOid, InvalidOid),
		make_opclause(le, BOOLOID, false, (Expr *) copyObject(op), hi, InvalidOid, InvalidOid)));
}

PG_FUNCTION_INFO_V1(wes_txid_support);
/* Planner support for = on wes_hash: lookups by an outpoint's txid */
Datum
wes_txid_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);

	if (IsA(rawreq, SupportRequestSimplify))
		PG_RETURN_POINTER(txid_equality_simplify((SupportRequestSimplify *) rawreq));
	PG_RETURN_POINTER(NULL);
}
