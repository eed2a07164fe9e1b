/*
 * codec_test_output.c
 *	  wes_output_decode (the output records of snapshot files): every output of
 *	  the vector chain decodes on its own to the fields the block decoder gave
 *	  and re-encodes to the same bytes; cut short or with a byte more, it fails.
 */
#include <stdlib.h>
#include <string.h>

#include "codec_test.h"

/* Whether two decoded outputs carry the same fields */
static bool
same_output(const wes_output *a, const wes_output *b)
{
	return a->kind == b->kind && a->amount == b->amount &&
		memcmp(a->owner, b->owner, WES_ADDR_LEN) == 0 && memcmp(a->ref, b->ref, WES_HASH_LEN) == 0 &&
		a->lock.len == b->lock.len && memcmp(a->lock.ptr, b->lock.ptr, a->lock.len) == 0 &&
		a->data.len == b->data.len && memcmp(a->data.ptr, b->data.ptr, a->data.len) == 0 &&
		a->encoding.len == b->encoding.len;
}

void
test_output_decode(const chain *ch)
{
	size_t		n = 0,
				good = 0,
				refused = 0;

	for (size_t bi = 0; bi < ch->n_blocks; bi++)
		for (uint32_t t = 0; t < ch->blocks[bi].n_tx; t++)
			for (uint32_t i = 0; i < ch->blocks[bi].txs[t].n_outputs; i++)
			{
				const wes_output *o = &ch->blocks[bi].txs[t].outputs[i];
				uint8_t    *longer = malloc(o->encoding.len + 1);
				wes_output	got;
				wes_error	err;
				wes_buf		buf;

				n++;
				wes_buf_init(&buf, &wes_malloc_allocator, 64);
				if (wes_output_decode(o->encoding.ptr, o->encoding.len, &got, &err) == WES_OK && same_output(&got, o))
				{
					wes_encode_output(&buf, &got);
					good += buf.len == o->encoding.len && memcmp(buf.data, o->encoding.ptr, buf.len) == 0;
				}
				memcpy(longer, o->encoding.ptr, o->encoding.len);
				longer[o->encoding.len] = 0;
				refused += wes_output_decode(o->encoding.ptr, o->encoding.len - 1, &got, &err) == WES_ERR_DECODE &&
					wes_output_decode(longer, o->encoding.len + 1, &got, &err) == WES_ERR_DECODE &&
					strcmp(err.field, "trailing bytes") == 0 && err.offset == o->encoding.len;
				free(buf.data);
				free(longer);
			}
	ok(n > 0 && good == n, "wes_output_decode: %zu of %zu outputs decode alone to their fields and bytes", good, n);
	ok(n > 0 && refused == n, "wes_output_decode: %zu of %zu refuse one byte less and one byte more", refused, n);
}
