/*
 * lthash.c
 *	  LtHash16 state commitment: 1024 u16 lanes, an element expands to a
 *	  ChaCha20-IETF keystream keyed by H(elem); add and remove are lane-wise
 *	  modulo 2^16, the root is H of the 2048 little-endian bytes.
 */
#include <sodium.h>
#include <string.h>

#include "wes_codec.h"

static const uint8_t zero_nonce[crypto_stream_chacha20_ietf_NONCEBYTES];

/* Keystream of elem = txid || u32le(index) || output, hashed without concatenating */
static void
element_stream(const uint8_t txid[WES_HASH_LEN], uint32_t index,
			   const uint8_t *output, size_t output_len, uint8_t stream[WES_LTHASH_BYTES])
{
	crypto_generichash_state st;
	uint8_t		key[WES_HASH_LEN];
	uint8_t		idx[4];

	wes_put_u32(idx, index);
	crypto_generichash_init(&st, NULL, 0, WES_HASH_LEN);
	crypto_generichash_update(&st, txid, WES_HASH_LEN);
	crypto_generichash_update(&st, idx, sizeof(idx));
	crypto_generichash_update(&st, output, output_len);
	crypto_generichash_final(&st, key, WES_HASH_LEN);
	crypto_stream_chacha20_ietf(stream, WES_LTHASH_BYTES, zero_nonce, key);
}

/* Lane i of a little-endian byte stream */
static inline uint16_t
lane(const uint8_t *s, size_t i)
{
	return (uint16_t) (s[2 * i] | (s[2 * i + 1] << 8));
}

void
wes_lthash_init(wes_lthash *acc)
{
	memset(acc->lanes, 0, sizeof(acc->lanes));
}

/* Add one unspent output to the set */
void
wes_lthash_add(wes_lthash *acc, const uint8_t txid[WES_HASH_LEN], uint32_t index,
			   const uint8_t *output, size_t output_len)
{
	uint8_t		stream[WES_LTHASH_BYTES];

	element_stream(txid, index, output, output_len, stream);
	for (size_t i = 0; i < WES_LTHASH_LANES; i++)
		acc->lanes[i] = (uint16_t) (acc->lanes[i] + lane(stream, i));
}

/* Remove one output from the set */
void
wes_lthash_remove(wes_lthash *acc, const uint8_t txid[WES_HASH_LEN], uint32_t index,
				  const uint8_t *output, size_t output_len)
{
	uint8_t		stream[WES_LTHASH_BYTES];

	element_stream(txid, index, output, output_len, stream);
	for (size_t i = 0; i < WES_LTHASH_LANES; i++)
		acc->lanes[i] = (uint16_t) (acc->lanes[i] - lane(stream, i));
}

/* Add or subtract another accumulator lane-wise */
void
wes_lthash_combine(wes_lthash *acc, const wes_lthash *other, bool subtract)
{
	for (size_t i = 0; i < WES_LTHASH_LANES; i++)
		acc->lanes[i] = (uint16_t) (subtract ? acc->lanes[i] - other->lanes[i]
									: acc->lanes[i] + other->lanes[i]);
}

/* Serialise as 2048 bytes, lanes little-endian */
void
wes_lthash_to_bytes(const wes_lthash *acc, uint8_t out[WES_LTHASH_BYTES])
{
	for (size_t i = 0; i < WES_LTHASH_LANES; i++)
	{
		out[2 * i] = (uint8_t) acc->lanes[i];
		out[2 * i + 1] = (uint8_t) (acc->lanes[i] >> 8);
	}
}

/* Read back what wes_lthash_to_bytes wrote */
void
wes_lthash_from_bytes(wes_lthash *acc, const uint8_t in[WES_LTHASH_BYTES])
{
	for (size_t i = 0; i < WES_LTHASH_LANES; i++)
		acc->lanes[i] = lane(in, i);
}

/* state_root = H(accumulator bytes) */
void
wes_lthash_root(const wes_lthash *acc, uint8_t out[WES_HASH_LEN])
{
	uint8_t		bytes[WES_LTHASH_BYTES];

	wes_lthash_to_bytes(acc, bytes);
	wes_hash(bytes, sizeof(bytes), out);
}

/* Expansion of an already concatenated element, for tests */
void
wes_lthash_expand(const uint8_t *elem, size_t len, wes_lthash *out)
{
	uint8_t		key[WES_HASH_LEN];
	uint8_t		stream[WES_LTHASH_BYTES];

	wes_hash(elem, len, key);
	crypto_stream_chacha20_ietf(stream, WES_LTHASH_BYTES, zero_nonce, key);
	wes_lthash_from_bytes(out, stream);
}
