/*
 * planner_support.c
 *	  Planner support (wes_planner_support) that lets a B-tree serve lookups
 *	  it could not serve as written:
 *
 *	  - value ^@ 'hex prefix' on wes_hash and wes_address: the index condition
 *	    value >= lower AND value <= upper (SupportRequestIndexCondition), with
 *	    the bounds computed at planning for a constant prefix, else at the
 *	    scan's start (a parameter of a generic plan).
 *
 *	  Two lookups of wes_api on a column that is computed rather than stored,
 *	  rewritten while the planner simplifies a query's expressions
 *	  (SupportRequestSimplify):
 *
 *	  - = on wes_hash: wes_outpoint_txid(op) = h becomes
 *	    op >= wes_outpoint(h, 0) AND op <= wes_outpoint(h, 4294967295).
 *	    Outpoints sort by txid, then index, so that range holds exactly the
 *	    outpoints of h, and a B-tree on op serves it: wes_api.outputs WHERE
 *	    txid = h is one range of outputs_pkey.
 *	  - = on wes_outpoint: the outpoint column of wes_api.inputs is
 *	    wes.input_outpoint(outpoint, height, tx_index, reference), which returns
 *	    its first argument.  wes.input_outpoint(op, height, tx_index, ref) = x
 *	    becomes op = x AND (ref OR (height = wes.spend_height(x) AND tx_index =
 *	    wes.spend_tx_index(x))): the references to x through
 *	    inputs_reference_idx, and its spend, at the place the spend mark of the
 *	    output x gives, through inputs_pkey.  There is no index of the
 *	    outpoints that spends name (it would cost every block an insert per
 *	    input).
 *
 * The two rewrites apply only when the other side is constant within the query,
 * since it then appears more than once; a join on such a column is left as written.
 * The first also needs op not volatile: it stands in both bounds of the range.
 */
#include "postgres.h"

#include "access/stratnum.h"
#include "catalog/namespace.h"
#include "catalog/pg_am_d.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "fmgr.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/supportnodes.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "types_internal.h"

/*
 * Is node a call of the function fn?  By OID, never by name: an overload of the
 * same name on another type (which any role with CREATE on the extension's schema
 * can add) is another function, and rewriting it would give its argument the
 * type of ours
 */
static bool
is_call_of(Node *node, Oid fn)
{
	return OidIsValid(fn) && IsA(node, FuncExpr) && ((FuncExpr *) node)->funcid == fn &&
		!((FuncExpr *) node)->funcretset;
}

/*
 * Can expr stand more than once in a query and mean the same each time?  It
 * must not change within a scan of the table (no Var of this query level, in
 * it or in a sub-select of it: a join stays a join the planner can hash), nor
 * be volatile, nor return a set, nor hold an aggregate or window function of
 * this level.  An uncorrelated sub-select may: each copy becomes an InitPlan,
 * run once per execution, on the same snapshot.
 */
static bool
is_pseudo_constant(Node *expr)
{
	return !contain_vars_of_level(expr, 0) && !contain_volatile_functions(expr) &&
		!expression_returns_set(expr) && !contain_agg_clause(expr) &&
		!contain_window_function(expr);
}

/*
 * Split the equality eq into a call of the function fn on one side and a value
 * constant within the query, not NULL, on the other.
 */
static bool
split_equality(FuncExpr *eq, Oid fn, FuncExpr **call, Node **value)
{
	Node	   *left, *right;

	if (list_length(eq->args) != 2)
		return false;
	left = linitial(eq->args);
	right = lsecond(eq->args);
	if (is_call_of(left, fn))
		*call = (FuncExpr *) left, *value = right;
	else if (is_call_of(right, fn))
		*call = (FuncExpr *) right, *value = left;
	else
		return false;
	if (IsA(*value, Const) && ((Const *) *value)->constisnull)
		return false;
	return is_pseudo_constant(*value);
}

/*
 * The function name(argtypes) of namespace nsp, or InvalidOid.  Found in the
 * catalog directly: the rewritten query is planned with the reader's rights, and
 * a reader has no USAGE on schema wes (nor needs it to call a function by OID).
 */
static Oid
function_oid(Oid nsp, const char *name, int nargs, const Oid *argtypes)
{
	if (!OidIsValid(nsp))
		return InvalidOid;
	return GetSysCacheOid3(PROCNAMEARGSNSP, Anum_pg_proc_oid, CStringGetDatum(name),
						   PointerGetDatum(buildoidvector(argtypes, nargs)), ObjectIdGetDatum(nsp));
}

/* The type of the first argument of the function fn (the operand type of an = of ours) */
static Oid
first_argument_type(Oid fn)
{
	Oid		   *argtypes;
	int			nargs;
	Oid			type;

	get_func_signature(fn, &argtypes, &nargs);
	type = nargs > 0 ? argtypes[0] : InvalidOid;
	pfree(argtypes);
	return type;
}

/* The operator of a B-tree strategy on type, from its default operator class */
static Oid
btree_operator(Oid type, StrategyNumber strategy)
{
	Oid			opclass = GetDefaultOpClass(type, BTREE_AM_OID);

	if (!OidIsValid(opclass))
		return InvalidOid;
	return get_opfamily_member(get_opclass_family(opclass), type, type, strategy);
}

/* ---- value ^@ 'hex prefix' ---- */

/* A Const of a fixed-length by-reference type holding a copy of bytes */
static Const *
bytes_const(Oid typid, const uint8 *bytes, int len)
{
	void	   *copy = palloc(len);

	memcpy(copy, bytes, len);
	return makeConst(typid, -1, InvalidOid, len, PointerGetDatum(copy), false, false);
}

/*
 * The bound nsp.<keytype>_prefix_<which>(text) of the type's own schema
 * (wes_hash_prefix_lower, ...), or InvalidOid
 */
static Oid
prefix_bound_function(Oid keytype, const char *which)
{
	HeapTuple	tp = SearchSysCache1(TYPEOID, ObjectIdGetDatum(keytype));
	char		name[2 * NAMEDATALEN];
	Oid			nsp;
	Oid			argtype = TEXTOID;
	Oid			fn;

	if (!HeapTupleIsValid(tp))
		return InvalidOid;
	snprintf(name, sizeof(name), "%s_prefix_%s", NameStr(((Form_pg_type) GETSTRUCT(tp))->typname), which);
	nsp = ((Form_pg_type) GETSTRUCT(tp))->typnamespace;
	ReleaseSysCache(tp);
	fn = function_oid(nsp, name, 1, &argtype);
	return OidIsValid(fn) && get_func_rettype(fn) == keytype ? fn : InvalidOid;
}

/*
 * The bounds of the values of keytype with the prefix pat: Consts computed now
 * when pat is one, else calls of the type's prefix_lower / prefix_upper on pat,
 * evaluated when the scan starts (a parameter of a generic plan, a sub-select,
 * a column of another table in a nested loop).  False if there are none.
 */
static bool
prefix_bounds(Node *pat, Oid keytype, int16 len, Expr **lo, Expr **hi)
{
	Oid			lower, upper;

	if (IsA(pat, Const))
	{
		uint8		lob[WES_MAX_TYPE_LEN];
		uint8		hib[WES_MAX_TYPE_LEN];

		wes_prefix_range(DatumGetTextPP(((Const *) pat)->constvalue), len, format_type_be(keytype), lob, hib);
		*lo = (Expr *) bytes_const(keytype, lob, len);
		*hi = (Expr *) bytes_const(keytype, hib, len);
		return true;
	}
	lower = prefix_bound_function(keytype, "lower");
	upper = prefix_bound_function(keytype, "upper");
	if (!OidIsValid(lower) || !OidIsValid(upper))
		return false;
	*lo = (Expr *) makeFuncExpr(lower, keytype, list_make1(pat), InvalidOid, InvalidOid, COERCE_EXPLICIT_CALL);
	*hi = (Expr *) makeFuncExpr(upper, keytype, list_make1(copyObject(pat)), InvalidOid, InvalidOid,
								COERCE_EXPLICIT_CALL);
	return true;
}

/*
 * Turn "col ^@ prefix" into "col >= lower AND col <= upper" for a B-tree on
 * col, as PostgreSQL does for text ^@.  The range holds exactly the values
 * with that prefix, so the index condition is not lossy.  The prefix may be
 * any value an index condition may compare with: fixed while the scan runs
 * (not volatile) and not read from the indexed table.
 */
static List *
prefix_index_condition(SupportRequestIndexCondition *req)
{
	List	   *args;
	Node	   *col, *pat;
	Oid			keytype, ge, le;
	int16		len;
	Expr	   *lo, *hi;

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
	pat = lsecond(args);
	if (exprType(pat) != TEXTOID || (IsA(pat, Const) && ((Const *) pat)->constisnull) ||
		contain_volatile_functions(pat) || expression_returns_set(pat) ||
		bms_is_member(req->index->rel->relid, pull_varnos(req->root, pat)))
		return NIL;
	keytype = exprType(col);
	len = get_typlen(keytype);
	ge = get_opfamily_member(req->opfamily, keytype, keytype, BTGreaterEqualStrategyNumber);
	le = get_opfamily_member(req->opfamily, keytype, keytype, BTLessEqualStrategyNumber);
	if (!OidIsValid(ge) || !OidIsValid(le) || len <= 0 || len > WES_MAX_TYPE_LEN ||
		!prefix_bounds(pat, keytype, len, &lo, &hi))
		return NIL;
	req->lossy = false;
	return list_make2(make_opclause(ge, BOOLOID, false, (Expr *) col, lo, InvalidOid, InvalidOid),
					  make_opclause(le, BOOLOID, false, (Expr *) col, hi, InvalidOid, InvalidOid));
}

/* ---- wes_outpoint_txid(op) = h ---- */

/*
 * The bound wes_outpoint(txid, index): a Const when txid is one, else a call
 * of wes_outpoint(wes_hash, bigint) of namespace nsp.  NULL if it cannot be found.
 */
static Expr *
outpoint_bound(Node *txid, Oid optype, Oid nsp, uint32 index)
{
	Oid			argtypes[2] = {exprType(txid), INT8OID};
	Oid			make;

	if (IsA(txid, Const))
	{
		const WesHash *h = (const WesHash *) DatumGetPointer(((Const *) txid)->constvalue);

		return (Expr *) makeConst(optype, -1, InvalidOid, WES_OUTPOINT_LEN,
								  PointerGetDatum(wes_outpoint_make(h->data, index)), false, false);
	}
	make = function_oid(nsp, "wes_outpoint", 2, argtypes);
	if (!OidIsValid(make))
		return NULL;
	return (Expr *) makeFuncExpr(make, optype,
								 list_make2(txid, makeConst(INT8OID, -1, InvalidOid, 8,
															Int64GetDatum(index), false, true)),
								 InvalidOid, InvalidOid, COERCE_EXPLICIT_CALL);
}

/*
 * wes_outpoint_txid(op) = txid, both functions ours: those of the namespace of
 * this = on wes_hash, found by their signatures
 */
static Node *
txid_equality_simplify(SupportRequestSimplify *req)
{
	Oid			nsp = get_func_namespace(req->fcall->funcid);
	Oid			optype = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum("wes_outpoint"),
										 ObjectIdGetDatum(nsp));
	FuncExpr   *call;
	Node	   *txid, *op;
	Oid			ge, le;
	Expr	   *lo, *hi;

	if (!OidIsValid(optype) ||
		!split_equality(req->fcall, function_oid(nsp, "wes_outpoint_txid", 1, &optype), &call, &txid))
		return NULL;
	op = linitial(call->args);
	/* op stands in both bounds: drawn twice, a volatile op could pass with two values */
	if (contain_volatile_functions(op) || expression_returns_set(op))
		return NULL;
	ge = btree_operator(optype, BTGreaterEqualStrategyNumber);
	le = btree_operator(optype, BTLessEqualStrategyNumber);
	lo = outpoint_bound(txid, optype, nsp, 0);
	hi = outpoint_bound(copyObject(txid), optype, nsp, PG_UINT32_MAX);
	if (!OidIsValid(ge) || !OidIsValid(le) || lo == NULL || hi == NULL)
		return NULL;
	return (Node *) make_andclause(list_make2(
		make_opclause(ge, BOOLOID, false, (Expr *) op, lo, InvalidOid, InvalidOid),
		make_opclause(le, BOOLOID, false, (Expr *) copyObject(op), hi, InvalidOid, InvalidOid)));
}

/* ---- wes.input_outpoint(op, height, tx_index, reference) = x ---- */

/* col = fn(x), fn one of the wes.spend_* functions, returning col's type */
static Expr *
equals_call(Node *col, Oid fn, Node *x)
{
	Oid			type = exprType(col);

	return make_opclause(btree_operator(type, BTEqualStrategyNumber), BOOLOID, false, (Expr *) col,
						 (Expr *) makeFuncExpr(fn, type, list_make1(x), InvalidOid, InvalidOid,
											   COERCE_EXPLICIT_CALL),
						 InvalidOid, InvalidOid);
}

/* wes.input_outpoint(op, height, tx_index, reference) = x, on the wes_outpoint of this = */
static Node *
input_equality_simplify(SupportRequestSimplify *req)
{
	Oid			optype = first_argument_type(req->fcall->funcid);
	Oid			argtypes[4] = {optype, INT8OID, INT4OID, BOOLOID};
	Oid			wes = get_namespace_oid("wes", true);
	FuncExpr   *call;
	Node	   *x, *op, *height, *tx_index, *reference;
	Oid			eqop, spend_height, spend_tx_index;

	if (!split_equality(req->fcall, function_oid(wes, "input_outpoint", 4, argtypes), &call, &x))
		return NULL;
	op = linitial(call->args);
	height = lsecond(call->args);
	tx_index = lthird(call->args);
	reference = lfourth(call->args);
	if (exprType(op) != optype || exprType(x) != optype)
		return NULL;
	eqop = btree_operator(optype, BTEqualStrategyNumber);
	spend_height = function_oid(wes, "spend_height", 1, &optype);
	spend_tx_index = function_oid(wes, "spend_tx_index", 1, &optype);
	if (!OidIsValid(eqop) || !OidIsValid(spend_height) || !OidIsValid(spend_tx_index))
		return NULL;
	return (Node *) make_andclause(list_make2(
		make_opclause(eqop, BOOLOID, false, (Expr *) op, (Expr *) x, InvalidOid, InvalidOid),
		make_orclause(list_make2(
			reference,
			make_andclause(list_make2(equals_call(height, spend_height, copyObject(x)),
									  equals_call(tx_index, spend_tx_index, copyObject(x))))))));
}

/* ---- the entry point ---- */

PG_FUNCTION_INFO_V1(wes_planner_support);
/*
 * The support function of the ^@ functions (index conditions), of = on
 * wes_hash and of = on wes_outpoint (simplifications)
 */
Datum
wes_planner_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);

	if (IsA(rawreq, SupportRequestIndexCondition))
		PG_RETURN_POINTER(prefix_index_condition((SupportRequestIndexCondition *) rawreq));
	if (IsA(rawreq, SupportRequestSimplify))
	{
		SupportRequestSimplify *req = (SupportRequestSimplify *) rawreq;
		char	   *name = get_func_name(req->fcall->funcid);

		if (name != NULL && strcmp(name, "wes_hash_eq") == 0)
			PG_RETURN_POINTER(txid_equality_simplify(req));
		if (name != NULL && strcmp(name, "wes_outpoint_eq") == 0)
			PG_RETURN_POINTER(input_equality_simplify(req));
	}
	PG_RETURN_POINTER(NULL);
}

PG_FUNCTION_INFO_V1(wes_input_outpoint);
/* wes.input_outpoint(outpoint, height, tx_index, reference): the outpoint (see above) */
Datum
wes_input_outpoint(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(PG_GETARG_DATUM(0));
}
