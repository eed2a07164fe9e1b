/*
 * digest.c
 *	  The wire format's hash H (BLAKE2b-256) for SQL callers: wes_digest(bytea)
 *	  computes a txid from a transaction's bytes or a receipt hash from a
 *	  receipt's, and wes_block_hash(bytea) the hash of a block in wire format
 *	  (H of its 156-byte header), without writing anything.
 */
#include "postgres.h"

#include "fmgr.h"

#include "wes_types.h"

PG_FUNCTION_INFO_V1(wes_digest);
PG_FUNCTION_INFO_V1(wes_block_hash);

/* wes_digest(data bytea) RETURNS wes_hash: H(data) */
Datum
wes_digest(PG_FUNCTION_ARGS)
{
	bytea	   *data = PG_GETARG_BYTEA_PP(0);
	uint8		out[WES_HASH_LEN];

	wes_hash((const uint8 *) VARDATA_ANY(data), VARSIZE_ANY_EXHDR(data), out);
	PG_RETURN_WESHASH_P(wes_hash_from_bytes(out));
}

/* wes_block_hash(block bytea) RETURNS wes_hash: H(header), the header being the first 156 bytes */
Datum
wes_block_hash(PG_FUNCTION_ARGS)
{
	bytea	   *block = PG_GETARG_BYTEA_PP(0);
	uint8		out[WES_HASH_LEN];

	if (VARSIZE_ANY_EXHDR(block) < WES_HEADER_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid block: header at byte offset 0: truncated: needs %d bytes, %zu remain",
						WES_HEADER_LEN, (size_t) VARSIZE_ANY_EXHDR(block))));
	wes_hash((const uint8 *) VARDATA_ANY(block), WES_HEADER_LEN, out);
	PG_RETURN_WESHASH_P(wes_hash_from_bytes(out));
}
