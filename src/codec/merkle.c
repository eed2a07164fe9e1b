/*
 * merkle.c
 *	  RFC 6962 Merkle tree hash (section 2.1) with H = BLAKE2b-256: roots,
 *	  audit paths and their verification (the algorithm of RFC 9162 2.1.3.2).
 *	  Recursion depth is at most 64 and nothing is allocated: the leaves are
 *	  read where they are, also when they sit inside an array of structs (the
 *	  txids of a decoded block's transactions).
 */
#include <string.h>

#include "wes_codec.h"

/* H(0x00 || leaf) */
static void
leaf_hash(const uint8_t leaf[WES_HASH_LEN], uint8_t out[WES_HASH_LEN])
{
	uint8_t		buf[1 + WES_HASH_LEN];

	buf[0] = 0x00;
	memcpy(buf + 1, leaf, WES_HASH_LEN);
	wes_hash(buf, sizeof(buf), out);
}

/* H(0x01 || left || right); out may alias either input */
static void
node_hash(const uint8_t left[WES_HASH_LEN], const uint8_t right[WES_HASH_LEN],
		  uint8_t out[WES_HASH_LEN])
{
	uint8_t		buf[1 + 2 * WES_HASH_LEN];

	buf[0] = 0x01;
	memcpy(buf + 1, left, WES_HASH_LEN);
	memcpy(buf + 1 + WES_HASH_LEN, right, WES_HASH_LEN);
	wes_hash(buf, sizeof(buf), out);
}

/* Largest power of two strictly below n (n >= 2) */
static size_t
split_point(size_t n)
{
	size_t		k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

/* Leaves at a fixed stride: leaf i is WES_HASH_LEN bytes at first + i * stride */
typedef struct leaf_run
{
	const uint8_t *first;
	size_t		stride;
} leaf_run;

static inline leaf_run
leaves_from(leaf_run r, size_t k)
{
	return (leaf_run) {r.first + k * r.stride, r.stride};
}

/* MTH of n >= 1 leaves */
static void
mth(leaf_run leaves, size_t n, uint8_t out[WES_HASH_LEN])
{
	uint8_t		left[WES_HASH_LEN],
				right[WES_HASH_LEN];
	size_t		k;

	if (n == 1)
	{
		leaf_hash(leaves.first, out);
		return;
	}
	k = split_point(n);
	mth(leaves, k, left);
	mth(leaves_from(leaves, k), n - k, right);
	node_hash(left, right, out);
}

/* Root of n leaves at a stride (hashes inside an array of structs); H("") for none */
void
wes_merkle_root_strided(const uint8_t *first, size_t stride, size_t n, uint8_t out[WES_HASH_LEN])
{
	if (n == 0)
		wes_hash(NULL, 0, out);
	else
		mth((leaf_run) {first, stride}, n, out);
}

/* Root of n leaves; H("") for none */
void
wes_merkle_root(const uint8_t (*leaves)[WES_HASH_LEN], size_t n, uint8_t out[WES_HASH_LEN])
{
	wes_merkle_root_strided(n > 0 ? leaves[0] : NULL, WES_HASH_LEN, n, out);
}

/* tx_root and receipt_root of a hashed block (wes_block_hash_all): what its header must say */
void
wes_block_roots(const wes_block *b, uint8_t tx_root[WES_HASH_LEN], uint8_t receipt_root[WES_HASH_LEN])
{
	wes_merkle_root_strided(b->n_tx > 0 ? b->txs[0].txid : NULL, sizeof(wes_tx), b->n_tx, tx_root);
	wes_merkle_root_strided(b->n_tx > 0 ? b->receipts[0].hash : NULL, sizeof(wes_receipt), b->n_tx,
							receipt_root);
}

/* PATH(m, D[n]) of RFC 6962 2.1.1, deepest sibling first */
static size_t
path_of(leaf_run leaves, size_t n, size_t index, uint8_t (*path)[WES_HASH_LEN])
{
	size_t		k,
				len;

	if (n <= 1 || index >= n)
		return 0;
	k = split_point(n);
	if (index < k)
	{
		len = path_of(leaves, k, index, path);
		mth(leaves_from(leaves, k), n - k, path[len]);
	}
	else
	{
		len = path_of(leaves_from(leaves, k), n - k, index - k, path);
		mth(leaves, k, path[len]);
	}
	return len + 1;
}

size_t
wes_merkle_path(const uint8_t (*leaves)[WES_HASH_LEN], size_t n, size_t index,
				uint8_t (*path)[WES_HASH_LEN])
{
	return n > 0 ? path_of((leaf_run) {leaves[0], WES_HASH_LEN}, n, index, path) : 0;
}

/* Recompute the root from a leaf and its audit path and compare */
bool
wes_merkle_verify(const uint8_t leaf[WES_HASH_LEN], size_t index, size_t n,
				  const uint8_t (*path)[WES_HASH_LEN], size_t path_len,
				  const uint8_t root[WES_HASH_LEN])
{
	size_t		fn = index,
				sn = n - 1;
	uint8_t		r[WES_HASH_LEN];

	if (n == 0 || index >= n)
		return false;
	leaf_hash(leaf, r);
	for (size_t i = 0; i < path_len; i++)
	{
		if (sn == 0)
			return false;
		if ((fn & 1) || fn == sn)
		{
			node_hash(path[i], r, r);
			while (!(fn & 1) && fn != 0)
			{
				fn >>= 1;
				sn >>= 1;
			}
		}
		else
			node_hash(r, path[i], r);
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(r, root, WES_HASH_LEN) == 0;
}
