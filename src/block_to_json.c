/*
 * block_to_json.c
 *	  From a block's bytes to its JSON form: wes_block_to_jsonb(bytea), and
 *	  the builders the decoded views reuse (a receipt's logs).
 *
 * The block is decoded by the codec (22P03 when it does not decode) and every
 * field is written out: hashes, addresses and opaque bytes as lower-case hex,
 * integers as JSON numbers (jsonb numbers are exact, u64 included), kinds,
 * resource types and statuses by name, an input's flags as "reference".
 * docs/json-form.md describes the form.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "json_form.h"

PG_FUNCTION_INFO_V1(wes_block_to_jsonb);

/* Name of a receipt status, NULL when unknown */
const char *
wes_status_name(uint8 status)
{
	static const char *const names[] = {"success", "failure"};

	return status < lengthof(names) ? names[status] : NULL;
}

/* ---------------------------------------------------------------------
 * Keys and scalars
 * ---------------------------------------------------------------------
 */

static void
put_key(JsonbParseState **st, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	pushJsonbValue(st, WJB_KEY, &k);
}

static void
put_string(JsonbParseState **st, const char *key, const char *s, int len)
{
	JsonbValue	v;

	put_key(st, key);
	v.type = jbvString;
	v.val.string.val = (char *) s;
	v.val.string.len = len;
	pushJsonbValue(st, WJB_VALUE, &v);
}

/* Bytes as lower-case hex */
static void
put_hex(JsonbParseState **st, const char *key, const uint8 *p, size_t n)
{
	put_string(st, key, wes_hex_encode(p, n), (int) (2 * n));
}

static void
put_hex_bytes(JsonbParseState **st, const char *key, wes_bytes b)
{
	put_hex(st, key, b.ptr, b.len);
}

/*
 * Text of the wire format (UTF-8, checked by the codec) as the database holds
 * it; *len receives its length.  NULL when the database cannot hold it, and
 * *why then says what it holds: U+0000, which is valid UTF-8 but no text value
 * can hold, or a character that the database's encoding lacks.
 */
const char *
wes_text_to_server(wes_bytes t, int *len, const char **why)
{
	int			enc = GetDatabaseEncoding();
	Oid			proc;
	unsigned char *dest;

	if (t.len > 0 && memchr(t.ptr, '\0', t.len) != NULL)
	{
		*why = "U+0000, which no text value can hold";
		return NULL;
	}
	*len = (int) t.len;
	if (t.len == 0 || enc == PG_UTF8 || enc == PG_SQL_ASCII)
		return pg_any_to_server((const char *) t.ptr, (int) t.len, PG_UTF8);
	if (t.len >= MaxAllocSize / MAX_CONVERSION_GROWTH)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("text of %u bytes is too long to convert to encoding %s", t.len,
						GetDatabaseEncodingName())));
	proc = FindDefaultConversionProc(PG_UTF8, enc);
	dest = palloc(t.len * MAX_CONVERSION_GROWTH + 1);
	if (!OidIsValid(proc) ||
		pg_do_encoding_conversion_buf(proc, PG_UTF8, enc, unconstify(uint8 *, t.ptr), (int) t.len,
									  dest, (int) t.len * MAX_CONVERSION_GROWTH + 1, true) < (int) t.len)
	{
		*why = psprintf("a character that encoding %s lacks", GetDatabaseEncodingName());
		return NULL;
	}
	*len = (int) strlen((char *) dest);
	return (const char *) dest;
}

/* Text of the metadata of output k of transaction t (which the error names when the database cannot hold it) */
static void
put_meta_text(JsonbParseState **st, const char *key, wes_bytes text, uint32 t, uint32 k)
{
	int			len;
	const char *why;
	const char *s = wes_text_to_server(text, &len, &why);

	if (s == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNTRANSLATABLE_CHARACTER),
				 errmsg("the block has no JSON form in this database: $.transactions[%u].outputs[%u].data.%s holds %s",
						t, k, key, why),
				 errhint("wes_write_block(bytea) takes the block, and wes_api.outputs.data holds these bytes.")));
	put_string(st, key, s, len);
}

/* An unsigned integer as an exact JSON number */
static void
put_uint(JsonbParseState **st, const char *key, uint64 x)
{
	JsonbValue	v;

	put_key(st, key);
	v.type = jbvNumeric;
	if (x <= (uint64) PG_INT64_MAX)
		v.val.numeric = int64_to_numeric((int64) x);
	else
	{
		char		digits[32];

		snprintf(digits, sizeof(digits), UINT64_FORMAT, x);
		v.val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(digits),
															ObjectIdGetDatum(InvalidOid),
															Int32GetDatum(-1)));
	}
	pushJsonbValue(st, WJB_VALUE, &v);
}

static void
put_bool(JsonbParseState **st, const char *key, bool b)
{
	JsonbValue	v;

	put_key(st, key);
	v.type = jbvBool;
	v.val.boolean = b;
	pushJsonbValue(st, WJB_VALUE, &v);
}

/* Start an object or array: as the value of key, or (key NULL) as an array element or the root */
static void
begin(JsonbParseState **st, const char *key, JsonbIteratorToken token)
{
	if (key)
		put_key(st, key);
	pushJsonbValue(st, token, NULL);
}

/* ---------------------------------------------------------------------
 * The parts of a block
 * ---------------------------------------------------------------------
 */

static void
push_header(JsonbParseState **st, const wes_header *h)
{
	begin(st, "header", WJB_BEGIN_OBJECT);
	put_uint(st, "version", h->version);
	put_uint(st, "height", h->height);
	put_uint(st, "timestamp_ms", h->timestamp_ms);
	put_hex(st, "prev_hash", h->prev_hash, WES_HASH_LEN);
	put_hex(st, "tx_root", h->tx_root, WES_HASH_LEN);
	put_hex(st, "receipt_root", h->receipt_root, WES_HASH_LEN);
	put_hex(st, "state_root", h->state_root, WES_HASH_LEN);
	put_uint(st, "nonce", h->nonce);
	pushJsonbValue(st, WJB_END_OBJECT, NULL);
}

static void
push_input(JsonbParseState **st, const wes_input *in)
{
	begin(st, NULL, WJB_BEGIN_OBJECT);
	put_hex(st, "txid", in->txid, WES_HASH_LEN);
	put_uint(st, "index", in->index);
	put_bool(st, "reference", in->flags == WES_INPUT_REFERENCE);
	put_hex_bytes(st, "unlock", in->unlock);
	pushJsonbValue(st, WJB_END_OBJECT, NULL);
}

/* A resource output's data: its metadata (output k of transaction t, for errors) */
static void
push_resource_meta(JsonbParseState **st, const wes_resource_meta *m, uint32 t, uint32 k)
{
	begin(st, "data", WJB_BEGIN_OBJECT);
	put_string(st, "resource_type", wes_resource_type_name(m->resource_type),
			   strlen(wes_resource_type_name(m->resource_type)));
	put_uint(st, "size", m->size);
	put_meta_text(st, "media_type", m->media_type, t, k);
	put_meta_text(st, "name", m->name, t, k);
	pushJsonbValue(st, WJB_END_OBJECT, NULL);
}

static void
push_output(JsonbParseState **st, const wes_output *out, uint32 t, uint32 k)
{
	const char *kind = wes_kind_name(out->kind);

	begin(st, NULL, WJB_BEGIN_OBJECT);
	put_string(st, "kind", kind, strlen(kind));
	put_hex(st, "owner", out->owner, WES_ADDR_LEN);
	put_uint(st, "amount", out->amount);
	put_hex(st, "ref", out->ref, WES_HASH_LEN);
	put_hex_bytes(st, "lock", out->lock);
	if (out->kind == WES_KIND_RESOURCE)
		push_resource_meta(st, &out->resource, t, k);
	else
		put_hex_bytes(st, "data", out->data);
	pushJsonbValue(st, WJB_END_OBJECT, NULL);
}

static void
push_tx(JsonbParseState **st, const wes_tx *tx, uint32 t)
{
	begin(st, NULL, WJB_BEGIN_OBJECT);
	put_uint(st, "version", tx->version);
	begin(st, "inputs", WJB_BEGIN_ARRAY);
	for (uint32 i = 0; i < tx->n_inputs; i++)
		push_input(st, &tx->inputs[i]);
	pushJsonbValue(st, WJB_END_ARRAY, NULL);
	begin(st, "outputs", WJB_BEGIN_ARRAY);
	for (uint32 i = 0; i < tx->n_outputs; i++)
		push_output(st, &tx->outputs[i], t, i);
	pushJsonbValue(st, WJB_END_ARRAY, NULL);
	put_hex_bytes(st, "payload", tx->payload);
	pushJsonbValue(st, WJB_END_OBJECT, NULL);
}

/* A receipt's logs as an array of {topic, data}; returns the array when it is the root */
JsonbValue *
wes_json_push_logs(JsonbParseState **st, const wes_receipt *r)
{
	pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
	for (uint32 i = 0; i < r->n_logs; i++)
	{
		begin(st, NULL, WJB_BEGIN_OBJECT);
		put_hex(st, "topic", r->logs[i].topic, WES_HASH_LEN);
		put_hex_bytes(st, "data", r->logs[i].data);
		pushJsonbValue(st, WJB_END_OBJECT, NULL);
	}
	return pushJsonbValue(st, WJB_END_ARRAY, NULL);
}

static void
push_receipt(JsonbParseState **st, const wes_receipt *r)
{
	const char *status = wes_status_name(r->status);

	begin(st, NULL, WJB_BEGIN_OBJECT);
	put_string(st, "status", status, strlen(status));
	put_uint(st, "fee", r->fee);
	put_hex_bytes(st, "return_data", r->return_data);
	put_key(st, "logs");
	wes_json_push_logs(st, r);
	pushJsonbValue(st, WJB_END_OBJECT, NULL);
}

/* The JSON form of a decoded block */
Jsonb *
wes_block_jsonb(const wes_block *b)
{
	JsonbParseState *st = NULL;
	JsonbValue *root;

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	push_header(&st, &b->header);
	begin(&st, "transactions", WJB_BEGIN_ARRAY);
	for (uint32 i = 0; i < b->n_tx; i++)
		push_tx(&st, &b->txs[i], i);
	pushJsonbValue(&st, WJB_END_ARRAY, NULL);
	begin(&st, "receipts", WJB_BEGIN_ARRAY);
	for (uint32 i = 0; i < b->n_tx; i++)
		push_receipt(&st, &b->receipts[i]);
	pushJsonbValue(&st, WJB_END_ARRAY, NULL);
	root = pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(root);
}

/* wes_block_to_jsonb(block bytea) RETURNS jsonb: 22P03 when the bytes do not decode */
Datum
wes_block_to_jsonb(PG_FUNCTION_ARGS)
{
	bytea	   *raw = PG_GETARG_BYTEA_PP(0);
	wes_block	b;
	wes_error	err;

	if (wes_block_decode((const uint8 *) VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw),
						 &wes_palloc_allocator, &b, &err) != WES_OK)
		wes_report_decode_error("block", &err);
	PG_RETURN_JSONB_P(wes_block_jsonb(&b));
}
