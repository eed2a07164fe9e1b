/*
 * decode.c
 *	  Bounds-checked, zero-copy decoder of blocks, transactions, receipts and
 *	  resource metadata (wire format version 1).
 *
 * A block is decoded in two passes over the same code: the first checks every
 * rule and counts the inputs, outputs and logs; the second fills arrays carved
 * from one allocation of exactly the size the first pass proved.  So no count
 * read from the wire ever sizes an allocation, a rejected block allocates
 * nothing, and the caller frees a block's arrays with one call.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wes_codec.h"

/* Decoder state: the buffer, the cursor, where we are (for error paths) and the arrays being filled */
typedef struct dec
{
	const uint8_t *buf;
	size_t		pos;
	size_t		end;			/* end of the current length-prefixed item */
	wes_error  *err;
	const char *list;			/* "transactions", "receipts" or NULL */
	uint32_t	item;
	const char *sub;			/* "inputs", "outputs", "logs" or NULL */
	uint32_t	sub_i;
	bool		in_data;		/* inside an output's resource metadata */
	bool		fill;			/* second pass: arrays below are valid */
	wes_input  *inputs;			/* next free slots */
	wes_output *outputs;
	wes_log    *logs;
	size_t		n_inputs;		/* totals seen so far */
	size_t		n_outputs;
	size_t		n_logs;
} dec;

/* Start an error report with no path and no offset */
static void
error_reset(wes_error *err)
{
	err->status = WES_OK;
	err->offset = 0;
	err->field[0] = '\0';
	err->message[0] = '\0';
}

static bool fail(dec *d, size_t offset, const char *field, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

/* Record a decode error at offset; field is the leaf name, NULL for the enclosing item itself */
static bool
fail(dec *d, size_t offset, const char *field, const char *fmt,...)
{
	wes_error  *err = d->err;
	char		prefix[64] = "";
	size_t		n = 0;
	va_list		ap;

	if (d->list)
		n += snprintf(prefix + n, sizeof(prefix) - n, "%s[%u].", d->list, d->item);
	if (d->sub)
		n += snprintf(prefix + n, sizeof(prefix) - n, "%s[%u].", d->sub, d->sub_i);
	if (d->in_data)
		snprintf(prefix + n, sizeof(prefix) - n, "data.");
	if (field)
		snprintf(err->field, sizeof(err->field), "%s%s", prefix, field);
	else
	{
		n = strlen(prefix);
		if (n > 0)
			prefix[n - 1] = '\0';	/* drop the trailing dot */
		/* only bytes left over are reported at the top of a standalone item */
		snprintf(err->field, sizeof(err->field), "%s", n > 0 ? prefix : "trailing bytes");
	}
	err->status = WES_ERR_DECODE;
	err->offset = offset;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return false;
}

/* Check that n more bytes of the current item remain */
static inline bool
need(dec *d, size_t n, const char *field)
{
	if (d->end - d->pos >= n)
		return true;
	return fail(d, d->pos, field, "truncated: needs %zu bytes, %zu remain", n, d->end - d->pos);
}

/* Read a fixed-size field as a pointer */
static inline bool
get_fixed(dec *d, size_t n, const char *field, const uint8_t **out)
{
	if (!need(d, n, field))
		return false;
	*out = d->buf + d->pos;
	d->pos += n;
	return true;
}

static inline bool
get_u8(dec *d, const char *field, uint8_t *out)
{
	if (!need(d, 1, field))
		return false;
	*out = d->buf[d->pos++];
	return true;
}

static inline bool
get_u32(dec *d, const char *field, uint32_t *out)
{
	if (!need(d, 4, field))
		return false;
	*out = wes_get_u32(d->buf + d->pos);
	d->pos += 4;
	return true;
}

static inline bool
get_u64(dec *d, const char *field, uint64_t *out)
{
	if (!need(d, 8, field))
		return false;
	*out = wes_get_u64(d->buf + d->pos);
	d->pos += 8;
	return true;
}

/* Read a u32 length and that many bytes, all within the current item */
static bool
get_bytes(dec *d, const char *field, wes_bytes *out)
{
	size_t		at = d->pos;
	uint32_t	len;

	if (!get_u32(d, field, &len))
		return false;
	if (len > d->end - d->pos)
		return fail(d, at, field, "length %" PRIu32 " exceeds the %zu remaining bytes",
					len, d->end - d->pos);
	out->ptr = d->buf + d->pos;
	out->len = len;
	d->pos += len;
	return true;
}

/* Read a length-prefixed string that must be valid UTF-8 */
static bool
get_text(dec *d, const char *field, wes_bytes *out)
{
	size_t		at = d->pos;
	size_t		bad;

	if (!get_bytes(d, field, out))
		return false;
	bad = wes_utf8_invalid_at(out->ptr, out->len);
	if (bad != out->len)
		return fail(d, at, field, "invalid utf-8 at byte %zu of %" PRIu32 " (0x%02x)",
					bad, out->len, out->ptr[bad]);
	return true;
}

/* Read a u32 count whose items take at least min_len bytes each: refuse what cannot fit */
static bool
get_count(dec *d, const char *field, size_t min_len, uint32_t *out)
{
	size_t		at = d->pos;

	if (!get_u32(d, field, out))
		return false;
	if (*out > (d->end - d->pos) / min_len)
		return fail(d, at, field,
					"count %" PRIu32 " exceeds what the %zu remaining bytes can hold",
					*out, d->end - d->pos);
	return true;
}

/* Fail when the current item has bytes left */
static bool
expect_end(dec *d, const char *after)
{
	size_t		n = d->end - d->pos;

	if (n == 0)
		return true;
	return fail(d, d->pos, NULL, "%zu trailing byte%s after the %s", n, n == 1 ? "" : "s", after);
}

/* Resource metadata inside [pos, end) */
static bool
decode_resource_meta(dec *d, wes_resource_meta *m)
{
	size_t		at = d->pos;

	if (!get_u8(d, "resource_type", &m->resource_type))
		return false;
	if (m->resource_type > WES_RESOURCE_ONNX)
		return fail(d, at, "resource_type", "unknown resource_type %u", m->resource_type);
	return get_u64(d, "size", &m->size) &&
		get_text(d, "media_type", &m->media_type) &&
		get_text(d, "name", &m->name) &&
		expect_end(d, "resource metadata");
}

/* The data of an output, checked against its kind */
static bool
check_output_data(dec *d, wes_output *o, size_t data_at)
{
	if (o->kind == WES_KIND_ASSET && o->data.len != 0)
		return fail(d, data_at, "data", "an asset output carries no data, this one has %" PRIu32 " bytes",
					o->data.len);
	if (o->kind == WES_KIND_RESOURCE)
	{
		size_t		saved_pos = d->pos,
					saved_end = d->end;
		bool		ok;

		d->pos = (size_t) (o->data.ptr - d->buf);
		d->end = d->pos + o->data.len;
		d->in_data = true;
		ok = decode_resource_meta(d, &o->resource);
		d->in_data = false;
		d->pos = saved_pos;
		d->end = saved_end;
		return ok;
	}
	memset(&o->resource, 0, sizeof(o->resource));
	return true;
}

/* One output */
static bool
decode_output(dec *d, wes_output *o)
{
	size_t		start = d->pos;
	size_t		data_at;

	if (!get_u8(d, "kind", &o->kind))
		return false;
	if (o->kind > WES_KIND_STATE)
		return fail(d, start, "kind", "unknown kind %u", o->kind);
	if (!get_fixed(d, WES_ADDR_LEN, "owner", &o->owner))
		return false;
	if (!get_u64(d, "amount", &o->amount))
		return false;
	if (o->amount > (uint64_t) WES_AMOUNT_MAX)
		return fail(d, d->pos - 8, "amount", "amount %" PRIu64 " exceeds 2^63-1", o->amount);
	if (!get_fixed(d, WES_HASH_LEN, "ref", &o->ref) || !get_bytes(d, "lock", &o->lock))
		return false;
	data_at = d->pos;
	if (!get_bytes(d, "data", &o->data))
		return false;
	o->encoding.ptr = d->buf + start;
	o->encoding.len = (uint32_t) (d->pos - start);
	return check_output_data(d, o, data_at);
}

/* One input */
static bool
decode_input(dec *d, wes_input *in)
{
	if (!get_fixed(d, WES_HASH_LEN, "txid", &in->txid) || !get_u32(d, "index", &in->index))
		return false;
	if (!get_u8(d, "flags", &in->flags))
		return false;
	if (in->flags > WES_INPUT_REFERENCE)
		return fail(d, d->pos - 1, "flags", "unknown flags %u", in->flags);
	return get_bytes(d, "unlock", &in->unlock);
}

/* Inputs of a transaction: into the arrays on the second pass, into a scratch slot on the first */
static bool
decode_inputs(dec *d, wes_tx *tx)
{
	wes_input	scratch;

	if (!get_count(d, "n_inputs", WES_MIN_INPUT_LEN, &tx->n_inputs))
		return false;
	tx->inputs = d->fill && tx->n_inputs ? d->inputs : NULL;
	d->sub = "inputs";
	for (d->sub_i = 0; d->sub_i < tx->n_inputs; d->sub_i++)
		if (!decode_input(d, d->fill ? &tx->inputs[d->sub_i] : &scratch))
			return false;
	d->sub = NULL;
	if (d->fill && tx->n_inputs)
		d->inputs += tx->n_inputs;
	d->n_inputs += tx->n_inputs;
	return true;
}

/* Outputs of a transaction (at least one) */
static bool
decode_outputs(dec *d, wes_tx *tx)
{
	wes_output	scratch;
	size_t		at = d->pos;

	if (!get_count(d, "n_outputs", WES_MIN_OUTPUT_LEN, &tx->n_outputs))
		return false;
	if (tx->n_outputs == 0)
		return fail(d, at, "n_outputs", "a transaction needs at least one output");
	tx->outputs = d->fill ? d->outputs : NULL;
	d->sub = "outputs";
	for (d->sub_i = 0; d->sub_i < tx->n_outputs; d->sub_i++)
		if (!decode_output(d, d->fill ? &tx->outputs[d->sub_i] : &scratch))
			return false;
	d->sub = NULL;
	if (d->fill)
		d->outputs += tx->n_outputs;	/* at least one */
	d->n_outputs += tx->n_outputs;
	return true;
}

/* A transaction occupying exactly [pos, end) */
static bool
decode_tx(dec *d, wes_tx *tx)
{
	size_t		start = d->pos;

	memset(tx->txid, 0, WES_HASH_LEN);
	tx->mem = NULL;
	tx->raw.ptr = d->buf + start;
	tx->raw.len = (uint32_t) (d->end - start);
	tx->offset = (uint32_t) start;
	if (!get_u32(d, "version", &tx->version))
		return false;
	if (tx->version != 1)
		return fail(d, start, "version", "unsupported version %" PRIu32, tx->version);
	return decode_inputs(d, tx) && decode_outputs(d, tx) &&
		get_bytes(d, "payload", &tx->payload) && expect_end(d, "payload");
}

/* A receipt occupying exactly [pos, end) */
static bool
decode_receipt(dec *d, wes_receipt *r)
{
	size_t		start = d->pos;
	wes_log		scratch;

	memset(r->hash, 0, WES_HASH_LEN);
	r->mem = NULL;
	r->raw.ptr = d->buf + start;
	r->raw.len = (uint32_t) (d->end - start);
	r->offset = (uint32_t) start;
	if (!get_u8(d, "status", &r->status))
		return false;
	if (r->status > WES_STATUS_FAILURE)
		return fail(d, start, "status", "unknown status %u", r->status);
	if (!get_u64(d, "fee", &r->fee) || !get_bytes(d, "return_data", &r->return_data) ||
		!get_count(d, "n_logs", WES_MIN_LOG_LEN, &r->n_logs))
		return false;
	r->logs = d->fill && r->n_logs ? d->logs : NULL;
	d->sub = "logs";
	for (d->sub_i = 0; d->sub_i < r->n_logs; d->sub_i++)
	{
		wes_log    *l = d->fill ? &r->logs[d->sub_i] : &scratch;

		if (!get_fixed(d, WES_HASH_LEN, "topic", &l->topic) || !get_bytes(d, "data", &l->data))
			return false;
	}
	d->sub = NULL;
	if (d->fill && r->n_logs)
		d->logs += r->n_logs;
	d->n_logs += r->n_logs;
	return expect_end(d, "logs");
}

/* The length prefix of the next transaction or receipt: narrow end to its extent */
static bool
enter_item(dec *d, const char *list, uint32_t i)
{
	size_t		at = d->pos;
	uint32_t	len;

	d->list = list;
	d->item = i;
	if (!get_u32(d, NULL, &len))
		return false;
	if (len > d->end - d->pos)
		return fail(d, at, NULL, "length %" PRIu32 " exceeds the %zu remaining bytes",
					len, d->end - d->pos);
	d->end = d->pos + len;
	return true;
}

/* Header fields, in order, each checked for length */
static bool
decode_header(dec *d, wes_header *h)
{
	if (!get_u32(d, "header.version", &h->version))
		return false;
	if (h->version != 1)
		return fail(d, WES_OFF_VERSION, "header.version", "unsupported version %" PRIu32, h->version);
	return get_u64(d, "header.height", &h->height) &&
		get_u64(d, "header.timestamp_ms", &h->timestamp_ms) &&
		get_fixed(d, WES_HASH_LEN, "header.prev_hash", &h->prev_hash) &&
		get_fixed(d, WES_HASH_LEN, "header.tx_root", &h->tx_root) &&
		get_fixed(d, WES_HASH_LEN, "header.receipt_root", &h->receipt_root) &&
		get_fixed(d, WES_HASH_LEN, "header.state_root", &h->state_root) &&
		get_u64(d, "header.nonce", &h->nonce);
}

/* One pass over a whole block; b->txs and b->receipts are filled when d->fill */
static bool
decode_block(dec *d, wes_block *b, size_t len)
{
	wes_tx		tx_scratch;
	wes_receipt r_scratch;

	if (!decode_header(d, &b->header) || !get_count(d, "n_tx", 8, &b->n_tx))
		return false;
	for (uint32_t i = 0; i < b->n_tx; i++)
	{
		if (!enter_item(d, "transactions", i) ||
			!decode_tx(d, d->fill ? &b->txs[i] : &tx_scratch))
			return false;
		d->end = len;
	}
	for (uint32_t i = 0; i < b->n_tx; i++)
	{
		if (!enter_item(d, "receipts", i) ||
			!decode_receipt(d, d->fill ? &b->receipts[i] : &r_scratch))
			return false;
		d->end = len;
	}
	d->list = NULL;
	if (d->pos != len)
		return fail(d, d->pos, "trailing bytes", "%zu trailing byte%s after the last receipt",
					len - d->pos, len - d->pos == 1 ? "" : "s");
	return true;
}

/* Round a size up so that the next array in the allocation is aligned */
static size_t
aligned(size_t n)
{
	return (n + 15) & ~(size_t) 15;
}

/* Allocate size bytes, or record the failure */
static void *
alloc_or_fail(const wes_allocator *a, size_t size, wes_error *err)
{
	void	   *p;

	if (size == 0)
		return NULL;
	p = a->alloc(a->ctx, size);
	if (p == NULL)
	{
		err->status = WES_ERR_NOMEM;
		err->field[0] = '\0';
		snprintf(err->message, sizeof(err->message), "out of memory allocating %zu bytes", size);
	}
	return p;
}

/* Point the decoder's free slots into one allocation sized by the first pass (NULL when empty) */
static void
carve(dec *d, uint8_t *mem, size_t off_in, size_t off_out, size_t off_log)
{
	d->inputs = mem ? (wes_input *) (mem + off_in) : NULL;
	d->outputs = mem ? (wes_output *) (mem + off_out) : NULL;
	d->logs = mem ? (wes_log *) (mem + off_log) : NULL;
	d->fill = true;
	d->n_inputs = d->n_outputs = d->n_logs = 0;
}

/* Set up a decoder over buf; offsets are u32 in the decoded structures, so refuse 4 GiB and more */
static bool
dec_init(dec *d, const uint8_t *buf, size_t len, wes_error *err)
{
	memset(d, 0, sizeof(*d));
	d->buf = buf;
	d->end = len;
	d->err = err;
	error_reset(err);
	if (len > UINT32_MAX)
		return fail(d, 0, "length", "%zu bytes exceed the 4 GiB the format can address", len);
	return true;
}

wes_status
wes_block_decode(const uint8_t *buf, size_t len, const wes_allocator *a,
				 wes_block *out, wes_error *err)
{
	dec			d;
	size_t		off_rc,
				off_in,
				off_out,
				off_log,
				size;
	uint8_t    *mem;

	memset(out, 0, sizeof(*out));
	out->raw = buf;
	out->size = len;
	if (!dec_init(&d, buf, len, err) || !decode_block(&d, out, len))
		return err->status;

	off_rc = aligned(out->n_tx * sizeof(wes_tx));
	off_in = off_rc + aligned(out->n_tx * sizeof(wes_receipt));
	off_out = off_in + aligned(d.n_inputs * sizeof(wes_input));
	off_log = off_out + aligned(d.n_outputs * sizeof(wes_output));
	size = off_log + d.n_logs * sizeof(wes_log);
	mem = alloc_or_fail(a, size, err);
	if (size > 0 && mem == NULL)
		return err->status;

	out->mem = mem;
	out->txs = out->n_tx ? (wes_tx *) mem : NULL;
	out->receipts = out->n_tx ? (wes_receipt *) (mem + off_rc) : NULL;
	carve(&d, mem, off_in, off_out, off_log);
	d.pos = 0;
	d.end = len;
	if (!decode_block(&d, out, len))
		return err->status;		/* cannot happen: the first pass accepted the same bytes */
	return WES_OK;
}

wes_status
wes_tx_decode(const uint8_t *buf, size_t len, const wes_allocator *a,
			  wes_tx *out, wes_error *err)
{
	dec			d;
	size_t		off_out;
	uint8_t    *mem;

	memset(out, 0, sizeof(*out));
	if (!dec_init(&d, buf, len, err) || !decode_tx(&d, out))
		return err->status;
	off_out = aligned(out->n_inputs * sizeof(wes_input));
	mem = alloc_or_fail(a, off_out + out->n_outputs * sizeof(wes_output), err);
	if (mem == NULL)
		return err->status;
	carve(&d, mem, 0, off_out, 0);
	d.pos = 0;
	if (!decode_tx(&d, out))
		return err->status;
	out->mem = mem;
	return WES_OK;
}

wes_status
wes_receipt_decode(const uint8_t *buf, size_t len, const wes_allocator *a,
				   wes_receipt *out, wes_error *err)
{
	dec			d;
	uint8_t    *mem;

	memset(out, 0, sizeof(*out));
	if (!dec_init(&d, buf, len, err) || !decode_receipt(&d, out))
		return err->status;
	mem = alloc_or_fail(a, out->n_logs * sizeof(wes_log), err);
	if (out->n_logs > 0 && mem == NULL)
		return err->status;
	carve(&d, mem, 0, 0, 0);
	d.pos = 0;
	if (!decode_receipt(&d, out))
		return err->status;
	out->mem = mem;
	return WES_OK;
}

wes_status
wes_resource_meta_decode(const uint8_t *buf, size_t len, wes_resource_meta *out,
						 wes_error *err)
{
	dec			d;

	memset(out, 0, sizeof(*out));
	if (!dec_init(&d, buf, len, err) || !decode_resource_meta(&d, out))
		return err->status;
	return WES_OK;
}

wes_status
wes_output_decode(const uint8_t *buf, size_t len, wes_output *out, wes_error *err)
{
	dec			d;

	memset(out, 0, sizeof(*out));
	if (!dec_init(&d, buf, len, err) || !decode_output(&d, out) || !expect_end(&d, "output"))
		return err->status;
	return WES_OK;
}

void
wes_header_parse(const uint8_t *buf, wes_header *out)
{
	out->version = wes_get_u32(buf + WES_OFF_VERSION);
	out->height = wes_get_u64(buf + WES_OFF_HEIGHT);
	out->timestamp_ms = wes_get_u64(buf + WES_OFF_TIMESTAMP);
	out->prev_hash = buf + WES_OFF_PREV_HASH;
	out->tx_root = buf + WES_OFF_TX_ROOT;
	out->receipt_root = buf + WES_OFF_RECEIPT_ROOT;
	out->state_root = buf + WES_OFF_STATE_ROOT;
	out->nonce = wes_get_u64(buf + WES_OFF_NONCE);
}
