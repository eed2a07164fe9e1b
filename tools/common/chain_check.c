/*
 * chain_check.c
 *	  Offline check of a chain against every rule of wire-format.md, in the
 *	  spec's order, with its own UTXO set: a hash table keyed by outpoint
 *	  (open addressing, linear probing, backward-shift deletion) whose values
 *	  are the outputs' encodings.  It shares no code with the generator's
 *	  UTXO pool, so a generator bug shows up here as a broken rule.
 */
#include "chain_check.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tool_util.h"
#include "wes_codec.h"

#define KEY_LEN (WES_HASH_LEN + 4)	/* txid || u32le(index) */

typedef struct entry
{
	uint8_t		key[KEY_LEN];
	bool		used;
	uint32_t	len;
	uint8_t    *val;
} entry;

typedef struct table
{
	entry	   *e;
	size_t		cap;			/* a power of two */
	size_t		n;
} table;

struct chain_check
{
	table		utxos;			/* outpoint -> output encoding */
	table		txids;			/* every txid of the chain (no values) */
	table		named;			/* the outpoints the current transaction's inputs name */
	wes_lthash	acc;
	int64_t		height;			/* of the tip; -1 when empty */
	uint8_t		tip[WES_HASH_LEN];
	uint64_t	blocks,
				txs;
};

/* ---- the hash table ---- */

/* txids are hashes already: their first bytes spread well */
static size_t
key_slot(const table *t, const uint8_t *key)
{
	uint64_t	h;

	memcpy(&h, key, sizeof(h));
	h ^= wes_get_u32(key + WES_HASH_LEN) * UINT64_C(0x9E3779B97F4A7C15);
	return (size_t) (h & (t->cap - 1));
}

/* The slot holding key, or the empty slot where it would go */
static size_t
table_find(const table *t, const uint8_t *key)
{
	size_t		i = key_slot(t, key);

	while (t->e[i].used && memcmp(t->e[i].key, key, KEY_LEN) != 0)
		i = (i + 1) & (t->cap - 1);
	return i;
}

static void
table_grow(table *t)
{
	table		old = *t;

	t->cap = old.cap ? 2 * old.cap : 1024;
	t->e = calloc(t->cap, sizeof(entry));
	if (t->e == NULL)
		die("out of memory for %zu UTXOs", t->cap);
	for (size_t i = 0; i < old.cap; i++)
		if (old.e[i].used)
			t->e[table_find(t, old.e[i].key)] = old.e[i];
	free(old.e);
}

/* Insert key (absent) with a copy of val */
static void
table_insert(table *t, const uint8_t *key, const uint8_t *val, uint32_t len)
{
	entry	   *e;

	if (2 * (t->n + 1) > t->cap)
		table_grow(t);
	e = &t->e[table_find(t, key)];
	memcpy(e->key, key, KEY_LEN);
	e->used = true;
	e->len = len;
	e->val = NULL;
	if (val != NULL)
	{
		e->val = xmalloc(len);
		memcpy(e->val, val, len);
	}
	t->n++;
}

/* Delete slot i, moving later entries of its probe run back so lookups still find them */
static void
table_delete(table *t, size_t i)
{
	size_t		mask = t->cap - 1,
				j = i;

	free(t->e[i].val);
	for (;;)
	{
		size_t		k;

		j = (j + 1) & mask;
		if (!t->e[j].used)
			break;
		k = key_slot(t, t->e[j].key);
		/* entry j may move to i only if its home slot k is not in (i, j] */
		if ((i <= j) ? (k <= i || k > j) : (k <= i && k > j))
		{
			t->e[i] = t->e[j];
			i = j;
		}
	}
	t->e[i].used = false;
	t->n--;
}

/* ---- the rules ---- */

static bool
fail(char *err, size_t errlen, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return false;
}

static void
outpoint_key(uint8_t key[KEY_LEN], const uint8_t *txid, uint32_t index)
{
	memcpy(key, txid, WES_HASH_LEN);
	wes_put_u32(key + WES_HASH_LEN, index);
}

/* Rule 3: tx_root and receipt_root */
static bool
check_roots(const wes_block *b, char *err, size_t errlen)
{
	uint8_t		tx_root[WES_HASH_LEN],
				receipt_root[WES_HASH_LEN];

	wes_block_roots(b, tx_root, receipt_root);
	if (memcmp(tx_root, b->header.tx_root, WES_HASH_LEN) != 0)
		return fail(err, errlen, "tx_root does not match the transactions");
	if (memcmp(receipt_root, b->header.receipt_root, WES_HASH_LEN) != 0)
		return fail(err, errlen, "receipt_root does not match the receipts");
	return true;
}

/*
 * Whether an earlier input of the transaction named key; if not, key is noted.
 * One probe of a table per input, so a transaction may have any number of
 * inputs: the decoder has bounded the count by the bytes present, and the
 * table grows with it.
 */
static bool
named_before(chain_check *c, const uint8_t *key)
{
	if (c->named.e != NULL && c->named.e[table_find(&c->named, key)].used)
		return true;
	table_insert(&c->named, key, NULL, 0);
	return false;
}

/* Empty the table of named outpoints for the next transaction: n of tx's inputs went in */
static void
forget_named(chain_check *c, const wes_tx *tx, uint32_t n)
{
	uint8_t		key[KEY_LEN];

	for (uint32_t i = 0; i < n; i++)
	{
		size_t		slot;

		outpoint_key(key, tx->inputs[i].txid, tx->inputs[i].index);
		slot = table_find(&c->named, key);
		if (c->named.e[slot].used)	/* an outpoint named twice went in once */
			table_delete(&c->named, slot);
	}
}

/* Rule 5 for the inputs of transaction t, then their spends out of the set */
static bool
apply_inputs(chain_check *c, const wes_tx *tx, uint32_t t, char *err, size_t errlen)
{
	uint8_t		key[KEY_LEN];
	char		hex[2 * WES_HASH_LEN + 1];
	uint32_t	i;
	bool		ok = true;

	for (i = 0; ok && i < tx->n_inputs; i++)
	{
		const wes_input *in = &tx->inputs[i];
		bool		twice;
		size_t		slot;

		outpoint_key(key, in->txid, in->index);
		twice = named_before(c, key);
		slot = c->utxos.e ? table_find(&c->utxos, key) : 0;
		if (twice || c->utxos.e == NULL || !c->utxos.e[slot].used)
			ok = fail(err, errlen, "transactions[%u].inputs[%u]: outpoint %s:%u %s", t, i,
					  sodium_bin2hex(hex, sizeof(hex), in->txid, WES_HASH_LEN), in->index,
					  twice ? "is named twice" : "does not exist or is spent");
		else if (in->flags == WES_INPUT_SPEND)
		{
			wes_lthash_remove(&c->acc, in->txid, in->index, c->utxos.e[slot].val, c->utxos.e[slot].len);
			table_delete(&c->utxos, slot);
		}
	}
	forget_named(c, tx, i);
	return ok;
}

/* Rules 4 and 5 for transaction t, then its effect on the set */
static bool
apply_tx(chain_check *c, const wes_tx *tx, uint32_t t, char *err, size_t errlen)
{
	uint8_t		key[KEY_LEN];
	char		hex[2 * WES_HASH_LEN + 1];

	outpoint_key(key, tx->txid, 0);
	if (c->txids.e != NULL && c->txids.e[table_find(&c->txids, key)].used)
		return fail(err, errlen, "transactions[%u]: txid %s already exists", t,
					sodium_bin2hex(hex, sizeof(hex), tx->txid, WES_HASH_LEN));
	table_insert(&c->txids, key, NULL, 0);
	if (!apply_inputs(c, tx, t, err, errlen))
		return false;
	for (uint32_t i = 0; i < tx->n_outputs; i++)
	{
		const wes_bytes *enc = &tx->outputs[i].encoding;

		outpoint_key(key, tx->txid, i);
		table_insert(&c->utxos, key, enc->ptr, enc->len);
		wes_lthash_add(&c->acc, tx->txid, i, enc->ptr, enc->len);
	}
	return true;
}

/* Rule 2: height and prev_hash follow the tip */
static bool
check_link(const chain_check *c, const wes_block *b, char *err, size_t errlen)
{
	if (b->header.height != (uint64_t) (c->height + 1))
		return fail(err, errlen, "height %llu, expected %lld", (unsigned long long) b->header.height,
					(long long) c->height + 1);
	if (memcmp(b->header.prev_hash, c->tip, WES_HASH_LEN) != 0)
		return fail(err, errlen, "prev_hash is not the hash of block %lld", (long long) c->height);
	return true;
}

chain_check *
cc_new(void)
{
	chain_check *c = xmalloc(sizeof(chain_check));

	memset(c, 0, sizeof(*c));
	c->height = -1;
	wes_lthash_init(&c->acc);
	return c;
}

/* Check and apply the next block (the set is left half-applied when a rule fails) */
bool
cc_block(chain_check *c, const uint8_t *block, size_t len, char *err, size_t errlen)
{
	wes_block	b;
	wes_error	e;
	uint8_t		root[WES_HASH_LEN];
	bool		ok = true;

	if (wes_block_decode(block, len, &wes_malloc_allocator, &b, &e) != WES_OK)
		return fail(err, errlen, "does not decode: %s at byte offset %zu: %s", e.field, e.offset, e.message);
	wes_block_hash_all(&b);
	ok = check_link(c, &b, err, errlen) && check_roots(&b, err, errlen);
	for (uint32_t t = 0; ok && t < b.n_tx; t++)
		ok = apply_tx(c, &b.txs[t], t, err, errlen);
	wes_lthash_root(&c->acc, root);
	if (ok && memcmp(root, b.header.state_root, WES_HASH_LEN) != 0)
		ok = fail(err, errlen, "state_root does not match the UTXO set after the block");
	if (ok)
	{
		c->height = (int64_t) b.header.height;
		memcpy(c->tip, b.hash, WES_HASH_LEN);
		c->blocks++;
		c->txs += b.n_tx;
	}
	free(b.mem);
	return ok;
}

/* Print the tip in the format of wes-gen --tip-out, so that the two can be compared */
void
cc_report(const chain_check *c, FILE *f, double seconds)
{
	uint8_t		root[WES_HASH_LEN];

	wes_lthash_root(&c->acc, root);
	print_tip(f, c->height, c->tip, root, c->utxos.n, c->blocks, c->txs);
	fprintf(stderr, "wes-load: checked %llu blocks, %llu txs in %.2f s\n",
			(unsigned long long) c->blocks, (unsigned long long) c->txs, seconds);
}

void
cc_free(chain_check *c)
{
	for (size_t i = 0; i < c->utxos.cap; i++)
		if (c->utxos.e[i].used)
			free(c->utxos.e[i].val);
	free(c->utxos.e);
	free(c->txids.e);
	free(c->named.e);
	free(c);
}

/* wes-load --check: every record of r through a new checker, which reports the tip unless quiet */
int
cc_check_file(bf_reader *r, bool quiet)
{
	chain_check *c = cc_new();
	char		err[512];
	bf_result	rr;
	double		t0 = now_seconds();
	int			status = 1;

	while ((rr = bf_next(r)) == BF_BLOCK && cc_block(c, r->buf, r->len, err, sizeof(err)))
		;
	if (rr == BF_BLOCK)
		fprintf(stderr, "wes-load: %s: record %llu: %s\n", r->name, (unsigned long long) r->index - 1, err);
	else if (rr == BF_ERROR)
		fprintf(stderr, "wes-load: %s\n", r->error);
	else
	{
		if (!quiet)
			cc_report(c, stdout, now_seconds() - t0);
		status = 0;
	}
	cc_free(c);
	return status;
}
