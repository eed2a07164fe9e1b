/*
 * wes_gen.c
 *	  wes-gen: writes a valid random chain to a block file (docs/block-file.md).
 *
 * The generator keeps the UTXO set in memory and only ever spends what it
 * holds, so every block it writes passes every rule of wire-format.md:
 * heights and prev hashes chain, roots are computed from the contents, no
 * output is spent twice, reference inputs name unspent outputs, and the
 * state root is the LtHash of the set after the block.  Output depends only
 * on the options and the seed: the randomness is a ChaCha20 keystream keyed
 * by H(seed).
 *
 * The UTXO set is two dense arrays: outputs created before the current block
 * and outputs created in it.  Picking a random unspent output is an index
 * into an array, spending it a swap-remove, so the cost per transaction does
 * not grow with the set.  Outputs created in a block enter the accumulator
 * only when the block ends, so that an output created and spent inside one
 * block never costs an LtHash expansion.
 */
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blockfile.h"
#include "prng.h"
#include "tool_util.h"
#include "wes_codec.h"

#define N_ASSETS	8			/* non-native asset ids outputs choose from */
#define N_STATES	64			/* state ids state outputs choose from */
#define N_TOPICS	16			/* log topics receipts choose from */
#define STATE_MAGIC "WESGST1\n"
#define MAX_UNLOCK	4096

/* ---- options ---- */

typedef struct gen_opts
{
	uint64_t	blocks;
	uint64_t	txs;			/* when have_txs, overrides blocks */
	bool		have_txs;		/* -t given (0 included: a file with no block) */
	uint32_t	tpb;			/* transactions per block */
	uint32_t	inputs;
	uint32_t	outputs;
	double		resource_share;
	double		state_share;
	double		reference_share;
	double		inblock_share;
	uint64_t	utxo_target;	/* transactions mint until the set holds this many */
	uint32_t	addresses;
	uint32_t	unlock_bytes;
	const char *seed;
	uint64_t	start_height;
	uint8_t		prev_hash[WES_HASH_LEN];
	const char *accumulator_hex;
	uint64_t	timestamp_ms;
	const char *out;
	const char *state_in;
	bool		start_given;	/* --start-height, --prev-hash or --accumulator */
	const char *state_out;
	const char *utxos_out;
	const char *tip_out;
	bool		quiet;
} gen_opts;

/* ---- the UTXO set ---- */

typedef struct utxo
{
	uint8_t		txid[WES_HASH_LEN];
	uint32_t	index;
	uint32_t	len;
	uint8_t    *enc;			/* the output's exact bytes (malloc) */
} utxo;

typedef struct pool
{
	utxo	   *v;
	size_t		n;
	size_t		cap;
} pool;

static void
pool_push(pool *p, const utxo *u)
{
	if (p->n == p->cap)
	{
		p->cap = p->cap ? 2 * p->cap : 1024;
		p->v = xrealloc(p->v, p->cap * sizeof(utxo));
	}
	p->v[p->n++] = *u;
}

/* Remove entry i by moving the last one into its place */
static utxo
pool_take(pool *p, size_t i)
{
	utxo		u = p->v[i];

	p->v[i] = p->v[--p->n];
	return u;
}

/* ---- generator state ---- */

typedef struct picked
{
	pool	   *from;
	size_t		at;
} picked;

typedef struct gen
{
	gen_opts	o;
	prng		rng;
	pool		old;			/* created before the current block */
	pool		fresh;			/* created in the current block, not yet in acc */
	wes_lthash	acc;
	uint64_t	height;			/* of the next block */
	uint8_t		prev[WES_HASH_LEN];
	uint8_t		state_root[WES_HASH_LEN];
	uint8_t    *addrs;			/* o.addresses owner addresses */
	uint8_t		assets[N_ASSETS][WES_HASH_LEN];
	uint8_t		states[N_STATES][WES_HASH_LEN];
	uint8_t		topics[N_TOPICS][WES_HASH_LEN];
	wes_buf		tx;				/* the transaction being built */
	wes_buf		txs;			/* the block's length-prefixed transactions */
	wes_buf		rcpts;			/* the block's length-prefixed receipts */
	uint8_t		(*txids)[WES_HASH_LEN];
	uint8_t		(*rhashes)[WES_HASH_LEN];
	utxo	   *spent;			/* this transaction's spends */
	bool	   *spent_old;
	picked	   *refs;
	size_t	   *out_off;
	/* totals for the summary */
	uint64_t	n_blocks, n_txs, n_spends, n_refs, n_inblock, n_outputs, n_resource, n_state;
} gen;

/* Pick the pool a spend or reference draws from: in-block with o.inblock_share */
static pool *
pick_pool(gen *g)
{
	bool		inblock = prng_chance(&g->rng, g->o.inblock_share);
	pool	   *first = inblock ? &g->fresh : &g->old;
	pool	   *second = inblock ? &g->old : &g->fresh;

	if (first->n > 0)
		return first;
	return second->n > 0 ? second : NULL;
}

/* Append random bytes, length-prefixed */
static void
put_random_bytes(gen *g, wes_buf *b, uint32_t n)
{
	uint8_t		tmp[MAX_UNLOCK];

	prng_bytes(&g->rng, tmp, n);
	wes_buf_put_bytes(b, tmp, n);
}

/* Choose this transaction's spends (removed from the set) and references (left in it) */
static void
choose_inputs(gen *g, uint32_t *n_spend, uint32_t *n_ref)
{
	uint32_t	want_spend = 0,
				want_ref = 0;

	*n_spend = *n_ref = 0;
	if (g->old.n + g->fresh.n < g->o.utxo_target)
		return;					/* still minting the initial set */
	for (uint32_t i = 0; i < g->o.inputs; i++)
		if (prng_chance(&g->rng, g->o.reference_share))
			want_ref++;
		else
			want_spend++;
	for (uint32_t i = 0; i < want_spend; i++)
	{
		pool	   *p = pick_pool(g);

		if (p == NULL)
			break;
		g->spent_old[*n_spend] = (p == &g->old);
		g->spent[(*n_spend)++] = pool_take(p, prng_below(&g->rng, p->n));
	}
	/* References are picked after the spends, so they never name an output this tx spends */
	for (uint32_t i = 0; i < want_ref; i++)
	{
		pool	   *p = pick_pool(g);
		picked		c;
		bool		dup = false;

		if (p == NULL)
			break;
		c.from = p;
		c.at = prng_below(&g->rng, p->n);
		for (uint32_t k = 0; k < *n_ref; k++)
			dup |= (g->refs[k].from == c.from && g->refs[k].at == c.at);
		if (!dup)
			g->refs[(*n_ref)++] = c;
	}
}

/* Append one random output of a kind chosen by the shares */
static void
put_output(gen *g, wes_buf *b)
{
	prng	   *r = &g->rng;
	uint8_t		kind = WES_KIND_ASSET;
	uint8_t		ref[WES_HASH_LEN];
	double		x = (double) (prng_u64(r) >> 11) * 0x1.0p-53;

	if (x < g->o.resource_share)
		kind = WES_KIND_RESOURCE;
	else if (x < g->o.resource_share + g->o.state_share)
		kind = WES_KIND_STATE;
	wes_buf_put_u8(b, kind);
	wes_buf_put(b, g->addrs + WES_ADDR_LEN * prng_below(r, g->o.addresses), WES_ADDR_LEN);
	wes_buf_put_u64(b, kind == WES_KIND_ASSET ? prng_u64(r) >> 24 : 0);
	if (kind == WES_KIND_RESOURCE)
		prng_bytes(r, ref, sizeof(ref));	/* SHA-256 of content stored elsewhere */
	else if (kind == WES_KIND_STATE)
		memcpy(ref, g->states[prng_below(r, N_STATES)], sizeof(ref));
	else if (prng_chance(r, 0.2))
		memcpy(ref, g->assets[prng_below(r, N_ASSETS)], sizeof(ref));
	else
		memset(ref, 0, sizeof(ref));	/* the native coin */
	wes_buf_put(b, ref, sizeof(ref));
	put_random_bytes(g, b, prng_chance(r, 0.25) ? 8 : 0);	/* lock */
	if (kind == WES_KIND_STATE)
		put_random_bytes(g, b, 16 + (uint32_t) prng_below(r, 65));
	else if (kind == WES_KIND_RESOURCE)
	{
		static const char *const media[] = {"application/octet-stream", "application/wasm", "application/onnx"};
		wes_resource_meta m;
		wes_buf		md;
		char		name[32];

		m.resource_type = (uint8_t) prng_below(r, 3);
		m.size = prng_below(r, UINT64_C(1) << 30);
		m.media_type.ptr = (const uint8_t *) media[m.resource_type];
		m.media_type.len = (uint32_t) strlen(media[m.resource_type]);
		snprintf(name, sizeof(name), "resource-%08llx", (unsigned long long) prng_below(r, UINT32_MAX));
		m.name.ptr = (const uint8_t *) name;
		m.name.len = (uint32_t) strlen(name);
		wes_buf_init(&md, &wes_malloc_allocator, 128);
		wes_encode_resource_meta(&md, &m);
		check_buf(&md);
		wes_buf_put_bytes(b, md.data, (uint32_t) md.len);
		free(md.data);
	}
	else
		wes_buf_put_bytes(b, NULL, 0);
}

/* Encode transaction t: inputs, outputs, payload */
static void
encode_tx(gen *g, uint32_t n_spend, uint32_t n_ref)
{
	wes_buf    *b = &g->tx;

	b->len = 0;
	wes_buf_put_u32(b, 1);
	wes_buf_put_u32(b, n_spend + n_ref);
	for (uint32_t i = 0; i < n_spend; i++)
	{
		wes_buf_put(b, g->spent[i].txid, WES_HASH_LEN);
		wes_buf_put_u32(b, g->spent[i].index);
		wes_buf_put_u8(b, WES_INPUT_SPEND);
		put_random_bytes(g, b, g->o.unlock_bytes);
	}
	for (uint32_t i = 0; i < n_ref; i++)
	{
		const utxo *u = &g->refs[i].from->v[g->refs[i].at];

		wes_buf_put(b, u->txid, WES_HASH_LEN);
		wes_buf_put_u32(b, u->index);
		wes_buf_put_u8(b, WES_INPUT_REFERENCE);
		wes_buf_put_bytes(b, NULL, 0);
	}
	wes_buf_put_u32(b, g->o.outputs);
	for (uint32_t i = 0; i < g->o.outputs; i++)
	{
		g->out_off[i] = b->len;
		put_output(g, b);
	}
	g->out_off[g->o.outputs] = b->len;
	put_random_bytes(g, b, (uint32_t) prng_below(&g->rng, 17));	/* payload */
	check_buf(b);
}

/* Build transaction t of the block and apply it to the set */
static void
gen_tx(gen *g, uint32_t t)
{
	uint32_t	n_spend,
				n_ref;
	uint8_t    *txid = g->txids[t];

	choose_inputs(g, &n_spend, &n_ref);
	encode_tx(g, n_spend, n_ref);
	wes_hash(g->tx.data, g->tx.len, txid);
	wes_buf_put_bytes(&g->txs, g->tx.data, (uint32_t) g->tx.len);
	for (uint32_t i = 0; i < n_spend; i++)
	{
		utxo	   *u = &g->spent[i];

		if (g->spent_old[i])
			wes_lthash_remove(&g->acc, u->txid, u->index, u->enc, u->len);
		else
			g->n_inblock++;
		free(u->enc);
	}
	for (uint32_t i = 0; i < g->o.outputs; i++)
	{
		utxo		u;

		memcpy(u.txid, txid, WES_HASH_LEN);
		u.index = i;
		u.len = (uint32_t) (g->out_off[i + 1] - g->out_off[i]);
		u.enc = xmalloc(u.len);
		memcpy(u.enc, g->tx.data + g->out_off[i], u.len);
		g->n_resource += u.enc[0] == WES_KIND_RESOURCE;
		g->n_state += u.enc[0] == WES_KIND_STATE;
		pool_push(&g->fresh, &u);
	}
	g->n_spends += n_spend;
	g->n_refs += n_ref;
	g->n_outputs += g->o.outputs;
}

/* Append the receipt of transaction t */
static void
gen_receipt(gen *g, uint32_t t)
{
	wes_buf    *b = &g->tx;
	prng	   *r = &g->rng;
	uint32_t	n_logs = (uint32_t) prng_below(r, 3);

	b->len = 0;
	wes_buf_put_u8(b, prng_chance(r, 0.05) ? WES_STATUS_FAILURE : WES_STATUS_SUCCESS);
	wes_buf_put_u64(b, prng_below(r, 1000000));
	put_random_bytes(g, b, prng_chance(r, 0.5) ? 8 : 0);
	wes_buf_put_u32(b, n_logs);
	for (uint32_t i = 0; i < n_logs; i++)
	{
		wes_buf_put(b, g->topics[prng_below(r, N_TOPICS)], WES_HASH_LEN);
		put_random_bytes(g, b, (uint32_t) prng_below(r, 33));
	}
	check_buf(b);
	wes_hash(b->data, b->len, g->rhashes[t]);
	wes_buf_put_bytes(&g->rcpts, b->data, (uint32_t) b->len);
}

/* Generate one block of n_tx transactions and append it to the file */
static void
gen_block(gen *g, uint32_t n_tx, bf_writer *w)
{
	uint8_t		tx_root[WES_HASH_LEN],
				receipt_root[WES_HASH_LEN],
				hdr[WES_HEADER_LEN],
				ntx[4];
	wes_header	h;
	wes_buf		hb = {hdr, 0, sizeof(hdr), &wes_malloc_allocator, false};
	const void *parts[4];
	size_t		lens[4],
				size;

	g->txs.len = g->rcpts.len = 0;
	for (uint32_t t = 0; t < n_tx; t++)
	{
		gen_tx(g, t);
		gen_receipt(g, t);
	}
	check_buf(&g->txs);
	check_buf(&g->rcpts);
	/* Outputs that survived their block enter the committed set */
	for (size_t i = 0; i < g->fresh.n; i++)
	{
		utxo	   *u = &g->fresh.v[i];

		wes_lthash_add(&g->acc, u->txid, u->index, u->enc, u->len);
		pool_push(&g->old, u);
	}
	g->fresh.n = 0;
	wes_merkle_root((const uint8_t (*)[WES_HASH_LEN]) g->txids, n_tx, tx_root);
	wes_merkle_root((const uint8_t (*)[WES_HASH_LEN]) g->rhashes, n_tx, receipt_root);
	wes_lthash_root(&g->acc, g->state_root);
	h.version = 1;
	h.height = g->height;
	h.timestamp_ms = g->o.timestamp_ms + 1000 * g->height;
	h.prev_hash = g->prev;
	h.tx_root = tx_root;
	h.receipt_root = receipt_root;
	h.state_root = g->state_root;
	h.nonce = prng_u64(&g->rng);
	wes_encode_header(&hb, &h);
	if (hb.len != WES_HEADER_LEN || hb.failed)
		die("header encoding produced %zu bytes", hb.len);
	wes_put_u32(ntx, n_tx);
	parts[0] = hdr, lens[0] = sizeof(hdr);
	parts[1] = ntx, lens[1] = sizeof(ntx);
	parts[2] = g->txs.data, lens[2] = g->txs.len;
	parts[3] = g->rcpts.data, lens[3] = g->rcpts.len;
	size = lens[0] + lens[1] + lens[2] + lens[3];
	/* bf_write_parts refuses a record over the bound without an errno: name the cause here */
	if (size > WES_BLOCKFILE_MAX_BLOCK)
		die("%s: the block at height %llu is %zu bytes, over the limit of %u a block file record may "
			"hold (wes-load accepts no more): write fewer transactions per block (-b) or smaller ones "
			"(-i, -u, --unlock-bytes)", w->name, (unsigned long long) g->height, size,
			WES_BLOCKFILE_MAX_BLOCK);
	if (!bf_write_parts(w, parts, lens, 4))
		die("%s: write failed at height %llu: %s", w->name, (unsigned long long) g->height, strerror(errno));
	wes_hash(hdr, sizeof(hdr), g->prev);
	g->height++;
	g->n_blocks++;
	g->n_txs += n_tx;
}

/* ---- continuing a chain: the state file ---- */

/* Read the tip, accumulator and UTXO set that --state-out wrote */
static void
load_state(gen *g, const char *path)
{
	FILE	   *f = fopen(path, "rb");
	uint8_t		head[8 + 8 + WES_HASH_LEN + WES_LTHASH_BYTES + 8];
	uint64_t	n;

	if (f == NULL)
		die("%s: %s", path, strerror(errno));
	if (fread(head, 1, sizeof(head), f) != sizeof(head) || memcmp(head, STATE_MAGIC, 8) != 0)
		die("%s: not a wes-gen state file", path);
	g->height = wes_get_u64(head + 8);
	memcpy(g->prev, head + 16, WES_HASH_LEN);
	wes_lthash_from_bytes(&g->acc, head + 16 + WES_HASH_LEN);
	n = wes_get_u64(head + 16 + WES_HASH_LEN + WES_LTHASH_BYTES);
	for (uint64_t i = 0; i < n; i++)
	{
		uint8_t		rec[WES_HASH_LEN + 8];
		utxo		u;

		if (fread(rec, 1, sizeof(rec), f) != sizeof(rec))
			die("%s: truncated at UTXO %llu of %llu", path, (unsigned long long) i, (unsigned long long) n);
		memcpy(u.txid, rec, WES_HASH_LEN);
		u.index = wes_get_u32(rec + WES_HASH_LEN);
		u.len = wes_get_u32(rec + WES_HASH_LEN + 4);
		if (u.len < WES_MIN_OUTPUT_LEN || u.len > WES_BLOCKFILE_MAX_BLOCK)
			die("%s: UTXO %llu has an output length of %u", path, (unsigned long long) i, u.len);
		u.enc = xmalloc(u.len);
		if (fread(u.enc, 1, u.len, f) != u.len)
			die("%s: truncated at UTXO %llu of %llu", path, (unsigned long long) i, (unsigned long long) n);
		pool_push(&g->old, &u);
	}
	if (fgetc(f) != EOF)
		die("%s: bytes after the last UTXO", path);
	fclose(f);
	wes_lthash_root(&g->acc, g->state_root);
}

/* Write the tip, accumulator and UTXO set so that a later run can continue the chain */
static void
save_state(const gen *g, const char *path)
{
	FILE	   *f = fopen(path, "wb");
	uint8_t		head[8 + 8 + WES_HASH_LEN + WES_LTHASH_BYTES + 8];
	bool		ok;

	if (f == NULL)
		die("%s: %s", path, strerror(errno));
	memcpy(head, STATE_MAGIC, 8);
	wes_put_u64(head + 8, g->height);
	memcpy(head + 16, g->prev, WES_HASH_LEN);
	wes_lthash_to_bytes(&g->acc, head + 16 + WES_HASH_LEN);
	wes_put_u64(head + 16 + WES_HASH_LEN + WES_LTHASH_BYTES, g->old.n);
	ok = fwrite(head, 1, sizeof(head), f) == sizeof(head);
	for (size_t i = 0; i < g->old.n && ok; i++)
	{
		const utxo *u = &g->old.v[i];
		uint8_t		rec[WES_HASH_LEN + 8];

		memcpy(rec, u->txid, WES_HASH_LEN);
		wes_put_u32(rec + WES_HASH_LEN, u->index);
		wes_put_u32(rec + WES_HASH_LEN + 4, u->len);
		ok = fwrite(rec, 1, sizeof(rec), f) == sizeof(rec) && fwrite(u->enc, 1, u->len, f) == u->len;
	}
	if (fclose(f) != 0 || !ok)
		die("%s: write failed", path);
}

/* Write the final UTXO set as outpoints, "<txid hex>:<index>" one a line */
static void
save_utxos(const gen *g, const char *path)
{
	FILE	   *f = fopen(path, "w");
	char		hex[2 * WES_HASH_LEN + 1];
	bool		ok = f != NULL;

	for (size_t i = 0; i < g->old.n && ok; i++)
	{
		sodium_bin2hex(hex, sizeof(hex), g->old.v[i].txid, WES_HASH_LEN);
		ok = fprintf(f, "%s:%u\n", hex, g->old.v[i].index) > 0;
	}
	if (f == NULL || fclose(f) != 0 || !ok)
		die("%s: write failed", path);
}

/* Write the tip as shell-readable name=value lines */
static void
save_tip(const gen *g, const char *path, FILE *f)
{
	if (f == NULL && (f = fopen(path, "w")) == NULL)
		die("%s: %s", path, strerror(errno));
	print_tip(f, (int64_t) g->height - 1, g->prev, g->state_root, g->old.n, g->n_blocks, g->n_txs);
	if (f != stderr && fclose(f) != 0)
		die("%s: write failed", path);
}

/* ---- command line ---- */

static void
usage(FILE *f)
{
	fprintf(f,
			"Usage: wes-gen [OPTION]... -o FILE\n"
			"Write a valid random WES chain as a block file (docs/block-file.md).\n\n"
			"Size and shape:\n"
			"  -n, --blocks N          blocks to write (default 10)\n"
			"  -t, --txs N             transactions to write (overrides --blocks; the last block may be short;\n"
			"                          0 writes a file with no block, as -n 0 does)\n"
			"  -b, --txs-per-block N   transactions per block (default 100)\n"
			"  -i, --inputs N          inputs per transaction (default 2)\n"
			"  -u, --outputs N         outputs per transaction (default 2, at least 1)\n"
			"      --resource-share X  share of outputs that are resources (0..1, default 0)\n"
			"      --state-share X     share of outputs that are states (0..1, default 0; with resources at most 1)\n"
			"      --reference-share X share of inputs that are reference inputs (0..1, default 0)\n"
			"      --inblock-share X   share of inputs that name an output of the same block (0..1, default 0)\n"
			"      --utxo-target N     transactions have no inputs until the set holds N outputs\n"
			"                          (default 2 x txs-per-block x inputs)\n"
			"      --addresses N       distinct owner addresses (default 1000)\n"
			"      --unlock-bytes N    bytes of unlock data per spend (default 64, at most 4096)\n"
			"  -s, --seed TEXT         seed: same options and seed give the same bytes (default \"0\")\n"
			"      --timestamp MS      timestamp of height 0 in ms; one second per block (default 1700000000000)\n\n"
			"Where the chain starts (default: genesis):\n"
			"      --start-height H    first height written\n"
			"      --prev-hash HEX     hash of block H-1\n"
			"      --accumulator HEX   the 2048-byte LtHash accumulator after H-1 (4096 hex digits);\n"
			"                          the generator does not know that set, so it mints before it spends\n"
			"      --state-in FILE     continue from a state file written by --state-out\n\n"
			"Output:\n"
			"  -o, --output FILE       the block file (\"-\" for stdout)\n"
			"      --state-out FILE    write tip, accumulator and UTXO set (to continue with --state-in)\n"
			"      --utxos-out FILE    write the final UTXO set, one outpoint \"<txid>:<index>\" a line\n"
			"      --tip-out FILE      write height, hash, state_root, utxo_count, blocks, txs as name=value\n"
			"  -q, --quiet             no summary on stderr\n"
			"  -h, --help              this help\n");
}

/* Parse a share in 0..1 */
static double
parse_share(const char *name, const char *s)
{
	char	   *end;
	double		v = strtod(s, &end);

	if (*s == '\0' || *end != '\0' || !(v >= 0 && v <= 1))
		die_usage("--%s must be a number between 0 and 1, not \"%s\"", name, s);
	return v;
}

enum
{
	OPT_RESOURCE = 256, OPT_STATE, OPT_REFERENCE, OPT_INBLOCK, OPT_TARGET, OPT_ADDRESSES,
	OPT_UNLOCK, OPT_TIMESTAMP, OPT_START, OPT_PREV, OPT_ACC, OPT_STATE_IN, OPT_STATE_OUT,
	OPT_UTXOS_OUT, OPT_TIP_OUT
};

static const struct option long_opts[] = {
	{"blocks", required_argument, NULL, 'n'},
	{"txs", required_argument, NULL, 't'},
	{"txs-per-block", required_argument, NULL, 'b'},
	{"inputs", required_argument, NULL, 'i'},
	{"outputs", required_argument, NULL, 'u'},
	{"resource-share", required_argument, NULL, OPT_RESOURCE},
	{"state-share", required_argument, NULL, OPT_STATE},
	{"reference-share", required_argument, NULL, OPT_REFERENCE},
	{"inblock-share", required_argument, NULL, OPT_INBLOCK},
	{"utxo-target", required_argument, NULL, OPT_TARGET},
	{"addresses", required_argument, NULL, OPT_ADDRESSES},
	{"unlock-bytes", required_argument, NULL, OPT_UNLOCK},
	{"seed", required_argument, NULL, 's'},
	{"timestamp", required_argument, NULL, OPT_TIMESTAMP},
	{"start-height", required_argument, NULL, OPT_START},
	{"prev-hash", required_argument, NULL, OPT_PREV},
	{"accumulator", required_argument, NULL, OPT_ACC},
	{"state-in", required_argument, NULL, OPT_STATE_IN},
	{"output", required_argument, NULL, 'o'},
	{"state-out", required_argument, NULL, OPT_STATE_OUT},
	{"utxos-out", required_argument, NULL, OPT_UTXOS_OUT},
	{"tip-out", required_argument, NULL, OPT_TIP_OUT},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0}
};

/* Apply one option to o */
static void
set_option(gen_opts *o, int c, const char *arg, bool *have_target)
{
	switch (c)
	{
		case 'n': o->blocks = parse_u64("blocks", arg, UINT32_MAX); break;
		case 't': o->txs = parse_u64("txs", arg, UINT64_C(1) << 40); o->have_txs = true; break;
		case 'b': o->tpb = (uint32_t) parse_u64("txs-per-block", arg, 1000000); break;
		case 'i': o->inputs = (uint32_t) parse_u64("inputs", arg, 10000); break;
		case 'u': o->outputs = (uint32_t) parse_u64("outputs", arg, 10000); break;
		case OPT_RESOURCE: o->resource_share = parse_share("resource-share", arg); break;
		case OPT_STATE: o->state_share = parse_share("state-share", arg); break;
		case OPT_REFERENCE: o->reference_share = parse_share("reference-share", arg); break;
		case OPT_INBLOCK: o->inblock_share = parse_share("inblock-share", arg); break;
		case OPT_TARGET: o->utxo_target = parse_u64("utxo-target", arg, UINT64_C(1) << 40); *have_target = true; break;
		case OPT_ADDRESSES: o->addresses = (uint32_t) parse_u64("addresses", arg, 10000000); break;
		case OPT_UNLOCK: o->unlock_bytes = (uint32_t) parse_u64("unlock-bytes", arg, MAX_UNLOCK); break;
		case 's': o->seed = arg; break;
		case OPT_TIMESTAMP: o->timestamp_ms = parse_u64("timestamp", arg, UINT64_MAX / 2); break;
		case OPT_START: o->start_height = parse_u64("start-height", arg, INT64_MAX / 2); o->start_given = true; break;
		case OPT_PREV: parse_hex("prev-hash", arg, o->prev_hash, WES_HASH_LEN); o->start_given = true; break;
		case OPT_ACC: o->accumulator_hex = arg; o->start_given = true; break;
		case OPT_STATE_IN: o->state_in = arg; break;
		case 'o': o->out = arg; break;
		case OPT_STATE_OUT: o->state_out = arg; break;
		case OPT_UTXOS_OUT: o->utxos_out = arg; break;
		case OPT_TIP_OUT: o->tip_out = arg; break;
		case 'q': o->quiet = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
	}
}

/* Parse the command line into o */
static void
parse_options(gen_opts *o, int argc, char **argv)
{
	bool		have_target = false;
	int			c;

	memset(o, 0, sizeof(*o));
	o->blocks = 10;
	o->tpb = 100;
	o->inputs = 2;
	o->outputs = 2;
	o->addresses = 1000;
	o->unlock_bytes = 64;
	o->seed = "0";
	o->timestamp_ms = UINT64_C(1700000000000);
	while ((c = getopt_long(argc, argv, "n:t:b:i:u:s:o:qh", long_opts, NULL)) != -1)
		set_option(o, c, optarg, &have_target);
	if (optind != argc)
		die_usage("unexpected argument \"%s\" (see --help)", argv[optind]);
	if (o->out == NULL)
		die_usage("no output file: give -o FILE (\"-\" for stdout; see --help)");
	if (strcmp(o->out, "-") == 0 && isatty(STDOUT_FILENO))
		die("refusing to write a binary block file to a terminal");
	if (o->tpb == 0 || o->outputs == 0 || o->addresses == 0)
		die_usage("--txs-per-block, --outputs and --addresses must be at least 1");
	if (!have_target)
		o->utxo_target = 2 * (uint64_t) o->tpb * o->inputs;
	if (o->resource_share + o->state_share > 1)
		die_usage("--resource-share and --state-share add up to more than 1");
	if (o->state_in && o->start_given)
		die_usage("--state-in already gives the start: drop --start-height, --prev-hash and --accumulator");
}

/* Set up derived tables, buffers and the starting point */
static void
gen_init(gen *g)
{
	const gen_opts *o = &g->o;
	uint8_t		acc[WES_LTHASH_BYTES];
	char		label[64];

	prng_init(&g->rng, o->seed);
	g->addrs = xmalloc((size_t) WES_ADDR_LEN * o->addresses);
	for (uint32_t i = 0; i < o->addresses; i++)
	{
		uint8_t		h[WES_HASH_LEN];

		snprintf(label, sizeof(label), "address %u", i);
		wes_hash((const uint8_t *) label, strlen(label), h);
		memcpy(g->addrs + WES_ADDR_LEN * i, h, WES_ADDR_LEN);
	}
	for (int i = 0; i < N_ASSETS; i++)
		snprintf(label, sizeof(label), "asset %d", i), wes_hash((const uint8_t *) label, strlen(label), g->assets[i]);
	for (int i = 0; i < N_STATES; i++)
		snprintf(label, sizeof(label), "state %d", i), wes_hash((const uint8_t *) label, strlen(label), g->states[i]);
	for (int i = 0; i < N_TOPICS; i++)
		snprintf(label, sizeof(label), "topic %d", i), wes_hash((const uint8_t *) label, strlen(label), g->topics[i]);
	wes_buf_init(&g->tx, &wes_malloc_allocator, 4096);
	wes_buf_init(&g->txs, &wes_malloc_allocator, (size_t) o->tpb * 512);
	wes_buf_init(&g->rcpts, &wes_malloc_allocator, (size_t) o->tpb * 128);
	g->txids = xmalloc((size_t) o->tpb * WES_HASH_LEN);
	g->rhashes = xmalloc((size_t) o->tpb * WES_HASH_LEN);
	g->spent = xmalloc(sizeof(utxo) * (o->inputs + 1));
	g->spent_old = xmalloc(sizeof(bool) * (o->inputs + 1));
	g->refs = xmalloc(sizeof(picked) * (o->inputs + 1));
	g->out_off = xmalloc(sizeof(size_t) * (o->outputs + 1));
	wes_lthash_init(&g->acc);
	g->height = o->start_height;
	memcpy(g->prev, o->prev_hash, WES_HASH_LEN);
	if (o->accumulator_hex)
	{
		parse_hex("accumulator", o->accumulator_hex, acc, sizeof(acc));
		wes_lthash_from_bytes(&g->acc, acc);
	}
	if (o->state_in)
		load_state(g, o->state_in);
	wes_lthash_root(&g->acc, g->state_root);
}

int
main(int argc, char **argv)
{
	gen		   *g = xmalloc(sizeof(gen));
	bf_writer	w;
	uint64_t	blocks;
	double		t0,
				secs;

	memset(g, 0, sizeof(*g));
	if (wes_codec_init() != 0)
		die("libsodium failed to initialise");
	parse_options(&g->o, argc, argv);
	gen_init(g);
	blocks = g->o.have_txs ? (g->o.txs + g->o.tpb - 1) / g->o.tpb : g->o.blocks;
	if (!bf_create(&w, g->o.out))
		die("%s: %s", g->o.out, strerror(errno));
	t0 = now_seconds();
	for (uint64_t i = 0; i < blocks; i++)
	{
		uint64_t	left = g->o.have_txs ? g->o.txs - g->n_txs : g->o.tpb;

		gen_block(g, (uint32_t) (left < g->o.tpb ? left : g->o.tpb), &w);
	}
	if (!bf_finish(&w))
		die("%s: write failed: %s", g->o.out, strerror(errno));
	secs = now_seconds() - t0;
	if (g->o.state_out)
		save_state(g, g->o.state_out);
	if (g->o.utxos_out)
		save_utxos(g, g->o.utxos_out);
	if (g->o.tip_out)
		save_tip(g, g->o.tip_out, NULL);
	if (!g->o.quiet)
	{
		fprintf(stderr, "wes-gen: %llu blocks, %llu txs in %.2f s (%.0f tx/s), %.1f MB; "
				"%llu spends (%llu in-block), %llu references, %llu outputs (%llu resource, %llu state)\n",
				(unsigned long long) g->n_blocks, (unsigned long long) g->n_txs, secs,
				secs > 0 ? g->n_txs / secs : 0.0, w.bytes / 1e6,
				(unsigned long long) g->n_spends, (unsigned long long) g->n_inblock,
				(unsigned long long) g->n_refs, (unsigned long long) g->n_outputs,
				(unsigned long long) g->n_resource, (unsigned long long) g->n_state);
		save_tip(g, NULL, stderr);
	}
	return 0;
}
