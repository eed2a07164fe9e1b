/*
 * block_decode_fuzzer.c
 *	  libFuzzer target for the block decoder.  Whatever the bytes: no crash,
 *	  no overread, no leak, and a rejection names a field and an offset inside
 *	  the input.  When the bytes decode, every hash is computed, the block is
 *	  re-encoded from its decoded fields (not from raw slices) and must equal
 *	  the input byte for byte, and the standalone decoders agree.
 *
 * Build: make fuzz (clang -fsanitize=fuzzer,address,undefined).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wes_codec.h"
#include "fuzz_die.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Resource metadata re-encodes exactly, and the transaction decodes alone the same */
static void
check_tx(wes_buf *scratch, const wes_tx *tx)
{
	wes_tx		one;
	wes_error	err;

	for (uint32_t o = 0; o < tx->n_outputs; o++)
	{
		const wes_output *out = &tx->outputs[o];

		if (out->kind != WES_KIND_RESOURCE)
			continue;
		scratch->len = 0;
		wes_encode_resource_meta(scratch, &out->resource);
		if (scratch->len != out->data.len || memcmp(scratch->data, out->data.ptr, scratch->len) != 0)
			die("resource metadata re-encodes differently", NULL);
	}
	if (wes_tx_decode(tx->raw.ptr, tx->raw.len, &wes_malloc_allocator, &one, &err) != WES_OK)
		die("a transaction of a decoded block does not decode alone", &err);
	if (one.n_inputs != tx->n_inputs || one.n_outputs != tx->n_outputs)
		die("standalone transaction differs", NULL);
	free(one.mem);
}

/* Re-encode a decoded block field by field and compare with the input */
static void
check_round_trip(const wes_block *b, const uint8_t *data, size_t size)
{
	wes_buf		out,
				scratch;

	wes_buf_init(&out, &wes_malloc_allocator, size);
	wes_buf_init(&scratch, &wes_malloc_allocator, 256);
	wes_encode_header(&out, &b->header);
	wes_buf_put_u32(&out, b->n_tx);
	for (uint32_t t = 0; t < b->n_tx; t++)
	{
		check_tx(&scratch, &b->txs[t]);
		scratch.len = 0;
		wes_encode_tx(&scratch, &b->txs[t]);
		wes_buf_put_bytes(&out, scratch.data, (uint32_t) scratch.len);
	}
	for (uint32_t t = 0; t < b->n_tx; t++)
	{
		scratch.len = 0;
		wes_encode_receipt(&scratch, &b->receipts[t]);
		wes_buf_put_bytes(&out, scratch.data, (uint32_t) scratch.len);
	}
	if (out.failed || scratch.failed || out.len != size || memcmp(out.data, data, size) != 0)
		die("block re-encodes differently", NULL);
	free(out.data);
	free(scratch.data);
}

/* Roots and the state commitment of everything the block creates */
static void
exercise_hashes(wes_block *b)
{
	uint8_t		(*leaves)[WES_HASH_LEN] = malloc(((size_t) b->n_tx + 1) * WES_HASH_LEN);
	uint8_t		root[WES_HASH_LEN],
				path[64][WES_HASH_LEN];
	wes_lthash	acc;

	wes_block_hash_all(b);
	wes_lthash_init(&acc);
	for (uint32_t t = 0; t < b->n_tx; t++)
	{
		memcpy(leaves[t], b->txs[t].txid, WES_HASH_LEN);
		for (uint32_t o = 0; o < b->txs[t].n_outputs && o < 4; o++)
			wes_lthash_add(&acc, b->txs[t].txid, o, b->txs[t].outputs[o].encoding.ptr,
						   b->txs[t].outputs[o].encoding.len);
	}
	wes_merkle_root((const uint8_t (*)[WES_HASH_LEN]) leaves, b->n_tx, root);
	if (b->n_tx > 0)
	{
		size_t		k = b->n_tx - 1;
		size_t		n = wes_merkle_path((const uint8_t (*)[WES_HASH_LEN]) leaves, b->n_tx, k, path);

		if (!wes_merkle_verify(leaves[k], k, b->n_tx, (const uint8_t (*)[WES_HASH_LEN]) path, n, root))
			die("audit path does not verify", NULL);
	}
	wes_lthash_root(&acc, root);
	free(leaves);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready = false;
	wes_block	b;
	wes_error	err;
	wes_status	st;

	if (!ready)
	{
		if (wes_codec_init() != 0)
			abort();
		ready = true;
	}
	st = wes_block_decode(data, size, &wes_malloc_allocator, &b, &err);
	if (st != WES_OK)
	{
		if (st != WES_ERR_DECODE || err.offset > size || !err.field[0] || !err.message[0] || b.mem)
			die("bad rejection", &err);
		return 0;
	}
	exercise_hashes(&b);
	check_round_trip(&b, data, size);
	free(b.mem);
	return 0;
}
