/*
 * merkle.c
 *	  RFC 6962 Merkle tree hash (section 2.1) with H = BLAKE2b-256: roots,
 *	  audit paths and their verification (the algorithm of RFC 9162 2.1.3.2).
 *	  Recursion depth is at most 64 and nothing is allocated.
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

/* MTH of n >= 1 leaves */
static void
mth(const uint8_t (*leaves)[WES_HASH_LEN], size_t n, uint8_t out[WES_HASH_LEN])
{
	uint8_t		left[WES_HASH_LEN],
				right[WES_HASH_LEN];
	size_t		k;

	if (n == 1)
	{
		leaf_hash(leaves[0], out);
		return;
	}
	k = split_point(n);
	mth(leaves, k, left);
	mth(leaves + k, n - k, right);
	node_hash(left, right, out);
}

/* Root of n leaves; H("") for none */
void
wes_merkle_root(const uint8_t (*leaves)[WES_HASH_LEN], size_t n, uint8_t out[WES_HASH_LEN])
{
	if (n == 0)
		wes_hash(NULL, 0, out);
	else
		mth(leaves, n, out);
}

/* PATH(m, D[n]) of RFC 6962 2.1.1, deepest sibling first */
size_t
wes_merkle_path(const uint8_t (*leaves)[WES_HASH_LEN], size_t n, size_t index,
				uint8_t (*path)[WES_HASH_LEN])
{
	size_t		k,
				len;

	if (n <= 1 || index >= n)
		return 0;
	k = split_point(n);
	if (index < k)
	{
		len = wes_merkle_path(leaves, k, index, path);
		mth(leaves + k, n - k, path[len]);
	}
	else
	{
		len = wes_merkle_path(leaves + k, n - k, index - k, path);
		mth(leaves, k, path[len]);
	}
	return len + 1;
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
