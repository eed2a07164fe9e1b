/*
 * codec_test_threads.c
 *	  What the writer's threads compute, against computing it in the caller.
 *	  wes_block_roots and wes_merkle_root_strided against the roots of leaves
 *	  copied into an array; the decode-ahead thread against decoding directly:
 *	  every block of the vector chain, a bad block and a missing one in the
 *	  run, a depth of one, and a stop before every block is taken; the LtHash
 *	  worker's sum when the caller waits at once (and takes most chunks) and
 *	  when it waits after the thread has done them all.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec_test.h"

/* The strided root over the first n txids equals the root over them copied into an array */
static bool
strided_matches(const wes_block *b, size_t n)
{
	uint8_t		(*l)[WES_HASH_LEN] = malloc((n + 1) * WES_HASH_LEN);
	uint8_t		a[WES_HASH_LEN],
				s[WES_HASH_LEN];

	for (size_t t = 0; t < n; t++)
		memcpy(l[t], b->txs[t].txid, WES_HASH_LEN);
	wes_merkle_root((const uint8_t (*)[WES_HASH_LEN]) l, n, a);
	wes_merkle_root_strided(n > 0 ? b->txs[0].txid : NULL, sizeof(wes_tx), n, s);
	free(l);
	return memcmp(a, s, WES_HASH_LEN) == 0;
}

static void
test_block_roots(const chain *ch)
{
	size_t		good = 0,
				prefixes = 0,
				checked = 0;

	for (size_t i = 0; i < ch->n_blocks; i++)
	{
		const wes_block *b = &ch->blocks[i];
		uint8_t		tx_root[WES_HASH_LEN],
					receipt_root[WES_HASH_LEN],
					r[WES_HASH_LEN];

		wes_block_roots(b, tx_root, receipt_root);
		block_root(b, false, r);
		good += memcmp(tx_root, r, WES_HASH_LEN) == 0 &&
			memcmp(tx_root, b->header.tx_root, WES_HASH_LEN) == 0 &&
			memcmp(receipt_root, b->header.receipt_root, WES_HASH_LEN) == 0;
		for (size_t n = 0; n <= b->n_tx; n++, checked++)
			prefixes += strided_matches(b, n);
	}
	ok(good == ch->n_blocks, "block roots: wes_block_roots gives the header's roots (%zu of %zu blocks)",
	   good, ch->n_blocks);
	ok(prefixes == checked, "block roots: strided root == array root for every prefix of every block (%zu)",
	   checked);
}

/* A ready block is what decoding and hashing in the caller give */
static bool
same_as_direct(const wes_ready_block *r, const chain *ch, size_t i)
{
	const wes_block *b = &ch->blocks[i];

	if (r->status != WES_OK || r->block.n_tx != b->n_tx || r->block.size != b->size ||
		memcmp(r->block.hash, b->hash, WES_HASH_LEN) != 0 ||
		memcmp(r->tx_root, b->header.tx_root, WES_HASH_LEN) != 0 ||
		memcmp(r->receipt_root, b->header.receipt_root, WES_HASH_LEN) != 0)
		return false;
	for (uint32_t t = 0; t < b->n_tx; t++)
		if (memcmp(r->block.txs[t].txid, b->txs[t].txid, WES_HASH_LEN) != 0 ||
			memcmp(r->block.receipts[t].hash, b->receipts[t].hash, WES_HASH_LEN) != 0 ||
			r->block.txs[t].n_outputs != b->txs[t].n_outputs)
			return false;
	return true;
}

/* The whole vector chain through the thread at the given depth: every block as decoded directly */
static void
whole_run(const chain *ch, size_t depth)
{
	wes_decode_ahead *d = wes_decode_ahead_start((const uint8_t *const *) ch->raw, ch->len,
												 ch->n_blocks, depth);
	size_t		same = 0;

	if (!ok(d != NULL, "decode ahead (depth %zu): a thread starts", depth))
		return;
	for (size_t i = 0; i < ch->n_blocks; i++)
	{
		wes_ready_block r = {0};

		if (wes_decode_ahead_take(d, i, &r))
			same += same_as_direct(&r, ch, i);
		free(r.block.mem);
	}
	wes_decode_ahead_stop(d);
	ok(same == ch->n_blocks, "decode ahead (depth %zu): %zu of %zu blocks as decoded directly",
	   depth, same, ch->n_blocks);
}

/*
 * A run of block 0, a copy of block 1 cut short, block 2 and a missing block:
 * block 0 is ready, block 1 comes with the error decoding it directly gives,
 * and the thread makes nothing after it
 */
static void
bad_run(const chain *ch)
{
	size_t		cut = ch->len[1] - 1;
	uint8_t    *short1 = malloc(cut);
	const uint8_t *bufs[4] = {ch->raw[0], short1, ch->raw[2], NULL};
	size_t		lens[4] = {ch->len[0], cut, ch->len[2], 0};
	wes_decode_ahead *d;
	wes_ready_block r0 = {0},
				r1 = {0},
				r2 = {0};
	wes_block	direct;
	wes_error	err;
	bool		took0,
				took1,
				took2;

	memcpy(short1, ch->raw[1], cut);
	d = wes_decode_ahead_start(bufs, lens, 4, 2);
	if (!ok(d != NULL, "decode ahead, bad block: a thread starts"))
	{
		free(short1);
		return;
	}
	took0 = wes_decode_ahead_take(d, 0, &r0);
	took1 = wes_decode_ahead_take(d, 1, &r1);
	took2 = wes_decode_ahead_take(d, 2, &r2);
	wes_decode_ahead_stop(d);
	ok(took0 && same_as_direct(&r0, ch, 0), "decode ahead, bad block: the block before it is ready");
	ok(wes_block_decode(short1, cut, &wes_malloc_allocator, &direct, &err) == WES_ERR_DECODE &&
	   took1 && r1.status == WES_ERR_DECODE && r1.block.mem == NULL &&
	   strcmp(r1.err.field, err.field) == 0 && r1.err.offset == err.offset &&
	   strcmp(r1.err.message, err.message) == 0,
	   "decode ahead, bad block: it comes with the error of decoding it directly (%s at %zu)",
	   r1.err.field, r1.err.offset);
	ok(!took2, "decode ahead, bad block: nothing after it is made ready");
	free(r0.block.mem);
	free(short1);
}

/* Stopping with blocks made ready and not taken frees them (ASan and valgrind see a leak otherwise) */
static void
early_stop(const chain *ch)
{
	wes_decode_ahead *d = wes_decode_ahead_start((const uint8_t *const *) ch->raw, ch->len,
												 ch->n_blocks, 3);
	wes_ready_block r = {0};
	bool		took;

	if (!ok(d != NULL, "decode ahead, early stop: a thread starts"))
		return;
	took = wes_decode_ahead_take(d, 0, &r);
	ok(took && same_as_direct(&r, ch, 0), "decode ahead, early stop: block 0 taken");
	free(r.block.mem);
	wes_decode_ahead_stop(d);
	d = wes_decode_ahead_start((const uint8_t *const *) ch->raw, ch->len, ch->n_blocks, 1);
	if (d != NULL)
		wes_decode_ahead_stop(d);
	ok(d != NULL, "decode ahead, early stop: stopping before anything is taken returns");
}

/* Every output of the vector chain, added, then every other one removed: many chunks' worth */
static wes_lthash_item *
chain_items(const chain *ch, size_t *n)
{
	size_t		cap = 16,
				k = 0;
	wes_lthash_item *items = malloc(cap * sizeof(wes_lthash_item));

	for (int round = 0; round < 8; round++)
		for (size_t bi = 0; bi < ch->n_blocks; bi++)
			for (uint32_t t = 0; t < ch->blocks[bi].n_tx; t++)
				for (uint32_t o = 0; o < ch->blocks[bi].txs[t].n_outputs; o++)
				{
					const wes_tx *tx = &ch->blocks[bi].txs[t];

					if (k == cap)
						items = realloc(items, (cap *= 2) * sizeof(wes_lthash_item));
					items[k] = (wes_lthash_item) {tx->txid, tx->outputs[o].encoding.ptr, o,
					(uint32_t) tx->outputs[o].encoding.len, round % 2 == 1 && k % 2 == 0};
					k++;
				}
	*n = k;
	return items;
}

/* chain_items, and their sum applied in the caller in *direct */
static wes_lthash_item *
chain_items_sum(const chain *ch, size_t *n, wes_lthash *direct)
{
	wes_lthash_item *items = chain_items(ch, n);

	wes_lthash_init(direct);
	wes_lthash_apply(direct, items, *n);
	return items;
}

/* The worker's sum whoever takes the chunks: the caller at once, or the thread alone */
static void
test_lthash_chunks(const chain *ch)
{
	size_t		n;
	wes_lthash	direct,
				now,
				later,
				second;
	wes_lthash_item *items = chain_items_sum(ch, &n, &direct);
	wes_lthash_worker *w = wes_lthash_worker_start();

	if (ok(w != NULL && n > 256, "lthash chunks: a thread starts (%zu items)", n))
	{
		wes_lthash_worker_submit(w, items, n);
		wes_lthash_worker_wait(w, &now);
		wes_lthash_worker_submit(w, items, n);
		usleep(200000);
		wes_lthash_worker_wait(w, &later);
		wes_lthash_worker_submit(w, items, n);
		wes_lthash_worker_submit(w, items, n / 3);	/* waits for the first itself */
		wes_lthash_worker_wait(w, &second);
		wes_lthash_init(&direct);
		wes_lthash_apply(&direct, items, n);
		ok(memcmp(&now, &direct, sizeof(direct)) == 0,
		   "lthash chunks: waiting at once (the caller takes chunks too) gives the direct sum");
		ok(memcmp(&later, &direct, sizeof(direct)) == 0,
		   "lthash chunks: waiting after the thread did every chunk gives the direct sum");
		wes_lthash_init(&direct);
		wes_lthash_apply(&direct, items, n / 3);
		ok(memcmp(&second, &direct, sizeof(direct)) == 0,
		   "lthash chunks: a job submitted before the last was waited for gives its own sum");
		wes_lthash_worker_stop(w);
	}
	free(items);
}

/*
 * An abandoned job is read no more once abandon returns: its items are freed
 * at once (ASan and valgrind see any later read), and the worker then sums the
 * next job as if nothing had happened
 */
static void
test_lthash_abandon(const chain *ch)
{
	size_t		n;
	wes_lthash	direct,
				sum;
	wes_lthash_item *items = chain_items_sum(ch, &n, &direct);
	wes_lthash_worker *w = wes_lthash_worker_start();
	bool		same = true;

	if (!ok(w != NULL, "lthash abandon: a thread starts"))
	{
		free(items);
		return;
	}
	for (int round = 0; round < 6; round++)
	{
		wes_lthash_item *copy = malloc(n * sizeof(wes_lthash_item));

		memcpy(copy, items, n * sizeof(wes_lthash_item));
		wes_lthash_worker_submit(w, copy, n);
		if (round > 0)
			usleep(round * 2000);	/* from at once to the thread well into the job */
		wes_lthash_worker_abandon(w);
		free(copy);
		wes_lthash_worker_submit(w, items, n);
		wes_lthash_worker_wait(w, &sum);
		same = same && memcmp(&sum, &direct, sizeof(direct)) == 0;
	}
	ok(same, "lthash abandon: after a job abandoned (its items freed at once), the next job gives the direct sum");
	wes_lthash_worker_abandon(w);	/* with no job: returns */
	wes_lthash_worker_stop(w);
	free(items);
}

void
test_threads(const chain *ch)
{
	test_lthash_chunks(ch);
	test_lthash_abandon(ch);
	test_block_roots(ch);
	whole_run(ch, 1);
	whole_run(ch, 4);
	if (ch->n_blocks >= 3)
		bad_run(ch);
	early_stop(ch);
}
