/*
 * codec_test_mutate.c
 *	  Mutations of the vector blocks: truncation at every offset, every header
 *	  bit flipped, counts of 0xFFFFFFFF, one broken field per decoder rule,
 *	  bytes left over, standalone decoders, UTF-8, allocation failure.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec_test.h"

/* The index of the smallest block with at least one transaction */
size_t
smallest_block(const chain *ch)
{
	size_t		best = 0;

	for (size_t i = 1; i < ch->n_blocks; i++)
		if (ch->blocks[i].n_tx > 0 && ch->len[i] < ch->len[best])
			best = i;
	return best;
}

/* Every proper prefix of a block fails cleanly, allocating nothing */
void
test_truncation(const chain *ch, size_t bi)
{
	size_t		len = ch->len[bi],
				bad = 0;

	for (size_t cut = 0; cut < len; cut++)
	{
		uint8_t    *copy = malloc(cut ? cut : 1);	/* exact size: ASan sees any overread */
		wes_error	err;
		counting	cnt;

		memcpy(copy, ch->raw[bi], cut);
		if (decode_counted(copy, cut, &cnt, &err) != WES_ERR_DECODE || err.offset > cut ||
			cnt.calls != 0 || !err.field[0])
		{
			if (bad++ < 3)
				diag("cut at %zu: status %d, %s at %zu", cut, err.status, err.field, err.offset);
		}
		free(copy);
	}
	ok(bad == 0, "block %zu truncated at each of its %zu offsets: every prefix is rejected", bi, len);
}

/* Flip every bit of the header: version bits are decode errors, the rest change hash and roots */
void
test_header_flips(const chain *ch, size_t bi)
{
	size_t		len = ch->len[bi],
				bad = 0;
	uint8_t    *copy = malloc(len);
	uint8_t		txr[WES_HASH_LEN],
				rcr[WES_HASH_LEN];

	block_root(&ch->blocks[bi], false, txr);
	block_root(&ch->blocks[bi], true, rcr);
	for (size_t bit = 0; bit < 8 * WES_HEADER_LEN; bit++)
	{
		size_t		at = bit / 8;
		wes_block	b;
		wes_error	err;
		wes_status	st;
		bool		good;

		memcpy(copy, ch->raw[bi], len);
		copy[at] ^= (uint8_t) (1 << (bit % 8));
		st = wes_block_decode(copy, len, &wes_malloc_allocator, &b, &err);
		if (at < 4)
			good = st == WES_ERR_DECODE && strcmp(err.field, "header.version") == 0 && err.offset == 0;
		else
		{
			good = st == WES_OK;
			if (good)
			{
				wes_block_hash_all(&b);
				good = memcmp(b.hash, ch->blocks[bi].hash, WES_HASH_LEN) != 0;
				if (at >= WES_OFF_TX_ROOT && at < WES_OFF_RECEIPT_ROOT)
					good &= memcmp(b.header.tx_root, txr, WES_HASH_LEN) != 0;
				if (at >= WES_OFF_RECEIPT_ROOT && at < WES_OFF_STATE_ROOT)
					good &= memcmp(b.header.receipt_root, rcr, WES_HASH_LEN) != 0;
				if (at >= WES_OFF_STATE_ROOT && at < WES_OFF_NONCE)
					good &= memcmp(b.header.state_root, ch->blocks[bi].header.state_root, WES_HASH_LEN) != 0;
			}
			free(b.mem);
		}
		if (!good && bad++ < 3)
			diag("bit %zu: status %d %s", bit, st, err.field);
	}
	ok(bad == 0, "block %zu: each of the %d header bits flipped is detected", bi, 8 * WES_HEADER_LEN);
	free(copy);
}

/* Overwrite a u32 at an offset of a copy, decode, and check the error's field and offset */
static void
expect_u32_error(const chain *ch, size_t bi, size_t at, uint32_t v, const char *field,
				 const char *what)
{
	uint8_t    *copy = malloc(ch->len[bi]);
	wes_error	err;
	counting	cnt;
	wes_status	st;

	memcpy(copy, ch->raw[bi], ch->len[bi]);
	wes_put_u32(copy + at, v);
	st = decode_counted(copy, ch->len[bi], &cnt, &err);
	ok(st == WES_ERR_DECODE && strcmp(err.field, field) == 0 && err.offset == at && cnt.calls == 0,
	   "%s: rejected at %s offset %zu without allocating (%s)", what, err.field, err.offset,
	   err.message);
	free(copy);
}

/* Absolute offset of a pointer into block bi */
static size_t
off(const chain *ch, size_t bi, const void *p)
{
	return (size_t) ((const uint8_t *) p - ch->raw[bi]);
}

/* A tx with inputs and a receipt with logs, if the chain has them */
static bool
find_tx_with(const chain *ch, size_t *bi, uint32_t *ti, bool want_logs)
{
	for (*bi = 0; *bi < ch->n_blocks; (*bi)++)
		for (*ti = 0; *ti < ch->blocks[*bi].n_tx; (*ti)++)
			if (want_logs ? ch->blocks[*bi].receipts[*ti].n_logs > 0
				: ch->blocks[*bi].txs[*ti].n_inputs > 0)
				return true;
	return false;
}

/* Counts of 0xFFFFFFFF (and just one too many) are refused before any allocation */
void
test_huge_counts(const chain *ch, size_t bi)
{
	size_t		b2;
	uint32_t	t;
	char		field[96];

	{
		wes_block	b;
		wes_error	err;
		/* only the length is looked at: nothing past the real buffer is read */
		wes_status	st = wes_block_decode(ch->raw[bi], (size_t) UINT32_MAX + 1, &wes_malloc_allocator, &b, &err);

		ok(st == WES_ERR_DECODE && strcmp(err.field, "length") == 0 && b.mem == NULL,
		   "a block of 4 GiB is refused before anything is read (%s)", err.message);
	}
	expect_u32_error(ch, bi, WES_HEADER_LEN, 0xFFFFFFFF, "n_tx", "n_tx = 0xFFFFFFFF");
	expect_u32_error(ch, bi, WES_HEADER_LEN, (uint32_t) ((ch->len[bi] - WES_HEADER_LEN - 4) / 8 + 1),
					 "n_tx", "n_tx one more than the bytes can hold");
	if (find_tx_with(ch, &b2, &t, false))
	{
		const wes_tx *tx = &ch->blocks[b2].txs[t];

		snprintf(field, sizeof(field), "transactions[%u].n_inputs", t);
		expect_u32_error(ch, b2, tx->offset + 4, 0xFFFFFFFF, field, "n_inputs = 0xFFFFFFFF");
		snprintf(field, sizeof(field), "transactions[%u].n_outputs", t);
		expect_u32_error(ch, b2, off(ch, b2, tx->outputs[0].encoding.ptr) - 4, 0xFFFFFFFF, field,
						 "n_outputs = 0xFFFFFFFF");
		expect_u32_error(ch, b2, off(ch, b2, tx->outputs[0].encoding.ptr) - 4, 0, field,
						 "n_outputs = 0");
		snprintf(field, sizeof(field), "transactions[%u]", t);
		expect_u32_error(ch, b2, tx->offset - 4, 0xFFFFFFFF, field, "transaction length = 0xFFFFFFFF");
		snprintf(field, sizeof(field), "transactions[%u].inputs[0].unlock", t);
		expect_u32_error(ch, b2, off(ch, b2, tx->inputs[0].unlock.ptr) - 4, 0xFFFFFFF0, field,
						 "unlock length = 0xFFFFFFF0");
	}
	if (find_tx_with(ch, &b2, &t, true))
	{
		const wes_receipt *r = &ch->blocks[b2].receipts[t];

		snprintf(field, sizeof(field), "receipts[%u].n_logs", t);
		expect_u32_error(ch, b2, off(ch, b2, r->logs[0].topic) - 4, 0xFFFFFFFF, field, "n_logs = 0xFFFFFFFF");
		snprintf(field, sizeof(field), "receipts[%u].logs[0].data", t);
		expect_u32_error(ch, b2, off(ch, b2, r->logs[0].data.ptr) - 4, 0x7FFFFFFF, field, "log data length = 2^31-1");
	}
	else
		ok(false, "the chain has a receipt with logs");
}

/* Block b with transaction ti replaced by the given encoding */
static uint8_t *
rebuild_raw(const wes_block *b, uint32_t ti, const uint8_t *tx_raw, size_t tx_len, size_t *len)
{
	wes_buf		out;
	wes_tx	   *txs = malloc(b->n_tx * sizeof(wes_tx));

	memcpy(txs, b->txs, b->n_tx * sizeof(wes_tx));
	txs[ti].raw.ptr = tx_raw;
	txs[ti].raw.len = (uint32_t) tx_len;
	wes_buf_init(&out, &wes_malloc_allocator, 64);
	wes_encode_block(&out, &b->header, b->n_tx, txs, b->receipts);
	free(txs);
	*len = out.len;
	return out.data;
}

/* Block b with transaction ti replaced by the encoding of tx */
static uint8_t *
rebuild(const wes_block *b, uint32_t ti, const wes_tx *tx, size_t *len)
{
	wes_buf		txb;
	uint8_t    *out;

	wes_buf_init(&txb, &wes_malloc_allocator, 64);
	wes_encode_tx(&txb, tx);
	out = rebuild_raw(b, ti, txb.data, txb.len, len);
	free(txb.data);
	return out;
}

/* Decode a rebuilt block and check the error field (and that the offset points inside it) */
static void
expect_rebuilt_error(const wes_block *b, uint32_t ti, const wes_tx *tx, const char *field,
					 const char *what)
{
	size_t		len;
	uint8_t    *raw = rebuild(b, ti, tx, &len);
	wes_error	err;
	counting	cnt;
	wes_status	st = decode_counted(raw, len, &cnt, &err);

	ok(st == WES_ERR_DECODE && strcmp(err.field, field) == 0 && err.offset < len,
	   "%s: rejected at %s, offset %zu (%s)", what, err.field, err.offset, err.message);
	if (st != WES_ERR_DECODE || strcmp(err.field, field) != 0)
		diag("wanted %s, got status %d field '%s'", field, st, err.field);
	free(raw);
}

/* Decode block bi of the chain with n bytes at offset at replaced by bytes */
static wes_status
decode_patched(const chain *ch, size_t bi, size_t at, const uint8_t *bytes, size_t n, wes_error *err)
{
	uint8_t    *copy = malloc(ch->len[bi]);
	counting	cnt;
	wes_status	st;

	memcpy(copy, ch->raw[bi], ch->len[bi]);
	memcpy(copy + at, bytes, n);
	st = decode_counted(copy, ch->len[bi], &cnt, err);
	free(copy);
	return st;
}

/* A copy of block bi with one byte (or 8 for a u64) replaced; check the error's field and offset */
static void
expect_patch_error(const chain *ch, size_t bi, size_t at, const uint8_t *bytes, size_t n,
				   const char *field, size_t want_off, const char *what)
{
	wes_error	err;
	wes_status	st = decode_patched(ch, bi, at, bytes, n, &err);

	ok(st == WES_ERR_DECODE && strcmp(err.field, field) == 0 && err.offset == want_off,
	   "%s: rejected at %s, offset %zu (%s)", what, err.field, err.offset, err.message);
	if (st != WES_ERR_DECODE || strcmp(err.field, field) != 0 || err.offset != want_off)
		diag("wanted %s at %zu", field, want_off);
}

/* Block bi of the chain with bytes at offset at still decodes */
static void
expect_patch_decodes(const chain *ch, size_t bi, size_t at, const uint8_t *bytes, size_t n, const char *what)
{
	wes_error	err;
	wes_status	st = decode_patched(ch, bi, at, bytes, n, &err);

	ok(st == WES_OK, "%s: decodes", what);
	if (st != WES_OK)
		diag("rejected at %s, offset %zu (%s)", err.field, err.offset, err.message);
}

/* The first resource output of the chain */
static bool
find_resource(const chain *ch, size_t *bi, uint32_t *ti, uint32_t *oi)
{
	for (*bi = 0; *bi < ch->n_blocks; (*bi)++)
		for (*ti = 0; *ti < ch->blocks[*bi].n_tx; (*ti)++)
			for (*oi = 0; *oi < ch->blocks[*bi].txs[*ti].n_outputs; (*oi)++)
				if (ch->blocks[*bi].txs[*ti].outputs[*oi].kind == WES_KIND_RESOURCE &&
					ch->blocks[*bi].txs[*ti].outputs[*oi].resource.media_type.len > 0 &&
					ch->blocks[*bi].txs[*ti].outputs[*oi].resource.name.len > 0)
					return true;
	return false;
}

/* One byte out of range per rule: flags, kind, versions, status, amount, resource fields */
void
test_field_patches(const chain *ch)
{
	size_t		bi;
	uint32_t	t,
				o;
	char		f[96];
	uint8_t		v;
	uint8_t		big[8];

	if (find_tx_with(ch, &bi, &t, false))
	{
		const wes_tx *tx = &ch->blocks[bi].txs[t];
		size_t		at;

		at = off(ch, bi, tx->inputs[0].unlock.ptr) - 5;
		snprintf(f, sizeof(f), "transactions[%u].inputs[0].flags", t);
		v = 7;
		expect_patch_error(ch, bi, at, &v, 1, f, at, "input flags 7");
		v = 2;
		snprintf(f, sizeof(f), "transactions[%u].version", t);
		expect_patch_error(ch, bi, tx->offset, &v, 1, f, tx->offset, "transaction version 2");
		at = off(ch, bi, tx->outputs[0].encoding.ptr);
		v = 3;
		snprintf(f, sizeof(f), "transactions[%u].outputs[0].kind", t);
		expect_patch_error(ch, bi, at, &v, 1, f, at, "output kind 3");
		wes_put_u64(big, (uint64_t) WES_AMOUNT_MAX + 1);
		snprintf(f, sizeof(f), "transactions[%u].outputs[0].amount", t);
		expect_patch_error(ch, bi, at + 21, big, 8, f, at + 21, "amount 2^63");
		v = 2;
		snprintf(f, sizeof(f), "receipts[%u].status", t);
		at = ch->blocks[bi].receipts[t].offset;
		expect_patch_error(ch, bi, at, &v, 1, f, at, "receipt status 2");
	}
	if (find_resource(ch, &bi, &t, &o))
	{
		const wes_resource_meta *m = &ch->blocks[bi].txs[t].outputs[o].resource;
		size_t		at = off(ch, bi, ch->blocks[bi].txs[t].outputs[o].data.ptr);

		snprintf(f, sizeof(f), "transactions[%u].outputs[%u].data.resource_type", t, o);
		v = 3;
		expect_patch_error(ch, bi, at, &v, 1, f, at, "resource_type 3");
		snprintf(f, sizeof(f), "transactions[%u].outputs[%u].data.media_type", t, o);
		v = 0xFF;
		expect_patch_error(ch, bi, off(ch, bi, m->media_type.ptr), &v, 1, f,
						   off(ch, bi, m->media_type.ptr) - 4, "media_type byte 0xff (invalid utf-8)");
		snprintf(f, sizeof(f), "transactions[%u].outputs[%u].data.name", t, o);
		v = 0xC0;
		expect_patch_error(ch, bi, off(ch, bi, m->name.ptr), &v, 1, f,
						   off(ch, bi, m->name.ptr) - 4, "name byte 0xc0 (an overlong form)");
		v = 0;
		expect_patch_decodes(ch, bi, off(ch, bi, m->name.ptr), &v, 1, "name with U+0000 (valid UTF-8)");
	}
	else
		ok(false, "the chain has a resource output");
}

/* Structural errors built with the encoder: data of the wrong shape, bytes left over */
void
test_structure(const chain *ch)
{
	size_t		bi;
	uint32_t	t,
				o;
	char		f[96];

	if (find_resource(ch, &bi, &t, &o))
	{
		const wes_block *b = &ch->blocks[bi];
		wes_tx		tx = b->txs[t];
		wes_output *outs = malloc(tx.n_outputs * sizeof(wes_output));
		wes_buf		meta;

		memcpy(outs, tx.outputs, tx.n_outputs * sizeof(wes_output));
		tx.outputs = outs;
		wes_buf_init(&meta, &wes_malloc_allocator, 8);
		wes_encode_resource_meta(&meta, &outs[o].resource);
		wes_buf_put_u8(&meta, 0);
		outs[o].data.ptr = meta.data;
		outs[o].data.len = (uint32_t) meta.len;
		snprintf(f, sizeof(f), "transactions[%u].outputs[%u].data", t, o);
		expect_rebuilt_error(b, t, &tx, f, "resource metadata with a trailing byte");
		outs[o].data.len = (uint32_t) meta.len - 1 - 4 - outs[o].resource.name.len;
		snprintf(f, sizeof(f), "transactions[%u].outputs[%u].data.name", t, o);
		expect_rebuilt_error(b, t, &tx, f, "resource metadata without its name");
		outs[o].data = b->txs[t].outputs[o].data;
		outs[o].kind = WES_KIND_ASSET;
		snprintf(f, sizeof(f), "transactions[%u].outputs[%u].data", t, o);
		expect_rebuilt_error(b, t, &tx, f, "asset output with data");
		outs[o].kind = WES_KIND_STATE;
		{
			size_t		len;
			uint8_t    *raw = rebuild(b, t, &tx, &len);
			wes_block	nb;
			wes_error	err;

			wes_status	st = wes_block_decode(raw, len, &wes_malloc_allocator, &nb, &err);

			ok(st == WES_OK, "a state output carries any data");
			free(nb.mem);
			free(raw);
		}
		free(meta.data);
		free(outs);
	}
}

/* Bytes left inside a length-prefixed transaction or receipt, or after the block */
void
test_leftovers(const chain *ch, size_t bi)
{
	const wes_block *b = &ch->blocks[bi];
	size_t		len = ch->len[bi],
				rlen;
	uint8_t    *copy = calloc(1, len + 1);
	uint32_t	last = b->n_tx - 1;
	wes_block	nb;
	wes_error	err;
	wes_buf		txb;
	uint8_t    *raw;
	wes_status	st;

	memcpy(copy, ch->raw[bi], len);
	st = wes_block_decode(copy, len + 1, &wes_malloc_allocator, &nb, &err);
	ok(st == WES_ERR_DECODE &&
	   strcmp(err.field, "trailing bytes") == 0 && err.offset == len,
	   "a byte after the last receipt: %s at %zu (%s)", err.field, err.offset, err.message);
	/* the last receipt claims one more byte, which is there */
	wes_put_u32(copy + b->receipts[last].offset - 4, b->receipts[last].raw.len + 1);
	st = wes_block_decode(copy, len + 1, &wes_malloc_allocator, &nb, &err);
	ok(st == WES_ERR_DECODE &&
	   strncmp(err.field, "receipts[", 9) == 0 && atoi(err.field + 9) == (int) last &&
	   strchr(err.field, '.') == NULL && err.offset == len,
	   "a receipt with a byte after its logs: %s at %zu (%s)", err.field, err.offset, err.message);
	free(copy);
	/* a transaction whose length prefix covers a byte after its payload */
	wes_buf_init(&txb, &wes_malloc_allocator, 64);
	wes_encode_tx(&txb, &b->txs[0]);
	wes_buf_put_u8(&txb, 0);
	raw = rebuild_raw(b, 0, txb.data, txb.len, &rlen);
	st = wes_block_decode(raw, rlen, &wes_malloc_allocator, &nb, &err);
	ok(st == WES_ERR_DECODE &&
	   strcmp(err.field, "transactions[0]") == 0 && err.offset == b->txs[0].offset + txb.len - 1,
	   "a transaction with a byte after its payload: %s at %zu (%s)", err.field, err.offset, err.message);
	{
		wes_tx		one;

		st = wes_tx_decode(txb.data, txb.len, &wes_malloc_allocator, &one, &err);
		ok(st == WES_ERR_DECODE &&
		   strcmp(err.field, "trailing bytes") == 0 && err.offset == txb.len - 1 && one.mem == NULL,
		   "the same transaction on its own: %s at %zu (%s)", err.field, err.offset, err.message);
	}
	free(raw);
	free(txb.data);
}

/* wes_tx_decode / wes_receipt_decode / wes_resource_meta_decode agree with the block decoder */
void
test_standalone(const chain *ch)
{
	size_t		n = 0,
				good = 0;
	wes_error	err;

	for (size_t bi = 0; bi < ch->n_blocks; bi++)
		for (uint32_t t = 0; t < ch->blocks[bi].n_tx; t++)
		{
			const wes_tx *bt = &ch->blocks[bi].txs[t];
			const wes_receipt *br = &ch->blocks[bi].receipts[t];
			wes_tx		tx;
			wes_receipt r;
			bool		same;

			n++;
			same = wes_tx_decode(bt->raw.ptr, bt->raw.len, &wes_malloc_allocator, &tx, &err) == WES_OK &&
				tx.n_inputs == bt->n_inputs && tx.n_outputs == bt->n_outputs &&
				tx.outputs[tx.n_outputs - 1].encoding.ptr == bt->outputs[bt->n_outputs - 1].encoding.ptr &&
				wes_receipt_decode(br->raw.ptr, br->raw.len, &wes_malloc_allocator, &r, &err) == WES_OK &&
				r.n_logs == br->n_logs && r.fee == br->fee;
			for (uint32_t o = 0; same && o < tx.n_outputs; o++)
			{
				wes_resource_meta m;

				if (tx.outputs[o].kind == WES_KIND_RESOURCE)
					same = wes_resource_meta_decode(tx.outputs[o].data.ptr, tx.outputs[o].data.len, &m, &err) == WES_OK &&
						m.size == tx.outputs[o].resource.size && m.name.ptr == tx.outputs[o].resource.name.ptr;
			}
			good += same;
			free(tx.mem);
			free(r.mem);
		}
	ok(n > 0 && good == n, "%zu transactions and receipts decode alone as inside their blocks", n);
}

/* Strict UTF-8: accepted and refused sequences */
void
test_utf8(void)
{
	static const struct
	{
		const char *s;
		size_t		len;
		size_t		bad;		/* expected first invalid offset; len when valid */
	}			cases[] = {
		{"", 0, 0}, {"application/wasm", 16, 16}, {"\xc3\xa9t\xc3\xa9", 5, 5},
		{"\xe2\x82\xac", 3, 3}, {"\xf0\x9f\x98\x80", 4, 4}, {"\xf4\x8f\xbf\xbf", 4, 4},
		{"a\x80", 2, 1}, {"\xc0\xaf", 2, 0}, {"\xc1\xbf", 2, 0}, {"\xe0\x80\xaf", 3, 0},
		{"\xed\xa0\x80", 3, 0}, {"\xf0\x80\x80\xaf", 4, 0}, {"\xf4\x90\x80\x80", 4, 0},
		{"\xf5\x80\x80\x80", 4, 0}, {"ab\xe2\x82", 4, 2}, {"a\0b", 3, 3}, {"\xff", 1, 0},
		{"\xc3\x28", 2, 0}, {"\xe2\x28\xa1", 3, 0},
	};
	size_t		good = 0,
				n = sizeof(cases) / sizeof(cases[0]);

	for (size_t i = 0; i < n; i++)
	{
		size_t		got = wes_utf8_invalid_at((const uint8_t *) cases[i].s, cases[i].len);

		if (got == cases[i].bad &&
			wes_utf8_valid((const uint8_t *) cases[i].s, cases[i].len) == (cases[i].bad == cases[i].len))
			good++;
		else
			diag("utf-8 case %zu: first invalid at %zu, expected %zu", i, got, cases[i].bad);
	}
	ok(good == n, "utf-8 validation: %zu sequences (overlong, surrogate, > U+10FFFF, cut refused; U+0000 valid)", n);
	ok(strcmp(wes_kind_name(2), "state") == 0 && wes_kind_name(3) == NULL &&
	   strcmp(wes_resource_type_name(1), "wasm") == 0 && wes_resource_type_name(9) == NULL,
	   "kind and resource type names");
}

/* An allocator that fails: decode reports WES_ERR_NOMEM, the buffer reports failure */
void
test_nomem(const chain *ch, size_t bi)
{
	counting	c = {0, 0, 0};
	wes_allocator a = {counting_alloc, counting_realloc, &c};
	wes_block	b;
	wes_error	err;
	wes_buf		buf;
	wes_status	st = wes_block_decode(ch->raw[bi], ch->len[bi], &a, &b, &err);

	ok(st == WES_ERR_NOMEM && b.mem == NULL, "decode with no memory: %s", err.message);
	c.calls = 0;
	c.fail_after = 1;
	wes_buf_init(&buf, &a, 4);
	wes_buf_put(&buf, ch->raw[bi], 100);
	ok(buf.failed && buf.len == 0, "encode buffer that cannot grow is marked failed");
	free(buf.data);
	c.calls = 0;
	c.fail_after = SIZE_MAX;
	st = decode_counted(ch->raw[bi], ch->len[bi], &c, &err);
	ok(st == WES_OK && c.calls == 1,
	   "a block's arrays are one allocation (%zu bytes for a %zu-byte block)", c.largest, ch->len[bi]);
}

/* Throughput figures (diagnostics only: the machine is shared) */
void
report_speed(const chain *ch)
{
	struct timespec t0,
				t1;
	wes_lthash	acc;
	const wes_output *o = &ch->blocks[0].txs[0].outputs[0];
	size_t		n = 20000,
				bytes = 0;
	double		s;

	wes_lthash_init(&acc);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < n; i++)
		wes_lthash_add(&acc, ch->blocks[0].txs[0].txid, (uint32_t) i, o->encoding.ptr, o->encoding.len);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	diag("lthash_add: %.0f elements/s", n / s);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t r = 0; r < 200; r++)
		for (size_t bi = 0; bi < ch->n_blocks; bi++)
		{
			wes_block	b;
			wes_error	err;

			if (wes_block_decode(ch->raw[bi], ch->len[bi], &wes_malloc_allocator, &b, &err) == WES_OK)
				wes_block_hash_all(&b);
			free(b.mem);
			bytes += ch->len[bi];
		}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	diag("decode + hash_all: %.1f MB/s", bytes / s / 1e6);
}
