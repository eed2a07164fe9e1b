/*
 * block_encode_fuzzer.c
 *	  libFuzzer target for the encoder, the other direction of the round trip
 *	  that block_decode_fuzzer checks.  The input drives the building of a
 *	  block field by field (as the JSON form's reader does: values in, the
 *	  encoder writes the bytes), some fields now and then out of their range.
 *	  The encoded block must decode exactly when every value is in range, with
 *	  the same values back; otherwise the decoder must name the first value out
 *	  of range, at the path the JSON form reports it under.
 *
 * Build: make fuzz (clang -fsanitize=fuzzer,address,undefined).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wes_codec.h"
#include "fuzz_die.h"

#define MAX_TX		4
#define MAX_ITEMS	3			/* inputs, outputs, logs each */
#define MAX_BLOB	24

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fuzz input, consumed from the front; zeros once it runs out */
typedef struct src
{
	const uint8_t *p;
	size_t		n;
} src;

/* One built block and the first out-of-range value, as a path */
typedef struct built
{
	wes_header	h;
	uint32_t	n_tx;
	wes_tx		txs[MAX_TX];
	wes_receipt rcs[MAX_TX];
	wes_input	ins[MAX_TX][MAX_ITEMS];
	wes_output	outs[MAX_TX][MAX_ITEMS];
	wes_log		logs[MAX_TX][MAX_ITEMS];
	wes_buf		meta[MAX_TX][MAX_ITEMS];
	uint8_t		blobs[192][MAX_BLOB];
	int			n_blobs;
	char		first_bad[96];
} built;

static uint8_t
take_u8(src *s)
{
	uint8_t		v = 0;

	if (s->n > 0)
	{
		v = *s->p++;
		s->n--;
	}
	return v;
}

static uint64_t
take_u64(src *s, int nbytes)
{
	uint64_t	v = 0;

	for (int i = 0; i < nbytes; i++)
		v |= (uint64_t) take_u8(s) << (8 * i);
	return v;
}

/* Up to MAX_BLOB bytes of the input (fixed_len > 0: exactly that many) */
static wes_bytes
take_blob(src *s, built *b, uint32_t fixed_len)
{
	wes_bytes	out;
	uint8_t    *blob = b->blobs[b->n_blobs++];
	uint32_t	len = fixed_len ? fixed_len : take_u8(s) % (MAX_BLOB + 1);

	for (uint32_t i = 0; i < len; i++)
		blob[i] = take_u8(s);
	out.ptr = blob;
	out.len = len;
	return out;
}

/* A small value that is out of range when the input byte says so (255), else in range */
static uint32_t
take_small(src *s, uint32_t limit, uint32_t bad)
{
	uint8_t		v = take_u8(s);

	return v == 255 ? bad : v % limit;
}

/* Record the first value out of range, in the order the decoder checks them */
static void
bad_at(built *b, bool bad, const char *fmt, int i, int k)
{
	if (bad && b->first_bad[0] == '\0')
		snprintf(b->first_bad, sizeof(b->first_bad), fmt, i, k);
}

static void
build_output(src *s, built *b, int t, int k)
{
	wes_output *o = &b->outs[t][k];
	wes_resource_meta *m = &o->resource;

	memset(o, 0, sizeof(*o));
	o->kind = (uint8_t) take_small(s, 3, 3);
	bad_at(b, o->kind > WES_KIND_STATE, "transactions[%d].outputs[%d].kind", t, k);
	o->owner = take_blob(s, b, WES_ADDR_LEN).ptr;
	o->amount = take_u8(s) == 255 ? (uint64_t) WES_AMOUNT_MAX + 1 + take_u8(s) : take_u64(s, 7);
	bad_at(b, o->amount > (uint64_t) WES_AMOUNT_MAX, "transactions[%d].outputs[%d].amount", t, k);
	o->ref = take_blob(s, b, WES_HASH_LEN).ptr;
	o->lock = take_blob(s, b, 0);
	if (o->kind == WES_KIND_RESOURCE)
	{
		m->resource_type = (uint8_t) take_small(s, 3, 3);
		m->size = take_u64(s, 8);
		m->media_type = take_blob(s, b, 0);
		m->name = take_blob(s, b, 0);
		bad_at(b, m->resource_type > WES_RESOURCE_ONNX, "transactions[%d].outputs[%d].data.resource_type", t, k);
		bad_at(b, !wes_utf8_valid(m->media_type.ptr, m->media_type.len), "transactions[%d].outputs[%d].data.media_type", t, k);
		bad_at(b, !wes_utf8_valid(m->name.ptr, m->name.len), "transactions[%d].outputs[%d].data.name", t, k);
		wes_buf_init(&b->meta[t][k], &wes_malloc_allocator, 64);
		wes_encode_resource_meta(&b->meta[t][k], m);
		o->data.ptr = b->meta[t][k].data;
		o->data.len = (uint32_t) b->meta[t][k].len;
	}
	else
	{
		o->data = (o->kind == WES_KIND_ASSET && take_u8(s) != 255) ? (wes_bytes) {NULL, 0} : take_blob(s, b, 0);
		bad_at(b, o->kind == WES_KIND_ASSET && o->data.len > 0, "transactions[%d].outputs[%d].data", t, k);
	}
}

/* A transaction, encoded into tx->raw (malloc'd) */
static void
build_tx(src *s, built *b, int t)
{
	wes_tx	   *tx = &b->txs[t];
	wes_buf		buf;

	memset(tx, 0, sizeof(*tx));
	tx->version = take_small(s, 1, 2) + 1;
	bad_at(b, tx->version != 1, "transactions[%d].version", t, 0);
	tx->n_inputs = take_u8(s) % (MAX_ITEMS + 1);
	tx->inputs = b->ins[t];
	for (uint32_t k = 0; k < tx->n_inputs; k++)
	{
		wes_input  *in = &b->ins[t][k];

		in->txid = take_blob(s, b, WES_HASH_LEN).ptr;
		in->index = (uint32_t) take_u64(s, 4);
		in->flags = (uint8_t) take_small(s, 2, 2);
		bad_at(b, in->flags > WES_INPUT_REFERENCE, "transactions[%d].inputs[%d].flags", t, (int) k);
		in->unlock = take_blob(s, b, 0);
	}
	tx->n_outputs = take_small(s, MAX_ITEMS, 0) + (take_u8(s) == 255 ? 0 : 1);
	tx->n_outputs = tx->n_outputs > MAX_ITEMS ? MAX_ITEMS : tx->n_outputs;
	bad_at(b, tx->n_outputs == 0, "transactions[%d].n_outputs", t, 0);
	tx->outputs = b->outs[t];
	for (uint32_t k = 0; k < tx->n_outputs; k++)
		build_output(s, b, t, (int) k);
	tx->payload = take_blob(s, b, 0);
	wes_buf_init(&buf, &wes_malloc_allocator, 256);
	wes_encode_tx(&buf, tx);
	tx->raw.ptr = buf.data;
	tx->raw.len = (uint32_t) buf.len;
}

/* A receipt, encoded into r->raw (malloc'd); its path is checked after every transaction's */
static void
build_receipt(src *s, built *b, int t, char *bad, size_t badlen)
{
	wes_receipt *r = &b->rcs[t];
	wes_buf		buf;

	memset(r, 0, sizeof(*r));
	r->status = (uint8_t) take_small(s, 2, 2);
	if (r->status > WES_STATUS_FAILURE && bad[0] == '\0')
		snprintf(bad, badlen, "receipts[%d].status", t);
	r->fee = take_u64(s, 8);
	r->return_data = take_blob(s, b, 0);
	r->n_logs = take_u8(s) % (MAX_ITEMS + 1);
	r->logs = b->logs[t];
	for (uint32_t k = 0; k < r->n_logs; k++)
	{
		b->logs[t][k].topic = take_blob(s, b, WES_HASH_LEN).ptr;
		b->logs[t][k].data = take_blob(s, b, 0);
	}
	wes_buf_init(&buf, &wes_malloc_allocator, 128);
	wes_encode_receipt(&buf, r);
	r->raw.ptr = buf.data;
	r->raw.len = (uint32_t) buf.len;
}

/* The decoded block holds the values it was built from */
static void
check_values(const built *b, const wes_block *d)
{
	if (d->n_tx != b->n_tx || d->header.height != b->h.height || d->header.nonce != b->h.nonce ||
		memcmp(d->header.state_root, b->h.state_root, WES_HASH_LEN) != 0)
		die("header or n_tx differ after decoding", NULL);
	for (uint32_t t = 0; t < b->n_tx; t++)
	{
		const wes_tx *x = &d->txs[t];

		if (x->n_inputs != b->txs[t].n_inputs || x->n_outputs != b->txs[t].n_outputs ||
			d->receipts[t].n_logs != b->rcs[t].n_logs || d->receipts[t].fee != b->rcs[t].fee)
			die("counts or fee differ after decoding", NULL);
		for (uint32_t k = 0; k < x->n_outputs; k++)
		{
			const wes_output *o = &x->outputs[k],
					   *w = &b->outs[t][k];

			if (o->kind != w->kind || o->amount != w->amount ||
				(o->kind == WES_KIND_RESOURCE &&
				 (o->resource.size != w->resource.size || o->resource.name.len != w->resource.name.len)))
				die("an output differs after decoding", NULL);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	src			s = {data, size};
	built	   *b = calloc(1, sizeof(built));
	char		receipt_bad[96] = "";
	wes_buf		out;
	wes_block	d;
	wes_error	err;
	wes_status	st;

	b->h.version = take_small(&s, 1, 2) + 1;
	bad_at(b, b->h.version != 1, "header.version", 0, 0);
	b->h.height = take_u64(&s, 8);
	b->h.timestamp_ms = take_u64(&s, 8);
	b->h.prev_hash = take_blob(&s, b, WES_HASH_LEN).ptr;
	b->h.tx_root = take_blob(&s, b, WES_HASH_LEN).ptr;
	b->h.receipt_root = take_blob(&s, b, WES_HASH_LEN).ptr;
	b->h.state_root = take_blob(&s, b, WES_HASH_LEN).ptr;
	b->h.nonce = take_u64(&s, 8);
	b->n_tx = take_u8(&s) % (MAX_TX + 1);
	for (uint32_t t = 0; t < b->n_tx; t++)
		build_tx(&s, b, (int) t);
	for (uint32_t t = 0; t < b->n_tx; t++)
		build_receipt(&s, b, (int) t, receipt_bad, sizeof(receipt_bad));
	if (b->first_bad[0] == '\0')
		memcpy(b->first_bad, receipt_bad, sizeof(receipt_bad));

	wes_buf_init(&out, &wes_malloc_allocator, 1024);
	wes_encode_block(&out, &b->h, b->n_tx, b->txs, b->rcs);
	if (out.failed)
		die("encoding failed", NULL);
	st = wes_block_decode(out.data, out.len, &wes_malloc_allocator, &d, &err);
	if (b->first_bad[0] == '\0')
	{
		if (st != WES_OK)
			die("a block of values in range does not decode", &err);
		check_values(b, &d);
		free(d.mem);
	}
	else if (st != WES_ERR_DECODE || strcmp(err.field, b->first_bad) != 0)
	{
		fprintf(stderr, "expected a rejection at %s\n", b->first_bad);
		die("an out-of-range value is not reported where it is", &err);
	}

	free(out.data);
	for (uint32_t t = 0; t < b->n_tx; t++)
	{
		free((void *) b->txs[t].raw.ptr);
		free((void *) b->rcs[t].raw.ptr);
		for (int k = 0; k < MAX_ITEMS; k++)
			free(b->meta[t][k].data);
	}
	free(b);
	return 0;
}
