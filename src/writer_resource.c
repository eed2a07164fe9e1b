/*
 * writer_resource.c
 *	  wes_write_resource(content bytea, media_type text DEFAULT NULL): resource
 *	  content (WASM, ONNX, files) stored under its SHA-256, before or after the
 *	  block whose resource output names it.
 *
 * Writing the same content twice is a no-op that returns the same hash; a
 * media type given later fills one that was missing but never replaces one.
 * Stored bytes (or a size) that are not what their SHA-256 names can only come
 * from a change by hand (wes_verify reports them): writing the content again
 * puts the right bytes back.
 */
#include "postgres.h"

#include "fmgr.h"

#include "writer.h"

PG_FUNCTION_INFO_V1(wes_write_resource);

/* Store content under its SHA-256 (idempotent); returns the SHA-256 */
Datum
wes_write_resource(PG_FUNCTION_ARGS)
{
	bytea	   *content;
	uint8		sha[WES_HASH_LEN];
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("resource content must not be null")));
	content = PG_GETARG_BYTEA_PP(0);
	wes_sha256((const uint8 *) VARDATA_ANY(content), VARSIZE_ANY_EXHDR(content), sha);

	values[0] = PointerGetDatum(sha);
	values[1] = PointerGetDatum(content);
	values[2] = PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1);
	nulls[2] = PG_ARGISNULL(1) ? 'n' : ' ';
	values[3] = Int64GetDatum((int64) VARSIZE_ANY_EXHDR(content));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	wes_writer_exec(WES_PLAN_INSERT_RESOURCE, values, nulls);
	SPI_finish();
	PG_RETURN_WESHASH_P(wes_hash_from_bytes(sha));
}
