/*
 * codec_test.c
 *	  Standalone TAP tests of the codec against every file of the wire-format
 *	  vectors (merkle.json, lthash.json, chain.json, invalid.json), plus
 *	  mutations of the vector blocks: truncation at every offset, every header
 *	  bit flipped, counts of 0xFFFFFFFF, one broken field per decoder rule,
 *	  allocation failure, and encode(decode(x)) == x everywhere.
 *
 * Usage: codec_test [VECTOR_DIR]   (default $WES_VECTORS)
 * This file: TAP output, the vector files and main; codec_test_mutate.c: the
 * mutations of the vector blocks.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_test.h"

static int	n_tests = 0;
static int	n_failed = 0;

/* Print one TAP result line */
bool
ok(bool cond, const char *fmt,...)
{
	va_list		ap;

	n_tests++;
	if (!cond)
		n_failed++;
	printf("%sok %d - ", cond ? "" : "not ", n_tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

/* Print a TAP comment line */
void
diag(const char *fmt,...)
{
	va_list		ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Decode hex into a malloc'd buffer (never NULL); *len gets the size */
static uint8_t *
unhex(const char *hex, size_t *len)
{
	size_t		hlen = strlen(hex);
	uint8_t    *out = malloc(hlen / 2 + 1);

	if (sodium_hex2bin(out, hlen / 2 + 1, hex, hlen, NULL, len, NULL) != 0)
	{
		fprintf(stderr, "bad hex in vectors\n");
		exit(2);
	}
	return out;
}

/* Whether 32 bytes equal a hex string */
static bool
hash_eq_hex(const uint8_t h[WES_HASH_LEN], const char *hex)
{
	char		buf[2 * WES_HASH_LEN + 1];

	sodium_bin2hex(buf, sizeof(buf), h, WES_HASH_LEN);
	return hex != NULL && strcmp(buf, hex) == 0;
}

/* Load dir/name as JSON or stop */
static json_t *
load_json(const char *dir, const char *name)
{
	char		path[4096];
	json_error_t jerr;
	json_t	   *j;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	j = json_load_file(path, 0, &jerr);
	if (j == NULL)
	{
		printf("Bail out! cannot read %s: %s\n", path, jerr.text);
		exit(1);
	}
	return j;
}

static const char *
jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ---- an allocator that counts, and one that fails ---- */


void *
counting_alloc(void *ctx, size_t size)
{
	counting   *c = ctx;

	if (c->calls++ >= c->fail_after)
		return NULL;
	if (size > c->largest)
		c->largest = size;
	return malloc(size ? size : 1);
}

void *
counting_realloc(void *ctx, void *ptr, size_t old_size, size_t new_size)
{
	counting   *c = ctx;

	if (c->calls++ >= c->fail_after)
		return NULL;
	if (new_size > c->largest)
		c->largest = new_size;
	return realloc(ptr, new_size ? new_size : 1);
}

/* Decode with a fresh counting allocator; frees the result; returns the status */
wes_status
decode_counted(const uint8_t *buf, size_t len, counting *c, wes_error *err)
{
	wes_allocator a = {counting_alloc, counting_realloc, c};
	wes_block	b;
	wes_status	st;

	c->calls = c->largest = 0;
	c->fail_after = SIZE_MAX;
	st = wes_block_decode(buf, len, &a, &b, err);
	free(b.mem);
	return st;
}

/* ---- merkle.json ---- */

/* Every root, and every leaf's audit path verifies (and a broken one does not) */
static void
test_merkle(const char *dir)
{
	json_t	   *j = load_json(dir, "merkle.json");
	json_t	   *c;
	size_t		i;

	json_array_foreach(json_object_get(j, "merkle"), i, c)
	{
		json_t	   *leaves = json_object_get(c, "leaves");
		size_t		n = json_array_size(leaves);
		uint8_t		(*l)[WES_HASH_LEN] = malloc((n + 1) * WES_HASH_LEN);
		uint8_t		root[WES_HASH_LEN],
					path[64][WES_HASH_LEN];
		bool		paths_ok = true;

		for (size_t k = 0; k < n; k++)
		{
			size_t		len;
			uint8_t    *b = unhex(json_string_value(json_array_get(leaves, k)), &len);

			memcpy(l[k], b, WES_HASH_LEN);
			free(b);
		}
		wes_merkle_root((const uint8_t (*)[WES_HASH_LEN]) l, n, root);
		ok(hash_eq_hex(root, jstr(c, "root")), "merkle root of %zu leaves", n);
		for (size_t k = 0; k < n; k++)
		{
			size_t		plen = wes_merkle_path((const uint8_t (*)[WES_HASH_LEN]) l, n, k, path);

			paths_ok &= wes_merkle_verify(l[k], k, n, (const uint8_t (*)[WES_HASH_LEN]) path, plen, root);
			if (plen > 0)
			{
				path[0][0] ^= 1;
				paths_ok &= !wes_merkle_verify(l[k], k, n, (const uint8_t (*)[WES_HASH_LEN]) path, plen, root);
				path[0][0] ^= 1;
			}
			if (n > 1)
				paths_ok &= !wes_merkle_verify(l[k], (k + 1) % n, n, (const uint8_t (*)[WES_HASH_LEN]) path, plen, root);
		}
		ok(paths_ok, "audit paths of all %zu leaves verify, tampered or misplaced ones do not", n);
		free(l);
	}
	json_decref(j);
}

/* ---- lthash.json ---- */

/* Expansion key and first lanes, then every step's root through add/remove */
static void
test_lthash(const char *dir)
{
	json_t	   *j = load_json(dir, "lthash.json");
	json_t	   *s;
	size_t		i;
	wes_lthash	acc,
				sum;
	uint8_t		root[WES_HASH_LEN];

	json_array_foreach(json_object_get(j, "expansion"), i, s)
	{
		size_t		len;
		uint8_t    *e = unhex(jstr(s, "elem"), &len);
		uint8_t		key[WES_HASH_LEN];
		wes_lthash	x;
		json_t	   *lanes = json_object_get(s, "first_lanes");
		bool		good = true;

		wes_hash(e, len, key);
		ok(hash_eq_hex(key, jstr(s, "key")), "lthash expansion %zu: key = H(elem)", i);
		wes_lthash_expand(e, len, &x);
		for (size_t k = 0; k < json_array_size(lanes); k++)
			good &= x.lanes[k] == json_integer_value(json_array_get(lanes, k));
		ok(good && json_array_size(lanes) > 0, "lthash expansion %zu: first %zu lanes", i, json_array_size(lanes));
		free(e);
	}
	wes_lthash_init(&acc);
	wes_lthash_init(&sum);
	json_array_foreach(json_object_get(j, "steps"), i, s)
	{
		const char *op = jstr(s, "op");

		if (strcmp(op, "empty") != 0)
		{
			size_t		len;
			uint8_t    *e = unhex(jstr(s, "elem"), &len);
			wes_lthash	x;

			if (strcmp(op, "add") == 0)
				wes_lthash_add(&acc, e, wes_get_u32(e + WES_HASH_LEN), e + 36, len - 36);
			else
				wes_lthash_remove(&acc, e, wes_get_u32(e + WES_HASH_LEN), e + 36, len - 36);
			wes_lthash_expand(e, len, &x);
			wes_lthash_combine(&sum, &x, strcmp(op, "remove") == 0);
			free(e);
		}
		wes_lthash_root(&acc, root);
		ok(hash_eq_hex(root, jstr(s, "root")), "lthash step %zu (%s): root", i, op);
	}
	{
		uint8_t		bytes[WES_LTHASH_BYTES];
		wes_lthash	back;

		wes_lthash_to_bytes(&acc, bytes);
		wes_lthash_from_bytes(&back, bytes);
		ok(memcmp(&back, &acc, sizeof(acc)) == 0 && memcmp(&sum, &acc, sizeof(acc)) == 0,
		   "lthash: combine of expansions equals add/remove; bytes round trip");
	}
	json_decref(j);
}

/*
 * The steps of lthash.json as items for the LtHash thread: its sum, over one
 * job or two in a row, must be what adding and removing them here gives
 */
static void
test_lthash_worker(const char *dir)
{
	json_t	   *j = load_json(dir, "lthash.json");
	json_t	   *steps = json_object_get(j, "steps");
	size_t		n = 0,
				i;
	json_t	   *s;
	wes_lthash_item *items = calloc(json_array_size(steps) + 1, sizeof(wes_lthash_item));
	uint8_t   **elems = calloc(json_array_size(steps) + 1, sizeof(uint8_t *));
	wes_lthash	direct,
				sum,
				half,
				empty;
	wes_lthash_worker *w = wes_lthash_worker_start();

	json_array_foreach(steps, i, s)
	{
		size_t		len;

		if (strcmp(jstr(s, "op"), "empty") == 0)
			continue;
		elems[n] = unhex(jstr(s, "elem"), &len);
		items[n] = (wes_lthash_item) {elems[n], elems[n] + 36, wes_get_u32(elems[n] + WES_HASH_LEN),
		(uint32_t) (len - 36), strcmp(jstr(s, "op"), "remove") == 0};
		n++;
	}
	wes_lthash_init(&direct);
	wes_lthash_apply(&direct, items, n);
	ok(w != NULL && n > 2, "lthash worker: a thread starts (%zu items from lthash.json)", n);
	if (w != NULL)
	{
		wes_lthash_init(&empty);
		wes_lthash_worker_wait(w, &sum);
		ok(memcmp(&sum, &empty, sizeof(sum)) == 0, "lthash worker: waiting with no job gives the empty sum");
		wes_lthash_worker_submit(w, items, n);
		wes_lthash_worker_wait(w, &sum);
		ok(memcmp(&sum, &direct, sizeof(sum)) == 0, "lthash worker: one job's sum is what add and remove give");
		wes_lthash_worker_submit(w, items, n / 2);
		wes_lthash_worker_wait(w, &half);
		wes_lthash_worker_submit(w, items + n / 2, n - n / 2);
		wes_lthash_worker_wait(w, &sum);
		wes_lthash_combine(&sum, &half, false);
		ok(memcmp(&sum, &direct, sizeof(sum)) == 0, "lthash worker: two jobs in a row sum to the same");
		wes_lthash_worker_stop(w);
	}
	for (i = 0; i < n; i++)
		free(elems[i]);
	free(elems);
	free(items);
	json_decref(j);
}

/* ---- chain.json: decode, hashes, roots, UTXO replay ---- */


/* The live entry for an outpoint, or NULL */
static utxo *
find_utxo(chain *ch, const uint8_t *txid, uint32_t index)
{
	for (size_t i = 0; i < ch->n_utxos; i++)
		if (ch->utxos[i].live && ch->utxos[i].index == index &&
			memcmp(ch->utxos[i].txid, txid, WES_HASH_LEN) == 0)
			return &ch->utxos[i];
	return NULL;
}

/* Apply one block's transactions to the set; false if an input names nothing live */
static bool
replay_block(chain *ch, const wes_block *b)
{
	for (uint32_t t = 0; t < b->n_tx; t++)
	{
		const wes_tx *tx = &b->txs[t];

		for (uint32_t i = 0; i < tx->n_inputs; i++)
		{
			utxo	   *u = find_utxo(ch, tx->inputs[i].txid, tx->inputs[i].index);

			if (u == NULL)
				return false;
			if (tx->inputs[i].flags != WES_INPUT_SPEND)
				continue;
			u->live = false;
			wes_lthash_remove(&ch->acc, u->txid, u->index, u->out->encoding.ptr, u->out->encoding.len);
			memcpy(ch->spends[ch->n_spends].txid, u->txid, WES_HASH_LEN);
			ch->spends[ch->n_spends].index = u->index;
			memcpy(ch->spends[ch->n_spends].spent_by, tx->txid, WES_HASH_LEN);
			ch->spends[ch->n_spends++].height = b->header.height;
		}
		for (uint32_t o = 0; o < tx->n_outputs; o++)
		{
			utxo	   *u = &ch->utxos[ch->n_utxos++];

			memcpy(u->txid, tx->txid, WES_HASH_LEN);
			u->index = o;
			u->out = &tx->outputs[o];
			u->live = true;
			wes_lthash_add(&ch->acc, tx->txid, o, u->out->encoding.ptr, u->out->encoding.len);
		}
	}
	return true;
}

/* encode(decode(x)) == x for the block, each tx, receipt, output and resource metadata */
static bool
round_trips(const wes_block *b, const uint8_t *raw, size_t len)
{
	wes_buf		wb;
	bool		good;

	wes_buf_init(&wb, &wes_malloc_allocator, 16);
	wes_encode_block(&wb, &b->header, b->n_tx, b->txs, b->receipts);
	good = !wb.failed && wb.len == len && memcmp(wb.data, raw, len) == 0;
	for (uint32_t t = 0; good && t < b->n_tx; t++)
	{
		const wes_tx *tx = &b->txs[t];

		wb.len = 0;
		wes_encode_tx(&wb, tx);
		good &= wb.len == tx->raw.len && memcmp(wb.data, tx->raw.ptr, wb.len) == 0;
		wb.len = 0;
		wes_encode_receipt(&wb, &b->receipts[t]);
		good &= wb.len == b->receipts[t].raw.len && memcmp(wb.data, b->receipts[t].raw.ptr, wb.len) == 0;
		for (uint32_t o = 0; o < tx->n_outputs; o++)
		{
			const wes_output *out = &tx->outputs[o];

			wb.len = 0;
			wes_encode_output(&wb, out);
			good &= wb.len == out->encoding.len && memcmp(wb.data, out->encoding.ptr, wb.len) == 0;
			if (out->kind != WES_KIND_RESOURCE)
				continue;
			wb.len = 0;
			wes_encode_resource_meta(&wb, &out->resource);
			good &= wb.len == out->data.len && memcmp(wb.data, out->data.ptr, wb.len) == 0;
		}
	}
	free(wb.data);
	return good;
}

/* Merkle root over the txids or the receipt hashes of a block */
void
block_root(const wes_block *b, bool receipts, uint8_t out[WES_HASH_LEN])
{
	uint8_t		(*l)[WES_HASH_LEN] = malloc((b->n_tx + 1) * WES_HASH_LEN);

	for (uint32_t t = 0; t < b->n_tx; t++)
		memcpy(l[t], receipts ? b->receipts[t].hash : b->txs[t].txid, WES_HASH_LEN);
	wes_merkle_root((const uint8_t (*)[WES_HASH_LEN]) l, b->n_tx, out);
	free(l);
}

/* Decode, hash and check one vector block, then replay it */
static void
check_block(chain *ch, json_t *jb, size_t i)
{
	wes_block  *b = &ch->blocks[i];
	wes_error	err;
	uint8_t		root[WES_HASH_LEN];
	wes_status	st;

	ch->raw[i] = unhex(jstr(jb, "hex"), &ch->len[i]);
	st = wes_block_decode(ch->raw[i], ch->len[i], &wes_malloc_allocator, b, &err);
	if (!ok(st == WES_OK, "block %zu decodes", i))
	{
		diag("%s at %zu: %s", err.field, err.offset, err.message);
		exit(1);
	}
	wes_block_hash_all(b);
	ok(hash_eq_hex(b->hash, jstr(jb, "hash")) &&
	   b->header.height == (uint64_t) json_integer_value(json_object_get(jb, "height")) &&
	   b->n_tx == json_integer_value(json_object_get(jb, "tx_count")),
	   "block %zu: hash, height, tx count", i);
	block_root(b, false, root);
	ok(hash_eq_hex(root, jstr(jb, "tx_root")) && memcmp(root, b->header.tx_root, WES_HASH_LEN) == 0,
	   "block %zu: tx_root recomputed", i);
	block_root(b, true, root);
	ok(hash_eq_hex(root, jstr(jb, "receipt_root")) &&
	   memcmp(root, b->header.receipt_root, WES_HASH_LEN) == 0,
	   "block %zu: receipt_root recomputed", i);
	ok(i == 0 || memcmp(b->header.prev_hash, ch->blocks[i - 1].hash, WES_HASH_LEN) == 0,
	   "block %zu: prev_hash links to the previous block", i);
	ok(replay_block(ch, b), "block %zu: every input names a live output", i);
	wes_lthash_root(&ch->acc, root);
	ok(hash_eq_hex(root, jstr(jb, "state_root")) &&
	   memcmp(root, b->header.state_root, WES_HASH_LEN) == 0,
	   "block %zu: state_root after LtHash replay", i);
	ok(round_trips(b, ch->raw[i], ch->len[i]), "block %zu: encode(decode(x)) == x", i);
}

/* Parse "txid:index" */
static bool
parse_outpoint(const char *s, uint8_t txid[WES_HASH_LEN], uint32_t *index)
{
	size_t		len;

	if (s == NULL || strlen(s) < 66 || s[64] != ':')
		return false;
	if (sodium_hex2bin(txid, WES_HASH_LEN, s, 64, NULL, &len, NULL) != 0 || len != WES_HASH_LEN)
		return false;
	*index = (uint32_t) strtoul(s + 65, NULL, 10);
	return true;
}

/* The final UTXO set and the spends equal the vectors' */
static void
check_final_state(chain *ch, json_t *j)
{
	json_t	   *v;
	size_t		i,
				live = 0,
				matched = 0;

	for (i = 0; i < ch->n_utxos; i++)
		live += ch->utxos[i].live;
	json_array_foreach(json_object_get(j, "utxos"), i, v)
	{
		uint8_t		txid[WES_HASH_LEN];
		uint32_t	index;

		if (parse_outpoint(json_string_value(v), txid, &index) && find_utxo(ch, txid, index))
			matched++;
	}
	ok(live == json_array_size(json_object_get(j, "utxos")) && matched == live,
	   "final utxo set: %zu live outputs, %zu listed, %zu matched", live,
	   json_array_size(json_object_get(j, "utxos")), matched);
	matched = 0;
	json_array_foreach(json_object_get(j, "spent"), i, v)
	{
		uint8_t		txid[WES_HASH_LEN];
		uint32_t	index;

		if (!parse_outpoint(jstr(v, "outpoint"), txid, &index))
			continue;
		for (size_t k = 0; k < ch->n_spends; k++)
			if (ch->spends[k].index == index && memcmp(ch->spends[k].txid, txid, WES_HASH_LEN) == 0 &&
				hash_eq_hex(ch->spends[k].spent_by, jstr(v, "spent_by")) &&
				ch->spends[k].height == (uint64_t) json_integer_value(json_object_get(v, "spent_height")))
				matched++;
	}
	ok(matched == ch->n_spends && matched == json_array_size(json_object_get(j, "spent")),
	   "spent: %zu spends replayed, %zu listed, %zu matched with spender and height",
	   ch->n_spends, json_array_size(json_object_get(j, "spent")), matched);
}

/* Native balances (unspent asset outputs with the all-zero asset id) and resource hashes */
static void
check_balances_resources(chain *ch, json_t *j)
{
	static const uint8_t zero[WES_HASH_LEN];
	json_t	   *bal = json_object_get(j, "native_balances");
	json_t	   *v;
	const char *key;
	size_t		owners = 0,
				good = 0;

	json_object_foreach(bal, key, v)
	{
		uint64_t	sum = 0;
		char		hex[2 * WES_ADDR_LEN + 1];

		for (size_t i = 0; i < ch->n_utxos; i++)
		{
			const wes_output *o = ch->utxos[i].out;

			sodium_bin2hex(hex, sizeof(hex), o->owner, WES_ADDR_LEN);
			if (ch->utxos[i].live && o->kind == WES_KIND_ASSET &&
				memcmp(o->ref, zero, WES_HASH_LEN) == 0 && strcmp(hex, key) == 0)
				sum += o->amount;
		}
		owners++;
		good += sum == (uint64_t) json_integer_value(v);
	}
	ok(owners > 0 && good == owners, "native balances of %zu owners", owners);
	owners = good = 0;
	json_object_foreach(json_object_get(j, "resources"), key, v)
	{
		size_t		len;
		uint8_t    *content = unhex(json_string_value(v), &len);
		uint8_t		h[WES_HASH_LEN];
		bool		referenced = false;

		wes_sha256(content, len, h);
		for (size_t i = 0; i < ch->n_utxos; i++)
			referenced |= ch->utxos[i].out->kind == WES_KIND_RESOURCE &&
				memcmp(ch->utxos[i].out->ref, h, WES_HASH_LEN) == 0 &&
				ch->utxos[i].out->resource.size == len;
		owners++;
		good += hash_eq_hex(h, key) && referenced;
		free(content);
	}
	ok(owners > 0 && good == owners, "%zu resources: SHA-256 of content, referenced by an output of that size", owners);
}

/* Every block of chain.json; the chain stays decoded for the mutation tests */
static void
test_chain(const char *dir, chain *ch)
{
	json_t	   *j = load_json(dir, "chain.json");
	json_t	   *blocks = json_object_get(j, "blocks");
	json_t	   *jb;
	size_t		i,
				total = ch->len[0];

	ch->n_blocks = json_array_size(blocks);
	if (ch->n_blocks == 0 || ch->n_blocks > MAX_BLOCKS)
	{
		printf("Bail out! chain.json has %zu blocks\n", ch->n_blocks);
		exit(1);
	}
	json_array_foreach(blocks, i, jb)
		total += strlen(jstr(jb, "hex"));
	/* an output takes at least WES_MIN_OUTPUT_LEN bytes: bounds the set */
	ch->utxos = calloc(total / WES_MIN_OUTPUT_LEN + 1, sizeof(utxo));
	ch->spends = calloc(total / WES_MIN_INPUT_LEN + 1, sizeof(spend));
	wes_lthash_init(&ch->acc);
	json_array_foreach(blocks, i, jb)
		check_block(ch, jb, i);
	ok(hash_eq_hex(ch->blocks[ch->n_blocks - 1].hash, jstr(json_object_get(j, "tip"), "hash")),
	   "tip hash is the last block's");
	check_final_state(ch, j);
	check_balances_resources(ch, j);
	json_decref(j);
}

/* ---- invalid.json ---- */

/* 22P03 cases fail to decode with a located error; the others decode */
static void
test_invalid(const char *dir)
{
	json_t	   *j = load_json(dir, "invalid.json");
	json_t	   *c;
	size_t		i;

	json_array_foreach(json_object_get(j, "cases"), i, c)
	{
		size_t		len;
		uint8_t    *raw = unhex(jstr(c, "hex"), &len);
		bool		must_fail = strcmp(jstr(c, "sqlstate"), "22P03") == 0;
		wes_error	err;
		counting	cnt;
		wes_status	st = decode_counted(raw, len, &cnt, &err);

		if (must_fail)
			ok(st == WES_ERR_DECODE && err.field[0] && err.message[0] && err.offset <= len &&
			   cnt.calls == 0,
			   "invalid '%s': decode error at %s, offset %zu: %s", jstr(c, "why"),
			   err.field, err.offset, err.message);
		else
			ok(st == WES_OK, "invalid '%s' (%s): decodes (a later rule rejects it)",
			   jstr(c, "why"), jstr(c, "sqlstate"));
		free(raw);
	}
	json_decref(j);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : getenv("WES_VECTORS");
	static chain ch;
	size_t		small;

	if (dir == NULL)
	{
		printf("Bail out! give the vectors directory as argument or in WES_VECTORS\n");
		return 1;
	}
	if (wes_codec_init() != 0)
	{
		printf("Bail out! libsodium does not initialise\n");
		return 1;
	}
	test_merkle(dir);
	test_lthash(dir);
	test_lthash_worker(dir);
	test_chain(dir, &ch);
	test_invalid(dir);
	small = smallest_block(&ch);
	test_truncation(&ch, small);
	test_header_flips(&ch, small);
	test_huge_counts(&ch, small);
	test_field_patches(&ch);
	test_structure(&ch);
	test_leftovers(&ch, small);
	test_standalone(&ch);
	test_utf8();
	test_nomem(&ch, small);
	test_output_decode(&ch);
	test_threads(&ch);
	if (getenv("WES_CODEC_SPEED"))
		report_speed(&ch);
	for (size_t i = 0; i < ch.n_blocks; i++)
	{
		free(ch.blocks[i].mem);
		free(ch.raw[i]);
	}
	free(ch.utxos);
	free(ch.spends);
	printf("1..%d\n", n_tests);
	return n_failed ? 1 : 0;
}
