/*
 * encode.c
 *	  The canonical encoder: a growable buffer on the caller's allocator and
 *	  one function per structure of the wire format.  Encoders re-encode from
 *	  the fields (not from raw bytes), except wes_encode_block, which frames
 *	  the transactions' and receipts' raw encodings.
 */
#include <string.h>

#include "wes_codec.h"

/* Start an empty buffer with room for initial bytes */
void
wes_buf_init(wes_buf *b, const wes_allocator *a, size_t initial)
{
	b->a = a;
	b->len = 0;
	b->failed = false;
	b->cap = initial ? initial : 64;
	b->data = a->alloc(a->ctx, b->cap);
	if (b->data == NULL)
	{
		b->cap = 0;
		b->failed = true;
	}
}

/* Make room for n more bytes; false (and failed set) when memory runs out */
static bool
reserve(wes_buf *b, size_t n)
{
	size_t		cap;
	uint8_t    *p;

	if (b->failed)
		return false;
	if (n <= b->cap - b->len)
		return true;
	cap = b->cap ? b->cap : 64;
	while (cap - b->len < n)
	{
		if (cap > SIZE_MAX / 2)
		{
			b->failed = true;
			return false;
		}
		cap *= 2;
	}
	if (b->a->realloc)
		p = b->a->realloc(b->a->ctx, b->data, b->cap, cap);
	else
	{
		p = b->a->alloc(b->a->ctx, cap);
		if (p && b->len)
			memcpy(p, b->data, b->len);
	}
	if (p == NULL)
	{
		b->failed = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

/* Append n raw bytes */
void
wes_buf_put(wes_buf *b, const void *p, size_t n)
{
	if (n == 0 || !reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void
wes_buf_put_u8(wes_buf *b, uint8_t v)
{
	if (!reserve(b, 1))
		return;
	b->data[b->len++] = v;
}

void
wes_buf_put_u32(wes_buf *b, uint32_t v)
{
	if (!reserve(b, 4))
		return;
	wes_put_u32(b->data + b->len, v);
	b->len += 4;
}

void
wes_buf_put_u64(wes_buf *b, uint64_t v)
{
	if (!reserve(b, 8))
		return;
	wes_put_u64(b->data + b->len, v);
	b->len += 8;
}

/* u32 length, then the bytes */
void
wes_buf_put_bytes(wes_buf *b, const uint8_t *p, uint32_t n)
{
	wes_buf_put_u32(b, n);
	wes_buf_put(b, p, n);
}

/* The 156-byte header */
void
wes_encode_header(wes_buf *b, const wes_header *h)
{
	wes_buf_put_u32(b, h->version);
	wes_buf_put_u64(b, h->height);
	wes_buf_put_u64(b, h->timestamp_ms);
	wes_buf_put(b, h->prev_hash, WES_HASH_LEN);
	wes_buf_put(b, h->tx_root, WES_HASH_LEN);
	wes_buf_put(b, h->receipt_root, WES_HASH_LEN);
	wes_buf_put(b, h->state_root, WES_HASH_LEN);
	wes_buf_put_u64(b, h->nonce);
}

void
wes_encode_input(wes_buf *b, const wes_input *in)
{
	wes_buf_put(b, in->txid, WES_HASH_LEN);
	wes_buf_put_u32(b, in->index);
	wes_buf_put_u8(b, in->flags);
	wes_buf_put_bytes(b, in->unlock.ptr, in->unlock.len);
}

/* An output with its data as given (see wes_encode_resource_meta to build it) */
void
wes_encode_output(wes_buf *b, const wes_output *out)
{
	wes_buf_put_u8(b, out->kind);
	wes_buf_put(b, out->owner, WES_ADDR_LEN);
	wes_buf_put_u64(b, out->amount);
	wes_buf_put(b, out->ref, WES_HASH_LEN);
	wes_buf_put_bytes(b, out->lock.ptr, out->lock.len);
	wes_buf_put_bytes(b, out->data.ptr, out->data.len);
}

/* Resource metadata: the content of a resource output's data (no length prefix) */
void
wes_encode_resource_meta(wes_buf *b, const wes_resource_meta *m)
{
	wes_buf_put_u8(b, m->resource_type);
	wes_buf_put_u64(b, m->size);
	wes_buf_put_bytes(b, m->media_type.ptr, m->media_type.len);
	wes_buf_put_bytes(b, m->name.ptr, m->name.len);
}

/* A transaction's encoding (what txid hashes; no length prefix) */
void
wes_encode_tx(wes_buf *b, const wes_tx *tx)
{
	wes_buf_put_u32(b, tx->version);
	wes_buf_put_u32(b, tx->n_inputs);
	for (uint32_t i = 0; i < tx->n_inputs; i++)
		wes_encode_input(b, &tx->inputs[i]);
	wes_buf_put_u32(b, tx->n_outputs);
	for (uint32_t i = 0; i < tx->n_outputs; i++)
		wes_encode_output(b, &tx->outputs[i]);
	wes_buf_put_bytes(b, tx->payload.ptr, tx->payload.len);
}

/* A receipt's encoding (no length prefix) */
void
wes_encode_receipt(wes_buf *b, const wes_receipt *r)
{
	wes_buf_put_u8(b, r->status);
	wes_buf_put_u64(b, r->fee);
	wes_buf_put_bytes(b, r->return_data.ptr, r->return_data.len);
	wes_buf_put_u32(b, r->n_logs);
	for (uint32_t i = 0; i < r->n_logs; i++)
	{
		wes_buf_put(b, r->logs[i].topic, WES_HASH_LEN);
		wes_buf_put_bytes(b, r->logs[i].data.ptr, r->logs[i].data.len);
	}
}

/* A whole block from a header and the raw encodings of its transactions and receipts */
void
wes_encode_block(wes_buf *b, const wes_header *h, uint32_t n_tx,
				 const wes_tx *txs, const wes_receipt *receipts)
{
	wes_encode_header(b, h);
	wes_buf_put_u32(b, n_tx);
	for (uint32_t i = 0; i < n_tx; i++)
		wes_buf_put_bytes(b, txs[i].raw.ptr, txs[i].raw.len);
	for (uint32_t i = 0; i < n_tx; i++)
		wes_buf_put_bytes(b, receipts[i].raw.ptr, receipts[i].raw.len);
}
