/*
 * queries.c
 *	  The parts of the QueryService that need C: RFC 6962 audit paths of a
 *	  transaction to its block's tx_root, and their verification (the codec's
 *	  wes_merkle_path / wes_merkle_verify), and the names of output kinds.
 *	  Everything else is SQL in sql/40_api.sql.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "wes_types.h"

#define WES_MERKLE_MAX_PATH 64

PG_FUNCTION_INFO_V1(wes_merkle_path_sql);
PG_FUNCTION_INFO_V1(wes_verify_tx_proof);
PG_FUNCTION_INFO_V1(wes_kind_name_sql);

/* The hashes of a wes_hash[] as a contiguous array; n receives the count */
static const uint8 (*
hash_array_values(ArrayType *arr, const char *argname, int *n))[WES_HASH_LEN]
{
	Datum	   *elems;
	bool	   *nulls;
	uint8		(*out)[WES_HASH_LEN];
	int16		typlen;
	bool		typbyval;
	char		typalign;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", argname)));
	get_typlenbyvalalign(ARR_ELEMTYPE(arr), &typlen, &typbyval, &typalign);
	if (typlen != WES_HASH_LEN || typbyval)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s must be an array of wes_hash", argname)));
	deconstruct_array(arr, ARR_ELEMTYPE(arr), typlen, typbyval, typalign, &elems, &nulls, n);
	out = palloc(sizeof(*out) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s[%d] is null", argname, i + 1)));
		memcpy(out[i], DatumGetPointer(elems[i]), WES_HASH_LEN);
	}
	return (const uint8 (*)[WES_HASH_LEN]) out;
}

/* wes.merkle_path(leaves wes_hash[], leaf_index int): the audit path of one leaf, leaf first */
Datum
wes_merkle_path_sql(PG_FUNCTION_ARGS)
{
	ArrayType  *leaves_arr = PG_GETARG_ARRAYTYPE_P(0);
	int32		index = PG_GETARG_INT32(1);
	const uint8 (*leaves)[WES_HASH_LEN];
	uint8		path[WES_MERKLE_MAX_PATH][WES_HASH_LEN];
	Datum		out[WES_MERKLE_MAX_PATH];
	size_t		len;
	int			n;

	leaves = hash_array_values(leaves_arr, "leaves", &n);
	if (index < 0 || index >= n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("leaf index %d is outside a tree of %d leaves", index, n)));
	len = wes_merkle_path(leaves, n, index, path);
	for (size_t i = 0; i < len; i++)
		out[i] = PointerGetDatum(wes_hash_from_bytes(path[i]));
	PG_RETURN_ARRAYTYPE_P(construct_array(out, (int) len, ARR_ELEMTYPE(leaves_arr),
										  WES_HASH_LEN, false, TYPALIGN_CHAR));
}

/*
 * wes_verify_tx_proof(txid, tx_index, tx_count, path, tx_root): whether path
 * proves txid at tx_index among tx_count leaves under tx_root.  A proof that
 * does not fit the tree (index out of range, path too long) is false, not an
 * error: callers check proofs they received from elsewhere.
 */
Datum
wes_verify_tx_proof(PG_FUNCTION_ARGS)
{
	WesHash    *txid = PG_GETARG_WESHASH_P(0);
	int64		index = PG_GETARG_INT64(1);
	int64		count = PG_GETARG_INT64(2);
	ArrayType  *path_arr = PG_GETARG_ARRAYTYPE_P(3);
	WesHash    *root = PG_GETARG_WESHASH_P(4);
	const uint8 (*path)[WES_HASH_LEN];
	int			n;

	path = hash_array_values(path_arr, "path", &n);
	if (index < 0 || count <= 0 || index >= count || n > WES_MERKLE_MAX_PATH)
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(wes_merkle_verify(txid->data, (size_t) index, (size_t) count,
									 path, (size_t) n, root->data));
}

/* wes.kind_name(smallint): the codec's name of an output kind; NULL for any other value */
Datum
wes_kind_name_sql(PG_FUNCTION_ARGS)
{
	int16		kind = PG_GETARG_INT16(0);
	const char *name = kind >= 0 && kind <= PG_UINT8_MAX ? wes_kind_name((uint8_t) kind) : NULL;

	if (name == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(name));
}
