/*
 * snapshot.c
 *	  Full snapshots of the chain state (height, block hash, state root, UTXO
 *	  count, accumulator): on demand (wes_snapshot_create) and automatically
 *	  every wes_persist.snapshot_interval blocks, with wes_persist.snapshot_retention
 *	  newest kept.  Also the journal's retained depth (wes_persist.journal_depth),
 *	  applied after every block, and the helpers rollback and export/import share.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "wes_snapshot.h"
#include "wes_persist.h"
#include "writer.h"

PG_FUNCTION_INFO_V1(wes_snapshot_create);
PG_FUNCTION_INFO_V1(wes_output_encoding);

/* The quoted name of the schema a C function of the extension lives in */
char *
wes_function_schema(FunctionCallInfo fcinfo)
{
	return (char *) quote_identifier(get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid)));
}

/* Run one statement through SPI with %1$s replaced by schema; rows processed */
uint64
wes_spi_run(const char *sql, const char *schema, int nargs, Oid *types,
			Datum *values, const char *nulls, bool read_only)
{
	char	   *text = schema ? psprintf(sql, schema) : (char *) sql;
	int			rc = SPI_execute_with_args(text, nargs, types, values, nulls, read_only, 0);

	if (rc < 0)
		elog(ERROR, "SPI_execute_with_args failed for \"%s\": %s", text, SPI_result_code_string(rc));
	return SPI_processed;
}

/* The exact encoding of an output from its stored columns (wire format, via the codec) */
bytea *
wes_output_encoding_from_columns(int16 kind, const WesAddress *owner, int64 amount,
								 const WesHash *ref, const bytea *lock, const bytea *data)
{
	wes_output	out = {0};
	wes_buf		buf;
	bytea	   *result;

	out.kind = (uint8) kind;
	out.owner = owner->data;
	out.amount = (uint64) amount;
	out.ref = ref->data;
	out.lock.ptr = (const uint8 *) VARDATA_ANY(lock);
	out.lock.len = VARSIZE_ANY_EXHDR(lock);
	out.data.ptr = (const uint8 *) VARDATA_ANY(data);
	out.data.len = VARSIZE_ANY_EXHDR(data);

	wes_buf_init(&buf, &wes_palloc_allocator, VARHDRSZ + WES_MIN_OUTPUT_LEN + out.lock.len + out.data.len);
	wes_buf_put(&buf, "\0\0\0\0", VARHDRSZ);	/* room for the varlena header */
	wes_encode_output(&buf, &out);
	if (buf.failed)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory encoding an output")));
	result = (bytea *) buf.data;
	SET_VARSIZE(result, buf.len);
	return result;
}

/* wes.output_encoding(kind, owner, amount, ref, lock, data) RETURNS bytea */
Datum
wes_output_encoding(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(wes_output_encoding_from_columns(PG_GETARG_INT16(0), PG_GETARG_WESADDRESS_P(1),
													   PG_GETARG_INT64(2), PG_GETARG_WESHASH_P(3),
													   PG_GETARG_BYTEA_PP(4), PG_GETARG_BYTEA_PP(5)));
}

/* Keep the snapshot_retention newest snapshots (never the one a database was started from) */
static void
apply_retention(void)
{
	Oid			type = INT4OID;
	Datum		value = Int32GetDatum(wes_snapshot_retention);

	if (wes_snapshot_retention <= 0)
		return;
	wes_spi_run("DELETE FROM wes.snapshots WHERE height < "
				"(SELECT s.height FROM wes.snapshots s ORDER BY s.height DESC OFFSET $1 - 1 LIMIT 1) "
				"AND height <> (SELECT c.base_height - 1 FROM wes.chain_state c)",
				NULL, 1, &type, &value, NULL, false);
}

/* Insert a snapshot of the tip (chain-state row already locked), then apply retention */
void
wes_snapshot_take(bool automatic)
{
	Oid			type = BOOLOID;
	Datum		value = BoolGetDatum(automatic);

	if (wes_spi_run("INSERT INTO wes.snapshots (height, block_hash, state_root, utxo_count, accumulator, automatic) "
					"SELECT height, hash, state_root, utxo_count, accumulator, $1 FROM wes.chain_state "
					"WHERE height IS NOT NULL ON CONFLICT (height) DO NOTHING",
					NULL, 1, &type, &value, NULL, false) > 0)
		apply_retention();
}

/*
 * After the writer stored a block (inside its SPI connection, chain-state row
 * locked): prune the journal to journal_depth blocks, take the automatic snapshot
 */
void
wes_after_block_stored(int64 height)
{
	if (wes_journal_depth > 0 && height - wes_journal_depth >= 0)
	{
		Oid			type = INT8OID;
		Datum		value = Int64GetDatum(height - wes_journal_depth);

		wes_spi_run("DELETE FROM wes.journal WHERE height <= $1", NULL, 1, &type, &value, NULL, false);
	}
	if (wes_snapshot_interval > 0 && height > 0 && height % wes_snapshot_interval == 0)
		wes_snapshot_take(true);
}

/*
 * wes_snapshot_create() RETURNS TABLE (height, block_hash, state_root, utxo_count):
 * a snapshot of the tip (the existing one when the tip already has one)
 */
Datum
wes_snapshot_create(PG_FUNCTION_ARGS)
{
	WesBlockWork *w = palloc0(sizeof(WesBlockWork));
	TupleDesc	desc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	Oid			type = INT8OID;
	Datum		h;
	HeapTuple	row;
	bool		isnull;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "wes_snapshot_create must return a row");
	wes_snapshot_import_refuse("wes_snapshot_create");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	wes_writer_lock_tip(w);
	if (!w->has_tip)
		ereport(ERROR,
				(errcode(ERRCODE_WES_UNSERVABLE),
				 errmsg("cannot take a snapshot of an empty chain")));
	wes_snapshot_take(false);

	h = Int64GetDatum(w->tip_height);
	if (wes_spi_run("SELECT height, block_hash, state_root, utxo_count FROM wes.snapshots WHERE height = $1",
					NULL, 1, &type, &h, NULL, false) != 1)
		elog(ERROR, "the snapshot of height " INT64_FORMAT " is missing", w->tip_height);
	row = SPI_tuptable->vals[0];
	values[0] = SPI_getbinval(row, SPI_tuptable->tupdesc, 1, &isnull);
	values[1] = PointerGetDatum(wes_hash_from_bytes(DatumGetWesHashP(SPI_getbinval(row, SPI_tuptable->tupdesc, 2, &isnull))->data));
	values[2] = PointerGetDatum(wes_hash_from_bytes(DatumGetWesHashP(SPI_getbinval(row, SPI_tuptable->tupdesc, 3, &isnull))->data));
	values[3] = SPI_getbinval(row, SPI_tuptable->tupdesc, 4, &isnull);
	SPI_finish();
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}
