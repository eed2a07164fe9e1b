/*
 * verify_rows.c
 *	  The rows a raw transaction implies, as set-returning functions:
 *	  wes.tx_outputs(raw) and wes.tx_inputs(raw).  wes_verify compares them
 *	  with wes.outputs and wes.inputs, and wes_rebuild_indexes writes them back,
 *	  both as one set-based statement over wes.transactions.
 *
 * A raw transaction that does not decode yields no rows: the decode failure
 * is a finding of its own (check tx_decode), and the repair functions refuse
 * to rebuild from bytes that do not decode.
 */
#include "postgres.h"

#include "funcapi.h"

#include "verify.h"

PG_FUNCTION_INFO_V1(wes_tx_outputs);
PG_FUNCTION_INFO_V1(wes_tx_inputs);
PG_FUNCTION_INFO_V1(wes_receipt_fields);

/* A palloc'd bytea holding a copy of n bytes */
bytea *
wes_bytes_to_bytea(const uint8 *p, size_t n)
{
	bytea	   *v = palloc(VARHDRSZ + n);

	SET_VARSIZE(v, VARHDRSZ + n);
	if (n > 0)
		memcpy(VARDATA(v), p, n);
	return v;
}

static Datum
bytes_datum(const uint8 *p, uint32 n)
{
	return PointerGetDatum(wes_bytes_to_bytea(p, n));
}

/* Start the result set and decode the raw argument; false (and no rows) when it does not decode */
static bool
begin_rows(FunctionCallInfo fcinfo, wes_tx *tx)
{
	bytea	   *raw = PG_GETARG_BYTEA_PP(0);
	wes_error	err;

	InitMaterializedSRF(fcinfo, 0);
	return wes_tx_decode((const uint8 *) VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw),
						 &wes_palloc_allocator, tx, &err) == WES_OK;
}

/*
 * wes.tx_outputs(raw bytea) RETURNS TABLE (output_index int, kind smallint,
 * owner wes_address, amount bigint, ref wes_hash, lock bytea, data bytea, encoding bytea)
 */
Datum
wes_tx_outputs(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	wes_tx		tx;

	if (!begin_rows(fcinfo, &tx))
		return (Datum) 0;
	for (uint32 i = 0; i < tx.n_outputs; i++)
	{
		const wes_output *o = &tx.outputs[i];
		Datum		v[8];
		bool		n[8] = {0};

		v[0] = Int32GetDatum((int32) i);
		v[1] = Int16GetDatum((int16) o->kind);
		v[2] = PointerGetDatum(o->owner);
		v[3] = Int64GetDatum((int64) o->amount);
		v[4] = PointerGetDatum(o->ref);
		v[5] = bytes_datum(o->lock.ptr, o->lock.len);
		v[6] = bytes_datum(o->data.ptr, o->data.len);
		v[7] = bytes_datum(o->encoding.ptr, o->encoding.len);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, n);
	}
	return (Datum) 0;
}

/*
 * wes.tx_inputs(raw bytea) RETURNS TABLE (input_index int, outpoint wes_outpoint,
 * reference boolean, unlock bytea)
 */
Datum
wes_tx_inputs(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	wes_tx		tx;

	if (!begin_rows(fcinfo, &tx))
		return (Datum) 0;
	for (uint32 i = 0; i < tx.n_inputs; i++)
	{
		const wes_input *in = &tx.inputs[i];
		WesOutpoint op;
		Datum		v[4];
		bool		n[4] = {0};

		wes_outpoint_set(&op, in->txid, in->index);
		v[0] = Int32GetDatum((int32) i);
		v[1] = PointerGetDatum(&op);
		v[2] = BoolGetDatum(in->flags == WES_INPUT_REFERENCE);
		v[3] = bytes_datum(in->unlock.ptr, in->unlock.len);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, n);
	}
	return (Datum) 0;
}

/* wes.receipt_fields(raw bytea, OUT status smallint, OUT fee bigint): NULLs when it does not decode */
Datum
wes_receipt_fields(PG_FUNCTION_ARGS)
{
	bytea	   *raw = PG_GETARG_BYTEA_PP(0);
	TupleDesc	desc;
	wes_receipt r;
	wes_error	err;
	Datum		v[2] = {0, 0};
	bool		n[2] = {true, true};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "wes.receipt_fields must return a record");
	desc = BlessTupleDesc(desc);
	if (wes_receipt_decode((const uint8 *) VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw),
						   &wes_palloc_allocator, &r, &err) == WES_OK)
	{
		v[0] = Int16GetDatum((int16) r.status);
		v[1] = Int64GetDatum((int64) r.fee);
		n[0] = n[1] = false;
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, v, n)));
}
