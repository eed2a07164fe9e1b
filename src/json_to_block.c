/*
 * json_to_block.c
 *	  From the JSON form of a block to its canonical bytes:
 *	  wes_block_from_jsonb(jsonb), wes_write_block(jsonb) and
 *	  wes_block_jsonb_to_bytes(), which both call.
 *
 * The form is read key by key in wire order into the codec's structures, and
 * the codec's encoder writes the bytes, so the field order lives in one place.
 * The shape (keys, types, hex, integer ranges, names) is checked here, each
 * failure naming its JSON path; the rules on values that the wire format
 * itself carries (versions, an asset's empty data, amounts) are then checked
 * by decoding the result, whose field paths are the JSON paths without "$.".
 * Every rejection is ERROR 22023.
 */
#include "postgres.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "json_form.h"
#include "wes_persist.h"

PG_FUNCTION_INFO_V1(wes_block_from_jsonb);
PG_FUNCTION_INFO_V1(wes_write_block_jsonb);

/* How much of an offending value or key a message quotes */
#define QUOTE_MAX	40

/* Where the reader is: the JSON path of the value being read */
typedef struct FormReader
{
	StringInfoData path;
} FormReader;

/* Reads one element of a list into item */
typedef void (*ReadItem) (FormReader *r, JsonbValue *v, void *item);

static const char *const block_keys[] = {"header", "transactions", "receipts", NULL};
static const char *const header_keys[] = {"version", "height", "timestamp_ms", "prev_hash", "tx_root",
"receipt_root", "state_root", "nonce", NULL};
static const char *const tx_keys[] = {"version", "inputs", "outputs", "payload", NULL};
static const char *const input_keys[] = {"txid", "index", "reference", "unlock", NULL};
static const char *const output_keys[] = {"kind", "owner", "amount", "ref", "lock", "data", NULL};
static const char *const resource_keys[] = {"resource_type", "size", "media_type", "name", NULL};
static const char *const receipt_keys[] = {"status", "fee", "return_data", "logs", NULL};
static const char *const log_keys[] = {"topic", "data", NULL};

/* ---------------------------------------------------------------------
 * Paths and errors
 * ---------------------------------------------------------------------
 */

static pg_attribute_noreturn() void form_error(FormReader *r, const char *fmt,...) pg_attribute_printf(2, 3);

/* Reject the form: ERROR 22023 naming the current path */
static pg_attribute_noreturn() void
form_error(FormReader *r, const char *fmt,...)
{
	StringInfoData msg;

	initStringInfo(&msg);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&msg, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&msg, needed);
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid JSON form of a block at %s: %s", r->path.data, msg.data)));
}

/* Descend into key / index; path_pop(r, returned) comes back */
static int
path_key(FormReader *r, const char *key, int keylen)
{
	int			saved = r->path.len;

	appendStringInfoChar(&r->path, '.');
	appendBinaryStringInfo(&r->path, key, pg_mbcliplen(key, keylen, QUOTE_MAX));
	return saved;
}

static int
path_index(FormReader *r, int i)
{
	int			saved = r->path.len;

	appendStringInfo(&r->path, "[%d]", i);
	return saved;
}

static void
path_pop(FormReader *r, int saved)
{
	r->path.len = saved;
	r->path.data[saved] = '\0';
}

/* A JSON value's type, for messages */
static const char *
type_name(JsonbValue *v)
{
	return JsonbTypeName(v);
}

/* ---------------------------------------------------------------------
 * Containers
 * ---------------------------------------------------------------------
 */

/* Name the first key of obj that keys[] does not list */
static pg_attribute_noreturn() void
report_unknown_key(FormReader *r, JsonbContainer *obj, const char *const *keys)
{
	JsonbIterator *it = JsonbIteratorInit(obj);
	JsonbValue	v;
	JsonbIteratorToken tok;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		bool		known = false;

		if (tok != WJB_KEY)
			continue;
		for (int i = 0; keys[i] && !known; i++)
			known = strlen(keys[i]) == (size_t) v.val.string.len &&
				memcmp(keys[i], v.val.string.val, v.val.string.len) == 0;
		if (!known)
		{
			path_key(r, v.val.string.val, v.val.string.len);
			form_error(r, "unknown key");
		}
	}
	elog(ERROR, "object has more keys than allowed but none is unknown");
}

/* v as an object whose keys are all among keys[] (missing ones are found when read) */
static JsonbContainer *
as_object(FormReader *r, JsonbValue *v, const char *const *keys)
{
	JsonbContainer *obj;
	int			nkeys = 0;

	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		form_error(r, "expected an object, found %s", type_name(v));
	obj = v->val.binary.data;
	while (keys[nkeys])
		nkeys++;
	if (JsonContainerSize(obj) > nkeys)
		report_unknown_key(r, obj, keys);
	return obj;
}

/* The value under key; the path is extended by the key until path_pop(r, *saved) */
static JsonbValue *
member(FormReader *r, JsonbContainer *obj, const char *key, int *saved)
{
	JsonbValue *v;

	*saved = path_key(r, key, strlen(key));
	v = getKeyJsonValueFromContainer(obj, key, strlen(key), NULL);
	if (v == NULL)
		form_error(r, "missing key");
	return v;
}

/*
 * The array under key, each element read into consecutive items of size
 * item_size (palloc'd, returned in *items); returns the count.
 */
static uint32
read_list(FormReader *r, JsonbContainer *obj, const char *key, size_t item_size,
		  ReadItem read_item, void **items)
{
	int			saved;
	JsonbValue *v = member(r, obj, key, &saved);
	JsonbContainer *arr;
	uint32		n;

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		form_error(r, "expected an array, found %s", type_name(v));
	arr = v->val.binary.data;
	n = JsonContainerSize(arr);
	*items = palloc0(item_size * Max(n, 1));
	for (uint32 i = 0; i < n; i++)
	{
		int			at = path_index(r, (int) i);

		read_item(r, getIthJsonbValueFromContainer(arr, i), (char *) *items + i * item_size);
		path_pop(r, at);
	}
	path_pop(r, saved);
	return n;
}

/* ---------------------------------------------------------------------
 * Scalars: integers, hex, text, names, booleans
 * ---------------------------------------------------------------------
 */

/* Decimal digits s[0..len) as an integer no greater than max */
static uint64
parse_uint(FormReader *r, const char *s, int len, uint64 max, bool quoted)
{
	uint64		x = 0;
	int			shown = pg_mbcliplen(s, len, QUOTE_MAX);
	const char *q = quoted ? "\"" : "";

	for (int i = 0; i < len; i++)
	{
		int			d = s[i] - '0';

		if (d < 0 || d > 9 || x > (max - d) / 10)
			form_error(r, "expected an integer from 0 to " UINT64_FORMAT ", found %s%.*s%s%s",
					   max, q, shown, s, shown < len ? "..." : "", q);
		x = x * 10 + d;
	}
	if (len == 0)
		form_error(r, "expected an integer from 0 to " UINT64_FORMAT ", found \"\"", max);
	return x;
}

/* An integer from 0 to max: a JSON number, or (when strings_ok) a string of decimal digits */
static uint64
get_uint(FormReader *r, JsonbContainer *obj, const char *key, uint64 max, bool strings_ok)
{
	int			saved;
	JsonbValue *v = member(r, obj, key, &saved);
	uint64		x;

	if (v->type == jbvNumeric)
	{
		/* normalised: no exponent, no trailing fractional zeros, so 1.0 reads as 1 */
		char	   *digits = numeric_normalize(v->val.numeric);

		x = parse_uint(r, digits, strlen(digits), max, false);
	}
	else if (v->type == jbvString && strings_ok)
		x = parse_uint(r, v->val.string.val, v->val.string.len, max, true);
	else
		form_error(r, "expected %s, found %s",
				   strings_ok ? "an integer (a number or a string of decimal digits)" : "an integer",
				   type_name(v));
	path_pop(r, saved);
	return x;
}

/* Hex digits as bytes: exactly fixed_len of them when fixed_len > 0 */
static wes_bytes
get_hex(FormReader *r, JsonbContainer *obj, const char *key, uint32 fixed_len)
{
	int			saved;
	JsonbValue *v = member(r, obj, key, &saved);
	wes_bytes	b;
	int			n;
	uint8	   *out;

	if (v->type != jbvString)
		form_error(r, "expected a string of hex digits, found %s", type_name(v));
	n = v->val.string.len;
	if (fixed_len > 0 && n != 2 * (int) fixed_len)
		form_error(r, "expected %u hex digits (%u bytes), found %d", 2 * fixed_len, fixed_len, n);
	if (n % 2 != 0)
		form_error(r, "expected an even number of hex digits, found %d", n);
	out = palloc(n / 2 + 1);
	if (!wes_hex_decode(v->val.string.val, n, out, n / 2))
		form_error(r, "expected hex digits, found a character that is not one");
	b.ptr = out;
	b.len = (uint32) (n / 2);
	path_pop(r, saved);
	return b;
}

/* A string, as UTF-8 bytes */
static wes_bytes
get_text(FormReader *r, JsonbContainer *obj, const char *key)
{
	int			saved;
	JsonbValue *v = member(r, obj, key, &saved);
	wes_bytes	b;
	char	   *utf8;

	if (v->type != jbvString)
		form_error(r, "expected a string, found %s", type_name(v));
	utf8 = pg_server_to_any(v->val.string.val, v->val.string.len, PG_UTF8);
	b.ptr = (const uint8 *) utf8;
	b.len = utf8 == v->val.string.val ? (uint32) v->val.string.len : (uint32) strlen(utf8);
	path_pop(r, saved);
	return b;
}

/* One of the names name_of(0), name_of(1), ...: returns its value */
static uint8
get_name(FormReader *r, JsonbContainer *obj, const char *key, const char *(*name_of) (uint8_t))
{
	int			saved;
	JsonbValue *v = member(r, obj, key, &saved);
	StringInfoData names;
	uint8		i;

	initStringInfo(&names);
	for (i = 0; name_of(i) != NULL; i++)
	{
		const char *name = name_of(i);

		if (v->type == jbvString && strlen(name) == (size_t) v->val.string.len &&
			memcmp(name, v->val.string.val, v->val.string.len) == 0)
		{
			path_pop(r, saved);
			return i;
		}
		appendStringInfo(&names, "%s\"%s\"", i ? ", " : "", name);
	}
	if (v->type == jbvString)
		form_error(r, "expected one of %s, found \"%.*s\"", names.data,
				   pg_mbcliplen(v->val.string.val, v->val.string.len, QUOTE_MAX), v->val.string.val);
	form_error(r, "expected one of %s, found %s", names.data, type_name(v));
}

static bool
get_bool(FormReader *r, JsonbContainer *obj, const char *key)
{
	int			saved;
	JsonbValue *v = member(r, obj, key, &saved);
	bool		b;

	if (v->type != jbvBool)
		form_error(r, "expected true or false, found %s", type_name(v));
	b = v->val.boolean;
	path_pop(r, saved);
	return b;
}

/* ---------------------------------------------------------------------
 * The parts of a block
 * ---------------------------------------------------------------------
 */

static void
read_header(FormReader *r, JsonbValue *v, wes_header *h)
{
	JsonbContainer *o = as_object(r, v, header_keys);

	h->version = (uint32) get_uint(r, o, "version", PG_UINT32_MAX, false);
	h->height = get_uint(r, o, "height", PG_UINT64_MAX, true);
	h->timestamp_ms = get_uint(r, o, "timestamp_ms", PG_UINT64_MAX, true);
	h->prev_hash = get_hex(r, o, "prev_hash", WES_HASH_LEN).ptr;
	h->tx_root = get_hex(r, o, "tx_root", WES_HASH_LEN).ptr;
	h->receipt_root = get_hex(r, o, "receipt_root", WES_HASH_LEN).ptr;
	h->state_root = get_hex(r, o, "state_root", WES_HASH_LEN).ptr;
	h->nonce = get_uint(r, o, "nonce", PG_UINT64_MAX, true);
}

static void
read_input(FormReader *r, JsonbValue *v, void *item)
{
	wes_input  *in = item;
	JsonbContainer *o = as_object(r, v, input_keys);

	in->txid = get_hex(r, o, "txid", WES_HASH_LEN).ptr;
	in->index = (uint32) get_uint(r, o, "index", PG_UINT32_MAX, false);
	in->flags = get_bool(r, o, "reference") ? WES_INPUT_REFERENCE : WES_INPUT_SPEND;
	in->unlock = get_hex(r, o, "unlock", 0);
}

/* The data of a resource output: its metadata as an object, encoded */
static wes_bytes
read_resource_data(FormReader *r, JsonbContainer *out, wes_resource_meta *m)
{
	int			saved;
	JsonbValue *v = member(r, out, "data", &saved);
	JsonbContainer *o;
	wes_buf		buf;
	wes_bytes	data;

	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		form_error(r, "expected an object (the metadata of a resource output), found %s", type_name(v));
	o = as_object(r, v, resource_keys);
	m->resource_type = get_name(r, o, "resource_type", wes_resource_type_name);
	m->size = get_uint(r, o, "size", PG_UINT64_MAX, true);
	m->media_type = get_text(r, o, "media_type");
	m->name = get_text(r, o, "name");
	path_pop(r, saved);

	wes_buf_init(&buf, &wes_palloc_allocator, 64);
	wes_encode_resource_meta(&buf, m);
	data.ptr = buf.data;
	data.len = (uint32) buf.len;
	return data;
}

static void
read_output(FormReader *r, JsonbValue *v, void *item)
{
	wes_output *out = item;
	JsonbContainer *o = as_object(r, v, output_keys);

	out->kind = get_name(r, o, "kind", wes_kind_name);
	out->owner = get_hex(r, o, "owner", WES_ADDR_LEN).ptr;
	out->amount = get_uint(r, o, "amount", (uint64) WES_AMOUNT_MAX, true);
	out->ref = get_hex(r, o, "ref", WES_HASH_LEN).ptr;
	out->lock = get_hex(r, o, "lock", 0);
	if (out->kind == WES_KIND_RESOURCE)
		out->data = read_resource_data(r, o, &out->resource);
	else
		out->data = get_hex(r, o, "data", 0);
}

/* A transaction, encoded into tx->raw */
static void
read_tx(FormReader *r, JsonbValue *v, void *item)
{
	wes_tx	   *tx = item;
	JsonbContainer *o = as_object(r, v, tx_keys);
	wes_buf		buf;

	tx->version = (uint32) get_uint(r, o, "version", PG_UINT32_MAX, false);
	tx->n_inputs = read_list(r, o, "inputs", sizeof(wes_input), read_input, (void **) &tx->inputs);
	tx->n_outputs = read_list(r, o, "outputs", sizeof(wes_output), read_output, (void **) &tx->outputs);
	if (tx->n_outputs == 0)
	{
		path_key(r, "outputs", 7);
		form_error(r, "a transaction needs at least one output");
	}
	tx->payload = get_hex(r, o, "payload", 0);

	wes_buf_init(&buf, &wes_palloc_allocator, 256);
	wes_encode_tx(&buf, tx);
	tx->raw.ptr = buf.data;
	tx->raw.len = (uint32) buf.len;
}

static void
read_log(FormReader *r, JsonbValue *v, void *item)
{
	wes_log    *log = item;
	JsonbContainer *o = as_object(r, v, log_keys);

	log->topic = get_hex(r, o, "topic", WES_HASH_LEN).ptr;
	log->data = get_hex(r, o, "data", 0);
}

/* A receipt, encoded into rc->raw */
static void
read_receipt(FormReader *r, JsonbValue *v, void *item)
{
	wes_receipt *rc = item;
	JsonbContainer *o = as_object(r, v, receipt_keys);
	wes_buf		buf;

	rc->status = get_name(r, o, "status", wes_status_name);
	rc->fee = get_uint(r, o, "fee", PG_UINT64_MAX, true);
	rc->return_data = get_hex(r, o, "return_data", 0);
	rc->n_logs = read_list(r, o, "logs", sizeof(wes_log), read_log, (void **) &rc->logs);

	wes_buf_init(&buf, &wes_palloc_allocator, 64);
	wes_encode_receipt(&buf, rc);
	rc->raw.ptr = buf.data;
	rc->raw.len = (uint32) buf.len;
}

/* The rules the bytes carry: decode them, and report a failure at the matching JSON path */
static void
check_decodes(FormReader *r, const wes_buf *buf)
{
	wes_block	b;
	wes_error	err;

	if (wes_block_decode(buf->data, buf->len, &wes_palloc_allocator, &b, &err) == WES_OK)
		return;
	if (err.status == WES_ERR_NOMEM)
		wes_report_decode_error("block", &err);
	resetStringInfo(&r->path);
	appendStringInfo(&r->path, "$.%s", err.field);
	form_error(r, "%s", err.message);
}

/* Read the whole form and encode it; the bytes are in the current memory context */
static wes_buf
read_block(FormReader *r, Jsonb *jb)
{
	JsonbValue	root;
	JsonbContainer *o;
	wes_header	h;
	wes_tx	   *txs;
	wes_receipt *receipts;
	uint32		n_tx,
				n_receipts;
	int			saved;
	wes_buf		buf;

	if (JB_ROOT_IS_SCALAR(jb))
		JsonbExtractScalar(&jb->root, &root);
	else
	{
		root.type = jbvBinary;
		root.val.binary.data = &jb->root;
		root.val.binary.len = VARSIZE(jb) - VARHDRSZ;
	}
	o = as_object(r, &root, block_keys);
	read_header(r, member(r, o, "header", &saved), &h);
	path_pop(r, saved);
	n_tx = read_list(r, o, "transactions", sizeof(wes_tx), read_tx, (void **) &txs);
	n_receipts = read_list(r, o, "receipts", sizeof(wes_receipt), read_receipt, (void **) &receipts);
	if (n_receipts != n_tx)
	{
		path_key(r, "receipts", 8);
		form_error(r, "%u receipts for %u transactions (receipt i belongs to transaction i)",
				   n_receipts, n_tx);
	}

	wes_buf_init(&buf, &wes_palloc_allocator, 1024);
	wes_encode_block(&buf, &h, n_tx, txs, receipts);
	if (buf.failed || buf.len > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the block of this JSON form exceeds the size of a bytea")));
	check_decodes(r, &buf);
	return buf;
}

/*
 * The canonical bytes of the block that the JSON form jb describes, as a
 * bytea in the caller's memory context; ERROR 22023 naming the JSON path
 * when jb does not describe a block.
 */
bytea *
wes_block_jsonb_to_bytes(Jsonb *jb)
{
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext cxt = AllocSetContextCreate(caller, "wes JSON form", ALLOCSET_DEFAULT_SIZES);
	FormReader	r;
	wes_buf		buf;
	bytea	   *out;

	MemoryContextSwitchTo(cxt);
	initStringInfo(&r.path);
	appendStringInfoChar(&r.path, '$');
	buf = read_block(&r, jb);

	MemoryContextSwitchTo(caller);
	out = palloc(VARHDRSZ + buf.len);
	SET_VARSIZE(out, VARHDRSZ + buf.len);
	memcpy(VARDATA(out), buf.data, buf.len);
	MemoryContextDelete(cxt);
	return out;
}

/* wes_block_from_jsonb(jsonb) RETURNS bytea */
Datum
wes_block_from_jsonb(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(wes_block_jsonb_to_bytes(PG_GETARG_JSONB_P(0)));
}

/* wes_write_block(block jsonb) RETURNS wes_hash: the same block as its bytes would be */
Datum
wes_write_block_jsonb(PG_FUNCTION_ARGS)
{
	bytea	   *block;

	wes_require_arg(fcinfo, 0, "block");
	block = wes_block_jsonb_to_bytes(PG_GETARG_JSONB_P(0));
	PG_RETURN_WESHASH_P(wes_write_block_bytes((const uint8 *) VARDATA(block),
											  VARSIZE(block) - VARHDRSZ));
}
