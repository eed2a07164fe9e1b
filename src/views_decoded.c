/*
 * views_decoded.c
 *	  What the views wes_api.receipts and wes_api.resources (sql/45_views_decoded.sql)
 *	  read out of stored raw bytes with the codec: a receipt's logs and return
 *	  data, and a resource output's metadata.
 *
 * The bytes were decoded once already when their block was written, so a
 * failure here means damaged storage: ERROR 22P03 naming the field.
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "json_form.h"

PG_FUNCTION_INFO_V1(wes_receipt_logs);
PG_FUNCTION_INFO_V1(wes_receipt_return_data);
PG_FUNCTION_INFO_V1(wes_resource_meta_sql);

/* Decode a stored receipt */
static void
decode_receipt(bytea *raw, wes_receipt *r)
{
	wes_error	err;

	if (wes_receipt_decode((const uint8 *) VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw),
						   &wes_palloc_allocator, r, &err) != WES_OK)
		wes_report_decode_error("receipt", &err);
}

/* wes.receipt_logs(raw bytea) RETURNS jsonb: [{"topic": hex, "data": hex}, ...] */
Datum
wes_receipt_logs(PG_FUNCTION_ARGS)
{
	wes_receipt r;
	JsonbParseState *st = NULL;

	decode_receipt(PG_GETARG_BYTEA_PP(0), &r);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(wes_json_push_logs(&st, &r)));
}

/* wes.receipt_return_data(raw bytea) RETURNS bytea */
Datum
wes_receipt_return_data(PG_FUNCTION_ARGS)
{
	wes_receipt r;
	bytea	   *out;

	decode_receipt(PG_GETARG_BYTEA_PP(0), &r);
	out = palloc(VARHDRSZ + r.return_data.len);
	SET_VARSIZE(out, VARHDRSZ + r.return_data.len);
	memcpy(VARDATA(out), r.return_data.ptr, r.return_data.len);
	PG_RETURN_BYTEA_P(out);
}

/*
 * Text of the wire format (UTF-8) as a text datum in the database's encoding;
 * NULL when the database cannot hold it (U+0000, or a character its encoding
 * lacks): the bytes are still in the output's data
 */
static Datum
utf8_text(wes_bytes t, bool *isnull)
{
	int			len;
	const char *why;
	const char *s = wes_text_to_server(t, &len, &why);

	*isnull = s == NULL;
	return *isnull ? (Datum) 0 : PointerGetDatum(cstring_to_text_with_len(s, len));
}

/*
 * wes.resource_meta(data bytea, OUT resource_type text, OUT size numeric,
 * OUT media_type text, OUT name text): the metadata a resource output carries
 */
Datum
wes_resource_meta_sql(PG_FUNCTION_ARGS)
{
	bytea	   *data = PG_GETARG_BYTEA_PP(0);
	wes_resource_meta m;
	wes_error	err;
	TupleDesc	desc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	char		size[32];

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "wes.resource_meta must return a composite type");
	if (wes_resource_meta_decode((const uint8 *) VARDATA_ANY(data), VARSIZE_ANY_EXHDR(data),
								 &m, &err) != WES_OK)
		wes_report_decode_error("resource metadata", &err);

	snprintf(size, sizeof(size), UINT64_FORMAT, m.size);
	values[0] = CStringGetTextDatum(wes_resource_type_name(m.resource_type));
	values[1] = DirectFunctionCall3(numeric_in, CStringGetDatum(size),
									ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	values[2] = utf8_text(m.media_type, &nulls[2]);
	values[3] = utf8_text(m.name, &nulls[3]);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}
